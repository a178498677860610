// /api/timeline/:id and /api/timeline/:id/export — contract: API.md
// "Timeline", ANALYTICS.md "Timeline". For a memory id, a request id or a
// session id: its journal events (from the memory's streams, or from the
// timeline projection's request and session index), and the recent log
// entries and errors that mention it, in time order.
#include <nlohmann/json.hpp>

#include <algorithm>

#include "api/http_status.h"
#include "api/json_body.h"
#include "api/memory_json.h"
#include "api/routes/routes.h"
#include "engine/memory_events.h"
#include "journal/clock.h"
#include "journal/log.h"
#include "journal/utf8.h"
#include "projections/timeline/timeline_projection.h"

namespace signet::api {
namespace {

using nlohmann::json;

constexpr size_t kEventsMax = 2000;

// One line saying what an event did.
std::string summary(const journal::Event& e) {
  switch (e.type) {
    case journal::EventType::MemoryRemembered: {
      auto r = engine::decode_remembered(e.payload);
      if (!r.ok()) return "remembered";
      std::string head = r->content;
      truncate_utf8(head, 120);  // a split character would make the answer unprintable
      return "remembered: " + head;
    }
    case journal::EventType::MemoryModified: {
      auto m = engine::decode_modified(e.payload);
      if (!m.ok()) return "modified";
      std::string fields;
      auto add = [&](bool changed, const char* name) {
        if (changed) fields += (fields.empty() ? "" : ", ") + std::string(name);
      };
      add(m->content.has_value(), "content");
      add(m->type.has_value(), "type");
      add(m->tags.has_value(), "tags");
      add(m->importance.has_value(), "importance");
      add(m->pinned.has_value(), "pinned");
      add(m->who.has_value(), "who");
      add(m->project.has_value(), "project");
      return "modified " + fields + (m->reason.empty() ? "" : " (" + m->reason + ")");
    }
    case journal::EventType::MemoryForgotten: {
      auto f = engine::decode_forgotten(e.payload);
      return f.ok() ? "forgotten (" + f->reason + ")" + (f->force ? ", forced" : "") : "forgotten";
    }
    case journal::EventType::MemoryRecovered: {
      auto r = engine::decode_recovered(e.payload);
      return r.ok() ? "recovered (" + r->reason + ")" : "recovered";
    }
    case journal::EventType::MemoryPurged: return "purged";
    case journal::EventType::EmbeddingRecorded: {
      auto r = engine::decode_embedding_recorded(e.payload);
      return r.ok() ? "embedded with " + r->model + " (" + std::to_string(r->dims) + " dims)" : "embedded";
    }
    case journal::EventType::MemoriesAccessed: {
      auto a = engine::decode_memories_accessed(e.payload);
      return a.ok() ? "recalled " + std::to_string(a->ids.size()) + " memories" : "recalled";
    }
    case journal::EventType::EmbeddingModelChanged: {
      auto m = engine::decode_embedding_model_changed(e.payload);
      return m.ok() ? "embedding model set to " + m->model : "embedding model changed";
    }
    default: return std::string(journal::event_type_name(e.type));
  }
}

json event_json(const journal::Event& e) {
  std::string_view mid = engine::memory_id_of_stream(e.stream);
  std::string memory_id(mid);
  if (memory_id.empty() && e.stream.rfind("embedding:", 0) == 0) memory_id = e.stream.substr(10);
  return {{"at", format_iso8601_ms(e.ts_us)},
          {"source", "journal"},
          {"seq", e.seq},
          {"event", std::string(journal::event_type_name(e.type))},
          {"stream", e.stream},
          {"version", e.stream_version},
          {"memoryId", text_or_null(memory_id)},
          {"actor", text_or_null(e.actor.who)},
          {"actorType", std::string(journal::actor_type_name(e.actor.type))},
          {"requestId", text_or_null(e.request_id)},
          {"sessionId", text_or_null(e.session_id)},
          {"summary", summary(e)}};
}

struct Item {
  int64_t ts_us;
  uint64_t order;  // seq for journal events; after them for logs at the same time
  json body;
};

Result<json> build(const std::string& id, Services& s, const Request& req) {
  std::vector<journal::Event> events;
  std::string type = "unknown";
  // A memory: its own stream and its embeddings.
  SIGNET_ASSIGN_OR_RETURN(auto own, s.journal->read_stream(engine::memory_stream(id), 1, kEventsMax));
  if (!own.empty()) {
    type = "memory";
    SIGNET_ASSIGN_OR_RETURN(auto emb, s.journal->read_stream(engine::embedding_stream(id), 1, kEventsMax));
    events = std::move(own);
    events.insert(events.end(), emb.begin(), emb.end());
  } else if (s.timeline) {
    s.wait_for(s.timeline_runner, req);
    SIGNET_ASSIGN_OR_RETURN(auto seqs, s.timeline->seqs_of_request(id, kEventsMax));
    if (!seqs.empty()) {
      type = "request";
    } else {
      SIGNET_ASSIGN_OR_RETURN(seqs, s.timeline->seqs_of_session(id, kEventsMax));
      if (!seqs.empty()) type = "session";
    }
    for (uint64_t seq : seqs) {
      SIGNET_ASSIGN_OR_RETURN(auto e, s.journal->read_one(seq));
      events.push_back(std::move(e));
    }
  }
  std::vector<Item> items;
  for (const auto& e : events) items.push_back({e.ts_us, e.seq, event_json(e)});
  // Recent log entries and errors that name it (the ring holds the newest).
  for (const auto& l : log::ring().since(0, SIZE_MAX)) {
    if (l.message.find(id) == std::string::npos) continue;
    items.push_back({l.ts_us, UINT64_MAX - 1,
                     {{"at", format_iso8601_ms(l.ts_us)},
                      {"source", l.level == "error" ? "error" : "log"},
                      {"level", l.level},
                      {"category", l.category},
                      {"message", l.message}}});
  }
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return a.ts_us != b.ts_us ? a.ts_us < b.ts_us : a.order < b.order;
  });
  json list = json::array();
  for (auto& i : items) list.push_back(std::move(i.body));
  if (type == "unknown" && !list.empty()) type = "logs";
  json j = {{"entityId", id}, {"entityType", type}, {"count", list.size()}, {"events", std::move(list)}};
  return j;
}

