// The vector projection (contract: vector_projection.h). FAISS is called only
// from projections/vectors/*.cpp; its exceptions are caught there.
//
// Entries: FAISS's sequential ids. entries[i] points at the memory whose
// vector entry i is, or is null (a tombstone: replaced or purged). A memory's
// vector is in results only if it is current (embedded from the memory's
// current content hash) and the filter, deleted flag included, passes; a
// stale or forgotten memory's vector stays in the index so that a recover, or
// modifying the content back, brings it back without a new embedding.
//
// Index kind: flat while the held (non-tombstone) entries are below
// hnsw_threshold, since a flat search scans all of them; HNSW once they reach
// it. Compaction (tombstones > 25% of entries) rebuilds with fresh ids and
// chooses the kind again. Both happen right after the event that triggers
// them, not at the end of a batch, and every build runs on one OpenMP thread
// with FAISS's fixed RNG seed: the index is a function of the events applied,
// however the runner batches them (a reopen restarts HNSW's level RNG, which
// changes the graph's shape but not what it holds).
//
// Search with HNSW and a filter: FAISS 1.7.3's IndexHNSW::search ignores
// SearchParametersHNSW::efSearch (only the index's own member counts, checked
// on this Debian) and changing that member would race the other searches, so
// a selective filter does not get a wider beam (hnsw_search now calls the
// graph walk itself, which does take one: a possible improvement). Instead a
// stride sample of entries estimates the share that passes; below kHnswSelectivityMin the
// search is an exact scan of the passing entries (metadata check per entry,
// one inner product per match), else HNSW with the selector, falling back to
// the exact scan when HNSW returns fewer than k (so k always holds).
#include "projections/vectors/vector_projection.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/DistanceComputer.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/HNSW.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/utils/Heap.h>
#include <faiss/utils/distances.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <mutex>
#include <shared_mutex>

#include "engine/memory_events.h"
#include "engine/memory_record.h"
#include "projections/vectors/memory_table.h"
#include "projections/vectors/fast_flat.h"
#include "projections/vectors/int8_rows.h"
#include "projections/vectors/vector_snapshot.h"

namespace signet::projections {

using namespace vectors;
using idx_t = faiss::Index::idx_t;

namespace {

constexpr size_t kEventsPerLock = 256;          // bounds how long a batch keeps searches waiting
constexpr size_t kRebuildChunkVectors = 4096;   // copied per add() while rebuilding
constexpr size_t kSelectivitySample = 256;      // entries checked to estimate a filter's share
constexpr double kHnswSelectivityMin = 1.0 / 8; // below: exact scan (HNSW recall drops with the share)
// A flat scan over int8 codes keeps this many candidates per result wanted
// (at least kRescoreMin) and rescores them with the floats.
constexpr size_t kRescorePerHit = 4;
constexpr size_t kRescoreMin = 64;
constexpr uint32_t kDimsMax = 65536;
constexpr size_t kEntriesMax = INT32_MAX;       // HNSW's storage ids are 32-bit ints

// std::shared_mutex on glibc prefers readers: with searches arriving back to
// back the runner could wait forever. A writer holds the turnstile while it
// waits, so new readers queue behind it.
class RwLock {
 public:
  void lock() {
    std::lock_guard<std::mutex> t(turnstile_);
    mu_.lock();
  }
  void unlock() { mu_.unlock(); }
  void lock_shared() {
    { std::lock_guard<std::mutex> t(turnstile_); }
    mu_.lock_shared();
  }
  void unlock_shared() { mu_.unlock_shared(); }

 private:
  std::mutex turnstile_;
  std::shared_mutex mu_;
};

// FAISS parallelises inside one call with OpenMP. On 2 cores shared by many
// request threads that only adds contention: one query, one thread. The
// setting is per calling thread, so it is made at every entry point.
class OmpOneThread {
 public:
  OmpOneThread() : saved_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~OmpOneThread() { omp_set_num_threads(saved_); }
  OmpOneThread(const OmpOneThread&) = delete;
  OmpOneThread& operator=(const OmpOneThread&) = delete;

