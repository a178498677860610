// Recall through the real daemon: ranking sanity (exact, stemmed, partial,
// phrase, prefix, typo), filters, visibility after forget / recover / modify,
// read-your-writes, access statistics, the legacy and similarity routes, the
// embeddings routes, a remote provider that is down, slow or answers garbage
// (memories stay keyword-searchable and status says why), a model change that
// re-embeds everything, and a rebuild of both indexes giving the same top-10.
#include <catch2/catch.hpp>

#include <httplib.h>
#include <signal.h>

#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "tests/support/daemon_process.h"
#include "tests/support/embedding_stub.h"
#include "tests/support/temp_dir.h"

using namespace signet::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kCorpus = {
    "User prefers vim keybindings in every editor",
    "User prefers dark mode for all applications",
    "The team decided to use PostgreSQL for the billing service",
    "Deploy the billing service with kubectl apply on Fridays only after review",
    "Alice is the tech lead of the payments team",
    "Bob maintains the CI pipeline and the build cache",
    "The staging database is refreshed from production every Sunday night",
    "Never commit secrets; use the vault for API tokens",
    "The user's daughter is called Maya and she likes chess",
    "Run the migrations with make migrate before starting the server",
    "The laptop is a ThinkPad X1 Carbon running Debian",
    "Coffee order: flat white with oat milk",
    "The monitoring dashboard lives in Grafana under the ops folder",
    "Weekly planning happens on Monday mornings at nine",
    "The user dislikes long meetings and prefers written updates",
    "Kubernetes clusters run in eu-west-1 and us-east-2",
    "Rust is used for the ingestion workers; Go for the API gateway",
    "Backups of the journal are taken hourly and kept for a week",
    "The dark mode toggle is in the settings menu, not the toolbar",
    "Meeting notes go into the shared Notion workspace",
};

struct Env {
  TempDir dir;
  std::unique_ptr<DaemonProcess> d;
  std::vector<std::string> ids;

  explicit Env(const std::string& yaml = "", bool load = true) {
    start(yaml);
    if (load)
      for (const auto& c : kCorpus) ids.push_back(remember(c));
  }
  void start(const std::string& yaml = "", std::map<std::string, std::string> env = {}) {
    DaemonProcess::Options o;
    o.workspace = dir.sub("ws");
    o.agent_yaml = yaml;
    o.env = std::move(env);
    std::string failure;
    d = DaemonProcess::start(o, &failure);
    INFO(failure);
    REQUIRE(d);
  }
  void restart(const std::string& yaml = "", std::map<std::string, std::string> env = {}) {
    d->signal(SIGTERM);
    REQUIRE(d->wait_exit(std::chrono::seconds(15)) == 0);
    d.reset();
    start(yaml, std::move(env));
  }
  std::string remember(const std::string& content, json extra = json::object()) {
    extra["content"] = content;
    auto r = d->post("/api/memory/remember", extra.dump());
    REQUIRE(r.status == 200);
    return r.json()["id"];
  }
  json recall(json body) {
    auto r = d->post("/api/memory/recall", body.dump());
    INFO(r.body);
    REQUIRE(r.status == 200);
    return r.json();
  }
  std::vector<std::string> top_ids(const std::string& query, size_t n = 10) {
    json r = recall({{"query", query}, {"limit", n}});
    std::vector<std::string> out;
    for (const auto& h : r["results"]) out.push_back(h["id"]);
    return out;
  }
  std::string top_content(const std::string& query, json extra = json::object()) {
    extra["query"] = query;
    json r = recall(extra);
    REQUIRE(!r["results"].empty());
    return r["results"][0]["content"];
  }
};

bool contains_id(const json& results, const std::string& id) {
  for (const auto& h : results)
    if (h["id"] == id) return true;
  return false;
}

}  // namespace

