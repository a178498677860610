// ISO-8601 formatting and parsing of commit times.
#include <catch2/catch.hpp>

#include "journal/clock.h"

using namespace signet;

TEST_CASE("ISO-8601 formatting is UTC with milliseconds", "[clock]") {
  CHECK(format_iso8601_ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_iso8601_ms(1771668000123456) == "2026-02-21T10:00:00.123Z");
}

TEST_CASE("ISO-8601 parsing accepts the common shapes", "[clock]") {
  CHECK(*parse_iso8601("2026-02-21T10:00:00.123Z") == 1771668000123000);
  CHECK(*parse_iso8601("2026-02-21T10:00:00Z") == 1771668000000000);
  CHECK(*parse_iso8601("2026-02-21") == 1771632000000000);
  CHECK(*parse_iso8601("2026-02-21T12:00:00+02:00") == 1771668000000000);
  CHECK(*parse_iso8601("2026-02-21 10:00") == 1771668000000000);
  CHECK(*parse_iso8601(format_iso8601_ms(1771668000123000)) == 1771668000123000);
}

TEST_CASE("ISO-8601 parsing refuses garbage with a message", "[clock]") {
  for (const char* bad : {"", "yesterday", "2026-13-01", "2026-02-21T25:00", "2026-02-21T10:00:00Zjunk", "2026-2-1"}) {
    auto r = parse_iso8601(bad);
    CHECK_FALSE(r.ok());
    CHECK(r.status().code() == Code::kInvalidArgument);
  }
}

TEST_CASE("an as-of time covers the whole unit it is given to", "[clock]") {
  CHECK(*parse_iso8601_end("2026-02-21T10:00:00.123Z") == 1771668000123999);
  CHECK(*parse_iso8601_end("2026-02-21T10:00:00Z") == 1771668000999999);
  CHECK(*parse_iso8601_end("2026-02-21T10:00Z") == 1771668059999999);
  CHECK(*parse_iso8601_end("2026-02-21") == 1771718399999999);
  CHECK(*parse_iso8601_end("2026-02-21T10:00:00.123456Z") == 1771668000123456);
  CHECK(*parse_iso8601_end("2026-02-21T12:00:00.5+02:00") == 1771668000599999);
  CHECK_FALSE(parse_iso8601_end("soon").ok());
}
