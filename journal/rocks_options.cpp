#include "journal/rocks_options.h"

#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include <cstdarg>
#include <cstdio>
#include <string_view>

#include "journal/log.h"

namespace signet::journal {
namespace {

// RocksDB's own log goes to ours (category "rocksdb"), warnings and worse
// only, instead of a LOG file in each database directory: on a full disk
// RocksDB 7.8 aborts (an assertion, on in Debian's build) when it logs an
// error through a LOG file whose last write failed.
class RocksLogger final : public rocksdb::Logger {
 public:
  RocksLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override { Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char buf[1024];
    int n = std::vsnprintf(buf, sizeof(buf), format, ap);
    if (n < 0) return;
    // Creating a database, RocksDB lists its not-yet-existing directory and
    // logs the miss as an error: noise, not a problem.
    std::string_view text(buf);
    if (text.find("Error when reading") != std::string_view::npos && text.find("NotFound") != std::string_view::npos)
      return;
    auto logger = log::get("rocksdb");
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) logger->error("{}", buf);
    else logger->warn("{}", buf);
  }
};

class RocksStorageBudget final : public StorageBudget {
 public:
  explicit RocksStorageBudget(const Limits& limits)
      : StorageBudget(limits),
        cache(rocksdb::NewLRUCache(limits.block_cache_bytes)),
        write_buffers(std::make_shared<rocksdb::WriteBufferManager>(limits.write_buffer_bytes)) {}
  std::shared_ptr<rocksdb::Cache> cache;
  std::shared_ptr<rocksdb::WriteBufferManager> write_buffers;
};

}  // namespace

std::shared_ptr<StorageBudget> StorageBudget::create(const Limits& limits) {
  return std::make_shared<RocksStorageBudget>(limits);
}

rocksdb::ColumnFamilyOptions small_cf_options(const std::shared_ptr<StorageBudget>& budget,
                                              size_t write_buffer_bytes) {
  rocksdb::ColumnFamilyOptions cf;
  cf.write_buffer_size = write_buffer_bytes;
  cf.max_write_buffer_number = 2;
  cf.target_file_size_base = 16u << 20;
  cf.max_bytes_for_level_base = 64u << 20;
  cf.level0_file_num_compaction_trigger = 4;
  cf.compression = rocksdb::kLZ4Compression;
  cf.bottommost_compression = rocksdb::kZSTD;
  rocksdb::BlockBasedTableOptions table;
  auto* rb = static_cast<RocksStorageBudget*>(budget.get());
  table.block_cache = rb->cache;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.block_size = 16 * 1024;
  // Point reads (a recall's rows, a stream's head) otherwise search every L0
  // file and level in turn: 10 bits a key (~1% false positives) lets them
  // skip the files without the key. The memtable gets one too, for the keys
  // it does not hold.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // A point read finds its key in a data block by hash rather than by binary
  // search and a scan of up to 16 keys (RocksDB's data block hash index;
  // seeks still use the binary search).
  table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  table.data_block_hash_table_util_ratio = 0.75;
  cf.memtable_whole_key_filtering = true;
  cf.memtable_prefix_bloom_size_ratio = 0.05;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

rocksdb::Options small_db_options(const std::shared_ptr<StorageBudget>& budget) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.max_background_jobs = 2;
  options.max_open_files = 256;  // bounded descriptors, whatever the data size
  options.keep_log_file_num = 3;
  options.max_log_file_size = 1u << 20;
  options.max_manifest_file_size = 4u << 20;
  options.recycle_log_file_num = 0;
  options.avoid_flush_during_shutdown = false;
  static const auto rocks_logger = std::make_shared<RocksLogger>();
  options.info_log = rocks_logger;
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  auto* rb = static_cast<RocksStorageBudget*>(budget.get());
  options.write_buffer_manager = rb->write_buffers;
  static_cast<rocksdb::ColumnFamilyOptions&>(options) = small_cf_options(budget, 4u << 20);
  return options;
}

Status from_rocks(const rocksdb::Status& s, const std::string& context) {
  if (s.ok()) return Status::Ok();
  std::string msg = context + ": " + s.ToString();
  if (s.IsNoSpace() || s.ToString().find("No space left") != std::string::npos) return Status::NoSpace(msg);
  if (s.IsCorruption()) return Status::Corruption(msg);
  if (s.IsNotFound()) return Status::NotFound(msg);
  if (s.IsBusy() || s.IsTryAgain() || s.IsTimedOut()) return Status::Unavailable(msg);
  return Status::IOError(msg);
}

std::string encode_u64_be(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

uint64_t decode_u64_be(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

}  // namespace signet::journal