TEST_CASE("recall ranks exact, stemmed, partial, phrase and prefix matches sensibly", "[integration][search]") {
  Env e;
  json r = e.recall({{"query", "vim keybindings"}});
  CHECK(r["method"] == "hybrid");
  CHECK(r["results"][0]["content"] == kCorpus[0]);
  CHECK(r["results"][0]["source"] == "hybrid");
  CHECK(r["results"][0]["score"].get<double>() > 0);
  // Stemming: "deploying" finds "Deploy".
  CHECK(e.top_content("deploying billing") == kCorpus[3]);
  // A natural question: most of its words are not in the memory (FTS5's implicit AND found nothing).
  CHECK(e.top_content("what does the user think about long meetings?") == kCorpus[14]);
  CHECK(e.top_content("which database did the team pick for billing") == kCorpus[2]);
  // Phrase: the exact phrase beats the same words apart.
  json p = e.recall({{"query", "\"dark mode\""}, {"keyword_only", true}});
  CHECK(p["method"] == "keyword");
  REQUIRE(p["results"].size() >= 2);
  // Prefix.
  CHECK(e.top_content("keyb*", {{"keyword_only", true}}) == kCorpus[0]);
  // A typo the keyword index cannot match; the builtin embedder's character grams can.
  CHECK(e.top_content("keybindngs") == kCorpus[0]);
  // Nonsense never fails.
  for (const std::string& q : std::vector<std::string>{"AND OR NOT ((", "\"unterminated", "*", "---", "😀 🚀",
                                                      std::string(3000, 'x')}) {
    auto res = e.d->post("/api/memory/recall", json{{"query", q}}.dump());
    INFO(q);
    CHECK(res.status == 200);
  }
  CHECK(e.d->post("/api/memory/recall", "{}").status == 400);
  CHECK(e.d->post("/api/memory/recall", json{{"query", "x"}, {"limit", "ten"}}.dump()).status == 400);
}

TEST_CASE("recall filters by type, tags, who, project, pinned, importance and time", "[integration][search]") {
  Env e("", false);
  std::string a = e.remember("Prefer tabs in Go code", {{"who", "alice"}, {"project", "api"}, {"tags", "style,go"}});
  std::string b = e.remember("critical: Prefer spaces in Python code", {{"who", "bob"}, {"project", "ml"}});
  std::string c = e.remember("Prefer short functions in all code", {{"who", "alice"}, {"importance", 0.3}});
  auto ids_of = [&](json body) {
    body["query"] = "prefer code";
    std::set<std::string> out;
    json found = e.recall(body);  // named: the loop borrows from it
    for (const auto& h : found["results"]) out.insert(h["id"]);
    return out;
  };
  CHECK(ids_of({}) == std::set<std::string>{a, b, c});
  CHECK(ids_of({{"who", "alice"}}) == std::set<std::string>{a, c});
  CHECK(ids_of({{"project", "ml"}}) == std::set<std::string>{b});
  CHECK(ids_of({{"tags", "go"}}) == std::set<std::string>{a});
  CHECK(ids_of({{"pinned", true}}) == std::set<std::string>{b});
  CHECK(ids_of({{"importance_min", 0.5}}) == std::set<std::string>{a, b});
  CHECK(ids_of({{"type", "preference"}}) == std::set<std::string>{a, b, c});
  CHECK(ids_of({{"since", "2000-01-01T00:00:00Z"}, {"until", "2001-01-01T00:00:00Z"}}).empty());
  CHECK(ids_of({{"limit", 1}}).size() == 1);
  // A large limit merges keyword and vector hits through an index: still one hit per memory.
  CHECK(e.recall({{"query", "prefer code"}, {"limit", 100}})["results"].size() == 3);
  auto q = e.d->get("/api/memory/search?q=prefer%20code&who=bob");
  REQUIRE(q.status == 200);
  CHECK(q.json()["results"].size() == 1);
  CHECK(e.d->get("/api/memory/search").status == 400);
}

