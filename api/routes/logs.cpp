// /api/logs and /api/logs/stream — contract: API.md "Logs". Entries come from
// the in-memory ring (journal/log.h). A stream holds one HTTP worker for as
// long as it is open, so their number is capped (server.sseStreamsMax).
#include <nlohmann/json.hpp>

#include "api/http_status.h"
#include "api/json_body.h"
#include "api/routes/routes.h"
#include "journal/clock.h"
#include "journal/log.h"

namespace signet::api {
namespace {

using nlohmann::json;

int level_rank(const std::string& l) {
  if (l == "debug") return 0;
  if (l == "info") return 1;
  if (l == "warn" || l == "warning") return 2;
  if (l == "error") return 3;
  return -1;
}

json entry_json(const log::Entry& e) {
  return {{"id", e.id}, {"level", e.level}, {"category", e.category}, {"message", e.message},
          {"at", format_iso8601_ms(e.ts_us)}};
}

Response logs(const Request& req, Services&) {
  auto limit = query_count(req, "limit", 2000);
  if (!limit.ok()) return error_response(req, limit.status());
  auto since = query_time(req, "since");
  if (!since.ok()) return error_response(req, since.status());
  int min_level = 0;
  if (auto l = req.query("level"); l && !l->empty()) {
    min_level = level_rank(*l);
    if (min_level < 0) return Response::error(400, "query parameter 'level' must be debug, info, warn or error");
  }
  auto category = req.query("category");
  size_t max = limit->value_or(100);
  json list = json::array();
  // Newest entries that pass the filters, oldest first.
  auto entries = log::ring().since(0, SIZE_MAX);
  std::vector<const log::Entry*> picked;
  for (auto it = entries.rbegin(); it != entries.rend() && picked.size() < max; ++it) {
    if (level_rank(it->level) < min_level) continue;
    if (category && !category->empty() && it->category != *category) continue;
    if (*since && it->ts_us < **since) continue;
    picked.push_back(&*it);
  }
  for (auto it = picked.rbegin(); it != picked.rend(); ++it) list.push_back(entry_json(**it));
  json j = {{"logs", std::move(list)}};
  j["count"] = j["logs"].size();
  return Response::json(200, j.dump());
}

Response stream(const Request& req, Services& s) {
  int max = static_cast<int>(s.config()->server.sse_streams_max);
  if (s.open_streams->fetch_add(1) >= max) {
    s.open_streams->fetch_sub(1);
    return Response::error(503, "too many log streams are open (server.sseStreamsMax = " + std::to_string(max) + ")");
  }
  int min_level = 0;
  if (auto l = req.query("level"); l && !l->empty()) min_level = std::max(0, level_rank(*l));
  auto category = req.query("category").value_or("");
  struct State {
    bool connected = false;
    uint64_t last_id = 0;
    std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
    std::shared_ptr<std::atomic<int>> counter;
    ~State() { counter->fetch_sub(1); }
  };
  auto st = std::make_shared<State>();
  st->counter = s.open_streams;
  st->last_id = log::ring().last_id();
  auto stopping = s.stopping;
  Response r;
  r.content_type = "text/event-stream";
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.stream = [st, stopping, min_level, category](StreamSink& sink) -> bool {
    if (!st->connected) {
      st->connected = true;
      return sink.write("data: {\"type\":\"connected\"}\n\n");
    }
    if (stopping->load()) return false;
    log::ring().wait(st->last_id, std::chrono::milliseconds(500));
    if (stopping->load()) return false;
    std::string out;
    for (const auto& e : log::ring().since(st->last_id, 500)) {
      st->last_id = e.id;
      if (level_rank(e.level) < min_level) continue;
      if (!category.empty() && e.category != category) continue;
      out += "data: " + entry_json(e).dump() + "\n\n";
    }
    auto now = std::chrono::steady_clock::now();
    if (out.empty() && now - st->last_write > std::chrono::seconds(15)) out = ": keepalive\n\n";
    if (out.empty()) return true;
    st->last_write = now;
    return sink.write(out);
  };
  return r;
}

}  // namespace

void register_log_routes(Router& r, Services& s) {
  r.get("/api/logs",        Permission::kDiagnostics, [&s](const Request& q) { return logs(q, s); });
  r.get("/api/logs/stream", Permission::kDiagnostics, [&s](const Request& q) { return stream(q, s); });
}

}  // namespace signet::api
