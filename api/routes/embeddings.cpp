// /api/embeddings, /api/embeddings/status, /api/embeddings/health — contract:
// API.md "Embeddings".
#include <nlohmann/json.hpp>

#include "api/http_status.h"
#include "api/json_body.h"
#include "api/memory_json.h"
#include "api/routes/routes.h"
#include "engine/embedding/embedder.h"
#include "engine/embedding_worker.h"
#include "journal/clock.h"
#include "projections/vectors/vector_projection.h"

namespace signet::api {
namespace {

using nlohmann::json;

// The provider check is cached: a status page must not hammer a slow provider.
class ProviderCheck {
 public:
  json get(Services& s) {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t now = SystemClock::instance()->now_us();
    if (cached_.is_null() || now - checked_us_ > 30 * kMicrosPerSecond) {
      auto cfg = s.config();
      json j = {{"provider", cfg->embedding.provider}};
      if (!s.embedder) {
        j["available"] = false;
        j["error"] = "no embedding provider is configured";
      } else {
        j["provider"] = s.embedder->provider();
        j["model"] = s.embedder->model();
        j["dimensions"] = s.embedder->dims();
        Status st = s.embedder->check();
        j["available"] = st.ok();
        if (!st.ok()) j["error"] = st.message();
      }
      if (!cfg->embedding.base_url.empty()) j["base_url"] = cfg->embedding.base_url;
      j["checkedAt"] = format_iso8601_ms(now);
      cached_ = std::move(j);
      checked_us_ = now;
    }
    return cached_;
  }

 private:
  std::mutex mu_;
  json cached_;
  int64_t checked_us_ = 0;
};

json worker_json(Services& s) {
  if (!s.embedding_worker) return nullptr;
  auto w = s.embedding_worker->status();
  json j = {{"running", w.running},
            {"pending", w.pending},
            {"embedded", w.embedded},
            {"failures", w.failures},
            {"dead", w.dead},
            {"providerOk", w.provider_ok},
            {"lastError", text_or_null(w.last_error)},
            {"lastErrorAt", time_json(w.last_error_us)},
            {"lastSuccessAt", time_json(w.last_success_us)},
            {"nextRetryAt", time_json(w.next_retry_us)}};
  return j;
}

Response status(const Request&, Services& s, ProviderCheck& check) {
  json j = check.get(s);
  j["worker"] = worker_json(s);
  // A worker that cannot reach its provider says so, even between checks.
  if (s.embedding_worker) {
    auto w = s.embedding_worker->status();
    if (!w.provider_ok) {
      j["available"] = false;
      j["error"] = w.last_error;
    }
  }
  return Response::json(200, j.dump());
}

Response health(const Request& req, Services& s, ProviderCheck& check) {
  s.wait_memories(req);
  if (!s.vectors_runner && s.wait_vectors_loaded) s.wait_vectors_loaded(s.wait_left(req));
  s.wait_for(s.vectors_runner, req);
  auto st = s.memories->stats();
  if (!st.ok()) return error_response(req, st.status());
  // Coverage counts vectors of the configured model only (the vectors projection's).
  uint64_t embedded = s.vectors ? s.vectors->stats().vectors : 0;
  embedded = std::min<uint64_t>(embedded, st->total);
  json j = {{"total", st->total},
            {"embedded", embedded},
            {"missing", st->total - embedded},
            {"coverage", st->total ? static_cast<double>(embedded) / static_cast<double>(st->total) : 1.0},
            {"provider", check.get(s)},
            {"worker", worker_json(s)}};
  if (s.vectors) {
    auto vs = s.vectors->stats();
    j["index"] = {{"vectors", vs.vectors}, {"tombstones", vs.tombstones}, {"kind", vs.hnsw ? "hnsw" : "flat"}};
  }
  return Response::json(200, j.dump());
}

Response list(const Request& req, Services& s) {
  auto limit = query_count(req, "limit", 5000);
  if (!limit.ok()) return error_response(req, limit.status());
  auto offset = query_count(req, "offset", 100000);
  if (!offset.ok()) return error_response(req, offset.status());
  auto vectors = query_bool(req, "vectors");
  if (!vectors.ok()) return error_response(req, vectors.status());
  size_t n = std::clamp<size_t>(limit->value_or(600), 50, 5000);
  size_t skip = offset->value_or(0);
  s.wait_memories(req);
  if (!s.vectors_runner && s.wait_vectors_loaded) s.wait_vectors_loaded(s.wait_left(req));
  s.wait_for(s.vectors_runner, req);
  std::string model = s.embedder ? s.embedder->model() : "";
  uint64_t total = s.vectors ? s.vectors->stats().vectors : 0;
  json out = json::array();
  size_t seen = 0, scanned = 0;
  bool more = false;
  // Newest first, only memories with a current vector.
  while (true) {
    auto rows = s.memories->list({}, scanned, 1000);
    if (!rows.ok()) return error_response(req, rows.status());
    if (rows->empty()) break;
    scanned += rows->size();
    for (const auto& m : *rows) {
      if (!m.has_current_embedding() || m.embedding_model != model) continue;
      if (seen++ < skip) continue;
      if (out.size() >= n) {
        more = true;
        break;
      }
      json e = {{"id", m.id},
                {"content", m.content},
                {"text", m.content},
                {"who", text_or_null(m.who)},
                {"importance", m.importance},
                {"type", m.type},
                {"tags", m.tags},
                {"model", m.embedding_model},
                {"sourceType", "memory"},
                {"sourceId", m.id},
                {"createdAt", time_json(m.created_at_us)}};
      if (vectors->value_or(false) && s.vectors) {
        auto v = s.vectors->vector_of(m.id);
        e["vector"] = v ? json(*v) : json(nullptr);
      }
      out.push_back(std::move(e));
    }
    if (more) break;
  }
  json j = {{"embeddings", out}, {"count", out.size()}, {"total", total},
            {"limit", n},        {"offset", skip},      {"hasMore", more}};
  return Response::json(200, j.dump());
}

}  // namespace

void register_embedding_routes(Router& r, Services& s) {
  auto check = std::make_shared<ProviderCheck>();
  r.get("/api/embeddings",        Permission::kRecall, [&s](const Request& q) { return list(q, s); });
  r.get("/api/embeddings/status", Permission::kRecall, [&s, check](const Request& q) { return status(q, s, *check); });
  r.get("/api/embeddings/health", Permission::kRecall, [&s, check](const Request& q) { return health(q, s, *check); });
}

}  // namespace signet::api
