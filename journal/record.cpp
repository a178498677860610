#include "journal/record.h"

#include <cstring>

#include "journal/aligned_bytes.h"
#include "journal/crc32c.h"
#include "journal/schema/envelope_generated.h"

namespace signet::journal {
namespace {

constexpr size_t kCrcBytes = 4;

void put_fixed32_le(std::string& out, uint32_t v) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
               static_cast<char>(v >> 24)};
  out.append(b, 4);
}

uint32_t get_fixed32_le(const char* p) {
  const auto* u = reinterpret_cast<const uint8_t*>(p);
  return uint32_t(u[0]) | uint32_t(u[1]) << 8 | uint32_t(u[2]) << 16 | uint32_t(u[3]) << 24;
}

std::string str(const flatbuffers::String* s) { return s ? std::string(s->string_view()) : std::string(); }

}  // namespace

std::string encode_record(const Event& e) {
  flatbuffers::FlatBufferBuilder fbb(256 + e.payload.size());
  auto who = fbb.CreateString(e.actor.who);
  auto subject = fbb.CreateString(e.actor.subject);
  auto actor = fb::CreateActor(fbb, who, e.actor.type, subject);
  auto stream = fbb.CreateString(e.stream);
  auto request_id = fbb.CreateString(e.request_id);
  auto session_id = fbb.CreateString(e.session_id);
  auto payload = fbb.CreateVector(reinterpret_cast<const uint8_t*>(e.payload.data()), e.payload.size());
  auto env = fb::CreateEnvelope(fbb, e.seq, e.ts_us, e.type, e.type_version, stream, e.stream_version, actor,
                                request_id, session_id, payload);
  fbb.Finish(env);
  std::string out;
  out.reserve(kCrcBytes + fbb.GetSize());
  const char* body = reinterpret_cast<const char*>(fbb.GetBufferPointer());
  put_fixed32_le(out, crc32c::mask(crc32c::extend(0, body, fbb.GetSize())));
  out.append(body, fbb.GetSize());
  return out;
}

Result<Event> decode_record(std::string_view record, uint64_t seq) {
  auto corrupt = [seq](const char* why) {
    return Status::Corruption("journal record seq " + std::to_string(seq) + ": " + why);
  };
  if (record.size() < kCrcBytes + 8) return corrupt("truncated record");
  const char* body = record.data() + kCrcBytes;
  size_t body_size = record.size() - kCrcBytes;
  uint32_t stored = crc32c::unmask(get_fixed32_le(record.data()));
  if (crc32c::extend(0, body, body_size) != stored) return corrupt("checksum mismatch");
  AlignedBytes aligned(std::string_view(body, body_size));
  flatbuffers::Verifier verifier(aligned.data(), aligned.size());
  if (!fb::VerifyEnvelopeBuffer(verifier)) return corrupt("malformed envelope");
  const fb::Envelope* env = fb::GetEnvelope(aligned.data());
  if (env->seq() != seq) {
    return corrupt(("envelope says seq " + std::to_string(env->seq())).c_str());
  }
  Event e;
  e.seq = env->seq();
  e.ts_us = env->ts_us();
  e.type = env->type();
  e.type_version = env->type_version();
  e.stream = str(env->stream());
  e.stream_version = env->stream_version();
  if (const fb::Actor* a = env->actor()) {
    e.actor.who = str(a->who());
    e.actor.type = a->type();
    e.actor.subject = str(a->subject());
  }
  e.request_id = str(env->request_id());
  e.session_id = str(env->session_id());
  if (const auto* p = env->payload()) e.payload.assign(reinterpret_cast<const char*>(p->data()), p->size());
  return e;
}

std::string_view event_type_name(EventType type) {
  const char* name = fb::EnumNameEventType(type);
  return (name && *name) ? std::string_view(name) : std::string_view("Unknown");
}

std::string_view actor_type_name(ActorType type) {
  switch (type) {
    case ActorType::Operator: return "operator";
    case ActorType::Agent: return "agent";
    case ActorType::Pipeline: return "pipeline";
    case ActorType::System: return "system";
  }
  return "operator";
}

std::optional<ActorType> parse_actor_type(std::string_view name) {
  if (name == "operator" || name == "harness" || name == "user") return ActorType::Operator;
  if (name == "agent") return ActorType::Agent;
  if (name == "pipeline") return ActorType::Pipeline;
  if (name == "system" || name == "daemon") return ActorType::System;
  return std::nullopt;
}

}  // namespace signet::journal
