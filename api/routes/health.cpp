// /health, /api/status, /api/features — contract: API.md "Health & Status".
// /health is cheap (answered without touching storage); its `resources`
// object is refreshed at most twice a second.
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "api/process_stats.h"
#include "engine/embedding/embedder.h"
#include "engine/embedding_worker.h"
#include "api/routes/routes.h"
#include "journal/clock.h"

namespace signet::api {
namespace {

using nlohmann::json;

double uptime_s(const Services& s) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - s.process.started).count();
}

// Projection lag and process resources, cached briefly: /health is polled hard.
class ResourceCache {
 public:
  json get(const Services& s, bool& degraded) {
    auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    if (now - at_ > std::chrono::milliseconds(500) || cached_.is_null()) {
      ProcessStats ps = read_process_stats();
      json projections = json::object();
      degraded_ = false;
      uint64_t head = s.journal->last_seq();
      for (const auto& p : s.projections) {
        projections::ProjectionRunner* runner = p.runner->get();
        if (!runner) {
          // Not in yet: the vector snapshot loads after the daemon starts serving.
          std::string state = p.name == "vectors" && s.vectors_state ? s.vectors_state() : "loading";
          json o = {{"state", state == "loading" ? "loading" : "failed"}};
          if (state != "loading") {
            o["error"] = state;
            degraded_ = true;
          }
          projections[p.name] = std::move(o);
          continue;
        }
        auto pr = runner->progress();
        json o = {{"checkpoint_seq", pr.checkpoint_seq},
                  {"lag", head > pr.checkpoint_seq ? head - pr.checkpoint_seq : 0}};
        if (pr.failed) {
          o["error"] = pr.error;
          degraded_ = true;
        }
        projections[p.name] = std::move(o);
      }
      auto js = s.journal->stats();
      cached_ = {{"openFds", ps.open_fds},
                 {"rssBytes", ps.rss_bytes},
                 {"threads", ps.threads},
                 {"journal", {{"last_seq", head}, {"commits", js.commits}, {"groups", js.groups}, {"syncs", js.syncs}}},
                 {"projections", std::move(projections)}};
      at_ = now;
    }
    degraded = degraded_;
    return cached_;
  }

 private:
  std::mutex mu_;
  std::chrono::steady_clock::time_point at_;
  json cached_;
  bool degraded_ = false;
};

json embedding_json(const Services& s) {
  if (!s.embedder) return {{"provider", s.config()->embedding.provider}, {"available", false}};
  bool ok = !s.embedding_worker || s.embedding_worker->status().provider_ok;
  return {{"provider", s.embedder->provider()},
          {"model", s.embedder->model()},
          {"dimensions", s.embedder->dims()},
          {"available", ok}};
}

Response health(const Request&, Services& s, ResourceCache& cache) {
  bool degraded = false;
  json resources = cache.get(s, degraded);
  json j = {{"status", degraded ? "degraded" : "healthy"},
            {"uptime", uptime_s(s)},
            {"pid", s.process.pid},
            {"version", s.process.version},
            {"port", s.process.port},
            {"agentsDir", s.process.workspace},
            {"resources", std::move(resources)}};
  return Response::json(200, j.dump());
}

Response status(const Request&, Services& s, ResourceCache& cache) {
  auto cfg = s.config();
  bool degraded = false;
  json resources = cache.get(s, degraded);
  const auto& p = cfg->memory.pipeline;
  json j = {{"status", "running"},
            {"version", s.process.version},
            {"pid", s.process.pid},
            {"uptime", uptime_s(s)},
            {"startedAt", format_iso8601_ms(s.process.started_at_us)},
            {"port", s.process.port},
            {"host", s.process.host},
            {"agentsDir", s.process.workspace},
            {"memoryDb", true},
            {"pipelineV2",
             {{"enabled", p.enabled},
              {"paused", p.paused},
              {"shadowMode", p.shadow_mode},
              {"mutationsFrozen", p.mutations_frozen},
              {"graphEnabled", p.graph_enabled},
              {"autonomousEnabled", p.autonomous_enabled},
              {"extractionModel", p.extraction_model}}},
            {"health", {{"score", degraded ? 0.5 : 1.0}, {"status", degraded ? "degraded" : "healthy"}}},
            {"embedding", embedding_json(s)},
            {"bypassedSessions", 0},
            {"journal", {{"sync", cfg->journal.sync}, {"last_seq", s.journal->last_seq()}}},
            {"configFile", cfg->source_path.empty() ? json(nullptr) : json(cfg->source_path)},
            {"logFile", s.process.log_file},
            {"resources", std::move(resources)}};
  return Response::json(200, j.dump());
}

Response features(const Request&, Services& s) {
  auto cfg = s.config();
  json j = {{"eventSourcedJournal", true},
            {"readYourWrites", true},
            {"history", true},
            {"batchForget", true},
            {"batchModify", true},
            {"hybridSearch", true},
            {"vectorSearch", static_cast<bool>(s.vectors)},
            {"keywordPartialMatch", true},
            {"embeddingProvider", s.embedder ? s.embedder->provider() : cfg->embedding.provider},
            {"pipelineV2", false},
            {"mutationsFrozen", cfg->memory.pipeline.mutations_frozen},
            {"authModes", json::array({"local"})}};
  return Response::json(200, j.dump());
}

}  // namespace

void register_health_routes(Router& r, Services& s) {
  auto cache = std::make_shared<ResourceCache>();
  r.get("/health",       Permission::kNone,   [&s, cache](const Request& q) { return health(q, s, *cache); });
  r.get("/api/status",   Permission::kNone,   [&s, cache](const Request& q) { return status(q, s, *cache); });
  r.get("/api/features", Permission::kNone,   [&s](const Request& q) { return features(q, s); });
}

}  // namespace signet::api
