// Point-in-time reads (?as_of=<ISO time|seq>).
//
// One memory and its history are folds of the memory's own stream up to the
// cut: cheap. Listing and recall as of a time need every memory as it was, so
// they use a temporary set of projections (memories, fts, vectors) replayed
// from seq 1 to the cut into a scratch directory (<workspace>/.daemon/asof/).
// That costs a replay of everything up to the cut (see docs/api.md for
// figures); the last two cuts are kept, so paging or several queries at the
// same time pay once. Scratch directories are removed when evicted and at start.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "api/http.h"
#include "journal/journal.h"
#include "projections/fts/fts_projection.h"
#include "projections/memories/memories_projection.h"
#include "projections/vectors/vector_projection.h"
#include "projections/views_db.h"

namespace signet::api {

// The seq an as_of value names: a number is a seq (capped at the head), a time
// is the last seq committed at or before it. kInvalidArgument names the value.
Result<uint64_t> resolve_as_of(const journal::Journal& journal, const std::string& value);

// A memory folded from its stream up to `seq` (with the embedding it had
// then); nullopt if it did not exist yet or was purged by then.
Result<std::optional<engine::MemoryRecord>> memory_as_of(const journal::Journal& journal, std::string_view id,
                                                         uint64_t seq);

struct AsOfView {
  uint64_t seq = 0;
  std::string dir;
  std::shared_ptr<projections::ViewsDb> views;
  std::unique_ptr<projections::MemoriesProjection> memories;
  std::unique_ptr<projections::FtsProjection> fts;
  std::unique_ptr<projections::VectorProjection> vectors;
  ~AsOfView();
};

class AsOfViews {
 public:
  AsOfViews(const journal::Journal& journal, std::string scratch_dir, projections::VectorOptions vectors,
            size_t keep = 2);
  // The projections as of `seq`, built on first use.
  Result<std::shared_ptr<const AsOfView>> at(uint64_t seq);

 private:
  const journal::Journal& journal_;
  std::string scratch_dir_;
  projections::VectorOptions vectors_;
  size_t keep_;
  std::mutex mu_;  // one build at a time; readers of a built view need no lock
  std::list<std::shared_ptr<const AsOfView>> cache_;  // most recent first
  uint64_t counter_ = 0;
};

}  // namespace signet::api
