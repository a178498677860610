// The vector projection: one FAISS index of the current embedding of every
// live memory, for one model and one dimension. Cosine similarity as inner
// product over L2-normalised vectors. A flat index while small, HNSW once the
// number of vectors passes hnsw_threshold (switched by a rebuild of the
// index from the stored vectors, not from the journal).
//
// FAISS's own sequential ids are the internal ids; the projection keeps the
// internal id <-> memory id map and, per entry, what MemoryFilter needs, so a
// filter is applied during the search through an IDSelector (never
// IndexIDMap: in FAISS 1.7.3 its search refuses search parameters). HNSW
// cannot remove vectors: replaced and removed entries are tombstoned,
// excluded by the selector, and dropped by compaction.
//
// It follows every event: EmbeddingRecorded adds or replaces a memory's vector
// (only if model and dims match the options and the content hash is the
// memory's current one); a content change makes the old vector stale (out of
// results until a new one is recorded); forget excludes; recover brings back;
// purge removes.
//
// Persistence: a snapshot file (temp file, fsync, rename) holding the
// checkpoint seq, the options it was built with, the entries and the index;
// on open it is loaded and the runner replays the journal from its checkpoint.
// A snapshot of another model or dims is discarded (rebuild from seq 1).
//
// apply() is called by one runner thread; search() from any thread (a
// reader-writer lock: adding while searching is not safe in FAISS).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "projections/memory_filter.h"
#include "projections/projection.h"

namespace signet::projections {

struct VectorOptions {
  std::string model = "builtin";
  uint32_t dims = 256;
  size_t hnsw_threshold = 20000;    // flat below, HNSW at or above
  int hnsw_m = 32;
  int hnsw_ef_construction = 80;
  int hnsw_ef_search = 64;
  uint64_t snapshot_every_events = 50000;
  // Close writes a snapshot only when at least this many events since the
  // last one changed the index (or there is none): a snapshot of 1M vectors
  // is 1.3 GB, too slow to write on every stop, while replaying a few hundred
  // changes at the next open is quick.
  uint64_t snapshot_on_close_min_changes = 1000;
};

struct VectorHit {
  std::string id;
  float score = 0;  // cosine similarity
};

struct VectorStats {
  size_t vectors = 0;     // live, current vectors
  size_t tombstones = 0;  // entries awaiting compaction
  bool hnsw = false;
};

class VectorProjection final : public Projection {
 public:
  static constexpr uint32_t kVersion = 1;
  static Result<std::unique_ptr<VectorProjection>> open(const std::string& dir, VectorOptions options);
  ~VectorProjection() override;  // writes a snapshot if anything changed since the last

  std::string_view name() const override { return "vectors"; }
  uint32_t version() const override { return kVersion; }
  uint64_t checkpoint() const override;
  Status apply(std::span<const journal::Event> events) override;
  Status reset() override;
  bool rebuilt_on_open() const;

  // The k most similar live memories that pass `filter` (null: no filter).
  // `query` must have options.dims values; it is normalised here.
  Result<std::vector<VectorHit>> search(const std::vector<float>& query, size_t k,
                                        const MemoryFilter* filter = nullptr) const;
  // The stored (normalised) vector of a live memory, if it has a current one.
  std::optional<std::vector<float>> vector_of(std::string_view id) const;
  Status snapshot();  // writes the snapshot now
  VectorStats stats() const;
  const VectorOptions& options() const;

  class Impl;

 private:
  explicit VectorProjection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace signet::projections
