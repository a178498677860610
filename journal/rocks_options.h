// RocksDB option helpers shared by the journal and the views database.
// Internal to journal/ and projections/; not part of any public header.
#pragma once

#include <rocksdb/cache.h>
#include <rocksdb/options.h>
#include <rocksdb/status.h>
#include <rocksdb/write_buffer_manager.h>

#include <memory>
#include <string>

#include "journal/status.h"
#include "journal/storage_budget.h"

namespace signet::journal {

// Options for a small, mostly idle database: shared cache and write buffers,
// few background threads, small memtables.
rocksdb::Options small_db_options(const std::shared_ptr<StorageBudget>& budget);
rocksdb::ColumnFamilyOptions small_cf_options(const std::shared_ptr<StorageBudget>& budget,
                                              size_t write_buffer_bytes);

// Maps a RocksDB status to ours; disk-full becomes kNoSpace.
Status from_rocks(const rocksdb::Status& s, const std::string& context);

// Big-endian u64 keys sort numerically.
std::string encode_u64_be(uint64_t v);
uint64_t decode_u64_be(const char* p);

}  // namespace signet::journal
