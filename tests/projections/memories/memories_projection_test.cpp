// The memories projection: rows as the API shows them, listing with filters,
// stats, the runner's read-your-writes wait, resuming after reopen, rebuilding
// on a version change, and a rebuild from seq 1 giving byte-identical rows.
#include <catch2/catch.hpp>

#include <map>

#include "engine/engine.h"
#include "projections/memories/memories_projection.h"
#include "tests/support/temp_dir.h"

using namespace signet;
using namespace signet::engine;
using namespace signet::projections;
using signet::testing::TempDir;

namespace {

constexpr int64_t kStart = 1'771'668'000'000'000;

struct Fixture {
  TempDir dir;
  ManualClock clock{kStart};
  std::shared_ptr<journal::StorageBudget> budget = journal::StorageBudget::create();
  std::unique_ptr<journal::Journal> journal;
  std::unique_ptr<Engine> engine;
  std::shared_ptr<ViewsDb> views;
  std::unique_ptr<MemoriesProjection> memories;

  Fixture() {
    open_journal();
    open_views();
  }
  void open_journal() {
    journal::JournalOptions o;
    o.path = dir.sub("journal");
    o.sync = journal::SyncMode::kOff;
    o.model = &Engine::stream_model();
    o.clock = &clock;
    o.budget = budget;
    journal = std::move(journal::Journal::open(o)).value();
    EngineOptions eo;
    eo.clock = &clock;
    engine = std::make_unique<Engine>(*journal, eo);
  }
  void open_views() {
    views = std::move(ViewsDb::open(dir.sub("views"), budget)).value();
    memories = std::move(MemoriesProjection::open(views)).value();
  }
  void close_views() {
    memories.reset();
    views.reset();
  }
  void catch_up() {
    ProjectionRunner runner(*journal, *memories);
    REQUIRE(runner.catch_up().ok());
    REQUIRE(memories->checkpoint() == journal->last_seq());
  }
  std::string remember(const std::string& content, const std::string& who = "claude-code",
                       std::optional<std::string> type = std::nullopt) {
    RememberCommand c;
    c.content = content;
    c.who = who;
    c.type = type;
    c.ctx.actor = {who, journal::ActorType::Operator, ""};
    auto r = engine->remember(c);
    REQUIRE(r.ok());
    clock.advance_us(1000);
    return r->memory.id;
  }
  Context ctx() { return Context{{"operator", journal::ActorType::Operator, ""}, "", ""}; }
};

std::map<std::string, std::string> dump(const MemoriesProjection& p) {
  std::map<std::string, std::string> out;
  REQUIRE(p.scan_rows([&](std::string_view k, std::string_view v) {
            out.emplace(std::string(k), std::string(v));
            return true;
          }).ok());
  return out;
}

}  // namespace

TEST_CASE("rows follow remember, modify, forget, recover and purge", "[projections][memories]") {
  Fixture f;
  std::string id = f.remember("User prefers vim");
  f.catch_up();
  auto row = *f.memories->get(id);
  REQUIRE(row);
  CHECK(row->content == "User prefers vim");
  CHECK(row->version == 1);
  CHECK(row->who == "claude-code");

  ModifyCommand m;
  m.id = id;
  m.content = "User prefers neovim";
  m.reason = "upgrade";
  m.ctx = f.ctx();
  REQUIRE(f.engine->modify(m).ok());
  REQUIRE(f.engine->forget({id, "gone", false, std::nullopt, f.ctx()}).ok());
  f.catch_up();
  row = *f.memories->get(id);
  CHECK(row->content == "User prefers neovim");
  CHECK(row->deleted);
  CHECK(row->version == 3);
  CHECK(f.memories->stats()->total == 0);
  CHECK(f.memories->stats()->deleted == 1);

  REQUIRE(f.engine->recover({id, "back", std::nullopt, f.ctx()}).ok());
  f.catch_up();
  CHECK_FALSE((*f.memories->get(id))->deleted);
  CHECK(f.memories->stats()->total == 1);

  REQUIRE(f.engine->forget({id, "gone", false, std::nullopt, f.ctx()}).ok());
  REQUIRE(f.engine->purge({id, "retention", f.ctx(), std::nullopt}).ok());
  f.catch_up();
  CHECK_FALSE((*f.memories->get(id)).has_value());
  MemoryFilter all;
  all.include_deleted = true;
  CHECK(f.memories->list(all, 0, 100)->empty());
  CHECK(f.memories->stats()->deleted == 0);
}

