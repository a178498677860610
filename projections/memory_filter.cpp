#include "projections/memory_filter.h"

#include <algorithm>

namespace signet::projections {

using engine::MemoryRecord;

bool MemoryFilter::matches(const MemoryRecord& m) const {
  if (m.purged) return false;
  if (m.deleted && !include_deleted) return false;
  if (type && m.type != *type) return false;
  if (who && m.who != *who) return false;
  if (project && m.project != *project) return false;
  if (pinned && m.pinned != *pinned) return false;
  if (importance_min && m.importance < *importance_min) return false;
  if (since_us && m.created_at_us < *since_us) return false;
  if (until_us && m.created_at_us > *until_us) return false;
  for (const auto& t : tags)
    if (std::find(m.tags.begin(), m.tags.end(), t) == m.tags.end()) return false;
  return true;
}

bool MemoryFilter::empty() const {
  return !type && tags.empty() && !who && !project && !pinned && !importance_min && !since_us && !until_us;
}

}  // namespace signet::projections
