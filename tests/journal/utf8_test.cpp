#include <catch2/catch.hpp>

#include <string>

#include "journal/utf8.h"

using signet::truncate_utf8;
using signet::valid_utf8;

TEST_CASE("valid_utf8 accepts RFC 3629 and refuses the rest", "[utf8]") {
  CHECK(valid_utf8(""));
  CHECK(valid_utf8("plain ascii"));
  CHECK(valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));  // é € 😀
  CHECK_FALSE(valid_utf8("\xC3"));                  // cut short
  CHECK_FALSE(valid_utf8("\xC0\xAF"));              // overlong '/'
  CHECK_FALSE(valid_utf8("\xED\xA0\x80"));          // a surrogate
  CHECK_FALSE(valid_utf8("\xF4\x90\x80\x80"));      // above U+10FFFF
  CHECK_FALSE(valid_utf8("\x80"));                  // a lone continuation byte
}

TEST_CASE("truncate_utf8 never splits a character", "[utf8]") {
  std::string s(119, 'a');
  s += "\xC3\xA9";  // é across bytes 120 and 121
  std::string cut = s;
  truncate_utf8(cut, 120);
  CHECK(cut == std::string(119, 'a'));
  CHECK(valid_utf8(cut));
  std::string emoji = "\xF0\x9F\x98\x80\xF0\x9F\x98\x80";
  for (size_t max = 0; max <= emoji.size(); ++max) {
    std::string e = emoji;
    truncate_utf8(e, max);
    CHECK(valid_utf8(e));
    CHECK(e.size() == (max / 4) * 4);
  }
  std::string short_one = "short";
  truncate_utf8(short_one, 120);
  CHECK(short_one == "short");
}
