// /api/memories, /api/memory/* — contract: API.md "Memories"; our differences:
// docs/api.md. Handlers parse and validate the request (400 names the field),
// call one engine command or projection read, and map the outcome.
#include <nlohmann/json.hpp>

#include "api/http_status.h"
#include "api/json_body.h"
#include "api/memory_json.h"
#include "api/routes/routes.h"
#include "api/as_of.h"
#include "api/search_service.h"
#include "projections/vectors/vector_projection.h"
#include "engine/content.h"
#include "journal/clock.h"

namespace signet::api {
namespace {

using nlohmann::json;
using projections::MemoryFilter;

constexpr size_t kListLimitMax = 5000;
constexpr size_t kHistoryLimitMax = 1000;

Response json_response(int status, const json& j) { return Response::json(status, j.dump()); }

int outcome_code(const engine::MutationOutcome& o) { return o.refusal ? http_code(*o.refusal) : 200; }

void mark_stale(json& j, bool fresh) {
  if (!fresh) j["stale"] = true;
}

// ?as_of=<ISO time|seq>: the seq it names, or nullopt when not given.
Result<std::optional<uint64_t>> as_of_seq(const Request& req, const Services& s) {
  auto v = req.query("as_of");
  if (!v) return std::optional<uint64_t>();
  SIGNET_ASSIGN_OR_RETURN(uint64_t seq, resolve_as_of(*s.journal, *v));
  return std::optional<uint64_t>(seq);
}

json as_of_json(const Services& s, uint64_t seq) {
  json j = {{"seq", seq}};
  if (seq > 0) {
    auto e = s.journal->read_one(seq);
    if (e.ok()) j["at"] = format_iso8601_ms(e->ts_us);
  }
  return j;
}

// The actor of a command: x-signet-actor, else the body's who / changed_by.
engine::Context command_context(const Request& req, const std::string& fallback_who) {
  engine::Context ctx = req.context();
  if (ctx.actor.who.empty()) ctx.actor.who = fallback_who.empty() ? "api" : fallback_who;
  return ctx;
}

// ---- remember -------------------------------------------------------------

Response remember(const Request& req, Services& s) {
  auto body = JsonBody::parse(req.body());
  if (!body.ok()) return error_response(req, body.status());
  engine::RememberCommand cmd;
  auto content = body->required_string("content");
  if (!content.ok()) return error_response(req, content.status());
  cmd.content = std::move(*content);
#define READ(var, expr)                                   \
  auto var = (expr);                                      \
  if (!var.ok()) return error_response(req, var.status());
  READ(who, body->string("who"));
  READ(project, body->string("project"));
  READ(importance, body->number("importance", 0.0, 1.0));
  READ(tags, body->tags("tags"));
  READ(pinned, body->boolean("pinned"));
  READ(type, body->string("type"));
  READ(source_type, body->has("sourceType") ? body->string("sourceType") : body->string("source_type"));
  READ(source_id, body->has("sourceId") ? body->string("sourceId") : body->string("source_id"));
  READ(confidence, body->number("confidence", 0.0, 1.0));
#undef READ
  engine::Context ctx = command_context(req, who->value_or(""));
  cmd.who = who->value_or(ctx.actor.who);
  cmd.project = project->value_or("");
  cmd.importance = *importance;
  if (*tags && !(*tags)->empty()) cmd.tags = **tags;
  cmd.pinned = *pinned;
  cmd.type = *type;
  cmd.source_type = source_type->value_or("");
  cmd.source_id = source_id->value_or("");
  cmd.confidence = *confidence;
  cmd.ctx = std::move(ctx);
  auto r = s.engine->remember(std::move(cmd));
  if (!r.ok()) return error_response(req, r.status());
  const auto& m = r->memory;
  json j = json::object();
  j["id"] = m.id;
  j["type"] = m.type;
  j["tags"] = tags_json(m.tags);
  j["pinned"] = m.pinned;
  j["importance"] = m.importance;
  j["content"] = m.content;
  // A deduped answer is the existing memory, whose vector lives on its own
  // stream: asked of the vector index once it has applied what was written
  // before this request (bounded, like any read).
  bool embedded = r->embedded || m.has_current_embedding();
  if (!embedded && r->deduped && s.vectors) {
    s.wait_for(s.vectors_runner, req);
    embedded = s.vectors->vector_of(m.id).has_value();
  }
  j["embedded"] = embedded;
  j["deduped"] = r->deduped;
  j["version"] = m.version;
  j["created_at"] = time_json(m.created_at_us);
  j["seq"] = r->deduped ? m.last_seq : r->seq;
  return json_response(200, j);
}

// ---- reads ----------------------------------------------------------------

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
  SIGNET_ASSIGN_OR_RETURN(auto del, query_bool(req, "include_deleted"));
  f.include_deleted = del.value_or(false);
  return f;
}

Response list_memories(const Request& req, Services& s) {
  auto limit = query_count(req, "limit", kListLimitMax);
  if (!limit.ok()) return error_response(req, limit.status());
  auto offset = query_count(req, "offset", UINT32_MAX);
  if (!offset.ok()) return error_response(req, offset.status());
  auto filter = filter_from_query(req);
  if (!filter.ok()) return error_response(req, filter.status());
  auto as_of = as_of_seq(req, s);
  if (!as_of.ok()) return error_response(req, as_of.status());
  const projections::MemoriesProjection* memories = s.memories.get();
  std::shared_ptr<const AsOfView> view;
  bool fresh = true;
  if (*as_of) {
    auto v = s.as_of->at(**as_of);
    if (!v.ok()) return error_response(req, v.status());
    view = *v;
    memories = view->memories.get();
  } else {
    fresh = s.wait_memories(req);
  }
  auto rows = memories->list(*filter, offset->value_or(0), limit->value_or(100));
  if (!rows.ok()) return error_response(req, rows.status());
  auto stats = memories->stats();
  if (!stats.ok()) return error_response(req, stats.status());
  json list = json::array();
  for (const auto& m : *rows) list.push_back(memory_list_item_json(m));
  json j = json::object();
  j["memories"] = std::move(list);
  // Vectors of the configured model (the vectors projection's count), not of any model.
  const projections::VectorProjection* vectors = view ? view->vectors.get() : s.vectors.get();
  uint64_t embedded = vectors ? std::min<uint64_t>(vectors->stats().vectors, stats->total) : stats->with_embeddings;
  j["stats"] = {{"total", stats->total}, {"withEmbeddings", embedded}, {"critical", stats->critical}};
  if (*as_of) j["asOf"] = as_of_json(s, **as_of);
  mark_stale(j, fresh);
  return json_response(200, j);
}

Response get_memory(const Request& req, Services& s) {
  std::string id(req.param("id"));
  auto include_deleted = query_bool(req, "include_deleted");
  if (!include_deleted.ok()) return error_response(req, include_deleted.status());
  auto as_of = as_of_seq(req, s);
  if (!as_of.ok()) return error_response(req, as_of.status());
  if (*as_of) {
    auto m = memory_as_of(*s.journal, id, **as_of);
    if (!m.ok()) return error_response(req, m.status());
    if (!*m || ((*m)->deleted && !include_deleted->value_or(false)))
      return Response::error(404, "memory " + id + " did not exist at seq " + std::to_string(**as_of));
    json j = memory_row_json(**m);
    // Access statistics are not folded into point-in-time reads.
    j["access_count"] = nullptr;
    j["last_accessed"] = nullptr;
    j["asOf"] = as_of_json(s, **as_of);
    return json_response(200, j);
  }
  bool fresh = s.wait_memories(req);
  auto row = s.memories->get(id);
  if (!row.ok()) return error_response(req, row.status());
  if (!*row || ((*row)->deleted && !include_deleted->value_or(false)))
    return Response::error(404, "memory " + id + " not found");
  json j = memory_row_json(**row);
  mark_stale(j, fresh);
  return json_response(200, j);
}

// History: the memory's stream, folded so each entry shows content before and after.
Response history(const Request& req, Services& s) {
  std::string id(req.param("id"));
  auto limit = query_count(req, "limit", kHistoryLimitMax);
  if (!limit.ok()) return error_response(req, limit.status());
  auto as_of = as_of_seq(req, s);
  if (!as_of.ok()) return error_response(req, as_of.status());
  auto events = s.journal->read_stream(engine::memory_stream(id));
  if (!events.ok()) return error_response(req, events.status());
  if (*as_of)
    events->erase(std::remove_if(events->begin(), events->end(),
                                 [&](const journal::Event& e) { return e.seq > **as_of; }),
                  events->end());
  if (events->empty()) return Response::error(404, "memory " + id + " not found");
  engine::MemoryRecord m;
  json list = json::array();
  size_t max = limit->value_or(200);
  for (const auto& e : *events) {
    std::string before = m.content;
    Status st = engine::fold_memory_event(m, e);
    if (!st.ok()) return error_response(req, st);
    json h = json::object();
    h["id"] = std::to_string(e.seq);
    h["seq"] = e.seq;
    h["version"] = e.stream_version;
    std::string reason;
    json metadata = nullptr;
    switch (e.type) {
      case journal::EventType::MemoryRemembered:
        h["event"] = "created";
        h["oldContent"] = nullptr;
        h["newContent"] = m.content;
        break;
      case journal::EventType::MemoryModified: {
        h["event"] = "updated";
        h["oldContent"] = before;
        h["newContent"] = m.content;
        auto mod = engine::decode_modified(e.payload);
        if (mod.ok()) {
          reason = mod->reason;
          json changed = json::array();
          if (mod->content) changed.push_back("content");
          if (mod->type) changed.push_back("type");
          if (mod->tags) changed.push_back("tags");
          if (mod->importance) changed.push_back("importance");
          if (mod->pinned) changed.push_back("pinned");
          if (mod->who) changed.push_back("who");
          if (mod->project) changed.push_back("project");
          metadata = {{"changed", changed}};
        }
        break;
      }
      case journal::EventType::MemoryForgotten: {
        h["event"] = "deleted";
        h["oldContent"] = m.content;
        h["newContent"] = nullptr;
        auto f = engine::decode_forgotten(e.payload);
        if (f.ok()) {
          reason = f->reason;
          metadata = {{"force", f->force}};
        }
        break;
      }
      case journal::EventType::MemoryRecovered: {
        h["event"] = "recovered";
        h["oldContent"] = nullptr;
        h["newContent"] = m.content;
        auto r = engine::decode_recovered(e.payload);
        if (r.ok()) reason = r->reason;
        break;
      }
      case journal::EventType::MemoryPurged: {
        h["event"] = "purged";
        h["oldContent"] = m.content;
        h["newContent"] = nullptr;
        auto p = engine::decode_purged(e.payload);
        if (p.ok()) reason = p->reason;
        break;
      }
      default:
        h["event"] = std::string(journal::event_type_name(e.type));
    }
    h["changedBy"] = text_or_null(e.actor.who);
    h["actorType"] = std::string(journal::actor_type_name(e.actor.type));
    h["reason"] = text_or_null(reason);
    h["metadata"] = metadata;
    h["createdAt"] = format_iso8601_ms(e.ts_us);
    h["sessionId"] = text_or_null(e.session_id);
    h["requestId"] = text_or_null(e.request_id);
    list.push_back(std::move(h));
  }
  // The newest `limit` entries, in order.
  if (list.size() > max) list.erase(list.begin(), list.begin() + static_cast<long>(list.size() - max));
  json j = {{"memoryId", id}, {"count", list.size()}, {"history", std::move(list)}};
  if (*as_of) j["asOf"] = as_of_json(s, **as_of);
  return json_response(200, j);
}

// ---- single mutations -----------------------------------------------------

Response modify(const Request& req, Services& s) {
  auto body = JsonBody::parse(req.body());
  if (!body.ok()) return error_response(req, body.status());
  engine::ModifyCommand cmd;
  cmd.id = std::string(req.param("id"));
#define READ(var, expr)                                   \
  auto var = (expr);                                      \
  if (!var.ok()) return error_response(req, var.status());
  READ(reason, body->required_string("reason"));
  READ(content, body->string("content"));
  READ(type, body->string("type"));
  READ(tags, body->tags("tags"));
  READ(importance, body->number("importance", 0.0, 1.0));
  READ(pinned, body->boolean("pinned"));
  READ(if_version, body->count("if_version"));
  READ(changed_by, body->string("changed_by"));
  READ(who, body->string("who"));
  READ(project, body->string("project"));
#undef READ
  cmd.reason = *reason;
  cmd.content = *content;
  cmd.type = *type;
  cmd.tags = *tags;
  cmd.importance = *importance;
  cmd.pinned = *pinned;
  cmd.if_version = *if_version;
  cmd.who = *who;
  cmd.project = *project;
  cmd.ctx = command_context(req, changed_by->value_or(""));
  if (changed_by->has_value() && !req.header("x-signet-actor")) cmd.ctx.actor.who = **changed_by;
  auto r = s.engine->modify(cmd);
  if (!r.ok()) return error_response(req, r.status());
  json j = mutation_json(*r);
  j["contentChanged"] = r->content_changed;
  j["embedded"] = r->embedded;
  return json_response(outcome_code(*r), j);
}

Response forget(const Request& req, Services& s) {
  auto body = JsonBody::parse(req.body(), /*allow_empty=*/true);
  if (!body.ok()) return error_response(req, body.status());
  engine::ForgetCommand cmd;
  cmd.id = std::string(req.param("id"));
  auto reason = body->string("reason");
  if (!reason.ok()) return error_response(req, reason.status());
  cmd.reason = reason->value_or(req.query("reason").value_or(""));
  if (cmd.reason.find_first_not_of(" \t\r\n") == std::string::npos)
    return Response::error(400, "field 'reason' is required (in the body or as ?reason=)");
  auto force = body->boolean("force");
  if (!force.ok()) return error_response(req, force.status());
  auto qforce = query_bool(req, "force");
  if (!qforce.ok()) return error_response(req, qforce.status());
  cmd.force = force->value_or(qforce->value_or(false));
  auto if_version = body->count("if_version");
  if (!if_version.ok()) return error_response(req, if_version.status());
  auto qversion = query_count(req, "if_version", UINT64_MAX);
  if (!qversion.ok()) return error_response(req, qversion.status());
  cmd.if_version = if_version->has_value() ? *if_version : *qversion;
  cmd.ctx = command_context(req, "");
  auto r = s.engine->forget(cmd);
  if (!r.ok()) return error_response(req, r.status());
  return json_response(outcome_code(*r), mutation_json(*r));
}

Response recover(const Request& req, Services& s) {
  auto body = JsonBody::parse(req.body());
  if (!body.ok()) return error_response(req, body.status());
  engine::RecoverCommand cmd;
  cmd.id = std::string(req.param("id"));
  auto reason = body->required_string("reason");
  if (!reason.ok()) return error_response(req, reason.status());
  cmd.reason = *reason;
  auto if_version = body->count("if_version");
  if (!if_version.ok()) return error_response(req, if_version.status());
  cmd.if_version = *if_version;
  cmd.ctx = command_context(req, "");
  auto r = s.engine->recover(cmd);
  if (!r.ok()) return error_response(req, r.status());
  json j = mutation_json(*r);
  j["retentionDays"] = s.engine->options().recovery_window_us / kMicrosPerDay;
  return json_response(outcome_code(*r), j);
}

// ---- batch forget ---------------------------------------------------------

// Candidates by ids, by query, or by filter fields — the same way for preview
// and execute, so the confirm token can name the set.
Result<std::vector<engine::ForgetCandidate>> forget_candidates(const JsonBody& body, Services& s, const Request& req) {
  SIGNET_ASSIGN_OR_RETURN(auto ids, body.strings("ids"));
  SIGNET_ASSIGN_OR_RETURN(auto query, body.string("query"));
  MemoryFilter f;
  SIGNET_ASSIGN_OR_RETURN(auto type, body.string("type"));
  SIGNET_ASSIGN_OR_RETURN(auto who, body.string("who"));
  SIGNET_ASSIGN_OR_RETURN(auto source_type, body.string("source_type"));
  SIGNET_ASSIGN_OR_RETURN(auto tags, body.tags("tags"));
  SIGNET_ASSIGN_OR_RETURN(f.since_us, body_time(body, "since"));
  SIGNET_ASSIGN_OR_RETURN(f.until_us, body_time(body, "until"));
  SIGNET_ASSIGN_OR_RETURN(auto limit, body.count("limit"));
  if (type && !type->empty()) f.type = *type;
  if (who && !who->empty()) f.who = *who;
  if (tags) f.tags = *tags;
  bool has_filter = !f.empty() || (source_type && !source_type->empty());
  bool has_query = query && query->find_first_not_of(" \t\r\n") != std::string::npos;
  if ((!ids || ids->empty()) && !has_query && !has_filter)
    return Status::InvalidArgument("give at least one of: ids, query, type, tags, who, source_type, since, until");
  size_t cap = s.engine->options().batch_max;
  size_t max = std::min<size_t>(limit.value_or(cap), cap);
  std::vector<engine::ForgetCandidate> out;
  if (ids && !ids->empty()) {
    for (const auto& id : *ids) out.push_back({id, 1.0, false, 0});
    return out;
  }
  s.wait_memories(req);
  if (has_query) {
    SIGNET_ASSIGN_OR_RETURN(auto found, s.search->keyword(*query, f, max * 2, req));
    for (const auto& hit : found.hits) {
      if (source_type && !source_type->empty() && hit.memory.source_type != *source_type) continue;
      out.push_back({hit.memory.id, hit.score, false, 0});
      if (out.size() >= max) break;
    }
    return out;
  }
  // Filter only: walk the newest first, enough to fill the cap.
  size_t offset = 0;
  while (out.size() < max) {
    SIGNET_ASSIGN_OR_RETURN(auto rows, s.memories->list(f, offset, 500));
    if (rows.empty()) break;
    offset += rows.size();
    for (const auto& m : rows) {
      if (source_type && !source_type->empty() && m.source_type != *source_type) continue;
      out.push_back({m.id, 1.0, false, 0});
      if (out.size() >= max) break;
    }
  }
  return out;
}

Response batch_forget(const Request& req, Services& s) {
  auto body = JsonBody::parse(req.body());
  if (!body.ok()) return error_response(req, body.status());
  auto mode = body->string("mode");
  if (!mode.ok()) return error_response(req, mode.status());
  std::string m = mode->value_or("preview");
  if (m != "preview" && m != "execute") return Response::error(400, "field 'mode' must be preview or execute");
  auto candidates = forget_candidates(*body, s, req);
  if (!candidates.ok()) return error_response(req, candidates.status());
  if (m == "preview") {
    auto pv = s.engine->preview_forget(std::move(*candidates));
    if (!pv.ok()) return error_response(req, pv.status());
    json list = json::array();
    for (const auto& c : pv->candidates)
      list.push_back({{"id", c.id}, {"score", c.score}, {"pinned", c.pinned}, {"version", c.version}});
    json j = {{"mode", "preview"},
              {"count", pv->candidates.size()},
              {"requiresConfirm", pv->requires_confirm},
              {"confirmToken", pv->confirm_token},
              {"candidates", std::move(list)}};
    return json_response(200, j);
  }
  auto reason = body->required_string("reason");
  if (!reason.ok()) return error_response(req, reason.status());
  auto force = body->boolean("force");
  if (!force.ok()) return error_response(req, force.status());
  auto token = body->string("confirm_token");
  if (!token.ok()) return error_response(req, token.status());
  // The set the preview saw: ids that are still live, in the same order.
  auto live = s.engine->preview_forget(*candidates);
  if (!live.ok()) return error_response(req, live.status());
  engine::BatchForgetCommand cmd;
  for (const auto& c : live->candidates) cmd.ids.push_back(c.id);
  cmd.reason = *reason;
  cmd.force = force->value_or(false);
  cmd.confirm_token = token->value_or("");
  cmd.ctx = command_context(req, "");
  auto r = s.engine->execute_forget(cmd);
  if (!r.ok()) return error_response(req, r.status());
  json results = json::array();
  for (const auto& o : r->results) results.push_back(mutation_json(o));
  json j = {{"mode", "execute"}, {"requested", r->requested}, {"deleted", r->deleted}, {"results", std::move(results)}};
  if (r->seq) j["seq"] = r->seq;
  return json_response(200, j);
}

// ---- batch modify ---------------------------------------------------------

Response batch_modify(const Request& req, Services& s) {
  auto body = JsonBody::parse(req.body());
  if (!body.ok()) return error_response(req, body.status());
  auto reason = body->string("reason");
  if (!reason.ok()) return error_response(req, reason.status());
  auto changed_by = body->string("changed_by");
  if (!changed_by.ok()) return error_response(req, changed_by.status());
  const json& j = body->json();
  auto it = j.find("patches");
  if (it == j.end() || !it->is_array()) return Response::error(400, "field 'patches' must be an array");
  if (it->empty()) return Response::error(400, "field 'patches' must not be empty");
  size_t cap = s.engine->options().batch_max;
  if (it->size() > cap) return Response::error(400, "at most " + std::to_string(cap) + " patches per request");

  json results = json::array();
  size_t updated = 0;
  for (const auto& p : *it) {
    json out = json::object();
    auto invalid = [&](const std::string& why) {
      out["status"] = "invalid_request";
      out["error"] = why;
      results.push_back(out);
    };
    if (!p.is_object()) {
      out["id"] = nullptr;
      invalid("each patch must be an object");
      continue;
    }
    auto pb = JsonBody::parse(p.dump());
    auto id = pb->required_string("id");
    out["id"] = id.ok() ? json(*id) : json(nullptr);
    if (!id.ok()) {
      invalid(id.status().message());
      continue;
    }
    engine::ModifyCommand cmd;
    cmd.id = *id;
    auto preason = pb->string("reason");
    auto content = pb->string("content");
    auto type = pb->string("type");
    auto tags = pb->tags("tags");
    auto importance = pb->number("importance", 0.0, 1.0);
    auto pinned = pb->boolean("pinned");
    auto if_version = pb->count("if_version");
    auto who = pb->string("who");
    for (const Status* st : {&preason.status(), &content.status(), &type.status(), &tags.status(),
                             &importance.status(), &pinned.status(), &if_version.status(), &who.status()}) {
      if (!st->ok()) {
        invalid(st->message());
        goto next;
      }
    }
    cmd.reason = preason->value_or(reason->value_or(""));
    cmd.content = *content;
    cmd.type = *type;
    cmd.tags = *tags;
    cmd.importance = *importance;
    cmd.pinned = *pinned;
    cmd.if_version = *if_version;
    cmd.who = *who;
    cmd.ctx = command_context(req, changed_by->value_or(""));
    if (changed_by->has_value() && !req.header("x-signet-actor")) cmd.ctx.actor.who = **changed_by;
    {
      auto r = s.engine->modify(cmd);
      if (!r.ok()) {
        if (r.status().code() == Code::kInvalidArgument || r.status().code() == Code::kTooLarge) {
          invalid(r.status().message());
          continue;
        }
        return error_response(req, r.status());
      }
      out = mutation_json(*r);
      out["contentChanged"] = r->content_changed;
      out["embedded"] = r->embedded;
      if (!r->refusal && r->applied == engine::Applied::kUpdated) ++updated;
      results.push_back(out);
    }
  next:;
  }
  json resp = {{"total", it->size()}, {"updated", updated}, {"results", std::move(results)}};
  return json_response(200, resp);
}

}  // namespace

void register_memory_routes(Router& r, Services& s) {
  auto bind = [&s](Response (*fn)(const Request&, Services&)) {
    return [fn, &s](const Request& req) { return fn(req, s); };
  };
  r.get  ("/api/memories",              Permission::kRecall,   bind(list_memories));
  r.post ("/api/memory/remember",       Permission::kRemember, bind(remember));
  r.post ("/api/memory/save",           Permission::kRemember, bind(remember));
  r.post ("/api/hook/remember",         Permission::kRemember, bind(remember));
  r.get  ("/api/memory/:id",            Permission::kRecall,   bind(get_memory));
  r.get  ("/api/memory/:id/history",    Permission::kRecall,   bind(history));
  r.patch("/api/memory/:id",            Permission::kModify,   bind(modify));
  r.del  ("/api/memory/:id",            Permission::kForget,   bind(forget));
  r.post ("/api/memory/:id/recover",    Permission::kRecover,  bind(recover));
  r.post ("/api/memory/forget",         Permission::kForget,   bind(batch_forget));
  r.post ("/api/memory/modify",         Permission::kModify,   bind(batch_modify));
}

}  // namespace signet::api
