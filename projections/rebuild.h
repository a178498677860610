// Rebuilding projections from the journal, offline or side by side: one pass
// over the journal (optionally cut at a seq) feeding every chosen projection
// in large batches. Used by signet-replay, by restore, and by the daemon's
// POST /api/repair/rebuild. Replay never calls an embedding provider: vectors
// come from EmbeddingRecorded events.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "journal/journal.h"
#include "projections/vectors/vector_projection.h"
#include "projections/views_db.h"

namespace signet::projections {

enum class ProjectionKind : uint8_t { kMemories, kFts, kVectors, kTimeline };
std::string_view projection_kind_name(ProjectionKind k);
// "memories", "fts", "vectors", "timeline", a comma list of them, or "all".
Result<std::vector<ProjectionKind>> parse_projection_list(std::string_view text);

struct RebuildOptions {
  std::string workspace;  // projections go to <workspace>/memory/{views,fts,vectors}
  std::vector<ProjectionKind> projections = {ProjectionKind::kMemories, ProjectionKind::kFts,
                                             ProjectionKind::kVectors, ProjectionKind::kTimeline};
  uint64_t to_seq = 0;  // 0: the journal's head
  VectorOptions vectors;
  size_t batch_events = 8192;
  // Called now and then with (applied seq, cut seq).
  std::function<void(uint64_t seq, uint64_t to_seq)> progress;
};

struct RebuildReport {
  uint64_t events = 0;
  uint64_t to_seq = 0;
  double seconds = 0;
  double events_per_s() const { return seconds > 0 ? static_cast<double>(events) / seconds : 0; }
};

// The embedding model and dims in force at `to_seq` (the last
// EmbeddingModelChanged at or before it; 0: the head), else `fallback`'s.
Result<VectorOptions> vector_options_at(const journal::Journal& journal, uint64_t to_seq, VectorOptions fallback);

// Where each projection lives in a workspace (ViewsDb::location): the
// memories and timeline namespaces in memory/views, the fts and vectors
// directories under memory/.
struct ProjectionLocations {
  std::string memories = "mem";
  std::string timeline = "tl";
  std::string fts = "fts";
  std::string vectors = "vectors";
};
Result<ProjectionLocations> read_locations(const ViewsDb& views);

// Drops the chosen projections in `options.workspace` (where they live now)
// and replays events 1..to_seq into them. The workspace must not be served by
// a running daemon.
Result<RebuildReport> rebuild_projections(const journal::Journal& journal, const RebuildOptions& options);

}  // namespace signet::projections