TEST_CASE("a recall right after a remember finds it, and forget / recover / modify show at once", "[integration][search]") {
  Env e("", false);
  for (int i = 0; i < 30; ++i) {
    std::string word = "zebracorn" + std::to_string(i);
    std::string id = e.remember("The mascot is a " + word);
    CHECK(contains_id(e.recall({{"query", word}})["results"], id));  // no sleep in between
  }
  std::string id = e.remember("The release train leaves on Thursdays");
  REQUIRE(e.d->del("/api/memory/" + id + "?reason=obsolete").status == 200);
  CHECK_FALSE(contains_id(e.recall({{"query", "release train Thursdays"}})["results"], id));
  REQUIRE(e.d->post("/api/memory/" + id + "/recover", json{{"reason", "back"}}.dump()).status == 200);
  CHECK(contains_id(e.recall({{"query", "release train Thursdays"}})["results"], id));
  REQUIRE(e.d->patch("/api/memory/" + id, json{{"content", "The release bus leaves on Tuesdays"}, {"reason", "moved"}}
                                              .dump())
              .status == 200);
  CHECK_FALSE(contains_id(e.recall({{"query", "train Thursdays"}, {"keyword_only", true}})["results"], id));
  CHECK(contains_id(e.recall({{"query", "bus Tuesdays"}})["results"], id));
}

TEST_CASE("recall counts accesses in batches", "[integration][search]") {
  Env e;
  for (int i = 0; i < 3; ++i) e.recall({{"query", "Grafana monitoring dashboard"}});
  std::string id = e.ids[12];
  REQUIRE(eventually([&] { return e.d->get("/api/memory/" + id).json()["access_count"].get<int>() >= 3; }));
  json row = e.d->get("/api/memory/" + id).json();
  CHECK_FALSE(row["last_accessed"].is_null());
  CHECK(row["version"] == 1);  // statistics are not versions
}

TEST_CASE("legacy search, distinct authors and similarity", "[integration][search]") {
  Env e("", false);
  std::string a = e.remember("Kubernetes deployments use Helm charts", {{"who", "alice"}});
  std::string b = e.remember("Helm charts live in the infra repository", {{"who", "bob"}});
  e.remember("Lunch is at noon", {{"who", "carol"}});
  auto s = e.d->get("/memory/search?q=helm");
  REQUIRE(s.status == 200);
  CHECK(s.json()["results"].size() == 2);
  CHECK(s.json()["results"][0].contains("score"));
  auto all = e.d->get("/memory/search?who=carol");
  CHECK(all.json()["results"].size() == 1);
  auto who = e.d->get("/memory/search?distinct=who");
  CHECK(who.json()["values"] == json::array({"alice", "bob", "carol"}));
  auto sim = e.d->get("/memory/similar?id=" + a + "&k=5");
  REQUIRE(sim.status == 200);
  json results = sim.json()["results"];
  REQUIRE(!results.empty());
  CHECK(results[0]["id"] == b);
  CHECK_FALSE(contains_id(results, a));
  for (const auto& r : results) CHECK(r["score"].get<double>() >= 0.0);  // clamped as in recall
  CHECK(e.d->get("/memory/similar?id=nope").status == 404);
  CHECK(e.d->get("/memory/similar").status == 400);
}

TEST_CASE("embeddings are listed with paging and vectors; status and health answer", "[integration][search]") {
  Env e;
  auto page = e.d->get("/api/embeddings?limit=50&vectors=true");
  REQUIRE(page.status == 200);
  json j = page.json();
  CHECK(j["total"] == kCorpus.size());
  CHECK(j["count"] == kCorpus.size());
  CHECK(j["hasMore"] == false);
  CHECK(j["embeddings"][0]["vector"].size() == 256);
  CHECK(e.d->get("/api/embeddings").json()["embeddings"][0].contains("vector") == false);
  CHECK(e.d->get("/api/embeddings?offset=15").json()["count"] == 5);
  json st = e.d->get("/api/embeddings/status").json();
  CHECK(st["provider"] == "builtin");
  CHECK(st["available"] == true);
  CHECK(st["dimensions"] == 256);
  json h = e.d->get("/api/embeddings/health").json();
  CHECK(h["coverage"] == 1.0);
  CHECK(h["missing"] == 0);
  CHECK(e.d->get("/api/memories").json()["stats"]["withEmbeddings"] == kCorpus.size());
}

