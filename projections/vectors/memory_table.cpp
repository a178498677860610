#include "projections/vectors/memory_table.h"

#include <algorithm>

namespace signet::projections::vectors {

uint64_t hash_digest(std::string_view content_hash) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a 64: stable across builds, unlike std::hash
  for (unsigned char c : content_hash) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

StringId StringPool::intern(std::string_view s) {
  auto it = ids_.find(s);
  if (it != ids_.end()) return it->second;
  auto id = static_cast<StringId>(strings_.size());
  strings_.emplace_back(s);
  ids_.emplace(std::string(s), id);
  return id;
}

std::optional<StringId> StringPool::find(std::string_view s) const {
  auto it = ids_.find(s);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

TagSetId TagSets::intern(const std::vector<std::string>& tags, StringPool& strings) {
  std::vector<StringId> ids;
  ids.reserve(tags.size());
  for (const auto& t : tags) ids.push_back(strings.intern(t));
  return intern_ids(std::move(ids));
}

TagSetId TagSets::intern_ids(std::vector<StringId> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  auto it = ids_.find(ids);
  if (it != ids_.end()) return it->second;
  auto id = static_cast<TagSetId>(sets_.size());
  sets_.push_back(ids);
  ids_.emplace(std::move(ids), id);
  return id;
}

CompiledFilter::CompiledFilter(const MemoryFilter* filter, const StringPool& strings) {
  if (!filter) return;
  include_deleted_ = filter->include_deleted;
  auto resolve = [&](const std::optional<std::string>& s, std::optional<StringId>& out) {
    if (!s) return;
    out = strings.find(*s);
    if (!out) impossible_ = true;
  };
  resolve(filter->type, type_);
  resolve(filter->who, who_);
  resolve(filter->project, project_);
  for (const auto& t : filter->tags) {
    auto id = strings.find(t);
    if (!id) {
      impossible_ = true;
      continue;
    }
    tags_.push_back(*id);
  }
  std::sort(tags_.begin(), tags_.end());
  tags_.erase(std::unique(tags_.begin(), tags_.end()), tags_.end());
  pinned_ = filter->pinned;
  importance_min_ = filter->importance_min;
  since_us_ = filter->since_us;
  until_us_ = filter->until_us;
}

// Mirrors MemoryFilter::matches (projections/memory_filter.cpp) on interned fields.
bool CompiledFilter::matches(const MemoryMeta& m, const TagSets& tag_sets) const {
  if (m.deleted && !include_deleted_) return false;
  if (type_ && m.type != *type_) return false;
  if (who_ && m.who != *who_) return false;
  if (project_ && m.project != *project_) return false;
  if (pinned_ && m.pinned != *pinned_) return false;
  if (importance_min_ && m.importance < *importance_min_) return false;
  if (since_us_ && m.created_at_us < *since_us_) return false;
  if (until_us_ && m.created_at_us > *until_us_) return false;
  if (!tags_.empty()) {
    const auto& have = tag_sets.at(m.tags);
    if (!std::includes(have.begin(), have.end(), tags_.begin(), tags_.end())) return false;
  }
  return true;
}

}  // namespace signet::projections::vectors