 private:
  int saved_;
};

// Unit length in place. False when the vector has no direction (zero norm) or
// a value that is not finite: such a vector cannot be compared by cosine.
bool normalize(std::vector<float>& v) {
  double sum = 0;
  for (float x : v) {
    if (!std::isfinite(x)) return false;
    sum += static_cast<double>(x) * x;
  }
  if (!(sum > 0) || !std::isfinite(sum)) return false;
  auto inv = static_cast<float>(1.0 / std::sqrt(sum));
  for (float& x : v) x *= inv;
  return true;
}

Status faiss_failure(std::string_view what, const std::exception& e) {
  return Status::IOError("faiss: " + std::string(what) + ": " + e.what());
}

struct Hit {
  float score;
  idx_t entry;
};
// Higher score first; equal scores by entry, so results do not depend on scan order.
bool better(const Hit& a, const Hit& b) { return a.score > b.score || (a.score == b.score && a.entry < b.entry); }

// The vectors of a flat index or of an HNSW index's flat storage.
const float* flat_vectors(const faiss::Index& index) {
  if (auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(&index))
    return static_cast<const faiss::IndexFlat*>(hnsw->storage)->get_xb();
  return static_cast<const faiss::IndexFlat&>(index).get_xb();
}

// What FAISS's HNSW walk minimises for inner products: the negated product.
struct FloatDistance final : faiss::DistanceComputer {
  const float* xb;
  size_t d;
  const float* q = nullptr;
  FloatDistance(const float* vectors, size_t dims) : xb(vectors), d(dims) {}
  void set_query(const float* x) override { q = x; }
  float operator()(idx_t i) override { return -dot(q, xb + static_cast<size_t>(i) * d, d); }
  float symmetric_dis(idx_t i, idx_t j) override {
    return -dot(xb + static_cast<size_t>(i) * d, xb + static_cast<size_t>(j) * d, d);
  }
};

// The same from the int8 codes (approximate; see hnsw_search).
struct Int8Distance final : faiss::DistanceComputer {
  const Int8Rows& rows;
  const float* xb;
  size_t d;
  Int8Rows::Query q8;
  Int8Distance(const Int8Rows& codes, const float* vectors, size_t dims) : rows(codes), xb(vectors), d(dims) {}
  void set_query(const float* x) override { q8 = rows.quantise(x); }
  float operator()(idx_t i) override { return -rows.score(q8, static_cast<size_t>(i)); }
  float symmetric_dis(idx_t i, idx_t j) override {
    return -dot(xb + static_cast<size_t>(i) * d, xb + static_cast<size_t>(j) * d, d);
  }
};

// Passes entry i if it is a memory's current vector and the memory passes the
// filter. Reads only the in-memory tables, under the caller's shared lock.
class EntrySelector final : public faiss::IDSelector {
 public:
  EntrySelector(const VectorState& state, const CompiledFilter& filter) : state_(state), filter_(filter) {}
  bool narrows() const { return filter_.narrows(); }
  bool is_member(idx_t i) const override {
    const MemoryNode* node = state_.entries[static_cast<size_t>(i)];
    return node != nullptr && node->second.vector_current() && filter_.matches(node->second, state_.tag_sets);
  }

 private:
  const VectorState& state_;
  const CompiledFilter& filter_;
};

// The `count` best of n entries, best first, scored a block at a time by
// score_block(start, rows, out), keeping a bounded heap. `ask`, when given,
// is asked only about an entry that would enter the heap: asking costs a
// pointer chase into the memory table, more than a score, and in a pass over
// n entries in no particular order only about count·ln(n/count) of them beat
// the count-th best so far. Most rows lose to the worst kept, so each is
// compared first with a float in a register rather than with the heap's top.
template <typename ScoreBlock>
std::vector<Hit> best_scored(size_t n, size_t count, const EntrySelector* ask, ScoreBlock&& score_block) {
  std::vector<Hit> kept;
  if (count == 0) return kept;
  kept.reserve(count + 1);
  // With "less" meaning better, the heap's top is the worst hit kept.
  auto less = [](const Hit& a, const Hit& b) { return better(a, b); };
  constexpr size_t kBlock = 256;  // scores of a block stay in L1
  float scores[kBlock];
  for (size_t start = 0; start < n; start += kBlock) {
    const size_t rows = std::min(kBlock, n - start);
    score_block(start, rows, scores);
    float bar = kept.size() == count ? kept.front().score : -std::numeric_limits<float>::infinity();
    for (size_t j = 0; j < rows; ++j) {
      if (scores[j] < bar) continue;
      const Hit h{scores[j], static_cast<idx_t>(start + j)};
      if (kept.size() == count && !better(h, kept.front())) continue;
      if (ask && !ask->is_member(h.entry)) continue;
      kept.push_back(h);
      std::push_heap(kept.begin(), kept.end(), less);
      if (kept.size() > count) {
        std::pop_heap(kept.begin(), kept.end(), less);
        kept.pop_back();
      }
      if (kept.size() == count) bar = kept.front().score;
    }
  }
  std::sort_heap(kept.begin(), kept.end(), less);  // best first
  return kept;
}

}  // namespace

class VectorProjection::Impl {
 public:
  Impl(const std::string& dir, VectorOptions options)
      : snapshot_path_(dir + "/" + std::string(kSnapshotFile)), options_(std::move(options)) {}

  Status open();
  void close();
  uint64_t checkpoint() const { return checkpoint_.load(); }
  bool rebuilt_on_open() const { return rebuilt_on_open_; }
  const VectorOptions& options() const { return options_; }
  Status apply(std::span<const journal::Event> events);
  Status reset();
  Status snapshot();
  Result<std::vector<VectorHit>> search(const std::vector<float>& query, size_t k, const MemoryFilter* filter) const;
  std::optional<std::vector<float>> vector_of(std::string_view id) const;
  VectorStats stats() const;

