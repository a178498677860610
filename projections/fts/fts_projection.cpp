// Document layout, one Xapian document per memory that is not purged:
//   data                 engine::encode_memory(record): the state MemoryModified folds onto
//   free text            content, then each tag after a position gap (so a phrase
//                        never spans two of them); English, STEM_SOME: the word with
//                        positions, Z<stem> without
//   XCMP:<word-word>     each hyphenated word whole, no positions (fts::compound_terms)
//   Q<id>                unique id term
//   XTYPE:<type>  XTAG:<tag> (one per tag)  XWHO:<who>  XPROJ:<project>
//   XPIN:0|1  XDEL:0|1   boolean filter terms (TermGenerator makes only lower-case
//                        and Z terms, so these cannot collide with words)
//   value 0              created_at_us  (sortable_serialise)
//   value 1              importance     (sortable_serialise)
//   value 2              id             (second sort key of filter_only, as the listing)
// Metadata, set before the commit they describe:
//   signet.checkpoint_seq, signet.projection_version (decimal)
//
// Xapian terms are at most 245 bytes. A filter value that would not fit is cut
// and suffixed with its SHA-256; the same rule on the query side finds it.
#include "projections/fts/fts_projection.h"

#include <sys/statvfs.h>
#include <xapian.h>

#include <array>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>

#include "engine/content.h"
#include "engine/memory_record.h"
#include "journal/log.h"
#include "projections/fts/fts_query.h"

