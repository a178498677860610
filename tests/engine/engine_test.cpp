// The engine's commands and every status word of API.md's Memories section:
// remember (prefixes, dedupe by hash and source id), modify, forget, recover,
// purge, batch modify and batch forget with confirm tokens, the kill switch,
// and concurrent writers.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "engine/content.h"
#include "engine/engine.h"
#include "tests/support/temp_dir.h"

using namespace signet;
using namespace signet::engine;
using signet::testing::TempDir;

namespace {

constexpr int64_t kStart = 1'771'668'000'000'000;  // 2026-02-21T10:00:00Z

struct Fixture {
  TempDir dir;
  ManualClock clock{kStart};
  std::unique_ptr<journal::Journal> journal;
  std::unique_ptr<Engine> engine;

  explicit Fixture(journal::SyncMode sync = journal::SyncMode::kOff) {
    journal::JournalOptions o;
    o.path = dir.sub("journal");
    o.sync = sync;
    o.model = &Engine::stream_model();
    o.clock = &clock;
    journal = std::move(journal::Journal::open(o)).value();
    EngineOptions eo;
    eo.clock = &clock;
    engine = std::make_unique<Engine>(*journal, eo);
  }

  RememberOutcome remember(const std::string& content, journal::ActorType actor = journal::ActorType::Operator) {
    RememberCommand c;
    c.content = content;
    c.who = "tester";
    c.ctx.actor = {"tester", actor, ""};
    auto r = engine->remember(c);
    REQUIRE(r.ok());
    return std::move(r).value();
  }
  MemoryRecord get(const std::string& id) {
    auto r = engine->get(id);
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    return **r;
  }
};

Context operator_ctx() { return Context{{"operator", journal::ActorType::Operator, ""}, "req-1", "sess-1"}; }
Context agent_ctx() { return Context{{"claude", journal::ActorType::Agent, ""}, "req-2", ""}; }

ModifyCommand patch(const std::string& id, const std::string& reason = "because") {
  ModifyCommand m;
  m.id = id;
  m.reason = reason;
  m.ctx = operator_ctx();
  return m;
}

}  // namespace

TEST_CASE("remember stores a memory with defaults, an id and a version", "[engine][remember]") {
  Fixture f;
  auto r = f.remember("  User   prefers vim keybindings ");
  CHECK_FALSE(r.deduped);
  CHECK(r.seq == 1);
  CHECK(r.memory.id.size() == 36);
  CHECK(r.memory.content == "User prefers vim keybindings");
  CHECK(r.memory.type == "preference");
  CHECK(r.memory.importance == Approx(0.8));
  CHECK_FALSE(r.memory.pinned);
  CHECK(r.memory.version == 1);
  CHECK(r.memory.created_at_us == kStart);
  CHECK(r.memory.source_type == "manual");
  CHECK(r.memory.content_hash == content_hash("User prefers vim keybindings"));
}

TEST_CASE("remember parses prefixes and body fields override them", "[engine][remember]") {
  Fixture f;
  auto r = f.remember("critical: [project,auth]: never expose tokens");
  CHECK(r.memory.pinned);
  CHECK(r.memory.importance == 1.0);
  CHECK(r.memory.tags == std::vector<std::string>{"project", "auth"});
  CHECK(r.memory.content == "never expose tokens");

  RememberCommand c;
  c.content = "critical: [a,b]: keep backups";
  c.tags = std::vector<std::string>{"ops"};
  c.importance = 0.5;
  c.pinned = false;
  c.type = "procedural";
  auto o = f.engine->remember(c);
  REQUIRE(o.ok());
  CHECK(o->memory.tags == std::vector<std::string>{"ops"});
  CHECK(o->memory.importance == 0.5);
  CHECK_FALSE(o->memory.pinned);
  CHECK(o->memory.type == "procedural");
}