 private:
  SnapshotKey key() const { return {options_.model, options_.dims, VectorProjection::kVersion}; }
  Result<VectorState> empty_state() const;
  std::unique_ptr<faiss::Index> make_index(bool hnsw) const;
  void adopt(VectorState state);  // mu_ exclusive (or not yet shared)
  Status apply_event(const journal::Event& e);
  Status apply_memory_event(std::string_view id, const journal::Event& e);
  Status apply_embedding(const journal::Event& e);
  void drop_entry(MemoryMeta& m);
  std::optional<bool> rebuild_due() const;  // the kind to rebuild as (true: HNSW), if one is due
  Status rebuild(bool hnsw);
  Status write_snapshot_locked();
  const float* stored_vectors() const;
  // Vectors of this chunk of events not yet in the index: FAISS 1.7.3's
  // IndexHNSW::add initialises a lock per vertex of the whole index on every
  // call, so adding one vector at a time made a load or replay quadratic
  // (a third of a 100k rebuild). They go in with one add() before the lock
  // is released, before a rebuild, and before anything reads them back.
  std::vector<float> pending_;
  const float* vector_at(uint32_t entry) const;
  void flush_pending();
  double passing_share(const EntrySelector& sel) const;
  std::vector<Hit> index_search(const float* q, size_t k, EntrySelector* sel) const;  // sel may be null
  std::vector<Hit> hnsw_search(const float* q, size_t k, EntrySelector* sel) const;
  std::vector<Hit> exact_scan(const float* q, size_t k, const EntrySelector& sel) const;
  std::vector<Hit> quantised_scan(const float* q, size_t k, const EntrySelector& sel) const;
  // The index's vectors as int8 codes, row for row (flat scans and the HNSW
  // walk); changes with state_.index, under the same locks.
  void requantise();

  // Constant after construction.
  const std::string snapshot_path_;
  const VectorOptions options_;
  bool rebuilt_on_open_ = false;

  // write_mu_ serialises the mutators (apply, reset, snapshot, close). State
  // below changes only with write_mu_ held *and* mu_ held exclusively, so
  // holding either one is enough to read it.
  std::mutex write_mu_;
  mutable RwLock mu_;
  VectorState state_;
  Int8Rows quantised_{options_.dims};
  // Visited tables of finished HNSW searches, for the next ones (see hnsw_search).
  static constexpr size_t kVisitedTablesKept = 8;
  mutable std::mutex visited_mu_;
  mutable std::vector<std::unique_ptr<faiss::VisitedTable>> visited_pool_;
  bool hnsw_ = false;
  size_t tombstones_ = 0;
  size_t live_vectors_ = 0;
  std::atomic<uint64_t> checkpoint_{0};  // == state_.checkpoint_seq, readable without a lock

