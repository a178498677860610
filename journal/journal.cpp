// Journal on RocksDB. Column families:
//   default       seq (u64 BE)                          -> record (journal/record.h)
//   heads         stream                                -> version u64 BE, last_seq u64 BE, state
//   streams       stream '\0' version (u64 BE)          -> seq (u64 BE)
//   reservations  key                                   -> stream holding it
//   meta          "format_version"                      -> "1"
// One writer thread owns every write; it validates each queued commit against
// the heads as they will be after the commits before it in the same group.
#include "journal/journal.h"

#include <rocksdb/db.h>
#include <rocksdb/statistics.h>
#include <rocksdb/utilities/backup_engine.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "journal/record.h"
#include "journal/rocks_options.h"

namespace signet::journal {
namespace {

constexpr const char* kFormatVersion = "1";
constexpr size_t kStreamNameBytesMax = 1024;

std::string head_value(const StreamHead& h) {
  std::string v = encode_u64_be(h.version);
  v += encode_u64_be(h.last_seq);
  v += h.state;
  return v;
}

Result<StreamHead> parse_head(std::string_view stream, const std::string& v) {
  if (v.size() < 16) return Status::Corruption("stream head of " + std::string(stream) + " is truncated");
  StreamHead h;
  h.version = decode_u64_be(v.data());
  h.last_seq = decode_u64_be(v.data() + 8);
  h.state = v.substr(16);
  return h;
}

std::string stream_index_key(std::string_view stream, uint64_t version) {
  std::string k(stream);
  k.push_back('\0');
  k += encode_u64_be(version);
  return k;
}

struct PendingCommit {
  Commit commit;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::optional<Result<Appended>> result;
};

}  // namespace

class Journal::Impl {
 public:
  JournalOptions options;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::ColumnFamilyHandle* events_cf = nullptr;
  rocksdb::ColumnFamilyHandle* heads_cf = nullptr;
  rocksdb::ColumnFamilyHandle* streams_cf = nullptr;
  rocksdb::ColumnFamilyHandle* reservations_cf = nullptr;
  rocksdb::ColumnFamilyHandle* meta_cf = nullptr;
  std::shared_ptr<rocksdb::Statistics> statistics;

  // Constant after open, then written only by the writer thread.
  std::atomic<uint64_t> last_seq{0};
  std::atomic<int64_t> last_ts_us{0};
  std::atomic<bool> needs_resume{false};
  Status last_write_failure;  // writer thread only: why needs_resume was set

  mutable std::mutex wait_mu;
  mutable std::condition_variable wait_cv;

  std::mutex queue_mu;
  std::condition_variable queue_cv;
  std::deque<PendingCommit*> queue;  // guarded by queue_mu
  bool closing = false;              // guarded by queue_mu
  std::thread writer;

  std::mutex sync_mu;
  std::condition_variable sync_cv;
  bool sync_stop = false;
  std::thread syncer;
  std::atomic<uint64_t> synced_seq{0};

  std::mutex listeners_mu;
  std::map<uint64_t, std::function<void(uint64_t)>> listeners;  // guarded by listeners_mu
  uint64_t next_listener_id = 1;                                // guarded by listeners_mu

  void notify_listeners(uint64_t seq) {
    std::lock_guard<std::mutex> lock(listeners_mu);
    for (auto& [id, l] : listeners) l(seq);
  }

  std::atomic<uint64_t> commits{0}, refused{0}, groups{0}, syncs{0}, bytes_written{0};

  ~Impl() { close(); }

  void close() {
    {
      std::lock_guard<std::mutex> lock(queue_mu);
      if (closing && !writer.joinable() && !syncer.joinable() && !db) return;
      closing = true;
    }
    queue_cv.notify_all();
    if (writer.joinable()) writer.join();
    {
      std::lock_guard<std::mutex> lock(sync_mu);
      sync_stop = true;
    }
    sync_cv.notify_all();
    if (syncer.joinable()) syncer.join();
    if (db) {
      if (!options.read_only && !needs_resume.load()) {
        db->SyncWAL().PermitUncheckedError();
        // Memtables to SST files, so the next open has no log to replay.
        rocksdb::FlushOptions fo;
        fo.wait = true;
        db->Flush(fo, handles).PermitUncheckedError();
      }
      for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
      handles.clear();
      db->Close().PermitUncheckedError();
      db.reset();
    }
  }