TEST_CASE("remember refuses bad input with a message", "[engine][remember]") {
  Fixture f;
  RememberCommand c;
  c.content = "   ";
  CHECK(f.engine->remember(c).status().code() == Code::kInvalidArgument);
  c.content = "critical:   ";
  CHECK(f.engine->remember(c).status().code() == Code::kInvalidArgument);
  c.content = "ok";
  c.importance = 1.5;
  CHECK(f.engine->remember(c).status().code() == Code::kInvalidArgument);
  c.importance.reset();
  c.content = std::string(300 * 1024, 'x');
  CHECK(f.engine->remember(c).status().code() == Code::kTooLarge);
  CHECK(f.journal->last_seq() == 0);
}

TEST_CASE("remember dedupes by normalised content and returns the existing memory", "[engine][remember][dedupe]") {
  Fixture f;
  auto first = f.remember("User prefers vim keybindings");
  auto second = f.remember("  user PREFERS vim   keybindings!! ");
  CHECK(second.deduped);
  CHECK(second.memory.id == first.memory.id);
  CHECK(second.seq == 0);
  CHECK(f.journal->last_seq() == 1);
}

TEST_CASE("remember dedupes by source id", "[engine][remember][dedupe]") {
  Fixture f;
  RememberCommand c;
  c.content = "first text";
  c.source_id = "ext-42";
  auto a = f.engine->remember(c);
  REQUIRE(a.ok());
  c.content = "entirely different text";
  auto b = f.engine->remember(c);
  REQUIRE(b.ok());
  CHECK(b->deduped);
  CHECK(b->memory.id == a->memory.id);
  CHECK(b->memory.content == "first text");
}

TEST_CASE("a forgotten memory's content can be remembered again as a new memory", "[engine][remember][dedupe]") {
  Fixture f;
  auto a = f.remember("temporary note");
  ForgetCommand fc{a.memory.id, "cleanup", false, std::nullopt, operator_ctx()};
  REQUIRE(f.engine->forget(fc)->applied == Applied::kDeleted);
  auto b = f.remember("temporary note");
  CHECK_FALSE(b.deduped);
  CHECK(b.memory.id != a.memory.id);
  // ... and then the old one cannot be recovered over it.
  RecoverCommand rc{a.memory.id, "oops", std::nullopt, operator_ctx()};
  auto r = f.engine->recover(rc);
  REQUIRE(r.ok());
  CHECK(r->status_word() == "duplicate_content_hash");
  CHECK(r->duplicate_memory_id == b.memory.id);
}

TEST_CASE("modify applies changes, bumps the version and reports them", "[engine][modify]") {
  Fixture f;
  auto m = f.remember("User prefers tabs");
  f.clock.advance_us(5'000'000);
  auto p = patch(m.memory.id, "correcting");
  p.content = "User prefers spaces";
  p.tags = std::vector<std::string>{"style", "editor"};
  p.importance = 0.6;
  p.if_version = 1;
  auto o = f.engine->modify(p);
  REQUIRE(o.ok());
  CHECK(o->status_word() == "updated");
  CHECK(o->current_version == 1);
  CHECK(o->new_version == 2);
  CHECK(o->content_changed);
  CHECK(o->seq == 2);
  auto now = f.get(m.memory.id);
  CHECK(now.content == "User prefers spaces");
  CHECK(now.content_hash == content_hash("User prefers spaces"));
  CHECK(now.tags == std::vector<std::string>{"style", "editor"});
  CHECK(now.importance == 0.6);
  CHECK(now.version == 2);
  CHECK(now.updated_at_us == kStart + 5'000'000);
  CHECK(now.updated_by == "operator");
  // The old content is free again, the new one taken.
  CHECK_FALSE(f.remember("User prefers tabs").deduped);
  CHECK(f.remember("user prefers spaces.").deduped);
}

