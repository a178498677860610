// A journal record: the stored form of one event.
//
//   record   := crc (fixed32, little-endian, masked crc32c of envelope) envelope
//   envelope := FlatBuffer of signet.fb.Envelope (journal/schema/envelope.fbs)
//
// Decoding checks the CRC before parsing, then runs the FlatBuffers verifier,
// then checks that the envelope's seq is the key it was stored under.
#pragma once

#include <string>
#include <string_view>

#include "journal/event.h"
#include "journal/status.h"

namespace signet::journal {

std::string encode_record(const Event& event);

// kCorruption, naming `seq`, for any record that fails a check.
Result<Event> decode_record(std::string_view record, uint64_t seq);

}  // namespace signet::journal
