// Reading JSON request bodies and query strings with errors that name the
// field: every problem is a kInvalidArgument whose message says which field
// and what was expected, which the route answers with 400.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"
#include "journal/status.h"

namespace signet::api {

// Deepest nesting of arrays and objects a request body may have. The API's
// bodies need 4 (batch modify: body, patches, a patch, its tags); the bound
// keeps every recursive walk of a body (nlohmann's dump() and copy are
// recursive) to a few frames: a 1 MiB body of "[[[[..." once overflowed a
// worker's stack and killed the daemon.
inline constexpr size_t kJsonBodyDepthMax = 64;

class JsonBody {
 public:
  // An object, or kInvalidArgument ("malformed JSON: ..."; nested deeper than
  // kJsonBodyDepthMax). An empty body is an empty object when `allow_empty`.
  static Result<JsonBody> parse(std::string_view body, bool allow_empty = false);

  bool has(std::string_view key) const;  // present and not null
  bool present(std::string_view key) const;  // present, possibly null
  const nlohmann::json& json() const { return j_; }

  Result<std::optional<std::string>> string(std::string_view key) const;
  // Present, a string, and not blank.
  Result<std::string> required_string(std::string_view key) const;
  Result<std::optional<bool>> boolean(std::string_view key) const;  // also 0/1
  Result<std::optional<double>> number(std::string_view key, double min, double max) const;
  Result<std::optional<uint64_t>> count(std::string_view key) const;  // whole number >= 0
  // Tags: "a,b" or ["a","b"]; absent -> nullopt; null -> empty (clear).
  Result<std::optional<std::vector<std::string>>> tags(std::string_view key) const;
  Result<std::optional<std::vector<std::string>>> strings(std::string_view key) const;

 private:
  explicit JsonBody(nlohmann::json j) : j_(std::move(j)) {}
  nlohmann::json j_;
};

// Query-string parameters with the same style of errors.
Result<std::optional<uint64_t>> query_count(const Request& req, std::string_view name, uint64_t max);
Result<std::optional<double>> query_number(const Request& req, std::string_view name, double min, double max);
Result<std::optional<bool>> query_bool(const Request& req, std::string_view name);
// ISO-8601 time to microseconds.
Result<std::optional<int64_t>> query_time(const Request& req, std::string_view name);
Result<std::optional<int64_t>> body_time(const JsonBody& body, std::string_view key);

}  // namespace signet::api
