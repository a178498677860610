// CRC-32C: known answers, incremental extension, and masking.
#include <catch2/catch.hpp>

#include <string>

#include "journal/crc32c.h"

using namespace signet;

TEST_CASE("crc32c matches the published check values", "[crc32c]") {
  CHECK(crc32c::value("123456789") == 0xe3069283u);
  CHECK(crc32c::value(std::string(32, '\0')) == 0x8a9136aau);
  CHECK(crc32c::value(std::string(32, '\xff')) == 0x62a8ab43u);
}

TEST_CASE("crc32c extends incrementally", "[crc32c]") {
  std::string a = "hello ", b = "world, this spans more than eight bytes";
  uint32_t whole = crc32c::value(a + b);
  CHECK(crc32c::extend(crc32c::value(a), b.data(), b.size()) == whole);
}

TEST_CASE("crc32c masking round-trips and changes the value", "[crc32c]") {
  uint32_t crc = crc32c::value("foo");
  CHECK(crc32c::mask(crc) != crc);
  CHECK(crc32c::unmask(crc32c::mask(crc)) == crc);
}
