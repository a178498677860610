// Recall and search — contract: API.md "POST /api/memory/recall",
// "GET /api/memory/search", "GET /memory/search", "GET /memory/similar".
#include <nlohmann/json.hpp>

#include "api/http_status.h"
#include "api/json_body.h"
#include "api/json_writer.h"
#include "api/memory_json.h"
#include "api/routes/routes.h"
#include "api/as_of.h"
#include "api/search_service.h"
#include "engine/content.h"
#include "journal/clock.h"

namespace signet::api {
namespace {

using nlohmann::json;
using projections::MemoryFilter;

constexpr size_t kRecallLimitMax = 200;
constexpr size_t kQueryBytesMax = 16 * 1024;

void write_hit(JsonWriter& w, const RecallHit& h) {
  const auto& m = h.memory;
  w.begin_object();
  w.key("id").string(m.id);
  w.key("content").string(m.content);
  w.key("score").number(h.score);
  w.key("source").string(hit_source_name(h.source));
  w.key("type").string(m.type);
  if (m.tags.empty()) w.key("tags").null();
  else w.key("tags").string(engine::join_tags(m.tags));
  w.key("pinned").boolean(m.pinned);
  w.key("importance").number(m.importance);
  w.key("who").string_or_null(m.who);
  w.key("project").string_or_null(m.project);
  if (m.created_at_us == 0) w.key("created_at").null();
  else w.key("created_at").string(format_iso8601_ms(m.created_at_us));
  w.end_object();
}

// Written directly (JsonWriter): this is the response of every recall.
Response recall_response(const std::string& query, const RecallResult& r, std::optional<uint64_t> as_of_seq = {}) {
  JsonWriter w;
  w.begin_object();
  w.key("results").begin_array();
  for (const auto& h : r.hits) write_hit(w, h);
  w.end_array();
  w.key("query").string(query);
  w.key("method").string(r.vector_used ? "hybrid" : "keyword");
  if (!r.vector_error.empty()) w.key("vectorError").string(r.vector_error);
  if (r.stale) w.key("stale").boolean(true);
  if (as_of_seq) w.key("asOf").begin_object().key("seq").number(*as_of_seq).end_object();
  w.end_object();
  return Response::json(200, w.take());
}

Result<MemoryFilter> filter_from_body(const JsonBody& b) {
  MemoryFilter f;
  SIGNET_ASSIGN_OR_RETURN(auto type, b.string("type"));
  SIGNET_ASSIGN_OR_RETURN(auto who, b.string("who"));
  SIGNET_ASSIGN_OR_RETURN(auto project, b.string("project"));
  SIGNET_ASSIGN_OR_RETURN(auto tags, b.tags("tags"));
  SIGNET_ASSIGN_OR_RETURN(f.pinned, b.boolean("pinned"));
  SIGNET_ASSIGN_OR_RETURN(f.importance_min, b.number("importance_min", 0.0, 1.0));
  SIGNET_ASSIGN_OR_RETURN(f.since_us, body_time(b, "since"));
  SIGNET_ASSIGN_OR_RETURN(f.until_us, body_time(b, "until"));
  if (type && !type->empty()) f.type = *type;
  if (who && !who->empty()) f.who = *who;
  if (project && !project->empty()) f.project = *project;
  if (tags) f.tags = *tags;
  return f;
}

Result<MemoryFilter> filter_from_query(const Request& req) {
  MemoryFilter f;
  if (auto v = req.query("type"); v && !v->empty()) f.type = *v;
  if (auto v = req.query("who"); v && !v->empty()) f.who = *v;
  if (auto v = req.query("project"); v && !v->empty()) f.project = *v;
  if (auto v = req.query("tags"); v && !v->empty()) f.tags = engine::split_tags(*v);
  SIGNET_ASSIGN_OR_RETURN(f.pinned, query_bool(req, "pinned"));
  SIGNET_ASSIGN_OR_RETURN(f.importance_min, query_number(req, "importance_min", 0.0, 1.0));
  SIGNET_ASSIGN_OR_RETURN(f.since_us, query_time(req, "since"));
  SIGNET_ASSIGN_OR_RETURN(f.until_us, query_time(req, "until"));
  return f;
}

Response recall(const Request& req, Services& s) {
  auto body = JsonBody::parse(req.body());
  if (!body.ok()) return error_response(req, body.status());
  auto query = body->required_string("query");
  if (!query.ok()) return error_response(req, query.status());
  if (query->size() > kQueryBytesMax) return Response::error(413, "field 'query' is longer than 16384 bytes");
  auto limit = body->count("limit");
  if (!limit.ok()) return error_response(req, limit.status());
  auto filter = filter_from_body(*body);
  if (!filter.ok()) return error_response(req, filter.status());
  auto alpha = body->number("alpha", 0.0, 1.0);
  if (!alpha.ok()) return error_response(req, alpha.status());
  auto min_score = body->number("min_score", 0.0, 1.0);
  if (!min_score.ok()) return error_response(req, min_score.status());
  auto keyword_only = body->boolean("keyword_only");
  if (!keyword_only.ok()) return error_response(req, keyword_only.status());
  std::optional<std::string> as_of;
  if (body->has("as_of")) {
    const auto& v = body->json()["as_of"];
    if (v.is_string()) as_of = v.get<std::string>();
    else if (v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0))
      as_of = std::to_string(v.get<uint64_t>());
    else return Response::error(400, "field 'as_of' must be an ISO-8601 time or a seq");
  }
  std::shared_ptr<const AsOfView> view;
  uint64_t as_of_seq = 0;
  if (as_of) {
    auto seq = resolve_as_of(*s.journal, *as_of);
    if (!seq.ok()) return error_response(req, seq.status());
    as_of_seq = *seq;
    auto v = s.as_of->at(*seq);
    if (!v.ok()) return error_response(req, v.status());
    view = *v;
  }
  RecallQuery q;
  q.text = *query;
  q.filter = std::move(*filter);
  q.limit = std::clamp<size_t>(limit->value_or(10), 1, kRecallLimitMax);
  q.alpha = *alpha;
  q.min_score = *min_score;
  q.keyword_only = keyword_only->value_or(false);
  q.as_of = view.get();
  auto r = s.search->recall(q, req);
  if (!r.ok()) return error_response(req, r.status());
  return recall_response(q.text, *r, view ? std::optional<uint64_t>(as_of_seq) : std::nullopt);
}

Response search_get(const Request& req, Services& s) {
  auto q = req.query("q");
  if (!q || q->find_first_not_of(" \t\r\n") == std::string::npos)
    return Response::error(400, "query parameter 'q' is required");
  if (q->size() > kQueryBytesMax) return Response::error(413, "query parameter 'q' is longer than 16384 bytes");
  auto limit = query_count(req, "limit", kRecallLimitMax);
  if (!limit.ok()) return error_response(req, limit.status());
  auto filter = filter_from_query(req);
  if (!filter.ok()) return error_response(req, filter.status());
  RecallQuery rq;
  rq.text = *q;
  rq.filter = std::move(*filter);
  rq.limit = std::max<size_t>(1, limit->value_or(10));
  auto r = s.search->recall(rq, req);
  if (!r.ok()) return error_response(req, r.status());
  return recall_response(rq.text, *r);
}

json legacy_json(const engine::MemoryRecord& m, std::optional<double> score) {
  json j = {{"id", m.id},
            {"content", m.content},
            {"created_at", time_json(m.created_at_us)},
            {"who", text_or_null(m.who)},
            {"importance", m.importance},
            {"tags", tags_json(m.tags)},
            {"type", m.type},
            {"pinned", m.pinned ? 1 : 0}};
  if (score) j["score"] = *score;
  return j;
}

// Legacy: keyword only, or filters only, or the distinct authors.
Response legacy_search(const Request& req, Services& s) {
  if (req.query("distinct").value_or("") == "who") {
    s.wait_memories(req);
    auto who = s.memories->distinct_who();
    if (!who.ok()) return error_response(req, who.status());
    return Response::json(200, json{{"values", *who}}.dump());
  }
  auto filter = filter_from_query(req);
  if (!filter.ok()) return error_response(req, filter.status());
  auto q = req.query("q").value_or("");
  bool has_text = q.find_first_not_of(" \t\r\n") != std::string::npos;
  if (q.size() > kQueryBytesMax) return Response::error(413, "query parameter 'q' is longer than 16384 bytes");
  auto limit = query_count(req, "limit", 1000);
  if (!limit.ok()) return error_response(req, limit.status());
  json results = json::array();
  if (has_text) {
    auto r = s.search->keyword(q, *filter, std::max<size_t>(1, limit->value_or(20)), req);
    if (!r.ok()) return error_response(req, r.status());
    for (const auto& h : r->hits) results.push_back(legacy_json(h.memory, h.score));
  } else {
    s.wait_memories(req);
    auto rows = s.memories->list(*filter, 0, std::max<size_t>(1, limit->value_or(50)));
    if (!rows.ok()) return error_response(req, rows.status());
    for (const auto& m : *rows) results.push_back(legacy_json(m, std::nullopt));
  }
  return Response::json(200, json{{"results", std::move(results)}}.dump());
}

Response similar(const Request& req, Services& s) {
  auto id = req.query("id");
  if (!id || id->empty()) return Response::error(400, "query parameter 'id' is required");
  auto k = query_count(req, "k", kRecallLimitMax);
  if (!k.ok()) return error_response(req, k.status());
  MemoryFilter f;
  if (auto t = req.query("type"); t && !t->empty()) f.type = *t;
  auto r = s.search->similar(*id, std::max<size_t>(1, k->value_or(10)), f, req);
  if (!r.ok()) return error_response(req, r.status());
  json results = json::array();
  for (const auto& h : r->hits) {
    const auto& m = h.memory;
    results.push_back({{"id", m.id},
                       {"content", m.content},
                       {"type", m.type},
                       {"tags", m.tags},
                       {"score", h.score},
                       {"confidence", m.confidence ? json(*m.confidence) : json(nullptr)},
                       {"created_at", time_json(m.created_at_us)}});
  }
  return Response::json(200, json{{"results", std::move(results)}}.dump());
}

}  // namespace

void register_search_routes(Router& r, Services& s) {
  r.post("/api/memory/recall", Permission::kRecall, [&s](const Request& q) { return recall(q, s); });
  r.get ("/api/memory/search", Permission::kRecall, [&s](const Request& q) { return search_get(q, s); });
  r.get ("/memory/search",     Permission::kRecall, [&s](const Request& q) { return legacy_search(q, s); });
  r.get ("/memory/similar",    Permission::kRecall, [&s](const Request& q) { return similar(q, s); });
}

}  // namespace signet::api