TEST_CASE("listing is newest first with offset, limit and filters", "[projections][memories]") {
  Fixture f;
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i)
    ids.push_back(f.remember("memory number " + std::to_string(i), i % 2 ? "alice" : "bob",
                             i % 3 ? std::optional<std::string>("fact") : std::optional<std::string>("decision")));
  std::string pinned = f.remember("critical: [ops,keys]: rotate keys");
  REQUIRE(f.engine->forget({ids[0], "x", false, std::nullopt, f.ctx()}).ok());
  f.catch_up();

  auto page = *f.memories->list({}, 0, 3);
  REQUIRE(page.size() == 3);
  CHECK(page[0].id == pinned);
  CHECK(page[1].id == ids[9]);
  CHECK(page[2].id == ids[8]);
  auto next = *f.memories->list({}, 3, 100);
  CHECK(next.size() == 7);  // 11 remembered, one deleted
  CHECK(next.back().id == ids[1]);

  MemoryFilter alice;
  alice.who = "alice";
  CHECK(f.memories->list(alice, 0, 100)->size() == 5);
  MemoryFilter decisions;
  decisions.type = "decision";
  CHECK(f.memories->list(decisions, 0, 100)->size() == 3);  // 3, 6, 9 (0 is deleted)
  MemoryFilter with_deleted = decisions;
  with_deleted.include_deleted = true;
  CHECK(f.memories->list(with_deleted, 0, 100)->size() == 4);
  MemoryFilter tagged;
  tagged.tags = {"ops", "keys"};
  CHECK(f.memories->list(tagged, 0, 100)->size() == 1);
  MemoryFilter pin;
  pin.pinned = true;
  CHECK(f.memories->list(pin, 0, 100)->front().id == pinned);
  MemoryFilter important;
  important.importance_min = 0.9;
  CHECK(f.memories->list(important, 0, 100)->size() == 1);
  MemoryFilter window;
  window.since_us = kStart + 3 * 1000;
  window.until_us = kStart + 5 * 1000;
  auto w = *f.memories->list(window, 0, 100);
  REQUIRE(w.size() == 3);
  CHECK(w[0].id == ids[5]);
  CHECK(w[2].id == ids[3]);

  auto st = *f.memories->stats();
  CHECK(st.total == 10);
  CHECK(st.critical == 1);
  CHECK(st.deleted == 1);
  auto who = *f.memories->distinct_who();
  CHECK(who == std::vector<std::string>{"alice", "bob", "claude-code"});
}

TEST_CASE("embeddings and access counts land on rows; stale embeddings are ignored", "[projections][memories]") {
  Fixture f;
  std::string id = f.remember("vector me");
  auto row = *f.engine->get(id);
  EmbeddingRecorded e{id, "builtin", 3, row->content_hash, {0.1f, 0.2f, 0.3f}};
  REQUIRE(f.engine->record_embedding(e, f.ctx()).ok());
  EmbeddingRecorded stale{id, "builtin", 3, "not-the-hash", {1, 0, 0}};
  REQUIRE(f.engine->record_embedding(stale, f.ctx()).ok());
  REQUIRE(f.engine->record_accesses({{id}, {2}}, f.ctx()).ok());
  REQUIRE(f.engine->record_accesses({{id, "unknown-id"}, {1, 5}}, f.ctx()).ok());
  f.catch_up();
  auto r = *f.memories->get(id);
  CHECK(r->embedding_model == "builtin");
  CHECK(r->embedding_hash == row->content_hash);
  CHECK(r->access_count == 3);
  CHECK(r->last_accessed_us == kStart + 1000);
  CHECK(f.memories->stats()->with_embeddings == 1);
}

TEST_CASE("access counts add up apart from the row, and go with a purge", "[projections][memories][access]") {
  Fixture f;
  std::string a = f.remember("first"), b = f.remember("second");
  f.catch_up();
  auto rows_before = dump(*f.memories);
  REQUIRE(f.engine->record_accesses({{a, b, a}, {1, 2, 4}}, f.ctx()).ok());  // a repeated within one event
  f.clock.advance_us(500);
  REQUIRE(f.engine->record_accesses({{a}, {10}}, f.ctx()).ok());
  f.catch_up();

  // Only the access stats changed: no row was rewritten.
  auto rows_after = dump(*f.memories);
  for (const auto& [k, v] : rows_before)
    if (k.rfind("r/", 0) == 0) CHECK(rows_after.at(k) == v);

  auto ra = *f.memories->get(a);
  CHECK(ra->access_count == 15);
  CHECK(ra->last_accessed_us == f.clock.now_us());
  auto many = *f.memories->get_many({b, "missing", a});
  REQUIRE(many.size() == 2);
  CHECK(many[0].access_count == 2);
  CHECK(many[1].access_count == 15);
  auto bare = *f.memories->get_many({a}, MemoriesProjection::Fields::kWithoutAccess);
  REQUIRE(bare.size() == 1);
  CHECK(bare[0].access_count == 0);
  CHECK(bare[0].content == "first");
  auto listed = *f.memories->list(MemoryFilter{}, 0, 10);
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].id == b);
  CHECK(listed[0].access_count == 2);
  CHECK(listed[1].access_count == 15);

  // A purge takes the stats with the row.
  REQUIRE(f.engine->forget({a, "test", true, std::nullopt, f.ctx()}).ok());
  engine::PurgeCommand purge{a, "test", f.ctx(), std::nullopt};
  REQUIRE(f.engine->purge(purge).ok());
  f.catch_up();
  CHECK_FALSE(*f.memories->get(a));
  for (const auto& [k, v] : dump(*f.memories)) CHECK(k.find(a) == std::string::npos);
}

