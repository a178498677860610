// UTF-8 checks for text that reaches a JSON answer or the journal: nlohmann's
// dump() throws on bytes that are not UTF-8, which would make a valid request
// a 500.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace signet {

// Length of the well-formed sequence at s[i], or 0 if there is none.
size_t utf8_sequence_length(std::string_view s, size_t i);
// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
bool valid_utf8(std::string_view s);
// `s` cut to at most `max` bytes without splitting a character.
void truncate_utf8(std::string& s, size_t max);

}  // namespace signet
