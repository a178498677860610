#include "tools/bench/agent_config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <fstream>
#include <regex>
#include <sstream>

namespace signet::bench {
namespace {

using nlohmann::json;

json scalar_json(const std::string& text) {
  if (text == "true" || text == "false") return text == "true";
  if (text == "null" || text == "~") return nullptr;
  static const std::regex integer(R"(^-?[0-9]+$)");
  static const std::regex real(R"(^-?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$)");
  if (std::regex_match(text, integer)) {
    try {
      return std::stoll(text);
    } catch (...) {
      return text;
    }
  }
  if (std::regex_match(text, real)) return std::stod(text);
  if (text.size() >= 2 && (text.front() == '"' || text.front() == '\'') && text.back() == text.front())
    return text.substr(1, text.size() - 2);
  return text;
}

json yaml_to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      json o = json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = yaml_to_json(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      json a = json::array();
      for (const auto& v : n) a.push_back(yaml_to_json(v));
      return a;
    }
    case YAML::NodeType::Scalar:
      // Quoted scalars stay strings; plain ones are typed as YAML would.
      return n.Tag() == "!" ? json(n.Scalar()) : scalar_json(n.Scalar());
    default:
      return nullptr;
  }
}

void merge(json& into, const json& from) {
  if (!into.is_object() || !from.is_object()) {
    into = from;
    return;
  }
  for (auto it = from.begin(); it != from.end(); ++it) {
    if (into.contains(it.key()) && into[it.key()].is_object() && it.value().is_object()) merge(into[it.key()], it.value());
    else into[it.key()] = it.value();
  }
}

void emit(std::ostringstream& out, const json& j, int indent) {
  std::string pad(static_cast<size_t>(indent), ' ');
  for (auto it = j.begin(); it != j.end(); ++it) {
    out << pad << it.key() << ":";
    const json& v = it.value();
    if (v.is_object() && !v.empty()) {
      out << "\n";
      emit(out, v, indent + 2);
    } else {
      out << " " << v.dump() << "\n";  // JSON scalars and flow collections are valid YAML
    }
  }
}

bool is_override_list(const std::string& spec) {
  static const std::regex one(R"(^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*=.*$)");
  std::istringstream ss(spec);
  std::string token;
  bool any = false;
  while (ss >> token) {
    if (!std::regex_match(token, one)) return false;
    any = true;
  }
  return any;
}

}  // namespace

AgentConfig::AgentConfig() : label("default"), tree_({{"journal", {{"sync", "always"}}}}) {}

bool AgentConfig::apply(const std::string& spec, std::string* error) {
  json patch = json::object();
  if (is_override_list(spec)) {
    std::istringstream ss(spec);
    std::string token;
    while (ss >> token) {
      size_t eq = token.find('=');
      std::string path = token.substr(0, eq), value = token.substr(eq + 1);
      json* node = &patch;
      size_t start = 0;
      for (;;) {
        size_t dot = path.find('.', start);
        std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (dot == std::string::npos) {
          (*node)[key] = scalar_json(value);
          break;
        }
        json& child = (*node)[key];
        if (!child.is_object()) child = json::object();
        node = &child;
        start = dot + 1;
      }
    }
  } else {
    std::string text = spec;
    if (!spec.empty() && spec[0] == '@') {
      std::ifstream in(spec.substr(1));
      if (!in) {
        if (error) *error = "cannot read configuration file " + spec.substr(1);
        return false;
      }
      std::ostringstream ss;
      ss << in.rdbuf();
      text = ss.str();
    }
    try {
      YAML::Node n = YAML::Load(text);
      if (!n.IsMap()) {
        if (error) *error = "configuration \"" + spec + "\" is neither key.path=value nor a YAML map";
        return false;
      }
      patch = yaml_to_json(n);
    } catch (const YAML::Exception& e) {
      if (error) *error = "configuration \"" + spec + "\": " + e.what();
      return false;
    }
  }
  merge(tree_, patch);
  specs.push_back(spec);
  return true;
}

std::string AgentConfig::yaml() const {
  std::ostringstream out;
  out << "# written by signet-bench\n";
  emit(out, tree_, 0);
  return out.str();
}

}  // namespace signet::bench