TEST_CASE("the runner follows commits and wait_for gives read-your-writes", "[projections][runner]") {
  Fixture f;
  ProjectionRunner runner(*f.journal, *f.memories);
  runner.start();
  for (int i = 0; i < 50; ++i) {
    RememberCommand c;
    c.content = "live memory " + std::to_string(i);
    auto r = f.engine->remember(c);
    REQUIRE(r.ok());
    REQUIRE(runner.wait_for(r->seq, std::chrono::milliseconds(5000)));
    CHECK((*f.memories->get(r->memory.id)).has_value());
  }
  CHECK(runner.progress().checkpoint_seq == 50);
  CHECK_FALSE(runner.wait_for(51, std::chrono::milliseconds(20)));
  runner.stop();
}

TEST_CASE("close and reopen resumes from the stored checkpoint", "[projections][memories]") {
  Fixture f;
  for (int i = 0; i < 5; ++i) f.remember("early " + std::to_string(i));
  f.catch_up();
  f.close_views();
  for (int i = 0; i < 5; ++i) f.remember("late " + std::to_string(i));
  f.open_views();
  CHECK(f.memories->checkpoint() == 5);
  f.catch_up();
  CHECK(f.memories->stats()->total == 10);
}

TEST_CASE("a changed projection version rebuilds on open", "[projections][memories]") {
  Fixture f;
  for (int i = 0; i < 4; ++i) f.remember("versioned " + std::to_string(i));
  f.catch_up();
  REQUIRE(f.views->db()->Put({}, ViewsDb::version_key("mem"), "99").ok());  // as if written by another version
  f.close_views();
  f.open_views();
  CHECK(f.memories->rebuilt_on_open());
  CHECK(f.memories->checkpoint() == 0);
  CHECK(f.memories->stats()->total == 0);
  f.catch_up();
  CHECK(f.memories->stats()->total == 4);
}

TEST_CASE("a rebuild from seq 1 gives byte-identical rows to incremental application", "[projections][rebuild]") {
  Fixture f;
  ProjectionRunner runner(*f.journal, *f.memories);
  runner.start();
  std::vector<std::string> ids;
  for (int i = 0; i < 60; ++i) {
    ids.push_back(f.remember("rebuild memory " + std::to_string(i), i % 2 ? "a" : "b"));
    if (i % 5 == 0) {
      ModifyCommand m;
      m.id = ids[static_cast<size_t>(i / 2)];
      m.importance = 0.25;
      m.tags = std::vector<std::string>{"t" + std::to_string(i)};
      m.reason = "tune";
      m.ctx = f.ctx();
      REQUIRE(f.engine->modify(m).ok());
    }
    if (i % 7 == 0) REQUIRE(f.engine->forget({ids[static_cast<size_t>(i / 3)], "x", false, std::nullopt, f.ctx()}).ok());
    if (i % 11 == 0) REQUIRE(f.engine->record_accesses({{ids[static_cast<size_t>(i / 4)]}, {1}}, f.ctx()).ok());
  }
  REQUIRE(runner.wait_for(f.journal->last_seq(), std::chrono::milliseconds(10000)));
  runner.stop();
  auto incremental = dump(*f.memories);

  auto rebuilt = std::move(MemoriesProjection::open(f.views, "mem-rebuild")).value();
  ProjectionRunner r2(*f.journal, *rebuilt);
  REQUIRE(r2.catch_up().ok());
  auto fresh = dump(*rebuilt);
  REQUIRE(incremental.size() == fresh.size());
  CHECK(incremental == fresh);
}

TEST_CASE("applying the same events twice changes nothing", "[projections][memories]") {
  Fixture f;
  for (int i = 0; i < 5; ++i) f.remember("idempotent " + std::to_string(i));
  auto events = *f.journal->read(1, 100);
  REQUIRE(f.memories->apply(events).ok());
  auto once = dump(*f.memories);
  REQUIRE(f.memories->apply(events).ok());
  CHECK(dump(*f.memories) == once);
  CHECK(f.memories->stats()->total == 5);
}
