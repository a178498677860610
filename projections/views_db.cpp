#include "projections/views_db.h"

#include <rocksdb/merge_operator.h>
#include <rocksdb/write_batch.h>

#include <algorithm>

#include "journal/rocks_options.h"

namespace signet::projections {

using journal::decode_u64_be;
using journal::encode_u64_be;
using journal::from_rocks;

namespace {

// Counters (see views_db.h): (count, time) + (count, time) -> (sum, max).
// Values of another size are refused: RocksDB then fails the read or the
// compaction that met them, rather than guessing.
class CounterMerge final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing, const rocksdb::Slice& value, std::string* out,
             rocksdb::Logger*) const override {
    if (value.size() != 16 || (existing && existing->size() != 16)) return false;
    uint64_t count = decode_u64_be(value.data()), time = decode_u64_be(value.data() + 8);
    if (existing) {
      count += decode_u64_be(existing->data());
      time = std::max(time, decode_u64_be(existing->data() + 8));
    }
    *out = encode_u64_be(count) + encode_u64_be(time);
    return true;
  }
  const char* Name() const override { return "signet.CounterMerge"; }
};

}  // namespace

std::string ViewsDb::counter_operand(uint64_t count, uint64_t time) { return encode_u64_be(count) + encode_u64_be(time); }

Result<std::shared_ptr<ViewsDb>> ViewsDb::open(const std::string& path,
                                               std::shared_ptr<journal::StorageBudget> budget, bool read_only) {
  if (!budget) budget = journal::StorageBudget::create();
  rocksdb::Options options = journal::small_db_options(budget);
  // Rows are read on every request and are small: keep blocks uncompressed
  // (decompressing them was ~4% of recall's CPU at 10k memories).
  options.compression = rocksdb::kNoCompression;
  options.bottommost_compression = rocksdb::kNoCompression;
  options.merge_operator = std::make_shared<CounterMerge>();
  rocksdb::DB* raw = nullptr;
  auto s = read_only ? rocksdb::DB::OpenForReadOnly(options, path, &raw) : rocksdb::DB::Open(options, path, &raw);
  if (!s.ok()) return from_rocks(s, "open views at " + path);
  auto v = std::shared_ptr<ViewsDb>(new ViewsDb());
  v->db_.reset(raw);
  v->path_ = path;
  return v;
}

ViewsDb::~ViewsDb() {
  if (!db_) return;
  if (!needs_resume_.load()) {
    rocksdb::FlushOptions fo;  // so the next open has no log to replay
    fo.wait = true;
    db_->Flush(fo).PermitUncheckedError();
  }
  db_->Close().PermitUncheckedError();
}

Status ViewsDb::write(rocksdb::WriteBatch& batch, const std::string& what) {
  if (needs_resume_.load()) {
    auto r = db_->Resume();
    if (!r.ok()) return from_rocks(r, what);
    needs_resume_ = false;
  }
  auto s = db_->Write(rocksdb::WriteOptions(), &batch);
  if (!s.ok()) needs_resume_ = true;
  return from_rocks(s, what);
}

std::string ViewsDb::checkpoint_key(std::string_view ns) { return "meta/" + std::string(ns) + "/checkpoint_seq"; }
std::string ViewsDb::version_key(std::string_view ns) { return "meta/" + std::string(ns) + "/projection_version"; }

Result<std::string> ViewsDb::location(std::string_view projection, std::string_view fallback) const {
  std::string v;
  auto s = db_->Get(rocksdb::ReadOptions(), "meta/location/" + std::string(projection), &v);
  if (s.IsNotFound()) return std::string(fallback);
  if (!s.ok()) return from_rocks(s, "read location of " + std::string(projection));
  return v;
}

Status ViewsDb::set_location(std::string_view projection, std::string_view where) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return from_rocks(db_->Put(wo, "meta/location/" + std::string(projection), std::string(where)),
                    "write location of " + std::string(projection));
}

Status ViewsDb::drop_namespace(std::string_view ns) {
  rocksdb::WriteBatch batch;
  std::string begin = std::string(ns) + "/";
  std::string end = std::string(ns) + "0";
  auto s = batch.DeleteRange(db_->DefaultColumnFamily(), begin, end);
  if (!s.ok()) return from_rocks(s, "drop " + std::string(ns));
  batch.Delete(checkpoint_key(ns));
  batch.Delete(version_key(ns));
  return from_rocks(db_->Write(rocksdb::WriteOptions(), &batch), "drop " + std::string(ns));
}

Result<uint64_t> ViewsDb::read_checkpoint(std::string_view ns) const {
  std::string v;
  auto s = db_->Get(rocksdb::ReadOptions(), checkpoint_key(ns), &v);
  if (s.IsNotFound()) return uint64_t{0};
  if (!s.ok()) return from_rocks(s, "read checkpoint of " + std::string(ns));
  if (v.size() != 8) return Status::Corruption("checkpoint of " + std::string(ns) + " is malformed");
  return decode_u64_be(v.data());
}

Result<uint32_t> ViewsDb::read_version(std::string_view ns) const {
  std::string v;
  auto s = db_->Get(rocksdb::ReadOptions(), version_key(ns), &v);
  if (s.IsNotFound()) return uint32_t{0};
  if (!s.ok()) return from_rocks(s, "read version of " + std::string(ns));
  return static_cast<uint32_t>(std::strtoul(v.c_str(), nullptr, 10));
}

Status ViewsDb::reset_namespace(std::string_view ns, uint32_t version) {
  std::string begin = std::string(ns) + "/";
  std::string end = std::string(ns) + "0";  // '0' follows '/'
  rocksdb::WriteBatch batch;
  auto s = batch.DeleteRange(db_->DefaultColumnFamily(), begin, end);
  if (!s.ok()) return from_rocks(s, "reset " + std::string(ns));
  batch.Put(checkpoint_key(ns), encode_u64_be(0));
  batch.Put(version_key(ns), std::to_string(version));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return from_rocks(db_->Write(wo, &batch), "reset " + std::string(ns));
}

}  // namespace signet::projections
