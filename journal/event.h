// The journal's value types: an event as committed and read back, and what a
// command asks to append.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "journal/schema/event_type_generated.h"

namespace signet::journal {

using EventType = fb::EventType;
using ActorType = fb::ActorType;

std::string_view event_type_name(EventType type);  // "MemoryRemembered"
std::string_view actor_type_name(ActorType type);  // "operator", "agent", "pipeline", "system"
std::optional<ActorType> parse_actor_type(std::string_view name);

struct Actor {
  std::string who;
  ActorType type = ActorType::Operator;
  std::string subject;  // token subject when auth is on
};

// A committed event, checksum verified.
struct Event {
  uint64_t seq = 0;
  int64_t ts_us = 0;
  EventType type = EventType::Unknown;
  uint16_t type_version = 1;
  std::string stream;
  uint64_t stream_version = 0;
  Actor actor;
  std::string request_id;
  std::string session_id;
  std::string payload;  // FlatBuffer of the table named by `type`
};

// Optimistic concurrency on a stream (EventStore's Any / NoStream / exact).
struct ExpectedVersion {
  enum class Kind : uint8_t { kAny, kNoStream, kExact } kind = Kind::kAny;
  uint64_t version = 0;  // meaningful only for kExact
  static ExpectedVersion any() { return {}; }
  static ExpectedVersion no_stream() { return {Kind::kNoStream, 0}; }
  static ExpectedVersion exact(uint64_t v) { return {Kind::kExact, v}; }
};

struct NewEvent {
  EventType type = EventType::Unknown;
  uint16_t type_version = 1;
  std::string payload;
};

struct StreamAppend {
  std::string stream;
  ExpectedVersion expected;
  std::vector<NewEvent> events;
};

// What one command appends: all of it or none of it.
struct Commit {
  Actor actor;
  std::string request_id;
  std::string session_id;
  std::vector<StreamAppend> streams;
};

struct Appended {
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  int64_t ts_us = 0;
  std::vector<uint64_t> stream_versions;  // parallel to Commit::streams
};

// A stream's head: its version and the state folded from all its events.
struct StreamHead {
  uint64_t version = 0;
  uint64_t last_seq = 0;
  std::string state;
};

}  // namespace signet::journal
