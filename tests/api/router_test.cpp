// Routing: the most specific route wins whatever the registration order (so
// /api/memory/search is never shadowed by /api/memory/:id), parameters are
// captured, and a path known under another method is told apart (405).
#include <catch2/catch.hpp>

#include "api/http.h"

using namespace signet::api;

namespace {
Handler tag(std::string name) {
  return [name](const Request&) { return Response::json(200, name); };
}
}  // namespace

TEST_CASE("a literal segment beats a parameter whatever the order of registration", "[router]") {
  for (bool literal_first : {true, false}) {
    Router r;
    if (literal_first) r.get("/api/memory/search", Permission::kRecall, tag("search"));
    r.get("/api/memory/:id", Permission::kRecall, tag("get"));
    if (!literal_first) r.get("/api/memory/search", Permission::kRecall, tag("search"));
    auto m = r.match(Method::kGet, "/api/memory/search");
    REQUIRE(m.route);
    CHECK(m.route->info.pattern == "/api/memory/search");
    auto p = r.match(Method::kGet, "/api/memory/abc-123");
    REQUIRE(p.route);
    CHECK(p.route->info.pattern == "/api/memory/:id");
    REQUIRE(p.params.size() == 1);
    CHECK(p.params[0].first == "id");
    CHECK(p.params[0].second == "abc-123");
  }
}

TEST_CASE("the earliest literal segment decides between two parameterised routes", "[router]") {
  Router r;
  r.get("/api/:kind/history", Permission::kRecall, tag("a"));
  r.get("/api/memory/:id", Permission::kRecall, tag("b"));
  auto m = r.match(Method::kGet, "/api/memory/history");
  REQUIRE(m.route);
  CHECK(m.route->info.pattern == "/api/memory/:id");
}

TEST_CASE("paths match segment by segment, trailing slashes ignored", "[router]") {
  Router r;
  r.get("/api/memory/:id/history", Permission::kRecall, tag("h"));
  CHECK(r.match(Method::kGet, "/api/memory/x/history/").route);
  CHECK_FALSE(r.match(Method::kGet, "/api/memory/x").route);
  CHECK_FALSE(r.match(Method::kGet, "/api/memory/x/history/more").route);
}

TEST_CASE("a path served under another method is reported as such", "[router]") {
  Router r;
  r.post("/api/memory/remember", Permission::kRemember, tag("r"));
  auto m = r.match(Method::kGet, "/api/memory/remember");
  CHECK_FALSE(m.route);
  CHECK(m.other_method);
  CHECK_FALSE(r.match(Method::kGet, "/nowhere").other_method);
}