TEST_CASE("an ollama provider that is down, slow or garbled leaves memories keyword-searchable",
          "[integration][search][provider]") {
  EmbeddingStub stub(16);
  stub.set_mode(EmbeddingStub::Mode::kHttp500);
  std::string yaml = "embedding:\n  provider: ollama\n  model: stub-embed\n  dimensions: 16\n  base_url: " +
                     stub.base_url() + "\n  timeout_ms: 2000\n";
  Env e(yaml, false);
  std::string id = e.remember("The on-call rotation changes every Wednesday");
  auto r = e.d->post("/api/memory/remember", json{{"content", "Pager duty escalates after ten minutes"}}.dump());
  CHECK(r.json()["embedded"] == false);
  // Keyword search works while the provider is down.
  CHECK(contains_id(e.recall({{"query", "on-call rotation"}})["results"], id));
  REQUIRE(eventually([&] { return e.d->get("/api/embeddings/status").json()["available"] == false; }));
  json st = e.d->get("/api/embeddings/status").json();
  CHECK_THAT(st["error"].get<std::string>(), Catch::Contains("500"));
  CHECK(e.d->get("/api/embeddings/health").json()["coverage"] == 0.0);
  CHECK(e.recall({{"query", "on-call"}})["method"] == "keyword");

  stub.set_mode(EmbeddingStub::Mode::kWrongDims);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(e.d->get("/health").status == 200);

  stub.set_mode(EmbeddingStub::Mode::kNormal);
  REQUIRE(eventually([&] { return e.d->get("/api/embeddings/health").json()["coverage"] == 1.0; },
                     std::chrono::seconds(60)));
  REQUIRE(eventually([&] { return e.d->get("/api/embeddings/status").json()["worker"]["providerOk"] == true; }));
  CHECK(e.recall({{"query", "on-call rotation"}})["method"] == "hybrid");
}

TEST_CASE("a provider that turns slow after the last embedding: recall falls back to keywords and says why",
          "[integration][search][provider]") {
  EmbeddingStub stub(16);
  std::string yaml = "embedding:\n  provider: ollama\n  model: stub-embed\n  dimensions: 16\n  base_url: " +
                     stub.base_url() + "\n  timeout_ms: 8000\nsearch:\n  query_embed_timeout_ms: 300\n";
  Env e(yaml, false);
  std::string id = e.remember("The staging cluster is rebuilt every Friday night");
  REQUIRE(eventually([&] { return e.d->get("/api/embeddings/health").json()["coverage"] == 1.0; },
                     std::chrono::seconds(30)));
  CHECK(e.recall({{"query", "staging cluster"}})["method"] == "hybrid");

  // The worker has nothing left to embed, so only the query can find out.
  stub.set_slow_delay_ms(6000);
  stub.set_mode(EmbeddingStub::Mode::kSlow);
  json slow = e.recall({{"query", "staging cluster"}});
  CHECK(slow["method"] == "keyword");  // hybrid would mean it waited out the 6 s
  CHECK(contains_id(slow["results"], id));
  CHECK_THAT(slow.value("vectorError", ""), Catch::Contains("timed out"));
  // The breaker is open: the next recalls do not ask the provider at all.
  uint64_t asked = stub.request_count();
  json next = e.recall({{"query", "staging cluster"}});
  CHECK(next["method"] == "keyword");
  CHECK(stub.request_count() == asked);

  stub.set_mode(EmbeddingStub::Mode::kNormal);
  REQUIRE(eventually([&] { return e.recall({{"query", "staging cluster"}})["method"] == "hybrid"; },
                     std::chrono::seconds(30)));
  CHECK_FALSE(e.recall({{"query", "staging cluster"}}).contains("vectorError"));
}

