// The memories projection: one row per memory as GET /api/memory/:id shows it,
// a newest-first time index for listing, per-author counts, and the stats of
// GET /api/memories. Lives in the views RocksDB under its namespace.
//
// Reads may come from any thread and see whole batches only (each apply is one
// WriteBatch with the checkpoint). apply() is called by one runner thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/memory_record.h"
#include "projections/memory_filter.h"
#include "projections/projection.h"
#include "projections/views_db.h"

namespace signet::projections {


struct MemoryStats {
  uint64_t total = 0;            // not deleted
  uint64_t critical = 0;         // pinned, not deleted
  uint64_t with_embeddings = 0;  // not deleted, vector for the current content
  uint64_t deleted = 0;          // soft-deleted, not yet purged
};

class MemoriesProjection final : public Projection {
 public:
  static constexpr uint32_t kVersion = 2;  // 2: access stats apart from the rows

  // `ns` lets a rebuild run side by side with the live namespace ("mem").
  static Result<std::unique_ptr<MemoriesProjection>> open(std::shared_ptr<ViewsDb> views, std::string ns = "mem");

  std::string_view name() const override { return "memories"; }
  uint32_t version() const override { return kVersion; }
  uint64_t checkpoint() const override { return checkpoint_.load(); }
  Status apply(std::span<const journal::Event> events) override;
  Status reset() override;
  bool rebuilt_on_open() const { return rebuilt_on_open_; }

  // A row, deleted or not; nullopt when it never existed or was purged.
  Result<std::optional<engine::MemoryRecord>> get(std::string_view id) const;
  // The rows of those ids that exist, in order. kWithoutAccess leaves
  // access_count and last_accessed at zero, for readers that show neither
  // (recall), and saves a lookup per row.
  enum class Fields : uint8_t { kAll, kWithoutAccess };
  Result<std::vector<engine::MemoryRecord>> get_many(const std::vector<std::string>& ids,
                                                     Fields fields = Fields::kAll) const;
  // Newest first.
  Result<std::vector<engine::MemoryRecord>> list(const MemoryFilter& filter, size_t offset, size_t limit) const;
  Result<MemoryStats> stats() const;
  Result<std::vector<std::string>> distinct_who() const;
  // Every key of the namespace in order, from `from` on (e.g. "r/": the rows
  // only, past the access counts), as (key less the namespace, value); `fn`
  // returns false to stop. For comparisons, exports and sweeps.
  Status scan_rows(const std::function<bool(std::string_view key, std::string_view value)>& fn,
                   std::string_view from = {}) const;

 private:
  MemoriesProjection(std::shared_ptr<ViewsDb> views, std::string ns) : views_(std::move(views)), ns_(std::move(ns)) {}

  Result<std::optional<engine::MemoryRecord>> read_row(std::string_view id) const;  // without access stats
  Result<std::vector<engine::MemoryRecord>> read_rows(const rocksdb::ReadOptions& ro,
                                                      const std::vector<std::string>& ids, bool with_access) const;
  std::string row_key(std::string_view id) const;
  std::string access_key(std::string_view id) const;
  std::string time_key(int64_t created_us, std::string_view id) const;
  std::string who_key(std::string_view who) const;
  std::string stats_key() const;

  std::shared_ptr<ViewsDb> views_;
  std::string ns_;
  std::atomic<uint64_t> checkpoint_{0};
  bool rebuilt_on_open_ = false;
};

}  // namespace signet::projections
