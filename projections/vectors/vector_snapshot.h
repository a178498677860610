// The vector projection's whole state, and its snapshot file.
//
// vectors.snapshot (little-endian; str := u32 length, bytes):
//   magic            8 bytes "SGNVEC\r\n"
//   format           u32   kSnapshotFormat
//   projection       u32   VectorProjection::kVersion
//   checkpoint_seq   u64   last applied seq
//   model            str   \ the options it was built for; another model or
//   dims             u32   / dims discards it (rebuild from seq 1)
//   strings          u32 n, str x n            interned values; [0] is ""
//   tag_sets         u32 n, { u32 m, u32 string_id x m } x n; [0] is {}
//   memories         u64 n, memory x n
//     memory := str id, u64 content_hash, u64 vector_hash, i64 created_at_us,
//               f64 importance, u32 type, u32 who, u32 project, u32 tag_set,
//               u32 entry (0xffffffff: none), u8 flags (1 deleted, 2 pinned)
//   entries          u64   the index's ntotal (tombstones included)
//   index            faiss::write_index of an IndexFlatIP or IndexHNSWFlat
//   crc              u32   crc32c, masked, of every byte above
//
// The entry table is not stored: entry i belongs to the memory whose `entry`
// is i, and an entry no memory claims is a tombstone.
//
// Written to vectors.snapshot.tmp, fsynced, renamed over the old one, and the
// directory fsynced, so a crash leaves the old snapshot or the new one. On
// read the crc is checked over the whole file before anything is parsed, so a
// damaged file is reported (kCorruption), never handed to FAISS's reader.
#pragma once

#include <faiss/Index.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "journal/status.h"
#include "projections/vectors/memory_table.h"

namespace signet::projections::vectors {

inline constexpr uint32_t kSnapshotFormat = 1;
inline constexpr std::string_view kSnapshotFile = "vectors.snapshot";

struct VectorState {
  uint64_t checkpoint_seq = 0;
  StringPool strings;
  TagSets tag_sets;
  MemoryMap memories;
  std::vector<MemoryNode*> entries;     // internal id -> its memory; null: a tombstone
  std::unique_ptr<faiss::Index> index;  // IndexFlatIP or IndexHNSWFlat; ntotal == entries.size()
};

// What a snapshot must have been built for to be used.
struct SnapshotKey {
  std::string_view model;
  uint32_t dims = 0;
  uint32_t projection_version = 0;
};

// Writes `state` as the snapshot at `path` (see the layout above).
Status write_snapshot(const std::string& path, const SnapshotKey& key, const VectorState& state);

// kNotFound: no snapshot. kInvalidArgument: one built for another model, dims,
// projection version or format. kCorruption: damaged. kIOError: unreadable.
Result<VectorState> read_snapshot(const std::string& path, const SnapshotKey& key);

// Removes the snapshot (and a leftover temp file); absent is fine.
Status remove_snapshot(const std::string& path);

}  // namespace signet::projections::vectors
