#include "projections/rebuild.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "engine/memory_events.h"
#include "engine/memory_record.h"
#include "projections/fts/fts_projection.h"
#include "projections/memories/memories_projection.h"
#include "projections/timeline/timeline_projection.h"
#include "projections/views_db.h"

namespace signet::projections {

namespace fs = std::filesystem;

std::string_view projection_kind_name(ProjectionKind k) {
  switch (k) {
    case ProjectionKind::kMemories: return "memories";
    case ProjectionKind::kFts: return "fts";
    case ProjectionKind::kVectors: return "vectors";
    case ProjectionKind::kTimeline: return "timeline";
  }
  return "?";
}

Result<std::vector<ProjectionKind>> parse_projection_list(std::string_view text) {
  if (text == "all" || text.empty())
    return std::vector<ProjectionKind>{ProjectionKind::kMemories, ProjectionKind::kFts, ProjectionKind::kVectors,
                                       ProjectionKind::kTimeline};
  std::vector<ProjectionKind> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view name = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (name == "memories") out.push_back(ProjectionKind::kMemories);
    else if (name == "fts") out.push_back(ProjectionKind::kFts);
    else if (name == "vectors") out.push_back(ProjectionKind::kVectors);
    else if (name == "timeline") out.push_back(ProjectionKind::kTimeline);
    else
      return Status::InvalidArgument("unknown projection '" + std::string(name) +
                                     "': expected memories, fts, vectors, timeline or all");
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

Result<VectorOptions> vector_options_at(const journal::Journal& journal, uint64_t to_seq, VectorOptions fallback) {
  SIGNET_ASSIGN_OR_RETURN(auto events, journal.read_stream(engine::kEmbeddingModelStream));
  for (const auto& e : events) {
    if (to_seq != 0 && e.seq > to_seq) break;
    auto m = engine::decode_embedding_model_changed(e.payload);
    if (!m.ok()) return m.status();
    fallback.model = m->model;
    fallback.dims = m->dims;
  }
  return fallback;
}

Result<ProjectionLocations> read_locations(const ViewsDb& views) {
  ProjectionLocations l;
  SIGNET_ASSIGN_OR_RETURN(l.memories, views.location("memories", l.memories));
  SIGNET_ASSIGN_OR_RETURN(l.timeline, views.location("timeline", l.timeline));
  SIGNET_ASSIGN_OR_RETURN(l.fts, views.location("fts", l.fts));
  SIGNET_ASSIGN_OR_RETURN(l.vectors, views.location("vectors", l.vectors));
  return l;
}

Result<RebuildReport> rebuild_projections(const journal::Journal& journal, const RebuildOptions& o) {
  auto started = std::chrono::steady_clock::now();
  fs::path ws(o.workspace);
  std::error_code ec;
  std::vector<Projection*> targets;
  std::shared_ptr<ViewsDb> views;
  std::unique_ptr<MemoriesProjection> memories;
  std::unique_ptr<FtsProjection> fts;
  std::unique_ptr<VectorProjection> vectors;
  std::unique_ptr<TimelineProjection> timeline;
  auto open_views = [&]() -> Status {
    if (views) return Status::Ok();
    fs::create_directories(ws / "memory/views", ec);
    SIGNET_ASSIGN_OR_RETURN(views, ViewsDb::open((ws / "memory/views").string(), nullptr));
    return Status::Ok();
  };
  SIGNET_TRY(open_views());
  SIGNET_ASSIGN_OR_RETURN(ProjectionLocations where, read_locations(*views));
  for (ProjectionKind k : o.projections) {
    switch (k) {
      case ProjectionKind::kTimeline: {
        SIGNET_TRY(open_views());
        SIGNET_ASSIGN_OR_RETURN(timeline, TimelineProjection::open(views, where.timeline));
        SIGNET_TRY(timeline->reset());
        targets.push_back(timeline.get());
        break;
      }
      case ProjectionKind::kMemories: {
        SIGNET_TRY(open_views());
        SIGNET_ASSIGN_OR_RETURN(memories, MemoriesProjection::open(views, where.memories));
        SIGNET_TRY(memories->reset());
        targets.push_back(memories.get());
        break;
      }
      case ProjectionKind::kFts: {
        fs::create_directories(ws / "memory" / where.fts, ec);
        SIGNET_ASSIGN_OR_RETURN(fts, FtsProjection::open((ws / "memory" / where.fts).string()));
        SIGNET_TRY(fts->reset());
        targets.push_back(fts.get());
        break;
      }
      case ProjectionKind::kVectors: {
        fs::create_directories(ws / "memory" / where.vectors, ec);
        VectorOptions vo = o.vectors;
        vo.snapshot_every_events = UINT64_MAX;  // one snapshot at the end
        SIGNET_ASSIGN_OR_RETURN(vectors, VectorProjection::open((ws / "memory" / where.vectors).string(), vo));
        SIGNET_TRY(vectors->reset());
        targets.push_back(vectors.get());
        break;
      }
    }
  }
  RebuildReport report;
  uint64_t head = journal.last_seq();
  report.to_seq = (o.to_seq == 0 || o.to_seq > head) ? head : o.to_seq;
  // Each projection replays on its own thread, reading the journal itself:
  // they share nothing but the views database (RocksDB, thread-safe), and
  // the slowest (vectors, at scale) no longer waits for the others per batch.
  struct Lane {
    Projection* projection = nullptr;
    std::atomic<uint64_t> applied{0};
    std::atomic<bool> done{false};
    uint64_t events = 0;  // read after join
    Status status;        // read after join
  };
  std::vector<std::unique_ptr<Lane>> lanes;
  for (Projection* p : targets) {
    lanes.push_back(std::make_unique<Lane>());
    lanes.back()->projection = p;
  }
  std::atomic<bool> failed{false};
  std::mutex done_mu;
  std::condition_variable done_cv;
  auto replay = [&](Lane& lane) {
    uint64_t next = 1;
    while (next <= report.to_seq && !failed) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(o.batch_events, report.to_seq - next + 1));
      auto events = journal.read(next, n, journal::Journal::kReadBatchBytes);
      if (!events.ok()) {
        lane.status = events.status();
        break;
      }
      if (events->empty()) break;
      Status st = lane.projection->apply(*events);
      if (!st.ok()) {
        lane.status = st.WithContext("rebuilding " + std::string(lane.projection->name()));
        break;
      }
      lane.events += events->size();
      next = events->back().seq + 1;
      lane.applied = next - 1;
    }
    if (!lane.status.ok()) failed = true;
    std::lock_guard<std::mutex> lock(done_mu);
    lane.done = true;
    done_cv.notify_all();
  };
  std::vector<std::thread> threads;
  for (auto& lane : lanes) threads.emplace_back(replay, std::ref(*lane));
  auto all_done = [&] {
    return std::all_of(lanes.begin(), lanes.end(), [](const auto& l) { return l->done.load(); });
  };
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(done_mu);
      if (done_cv.wait_for(lock, std::chrono::milliseconds(100), all_done)) break;
    }
    if (o.progress) {
      uint64_t slowest = report.to_seq;
      for (const auto& l : lanes) slowest = std::min<uint64_t>(slowest, l->applied.load());
      o.progress(slowest, report.to_seq);
    }
  }
  for (auto& t : threads) t.join();
  for (const auto& l : lanes) SIGNET_TRY(l->status);
  report.events = lanes.empty() ? 0 : lanes[0]->events;
  if (o.progress) o.progress(report.to_seq, report.to_seq);
  if (vectors) SIGNET_TRY(vectors->snapshot());
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace signet::projections
