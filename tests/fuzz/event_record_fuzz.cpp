// Fuzz target for journal/record.h decode_record: the decoder of every journal
// record read back from RocksDB (a damaged disk, a bad restore, a hand-edited
// backup are all outside input).
//
// Checked on any bytes:
//  - decode_record never crashes, and fails only with kCorruption;
//  - the same bytes with their CRC fixed up (so the fuzzer gets past the
//    checksum and into the FlatBuffers verifier and the fields) decode
//    exactly when the envelope verifies, and then only under the seq the
//    envelope names;
//  - pair assertion: a decoded event, encoded again and decoded, is the same
//    event, field for field.
#include <cstdint>
#include <string>
#include <string_view>

#include "journal/crc32c.h"
#include "journal/record.h"
#include "journal/schema/envelope_generated.h"
#include "tests/fuzz/fuzz_check.h"

using namespace signet;

namespace {

bool same_event(const journal::Event& a, const journal::Event& b) {
  return a.seq == b.seq && a.ts_us == b.ts_us && a.type == b.type && a.type_version == b.type_version &&
         a.stream == b.stream && a.stream_version == b.stream_version && a.actor.who == b.actor.who &&
         a.actor.type == b.actor.type && a.actor.subject == b.actor.subject && a.request_id == b.request_id &&
         a.session_id == b.session_id && a.payload == b.payload;
}

void check_round_trip(const journal::Event& e) {
  std::string again = journal::encode_record(e);
  auto back = journal::decode_record(again, e.seq);
  FUZZ_CHECK(back.ok(), "a record made by encode_record does not decode");
  FUZZ_CHECK(same_event(*back, e), "encode then decode changed the event");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string record(reinterpret_cast<const char*>(data), size);

  // As stored: almost always a checksum mismatch, but never a crash.
  auto as_is = journal::decode_record(record, 1);
  if (as_is.ok()) check_round_trip(*as_is);
  else FUZZ_CHECK(as_is.status().code() == Code::kCorruption, as_is.status().ToString().c_str());

  // With the CRC made right, so the envelope itself is what is being tested.
  if (size < 4) return 0;
  std::string_view body(record.data() + 4, size - 4);
  uint32_t crc = crc32c::mask(crc32c::value(body));
  for (int i = 0; i < 4; ++i) record[i] = static_cast<char>(crc >> (8 * i));
  // An independent look at the envelope: the aligned copy keeps this check
  // itself free of misaligned reads, whatever decode_record does.
  std::string aligned(body);
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(aligned.data()), aligned.size());
  bool verifies = body.size() >= 8 && fb::VerifyEnvelopeBuffer(verifier);
  uint64_t seq = verifies ? fb::GetEnvelope(aligned.data())->seq() : 7;

  auto fixed = journal::decode_record(record, seq);
  FUZZ_CHECK(fixed.ok() == verifies, "decode_record disagrees with the FlatBuffers verifier");
  if (!fixed.ok()) {
    FUZZ_CHECK(fixed.status().code() == Code::kCorruption, fixed.status().ToString().c_str());
    return 0;
  }
  FUZZ_CHECK(fixed->seq == seq, "decoded seq differs from the envelope's");
  auto wrong_seq = journal::decode_record(record, seq + 1);
  FUZZ_CHECK(!wrong_seq.ok() && wrong_seq.status().code() == Code::kCorruption,
             "a record decoded under a seq it was not stored under");
  check_round_trip(*fixed);
  return 0;
}