TEST_CASE("modify statuses: no_changes, not_found, deleted, version_conflict, duplicate_content_hash",
          "[engine][modify]") {
  Fixture f;
  auto a = f.remember("alpha memory");
  auto b = f.remember("beta memory");

  auto same = patch(a.memory.id);
  same.content = "alpha   memory";
  same.type = a.memory.type;
  auto o = f.engine->modify(same);
  CHECK(o->status_word() == "no_changes");
  CHECK(o->new_version == 1);
  CHECK(o->seq == 0);

  auto missing = patch("00000000-0000-4000-8000-000000000000");
  missing.pinned = true;
  CHECK(f.engine->modify(missing)->status_word() == "not_found");

  auto stale = patch(a.memory.id);
  stale.importance = 0.1;
  stale.if_version = 7;
  o = f.engine->modify(stale);
  CHECK(o->status_word() == "version_conflict");
  CHECK(o->current_version == 1);

  auto dup = patch(a.memory.id);
  dup.content = "BETA memory!";
  o = f.engine->modify(dup);
  CHECK(o->status_word() == "duplicate_content_hash");
  CHECK(o->duplicate_memory_id == b.memory.id);

  REQUIRE(f.engine->forget({a.memory.id, "gone", false, std::nullopt, operator_ctx()}).ok());
  auto del = patch(a.memory.id);
  del.importance = 0.2;
  CHECK(f.engine->modify(del)->status_word() == "deleted");
}

TEST_CASE("modify needs a reason and something to change", "[engine][modify]") {
  Fixture f;
  auto a = f.remember("alpha");
  auto p = patch(a.memory.id, "");
  p.importance = 0.3;
  CHECK(f.engine->modify(p).status().code() == Code::kInvalidArgument);
  auto nothing = patch(a.memory.id);
  CHECK(f.engine->modify(nothing).status().code() == Code::kInvalidArgument);
  auto empty = patch(a.memory.id);
  empty.content = "   ";
  CHECK(f.engine->modify(empty).status().code() == Code::kInvalidArgument);
}

TEST_CASE("modify can clear tags", "[engine][modify]") {
  Fixture f;
  auto a = f.remember("[x,y]: tagged");
  auto p = patch(a.memory.id);
  p.tags = std::vector<std::string>{};
  CHECK(f.engine->modify(p)->status_word() == "updated");
  CHECK(f.get(a.memory.id).tags.empty());
}

TEST_CASE("forget statuses: deleted, already_deleted, not_found, version_conflict", "[engine][forget]") {
  Fixture f;
  auto a = f.remember("to forget");
  auto o = f.engine->forget({a.memory.id, "obsolete", false, 2, operator_ctx()});
  CHECK(o->status_word() == "version_conflict");
  o = f.engine->forget({a.memory.id, "obsolete", false, 1, operator_ctx()});
  CHECK(o->status_word() == "deleted");
  CHECK(o->new_version == 2);
  auto m = f.get(a.memory.id);
  CHECK(m.deleted);
  CHECK(m.deleted_at_us == kStart);
  CHECK(f.engine->forget({a.memory.id, "again", false, std::nullopt, operator_ctx()})->status_word() ==
        "already_deleted");
  CHECK(f.engine->forget({"nope", "x", false, std::nullopt, operator_ctx()})->status_word() == "not_found");
  CHECK(f.engine->forget({a.memory.id, "", false, std::nullopt, operator_ctx()}).status().code() ==
        Code::kInvalidArgument);
}

TEST_CASE("a pinned memory needs force, and autonomous actors may not force", "[engine][forget]") {
  Fixture f;
  auto a = f.remember("critical: the deploy key lives in vault");
  CHECK(f.engine->forget({a.memory.id, "x", false, std::nullopt, operator_ctx()})->status_word() ==
        "pinned_requires_force");
  CHECK(f.engine->forget({a.memory.id, "x", true, std::nullopt, agent_ctx()})->status_word() ==
        "autonomous_force_denied");
  Context pipeline{{"pipeline-v2", journal::ActorType::Pipeline, ""}, "", ""};
  CHECK(f.engine->forget({a.memory.id, "x", true, std::nullopt, pipeline})->status_word() ==
        "autonomous_force_denied");
  CHECK(f.engine->forget({a.memory.id, "x", true, std::nullopt, operator_ctx()})->status_word() == "deleted");
}

