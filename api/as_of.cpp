#include "api/as_of.h"

#include <filesystem>

#include "engine/memory_events.h"
#include "journal/clock.h"
#include "journal/log.h"
#include "projections/rebuild.h"

namespace signet::api {

namespace fs = std::filesystem;

Result<uint64_t> resolve_as_of(const journal::Journal& journal, const std::string& value) {
  if (value.empty()) return Status::InvalidArgument("as_of is empty: give an ISO-8601 time or a seq");
  if (value.find_first_not_of("0123456789") == std::string::npos) {
    if (value.size() > 19) return Status::InvalidArgument("as_of: seq " + value + " is out of range");
    return std::min<uint64_t>(std::stoull(value), journal.last_seq());
  }
  auto t = parse_iso8601_end(value);
  if (!t.ok()) return Status::InvalidArgument("as_of: " + t.status().message());
  return journal.last_seq_at(*t);
}

Result<std::optional<engine::MemoryRecord>> memory_as_of(const journal::Journal& journal, std::string_view id,
                                                         uint64_t seq) {
  SIGNET_ASSIGN_OR_RETURN(auto events, journal.read_stream(engine::memory_stream(id)));
  engine::MemoryRecord m;
  bool exists = false;
  for (const auto& e : events) {
    if (e.seq > seq) break;
    SIGNET_TRY(engine::fold_memory_event(m, e));
    exists = true;
  }
  if (!exists || m.purged) return std::optional<engine::MemoryRecord>();
  SIGNET_ASSIGN_OR_RETURN(auto embeddings, journal.read_stream(engine::embedding_stream(id)));
  for (const auto& e : embeddings) {
    if (e.seq > seq) break;
    auto r = engine::decode_embedding_recorded(e.payload);
    if (r.ok() && r->content_hash == m.content_hash) engine::fold_embedding(m, *r);
  }
  return std::optional<engine::MemoryRecord>(std::move(m));
}

AsOfView::~AsOfView() {
  vectors.reset();
  fts.reset();
  memories.reset();
  views.reset();
  std::error_code ec;
  if (!dir.empty()) fs::remove_all(dir, ec);
}

AsOfViews::AsOfViews(const journal::Journal& journal, std::string scratch_dir, projections::VectorOptions vectors,
                     size_t keep)
    : journal_(journal), scratch_dir_(std::move(scratch_dir)), vectors_(std::move(vectors)), keep_(keep) {
  std::error_code ec;
  fs::remove_all(scratch_dir_, ec);  // left over from a previous run
}

Result<std::shared_ptr<const AsOfView>> AsOfViews::at(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = cache_.begin(); it != cache_.end(); ++it) {
    if ((*it)->seq != seq) continue;
    auto view = *it;
    cache_.erase(it);
    cache_.push_front(view);
    return view;
  }
  auto started = std::chrono::steady_clock::now();
  auto view = std::make_shared<AsOfView>();
  view->seq = seq;
  view->dir = (fs::path(scratch_dir_) / (std::to_string(seq) + "-" + std::to_string(++counter_))).string();
  projections::RebuildOptions ro;
  ro.workspace = view->dir;
  ro.projections = {projections::ProjectionKind::kMemories, projections::ProjectionKind::kFts,
                    projections::ProjectionKind::kVectors};
  ro.to_seq = seq == 0 ? 0 : seq;
  SIGNET_ASSIGN_OR_RETURN(ro.vectors, projections::vector_options_at(journal_, seq, vectors_));
  if (seq == 0) {
    // Before the first event there is nothing: empty projections.
    ro.to_seq = 0;
  }
  if (seq > 0) {
    auto report = projections::rebuild_projections(journal_, ro);
    if (!report.ok()) return report.status();
  }
  fs::path ws(view->dir);
  std::error_code ec;
  fs::create_directories(ws / "memory/views", ec);
  fs::create_directories(ws / "memory/fts", ec);
  fs::create_directories(ws / "memory/vectors", ec);
  SIGNET_ASSIGN_OR_RETURN(view->views, projections::ViewsDb::open((ws / "memory/views").string(), nullptr));
  SIGNET_ASSIGN_OR_RETURN(view->memories, projections::MemoriesProjection::open(view->views));
  SIGNET_ASSIGN_OR_RETURN(view->fts, projections::FtsProjection::open((ws / "memory/fts").string()));
  SIGNET_ASSIGN_OR_RETURN(view->vectors, projections::VectorProjection::open((ws / "memory/vectors").string(), ro.vectors));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  log::get("memory")->info("as_of view at seq {} built in {:.2f} s", seq, secs);
  cache_.push_front(view);
  while (cache_.size() > keep_) cache_.pop_back();  // removed once no reader holds it
  return std::shared_ptr<const AsOfView>(view);
}

}  // namespace signet::api