namespace signet::projections {

using engine::MemoryRecord;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kCheckpointKey = "signet.checkpoint_seq";
constexpr std::string_view kVersionKey = "signet.projection_version";
// The kernel's boot id at the last commit. While it is unchanged the page cache
// holds every block we wrote (DB_NO_SYNC loses data only to a power cut or an
// OS crash, both of which change it), so open() can skip the full read-back.
constexpr std::string_view kBootIdKey = "signet.boot_id";

const std::string& current_boot_id() {
  static const std::string id = [] {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string s;
    std::getline(in, s);
    return s;
  }();
  return id;
}

constexpr Xapian::valueno kSlotCreatedAt = 0;
constexpr Xapian::valueno kSlotImportance = 1;
constexpr Xapian::valueno kSlotId = 2;

constexpr std::string_view kIdPrefix = "Q";
constexpr std::string_view kTypePrefix = "XTYPE:";
constexpr std::string_view kTagPrefix = "XTAG:";
constexpr std::string_view kWhoPrefix = "XWHO:";
constexpr std::string_view kProjectPrefix = "XPROJ:";
constexpr std::string_view kPinnedPrefix = "XPIN:";
constexpr std::string_view kDeletedPrefix = "XDEL:";

// Terms up to this long are stored as they are; longer ones become
// prefix + 160 bytes + 64 hex digits (always longer than this), so a cut term
// can never equal a verbatim one, and all stay under Xapian's 245.
constexpr size_t kVerbatimTermBytesMax = 200;
constexpr size_t kCutValueBytes = 160;

// Positions between content and each tag: more than any phrase spans.
constexpr Xapian::termpos kTagPositionGap = 100;

// open() reads the whole index back (verify_readable, about 25 ms per 1000
// memories here) up to this size, so ~1 s at most; above, only cheap probes.
constexpr uintmax_t kVerifyOnOpenBytesMax = 32ull << 20;

// A search retries this often when the writer recycled blocks under it.
constexpr int kModifiedRetriesMax = 8;
// A search waits this long for a pooled handle, then opens its own.
constexpr std::chrono::milliseconds kPoolWaitMax{50};

std::string bounded_term(std::string_view prefix, std::string_view value) {
  std::string term(prefix);
  if (prefix.size() + value.size() <= kVerbatimTermBytesMax) {
    term += value;
  } else {
    term += value.substr(0, kCutValueBytes);
    term += engine::sha256_hex(value);
  }
  return term;
}

std::string id_term(std::string_view id) { return bounded_term(kIdPrefix, id); }
std::string flag_term(std::string_view prefix, bool on) { return std::string(prefix) + (on ? "1" : "0"); }

std::string serialise_time(int64_t us) { return Xapian::sortable_serialise(static_cast<double>(us)); }
std::string serialise_importance(double importance) {
  return Xapian::sortable_serialise(std::isfinite(importance) ? importance : 0.0);
}

bool is_memory_event(journal::EventType type) {
  using journal::EventType;
  return type == EventType::MemoryRemembered || type == EventType::MemoryModified ||
         type == EventType::MemoryForgotten || type == EventType::MemoryRecovered ||
         type == EventType::MemoryPurged;
}

std::optional<uint64_t> parse_u64(const std::string& s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Xapian reports damage as DatabaseCorruptError; everything else it throws
// at us is an I/O problem as far as callers can act on it.
Status to_status(const Xapian::Error& e, std::string_view context) {
  std::string msg = std::string(context) + ": " + e.get_description();
  // Xapian::Error has no virtual functions (no dynamic_cast); it names its type.
  if (std::string_view(e.get_type()) == "DatabaseCorruptError") return Status::Corruption(std::move(msg));
  return Status::IOError(std::move(msg));
}

// Every MemoryFilter field as a boolean query, so that OP_FILTER applies it
// inside the match and `limit` counts only memories that pass.
// `matches` narrowed to what `f` lets through. Flags that must be off (not
// deleted, usually) exclude the documents that have them on: those are few,
// while the "off" term is on nearly every document, and filtering by it made
// Xapian walk a posting list as long as the index for every search.
Xapian::Query filtered(Xapian::Query matches, const MemoryFilter& f) {
  using Q = Xapian::Query;
  std::vector<Q> parts;
  if (f.type) parts.emplace_back(bounded_term(kTypePrefix, *f.type));
  for (const auto& tag : f.tags) parts.emplace_back(bounded_term(kTagPrefix, tag));
  if (f.who) parts.emplace_back(bounded_term(kWhoPrefix, *f.who));
  if (f.project) parts.emplace_back(bounded_term(kProjectPrefix, *f.project));
  if (f.pinned && *f.pinned) parts.emplace_back(flag_term(kPinnedPrefix, true));
  // A NaN bound excludes nothing in MemoryFilter::matches; the same here.
  if (f.importance_min && !std::isnan(*f.importance_min))
    parts.emplace_back(Q::OP_VALUE_GE, kSlotImportance, Xapian::sortable_serialise(*f.importance_min));
  if (f.since_us) parts.emplace_back(Q::OP_VALUE_GE, kSlotCreatedAt, serialise_time(*f.since_us));
  if (f.until_us) parts.emplace_back(Q::OP_VALUE_LE, kSlotCreatedAt, serialise_time(*f.until_us));
  if (!parts.empty()) {
    Q all = parts.size() == 1 ? parts[0] : Q(Q::OP_AND, parts.begin(), parts.end());
    matches = Q(Q::OP_FILTER, matches, all);
  }
  if (!f.include_deleted) matches = Q(Q::OP_AND_NOT, matches, Q(flag_term(kDeletedPrefix, true)));
  if (f.pinned && !*f.pinned) matches = Q(Q::OP_AND_NOT, matches, Q(flag_term(kPinnedPrefix, true)));
  return matches;
}

// Reads back everything apply() and searches can reach: each document's data
// (which must decode) and term list, the values, every term's posting list
// and every word's positions (term-major: the position table's key order).
// Xapian's own Database::check() would be faster, but in 1.4.22 it deletes a
// table object through the wrong type, which AddressSanitizer aborts on (our
// SIGNET_SANITIZE builds). Throws Xapian::Error on damage.
Status verify_readable(const Xapian::Database& db) {
  for (Xapian::PostingIterator d = db.postlist_begin(""); d != db.postlist_end(""); ++d) {
    Xapian::Document doc = db.get_document(*d);
    if (!engine::decode_memory(doc.get_data()).ok())
      return Status::Corruption("document " + std::to_string(*d) + ": its data is not a memory record");
    for (Xapian::TermIterator t = doc.termlist_begin(); t != doc.termlist_end(); ++t) (void)t.get_wdf();
  }
  for (Xapian::valueno slot : {kSlotCreatedAt, kSlotImportance, kSlotId})
    for (Xapian::ValueIterator v = db.valuestream_begin(slot); v != db.valuestream_end(slot); ++v) (void)*v;
  for (Xapian::TermIterator t = db.allterms_begin(); t != db.allterms_end(); ++t) {
    const std::string& term = *t;
    // Only words have positions; stems (Z...) and boolean terms (Q..., X...) start upper case.
    bool positional = !term.empty() && !(term[0] >= 'A' && term[0] <= 'Z');
    for (Xapian::PostingIterator p = db.postlist_begin(term); p != db.postlist_end(term); ++p) {
      if (!positional) continue;
      for (Xapian::PositionIterator pos = p.positionlist_begin(); pos != p.positionlist_end(); ++pos) (void)*pos;
    }
  }
  for (Xapian::TermIterator k = db.metadata_keys_begin(); k != db.metadata_keys_end(); ++k) (void)db.get_metadata(*k);
  return Status::Ok();
}

uintmax_t directory_bytes(const std::string& dir) {
  std::error_code ec;
  uintmax_t total = 0;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::error_code size_ec;
    uintmax_t size = entry.file_size(size_ec);
    if (!size_ec) total += size;
  }
  return total;
}


// Memory ids by Xapian document id, for turning hits into ids: reading the id
// value of each hit from the index was more than a quarter of a search at 10k
// memories. Filled by searches as they read ids (a committed document's id
// never changes, and Xapian never reuses a document id), emptied when the
// files are replaced (document ids start again), which happens only while no
// search runs. Only ids in lower-case UUID form are kept, 16 bytes each;
// others are read from the index every time.
class IdsByDocid {
 public:
  bool get(Xapian::docid d, std::string* id) const {
    std::shared_lock<std::shared_mutex> lock(mu_);
    if (d >= known_.size() || !known_[d]) return false;
    static const char* hex = "0123456789abcdef";
    id->clear();
    id->reserve(36);
    for (size_t i = 0; i < 16; ++i) {
      if (i == 4 || i == 6 || i == 8 || i == 10) id->push_back('-');
      id->push_back(hex[bytes_[d][i] >> 4]);
      id->push_back(hex[bytes_[d][i] & 0xf]);
    }
    return true;
  }
  void put(Xapian::docid d, std::string_view id) {
    std::array<uint8_t, 16> b;
    if (!parse(id, &b)) return;
    std::unique_lock<std::shared_mutex> lock(mu_);
    if (d >= known_.size()) {
      known_.resize(static_cast<size_t>(d) + 1 + d / 4);
      bytes_.resize(known_.size());
    }
    bytes_[d] = b;
    known_[d] = true;
  }
  void clear() {
    std::unique_lock<std::shared_mutex> lock(mu_);
    known_ = {};
    bytes_ = {};
  }

