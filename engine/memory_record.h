// A memory as folded from its events: the engine validates commands against
// it (the stream head's state) and the memories projection stores it as a row.
// One fold function serves both, so they cannot disagree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "journal/event.h"
#include "journal/status.h"

namespace signet::engine {

struct MemoryRecord {
  std::string id;
  std::string content;
  std::string content_hash;
  std::string type;
  std::vector<std::string> tags;
  double importance = 0.8;
  bool pinned = false;
  std::string who;
  std::string project;
  std::string source_type;
  std::string source_id;
  std::string session_id;
  std::optional<double> confidence;
  int64_t created_at_us = 0;
  int64_t updated_at_us = 0;
  std::string updated_by;
  uint64_t version = 0;
  bool deleted = false;
  int64_t deleted_at_us = 0;
  bool purged = false;
  // Kept by the memories projection only (zero in a stream head):
  uint64_t access_count = 0;
  int64_t last_accessed_us = 0;
  std::string embedding_model;
  uint32_t embedding_dims = 0;
  std::string embedding_hash;
  uint64_t last_seq = 0;

  bool active() const { return !deleted && !purged; }
  bool has_current_embedding() const { return !embedding_model.empty() && embedding_hash == content_hash; }
};

std::string encode_memory(const MemoryRecord& m);
Result<MemoryRecord> decode_memory(std::string_view bytes);

// Stream names.
std::string memory_stream(std::string_view id);     // "memory:<id>"
std::string embedding_stream(std::string_view id);  // "embedding:<id>"
inline constexpr std::string_view kAccessStream = "access";
inline constexpr std::string_view kEmbeddingModelStream = "embedding-model";
// The memory id of a "memory:<id>" stream, or empty.
std::string_view memory_id_of_stream(std::string_view stream);

// Applies one event of the memory's own stream (Remembered, Modified,
// Forgotten, Recovered, Purged). kCorruption for a payload that does not decode.
Status fold_memory_event(MemoryRecord& m, const journal::Event& event);

// Projection-side folds of the events that live on other streams.
void fold_embedding(MemoryRecord& m, const struct EmbeddingRecorded& e);
void fold_access(MemoryRecord& m, uint32_t count, int64_t ts_us);

// Reserved keys of an active memory: its content hash and source id.
std::string hash_key(std::string_view content_hash);  // "hash:<sha256>"
std::string source_key(std::string_view source_id);   // "source:<id>"

}  // namespace signet::engine
