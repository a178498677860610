// Fuzz target for the memory event payloads (engine/memory_events.h decode_*),
// the memories projection's rows (engine/memory_record.h decode_memory) and
// the fold that turns events into a memory (fold_memory_event). A payload is
// checked by the FlatBuffers verifier after the record's CRC, so any bytes a
// verifier lets through must be handled.
//
// Checked on any bytes:
//  - every decoder either fails with kCorruption or returns a value, and
//    pair assertion: encode(value) decodes to a value that encodes to the same
//    bytes (the encoding is deterministic, so equal bytes mean equal fields);
//  - fold_memory_event, with the bytes as the payload of each of the five
//    memory-stream event types and of one that does not belong there, folds
//    or refuses with kCorruption; fold_embedding and fold_access take what
//    decoded; the folded memory survives encode_memory / decode_memory.
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/memory_events.h"
#include "engine/memory_record.h"
#include "tests/fuzz/fuzz_check.h"

using namespace signet;
using namespace signet::engine;

namespace {

// decode -> encode -> decode -> encode: the two encodings must be equal.
template <typename T>
void round_trip(const Result<T>& first, Result<T> (*decode)(std::string_view), const char* what) {
  if (!first.ok()) {
    FUZZ_CHECK(first.status().code() == Code::kCorruption, what);
    return;
  }
  std::string bytes = encode(*first);
  auto second = decode(bytes);
  FUZZ_CHECK(second.ok(), what);
  FUZZ_CHECK(encode(*second) == bytes, what);
}

void check_memory(const MemoryRecord& m) {
  std::string bytes = encode_memory(m);
  auto back = decode_memory(bytes);
  FUZZ_CHECK(back.ok(), "an encoded memory does not decode");
  FUZZ_CHECK(encode_memory(*back) == bytes, "encode_memory/decode_memory changed the memory");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Own, heap-allocated bytes: the journal hands decoders std::string payloads.
  const std::string payload(reinterpret_cast<const char*>(data), size);

  round_trip(decode_remembered(payload), decode_remembered, "MemoryRemembered");
  round_trip(decode_modified(payload), decode_modified, "MemoryModified");
  round_trip(decode_forgotten(payload), decode_forgotten, "MemoryForgotten");
  round_trip(decode_recovered(payload), decode_recovered, "MemoryRecovered");
  round_trip(decode_purged(payload), decode_purged, "MemoryPurged");
  round_trip(decode_embedding_recorded(payload), decode_embedding_recorded, "EmbeddingRecorded");
  round_trip(decode_memories_accessed(payload), decode_memories_accessed, "MemoriesAccessed");
  round_trip(decode_embedding_model_changed(payload), decode_embedding_model_changed, "EmbeddingModelChanged");

  auto row = decode_memory(payload);
  if (row.ok()) check_memory(*row);
  else FUZZ_CHECK(row.status().code() == Code::kCorruption, row.status().ToString().c_str());

  // Fold the bytes as each event of a memory's stream, in stream order.
  MemoryRecord m = row.ok() ? *row : MemoryRecord{};
  journal::Event e;
  e.stream = "memory:fuzz";
  e.ts_us = 1'771'668'000'000'000;
  using journal::EventType;
  for (EventType type : {EventType::MemoryRemembered, EventType::MemoryModified, EventType::MemoryForgotten,
                         EventType::MemoryRecovered, EventType::MemoryPurged, EventType::EmbeddingRecorded}) {
    e.seq += 1;
    e.stream_version += 1;
    e.ts_us += 1000;
    e.type = type;
    e.payload = payload;
    Status st = fold_memory_event(m, e);
    if (type == EventType::EmbeddingRecorded) {
      FUZZ_CHECK(!st.ok(), "an EmbeddingRecorded event folded into a memory's own stream");
    }
    if (!st.ok()) {
      FUZZ_CHECK(st.code() == Code::kCorruption, st.ToString().c_str());
      continue;
    }
    FUZZ_CHECK(m.version == e.stream_version && m.last_seq == e.seq, "a fold did not stamp the version");
  }
  if (auto emb = decode_embedding_recorded(payload); emb.ok()) fold_embedding(m, *emb);
  if (auto acc = decode_memories_accessed(payload); acc.ok())
    for (uint32_t count : acc->counts) fold_access(m, count, e.ts_us);
  check_memory(m);
  return 0;
}