  // Guarded by write_mu_ only.
  uint64_t snapshot_seq_ = 0;  // checkpoint of the snapshot on disk (0: none)
  uint64_t events_since_snapshot_ = 0;
  uint64_t changes_since_snapshot_ = 0;  // of them, events on memory or embedding streams
  bool broken_ = false;  // an add threw halfway; the runner has stopped
};

// ---- open, close, reset -----------------------------------------------------

std::unique_ptr<faiss::Index> VectorProjection::Impl::make_index(bool hnsw) const {
  auto d = static_cast<int>(options_.dims);
  if (!hnsw) return std::make_unique<FastFlatIP>(d);
  auto index = std::make_unique<faiss::IndexHNSWFlat>(d, options_.hnsw_m, faiss::METRIC_INNER_PRODUCT);
  index->hnsw.efConstruction = options_.hnsw_ef_construction;
  index->hnsw.efSearch = options_.hnsw_ef_search;
  return accelerate(std::move(index));
}

Result<VectorState> VectorProjection::Impl::empty_state() const {
  VectorState s;
  try {
    s.index = make_index(options_.hnsw_threshold == 0);
  } catch (const std::exception& e) {
    return faiss_failure("create index", e);
  }
  return s;
}

void VectorProjection::Impl::adopt(VectorState state) {
  state_ = std::move(state);
  hnsw_ = dynamic_cast<faiss::IndexHNSW*>(state_.index.get()) != nullptr;
  if (auto* h = dynamic_cast<faiss::IndexHNSW*>(state_.index.get())) {
    // A snapshot keeps the parameters it was built with; searches and later adds use today's.
    h->hnsw.efConstruction = options_.hnsw_ef_construction;
    h->hnsw.efSearch = options_.hnsw_ef_search;
  }
  requantise();
  tombstones_ = 0;
  for (const MemoryNode* node : state_.entries) tombstones_ += node == nullptr ? 1 : 0;
  live_vectors_ = 0;
  for (const auto& [id, m] : state_.memories) live_vectors_ += m.live_vector() ? 1 : 0;
  checkpoint_ = state_.checkpoint_seq;
}

Status VectorProjection::Impl::open() {
  std::lock_guard<std::mutex> writer(write_mu_);
  std::remove((snapshot_path_ + ".tmp").c_str());  // a write cut short by a crash
  auto loaded = read_snapshot(snapshot_path_, key());
  if (loaded.ok()) {
    adopt(std::move(loaded).value());
    snapshot_seq_ = state_.checkpoint_seq;
    return Status::Ok();
  }
  if (!loaded.status().IsNotFound()) {
    // Another model, dims or version, or a damaged file: the journal holds
    // everything, so start from seq 1 rather than trust or fail on it.
    rebuilt_on_open_ = true;
    SIGNET_TRY(remove_snapshot(snapshot_path_));
  }
  SIGNET_ASSIGN_OR_RETURN(auto fresh, empty_state());
  adopt(std::move(fresh));
  return Status::Ok();
}

void VectorProjection::Impl::close() {
  std::lock_guard<std::mutex> writer(write_mu_);
  if (broken_ || state_.checkpoint_seq == snapshot_seq_) return;
  // Nothing is lost by not writing, or if writing fails: the next open
  // replays the journal from the older snapshot's checkpoint (or from seq 1).
  if (snapshot_seq_ != 0 && changes_since_snapshot_ < options_.snapshot_on_close_min_changes) return;
  (void)write_snapshot_locked();
}

Status VectorProjection::Impl::reset() {
  std::lock_guard<std::mutex> writer(write_mu_);
  SIGNET_ASSIGN_OR_RETURN(auto fresh, empty_state());
  VectorState old;
  {
    std::unique_lock<RwLock> lock(mu_);
    old = std::move(state_);
    adopt(std::move(fresh));
    pending_.clear();
  }
  broken_ = false;
  snapshot_seq_ = 0;
  events_since_snapshot_ = 0;
  changes_since_snapshot_ = 0;
  return remove_snapshot(snapshot_path_);
}  // the old state is freed here, outside the lock

Status VectorProjection::Impl::snapshot() {
  std::lock_guard<std::mutex> writer(write_mu_);
  return write_snapshot_locked();
}

Status VectorProjection::Impl::write_snapshot_locked() {
  // Reads state_ with write_mu_ only: searches go on meanwhile.
  if (broken_) return Status::Unavailable("vector projection failed mid-event; reset() or reopen to rebuild");
  events_since_snapshot_ = 0;  // a failure is retried after another snapshot_every_events
  changes_since_snapshot_ = 0;
  SIGNET_TRY(write_snapshot(snapshot_path_, key(), state_));
  snapshot_seq_ = state_.checkpoint_seq;
  return Status::Ok();
}

// ---- apply ------------------------------------------------------------------

Status VectorProjection::Impl::apply(std::span<const journal::Event> events) {
  std::lock_guard<std::mutex> writer(write_mu_);
  OmpOneThread one_thread;
  size_t i = 0;
  while (i < events.size()) {
    std::optional<bool> rebuild_as;
    {
      std::unique_lock<RwLock> lock(mu_);
      for (size_t held = 0; i < events.size() && held < kEventsPerLock && !rebuild_as; ++i, ++held) {
        const journal::Event& e = events[i];
        if (e.seq <= state_.checkpoint_seq) continue;
        Status st;
        try {
          st = apply_event(e);
        } catch (const std::exception& ex) {  // faiss::FaissException, std::bad_alloc
          broken_ = true;  // the index may now disagree with the tables: never persist it
          st = faiss_failure("add", ex);
        }
        if (!st.ok()) {
          // What the events before this one added must reach the index, or
          // the entry table would point past it.
          try {
            flush_pending();
          } catch (const std::exception&) {
            broken_ = true;
          }
          return st.WithContext("vector projection at seq " + std::to_string(e.seq));
        }
        state_.checkpoint_seq = e.seq;
        checkpoint_ = e.seq;
        ++events_since_snapshot_;
        if (!engine::memory_id_of_stream(e.stream).empty() || e.type == journal::EventType::EmbeddingRecorded)
          ++changes_since_snapshot_;
        rebuild_as = rebuild_due();
      }
      try {
        flush_pending();
      } catch (const std::exception& ex) {
        broken_ = true;
        return faiss_failure("add", ex).WithContext("vector projection at seq " + std::to_string(state_.checkpoint_seq));
      }
    }
    if (rebuild_as) {
      Status st = rebuild(*rebuild_as);
      if (!st.ok()) return st.WithContext("vector projection at seq " + std::to_string(state_.checkpoint_seq));
    }
  }
  // A failed snapshot fails the apply (the events are applied and the
  // checkpoint moved), so the runner reports it rather than it going unseen;
  // nothing is lost, the journal still holds every event.
  if (events_since_snapshot_ > 0 && events_since_snapshot_ >= options_.snapshot_every_events)
    return write_snapshot_locked();
  return Status::Ok();
}

Status VectorProjection::Impl::apply_event(const journal::Event& e) {
  std::string_view id = engine::memory_id_of_stream(e.stream);
  if (!id.empty()) return apply_memory_event(id, e);
  if (e.type == journal::EventType::EmbeddingRecorded) return apply_embedding(e);
  return Status::Ok();  // accesses, jobs, documents: nothing a vector search uses
}

Status VectorProjection::Impl::apply_memory_event(std::string_view id, const journal::Event& e) {
  using journal::EventType;
  auto it = state_.memories.find(id);
  MemoryMeta* m = it == state_.memories.end() ? nullptr : &it->second;
  const bool was_live = m && m->live_vector();
  switch (e.type) {
    case EventType::MemoryRemembered: {
      SIGNET_ASSIGN_OR_RETURN(auto r, engine::decode_remembered(e.payload));
      if (!m) m = &state_.memories.try_emplace(std::string(id)).first->second;
      m->content_hash = hash_digest(r.content_hash);
      m->type = state_.strings.intern(r.type);
      m->who = state_.strings.intern(r.who);
      m->project = state_.strings.intern(r.project);
      m->tags = state_.tag_sets.intern(r.tags, state_.strings);
      m->importance = r.importance;
      m->pinned = r.pinned;
      m->created_at_us = e.ts_us;
      m->deleted = false;
      break;
    }
    case EventType::MemoryModified: {
      SIGNET_ASSIGN_OR_RETURN(auto r, engine::decode_modified(e.payload));
      if (!m) return Status::Ok();  // never remembered here: nothing to filter or embed
      if (r.content_hash) m->content_hash = hash_digest(*r.content_hash);  // a new hash makes the vector stale
      if (r.type) m->type = state_.strings.intern(*r.type);
      if (r.who) m->who = state_.strings.intern(*r.who);
      if (r.project) m->project = state_.strings.intern(*r.project);
      if (r.tags) m->tags = state_.tag_sets.intern(*r.tags, state_.strings);
      if (r.importance) m->importance = *r.importance;
      if (r.pinned) m->pinned = *r.pinned;
      break;
    }
    case EventType::MemoryForgotten: {
      SIGNET_ASSIGN_OR_RETURN(auto r, engine::decode_forgotten(e.payload));
      (void)r;
      if (m) m->deleted = true;
      break;
    }
    case EventType::MemoryRecovered: {
      SIGNET_ASSIGN_OR_RETURN(auto r, engine::decode_recovered(e.payload));
      (void)r;
      if (m) m->deleted = false;
      break;
    }
    case EventType::MemoryPurged: {
      SIGNET_ASSIGN_OR_RETURN(auto r, engine::decode_purged(e.payload));
      (void)r;
      if (!m) return Status::Ok();
      live_vectors_ -= was_live ? 1 : 0;
      drop_entry(*m);
      state_.memories.erase(it);
      return Status::Ok();
    }
    default:  // as fold_memory_event: anything else on a memory stream is not ours to skip
      return Status::Corruption("seq " + std::to_string(e.seq) + ": event type " +
                                std::string(journal::event_type_name(e.type)) + " does not belong on stream " +
                                e.stream);
  }
  live_vectors_ = live_vectors_ - (was_live ? 1 : 0) + (m && m->live_vector() ? 1 : 0);
  return Status::Ok();
}

Status VectorProjection::Impl::apply_embedding(const journal::Event& e) {
  SIGNET_ASSIGN_OR_RETURN(auto rec, engine::decode_embedding_recorded(e.payload));
  // Vectors of another model or size belong to another index.
  if (rec.model != options_.model || rec.dims != options_.dims || rec.vector.size() != options_.dims)
    return Status::Ok();
  auto it = state_.memories.find(rec.memory_id);
  if (it == state_.memories.end()) return Status::Ok();  // never remembered, or purged
  MemoryMeta& m = it->second;
  const uint64_t hash = hash_digest(rec.content_hash);
  if (hash != m.content_hash) return Status::Ok();  // embedded from content the memory no longer has
  if (!normalize(rec.vector)) return Status::Ok();  // no direction to compare
  if (m.vector_current() &&
      std::equal(rec.vector.begin(), rec.vector.end(), vector_at(m.entry)))
    return Status::Ok();  // re-embedded to the same vector: no tombstone needed
  if (state_.entries.size() >= kEntriesMax) return Status::TooLarge("vector index is full");

  const bool was_live = m.live_vector();
  state_.entries.reserve(state_.entries.size() + 1);  // before the append: nothing may throw after it
  pending_.insert(pending_.end(), rec.vector.begin(), rec.vector.end());
  drop_entry(m);
  m.entry = static_cast<uint32_t>(state_.entries.size());
  m.vector_hash = hash;
  state_.entries.push_back(&*it);
  live_vectors_ = live_vectors_ - (was_live ? 1 : 0) + (m.live_vector() ? 1 : 0);
  return Status::Ok();
}

// The memory's vector entry, if any, becomes a tombstone.
void VectorProjection::Impl::drop_entry(MemoryMeta& m) {
  if (!m.has_vector()) return;
  state_.entries[m.entry] = nullptr;
  ++tombstones_;
  m.entry = kNoEntry;
}

std::optional<bool> VectorProjection::Impl::rebuild_due() const {
  const size_t total = state_.entries.size();
  const bool want_hnsw = total - tombstones_ >= options_.hnsw_threshold;
  if (tombstones_ * 4 > total) return want_hnsw;  // compaction; may also go back to flat
  if (want_hnsw && !hnsw_) return true;
  return std::nullopt;
}

// Builds the new index from the stored vectors while searches keep using the
// old one (write_mu_ is held, so nothing changes under us), then swaps.
Status VectorProjection::Impl::rebuild(bool hnsw) {
  std::unique_ptr<faiss::Index> index;
  std::vector<MemoryNode*> entries;
  try {
    index = make_index(hnsw);
    entries.reserve(state_.entries.size() - tombstones_);
    const size_t d = options_.dims;
    const float* xb = stored_vectors();
    std::vector<float> chunk;
    chunk.reserve(kRebuildChunkVectors * d);
    auto flush = [&] {
      if (chunk.empty()) return;
      index->add(static_cast<idx_t>(chunk.size() / d), chunk.data());
      chunk.clear();
    };
    for (size_t i = 0; i < state_.entries.size(); ++i) {
      if (state_.entries[i] == nullptr) continue;
      chunk.insert(chunk.end(), xb + i * d, xb + (i + 1) * d);
      entries.push_back(state_.entries[i]);
      if (chunk.size() == kRebuildChunkVectors * d) flush();
    }
    flush();
  } catch (const std::exception& e) {
    return faiss_failure("rebuild", e);
  }
  Int8Rows quantised(options_.dims);
  try {
    quantised.append(flat_vectors(*index), static_cast<size_t>(index->ntotal));
  } catch (const std::exception& e) {  // bad_alloc
    return faiss_failure("rebuild", e);
  }
  std::unique_lock<RwLock> lock(mu_);
  std::swap(state_.index, index);
  std::swap(quantised_, quantised);
  state_.entries.swap(entries);
  for (size_t i = 0; i < state_.entries.size(); ++i) state_.entries[i]->second.entry = static_cast<uint32_t>(i);
  tombstones_ = 0;
  hnsw_ = hnsw;
  lock.unlock();
  return Status::Ok();  // the old index is freed here, outside the lock
}

// ---- search -----------------------------------------------------------------

const float* VectorProjection::Impl::vector_at(uint32_t entry) const {
  const size_t in_index = static_cast<size_t>(state_.index->ntotal);
  if (entry < in_index) return stored_vectors() + size_t{entry} * options_.dims;
  return pending_.data() + (size_t{entry} - in_index) * options_.dims;
}

void VectorProjection::Impl::flush_pending() {
  if (pending_.empty()) return;
  const idx_t n = static_cast<idx_t>(pending_.size() / options_.dims);
  std::vector<float> batch;
  batch.swap(pending_);  // emptied even if add() throws: the projection is then broken anyway
  state_.index->add(n, batch.data());
  quantised_.append(batch.data(), static_cast<size_t>(n));
}

void VectorProjection::Impl::requantise() {
  quantised_.clear();
  if (state_.index) quantised_.append(stored_vectors(), static_cast<size_t>(state_.index->ntotal));
}

const float* VectorProjection::Impl::stored_vectors() const { return flat_vectors(*state_.index); }

double VectorProjection::Impl::passing_share(const EntrySelector& sel) const {
  const size_t n = state_.entries.size();
  const size_t samples = std::min(n, kSelectivitySample);
  size_t passing = 0;
  for (size_t j = 0; j < samples; ++j) passing += sel.is_member(static_cast<idx_t>(j * n / samples)) ? 1 : 0;
  return static_cast<double>(passing) / static_cast<double>(samples);
}

std::vector<Hit> VectorProjection::Impl::index_search(const float* q, size_t k, EntrySelector* sel) const {
  if (hnsw_) return hnsw_search(q, k, sel);
  std::vector<float> scores(k);
  std::vector<idx_t> labels(k);
  faiss::SearchParameters params;
  params.sel = sel;
  state_.index->search(1, q, static_cast<idx_t>(k), scores.data(), labels.data(), &params);
  std::vector<Hit> hits;
  for (size_t j = 0; j < k; ++j)
    if (labels[j] >= 0) hits.push_back({scores[j], labels[j]});
  return hits;
}

// The graph walk of IndexHNSW::search for one query, without its per-search
// costs: a visited table as large as the index allocated and zeroed (1 MB at
// 1M memories; here up to kVisitedTablesKept are kept and reset by a
// counter), and FAISS's global statistics, updated without a lock. The walk
// compares the query with int8 codes (Int8Rows::score: a quarter of the
// bytes, one VNNI instruction per 64 dims), where float products were three
// quarters of a search; the k it keeps are rescored with the floats, so the
// scores are exact as before. The codes cost a quarter of the vectors' memory
// (256 MB at 1M memories of 256 dims).
std::vector<Hit> VectorProjection::Impl::hnsw_search(const float* q, size_t k, EntrySelector* sel) const {
  const auto& index = static_cast<const faiss::IndexHNSW&>(*state_.index);
  const size_t n = static_cast<size_t>(index.ntotal);
  if (k == 0 || n == 0) return {};
  std::unique_ptr<faiss::VisitedTable> visited;
  {
    std::lock_guard<std::mutex> lock(visited_mu_);
    if (!visited_pool_.empty()) {
      visited = std::move(visited_pool_.back());
      visited_pool_.pop_back();
    }
  }
  if (!visited || visited->visited.size() < n) visited = std::make_unique<faiss::VisitedTable>(static_cast<int>(n));
  else visited->advance();
  struct GiveBack {
    const Impl& impl;
    std::unique_ptr<faiss::VisitedTable>& table;
    ~GiveBack() {
      std::lock_guard<std::mutex> lock(impl.visited_mu_);
      if (impl.visited_pool_.size() < kVisitedTablesKept) impl.visited_pool_.push_back(std::move(table));
    }
  } give_back{*this, visited};

  const float* xb = stored_vectors();
  const size_t d = options_.dims;
  std::unique_ptr<faiss::DistanceComputer> dis;
  const bool approximate = quantised_.size() == n;
  if (approximate) dis = std::make_unique<Int8Distance>(quantised_, xb, d);
  else dis = std::make_unique<FloatDistance>(xb, d);
  dis->set_query(q);

  std::vector<float> distances(k);
  std::vector<idx_t> labels(k);
  faiss::maxheap_heapify(k, distances.data(), labels.data());
  faiss::SearchParametersHNSW params;  // its efSearch, not the index's, is the beam when params are given
  params.sel = sel;
  params.efSearch = index.hnsw.efSearch;
  index.hnsw.search(*dis, static_cast<int>(k), labels.data(), distances.data(), *visited, &params);
  faiss::maxheap_reorder(k, distances.data(), labels.data());
  std::vector<Hit> hits;
  hits.reserve(k);
  for (size_t j = 0; j < k; ++j) {
    if (labels[j] < 0) continue;
    float score = approximate ? dot(q, xb + static_cast<size_t>(labels[j]) * d, d) : -distances[j];
    hits.push_back({score, labels[j]});
  }
  if (approximate) std::sort(hits.begin(), hits.end(), better);
  return hits;
}

// One pass over the stored vectors, which are contiguous (best_scored), or
// over their int8 codes when there are enough of them. A selective filter
// asks the selector more often; that is the price of being exact.
std::vector<Hit> VectorProjection::Impl::exact_scan(const float* q, size_t k, const EntrySelector& sel) const {
  if (k == 0) return {};
  if (quantised_.size() == state_.entries.size() && std::max(k * kRescorePerHit, kRescoreMin) < quantised_.size())
    return quantised_scan(q, k, sel);
  const size_t d = options_.dims;
  const float* xb = stored_vectors();
  return best_scored(state_.entries.size(), k, &sel, [&](size_t start, size_t rows, float* out) {
    dot_rows(q, xb + start * d, rows, d, out);
  });
}

// The scan above over int8 codes: the best candidates by approximate score,
// then the k best of them by the floats. Asking the selector costs a cache
// miss into the memory table, and without a filter nearly every entry passes:
// then the scan keeps the best regardless and asks only about those, and
// scans again asking as it goes only if too few of them pass (many memories
// forgotten). With a filter it asks as it goes, as exact_scan does.
std::vector<Hit> VectorProjection::Impl::quantised_scan(const float* q, size_t k, const EntrySelector& sel) const {
  const size_t d = options_.dims;
  const size_t n = state_.entries.size();
  const size_t wanted = std::max(k * kRescorePerHit, kRescoreMin);
  const Int8Rows::Query q8 = quantised_.quantise(q);
  auto best = [&](const EntrySelector* ask) {
    return best_scored(n, wanted, ask,
                       [&](size_t start, size_t rows, float* out) { quantised_.scores(q8, start, rows, out); });
  };
  std::vector<Hit> kept;
  if (!sel.narrows()) {
    kept = best(nullptr);
    kept.erase(std::remove_if(kept.begin(), kept.end(), [&](const Hit& h) { return !sel.is_member(h.entry); }),
               kept.end());
    if (kept.size() < std::max(k, wanted / 2)) kept.clear();
  }
  if (kept.empty()) kept = best(&sel);
  const float* xb = stored_vectors();
  for (Hit& h : kept) h.score = dot(q, xb + static_cast<size_t>(h.entry) * d, d);
  std::sort(kept.begin(), kept.end(), better);
  if (kept.size() > k) kept.resize(k);
  return kept;
}

Result<std::vector<VectorHit>> VectorProjection::Impl::search(const std::vector<float>& query, size_t k,
                                                              const MemoryFilter* filter) const {
  if (query.size() != options_.dims)
    return Status::InvalidArgument("query vector has " + std::to_string(query.size()) + " values, expected " +
                                   std::to_string(options_.dims));
  std::vector<float> q = query;
  if (!normalize(q)) return Status::InvalidArgument("query vector has a zero norm or a value that is not finite");
  std::vector<VectorHit> out;
  if (k == 0) return out;

  OmpOneThread one_thread;
  std::shared_lock<RwLock> lock(mu_);
  CompiledFilter compiled(filter, state_.strings);
  if (compiled.impossible() || state_.entries.empty()) return out;
  EntrySelector sel(state_, compiled);
  k = std::min(k, state_.entries.size());
  std::vector<Hit> hits;
  try {
    if (!hnsw_) {
      hits = exact_scan(q.data(), k, sel);  // flat: a scan, with our kernel and the filter inline
    } else if (passing_share(sel) < kHnswSelectivityMin) {
      hits = exact_scan(q.data(), k, sel);
    } else if (!sel.narrows()) {
      // No filter: nearly every entry passes, and FAISS asking the selector
      // at every node it visits was a tenth of a search at 1M. Twice k
      // without it, then only those asked; with the selector if too few pass.
      hits = index_search(q.data(), std::min(2 * k, state_.entries.size()), nullptr);
      hits.erase(std::remove_if(hits.begin(), hits.end(), [&](const Hit& h) { return !sel.is_member(h.entry); }),
                 hits.end());
      if (hits.size() >= k) {
        hits.resize(k);
      } else {
        hits = index_search(q.data(), k, &sel);
        if (hits.size() < k) hits = exact_scan(q.data(), k, sel);
      }
    } else {
      hits = index_search(q.data(), k, &sel);
      if (hits.size() < k) hits = exact_scan(q.data(), k, sel);
    }
  } catch (const std::exception& e) {
    return faiss_failure("search", e);
  }
  out.reserve(hits.size());
  for (const Hit& h : hits)
    out.push_back({state_.entries[static_cast<size_t>(h.entry)]->first, std::clamp(h.score, -1.0f, 1.0f)});
  return out;
}

std::optional<std::vector<float>> VectorProjection::Impl::vector_of(std::string_view id) const {
  std::shared_lock<RwLock> lock(mu_);
  auto it = state_.memories.find(id);
  if (it == state_.memories.end() || !it->second.live_vector()) return std::nullopt;
  const float* v = stored_vectors() + size_t{it->second.entry} * options_.dims;
  return std::vector<float>(v, v + options_.dims);
}

VectorStats VectorProjection::Impl::stats() const {
  std::shared_lock<RwLock> lock(mu_);
  return {live_vectors_, tombstones_, hnsw_};
}

// ---- the public face --------------------------------------------------------

Result<std::unique_ptr<VectorProjection>> VectorProjection::open(const std::string& dir, VectorOptions options) {
  if (options.model.empty()) return Status::InvalidArgument("vector projection: model is empty");
  if (options.dims == 0 || options.dims > kDimsMax)
    return Status::InvalidArgument("vector projection: dims must be in 1.." + std::to_string(kDimsMax));
  if (options.hnsw_m < 2 || options.hnsw_ef_construction < 1 || options.hnsw_ef_search < 1)
    return Status::InvalidArgument("vector projection: hnsw_m must be >= 2 and ef values >= 1");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("create " + dir + ": " + ec.message());
  auto impl = std::make_unique<Impl>(dir, std::move(options));
  SIGNET_TRY(impl->open());
  return std::unique_ptr<VectorProjection>(new VectorProjection(std::move(impl)));
}

VectorProjection::VectorProjection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VectorProjection::~VectorProjection() { impl_->close(); }

uint64_t VectorProjection::checkpoint() const { return impl_->checkpoint(); }
Status VectorProjection::apply(std::span<const journal::Event> events) { return impl_->apply(events); }
Status VectorProjection::reset() { return impl_->reset(); }
bool VectorProjection::rebuilt_on_open() const { return impl_->rebuilt_on_open(); }
Result<std::vector<VectorHit>> VectorProjection::search(const std::vector<float>& query, size_t k,
                                                        const MemoryFilter* filter) const {
  return impl_->search(query, k, filter);
}
std::optional<std::vector<float>> VectorProjection::vector_of(std::string_view id) const {
  return impl_->vector_of(id);
}
Status VectorProjection::snapshot() { return impl_->snapshot(); }
VectorStats VectorProjection::stats() const { return impl_->stats(); }
const VectorOptions& VectorProjection::options() const { return impl_->options(); }

}  // namespace signet::projections