TEST_CASE("the daemon serves while its vector index loads, with keywords until it is in",
          "[integration][search][startup]") {
  Env e;
  // A snapshot that takes 3 s to load, as a 1M-memory one would.
  e.restart("search:\n  read_wait_ms: 200\n", {{"SIGNET_DEBUG_VECTOR_LOAD_DELAY_MS", "3000"}});
  json health = e.d->get("/health").json();
  CHECK(health["status"] == "healthy");
  CHECK(health["resources"]["projections"]["vectors"]["state"] == "loading");
  json r = e.recall({{"query", "Grafana dashboard"}});
  CHECK(r["method"] == "keyword");
  CHECK(r["stale"] == true);  // waited its 200 ms for the index, then answered
  CHECK_THAT(r.value("vectorError", ""), Catch::Contains("loading"));
  CHECK_FALSE(r["results"].empty());
  CHECK(e.d->get("/memory/similar?id=" + e.ids[0]).status == 503);
  CHECK(e.d->post("/api/repair/rebuild", json{{"projection", "vectors"}}.dump()).status == 409);

  REQUIRE(eventually([&] { return e.recall({{"query", "Grafana dashboard"}})["method"] == "hybrid"; },
                     std::chrono::seconds(30)));
  CHECK(e.d->get("/health").json()["resources"]["projections"]["vectors"]["lag"] == 0);
  CHECK(e.d->get("/memory/similar?id=" + e.ids[0]).status == 200);
}

TEST_CASE("changing the embedding model re-embeds every memory", "[integration][search][provider]") {
  EmbeddingStub stub(16);
  Env e;  // builtin, 256 dims
  std::string yaml = "embedding:\n  provider: ollama\n  model: stub-embed\n  dimensions: 16\n  base_url: " +
                     stub.base_url() + "\n";
  e.restart(yaml);
  REQUIRE(eventually([&] { return e.d->get("/api/embeddings/health").json()["coverage"] == 1.0; },
                     std::chrono::seconds(60)));
  json page = e.d->get("/api/embeddings?vectors=true").json();
  CHECK(page["total"] == kCorpus.size());
  CHECK(page["embeddings"][0]["model"] == "stub-embed");
  CHECK(page["embeddings"][0]["vector"].size() == 16);
  CHECK(stub.request_count() >= kCorpus.size());
  // The switch is in the journal.
  bool logged = false;
  json logs = e.d->get("/api/logs?limit=200").json();
  for (const auto& l : logs["logs"])
    if (l["message"].get<std::string>().find("embedding model changed") != std::string::npos) logged = true;
  CHECK(logged);
}

TEST_CASE("rebuilding both indexes from the journal gives the same top-10", "[integration][search][rebuild]") {
  Env e;
  for (int i = 0; i < 40; ++i) e.remember("Filler memory about topic " + std::to_string(i % 7) + " number " + std::to_string(i));
  REQUIRE(e.d->del("/api/memory/" + e.ids[3] + "?reason=x").status == 200);
  REQUIRE(e.d->patch("/api/memory/" + e.ids[5], json{{"content", "The laptop is a Framework 13"}, {"reason", "new"}}.dump())
              .status == 200);
  std::vector<std::string> queries = {"billing service", "dark mode", "user preferences", "topic 3",
                                      "who leads payments", "laptop", "backups journal", "kubernetes regions"};
  std::vector<std::vector<std::string>> before;
  for (const auto& q : queries) before.push_back(e.top_ids(q));
  e.d->signal(SIGTERM);
  REQUIRE(e.d->wait_exit(std::chrono::seconds(15)) == 0);
  fs::remove_all(e.dir.sub("ws/memory/fts"));
  fs::remove_all(e.dir.sub("ws/memory/vectors"));
  e.d.reset();
  e.start();
  json health = e.d->get("/health").json();
  for (size_t i = 0; i < queries.size(); ++i) {
    INFO(queries[i]);
    CHECK(e.top_ids(queries[i]) == before[i]);
  }
}