  // ---- reads -------------------------------------------------------------

  Result<std::optional<StreamHead>> get_head(std::string_view stream) const {
    std::string v;
    auto s = db->Get(rocksdb::ReadOptions(), heads_cf, rocksdb::Slice(stream.data(), stream.size()), &v);
    if (s.IsNotFound()) return std::optional<StreamHead>();
    if (!s.ok()) return from_rocks(s, "read stream head");
    SIGNET_ASSIGN_OR_RETURN(auto h, parse_head(stream, v));
    return std::optional<StreamHead>(std::move(h));
  }

  Result<std::optional<std::string>> get_reservation(std::string_view key) const {
    std::string v;
    auto s = db->Get(rocksdb::ReadOptions(), reservations_cf, rocksdb::Slice(key.data(), key.size()), &v);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return from_rocks(s, "read reservation");
    return std::optional<std::string>(std::move(v));
  }

  // ---- staging: shared by append (writer thread) and import --------------

  // Heads and reservations as they will be once the batch being built commits.
  // Changes made by the commit being staged are logged so a refused commit
  // can be taken back without copying the overlay.
  struct Overlay {
    std::unordered_map<std::string, std::optional<StreamHead>> heads;
    std::unordered_map<std::string, std::optional<std::string>> reservations;
    struct Undo {
      bool is_head;
      std::string key;
      std::optional<StreamHead> head;
      std::optional<std::string> reservation;
    };
    std::vector<Undo> undo;

    void set_head(const std::string& stream, StreamHead h) {
      auto& slot = heads[stream];
      undo.push_back({true, stream, slot, std::nullopt});
      slot = std::move(h);
    }
    void set_reservation(const std::string& key, std::optional<std::string> holder) {
      auto& slot = reservations[key];
      undo.push_back({false, key, std::nullopt, slot});
      slot = std::move(holder);
    }
    void rollback() {
      for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
        if (it->is_head) heads[it->key] = std::move(it->head);
        else reservations[it->key] = std::move(it->reservation);
      }
      undo.clear();
    }
  };

  Result<std::optional<StreamHead>> staged_head(Overlay& ov, const std::string& stream) const {
    auto it = ov.heads.find(stream);
    if (it != ov.heads.end()) return it->second;
    SIGNET_ASSIGN_OR_RETURN(auto h, get_head(stream));
    ov.heads.emplace(stream, h);
    return h;
  }

  Result<std::optional<std::string>> staged_reservation(Overlay& ov, const std::string& key) const {
    auto it = ov.reservations.find(key);
    if (it != ov.reservations.end()) return it->second;
    SIGNET_ASSIGN_OR_RETURN(auto r, get_reservation(key));
    ov.reservations.emplace(key, r);
    return r;
  }

  // Folds `event` (seq, ts and stream version already set) into the staged head
  // of its stream, re-derives the stream's reservations, and adds every write
  // to `batch`. kConflict if a reserved key belongs to another stream.
  Status stage_event(Overlay& ov, rocksdb::WriteBatch& batch, const Event& event, const std::string& record) {
    SIGNET_ASSIGN_OR_RETURN(auto before, staged_head(ov, event.stream));
    StreamHead after;
    after.version = event.stream_version;
    after.last_seq = event.seq;
    if (options.model) {
      SIGNET_ASSIGN_OR_RETURN(after.state, options.model->fold(before ? before->state : std::string_view(), event));
      std::vector<std::string> old_keys, new_keys;
      if (before) options.model->reserved_keys(event.stream, before->state, old_keys);
      options.model->reserved_keys(event.stream, after.state, new_keys);
      for (const auto& k : old_keys) {
        if (std::find(new_keys.begin(), new_keys.end(), k) != new_keys.end()) continue;
        SIGNET_ASSIGN_OR_RETURN(auto holder, staged_reservation(ov, k));
        if (holder && *holder == event.stream) {
          ov.set_reservation(k, std::nullopt);
          batch.Delete(reservations_cf, k);
        }
      }
      for (const auto& k : new_keys) {
        if (std::find(old_keys.begin(), old_keys.end(), k) != old_keys.end()) continue;
        SIGNET_ASSIGN_OR_RETURN(auto holder, staged_reservation(ov, k));
        if (holder && *holder != event.stream) {
          return Status::Conflict("key " + k + " is reserved by " + *holder);
        }
        ov.set_reservation(k, event.stream);
        batch.Put(reservations_cf, k, event.stream);
      }
    }
    batch.Put(events_cf, encode_u64_be(event.seq), record);
    batch.Put(streams_cf, stream_index_key(event.stream, event.stream_version), encode_u64_be(event.seq));
    batch.Put(heads_cf, event.stream, head_value(after));
    ov.set_head(event.stream, std::move(after));
    return Status::Ok();
  }