 private:
  static bool parse(std::string_view t, std::array<uint8_t, 16>* out) {
    if (t.size() != 36) return false;
    size_t n = 0;
    for (size_t i = 0; i < 36; ++i) {
      const char c = t[i];
      if (i == 8 || i == 13 || i == 18 || i == 23) {
        if (c != '-') return false;
        continue;
      }
      int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (v < 0) return false;  // upper case too: it would not come back as it was
      if (n % 2 == 0) (*out)[n / 2] = static_cast<uint8_t>(v << 4);
      else (*out)[n / 2] = static_cast<uint8_t>((*out)[n / 2] | v);
      ++n;
    }
    return true;
  }
  mutable std::shared_mutex mu_;
  std::vector<bool> known_;
  std::vector<std::array<uint8_t, 16>> bytes_;
};

}  // namespace

class FtsProjection::Impl {
 public:
  Impl(std::string dir, FtsOptions options) : dir_(std::move(dir)), options_(options) {
    termgen_.set_stemmer(Xapian::Stem("english"));
    termgen_.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
  }
  ~Impl();

  Status open();
  Status apply(std::span<const journal::Event> events);
  Status reset();
  Result<std::vector<FtsHit>> search(const FtsQuery& query) const;
  Result<std::vector<std::string>> filter_only(const MemoryFilter& filter, size_t limit) const;

  uint64_t checkpoint() const { return checkpoint_.load(); }
  uint64_t document_count() const { return doc_count_.load(); }
  bool rebuilt_on_open() const { return rebuilt_on_open_; }

 private:
  // A read handle of the pool. Xapian::Database is not thread-safe: one
  // search uses it at a time.
  struct Reader {
    std::unique_ptr<Xapian::Database> db;
    uint64_t commits_seen = 0;  // commits_ when last opened or reopened
    uint64_t epoch = 0;         // epoch_ of the files it has open
  };
  class Lease;

  Status open_writer_and_probe();
  Status replace_files();  // empty index, checkpoint 0; exclusive over searches
  Result<std::optional<MemoryRecord>> load(std::string_view id);
  Xapian::Document make_document(const MemoryRecord& m);
  Status write(const std::vector<std::string>& order,
               const std::unordered_map<std::string, std::optional<MemoryRecord>>& touched, uint64_t cp);
  void abandon_transaction();
  Status with_reader(const std::function<void(Xapian::Database&)>& fn) const;
  std::string id_of(const Xapian::MSetIterator& hit) const;  // within with_reader

  // Constant after construction.
  const std::string dir_;
  const FtsOptions options_;

  // Runner thread only (open, apply, reset).
  std::unique_ptr<Xapian::WritableDatabase> writer_;
  Xapian::TermGenerator termgen_;
  bool rebuilt_on_open_ = false;

  // Any thread.
  std::atomic<uint64_t> checkpoint_{0};
  std::atomic<uint64_t> doc_count_{0};
  std::atomic<uint64_t> commits_{0};  // bumped after each commit, before checkpoint_
  std::atomic<uint64_t> epoch_{0};    // bumped when the files are replaced
  // Shared by searches; exclusive while replace_files() swaps the directory.
  mutable std::shared_mutex files_mu_;
  mutable IdsByDocid ids_;  // emptied in replace_files()

  // Spelling decisions per word (fts::correct_word), for the index as of
  // (epoch_, commits_) when they were made: questions repeat words, and each
  // decision is two term lookups, sometimes a search of the spelling table.
  std::string corrected_word(const Xapian::Database& db, const std::string& word, uint64_t epoch,
                             uint64_t commits) const;
  mutable std::mutex spelling_mu_;
  mutable std::unordered_map<std::string, std::string> spelling_memo_;  // guarded by spelling_mu_
  mutable uint64_t spelling_epoch_ = 0, spelling_commits_ = 0;          // guarded by spelling_mu_

  // Searches in flight, by the commit count their handle started from. Glass
  // lets a reader read its revision while the writer writes the next one,
  // but the one after may overwrite its blocks; glass does not always notice
  // (a search under the concurrency test once read an empty id, once crashed
  // in get_mset). So the writer waits, before writing, until no search is on
  // a revision two commits behind: searches take milliseconds, and they never
  // wait for the writer.
  void wait_for_old_readers();  // runner thread, before a write
  Status check_free_space(size_t documents) const;
  mutable std::mutex gate_mu_;
  mutable std::condition_variable gate_cv_;         // a search left
  mutable std::map<uint64_t, uint32_t> reading_;    // guarded by gate_mu_