Response timeline(const Request& req, Services& s) {
  std::string id(req.param("id"));
  auto t = build(id, s, req);
  if (!t.ok()) return error_response(req, t.status());
  if ((*t)["count"] == 0) return Response::error(404, "nothing is known about " + id);
  return Response::json(200, t->dump());
}

Response export_timeline(const Request& req, Services& s) {
  std::string id(req.param("id"));
  auto t = build(id, s, req);
  if (!t.ok()) return error_response(req, t.status());
  if ((*t)["count"] == 0) return Response::error(404, "nothing is known about " + id);
  json j = {{"meta",
             {{"version", s.process.version},
              {"exportedAt", format_iso8601_ms(SystemClock::instance()->now_us())},
              {"entityId", id}}},
            {"timeline", std::move(*t)}};
  Response r = Response::json(200, j.dump(2));
  std::string safe;  // a header value: only characters that cannot end or escape it
  for (char c : id.substr(0, 64)) safe.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_');
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"timeline-" + safe + ".json\"");
  return r;
}

}  // namespace

void register_timeline_routes(Router& r, Services& s) {
  r.get("/api/timeline/:id",        Permission::kAnalytics, [&s](const Request& q) { return timeline(q, s); });
  r.get("/api/timeline/:id/export", Permission::kAnalytics, [&s](const Request& q) { return export_timeline(q, s); });
}

}  // namespace signet::api