TEST_CASE("recover within 30 days; not_deleted; retention_expired; version_conflict", "[engine][recover]") {
  Fixture f;
  auto a = f.remember("recoverable");
  CHECK(f.engine->recover({a.memory.id, "x", std::nullopt, operator_ctx()})->status_word() == "not_deleted");
  REQUIRE(f.engine->forget({a.memory.id, "x", false, std::nullopt, operator_ctx()}).ok());
  CHECK(f.engine->recover({a.memory.id, "x", 1, operator_ctx()})->status_word() == "version_conflict");
  f.clock.advance_us(29 * kMicrosPerDay);
  auto o = f.engine->recover({a.memory.id, "accident", 2, operator_ctx()});
  CHECK(o->status_word() == "recovered");
  CHECK(o->current_version == 2);
  CHECK(o->new_version == 3);
  auto m = f.get(a.memory.id);
  CHECK_FALSE(m.deleted);
  CHECK(m.deleted_at_us == 0);
  CHECK(f.remember("recoverable").deduped);  // its content is reserved again

  REQUIRE(f.engine->forget({a.memory.id, "x", false, std::nullopt, operator_ctx()}).ok());
  f.clock.advance_us(30 * kMicrosPerDay + 1);
  CHECK(f.engine->recover({a.memory.id, "late", std::nullopt, operator_ctx()})->status_word() ==
        "retention_expired");
  CHECK(f.engine->recover({"nope", "x", std::nullopt, operator_ctx()})->status_word() == "not_found");
  CHECK(f.engine->recover({a.memory.id, "", std::nullopt, operator_ctx()}).status().code() ==
        Code::kInvalidArgument);
}

TEST_CASE("purge removes a memory for good", "[engine][purge]") {
  Fixture f;
  auto a = f.remember("ephemeral");
  REQUIRE(f.engine->forget({a.memory.id, "x", false, std::nullopt, operator_ctx()}).ok());
  auto p = f.engine->purge({a.memory.id, "retention", operator_ctx(), std::nullopt});
  CHECK(p->status_word() == "purged");
  CHECK(f.engine->recover({a.memory.id, "x", std::nullopt, operator_ctx()})->status_word() == "not_found");
  CHECK(f.engine->purge({a.memory.id, "again", operator_ctx(), std::nullopt})->status_word() == "not_found");
}

TEST_CASE("purge takes only a memory deleted before the cut", "[engine][purge]") {
  Fixture f;
  auto a = f.remember("still wanted");
  CHECK(f.engine->purge({a.memory.id, "retention", operator_ctx(), std::nullopt})->status_word() == "not_deleted");

  REQUIRE(f.engine->forget({a.memory.id, "x", false, std::nullopt, operator_ctx()}).ok());
  int64_t deleted_at = f.get(a.memory.id).deleted_at_us;
  // A sweep that read the tombstone, then saw it recovered and forgotten again
  // later, must not purge the newer deletion.
  CHECK(f.engine->purge({a.memory.id, "retention", operator_ctx(), deleted_at})->status_word() == "not_deleted");
  REQUIRE(f.engine->recover({a.memory.id, "oops", std::nullopt, operator_ctx()})->status_word() == "recovered");
  CHECK(f.engine->purge({a.memory.id, "retention", operator_ctx(), deleted_at + 1})->status_word() ==
        "not_deleted");
  CHECK_FALSE(f.get(a.memory.id).deleted);

  REQUIRE(f.engine->forget({a.memory.id, "x", false, std::nullopt, operator_ctx()}).ok());
  f.clock.advance_us(31 * kMicrosPerDay);
  auto p = f.engine->purge({a.memory.id, "retention", operator_ctx(), f.clock.now_us() - 30 * kMicrosPerDay});
  CHECK(p->status_word() == "purged");
}

TEST_CASE("the kill switch refuses every write", "[engine]") {
  Fixture f;
  auto a = f.remember("before the freeze");
  f.engine->set_mutations_frozen(true);
  RememberCommand c;
  c.content = "during the freeze";
  CHECK(f.engine->remember(c).status().code() == Code::kUnavailable);
  CHECK(f.engine->forget({a.memory.id, "x", false, std::nullopt, operator_ctx()}).status().code() ==
        Code::kUnavailable);
  f.engine->set_mutations_frozen(false);
  CHECK(f.engine->remember(c).ok());
}

