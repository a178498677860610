#include "engine/memory_record.h"

#include <algorithm>

#include "engine/memory_events.h"
#include "journal/aligned_bytes.h"
#include "journal/schema/memory_record_generated.h"

namespace signet::engine {
namespace {

std::string str(const flatbuffers::String* s) { return s ? std::string(s->string_view()) : std::string(); }

}  // namespace

std::string encode_memory(const MemoryRecord& m) {
  flatbuffers::FlatBufferBuilder fbb(320 + m.content.size());
  auto id = fbb.CreateString(m.id);
  auto content = fbb.CreateString(m.content);
  auto hash = fbb.CreateString(m.content_hash);
  auto type = fbb.CreateString(m.type);
  auto tags = fbb.CreateVectorOfStrings(m.tags);
  auto who = fbb.CreateString(m.who);
  auto project = fbb.CreateString(m.project);
  auto source_type = fbb.CreateString(m.source_type);
  auto source_id = fbb.CreateString(m.source_id);
  auto session_id = fbb.CreateString(m.session_id);
  auto updated_by = fbb.CreateString(m.updated_by);
  auto emb_model = fbb.CreateString(m.embedding_model);
  auto emb_hash = fbb.CreateString(m.embedding_hash);
  fb::MemoryRecordBuilder b(fbb);
  b.add_id(id);
  b.add_content(content);
  b.add_content_hash(hash);
  b.add_type(type);
  b.add_tags(tags);
  b.add_importance(m.importance);
  b.add_pinned(m.pinned);
  b.add_who(who);
  b.add_project(project);
  b.add_source_type(source_type);
  b.add_source_id(source_id);
  b.add_session_id(session_id);
  if (m.confidence) b.add_confidence(*m.confidence);
  b.add_created_at_us(m.created_at_us);
  b.add_updated_at_us(m.updated_at_us);
  b.add_updated_by(updated_by);
  b.add_version(m.version);
  b.add_deleted(m.deleted);
  b.add_deleted_at_us(m.deleted_at_us);
  b.add_purged(m.purged);
  b.add_access_count(m.access_count);
  b.add_last_accessed_us(m.last_accessed_us);
  b.add_embedding_model(emb_model);
  b.add_embedding_dims(m.embedding_dims);
  b.add_embedding_hash(emb_hash);
  b.add_last_seq(m.last_seq);
  fbb.Finish(b.Finish());
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

Result<MemoryRecord> decode_memory(std::string_view bytes) {
  AlignedBytes aligned(bytes);
  flatbuffers::Verifier verifier(aligned.data(), aligned.size());
  if (!fb::VerifyMemoryRecordBuffer(verifier)) return Status::Corruption("malformed memory record");
  const fb::MemoryRecord* t = fb::GetMemoryRecord(aligned.data());
  MemoryRecord m;
  m.id = str(t->id());
  m.content = str(t->content());
  m.content_hash = str(t->content_hash());
  m.type = str(t->type());
  if (t->tags())
    for (const auto* s : *t->tags()) m.tags.emplace_back(s ? s->string_view() : std::string_view());
  m.importance = t->importance();
  m.pinned = t->pinned();
  m.who = str(t->who());
  m.project = str(t->project());
  m.source_type = str(t->source_type());
  m.source_id = str(t->source_id());
  m.session_id = str(t->session_id());
  if (t->confidence()) m.confidence = *t->confidence();
  m.created_at_us = t->created_at_us();
  m.updated_at_us = t->updated_at_us();
  m.updated_by = str(t->updated_by());
  m.version = t->version();
  m.deleted = t->deleted();
  m.deleted_at_us = t->deleted_at_us();
  m.purged = t->purged();
  m.access_count = t->access_count();
  m.last_accessed_us = t->last_accessed_us();
  m.embedding_model = str(t->embedding_model());
  m.embedding_dims = t->embedding_dims();
  m.embedding_hash = str(t->embedding_hash());
  m.last_seq = t->last_seq();
  return m;
}

std::string memory_stream(std::string_view id) { return "memory:" + std::string(id); }
std::string embedding_stream(std::string_view id) { return "embedding:" + std::string(id); }
std::string hash_key(std::string_view h) { return "hash:" + std::string(h); }
std::string source_key(std::string_view s) { return "source:" + std::string(s); }

std::string_view memory_id_of_stream(std::string_view stream) {
  constexpr std::string_view prefix = "memory:";
  if (stream.substr(0, prefix.size()) != prefix) return {};
  return stream.substr(prefix.size());
}

Status fold_memory_event(MemoryRecord& m, const journal::Event& e) {
  using journal::EventType;
  auto stamp = [&] {
    m.version = e.stream_version;
    m.updated_at_us = e.ts_us;
    m.updated_by = e.actor.who.empty() ? std::string(journal::actor_type_name(e.actor.type)) : e.actor.who;
    m.last_seq = e.seq;
  };
  switch (e.type) {
    case EventType::MemoryRemembered: {
      SIGNET_ASSIGN_OR_RETURN(auto r, decode_remembered(e.payload));
      m.id = std::move(r.id);
      m.content = std::move(r.content);
      m.content_hash = std::move(r.content_hash);
      m.type = std::move(r.type);
      m.tags = std::move(r.tags);
      m.importance = r.importance;
      m.pinned = r.pinned;
      m.who = std::move(r.who);
      m.project = std::move(r.project);
      m.source_type = std::move(r.source_type);
      m.source_id = std::move(r.source_id);
      m.confidence = r.confidence;
      m.session_id = e.session_id;
      m.created_at_us = e.ts_us;
      m.deleted = false;
      m.deleted_at_us = 0;
      m.purged = false;
      stamp();
      return Status::Ok();
    }
    case EventType::MemoryModified: {
      SIGNET_ASSIGN_OR_RETURN(auto r, decode_modified(e.payload));
      if (r.content) m.content = std::move(*r.content);
      if (r.content_hash) m.content_hash = std::move(*r.content_hash);
      if (r.type) m.type = std::move(*r.type);
      if (r.tags) m.tags = std::move(*r.tags);
      if (r.importance) m.importance = *r.importance;
      if (r.pinned) m.pinned = *r.pinned;
      if (r.who) m.who = std::move(*r.who);
      if (r.project) m.project = std::move(*r.project);
      stamp();
      return Status::Ok();
    }
    case EventType::MemoryForgotten: {
      SIGNET_ASSIGN_OR_RETURN(auto r, decode_forgotten(e.payload));
      (void)r;
      m.deleted = true;
      m.deleted_at_us = e.ts_us;
      stamp();
      return Status::Ok();
    }
    case EventType::MemoryRecovered: {
      SIGNET_ASSIGN_OR_RETURN(auto r, decode_recovered(e.payload));
      (void)r;
      m.deleted = false;
      m.deleted_at_us = 0;
      stamp();
      return Status::Ok();
    }
    case EventType::MemoryPurged: {
      SIGNET_ASSIGN_OR_RETURN(auto r, decode_purged(e.payload));
      (void)r;
      m.purged = true;
      stamp();
      return Status::Ok();
    }
    default:
      return Status::Corruption("seq " + std::to_string(e.seq) + ": event type " +
                                std::string(journal::event_type_name(e.type)) + " does not belong on stream " + e.stream);
  }
}

void fold_embedding(MemoryRecord& m, const EmbeddingRecorded& e) {
  m.embedding_model = e.model;
  m.embedding_dims = e.dims;
  m.embedding_hash = e.content_hash;
}

void fold_access(MemoryRecord& m, uint32_t count, int64_t ts_us) {
  m.access_count += count;
  m.last_accessed_us = std::max(m.last_accessed_us, ts_us);
}

}  // namespace signet::engine
