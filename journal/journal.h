// The append-only event log: one RocksDB, events keyed by seq (u64 big-endian).
//
// append() may be called from any thread: commits are queued to one writer
// thread that packs everything waiting into a single WriteBatch and syncs the
// WAL once for the whole group (group commit). Stream heads, the stream index
// and reservations are written in that same batch, so they can never disagree
// with the events. Readers may be any thread.
//
// Record layout and checksums: docs/journal_format.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "journal/clock.h"
#include "journal/event.h"
#include "journal/status.h"
#include "journal/storage_budget.h"

namespace signet::journal {

// The aggregate rules the journal needs to keep heads and reservations; pure
// functions supplied by the engine, applied on the writer thread, on import
// and on verify alike.
class StreamModel {
 public:
  virtual ~StreamModel() = default;
  // The head state after `event`, given the state before it ("" when new).
  virtual Result<std::string> fold(std::string_view state, const Event& event) const = 0;
  // The unique keys a stream in `state` holds (e.g. "hash:<sha256>"). A commit
  // that would take a key another stream holds is refused with kConflict.
  virtual void reserved_keys(std::string_view stream, std::string_view state,
                             std::vector<std::string>& keys) const = 0;
};

enum class SyncMode : uint8_t {
  kAlways,  // every commit group is on disk (WAL fsync) before append returns
  kBatch,   // acknowledged after write(); the WAL is fsynced every sync_batch_ms
  kOff,     // never fsynced by us: survives a process crash, not a power cut
};

struct JournalOptions {
  std::string path;
  SyncMode sync = SyncMode::kAlways;
  uint32_t sync_batch_ms = 10;
  const Clock* clock = SystemClock::instance();
  const StreamModel* model = nullptr;  // must outlive the journal; null: heads hold no state
  std::shared_ptr<StorageBudget> budget;  // shared block cache and write buffers; null: own
  bool read_only = false;                  // no writer; for offline tools
  uint32_t group_commits_max = 1024;      // commits packed into one WriteBatch at most
};

struct JournalStats {
  uint64_t commits = 0;       // commits accepted
  uint64_t refused = 0;       // commits refused (conflict)
  uint64_t groups = 0;        // WriteBatches written
  uint64_t syncs = 0;         // WAL syncs we asked for
  uint64_t wal_synced = 0;    // WAL syncs RocksDB reports (ticker WAL_FILE_SYNCED)
  uint64_t bytes_written = 0; // encoded event bytes
};

struct VerifyReport {
  uint64_t events = 0;
  uint64_t last_seq = 0;
  uint64_t streams = 0;
};

class Journal {
 public:
  static Result<std::unique_ptr<Journal>> open(const JournalOptions& options);
  ~Journal();  // finishes queued commits, then closes
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Appends `commit` atomically and returns once it is durable per options.sync.
  // kConflict if an expected version does not hold or a reserved key is taken
  // (nothing of the commit is written); kNoSpace / kIOError if the disk refused;
  // kUnavailable once closing.
  Result<Appended> append(Commit commit);

  // Events with seq in [from_seq, from_seq + count_max), each checksum verified,
  // stopping early (after at least one) once their payloads reach bytes_max.
  // kCorruption names the first bad seq; a record is never skipped.
  Result<std::vector<Event>> read(uint64_t from_seq, size_t count_max, size_t bytes_max = SIZE_MAX) const;
  // A bytes_max for readers that tail or replay the journal: an access-count
  // event holds thousands of ids (up to 16,384), and 2,048 such events read at
  // once (catching up after a busy hour of recalls) took 140 MB that the
  // allocator then kept.
  static constexpr size_t kReadBatchBytes = 4u << 20;
  Result<Event> read_one(uint64_t seq) const;
  // A stream's events from `from_version`, in order.
  Result<std::vector<Event>> read_stream(std::string_view stream, uint64_t from_version = 1,
                                         size_t count_max = SIZE_MAX) const;
  Result<std::optional<StreamHead>> head(std::string_view stream) const;  // nullopt: no events
  // The stream holding a reserved key, if any.
  Result<std::optional<std::string>> reservation(std::string_view key) const;

  uint64_t last_seq() const;  // highest committed seq; 0 when empty
  // Highest seq committed at or before `ts_us` (0 if none). ts_us never decreases with seq.
  Result<uint64_t> last_seq_at(int64_t ts_us) const;

  // Blocks until last_seq() >= seq or the timeout passes; true if reached.
  bool wait_for(uint64_t seq, std::chrono::milliseconds timeout) const;
  // `listener` is called on the writer thread after each committed group with
  // the new last seq. It must not block. Returns an id for remove_listener.
  uint64_t on_commit(std::function<void(uint64_t last_seq)> listener);
  void remove_listener(uint64_t id);

  // Writes events exactly as given (seq, ts and all), deriving heads, the
  // stream index and reservations as append does. For restore and offline
  // tools: events[0].seq must be last_seq() + 1 and seqs dense; no concurrent appends.
  Status import(const std::vector<Event>& events);

  // Checks every record's checksum, seq density, and stream versions; calls
  // progress(seq) now and then. kCorruption names the first bad seq.
  Result<VerifyReport> verify(const std::function<void(uint64_t seq)>& progress = {}) const;

  // Hot, incremental backup of the journal into `backup_dir` (RocksDB
  // BackupEngine: files already backed up are shared, not copied again);
  // `metadata` is stored with it. Returns the backup id. See backup_store.h.
  Result<uint32_t> backup(const std::string& backup_dir, const std::string& metadata = "");

  JournalStats stats() const;
  const std::string& path() const;

  class Impl;

 private:
  explicit Journal(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace signet::journal