TEST_CASE("events carry actor, request and session ids", "[engine]") {
  Fixture f;
  RememberCommand c;
  c.content = "traced";
  c.ctx = operator_ctx();
  auto r = f.engine->remember(c);
  auto events = *f.journal->read(1, 1);
  CHECK(events[0].actor.who == "operator");
  CHECK(events[0].request_id == "req-1");
  CHECK(events[0].session_id == "sess-1");
  CHECK(r->memory.session_id == "sess-1");
}

TEST_CASE("batch modify applies each patch on its own", "[engine][batch]") {
  Fixture f;
  auto a = f.remember("one");
  auto b = f.remember("two");
  std::vector<ModifyCommand> patches;
  auto p1 = patch(a.memory.id);
  p1.importance = 0.1;
  auto p2 = patch(b.memory.id);
  p2.importance = 0.2;
  p2.if_version = 9;
  auto p3 = patch(a.memory.id, "");  // bad: no reason
  p3.pinned = true;
  patches = {p1, p2, p3};
  auto out = f.engine->modify_batch(patches);
  REQUIRE(out.ok());
  REQUIRE(out->size() == 3);
  CHECK((*out)[0]->status_word() == "updated");
  CHECK((*out)[1]->status_word() == "version_conflict");
  CHECK((*out)[2].status().code() == Code::kInvalidArgument);
  std::vector<ModifyCommand> too_many(201, p1);
  CHECK(f.engine->modify_batch(too_many).status().code() == Code::kInvalidArgument);
}

TEST_CASE("batch forget previews, then needs the token above 25 candidates", "[engine][batch]") {
  Fixture f;
  std::vector<ForgetCandidate> small, large;
  for (int i = 0; i < 30; ++i) {
    auto r = f.remember("bulk memory number " + std::to_string(i));
    if (i < 3) small.push_back({r.memory.id, 1.0, false, 0});
    large.push_back({r.memory.id, 0.5, false, 0});
  }
  auto pv = f.engine->preview_forget(small);
  REQUIRE(pv.ok());
  CHECK(pv->candidates.size() == 3);
  CHECK_FALSE(pv->requires_confirm);
  CHECK(pv->candidates[0].version == 1);

  BatchForgetCommand ex;
  for (auto& c : small) ex.ids.push_back(c.id);
  ex.reason = "cleanup";
  ex.ctx = operator_ctx();
  auto done = f.engine->execute_forget(ex);
  REQUIRE(done.ok());
  CHECK(done->requested == 3);
  CHECK(done->deleted == 3);

  auto big = f.engine->preview_forget(large);
  CHECK(big->candidates.size() == 27);  // three are deleted already
  CHECK(big->requires_confirm);
  BatchForgetCommand bx;
  for (auto& c : big->candidates) bx.ids.push_back(c.id);
  bx.reason = "cleanup";
  CHECK(f.engine->execute_forget(bx).status().code() == Code::kInvalidArgument);  // no token
  bx.confirm_token = big->confirm_token;
  bx.ids.pop_back();  // a different set than previewed
  CHECK(f.engine->execute_forget(bx).status().code() == Code::kInvalidArgument);
  bx.ids.push_back(big->candidates.back().id);
  f.clock.advance_us(16 * 60 * kMicrosPerSecond);  // tokens expire
  CHECK(f.engine->execute_forget(bx).status().code() == Code::kInvalidArgument);
  f.clock.advance_us(-16 * 60 * kMicrosPerSecond);
  auto ok = f.engine->execute_forget(bx);
  REQUIRE(ok.ok());
  CHECK(ok->deleted == 27);
}

TEST_CASE("batch forget caps at 200 candidates", "[engine][batch]") {
  Fixture f;
  std::vector<ForgetCandidate> many;
  for (int i = 0; i < 205; ++i) many.push_back({f.remember(std::to_string(i) + " m").memory.id, 0, false, 0});
  CHECK(f.engine->preview_forget(many)->candidates.size() == 200);
}