  // Validates and stages one commit. On refusal the overlay and batch are as before.
  Result<Appended> stage_commit(Overlay& ov, rocksdb::WriteBatch& batch, const Commit& c, uint64_t& seq,
                                int64_t ts_us) {
    if (c.streams.empty()) return Status::InvalidArgument("commit has no events");
    for (const auto& sa : c.streams) {
      if (sa.stream.empty() || sa.stream.size() > kStreamNameBytesMax ||
          sa.stream.find('\0') != std::string::npos)
        return Status::InvalidArgument("bad stream name");
      if (sa.events.empty()) return Status::InvalidArgument("stream append without events: " + sa.stream);
    }
    ov.undo.clear();
    batch.SetSavePoint();
    uint64_t next = seq;
    Appended out;
    out.ts_us = ts_us;
    auto fail = [&](Status st) -> Result<Appended> {
      ov.rollback();
      batch.RollbackToSavePoint().PermitUncheckedError();
      return st;
    };
    for (const auto& sa : c.streams) {
      auto head = staged_head(ov, sa.stream);
      if (!head.ok()) return fail(head.status());
      uint64_t version = *head ? (*head)->version : 0;
      switch (sa.expected.kind) {
        case ExpectedVersion::Kind::kAny: break;
        case ExpectedVersion::Kind::kNoStream:
          if (version != 0) return fail(Status::Conflict(sa.stream + " already exists"));
          break;
        case ExpectedVersion::Kind::kExact:
          if (version != sa.expected.version)
            return fail(Status::Conflict(sa.stream + " is at version " + std::to_string(version) + ", expected " +
                                         std::to_string(sa.expected.version)));
          break;
      }
      for (const auto& ne : sa.events) {
        Event e;
        e.seq = ++next;
        e.ts_us = ts_us;
        e.type = ne.type;
        e.type_version = ne.type_version;
        e.stream = sa.stream;
        e.stream_version = ++version;
        e.actor = c.actor;
        e.request_id = c.request_id;
        e.session_id = c.session_id;
        e.payload = ne.payload;
        std::string record = encode_record(e);
        bytes_written += record.size();
        Status st = stage_event(ov, batch, e, record);
        if (!st.ok()) return fail(st);
      }
      out.stream_versions.push_back(version);
    }
    batch.PopSavePoint().PermitUncheckedError();
    ov.undo.clear();
    out.first_seq = seq + 1;
    out.last_seq = next;
    seq = next;
    return out;
  }

  // ---- the writer thread -------------------------------------------------