  // The reader pool.
  mutable std::mutex pool_mu_;
  mutable std::condition_variable pool_cv_;            // a handle came back or was dropped
  mutable std::vector<std::unique_ptr<Reader>> idle_;  // guarded by pool_mu_
  mutable size_t pooled_ = 0;                          // pooled handles in existence; guarded by pool_mu_
};

// One search's hold on a read handle: pooled if one is idle or the pool may
// grow, otherwise (after kPoolWaitMax) a temporary one. A handle that saw an
// error is dropped rather than returned.
class FtsProjection::Impl::Lease {
 public:
  explicit Lease(const Impl& impl) : impl_(impl) {
    std::unique_lock<std::mutex> lock(impl_.pool_mu_);
    size_t size = impl_.options_.reader_pool_size;
    if (size > 0)
      impl_.pool_cv_.wait_for(lock, kPoolWaitMax, [&] { return !impl_.idle_.empty() || impl_.pooled_ < size; });
    if (!impl_.idle_.empty()) {
      reader_ = std::move(impl_.idle_.back());
      impl_.idle_.pop_back();
      pooled_ = true;
    } else {
      reader_ = std::make_unique<Reader>();
      pooled_ = impl_.pooled_ < size;
      if (pooled_) ++impl_.pooled_;
    }
  }
  ~Lease() {
    leave();
    if (!pooled_) return;
    {
      std::lock_guard<std::mutex> lock(impl_.pool_mu_);
      if (healthy_) impl_.idle_.push_back(std::move(reader_));
      else --impl_.pooled_;
    }
    impl_.pool_cv_.notify_one();
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  // Opens the handle, or reopens it if the writer committed since it last
  // looked (reopen() is cheap when nothing changed, but not free).
  Xapian::Database& fresh() {
    uint64_t epoch = impl_.epoch_.load();
    uint64_t commits = enter();
    if (!reader_->db || reader_->epoch != epoch) {
      reader_->db.reset();
      reader_->db = std::make_unique<Xapian::Database>(impl_.dir_);
      reader_->epoch = epoch;
      reader_->commits_seen = commits;
    } else if (reader_->commits_seen != commits) {
      reader_->db->reopen();
      reader_->commits_seen = commits;
    }
    return *reader_->db;
  }
  void reopen() {
    if (!reader_->db) return;
    reader_->commits_seen = enter();  // before: a commit during reopen still counts
    reader_->db->reopen();
  }
  void set_broken() { healthy_ = false; }
  // The writer has committed since this handle last looked.
  bool overtaken() const { return reader_->commits_seen != impl_.commits_.load(); }

 private:
  // Registers this search at the current commit count (replacing an earlier
  // registration) and returns it. Read under gate_mu_, so that a writer that
  // found no old search cannot miss one starting from an older count.
  uint64_t enter() {
    std::lock_guard<std::mutex> lock(impl_.gate_mu_);
    drop_registration();
    uint64_t commits = impl_.commits_.load();
    ++impl_.reading_[commits];
    registered_ = commits;
    return commits;
  }
  void leave() {
    {
      std::lock_guard<std::mutex> lock(impl_.gate_mu_);
      if (!registered_) return;
      drop_registration();
    }
    impl_.gate_cv_.notify_all();
  }
  void drop_registration() {  // under gate_mu_
    if (!registered_) return;
    auto it = impl_.reading_.find(*registered_);
    if (it != impl_.reading_.end() && --it->second == 0) impl_.reading_.erase(it);
    registered_.reset();
  }

  const Impl& impl_;
  std::unique_ptr<Reader> reader_;
  bool pooled_ = false;
  bool healthy_ = true;
  std::optional<uint64_t> registered_;
};

FtsProjection::Impl::~Impl() {
  if (!writer_) return;
  try {
    writer_->close();  // nothing is pending: every apply commits or cancels
  } catch (const Xapian::Error& e) {
    log::get("projection")->warn("projection=fts closing the index failed: {}", e.get_description());
  }
}

Status FtsProjection::Impl::open() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return Status::IOError("create " + dir_ + ": " + ec.message());
  // Xapian silently creates a new, empty database where the postlist table is
  // missing; files without our metadata are a damaged index, not a new one.
  bool had_files = !fs::is_empty(dir_, ec) && !ec;

  Status probed = open_writer_and_probe();
  if (probed.IsCorruption()) {
    // The journal is the source of truth: start empty and let the runner replay.
    log::get("projection")->warn("projection=fts index at {} is damaged ({}); rebuilding from seq 1", dir_,
                                 probed.message());
    SIGNET_TRY(replace_files());
    rebuilt_on_open_ = true;
    return Status::Ok();
  }
  SIGNET_TRY(probed);

