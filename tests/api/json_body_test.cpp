// Request bodies: every kind of bad input is an InvalidArgument that names
// the field; tags accept a string, an array or null.
#include <catch2/catch.hpp>

#include "api/json_body.h"

using namespace signet;
using namespace signet::api;

TEST_CASE("bodies that are not JSON objects are refused", "[json-body]") {
  CHECK(JsonBody::parse("{").status().code() == Code::kInvalidArgument);
  CHECK_THAT(JsonBody::parse("[1]").status().message(), Catch::Contains("object"));
  CHECK_FALSE(JsonBody::parse("").ok());
  CHECK(JsonBody::parse("", true).ok());
  CHECK(JsonBody::parse("  {}  ").ok());
}

TEST_CASE("typed reads name the field", "[json-body]") {
  auto b = *JsonBody::parse(R"({"s":"x","n":0.5,"big":7,"b":true,"one":1,"neg":-1,"blank":"  ","arr":["a",1]})");
  CHECK(**b.string("s") == "x");
  CHECK_THAT(b.string("n").status().message(), Catch::Contains("'n'"));
  CHECK(**b.number("n", 0, 1) == 0.5);
  CHECK_THAT(b.number("big", 0, 1).status().message(), Catch::Contains("'big'"));
  CHECK_THAT(b.number("big", 0, 1).status().message(), Catch::Contains("between 0 and 1"));
  CHECK(**b.boolean("b"));
  CHECK(**b.boolean("one"));
  CHECK_FALSE(b.boolean("s").ok());
  CHECK(**b.count("big") == 7);
  CHECK_FALSE(b.count("neg").ok());
  CHECK_FALSE(b.count("n").ok());
  CHECK_THAT(b.required_string("blank").status().message(), Catch::Contains("'blank' is required"));
  CHECK_THAT(b.required_string("missing").status().message(), Catch::Contains("'missing' is required"));
  CHECK_FALSE(b.strings("arr").ok());
  CHECK_FALSE((*b.string("missing")).has_value());
}

TEST_CASE("tags are a string, an array, or null to clear", "[json-body]") {
  auto b = *JsonBody::parse(R"({"csv":"a, b,,a","arr":["x"," y "],"none":null,"bad":3})");
  CHECK(**b.tags("csv") == std::vector<std::string>{"a", "b"});
  CHECK(**b.tags("arr") == std::vector<std::string>{"x", "y"});
  CHECK((*b.tags("none"))->empty());
  CHECK_FALSE((*b.tags("absent")).has_value());
  CHECK_FALSE(b.tags("bad").ok());
}
