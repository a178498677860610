// What the vector projection keeps in RAM about every memory: just enough to
// decide whether an EmbeddingRecorded is current and whether a vector passes a
// MemoryFilter, so a search never leaves the process (no views lookup per hit).
//
// Kept small because it holds every memory, with or without a vector: strings
// that repeat (type, who, project, tags) are interned, a tag list is one id of
// an interned sorted set, and content hashes are 64-bit digests. Per memory
// that is a 56-byte MemoryMeta in a hash-map node, the id string, a bucket
// and an 8-byte entry slot: about 180 bytes with allocator overhead for a
// 36-character UUID (measured over 200k memories), next to the dims * 4 bytes
// of the vector and, with HNSW, about 2 * hnsw_m * 4 bytes of graph links.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "projections/memory_filter.h"

namespace signet::projections::vectors {

using StringId = uint32_t;
using TagSetId = uint32_t;
inline constexpr uint32_t kNoEntry = UINT32_MAX;

// The digest kept instead of a content hash (FNV-1a 64 of its text). Two
// hashes of one memory colliding would let a stale embedding count as
// current; at 2^-64 per pair that is accepted for the 56 bytes saved.
uint64_t hash_digest(std::string_view content_hash);

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Strings that repeat across memories, each stored once. Id 0 is "".
class StringPool {
 public:
  StringPool() { intern(""); }
  StringId intern(std::string_view s);
  std::optional<StringId> find(std::string_view s) const;
  const std::string& at(StringId id) const { return strings_[id]; }
  size_t size() const { return strings_.size(); }

 private:
  std::vector<std::string> strings_;
  std::unordered_map<std::string, StringId, StringHash, std::equal_to<>> ids_;
};

// Distinct tag lists, each a sorted set of string ids. Id 0 is the empty set.
class TagSets {
 public:
  TagSets() { intern_ids({}); }
  TagSetId intern(const std::vector<std::string>& tags, StringPool& strings);
  TagSetId intern_ids(std::vector<StringId> ids);  // sorts and dedupes
  const std::vector<StringId>& at(TagSetId id) const { return sets_[id]; }
  size_t size() const { return sets_.size(); }

 private:
  std::vector<std::vector<StringId>> sets_;
  std::map<std::vector<StringId>, TagSetId> ids_;
};

struct MemoryMeta {
  uint64_t content_hash = 0;  // digest of the memory's current content hash
  uint64_t vector_hash = 0;   // digest of the content hash its vector was embedded from
  int64_t created_at_us = 0;
  double importance = 0;      // double: importance_min compares doubles, a float would miss 0.9 >= 0.9
  StringId type = 0;
  StringId who = 0;
  StringId project = 0;
  TagSetId tags = 0;
  uint32_t entry = kNoEntry;  // internal (FAISS) id of its vector
  bool deleted = false;
  bool pinned = false;

  bool has_vector() const { return entry != kNoEntry; }
  bool vector_current() const { return has_vector() && vector_hash == content_hash; }
  // What VectorStats::vectors counts: a current vector of a memory not forgotten.
  bool live_vector() const { return vector_current() && !deleted; }
};
static_assert(sizeof(MemoryMeta) == 56, "MemoryMeta is in RAM once per memory: keep it small");

// Memory id -> what we keep. Node addresses are stable (unordered_map never
// moves its nodes), so the entry table points straight at them.
using MemoryMap = std::unordered_map<std::string, MemoryMeta, StringHash, std::equal_to<>>;
using MemoryNode = MemoryMap::value_type;

// A MemoryFilter resolved against the interned strings, checked per entry
// during a search without touching a string.
class CompiledFilter {
 public:
  // `filter` may be null (nothing but deleted memories is excluded).
  CompiledFilter(const MemoryFilter* filter, const StringPool& strings);
  // A string no memory has: nothing can match, no need to search.
  bool impossible() const { return impossible_; }
  // Whether it asks for more than "not deleted": most memories then fail it.
  bool narrows() const {
    return type_ || who_ || project_ || !tags_.empty() || pinned_ || importance_min_ || since_us_ || until_us_;
  }
  bool matches(const MemoryMeta& m, const TagSets& tag_sets) const;

 private:
  bool impossible_ = false;
  bool include_deleted_ = false;
  std::optional<StringId> type_, who_, project_;
  std::vector<StringId> tags_;  // sorted
  std::optional<bool> pinned_;
  std::optional<double> importance_min_;
  std::optional<int64_t> since_us_, until_us_;
};

}  // namespace signet::projections::vectors
