// Keys under the namespace <ns> (default "mem"):
//   <ns>/r/<id>                      encoded MemoryRecord (engine/memory_record.h), access stats zero
//   <ns>/a/<id>                      u64 BE access_count, u64 BE last_accessed_us (a ViewsDb counter)
//   <ns>/t/<created_us BE8><id>      "" — newest-first listing walks this backwards
//   <ns>/w/<who>                     u64 BE: active memories by this author
//   <ns>/stats                       4 × u64 BE: total, critical, with_embeddings, deleted
#include "projections/memories/memories_projection.h"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <map>
#include <unordered_map>

#include "engine/memory_events.h"
#include "journal/rocks_options.h"

namespace signet::projections {

using engine::MemoryRecord;
using journal::decode_u64_be;
using journal::encode_u64_be;
using journal::from_rocks;

namespace {

struct Contribution {
  int64_t total = 0, critical = 0, with_embeddings = 0, deleted = 0;
};

Contribution contribution(const std::optional<MemoryRecord>& m) {
  Contribution c;
  if (!m || m->purged) return c;
  if (m->deleted) {
    c.deleted = 1;
    return c;
  }
  c.total = 1;
  c.critical = m->pinned ? 1 : 0;
  c.with_embeddings = m->has_current_embedding() ? 1 : 0;
  return c;
}

std::string active_who(const std::optional<MemoryRecord>& m) {
  return (m && m->active() && !m->who.empty()) ? m->who : std::string();
}

// Access statistics live apart from the row: recall records a batch of them
// every second under load, and rewriting thousands of whole rows for each
// (decode, fold, encode, put) kept the memtable churning and the block cache
// cold for the rows recall reads. An access batch merges 16 bytes per memory.
struct AccessStats {
  uint64_t count = 0;
  int64_t last_us = 0;
};

Result<AccessStats> decode_access(std::string_view v) {
  if (v.size() != 16) return Status::Corruption("memory access stats are malformed");
  return AccessStats{decode_u64_be(v.data()), static_cast<int64_t>(decode_u64_be(v.data() + 8))};
}

std::string stats_value(const MemoryStats& s) {
  return encode_u64_be(s.total) + encode_u64_be(s.critical) + encode_u64_be(s.with_embeddings) +
         encode_u64_be(s.deleted);
}

}  // namespace

Result<std::unique_ptr<MemoriesProjection>> MemoriesProjection::open(std::shared_ptr<ViewsDb> views, std::string ns) {
  std::unique_ptr<MemoriesProjection> p(new MemoriesProjection(std::move(views), std::move(ns)));
  SIGNET_ASSIGN_OR_RETURN(uint32_t stored, p->views_->read_version(p->ns_));
  if (stored != kVersion) {
    // A new projection version, or none stored: rebuild from seq 1.
    p->rebuilt_on_open_ = stored != 0;
    SIGNET_TRY(p->reset());
  }
  SIGNET_ASSIGN_OR_RETURN(uint64_t cp, p->views_->read_checkpoint(p->ns_));
  p->checkpoint_ = cp;
  return p;
}

std::string MemoriesProjection::row_key(std::string_view id) const { return ns_ + "/r/" + std::string(id); }
std::string MemoriesProjection::access_key(std::string_view id) const { return ns_ + "/a/" + std::string(id); }
std::string MemoriesProjection::time_key(int64_t created_us, std::string_view id) const {
  return ns_ + "/t/" + encode_u64_be(static_cast<uint64_t>(created_us)) + std::string(id);
}
std::string MemoriesProjection::who_key(std::string_view who) const { return ns_ + "/w/" + std::string(who); }
std::string MemoriesProjection::stats_key() const { return ns_ + "/stats"; }

Status MemoriesProjection::reset() {
  SIGNET_TRY(views_->reset_namespace(ns_, kVersion));
  checkpoint_ = 0;
  return Status::Ok();
}

Status MemoriesProjection::apply(std::span<const journal::Event> events) {
  rocksdb::DB* db = views_->db();
  uint64_t cp = checkpoint_.load();
  std::unordered_map<std::string, std::optional<MemoryRecord>> rows;  // touched rows; nullopt = absent
  std::map<std::string, int64_t> who_delta;
  Contribution delta;
  rocksdb::WriteBatch batch;

  auto load = [&](std::string_view id) -> Result<std::optional<MemoryRecord>*> {
    std::string key(id);
    auto it = rows.find(key);
    if (it != rows.end()) return &it->second;
    SIGNET_ASSIGN_OR_RETURN(auto row, read_row(id));
    return &rows.emplace(std::move(key), std::move(row)).first->second;
  };
  auto account = [&](const std::optional<MemoryRecord>& before, const std::optional<MemoryRecord>& after) {
    Contribution b = contribution(before), a = contribution(after);
    delta.total += a.total - b.total;
    delta.critical += a.critical - b.critical;
    delta.with_embeddings += a.with_embeddings - b.with_embeddings;
    delta.deleted += a.deleted - b.deleted;
    std::string wb = active_who(before), wa = active_who(after);
    if (wb != wa) {
      if (!wb.empty()) who_delta[wb] -= 1;
      if (!wa.empty()) who_delta[wa] += 1;
    }
  };

  for (const journal::Event& e : events) {
    if (e.seq <= cp) continue;
    std::string_view id = engine::memory_id_of_stream(e.stream);
    if (!id.empty()) {
      // A stream's first event has nothing before it: no read. A replay is
      // half remembers, and each read missed through every SST (a third of
      // a 100k rebuild).
      if (e.stream_version == 1 && !rows.count(std::string(id))) rows.emplace(std::string(id), std::nullopt);
      SIGNET_ASSIGN_OR_RETURN(auto* slot, load(id));
      std::optional<MemoryRecord> before = *slot;
      MemoryRecord m = slot->value_or(MemoryRecord{});
      Status st = fold_memory_event(m, e);
      if (!st.ok()) return st.WithContext("memories projection at seq " + std::to_string(e.seq));
      if (!before) batch.Put(time_key(m.created_at_us, m.id), "");
      if (m.purged) {
        batch.Delete(time_key(m.created_at_us, m.id));
        *slot = std::nullopt;
        batch.Delete(access_key(m.id));
      } else {
        *slot = std::move(m);
      }
      account(before, *slot);
    } else if (e.type == journal::EventType::EmbeddingRecorded) {
      auto rec = engine::decode_embedding_recorded(e.payload);
      if (!rec.ok()) return rec.status().WithContext("memories projection at seq " + std::to_string(e.seq));
      SIGNET_ASSIGN_OR_RETURN(auto* slot, load(rec->memory_id));
      if (*slot && (*slot)->content_hash == rec->content_hash) {
        std::optional<MemoryRecord> before = *slot;
        engine::fold_embedding(**slot, *rec);
        account(before, *slot);
      }
    } else if (e.type == journal::EventType::MemoriesAccessed) {
      auto acc = engine::decode_memories_accessed(e.payload);
      if (!acc.ok()) return acc.status().WithContext("memories projection at seq " + std::to_string(e.seq));
      // Merged into the stored counts (ViewsDb's counters), reading
      // nothing: not the rows, not the counts. Ids of memories that are gone
      // leave counts that no row shows (a memory purged while its accesses
      // waited to be flushed); looking each one up would cost more.
      for (size_t i = 0; i < acc->ids.size(); ++i)
        batch.Merge(access_key(acc->ids[i]),
                    ViewsDb::counter_operand(acc->counts[i], static_cast<uint64_t>(e.ts_us)));
    }
    cp = e.seq;
  }
  if (cp == checkpoint_.load()) return Status::Ok();

  for (const auto& [id, row] : rows) {
    if (row) batch.Put(row_key(id), encode_memory(*row));
    else batch.Delete(row_key(id));
  }
  if (delta.total || delta.critical || delta.with_embeddings || delta.deleted) {
    SIGNET_ASSIGN_OR_RETURN(MemoryStats s, stats());
    s.total = static_cast<uint64_t>(static_cast<int64_t>(s.total) + delta.total);
    s.critical = static_cast<uint64_t>(static_cast<int64_t>(s.critical) + delta.critical);
    s.with_embeddings = static_cast<uint64_t>(static_cast<int64_t>(s.with_embeddings) + delta.with_embeddings);
    s.deleted = static_cast<uint64_t>(static_cast<int64_t>(s.deleted) + delta.deleted);
    batch.Put(stats_key(), stats_value(s));
  }
  for (const auto& [who, d] : who_delta) {
    if (d == 0) continue;
    std::string v;
    uint64_t n = 0;
    auto s = db->Get(rocksdb::ReadOptions(), who_key(who), &v);
    if (s.ok() && v.size() == 8) n = decode_u64_be(v.data());
    else if (!s.ok() && !s.IsNotFound()) return from_rocks(s, "read author count");
    int64_t next = static_cast<int64_t>(n) + d;
    if (next <= 0) batch.Delete(who_key(who));
    else batch.Put(who_key(who), encode_u64_be(static_cast<uint64_t>(next)));
  }
  batch.Put(ViewsDb::checkpoint_key(ns_), encode_u64_be(cp));
  SIGNET_TRY(views_->write(batch, "write memories projection"));
  checkpoint_ = cp;
  return Status::Ok();
}

Result<std::optional<MemoryRecord>> MemoriesProjection::read_row(std::string_view id) const {
  std::string v;
  auto s = views_->db()->Get(rocksdb::ReadOptions(), row_key(id), &v);
  if (s.IsNotFound()) return std::optional<MemoryRecord>();
  if (!s.ok()) return from_rocks(s, "read memory row");
  SIGNET_ASSIGN_OR_RETURN(auto m, engine::decode_memory(v));
  return std::optional<MemoryRecord>(std::move(m));
}

Result<std::optional<MemoryRecord>> MemoriesProjection::get(std::string_view id) const {
  SIGNET_ASSIGN_OR_RETURN(auto rows, get_many({std::string(id)}));
  if (rows.empty()) return std::optional<MemoryRecord>();
  return std::optional<MemoryRecord>(std::move(rows[0]));
}

Result<std::vector<MemoryRecord>> MemoriesProjection::read_rows(const rocksdb::ReadOptions& ro,
                                                                const std::vector<std::string>& ids,
                                                                bool with_access) const {
  std::vector<MemoryRecord> out;
  if (ids.empty()) return out;
  // One MultiGet: the rows, then (when wanted) their access stats.
  std::vector<std::string> keys;
  keys.reserve(ids.size() * (with_access ? 2 : 1));
  for (const auto& id : ids) keys.push_back(row_key(id));
  if (with_access)
    for (const auto& id : ids) keys.push_back(access_key(id));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<std::string> values;
  auto statuses = views_->db()->MultiGet(ro, slices, &values);
  out.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return from_rocks(statuses[i], "read memory rows");
    SIGNET_ASSIGN_OR_RETURN(auto m, engine::decode_memory(values[i]));
    if (with_access) {
      const size_t a = ids.size() + i;
      if (!statuses[a].ok() && !statuses[a].IsNotFound()) return from_rocks(statuses[a], "read memory access stats");
      if (statuses[a].ok()) {
        SIGNET_ASSIGN_OR_RETURN(auto stats, decode_access(values[a]));
        m.access_count = stats.count;
        m.last_accessed_us = stats.last_us;
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

Result<std::vector<MemoryRecord>> MemoriesProjection::get_many(const std::vector<std::string>& ids,
                                                               Fields fields) const {
  return read_rows(rocksdb::ReadOptions(), ids, fields == Fields::kAll);
}

Result<std::vector<MemoryRecord>> MemoriesProjection::list(const MemoryFilter& filter, size_t offset,
                                                           size_t limit) const {
  std::vector<MemoryRecord> out;
  if (limit == 0) return out;
  std::string prefix = ns_ + "/t/";
  std::string lower = prefix;
  if (filter.since_us) lower = time_key(*filter.since_us, "");
  rocksdb::ReadOptions ro;
  const rocksdb::Snapshot* snap = views_->db()->GetSnapshot();
  ro.snapshot = snap;
  rocksdb::Slice lower_slice(lower);
  ro.iterate_lower_bound = &lower_slice;
  std::unique_ptr<rocksdb::Iterator> it(views_->db()->NewIterator(ro));
  if (filter.until_us) {
    it->SeekForPrev(time_key(*filter.until_us, "\xff"));
  } else {
    std::string end = ns_ + "/t0";  // '0' follows '/'
    it->SeekForPrev(end);
    if (it->Valid() && it->key() == rocksdb::Slice(end)) it->Prev();
  }
  size_t skipped = 0;
  std::vector<std::string> ids;
  auto flush = [&]() -> Status {
    SIGNET_ASSIGN_OR_RETURN(auto rows, read_rows(ro, ids, /*with_access=*/true));
    for (auto& m : rows) {
      if (out.size() >= limit) break;
      if (!filter.matches(m)) continue;
      if (skipped < offset) {
        ++skipped;
        continue;
      }
      out.push_back(std::move(m));
    }
    ids.clear();
    return Status::Ok();
  };
  Status st;
  for (; it->Valid() && out.size() < limit; it->Prev()) {
    rocksdb::Slice k = it->key();
    if (!k.starts_with(prefix) || k.size() < prefix.size() + 8) break;
    ids.emplace_back(k.data() + prefix.size() + 8, k.size() - prefix.size() - 8);
    if (ids.size() >= std::min<size_t>(256, limit + offset - out.size() - skipped + 8)) {
      st = flush();
      if (!st.ok()) break;
    }
  }
  if (st.ok() && !it->status().ok()) st = from_rocks(it->status(), "list memories");
  if (st.ok() && !ids.empty() && out.size() < limit) st = flush();
  it.reset();
  views_->db()->ReleaseSnapshot(snap);
  if (!st.ok()) return st;
  return out;
}

Result<MemoryStats> MemoriesProjection::stats() const {
  std::string v;
  auto s = views_->db()->Get(rocksdb::ReadOptions(), stats_key(), &v);
  MemoryStats out;
  if (s.IsNotFound()) return out;
  if (!s.ok()) return from_rocks(s, "read memory stats");
  if (v.size() != 32) return Status::Corruption("memory stats are malformed");
  out.total = decode_u64_be(v.data());
  out.critical = decode_u64_be(v.data() + 8);
  out.with_embeddings = decode_u64_be(v.data() + 16);
  out.deleted = decode_u64_be(v.data() + 24);
  return out;
}

Result<std::vector<std::string>> MemoriesProjection::distinct_who() const {
  std::vector<std::string> out;
  std::string prefix = ns_ + "/w/";
  std::unique_ptr<rocksdb::Iterator> it(views_->db()->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next())
    out.emplace_back(it->key().data() + prefix.size(), it->key().size() - prefix.size());
  if (!it->status().ok()) return from_rocks(it->status(), "list authors");
  return out;
}

Status MemoriesProjection::scan_rows(const std::function<bool(std::string_view, std::string_view)>& fn,
                                     std::string_view from) const {
  std::string prefix = ns_ + "/";
  std::unique_ptr<rocksdb::Iterator> it(views_->db()->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix + std::string(from)); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view key(it->key().data() + prefix.size(), it->key().size() - prefix.size());
    if (!fn(key, std::string_view(it->value().data(), it->value().size()))) break;
  }
  return from_rocks(it->status(), "scan memories");
}

}  // namespace signet::projections
