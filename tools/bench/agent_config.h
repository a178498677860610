// The agent.yaml of one benchmark configuration, built from specs given on
// the command line:
//   key.path=value [key.path=value ...]   overrides, e.g. "journal.sync=batch"
//   a YAML fragment                       e.g. "journal: {sync: batch, syncBatchMs: 5}"
//   @FILE                                 a YAML file
// Later specs win, maps merge key by key. The bench's base is
// `journal: {sync: always}`: the durable default, stated explicitly.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace signet::bench {

class AgentConfig {
 public:
  AgentConfig();  // the base

  // Applies one spec; false and a message naming the problem if it is malformed.
  bool apply(const std::string& spec, std::string* error);

  std::string yaml() const;                    // the agent.yaml text
  const nlohmann::json& tree() const { return tree_; }
  std::string label;                           // how reports name it ("default", "A", ...)
  std::vector<std::string> specs;              // as given

 private:
  nlohmann::json tree_;
};

}  // namespace signet::bench