  std::string stored_version, stored_checkpoint;
  Xapian::doccount docs = 0;
  try {
    stored_version = writer_->get_metadata(std::string(kVersionKey));
    stored_checkpoint = writer_->get_metadata(std::string(kCheckpointKey));
    docs = writer_->get_doccount();
  } catch (const Xapian::Error& e) {
    return to_status(e, "read fts metadata");
  }
  if (stored_version == std::to_string(FtsProjection::kVersion)) {
    std::optional<uint64_t> cp = parse_u64(stored_checkpoint);
    if (cp) {
      checkpoint_ = *cp;
      doc_count_ = docs;
      return Status::Ok();
    }
    log::get("projection")->warn("projection=fts checkpoint_seq '{}' is unreadable; rebuilding from seq 1",
                                 stored_checkpoint);
  } else if (!stored_version.empty()) {
    log::get("projection")->info("projection=fts projection_version {} -> {}; rebuilding from seq 1", stored_version,
                                 FtsProjection::kVersion);
  }
  // A new version, or nothing stored yet (a new index, not a rebuild, if the
  // directory was empty).
  rebuilt_on_open_ = had_files || !stored_version.empty() || !stored_checkpoint.empty() || docs > 0;
  return reset();
}

// Opens the writer (taking Xapian's lock) and looks for damage. kCorruption
// means the files are damaged and may be replaced; any other failure is
// returned as it is. A lock held by another process is never damage: its
// files are not ours to wipe.
Status FtsProjection::Impl::open_writer_and_probe() {
  try {
    writer_ = std::make_unique<Xapian::WritableDatabase>(dir_, Xapian::DB_CREATE_OR_OPEN | Xapian::DB_NO_SYNC);
    // Cheap probes: the version file (read by the constructor), the metadata
    // (postlist table) and one document (docdata and termlist tables).
    writer_->get_metadata(std::string(kCheckpointKey));
    if (writer_->get_doccount() > 0) {
      Xapian::PostingIterator it = writer_->postlist_begin("");
      if (it != writer_->postlist_end("")) {
        Xapian::Document doc = writer_->get_document(*it);
        if (!engine::decode_memory(doc.get_data()).ok()) return Status::Corruption("a document's data does not decode");
        (void)doc.termlist_count();
      }
    }
    // DB_NO_SYNC: after a power cut any block may be stale, so read them all
    // back (the writer's lock keeps anyone from writing meanwhile) — unless
    // the machine has not restarted since the last commit.
    std::string boot = writer_->get_metadata(std::string(kBootIdKey));
    if (!options_.always_verify_on_open && !boot.empty() && boot == current_boot_id() && writer_->get_doccount() > 0)
      return Status::Ok();
    uintmax_t bytes = directory_bytes(dir_);
    if (bytes <= kVerifyOnOpenBytesMax) return verify_readable(*writer_);
    log::get("projection")->info("projection=fts index is {} MiB; not read back in full on open", bytes >> 20);
    return Status::Ok();
  } catch (const Xapian::DatabaseLockError& e) {
    writer_.reset();
    return Status::Unavailable("fts index " + dir_ + " is in use by another process: " + e.get_description());
  } catch (const Xapian::Error& e) {
    // DatabaseCorruptError, DatabaseError ("EOF reading block"), DatabaseOpeningError,
    // DatabaseVersionError, and DocNotFoundError from a damaged postlist: all damage.
    return Status::Corruption(e.get_description());
  }
}

Status FtsProjection::Impl::replace_files() {
  std::unique_lock<std::shared_mutex> files(files_mu_);
  if (writer_) {
    try {
      writer_->close();
    } catch (const Xapian::Error&) {
      // The files are about to be removed; a failed close changes nothing.
    }
    writer_.reset();
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    std::error_code rm_ec;
    fs::remove_all(entry.path(), rm_ec);
    if (rm_ec) return Status::IOError("remove " + entry.path().string() + ": " + rm_ec.message());
  }
  if (ec) return Status::IOError("list " + dir_ + ": " + ec.message());
  ids_.clear();
  epoch_.fetch_add(1);
  try {
    writer_ = std::make_unique<Xapian::WritableDatabase>(dir_, Xapian::DB_CREATE_OR_OPEN | Xapian::DB_NO_SYNC);
    writer_->set_metadata(std::string(kVersionKey), std::to_string(FtsProjection::kVersion));
    writer_->set_metadata(std::string(kCheckpointKey), "0");
    writer_->commit();
  } catch (const Xapian::Error& e) {
    writer_.reset();
    return to_status(e, "create fts index " + dir_);
  }
  doc_count_ = 0;
  commits_.fetch_add(1);
  checkpoint_ = 0;
  return Status::Ok();
}

Status FtsProjection::Impl::reset() { return replace_files(); }

Result<std::optional<MemoryRecord>> FtsProjection::Impl::load(std::string_view id) {
  std::string term = id_term(id);
  Xapian::PostingIterator it = writer_->postlist_begin(term);
  if (it == writer_->postlist_end(term)) return std::optional<MemoryRecord>();
  auto record = engine::decode_memory(writer_->get_document(*it).get_data());
  if (!record.ok()) return Status::Corruption("fts document of memory " + std::string(id) + ": " + record.status().message());
  return std::optional<MemoryRecord>(std::move(record).value());
}