  void writer_loop() {
    std::vector<PendingCommit*> group;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(queue_mu);
        queue_cv.wait(lock, [&] { return closing || !queue.empty(); });
        if (queue.empty() && closing) return;
        size_t n = std::min<size_t>(queue.size(), options.group_commits_max);
        group.assign(queue.begin(), queue.begin() + static_cast<long>(n));
        queue.erase(queue.begin(), queue.begin() + static_cast<long>(n));
      }
      write_group(group);
      group.clear();
    }
  }

  void write_group(std::vector<PendingCommit*>& group) {
    std::vector<std::optional<Result<Appended>>> results(group.size());
    if (needs_resume.load()) {
      // A failed write (e.g. a full disk) put RocksDB in read-only mode. Until
      // it resumes, no write may be tried: RocksDB asserts on a write to a log
      // whose last write failed.
      auto s = db->Resume();
      if (!s.ok()) {
        // Still failing: say why it first failed (a full disk), not that
        // RocksDB's own recovery is busy.
        Status st = last_write_failure.ok() ? from_rocks(s, "journal write") : last_write_failure;
        for (size_t i = 0; i < group.size(); ++i) {
          PendingCommit* p = group[i];
          std::lock_guard<std::mutex> lock(p->mu);
          p->result.emplace(st);
          p->done = true;
          p->cv.notify_one();
        }
        refused += group.size();
        return;
      }
      needs_resume = false;
    }
    // Commit times never decrease with seq, so "as of time T" is a seq cut.
    int64_t ts_us = std::max(options.clock->now_us(), last_ts_us.load());
    uint64_t seq = last_seq.load();
    Overlay ov;
    rocksdb::WriteBatch batch;
    size_t staged = 0;
    for (size_t i = 0; i < group.size(); ++i) {
      auto r = stage_commit(ov, batch, group[i]->commit, seq, ts_us);
      if (r.ok()) ++staged;
      results[i].emplace(std::move(r));
    }
    if (staged > 0) {
      rocksdb::WriteOptions wo;
      wo.sync = options.sync == SyncMode::kAlways;
      auto s = db->Write(wo, &batch);
      if (!s.ok()) {
        Status st = from_rocks(s, "journal write");
        last_write_failure = st;
        needs_resume = true;
        for (auto& r : results)
          if (r->ok()) r.emplace(st);
      } else {
        groups++;
        if (wo.sync) syncs++;
        last_seq.store(seq);
        last_ts_us.store(ts_us);
        if (wo.sync) synced_seq.store(seq);
        for (auto& r : results) (r->ok() ? commits : refused)++;
        {
          std::lock_guard<std::mutex> lock(wait_mu);
        }
        wait_cv.notify_all();
        notify_listeners(seq);
      }
    } else {
      refused += group.size();
    }
    for (size_t i = 0; i < group.size(); ++i) {
      PendingCommit* p = group[i];
      std::lock_guard<std::mutex> lock(p->mu);
      p->result = std::move(results[i]);
      p->done = true;
      p->cv.notify_one();
    }
  }

  // Fsyncs the log every sync_batch_ms at most (woken only to stop).
  void syncer_loop() {
    std::unique_lock<std::mutex> lock(sync_mu);
    while (!sync_stop) {
      sync_cv.wait_for(lock, std::chrono::milliseconds(options.sync_batch_ms), [&] { return sync_stop; });
      if (synced_seq.load() >= last_seq.load() || needs_resume.load()) continue;
      uint64_t target = last_seq.load();
      lock.unlock();
      auto s = db->SyncWAL();
      if (s.ok()) {
        syncs++;
        synced_seq.store(target);
      }
      lock.lock();
    }
  }
};

