// Typed payloads of the memory events and their FlatBuffers encoding
// (journal/schema/memory_events.fbs). decode_* run the FlatBuffers verifier and
// return kCorruption for a payload that is not what its type says.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "journal/status.h"

namespace signet::engine {

struct Remembered {
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
  std::optional<double> confidence;
};

// Only changed fields are set.
struct Modified {
  std::optional<std::string> content;
  std::optional<std::string> content_hash;
  std::optional<std::string> type;
  std::optional<std::vector<std::string>> tags;
  std::optional<double> importance;
  std::optional<bool> pinned;
  std::optional<std::string> who;
  std::optional<std::string> project;
  std::string reason;
};

struct Forgotten {
  std::string reason;
  bool force = false;
};

struct Recovered {
  std::string reason;
};

struct Purged {
  std::string reason;
};

struct EmbeddingRecorded {
  std::string memory_id;
  std::string model;
  uint32_t dims = 0;
  std::string content_hash;
  std::vector<float> vector;
};

struct MemoriesAccessed {
  std::vector<std::string> ids;
  std::vector<uint32_t> counts;  // parallel to ids
};

struct EmbeddingModelChanged {
  std::string model;
  uint32_t dims = 0;
};

std::string encode(const Remembered& e);
std::string encode(const Modified& e);
std::string encode(const Forgotten& e);
std::string encode(const Recovered& e);
std::string encode(const Purged& e);
std::string encode(const EmbeddingRecorded& e);
std::string encode(const MemoriesAccessed& e);
std::string encode(const EmbeddingModelChanged& e);

Result<Remembered> decode_remembered(std::string_view payload);
Result<Modified> decode_modified(std::string_view payload);
Result<Forgotten> decode_forgotten(std::string_view payload);
Result<Recovered> decode_recovered(std::string_view payload);
Result<Purged> decode_purged(std::string_view payload);
Result<EmbeddingRecorded> decode_embedding_recorded(std::string_view payload);
Result<MemoriesAccessed> decode_memories_accessed(std::string_view payload);
Result<EmbeddingModelChanged> decode_embedding_model_changed(std::string_view payload);

}  // namespace signet::engine
