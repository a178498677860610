// The JSON shapes of memories and command outcomes, as API.md shows them
// (snake_case rows, camelCase outcomes, 0/1 flags on rows).
#pragma once

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "engine/memory_record.h"

namespace signet::api {

// GET /api/memory/:id
nlohmann::json memory_row_json(const engine::MemoryRecord& m);
// An item of GET /api/memories
nlohmann::json memory_list_item_json(const engine::MemoryRecord& m);
// {"id", "status", "currentVersion", "newVersion", ...}
nlohmann::json mutation_json(const engine::MutationOutcome& o);
// "a,b" or null
nlohmann::json tags_json(const std::vector<std::string>& tags);
nlohmann::json time_json(int64_t ts_us);  // ISO-8601 or null when 0
nlohmann::json text_or_null(const std::string& s);

}  // namespace signet::api