Xapian::Document FtsProjection::Impl::make_document(const MemoryRecord& m) {
  Xapian::Document doc;
  doc.set_data(engine::encode_memory(m));
  termgen_.set_document(doc);
  // Spelling data: the words of every memory, for correcting queries.
  termgen_.set_database(*writer_);
  termgen_.set_flags(Xapian::TermGenerator::FLAG_SPELLING);
  termgen_.index_text(m.content);
  for (const auto& tag : m.tags) {
    termgen_.increase_termpos(kTagPositionGap);
    termgen_.index_text(tag);
  }
  for (const auto& term : fts::compound_terms(m.content)) doc.add_term(term);
  for (const auto& tag : m.tags)
    for (const auto& term : fts::compound_terms(tag)) doc.add_term(term);
  doc.add_boolean_term(id_term(m.id));
  doc.add_boolean_term(bounded_term(kTypePrefix, m.type));
  for (const auto& tag : m.tags) doc.add_boolean_term(bounded_term(kTagPrefix, tag));
  doc.add_boolean_term(bounded_term(kWhoPrefix, m.who));
  doc.add_boolean_term(bounded_term(kProjectPrefix, m.project));
  doc.add_boolean_term(flag_term(kPinnedPrefix, m.pinned));
  doc.add_boolean_term(flag_term(kDeletedPrefix, m.deleted));
  doc.add_value(kSlotCreatedAt, serialise_time(m.created_at_us));
  doc.add_value(kSlotImportance, serialise_importance(m.importance));
  doc.add_value(kSlotId, m.id);
  return doc;
}

Status FtsProjection::Impl::apply(std::span<const journal::Event> events) {
  if (!writer_) return Status::IOError("fts index " + dir_ + " is not open (a reset failed)");
  uint64_t cp = checkpoint_.load();
  // The new state of every memory this batch touches (nullopt: purged), in
  // the order first touched, so document ids follow the journal.
  std::unordered_map<std::string, std::optional<MemoryRecord>> touched;
  std::vector<std::string> order;
  try {
    for (const journal::Event& e : events) {
      if (e.seq <= cp) continue;
      std::string_view id = engine::memory_id_of_stream(e.stream);
      if (is_memory_event(e.type) && !id.empty()) {
        auto it = touched.find(std::string(id));
        if (it == touched.end()) {
          SIGNET_ASSIGN_OR_RETURN(auto current, load(id));
          it = touched.emplace(std::string(id), std::move(current)).first;
          order.emplace_back(id);
        }
        MemoryRecord m = it->second.value_or(MemoryRecord{});
        Status st = engine::fold_memory_event(m, e);
        if (!st.ok()) return st.WithContext("fts projection at seq " + std::to_string(e.seq));
        if (m.id.empty()) m.id = std::string(id);
        if (m.purged) it->second.reset();
        else it->second = std::move(m);
      }
      cp = e.seq;  // events of other kinds are skipped, but the checkpoint passes them
    }
  } catch (const Xapian::Error& e) {
    return to_status(e, "fts projection reading its documents");
  }
  if (cp == checkpoint_.load()) return Status::Ok();
  if (order.empty()) {
    // Only access counts or embeddings: nothing to index. Not committing
    // spares a Xapian commit per access flush; the stored checkpoint lags
    // and a reopen passes these events again, which costs nothing.
    checkpoint_ = cp;
    return Status::Ok();
  }
  SIGNET_TRY(write(order, touched, cp));
  commits_.fetch_add(1);
  checkpoint_ = cp;
  return Status::Ok();
}

// The documents and the checkpoint in one transaction: one commit, or nothing.
Status FtsProjection::Impl::write(const std::vector<std::string>& order,
                                  const std::unordered_map<std::string, std::optional<MemoryRecord>>& touched,
                                  uint64_t cp) {
  SIGNET_TRY(check_free_space(order.size()));
  wait_for_old_readers();
  try {
    writer_->begin_transaction(/*flushed=*/true);
  } catch (const Xapian::Error& e) {
    return to_status(e, "fts projection begin");
  }
  try {
    for (const auto& id : order) {
      const auto& state = touched.at(id);
      if (state) writer_->replace_document(id_term(id), make_document(*state));
      else writer_->delete_document(id_term(id));
    }
    writer_->set_metadata(std::string(kVersionKey), std::to_string(FtsProjection::kVersion));
    writer_->set_metadata(std::string(kCheckpointKey), std::to_string(cp));
    writer_->set_metadata(std::string(kBootIdKey), current_boot_id());
    writer_->commit_transaction();
  } catch (const Xapian::Error& e) {
    abandon_transaction();
    return to_status(e, "fts projection commit at checkpoint_seq " + std::to_string(cp));
  } catch (const std::exception& e) {  // e.g. bad_alloc while building documents
    abandon_transaction();
    return Status::IOError(std::string("fts projection commit: ") + e.what());
  }
  try {
    doc_count_ = writer_->get_doccount();
  } catch (const Xapian::Error&) {
    // Committed all the same; the count catches up at the next commit.
  }
  return Status::Ok();
}