Journal::Journal(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Journal::~Journal() { impl_->close(); }

Result<std::unique_ptr<Journal>> Journal::open(const JournalOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  auto budget = options.budget ? options.budget : StorageBudget::create();
  impl->options.budget = budget;
  rocksdb::DBOptions db_options = small_db_options(budget);
  impl->statistics = rocksdb::CreateDBStatistics();
  impl->statistics->set_stats_level(rocksdb::StatsLevel::kExceptTimers);
  db_options.statistics = impl->statistics;
  // Sequential keys, appended once, rarely read twice: a bigger memtable for
  // events and small ones for the indexes.
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, small_cf_options(budget, 4u << 20)},
      {"heads", small_cf_options(budget, 2u << 20)},
      {"streams", small_cf_options(budget, 2u << 20)},
      {"reservations", small_cf_options(budget, 2u << 20)},
      {"meta", small_cf_options(budget, 1u << 20)},
  };
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  if (options.read_only) {
    s = rocksdb::DB::OpenForReadOnly(db_options, options.path, cfs, &impl->handles, &raw);
  } else {
    s = rocksdb::DB::Open(db_options, options.path, cfs, &impl->handles, &raw);
  }
  if (!s.ok()) return from_rocks(s, "open journal at " + options.path);
  impl->db.reset(raw);
  impl->events_cf = impl->handles[0];
  impl->heads_cf = impl->handles[1];
  impl->streams_cf = impl->handles[2];
  impl->reservations_cf = impl->handles[3];
  impl->meta_cf = impl->handles[4];

  std::string fmt;
  s = impl->db->Get(rocksdb::ReadOptions(), impl->meta_cf, "format_version", &fmt);
  if (s.IsNotFound()) {
    if (!options.read_only) {
      s = impl->db->Put(rocksdb::WriteOptions(), impl->meta_cf, "format_version", kFormatVersion);
      if (!s.ok()) return from_rocks(s, "write journal format version");
    }
  } else if (!s.ok()) {
    return from_rocks(s, "read journal format version");
  } else if (fmt != kFormatVersion) {
    return Status::Corruption("journal at " + options.path + " has format version " + fmt +
                              "; this build reads version " + kFormatVersion);
  }

  {
    std::unique_ptr<rocksdb::Iterator> it(impl->db->NewIterator(rocksdb::ReadOptions(), impl->events_cf));
    it->SeekToLast();
    if (it->Valid()) {
      if (it->key().size() != 8) return Status::Corruption("journal key of unexpected size");
      uint64_t seq = decode_u64_be(it->key().data());
      auto ev = decode_record(std::string_view(it->value().data(), it->value().size()), seq);
      if (!ev.ok()) return ev.status();
      impl->last_seq = seq;
      impl->last_ts_us = ev->ts_us;
      impl->synced_seq = seq;
    } else if (!it->status().ok()) {
      return from_rocks(it->status(), "scan journal");
    }
  }

  if (!options.read_only) {
    Impl* p = impl.get();
    impl->writer = std::thread([p] { p->writer_loop(); });
    if (options.sync == SyncMode::kBatch) impl->syncer = std::thread([p] { p->syncer_loop(); });
  }
  return std::unique_ptr<Journal>(new Journal(std::move(impl)));
}

Result<Appended> Journal::append(Commit commit) {
  if (impl_->options.read_only) return Status::Unavailable("journal is open read-only");
  PendingCommit pending;
  pending.commit = std::move(commit);
  {
    std::lock_guard<std::mutex> lock(impl_->queue_mu);
    if (impl_->closing) return Status::Unavailable("journal is closing");
    impl_->queue.push_back(&pending);
  }
  impl_->queue_cv.notify_one();
  std::unique_lock<std::mutex> lock(pending.mu);
  pending.cv.wait(lock, [&] { return pending.done; });
  return std::move(*pending.result);
}

Result<std::vector<Event>> Journal::read(uint64_t from_seq, size_t count_max, size_t bytes_max) const {
  std::vector<Event> out;
  if (from_seq == 0) from_seq = 1;
  uint64_t last = impl_->last_seq.load();
  if (from_seq > last || count_max == 0) return out;
  uint64_t end = from_seq + std::min<uint64_t>(count_max, last - from_seq + 1);  // exclusive
  out.reserve(std::min<size_t>(static_cast<size_t>(end - from_seq), 1024));  // bytes_max may stop it early
  rocksdb::ReadOptions ro;
  std::string upper = encode_u64_be(end);
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  ro.readahead_size = 256 * 1024;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->events_cf));
  uint64_t expect = from_seq;
  size_t bytes = 0;
  for (it->Seek(encode_u64_be(from_seq)); it->Valid(); it->Next()) {
    if (it->key().size() != 8) return Status::Corruption("journal key of unexpected size near seq " + std::to_string(expect));
    uint64_t seq = decode_u64_be(it->key().data());
    if (seq != expect) return Status::Corruption("journal seq " + std::to_string(expect) + " is missing");
    SIGNET_ASSIGN_OR_RETURN(auto ev, decode_record(std::string_view(it->value().data(), it->value().size()), seq));
    bytes += ev.payload.size();
    out.push_back(std::move(ev));
    ++expect;
    if (bytes >= bytes_max) return out;
  }
  if (!it->status().ok()) return from_rocks(it->status(), "read journal");
  if (expect != end) return Status::Corruption("journal seq " + std::to_string(expect) + " is missing");
  return out;
}

