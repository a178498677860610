#include "projections/timeline/timeline_projection.h"

#include <rocksdb/write_batch.h>

#include "journal/rocks_options.h"

namespace signet::projections {

using journal::decode_u64_be;
using journal::encode_u64_be;
using journal::from_rocks;

namespace {
// Ids are bounded so a key stays small; longer ones are cut (rare: ids are
// UUIDs or short tokens).
constexpr size_t kIdBytesMax = 256;
}  // namespace

Result<std::unique_ptr<TimelineProjection>> TimelineProjection::open(std::shared_ptr<ViewsDb> views, std::string ns) {
  std::unique_ptr<TimelineProjection> p(new TimelineProjection(std::move(views), std::move(ns)));
  SIGNET_ASSIGN_OR_RETURN(uint32_t stored, p->views_->read_version(p->ns_));
  if (stored != kVersion) SIGNET_TRY(p->reset());
  SIGNET_ASSIGN_OR_RETURN(uint64_t cp, p->views_->read_checkpoint(p->ns_));
  p->checkpoint_ = cp;
  return p;
}

std::string TimelineProjection::key(char kind, std::string_view id, uint64_t seq) const {
  std::string k = ns_ + "/" + kind + "/" + std::string(id.substr(0, kIdBytesMax));
  k.push_back('\0');
  k += encode_u64_be(seq);
  return k;
}

Status TimelineProjection::reset() {
  SIGNET_TRY(views_->reset_namespace(ns_, kVersion));
  checkpoint_ = 0;
  return Status::Ok();
}

Status TimelineProjection::apply(std::span<const journal::Event> events) {
  uint64_t cp = checkpoint_.load();
  rocksdb::WriteBatch batch;
  for (const auto& e : events) {
    if (e.seq <= cp) continue;
    if (!e.request_id.empty()) batch.Put(key('r', e.request_id, e.seq), "");
    if (!e.session_id.empty()) batch.Put(key('s', e.session_id, e.seq), "");
    cp = e.seq;
  }
  if (cp == checkpoint_.load()) return Status::Ok();
  batch.Put(ViewsDb::checkpoint_key(ns_), encode_u64_be(cp));
  SIGNET_TRY(views_->write(batch, "write timeline projection"));
  checkpoint_ = cp;
  return Status::Ok();
}

Result<std::vector<uint64_t>> TimelineProjection::scan(char kind, std::string_view id, size_t max) const {
  std::vector<uint64_t> out;
  if (id.empty()) return out;
  std::string prefix = ns_ + "/" + kind + "/" + std::string(id.substr(0, kIdBytesMax));
  prefix.push_back('\0');
  std::unique_ptr<rocksdb::Iterator> it(views_->db()->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix) && out.size() < max; it->Next()) {
    if (it->key().size() != prefix.size() + 8) continue;
    out.push_back(decode_u64_be(it->key().data() + prefix.size()));
  }
  if (!it->status().ok()) return from_rocks(it->status(), "read timeline");
  return out;
}

Result<std::vector<uint64_t>> TimelineProjection::seqs_of_request(std::string_view id, size_t max) const {
  return scan('r', id, max);
}

Result<std::vector<uint64_t>> TimelineProjection::seqs_of_session(std::string_view id, size_t max) const {
  return scan('s', id, max);
}

}  // namespace signet::projections