// With the disk nearly full, no commit is started. Xapian 1.4 handles most
// write errors, but when the disk filled inside commit_transaction an
// exception once escaped through a noexcept frame in the library and aborted
// the daemon (2 of about 11 runs of a script doing what fault_test's
// disk-full case does). The
// check leaves a race with other writers to the disk; it keeps the usual
// case, a disk filling up, away from that path.
Status FtsProjection::Impl::check_free_space(size_t documents) const {
  struct statvfs vfs;
  if (::statvfs(dir_.c_str(), &vfs) != 0) return Status::Ok();  // cannot tell: let Xapian try
  const uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  const uint64_t needed = std::min<uint64_t>(
      options_.free_bytes_min + options_.free_bytes_per_document * documents, std::max<uint64_t>(options_.free_bytes_min, 64u << 20));
  if (free_bytes >= needed) return Status::Ok();
  return Status::NoSpace("fts index " + dir_ + ": " + std::to_string(free_bytes >> 10) + " KiB free, a commit of " +
                         std::to_string(documents) + " documents waits for " + std::to_string(needed >> 10) + " KiB");
}

// The next commit may reuse blocks of the revision before the current one:
// wait until no search reads that revision.
void FtsProjection::Impl::wait_for_old_readers() {
  std::unique_lock<std::mutex> lock(gate_mu_);
  const uint64_t current = commits_.load();
  gate_cv_.wait(lock, [&] { return reading_.empty() || reading_.begin()->first >= current; });
}

// After a failed write nothing of it may reach the disk. If even cancelling
// fails, close the writer (which cancels too) and open it again.
void FtsProjection::Impl::abandon_transaction() {
  try {
    writer_->cancel_transaction();
    return;
  } catch (const Xapian::Error&) {
  }
  try {
    writer_->close();
  } catch (const Xapian::Error&) {
  }
  writer_.reset();
  try {
    writer_ = std::make_unique<Xapian::WritableDatabase>(dir_, Xapian::DB_CREATE_OR_OPEN | Xapian::DB_NO_SYNC);
  } catch (const Xapian::Error& e) {
    writer_.reset();  // apply() reports it until the projection is reopened
    log::get("projection")->error("projection=fts cannot reopen the index: {}", e.get_description());
  }
}

Status FtsProjection::Impl::with_reader(const std::function<void(Xapian::Database&)>& fn) const {
  std::shared_lock<std::shared_mutex> files(files_mu_);
  Lease lease(*this);
  for (int attempt = 1;; ++attempt) {
    try {
      // After DatabaseModifiedError: the writer committed twice since this
      // handle's revision and recycled blocks it was reading. Move to the
      // newest revision and try again.
      if (attempt > 1) lease.reopen();
      fn(lease.fresh());
      return Status::Ok();
    } catch (const Xapian::DatabaseModifiedError& e) {
      if (attempt >= kModifiedRetriesMax) {
        lease.set_broken();
        return Status::IOError("fts search: the index changed under " + std::to_string(attempt) +
                               " attempts: " + e.get_description());
      }
    } catch (const Xapian::DatabaseCorruptError& e) {
      // A handle two commits behind can read blocks the writer has already
      // reused, and glass sometimes reports that as corruption ("Expected
      // block N to be level 1, not 0") rather than as a modification. Seen
      // under the soak test. Only damage that a fresh revision still shows
      // is real.
      if (!lease.overtaken() || attempt >= kModifiedRetriesMax) {
        lease.set_broken();
        return to_status(e, "fts search");
      }
    } catch (const Xapian::Error& e) {
      lease.set_broken();
      return to_status(e, "fts search");
    } catch (const std::exception& e) {
      lease.set_broken();
      return Status::IOError(std::string("fts search: ") + e.what());
    }
  }
}

std::string FtsProjection::Impl::corrected_word(const Xapian::Database& db, const std::string& word, uint64_t epoch,
                                               uint64_t commits) const {
  constexpr size_t kMemoWordsMax = 20000;
  {
    std::lock_guard<std::mutex> lock(spelling_mu_);
    if (spelling_epoch_ != epoch || spelling_commits_ != commits) {
      // Another revision: what was decided may no longer hold. A search that
      // started before the newest commit never resets the memo backwards.
      if (epoch < spelling_epoch_ || (epoch == spelling_epoch_ && commits < spelling_commits_))
        return fts::correct_word(db, word);
      spelling_memo_.clear();
      spelling_epoch_ = epoch;
      spelling_commits_ = commits;
    }
    auto it = spelling_memo_.find(word);
    if (it != spelling_memo_.end()) return it->second;
  }
  std::string fixed = fts::correct_word(db, word);  // outside the lock: may search the spelling table
  std::lock_guard<std::mutex> lock(spelling_mu_);
  if (spelling_epoch_ == epoch && spelling_commits_ == commits) {
    if (spelling_memo_.size() >= kMemoWordsMax) spelling_memo_.clear();
    spelling_memo_.emplace(word, fixed);
  }
  return fixed;
}