Result<Event> Journal::read_one(uint64_t seq) const {
  std::string v;
  auto s = impl_->db->Get(rocksdb::ReadOptions(), impl_->events_cf, encode_u64_be(seq), &v);
  if (s.IsNotFound()) return Status::NotFound("no event at seq " + std::to_string(seq));
  if (!s.ok()) return from_rocks(s, "read journal");
  return decode_record(v, seq);
}

Result<std::vector<Event>> Journal::read_stream(std::string_view stream, uint64_t from_version,
                                                size_t count_max) const {
  std::vector<Event> out;
  std::string prefix(stream);
  prefix.push_back('\0');
  std::string upper = prefix;
  upper.back() = '\1';
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->streams_cf));
  std::vector<uint64_t> seqs;
  for (it->Seek(stream_index_key(stream, std::max<uint64_t>(from_version, 1))); it->Valid() && seqs.size() < count_max;
       it->Next()) {
    if (it->value().size() != 8) return Status::Corruption("stream index entry of " + std::string(stream));
    seqs.push_back(decode_u64_be(it->value().data()));
  }
  if (!it->status().ok()) return from_rocks(it->status(), "read stream index");
  out.reserve(seqs.size());
  for (uint64_t seq : seqs) {
    SIGNET_ASSIGN_OR_RETURN(auto ev, read_one(seq));
    out.push_back(std::move(ev));
  }
  return out;
}

Result<std::optional<StreamHead>> Journal::head(std::string_view stream) const { return impl_->get_head(stream); }

Result<std::optional<std::string>> Journal::reservation(std::string_view key) const {
  return impl_->get_reservation(key);
}

uint64_t Journal::last_seq() const { return impl_->last_seq.load(); }

Result<uint64_t> Journal::last_seq_at(int64_t ts_us) const {
  // Binary search on seq: commit times never decrease with seq.
  uint64_t lo = 0, hi = impl_->last_seq.load();
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo + 1) / 2;
    SIGNET_ASSIGN_OR_RETURN(auto ev, read_one(mid));
    if (ev.ts_us <= ts_us) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

bool Journal::wait_for(uint64_t seq, std::chrono::milliseconds timeout) const {
  if (impl_->last_seq.load() >= seq) return true;
  std::unique_lock<std::mutex> lock(impl_->wait_mu);
  return impl_->wait_cv.wait_for(lock, timeout, [&] { return impl_->last_seq.load() >= seq; });
}

uint64_t Journal::on_commit(std::function<void(uint64_t)> listener) {
  std::lock_guard<std::mutex> lock(impl_->listeners_mu);
  uint64_t id = impl_->next_listener_id++;
  impl_->listeners.emplace(id, std::move(listener));
  return id;
}

void Journal::remove_listener(uint64_t id) {
  std::lock_guard<std::mutex> lock(impl_->listeners_mu);
  impl_->listeners.erase(id);
}

