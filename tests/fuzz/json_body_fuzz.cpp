// Fuzz target for api/json_body.h: JsonBody::parse on any request body and
// every typed read (string, required_string, boolean, number, count, tags,
// strings, body_time) on arbitrary keys.
//
// Input: "<key>\n<body>"; without a newline the whole input is the body.
// Reads run on that key, on every key the body has (the first 64), and on
// the fields the memory routes read.
//
// Checked:
//  - nothing crashes or throws (no try here);
//  - parse refuses with kInvalidArgument only, gives an object otherwise, and
//    allow_empty changes the answer only for a blank body; an accepted body
//    is nested at most kJsonBodyDepthMax deep and survives copy, dump, parse;
//  - each read either refuses with kInvalidArgument naming the field
//    ("field '<key>' ...", so the 400 says which one) or returns a value
//    consistent with the JSON: a string read is a JSON string, a required
//    string is not blank, a number is finite and within its bounds, a tag is
//    trimmed and not empty, absent means absent or null.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/json_body.h"
#include "tests/fuzz/fuzz_check.h"

using namespace signet;
using signet::api::JsonBody;

namespace {

constexpr size_t kKeysMax = 64;

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n\f\v") == std::string::npos; }

bool trimmed_not_empty(const std::string& s) {
  return !s.empty() && !std::isspace(static_cast<unsigned char>(s.front())) &&
         !std::isspace(static_cast<unsigned char>(s.back()));
}

// Nesting depth of a parsed value (a scalar 0, {} 1), without recursion.
size_t depth_of(const nlohmann::json& root) {
  size_t deepest = 0;
  std::vector<std::pair<const nlohmann::json*, size_t>> stack = {{&root, 1}};
  while (!stack.empty()) {
    auto [j, depth] = stack.back();
    stack.pop_back();
    if (!j->is_structured()) continue;
    deepest = std::max(deepest, depth);
    for (const auto& child : *j) stack.emplace_back(&child, depth + 1);
  }
  return deepest;
}

void check_refusal(const Status& st, const std::string& key) {
  FUZZ_CHECK(st.code() == Code::kInvalidArgument, st.ToString().c_str());
  FUZZ_CHECK(st.message().find("'" + key + "'") != std::string::npos, st.message().c_str());
}

void read_all(const JsonBody& body, const std::string& key) {
  const nlohmann::json& j = body.json();
  auto it = j.find(key);
  bool present = it != j.end();
  bool has = present && !it->is_null();
  FUZZ_CHECK(body.present(key) == present, "present() disagrees with the JSON");
  FUZZ_CHECK(body.has(key) == has, "has() disagrees with the JSON");

  if (auto v = body.string(key); !v.ok()) {
    check_refusal(v.status(), key);
    FUZZ_CHECK(has && !it->is_string(), "string() refused a string or an absent field");
  } else {
    FUZZ_CHECK(v->has_value() == has, "string() lost or invented a value");
    if (*v) FUZZ_CHECK(**v == it->get<std::string>(), "string() changed the value");
  }

  if (auto v = body.required_string(key); !v.ok()) check_refusal(v.status(), key);
  else FUZZ_CHECK(has && it->is_string() && !blank(*v), "required_string() accepted a missing or blank field");

  if (auto v = body.boolean(key); !v.ok()) check_refusal(v.status(), key);
  else if (*v) FUZZ_CHECK(it->is_boolean() || it->is_number_integer(), "boolean() from a non-boolean");

  for (auto [lo, hi] : {std::pair{0.0, 1.0}, std::pair{-1e9, 1e9},
                        std::pair{-std::numeric_limits<double>::max(), std::numeric_limits<double>::max()}}) {
    if (auto v = body.number(key, lo, hi); !v.ok()) check_refusal(v.status(), key);
    else if (*v) FUZZ_CHECK(std::isfinite(**v) && **v >= lo && **v <= hi, "number() out of its bounds");
  }

  if (auto v = body.count(key); !v.ok()) check_refusal(v.status(), key);
  else if (*v) FUZZ_CHECK(it->is_number(), "count() from a non-number");

  if (auto v = body.tags(key); !v.ok()) {
    check_refusal(v.status(), key);
  } else if (*v) {
    for (const auto& tag : **v) FUZZ_CHECK(trimmed_not_empty(tag), "tags() kept a blank or untrimmed tag");
  }

  if (auto v = body.strings(key); !v.ok()) check_refusal(v.status(), key);
  else if (*v) FUZZ_CHECK(it->is_array() && (*v)->size() == it->size(), "strings() lost elements");

  if (auto v = api::body_time(body, key); !v.ok()) check_refusal(v.status(), key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string extra_key;
  std::string_view text = input;
  if (size_t nl = input.find('\n'); nl != std::string_view::npos) {
    extra_key = std::string(input.substr(0, nl));
    text = input.substr(nl + 1);
  }

  auto strict = JsonBody::parse(text);
  auto lenient = JsonBody::parse(text, /*allow_empty=*/true);
  if (!strict.ok()) FUZZ_CHECK(strict.status().code() == Code::kInvalidArgument, strict.status().ToString().c_str());
  if (!lenient.ok()) FUZZ_CHECK(lenient.status().code() == Code::kInvalidArgument, lenient.status().ToString().c_str());
  if (!blank(std::string(text))) FUZZ_CHECK(strict.ok() == lenient.ok(), "allow_empty changed a non-blank body");
  else FUZZ_CHECK(!strict.ok() && lenient.ok() && lenient->json().empty(), "a blank body");
  if (!lenient.ok()) return 0;
  const JsonBody& body = *lenient;
  FUZZ_CHECK(body.json().is_object(), "parse() gave something other than an object");
  // What routes may do with a body: walk it recursively (copy, dump). Bounded
  // depth keeps that to a few frames; accepted strings are UTF-8, so dump()
  // does not throw.
  FUZZ_CHECK(depth_of(body.json()) <= api::kJsonBodyDepthMax, "a body nested deeper than the limit was accepted");
  nlohmann::json copy = body.json();
  FUZZ_CHECK(nlohmann::json::parse(copy.dump()) == body.json(), "dump() and parse() changed the body");

  std::vector<std::string> keys = {extra_key, "content", "tags", "importance", "pinned", "if_version", "reason",
                                   "query", "limit", "ids", "since", "until", "missing"};
  for (const auto& [k, v] : body.json().items()) {
    if (keys.size() >= kKeysMax) break;
    keys.push_back(k);
  }
  for (const auto& key : keys) read_all(body, key);
  return 0;
}