std::string FtsProjection::Impl::id_of(const Xapian::MSetIterator& hit) const {
  std::string id;
  if (ids_.get(*hit, &id)) return id;
  id = hit.get_document().get_value(kSlotId);
  // Every document has its id. None means this handle read a block the
  // writer had already reused (glass does not always notice: seen under the
  // concurrency test as an empty id); with_reader retries on a fresh revision
  // when the writer has committed since, and reports damage otherwise.
  if (id.empty()) throw Xapian::DatabaseCorruptError("document " + std::to_string(*hit) + " has no memory id");
  ids_.put(*hit, id);
  return id;
}

Result<std::vector<FtsHit>> FtsProjection::Impl::search(const FtsQuery& query) const {
  std::vector<FtsHit> hits;
  if (query.limit == 0) return hits;
  Xapian::doccount limit = static_cast<Xapian::doccount>(std::min<size_t>(query.limit, 1u << 30));

  fts::TextQuery text;
  std::vector<fts::WeightParts> parts;
  // Read before the handle is opened, so the handle is at least this new.
  const uint64_t epoch = epoch_.load(), commits = commits_.load();
  SIGNET_TRY(with_reader([&](Xapian::Database& db) {
    hits.clear();
    parts.clear();
    // Words this index has never seen are corrected against its own vocabulary.
    text = fts::parse_text_query(
        fts::correct_spelling(query.text,
                              [&](const std::string& word) { return corrected_word(db, word, epoch, commits); }),
        [&](const std::string& term) { return db.get_termfreq(term) != 0; });
    if (text.query.empty()) return;
    Xapian::Enquire enquire(db);
    enquire.set_query(filtered(text.query, query.filter));
    enquire.set_weighting_scheme(fts::CoordinatedBm25Weight());
    Xapian::MSet mset = enquire.get_mset(0, limit);
    for (Xapian::MSetIterator it = mset.begin(); it != mset.end(); ++it) {
      FtsHit hit;
      hit.id = id_of(it);
      parts.push_back(fts::split_weight(it.get_weight()));
      hits.push_back(std::move(hit));
    }
  }));
  double bm25_max = 0;
  for (const auto& p : parts) bm25_max = std::max(bm25_max, p.bm25);
  for (size_t i = 0; i < hits.size(); ++i) {
    hits[i].bm25 = parts[i].bm25;
    hits[i].score = fts::normalised_score(parts[i], bm25_max, text.term_count);
  }
  return hits;
}

Result<std::vector<std::string>> FtsProjection::Impl::filter_only(const MemoryFilter& filter, size_t limit) const {
  std::vector<std::string> ids;
  if (limit == 0) return ids;
  // Not Query::MatchAll: that is one static Query whose reference count is
  // not atomic, so copying it from several search threads corrupts it. The
  // empty term matches every document, with a Query of our own.
  Xapian::Query q = filtered(Xapian::Query(std::string()), filter);
  Xapian::doccount max = static_cast<Xapian::doccount>(std::min<size_t>(limit, 1u << 30));
  SIGNET_TRY(with_reader([&](Xapian::Database& db) {
    ids.clear();
    Xapian::Enquire enquire(db);
    enquire.set_query(q);
    enquire.set_weighting_scheme(Xapian::BoolWeight());
    // Newest first; equal times by id, descending, as the memories listing.
    Xapian::MultiValueKeyMaker keys;
    keys.add_value(kSlotCreatedAt, /*reverse=*/true);
    keys.add_value(kSlotId, /*reverse=*/true);
    enquire.set_sort_by_key(&keys, /*reverse=*/false);
    Xapian::MSet mset = enquire.get_mset(0, max);
    for (Xapian::MSetIterator it = mset.begin(); it != mset.end(); ++it)
      ids.push_back(id_of(it));
  }));
  return ids;
}

// --- FtsProjection: the public face, all in Impl ---

FtsProjection::FtsProjection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FtsProjection::~FtsProjection() = default;

Result<std::unique_ptr<FtsProjection>> FtsProjection::open(const std::string& dir, FtsOptions options) {
  auto impl = std::make_unique<Impl>(dir, options);
  SIGNET_TRY(impl->open());
  return std::unique_ptr<FtsProjection>(new FtsProjection(std::move(impl)));
}

uint64_t FtsProjection::checkpoint() const { return impl_->checkpoint(); }
Status FtsProjection::apply(std::span<const journal::Event> events) { return impl_->apply(events); }
Status FtsProjection::reset() { return impl_->reset(); }
bool FtsProjection::rebuilt_on_open() const { return impl_->rebuilt_on_open(); }
Result<std::vector<FtsHit>> FtsProjection::search(const FtsQuery& query) const { return impl_->search(query); }
Result<std::vector<std::string>> FtsProjection::filter_only(const MemoryFilter& filter, size_t limit) const {
  return impl_->filter_only(filter, limit);
}
uint64_t FtsProjection::document_count() const { return impl_->document_count(); }

}  // namespace signet::projections
