// The embedding worker against the loopback stub speaking ollama's protocol:
// it embeds new and changed content and the backlog found at start, skips
// what a commit embedded inline, keeps memories waiting through a provider
// outage (status says why) and catches up when it returns, and sets aside a
// memory whose own text keeps failing instead of retrying it forever.
#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <thread>

#include "engine/embedding/embedder.h"
#include "engine/embedding_worker.h"
#include "tests/support/embedding_stub.h"
#include "tests/support/temp_dir.h"

using namespace signet;
using namespace signet::engine;
using signet::testing::EmbeddingStub;
using Mode = EmbeddingStub::Mode;

namespace {

constexpr uint32_t kDims = 8;

struct Fixture {
  signet::testing::TempDir dir;
  std::unique_ptr<journal::Journal> journal;
  std::unique_ptr<Engine> engine;
  EmbeddingStub stub{kDims};
  std::unique_ptr<Embedder> embedder;
  std::vector<std::string> backlog;  // what the backlog scan returns

  explicit Fixture(Embedder* inline_embedder = nullptr) {
    journal::JournalOptions o;
    o.path = dir.sub("journal");
    o.sync = journal::SyncMode::kOff;
    o.model = &Engine::stream_model();
    journal = std::move(journal::Journal::open(o)).value();
    EmbeddingConfig c;
    c.provider = "ollama";
    c.base_url = stub.base_url();
    c.dimensions = kDims;
    c.timeout_ms = 5000;
    embedder = std::move(make_embedder(c)).value();
    EngineOptions eo;
    eo.inline_embedder = inline_embedder;
    engine = std::make_unique<Engine>(*journal, eo);
  }

  std::unique_ptr<EmbeddingWorker> worker(size_t read_events_max = 1024) {
    EmbeddingWorkerOptions wo;
    wo.read_events_max = read_events_max;
    wo.backoff_base = std::chrono::milliseconds(10);
    wo.backoff_max = std::chrono::milliseconds(50);
    wo.attempts_max = 3;
    return std::make_unique<EmbeddingWorker>(
        *journal, *engine, *embedder,
        [this](const std::string&, size_t) -> Result<std::vector<std::string>> {
          auto out = backlog;
          backlog.clear();
          return out;
        },
        wo);
  }

  std::string remember(const std::string& content) {
    RememberCommand c;
    c.content = content;
    auto r = engine->remember(c);
    REQUIRE(r.ok());
    return r->memory.id;
  }

  // Embeddings recorded in the journal: memory id -> content hashes embedded.
  std::map<std::string, std::vector<std::string>> embedded() {
    std::map<std::string, std::vector<std::string>> out;
    auto events = journal->read(1, 100000);
    REQUIRE(events.ok());
    for (const auto& e : *events) {
      if (e.type != journal::EventType::EmbeddingRecorded) continue;
      auto r = decode_embedding_recorded(e.payload);
      REQUIRE(r.ok());
      out[r->memory_id].push_back(r->content_hash);
    }
    return out;
  }
};

bool eventually(const std::function<bool()>& pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

}  // namespace

TEST_CASE("the worker embeds new and changed memories and records their vectors", "[embedding-worker]") {
  Fixture f;
  auto w = f.worker();
  w->start();
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(f.remember("worker memory number " + std::to_string(i)));
  REQUIRE(eventually([&] { return w->status().embedded >= 20; }));
  auto e = f.embedded();
  for (const auto& id : ids) CHECK(e[id].size() == 1);

  ModifyCommand m;
  m.id = ids[0];
  m.content = "worker memory, changed";
  m.reason = "test";
  REQUIRE(f.engine->modify(m).ok());
  REQUIRE(eventually([&] { return w->status().embedded >= 21; }));
  CHECK(f.embedded()[ids[0]].size() == 2);
  CHECK(f.embedded()[ids[0]][1] == (*f.engine->get(ids[0]))->content_hash);
  auto s = w->status();
  CHECK(s.provider_ok);
  CHECK(s.pending == 0);
  CHECK(s.failures == 0);
}

TEST_CASE("the backlog found at start is embedded", "[embedding-worker]") {
  Fixture f;
  for (int i = 0; i < 5; ++i) f.backlog.push_back(f.remember("written before the worker ran " + std::to_string(i)));
  auto w = f.worker();
  w->start();
  REQUIRE(eventually([&] { return w->status().embedded >= 5; }));
  CHECK(f.embedded().size() == 5);
}

TEST_CASE("what a commit embedded inline is not embedded again", "[embedding-worker]") {
  // A read of the journal can end between a remember and the embedding
  // committed with it (1024 events, or fewer bytes); tiny reads make that
  // happen at every other commit. Regression: such memories were embedded
  // again for nothing.
  const size_t read_events_max = GENERATE(1024, 1, 3);
  INFO("events per read: " << read_events_max);
  EmbeddingConfig builtin;
  auto inline_embedder = std::move(make_embedder(builtin)).value();
  Fixture f(inline_embedder.get());
  // The worker embeds with the same model as the inline embedder.
  f.embedder = std::move(make_embedder(builtin)).value();
  auto w = f.worker(read_events_max);
  w->start();
  for (int i = 0; i < 10; ++i) f.remember("embedded inline " + std::to_string(i));
  std::string marker = f.remember("the last one");
  REQUIRE(eventually([&] { return f.embedded().count(marker) == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let the worker look at the tail
  CHECK(w->status().embedded == 0);
  for (const auto& [id, hashes] : f.embedded()) CHECK(hashes.size() == 1);
}

TEST_CASE("a provider outage keeps memories waiting, says why, and ends in a catch-up", "[embedding-worker]") {
  Fixture f;
  f.stub.set_mode(Mode::kHttp500);
  auto w = f.worker();
  w->start();
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(f.remember("during the outage " + std::to_string(i)));
  REQUIRE(eventually([&] { return w->status().failures >= 4; }));
  auto s = w->status();
  CHECK_FALSE(s.provider_ok);
  CHECK_THAT(s.last_error, Catch::Contains("500"));
  CHECK(s.dead == 0);  // an outage is not the memories' fault
  CHECK(f.embedded().empty());

  f.stub.set_mode(Mode::kNormal);
  REQUIRE(eventually([&] { return w->status().embedded >= 6; }));
  s = w->status();
  CHECK(s.provider_ok);
  CHECK(s.consecutive_failures == 0);
  CHECK(f.embedded().size() == 6);
}

TEST_CASE("a memory whose answers are garbage is set aside, not retried forever", "[embedding-worker]") {
  Fixture f;
  f.stub.set_mode(Mode::kWrongDims);
  auto w = f.worker();
  w->start();
  f.remember("a text the provider cannot embed");
  REQUIRE(eventually([&] { return w->status().dead == 1; }));
  uint64_t requests = f.stub.request_count();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(f.stub.request_count() == requests);  // no more attempts
  CHECK_THAT(w->status().last_error, Catch::Contains("dims") || Catch::Contains("dimension"));
}
