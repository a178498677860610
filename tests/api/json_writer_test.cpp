// JsonWriter: what it writes parses back (nlohmann::json) to what was
// written: nesting and commas, every escape, UTF-8 passed through and bad
// bytes replaced, numbers that round-trip, null for what is not finite.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "api/json_writer.h"

using signet::api::JsonWriter;
using nlohmann::json;

TEST_CASE("objects and arrays nest with commas in the right places", "[api][json-writer]") {
  JsonWriter w;
  w.begin_object();
  w.key("a").begin_array().number(int64_t{1}).begin_object().end_object().begin_array().end_array().null().end_array();
  w.key("b").begin_object().key("c").boolean(true).key("d").boolean(false).end_object();
  w.key("e").string_or_null("").key("f").string_or_null("x");
  w.key("g").raw(R"({"h":[1,2]})");
  w.end_object();
  std::string text = w.take();
  CHECK(text == R"({"a":[1,{},[],null],"b":{"c":true,"d":false},"e":null,"f":"x","g":{"h":[1,2]}})");
  CHECK(json::parse(text)["g"]["h"][1] == 2);
}

TEST_CASE("strings escape what JSON requires and keep UTF-8", "[api][json-writer]") {
  std::string tricky = "quote \" backslash \\ slash / tab \t nl \n cr \r bs \b ff \f nul";
  tricky += '\0';
  tricky += " bell \x07 del \x7f caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";
  JsonWriter w;
  w.begin_array().string(tricky).end_array();
  std::string text = w.take();
  CHECK(text.find("\\u0000") != std::string::npos);
  CHECK(text.find("\\u0007") != std::string::npos);
  CHECK(json::parse(text)[0].get<std::string>() == tricky);
}

TEST_CASE("bytes that are not UTF-8 become U+FFFD, one each", "[api][json-writer]") {
  JsonWriter w;
  w.begin_array().string("a\xFF" "b\xC3").string("\xE2\x82").end_array();
  auto j = json::parse(w.take());
  CHECK(j[0].get<std::string>() == "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
  CHECK(j[1].get<std::string>() == "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("numbers read back exactly; non-finite ones are null", "[api][json-writer]") {
  const double values[] = {0.0, 1.0, -2.5, 0.1, 0.7234567891234, 1e-300, 1.7976931348623157e308};
  JsonWriter w;
  w.begin_array();
  for (double v : values) w.number(v);
  w.number(std::numeric_limits<double>::quiet_NaN()).number(std::numeric_limits<double>::infinity());
  w.number(int64_t{-9007199254740993}).number(uint64_t{18446744073709551615u});
  w.end_array();
  auto j = json::parse(w.take());
  for (size_t i = 0; i < std::size(values); ++i) CHECK(j[i].get<double>() == values[i]);
  CHECK(j[7].is_null());
  CHECK(j[8].is_null());
  CHECK(j[9].get<int64_t>() == -9007199254740993);
  CHECK(j[10].get<uint64_t>() == 18446744073709551615u);
}
