// Journal record encoding: round trip, and every kind of damage is caught and
// names the seq.
#include <catch2/catch.hpp>

#include "journal/record.h"

using namespace signet;
using namespace signet::journal;

namespace {
Event sample() {
  Event e;
  e.seq = 42;
  e.ts_us = 1771668000123456;
  e.type = EventType::MemoryRemembered;
  e.stream = "memory:abc";
  e.stream_version = 3;
  e.actor = {"claude-code", ActorType::Agent, "token:agent"};
  e.request_id = "req-1";
  e.session_id = "sess-1";
  e.payload = std::string("\x01\x02\x00\x03", 4);
  return e;
}
}  // namespace

TEST_CASE("a record round-trips every envelope field", "[record]") {
  Event e = sample();
  auto back = decode_record(encode_record(e), 42);
  REQUIRE(back.ok());
  CHECK(back->seq == 42);
  CHECK(back->ts_us == e.ts_us);
  CHECK(back->type == EventType::MemoryRemembered);
  CHECK(back->stream == "memory:abc");
  CHECK(back->stream_version == 3);
  CHECK(back->actor.who == "claude-code");
  CHECK(back->actor.type == ActorType::Agent);
  CHECK(back->actor.subject == "token:agent");
  CHECK(back->request_id == "req-1");
  CHECK(back->session_id == "sess-1");
  CHECK(back->payload == e.payload);
}

TEST_CASE("a flipped bit anywhere in a record is a checksum mismatch naming the seq", "[record]") {
  std::string rec = encode_record(sample());
  for (size_t i = 0; i < rec.size(); ++i) {
    std::string bad = rec;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    auto r = decode_record(bad, 42);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kCorruption);
    CHECK_THAT(r.status().message(), Catch::Contains("seq 42"));
  }
}

TEST_CASE("a truncated record is corruption", "[record]") {
  std::string rec = encode_record(sample());
  for (size_t n : {size_t{0}, size_t{3}, size_t{11}, rec.size() - 1}) {
    auto r = decode_record(rec.substr(0, n), 42);
    CHECK(r.status().code() == Code::kCorruption);
  }
}

TEST_CASE("a record stored under another seq is corruption", "[record]") {
  auto r = decode_record(encode_record(sample()), 43);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("seq 43"));
}
