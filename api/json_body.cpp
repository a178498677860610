#include "api/json_body.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "engine/content.h"
#include "journal/clock.h"

namespace signet::api {

using Json = nlohmann::json;

namespace {

// 0 and 1, not 0.000000 and 1.000000.
std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

Status wrong_type(std::string_view key, const char* expected) {
  return Status::InvalidArgument("field '" + std::string(key) + "' must be " + expected);
}

bool blank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n\f\v") == std::string::npos;
}

// The deepest nesting of [ and { outside strings; stops counting past `max`.
// Not a validator: the parser judges the rest.
size_t nesting_depth(std::string_view text, size_t max) {
  size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > max) return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

Result<JsonBody> JsonBody::parse(std::string_view body, bool allow_empty) {
  if (blank(std::string(body))) {
    if (allow_empty) return JsonBody(Json::object());
    return Status::InvalidArgument("request body is empty; expected a JSON object");
  }
  if (nesting_depth(body, kJsonBodyDepthMax) > kJsonBodyDepthMax)
    return Status::InvalidArgument("request body is nested deeper than " + std::to_string(kJsonBodyDepthMax) +
                                   " levels of arrays and objects");
  Json j = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("malformed JSON in request body");
  if (!j.is_object()) return Status::InvalidArgument("request body must be a JSON object");
  return JsonBody(std::move(j));
}

bool JsonBody::present(std::string_view key) const { return j_.contains(key); }

bool JsonBody::has(std::string_view key) const {
  auto it = j_.find(key);
  return it != j_.end() && !it->is_null();
}

Result<std::optional<std::string>> JsonBody::string(std::string_view key) const {
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return wrong_type(key, "a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::string> JsonBody::required_string(std::string_view key) const {
  SIGNET_ASSIGN_OR_RETURN(auto v, string(key));
  if (!v || blank(*v)) return Status::InvalidArgument("field '" + std::string(key) + "' is required");
  return *v;
}

Result<std::optional<bool>> JsonBody::boolean(std::string_view key) const {
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) return std::optional<bool>();
  if (it->is_boolean()) return std::optional<bool>(it->get<bool>());
  if (it->is_number_integer() || it->is_number_unsigned()) {
    auto v = it->get<int64_t>();
    if (v == 0 || v == 1) return std::optional<bool>(v == 1);
  }
  return wrong_type(key, "true or false");
}

Result<std::optional<double>> JsonBody::number(std::string_view key, double min, double max) const {
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) return std::optional<double>();
  if (!it->is_number()) return wrong_type(key, "a number");
  double v = it->get<double>();
  if (!std::isfinite(v) || v < min || v > max) {
    return Status::InvalidArgument("field '" + std::string(key) + "' must be between " + number_text(min) +
                                   " and " + number_text(max));
  }
  return std::optional<double>(v);
}

Result<std::optional<uint64_t>> JsonBody::count(std::string_view key) const {
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) return std::optional<uint64_t>();
  if (it->is_number_unsigned()) return std::optional<uint64_t>(it->get<uint64_t>());
  if (it->is_number_integer() && it->get<int64_t>() >= 0)
    return std::optional<uint64_t>(static_cast<uint64_t>(it->get<int64_t>()));
  if (it->is_number_float()) {
    double d = it->get<double>();
    if (d >= 0 && d < 1.8e19 && std::floor(d) == d) return std::optional<uint64_t>(static_cast<uint64_t>(d));
  }
  return wrong_type(key, "a whole number of at least 0");
}

Result<std::optional<std::vector<std::string>>> JsonBody::strings(std::string_view key) const {
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) return std::optional<std::vector<std::string>>();
  if (!it->is_array()) return wrong_type(key, "an array of strings");
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (!v.is_string()) return wrong_type(key, "an array of strings");
    out.push_back(v.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<std::optional<std::vector<std::string>>> JsonBody::tags(std::string_view key) const {
  auto it = j_.find(key);
  if (it == j_.end()) return std::optional<std::vector<std::string>>();
  if (it->is_null()) return std::optional<std::vector<std::string>>(std::vector<std::string>{});
  if (it->is_string()) return std::optional<std::vector<std::string>>(engine::split_tags(it->get<std::string>()));
  if (it->is_array()) {
    std::vector<std::string> out;
    for (const auto& v : *it) {
      if (!v.is_string()) return wrong_type(key, "a comma-separated string or an array of strings");
      out.push_back(v.get<std::string>());
    }
    return std::optional<std::vector<std::string>>(engine::clean_tags(out));
  }
  return wrong_type(key, "a comma-separated string or an array of strings");
}

Result<std::optional<int64_t>> body_time(const JsonBody& body, std::string_view key) {
  SIGNET_ASSIGN_OR_RETURN(auto s, body.string(key));
  if (!s || s->empty()) return std::optional<int64_t>();
  auto t = parse_iso8601(*s);
  if (!t.ok()) return Status::InvalidArgument("field '" + std::string(key) + "': " + t.status().message());
  return std::optional<int64_t>(*t);
}

Result<std::optional<uint64_t>> query_count(const Request& req, std::string_view name, uint64_t max) {
  auto v = req.query(name);
  if (!v || v->empty()) return std::optional<uint64_t>();
  char* end = nullptr;
  errno = 0;
  unsigned long long n = std::strtoull(v->c_str(), &end, 10);
  if (errno != 0 || end == v->c_str() || *end != '\0' || (*v)[0] == '-')
    return Status::InvalidArgument("query parameter '" + std::string(name) + "' must be a whole number");
  return std::optional<uint64_t>(std::min<uint64_t>(n, max));
}

Result<std::optional<double>> query_number(const Request& req, std::string_view name, double min, double max) {
  auto v = req.query(name);
  if (!v || v->empty()) return std::optional<double>();
  char* end = nullptr;
  double d = std::strtod(v->c_str(), &end);
  if (end == v->c_str() || *end != '\0' || !std::isfinite(d) || d < min || d > max)
    return Status::InvalidArgument("query parameter '" + std::string(name) + "' must be a number between " +
                                   number_text(min) + " and " + number_text(max));
  return std::optional<double>(d);
}

Result<std::optional<bool>> query_bool(const Request& req, std::string_view name) {
  auto v = req.query(name);
  if (!v || v->empty()) return std::optional<bool>();
  if (*v == "1" || *v == "true" || *v == "yes") return std::optional<bool>(true);
  if (*v == "0" || *v == "false" || *v == "no") return std::optional<bool>(false);
  return Status::InvalidArgument("query parameter '" + std::string(name) + "' must be true or false");
}

Result<std::optional<int64_t>> query_time(const Request& req, std::string_view name) {
  auto v = req.query(name);
  if (!v || v->empty()) return std::optional<int64_t>();
  auto t = parse_iso8601(*v);
  if (!t.ok()) return Status::InvalidArgument("query parameter '" + std::string(name) + "': " + t.status().message());
  return std::optional<int64_t>(*t);
}

}  // namespace signet::api
