// The "views" RocksDB (memory/views/): row-shaped projections live here, each
// under its own key namespace with its checkpoint beside its rows. Internal to
// projections/.
//
// Keys:  <ns>/...                      a projection's data
//        meta/<ns>/checkpoint_seq      u64 BE, written in the same batch as the data
//        meta/<ns>/projection_version  u32 as decimal text
//
// Merge: a value of two u64 BE (count, time) merged with another adds the
// counts and keeps the later time, without reading the key first (counters
// such as access statistics). Only such keys may be merged.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <memory>
#include <string>

#include "journal/status.h"
#include "journal/storage_budget.h"

namespace signet::projections {

class ViewsDb {
 public:
  static Result<std::shared_ptr<ViewsDb>> open(const std::string& path,
                                               std::shared_ptr<journal::StorageBudget> budget,
                                               bool read_only = false);
  ~ViewsDb();
  rocksdb::DB* db() { return db_.get(); }
  // Writes a batch; after a failed write (a full disk puts RocksDB in
  // read-only mode) the next one first asks RocksDB to resume.
  Status write(rocksdb::WriteBatch& batch, const std::string& what);
  const std::string& path() const { return path_; }

  // The Merge operand that adds `count` and raises the time to `time`.
  static std::string counter_operand(uint64_t count, uint64_t time);

  static std::string checkpoint_key(std::string_view ns);
  static std::string version_key(std::string_view ns);

  // Where a projection lives: its namespace here, or its directory under
  // memory/. A side-by-side rebuild writes elsewhere, then moves the pointer.
  // Keys meta/location/<projection>; `fallback` when none is stored.
  Result<std::string> location(std::string_view projection, std::string_view fallback) const;
  Status set_location(std::string_view projection, std::string_view where);
  // Drops every key of `ns` and its meta (a retired namespace).
  Status drop_namespace(std::string_view ns);

  Result<uint64_t> read_checkpoint(std::string_view ns) const;
  Result<uint32_t> read_version(std::string_view ns) const;  // 0 when none stored
  // Drops every key of `ns` and its meta, then stores `version` with checkpoint 0.
  Status reset_namespace(std::string_view ns, uint32_t version);

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::string path_;
  std::atomic<bool> needs_resume_{false};
};

}  // namespace signet::projections
