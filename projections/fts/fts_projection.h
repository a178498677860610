// The full-text projection: a Xapian index of memory content (English
// stemming), with boolean terms for type, tags, who, project, pinned and
// deleted, and values for created_at and importance, so every MemoryFilter is
// applied inside Xapian. Lives in memory/fts/.
//
// The checkpoint ("signet.checkpoint_seq") and the projection version are
// Xapian metadata set before the same commit() as the documents. The index is
// written without fsync (Xapian DB_NO_SYNC): it is rebuilt from the journal if
// it is found damaged on open.
//
// apply() is called by one runner thread, which owns the WritableDatabase.
// search() may be called from any number of threads at once.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "projections/memory_filter.h"
#include "projections/projection.h"

namespace signet::projections {

struct FtsOptions {
  size_t reader_pool_size = 8;  // Xapian::Database handles shared by search threads
  // Read the whole index back on open even when the machine has not restarted
  // since the last commit (by default only after a restart: see the .cpp).
  bool always_verify_on_open = false;
  // A commit is not started with less free space than this, plus
  // free_bytes_per_document for each document in it (capped at 64 MiB): apply
  // fails with NoSpace and the runner retries. Xapian 1.4 can abort the
  // process when the disk fills inside a commit.
  uint64_t free_bytes_min = 8u << 20;
  uint64_t free_bytes_per_document = 32u << 10;
};

struct FtsQuery {
  std::string text;     // anything a user types; bad syntax falls back to plain terms
  MemoryFilter filter;  // deleted memories are excluded unless filter.include_deleted
  size_t limit = 20;
};

struct FtsHit {
  std::string id;
  double score = 0;  // in (0, 1]; more matched query terms rank higher
  double bm25 = 0;   // Xapian's raw BM25 weight
};

class FtsProjection final : public Projection {
 public:
  // 2: spelling data for query correction; 3: compound terms of hyphenated words
  static constexpr uint32_t kVersion = 3;
  static Result<std::unique_ptr<FtsProjection>> open(const std::string& dir, FtsOptions options = {});
  ~FtsProjection() override;

  std::string_view name() const override { return "fts"; }
  uint32_t version() const override { return kVersion; }
  uint64_t checkpoint() const override;
  Status apply(std::span<const journal::Event> events) override;
  Status reset() override;
  bool rebuilt_on_open() const;  // version change or damage found on open

  // Ranked hits, best first. Never fails on query text; kIOError only if the
  // index itself cannot be read.
  Result<std::vector<FtsHit>> search(const FtsQuery& query) const;
  // Memories matching `filter` only (no text), newest first.
  Result<std::vector<std::string>> filter_only(const MemoryFilter& filter, size_t limit) const;
  uint64_t document_count() const;

  class Impl;

 private:
  explicit FtsProjection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace signet::projections
