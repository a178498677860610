// JSON text written straight into a string, for responses on the hot path
// (recall) and for error bodies. Building an nlohmann::json tree first costs a map node and a copy
// of every field, then a walk to print it: 7% of a recall's CPU at 10k
// memories. Output is compact, keys in the order written. Strings that are
// not valid UTF-8 get U+FFFD for each bad byte; numbers that are not finite
// are written as null (nlohmann::json's choice too).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace signet::api {

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);

  JsonWriter& string(std::string_view s);
  JsonWriter& string_or_null(std::string_view s);  // null when empty
  JsonWriter& number(double v);
  JsonWriter& number(int64_t v);
  JsonWriter& number(uint64_t v);
  JsonWriter& boolean(bool v);
  JsonWriter& null();
  // Already JSON (e.g. an nlohmann::json's dump()), written as it is.
  JsonWriter& raw(std::string_view json);

  std::string take() { return std::move(out_); }

 private:
  void before_value();
  void write_string(std::string_view s);
  template <typename Int>
  JsonWriter& integer(Int v);
  std::string out_;
  std::vector<bool> has_items_;  // per open object or array
  bool after_key_ = false;
};

}  // namespace signet::api
