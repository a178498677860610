#include "engine/memory_events.h"

#include "journal/aligned_bytes.h"
#include "journal/schema/memory_events_generated.h"

namespace signet::engine {
namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;
using flatbuffers::String;
using flatbuffers::Vector;

std::string finish(FlatBufferBuilder& fbb) {
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

std::string str(const String* s) { return s ? std::string(s->string_view()) : std::string(); }
std::optional<std::string> opt_str(const String* s) {
  return s ? std::optional<std::string>(std::string(s->string_view())) : std::nullopt;
}

std::vector<std::string> strs(const Vector<Offset<String>>* v) {
  std::vector<std::string> out;
  if (v) {
    out.reserve(v->size());
    for (const auto* s : *v) out.emplace_back(s ? s->string_view() : std::string_view());
  }
  return out;
}

Offset<Vector<Offset<String>>> make_strs(FlatBufferBuilder& fbb, const std::vector<std::string>& v) {
  return fbb.CreateVectorOfStrings(v);
}

Offset<String> opt(FlatBufferBuilder& fbb, const std::optional<std::string>& s) {
  return s ? fbb.CreateString(*s) : Offset<String>();
}

// `aligned` must outlive the returned table.
template <typename T, bool (*Verify)(flatbuffers::Verifier&)>
Result<const T*> root(const AlignedBytes& aligned, const char* what) {
  flatbuffers::Verifier verifier(aligned.data(), aligned.size());
  if (!Verify(verifier)) return Status::Corruption(std::string("malformed ") + what + " payload");
  return flatbuffers::GetRoot<T>(aligned.data());
}

template <typename T>
bool verify_table(flatbuffers::Verifier& v) {
  return v.VerifyBuffer<T>(nullptr);
}

}  // namespace

std::string encode(const Remembered& e) {
  FlatBufferBuilder fbb(256 + e.content.size());
  auto id = fbb.CreateString(e.id);
  auto content = fbb.CreateString(e.content);
  auto hash = fbb.CreateString(e.content_hash);
  auto type = fbb.CreateString(e.type);
  auto tags = make_strs(fbb, e.tags);
  auto who = fbb.CreateString(e.who);
  auto project = fbb.CreateString(e.project);
  auto source_type = fbb.CreateString(e.source_type);
  auto source_id = fbb.CreateString(e.source_id);
  fb::MemoryRememberedBuilder b(fbb);
  b.add_id(id);
  b.add_content(content);
  b.add_content_hash(hash);
  b.add_type(type);
  b.add_tags(tags);
  b.add_importance(e.importance);
  b.add_pinned(e.pinned);
  b.add_who(who);
  b.add_project(project);
  b.add_source_type(source_type);
  b.add_source_id(source_id);
  if (e.confidence) b.add_confidence(*e.confidence);
  fbb.Finish(b.Finish());
  return finish(fbb);
}

std::string encode(const Modified& e) {
  FlatBufferBuilder fbb(256);
  auto content = opt(fbb, e.content);
  auto hash = opt(fbb, e.content_hash);
  auto type = opt(fbb, e.type);
  auto tags = e.tags ? make_strs(fbb, *e.tags) : Offset<Vector<Offset<String>>>();
  auto who = opt(fbb, e.who);
  auto project = opt(fbb, e.project);
  auto reason = fbb.CreateString(e.reason);
  fb::MemoryModifiedBuilder b(fbb);
  if (e.content) b.add_content(content);
  if (e.content_hash) b.add_content_hash(hash);
  if (e.type) b.add_type(type);
  if (e.tags) {
    b.add_tags_changed(true);
    b.add_tags(tags);
  }
  if (e.importance) b.add_importance(*e.importance);
  if (e.pinned) b.add_pinned(*e.pinned);
  if (e.who) b.add_who(who);
  if (e.project) b.add_project(project);
  b.add_reason(reason);
  fbb.Finish(b.Finish());
  return finish(fbb);
}

std::string encode(const Forgotten& e) {
  FlatBufferBuilder fbb(64);
  fbb.Finish(fb::CreateMemoryForgotten(fbb, fbb.CreateString(e.reason), e.force));
  return finish(fbb);
}

std::string encode(const Recovered& e) {
  FlatBufferBuilder fbb(64);
  fbb.Finish(fb::CreateMemoryRecovered(fbb, fbb.CreateString(e.reason)));
  return finish(fbb);
}

std::string encode(const Purged& e) {
  FlatBufferBuilder fbb(64);
  fbb.Finish(fb::CreateMemoryPurged(fbb, fbb.CreateString(e.reason)));
  return finish(fbb);
}

std::string encode(const EmbeddingRecorded& e) {
  FlatBufferBuilder fbb(128 + e.vector.size() * sizeof(float));
  auto id = fbb.CreateString(e.memory_id);
  auto model = fbb.CreateString(e.model);
  auto hash = fbb.CreateString(e.content_hash);
  auto vec = fbb.CreateVector(e.vector);
  fbb.Finish(fb::CreateEmbeddingRecorded(fbb, id, model, e.dims, hash, vec));
  return finish(fbb);
}

std::string encode(const MemoriesAccessed& e) {
  FlatBufferBuilder fbb(64 + e.ids.size() * 48);
  auto ids = make_strs(fbb, e.ids);
  auto counts = fbb.CreateVector(e.counts);
  fbb.Finish(fb::CreateMemoriesAccessed(fbb, ids, counts));
  return finish(fbb);
}

std::string encode(const EmbeddingModelChanged& e) {
  FlatBufferBuilder fbb(64);
  fbb.Finish(fb::CreateEmbeddingModelChanged(fbb, fbb.CreateString(e.model), e.dims));
  return finish(fbb);
}

Result<Remembered> decode_remembered(std::string_view payload) {
  AlignedBytes aligned(payload);
  SIGNET_ASSIGN_OR_RETURN(auto* t, (root<fb::MemoryRemembered, verify_table<fb::MemoryRemembered>>(aligned, "MemoryRemembered")));
  Remembered e;
  e.id = str(t->id());
  e.content = str(t->content());
  e.content_hash = str(t->content_hash());
  e.type = str(t->type());
  e.tags = strs(t->tags());
  e.importance = t->importance();
  e.pinned = t->pinned();
  e.who = str(t->who());
  e.project = str(t->project());
  e.source_type = str(t->source_type());
  e.source_id = str(t->source_id());
  if (t->confidence()) e.confidence = *t->confidence();
  return e;
}

Result<Modified> decode_modified(std::string_view payload) {
  AlignedBytes aligned(payload);
  SIGNET_ASSIGN_OR_RETURN(auto* t, (root<fb::MemoryModified, verify_table<fb::MemoryModified>>(aligned, "MemoryModified")));
  Modified e;
  e.content = opt_str(t->content());
  e.content_hash = opt_str(t->content_hash());
  e.type = opt_str(t->type());
  if (t->tags_changed()) e.tags = strs(t->tags());
  if (t->importance()) e.importance = *t->importance();
  if (t->pinned()) e.pinned = *t->pinned();
  e.who = opt_str(t->who());
  e.project = opt_str(t->project());
  e.reason = str(t->reason());
  return e;
}

Result<Forgotten> decode_forgotten(std::string_view payload) {
  AlignedBytes aligned(payload);
  SIGNET_ASSIGN_OR_RETURN(auto* t, (root<fb::MemoryForgotten, verify_table<fb::MemoryForgotten>>(aligned, "MemoryForgotten")));
  return Forgotten{str(t->reason()), t->force()};
}

Result<Recovered> decode_recovered(std::string_view payload) {
  AlignedBytes aligned(payload);
  SIGNET_ASSIGN_OR_RETURN(auto* t, (root<fb::MemoryRecovered, verify_table<fb::MemoryRecovered>>(aligned, "MemoryRecovered")));
  return Recovered{str(t->reason())};
}

Result<Purged> decode_purged(std::string_view payload) {
  AlignedBytes aligned(payload);
  SIGNET_ASSIGN_OR_RETURN(auto* t, (root<fb::MemoryPurged, verify_table<fb::MemoryPurged>>(aligned, "MemoryPurged")));
  return Purged{str(t->reason())};
}

Result<EmbeddingRecorded> decode_embedding_recorded(std::string_view payload) {
  AlignedBytes aligned(payload);
  SIGNET_ASSIGN_OR_RETURN(auto* t, (root<fb::EmbeddingRecorded, verify_table<fb::EmbeddingRecorded>>(aligned, "EmbeddingRecorded")));
  EmbeddingRecorded e;
  e.memory_id = str(t->memory_id());
  e.model = str(t->model());
  e.dims = t->dims();
  e.content_hash = str(t->content_hash());
  if (t->vector()) e.vector.assign(t->vector()->begin(), t->vector()->end());
  if (e.vector.size() != e.dims) return Status::Corruption("EmbeddingRecorded: vector length differs from dims");
  return e;
}

Result<MemoriesAccessed> decode_memories_accessed(std::string_view payload) {
  AlignedBytes aligned(payload);
  SIGNET_ASSIGN_OR_RETURN(auto* t, (root<fb::MemoriesAccessed, verify_table<fb::MemoriesAccessed>>(aligned, "MemoriesAccessed")));
  MemoriesAccessed e;
  e.ids = strs(t->ids());
  if (t->counts()) e.counts.assign(t->counts()->begin(), t->counts()->end());
  if (e.counts.size() != e.ids.size()) return Status::Corruption("MemoriesAccessed: ids and counts differ in length");
  return e;
}

Result<EmbeddingModelChanged> decode_embedding_model_changed(std::string_view payload) {
  AlignedBytes aligned(payload);
  SIGNET_ASSIGN_OR_RETURN(auto* t, (root<fb::EmbeddingModelChanged, verify_table<fb::EmbeddingModelChanged>>(aligned, "EmbeddingModelChanged")));
  return EmbeddingModelChanged{str(t->model()), t->dims()};
}

}  // namespace signet::engine