TEST_CASE("8 threads remembering distinct and identical content lose nothing and dedupe exactly",
          "[engine][concurrency]") {
  Fixture f(journal::SyncMode::kAlways);
  constexpr int kThreads = 8, kDistinct = 40, kShared = 25;
  std::mutex mu;
  std::set<std::string> distinct_ids;
  std::map<int, std::set<std::string>> shared_ids;  // shared content index -> ids returned
  std::map<int, int> created_count;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kDistinct + kShared; ++i) {
        RememberCommand c;
        bool shared = i % 3 == 0 && i / 3 < kShared;
        int key = shared ? i / 3 : -1;
        c.content = shared ? "Shared fact number " + std::to_string(key)
                           : "Thread " + std::to_string(t) + " fact " + std::to_string(i);
        auto r = f.engine->remember(c);
        if (!r.ok()) {
          ++errors;
          continue;
        }
        std::lock_guard<std::mutex> lock(mu);
        if (shared) {
          shared_ids[key].insert(r->memory.id);
          if (!r->deduped) created_count[key]++;
        } else {
          distinct_ids.insert(r->memory.id);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(errors == 0);
  for (auto& [key, ids] : shared_ids) {
    CHECK(ids.size() == 1);          // everyone got the same id
    CHECK(created_count[key] == 1);  // and exactly one of them created it
  }
  uint64_t expected_events = distinct_ids.size() + shared_ids.size();
  CHECK(f.journal->last_seq() == expected_events);
  for (const auto& id : distinct_ids) CHECK(f.engine->get(id)->has_value());
}

TEST_CASE("concurrent modifies of one memory serialise: each sees the version it replaced", "[engine][concurrency]") {
  Fixture f(journal::SyncMode::kAlways);
  auto a = f.remember("counter memory");
  constexpr int kThreads = 8, kEach = 10;
  std::atomic<int> updated{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto p = patch(a.memory.id);
        p.importance = (t * kEach + i + 1) / 100.0;
        auto r = f.engine->modify(p);
        if (r.ok() && r->status_word() == "updated") {
          CHECK(r->new_version == r->current_version + 1);
          ++updated;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(f.get(a.memory.id).version == 1u + static_cast<uint64_t>(updated.load()));
  CHECK(updated == kThreads * kEach);
}

TEST_CASE("the read barrier follows acknowledged writes, not access statistics", "[engine][read-barrier]") {
  Fixture f;
  CHECK(f.engine->read_barrier() == 0);
  auto a = f.remember("the first memory");
  CHECK(f.engine->read_barrier() == a.seq);

  MemoriesAccessed e;
  e.ids = {a.memory.id};
  e.counts = {3};
  auto accessed = f.engine->record_accesses(e, operator_ctx());
  REQUIRE(accessed.ok());
  CHECK(*accessed > a.seq);
  CHECK(f.engine->read_barrier() == a.seq);  // a read need not wait for the counts

  auto forgotten = f.engine->forget({a.memory.id, "done", true, std::nullopt, operator_ctx()});
  REQUIRE(forgotten.ok());
  CHECK(f.engine->read_barrier() == forgotten->seq);
  CHECK(forgotten->seq > *accessed);

  // A new engine on the same journal starts at its head.
  Engine again(*f.journal, EngineOptions{});
  CHECK(again.read_barrier() == f.journal->last_seq());
}

TEST_CASE("an answer that names another request's commit raises the read barrier to it", "[engine][read-barrier]") {
  // Two engines on one journal stand for two requests: what one commits, the
  // other has not yet counted when it answers with it.
  Fixture f;
  Engine other(*f.journal, EngineOptions{.clock = &f.clock});
  Engine third(*f.journal, EngineOptions{.clock = &f.clock});
  auto mine = f.remember("the same words");
  CHECK(other.read_barrier() < mine.seq);
  RememberCommand again;
  again.content = "the same words";
  again.ctx = operator_ctx();
  auto deduped = other.remember(again);
  REQUIRE(deduped.ok());
  REQUIRE(deduped->deduped);
  CHECK(other.read_barrier() >= deduped->memory.last_seq);

  // A refusal naming the memory that holds the content.
  auto second = f.remember("different words");
  auto moved = patch(second.memory.id);
  moved.content = "the same words";
  auto refused = third.modify(moved);
  REQUIRE(refused.ok());
  REQUIRE(refused->refusal);
  CHECK(refused->duplicate_memory_id == mine.memory.id);
  CHECK(third.read_barrier() >= mine.memory.last_seq);
}
