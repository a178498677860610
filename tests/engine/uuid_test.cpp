// Memory ids and request ids: version 4 UUIDs, lower-case, distinct.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/uuid.h"

using namespace signet::engine;

namespace {
void check_v4(const std::string& id) {
  CAPTURE(id);
  REQUIRE(looks_like_uuid(id));
  CHECK(id[14] == '4');                                   // version
  CHECK(std::string("89ab").find(id[19]) != std::string::npos);  // variant
  CHECK(id.find_first_of("ABCDEF") == std::string::npos);
}
}  // namespace

TEST_CASE("memory ids and request ids are distinct version 4 UUIDs", "[uuid]") {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    std::string a = uuid_v4(), b = request_uuid();
    check_v4(a);
    check_v4(b);
    CHECK(seen.insert(a).second);
    CHECK(seen.insert(b).second);
  }
}

TEST_CASE("request ids from different threads do not repeat", "[uuid]") {
  // Each thread seeds its own generator: two seeded alike would repeat ids.
  std::vector<std::vector<std::string>> made(4);
  std::vector<std::thread> threads;
  for (auto& out : made)
    threads.emplace_back([&out] {
      for (int i = 0; i < 500; ++i) out.push_back(request_uuid());
    });
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& out : made) all.insert(out.begin(), out.end());
  CHECK(all.size() == 2000);
}

TEST_CASE("looks_like_uuid accepts only the 8-4-4-4-12 hex form", "[uuid]") {
  CHECK(looks_like_uuid("7f3c2a10-0b1e-4c2d-9e8f-0123456789ab"));
  CHECK(looks_like_uuid("7F3C2A10-0B1E-4C2D-9E8F-0123456789AB"));
  CHECK_FALSE(looks_like_uuid("7f3c2a10-0b1e-4c2d-9e8f-0123456789a"));
  CHECK_FALSE(looks_like_uuid("7f3c2a10+0b1e-4c2d-9e8f-0123456789ab"));
  CHECK_FALSE(looks_like_uuid("7f3c2a10-0b1e-4c2d-9e8f-0123456789ag"));
  CHECK_FALSE(looks_like_uuid(""));
}
