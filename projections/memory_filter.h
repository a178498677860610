// Filters on memories shared by listing, keyword, vector and hybrid search:
// the query parameters type, tags, who, project, pinned, importance_min,
// since and until of API.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/memory_record.h"

namespace signet::projections {

struct MemoryFilter {
  std::optional<std::string> type;
  std::vector<std::string> tags;  // every tag must be present
  std::optional<std::string> who;
  std::optional<std::string> project;
  std::optional<bool> pinned;
  std::optional<double> importance_min;
  std::optional<int64_t> since_us;  // created at or after
  std::optional<int64_t> until_us;  // created at or before
  bool include_deleted = false;

  bool matches(const engine::MemoryRecord& m) const;
  bool empty() const;  // no field set (include_deleted aside)
};

}  // namespace signet::projections