Status Journal::import(const std::vector<Event>& events) {
  if (impl_->options.read_only) return Status::Unavailable("journal is open read-only");
  if (events.empty()) return Status::Ok();
  uint64_t seq = impl_->last_seq.load();
  int64_t ts = impl_->last_ts_us.load();
  Impl::Overlay ov;
  rocksdb::WriteBatch batch;
  for (const auto& e : events) {
    if (e.seq != seq + 1)
      return Status::InvalidArgument("import expects seq " + std::to_string(seq + 1) + ", got " + std::to_string(e.seq));
    if (e.ts_us < ts) return Status::InvalidArgument("import: seq " + std::to_string(e.seq) + " goes back in time");
    SIGNET_ASSIGN_OR_RETURN(auto head, impl_->staged_head(ov, e.stream));
    uint64_t version = head ? head->version : 0;
    if (e.stream_version != version + 1)
      return Status::Corruption("import: seq " + std::to_string(e.seq) + " has stream version " +
                                std::to_string(e.stream_version) + ", expected " + std::to_string(version + 1));
    SIGNET_TRY(impl_->stage_event(ov, batch, e, encode_record(e)));
    seq = e.seq;
    ts = e.ts_us;
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  auto s = impl_->db->Write(wo, &batch);
  if (!s.ok()) return from_rocks(s, "journal import");
  impl_->last_seq = seq;
  impl_->last_ts_us = ts;
  impl_->synced_seq = seq;
  impl_->wait_cv.notify_all();
  impl_->notify_listeners(seq);
  return Status::Ok();
}

Result<VerifyReport> Journal::verify(const std::function<void(uint64_t)>& progress) const {
  VerifyReport report;
  std::unordered_map<std::string, uint64_t> versions;
  uint64_t last = impl_->last_seq.load();
  int64_t last_ts = INT64_MIN;
  rocksdb::ReadOptions ro;
  ro.readahead_size = 1 << 20;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->events_cf));
  uint64_t expect = 1;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8) return Status::Corruption("journal key of unexpected size after seq " + std::to_string(expect - 1));
    uint64_t seq = decode_u64_be(it->key().data());
    if (seq != expect) return Status::Corruption("journal seq " + std::to_string(expect) + " is missing");
    SIGNET_ASSIGN_OR_RETURN(auto ev, decode_record(std::string_view(it->value().data(), it->value().size()), seq));
    uint64_t& v = versions[ev.stream];
    if (ev.stream_version != v + 1)
      return Status::Corruption("journal record seq " + std::to_string(seq) + ": stream " + ev.stream + " version " +
                                std::to_string(ev.stream_version) + " follows " + std::to_string(v));
    v = ev.stream_version;
    if (ev.ts_us < last_ts)
      return Status::Corruption("journal record seq " + std::to_string(seq) + ": commit time goes backwards");
    last_ts = ev.ts_us;
    ++report.events;
    report.last_seq = seq;
    if (progress && (seq & 0x3fff) == 0) progress(seq);
    ++expect;
  }
  if (!it->status().ok()) return from_rocks(it->status(), "verify journal");
  if (report.last_seq != last)
    return Status::Corruption("journal ends at seq " + std::to_string(report.last_seq) + " but its head says " +
                              std::to_string(last));
  for (const auto& [stream, version] : versions) {
    SIGNET_ASSIGN_OR_RETURN(auto head, impl_->get_head(stream));
    if (!head || head->version != version)
      return Status::Corruption("stream head of " + stream + " says version " +
                                std::to_string(head ? head->version : 0) + ", events say " + std::to_string(version));
  }
  report.streams = versions.size();
  if (progress) progress(report.last_seq);
  return report;
}

Result<uint32_t> Journal::backup(const std::string& backup_dir, const std::string& metadata) {
  rocksdb::BackupEngineOptions bo(backup_dir);
  bo.sync = true;
  bo.share_files_with_checksum = true;
  rocksdb::BackupEngine* raw = nullptr;
  auto s = rocksdb::BackupEngine::Open(rocksdb::Env::Default(), bo, &raw);
  if (!s.ok()) return from_rocks(s, "open backup engine at " + backup_dir);
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  rocksdb::CreateBackupOptions co;
  co.flush_before_backup = true;  // the WAL is not copied: flush so the backup holds everything
  uint32_t id = 0;
  s = engine->CreateNewBackupWithMetadata(co, impl_->db.get(), metadata, &id);
  if (!s.ok()) return from_rocks(s, "create backup");
  return id;
}

JournalStats Journal::stats() const {
  JournalStats st;
  st.commits = impl_->commits.load();
  st.refused = impl_->refused.load();
  st.groups = impl_->groups.load();
  st.syncs = impl_->syncs.load();
  st.bytes_written = impl_->bytes_written.load();
  if (impl_->statistics) st.wal_synced = impl_->statistics->getTickerCount(rocksdb::WAL_FILE_SYNCED);
  return st;
}

const std::string& Journal::path() const { return impl_->options.path; }

}  // namespace signet::journal
