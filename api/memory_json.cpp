#include "api/memory_json.h"

#include "engine/content.h"
#include "journal/clock.h"

namespace signet::api {

using nlohmann::json;

json tags_json(const std::vector<std::string>& tags) {
  if (tags.empty()) return nullptr;
  return engine::join_tags(tags);
}

json time_json(int64_t ts_us) {
  if (ts_us == 0) return nullptr;
  return format_iso8601_ms(ts_us);
}

json text_or_null(const std::string& s) {
  if (s.empty()) return nullptr;
  return s;
}

json memory_row_json(const engine::MemoryRecord& m) {
  json j = json::object();
  j["id"] = m.id;
  j["content"] = m.content;
  j["type"] = m.type;
  j["importance"] = m.importance;
  j["tags"] = tags_json(m.tags);
  j["pinned"] = m.pinned ? 1 : 0;
  j["who"] = text_or_null(m.who);
  j["source_type"] = text_or_null(m.source_type);
  j["source_id"] = text_or_null(m.source_id);
  j["project"] = text_or_null(m.project);
  j["session_id"] = text_or_null(m.session_id);
  j["confidence"] = m.confidence ? json(*m.confidence) : json(nullptr);
  j["access_count"] = m.access_count;
  j["last_accessed"] = time_json(m.last_accessed_us);
  j["is_deleted"] = m.deleted ? 1 : 0;
  j["deleted_at"] = time_json(m.deleted_at_us);
  j["extraction_status"] = "none";
  j["embedding_model"] = m.has_current_embedding() ? json(m.embedding_model) : json(nullptr);
  j["content_hash"] = m.content_hash;
  j["version"] = m.version;
  j["created_at"] = time_json(m.created_at_us);
  j["updated_at"] = time_json(m.updated_at_us);
  j["updated_by"] = text_or_null(m.updated_by);
  return j;
}

json memory_list_item_json(const engine::MemoryRecord& m) {
  json j = json::object();
  j["id"] = m.id;
  j["content"] = m.content;
  j["created_at"] = time_json(m.created_at_us);
  j["updated_at"] = time_json(m.updated_at_us);
  j["who"] = text_or_null(m.who);
  j["importance"] = m.importance;
  j["tags"] = tags_json(m.tags);
  j["source_type"] = text_or_null(m.source_type);
  j["pinned"] = m.pinned ? 1 : 0;
  j["type"] = m.type;
  j["project"] = text_or_null(m.project);
  j["version"] = m.version;
  if (m.deleted) j["is_deleted"] = 1;
  return j;
}

json mutation_json(const engine::MutationOutcome& o) {
  json j = json::object();
  j["id"] = o.id;
  j["status"] = o.status_word();
  j["currentVersion"] = o.current_version;
  j["newVersion"] = o.new_version;
  if (!o.duplicate_memory_id.empty()) j["duplicateMemoryId"] = o.duplicate_memory_id;
  if (o.seq) j["seq"] = o.seq;
  return j;
}

}  // namespace signet::api
