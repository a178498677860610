#include "engine/config.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>

namespace signet::engine {
namespace {

// Reads known keys out of a YAML tree; the first failure is kept with its mark.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  // The child mapping at `keys` (first key present wins), or an invalid node.
  YAML::Node section(const YAML::Node& parent, std::initializer_list<const char*> keys) {
    YAML::Node n = find(parent, keys);
    if (n && !n.IsMap() && !n.IsNull()) fail(n, std::string(*keys.begin()) + " must be a mapping");
    return (n && n.IsMap()) ? n : YAML::Node();
  }

  template <typename T>
  void get(const YAML::Node& parent, std::initializer_list<const char*> keys, T& out) {
    if (!status_.ok() || !parent || !parent.IsMap()) return;
    YAML::Node n = find(parent, keys);
    if (!n || n.IsNull()) return;
    if (!n.IsScalar()) {
      fail(n, std::string(*keys.begin()) + " must be a single value");
      return;
    }
    try {
      out = n.as<T>();
    } catch (const YAML::Exception&) {
      fail(n, std::string(*keys.begin()) + ": \"" + n.Scalar() + "\" is not a valid " + kind<T>());
    }
  }

  void check(bool ok, const YAML::Node& parent, const char* key, const std::string& what) {
    if (!status_.ok() || ok) return;
    YAML::Node n = parent ? parent[key] : YAML::Node();
    fail(n ? n : parent, std::string(key) + " " + what);
  }

  const Status& status() const { return status_; }

 private:
  static YAML::Node find(const YAML::Node& parent, std::initializer_list<const char*> keys) {
    if (!parent || !parent.IsMap()) return YAML::Node();
    for (const char* k : keys) {
      YAML::Node n = parent[k];
      if (n) return n;
    }
    return YAML::Node();
  }

  template <typename T>
  static std::string kind() {
    if constexpr (std::is_same_v<T, bool>) return "boolean (true/false)";
    else if constexpr (std::is_floating_point_v<T>) return "number";
    else if constexpr (std::is_integral_v<T>) return "non-negative whole number";
    else return "string";
  }

  void fail(const YAML::Node& n, const std::string& what) {
    if (!status_.ok()) return;
    YAML::Mark m = n ? n.Mark() : YAML::Mark::null_mark();
    std::ostringstream out;
    out << file_;
    if (m.line >= 0) out << ":" << (m.line + 1) << ":" << (m.column + 1);
    out << ": " << what;
    status_ = Status::InvalidArgument(out.str());
  }

  std::string file_;
  Status status_;
};

}  // namespace

std::string find_config_file(const std::string& workspace) {
  for (const char* name : {"agent.yaml", "AGENT.yaml", "config.yaml"}) {
    std::filesystem::path p = std::filesystem::path(workspace) / name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(p, ec)) return p.string();
  }
  return {};
}

Result<Config> parse_config(const std::string& text, const std::string& name) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    std::ostringstream out;
    out << name << ":" << (e.mark.line + 1) << ":" << (e.mark.column + 1) << ": invalid YAML: " << e.msg;
    return Status::InvalidArgument(out.str());
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(name + ": invalid YAML: " + e.what());
  }
  Config c;
  c.source_path = name;
  if (!root || root.IsNull()) return c;  // an empty file: all defaults
  if (!root.IsMap()) return Status::InvalidArgument(name + ":1:1: the top level must be a mapping of sections");

  Reader r(name);
  YAML::Node agent = r.section(root, {"agent"});
  r.get(agent, {"name"}, c.agent.name);
  r.get(agent, {"description"}, c.agent.description);

  YAML::Node emb = r.section(root, {"embedding", "embeddings"});
  r.get(emb, {"provider"}, c.embedding.provider);
  r.get(emb, {"model"}, c.embedding.model);
  r.get(emb, {"dimensions", "dims"}, c.embedding.dimensions);
  r.get(emb, {"base_url", "baseUrl", "url"}, c.embedding.base_url);
  r.get(emb, {"api_key_env", "apiKeyEnv"}, c.embedding.api_key_env);
  std::string api_key;
  r.get(emb, {"api_key", "apiKey"}, api_key);
  // Upstream's "$secret:NAME" becomes: read NAME from the environment.
  if (api_key.rfind("$secret:", 0) == 0) c.embedding.api_key_env = api_key.substr(8);
  else if (api_key.rfind("$env:", 0) == 0) c.embedding.api_key_env = api_key.substr(5);
  r.check(api_key.empty() || api_key[0] == '$', emb, "api_key",
          "must not hold a key in plain text: set api_key_env to the name of an environment variable");
  r.get(emb, {"timeout_ms", "timeoutMs"}, c.embedding.timeout_ms);
  r.get(emb, {"batch_size", "batchSize"}, c.embedding.batch_size);

  YAML::Node search = r.section(root, {"search"});
  r.get(search, {"alpha"}, c.search.alpha);
  r.check(c.search.alpha >= 0 && c.search.alpha <= 1, search, "alpha", "must be between 0 and 1");
  r.get(search, {"top_k", "topK"}, c.search.top_k);
  r.check(c.search.top_k >= 1 && c.search.top_k <= 1000, search, "top_k", "must be between 1 and 1000");
  r.get(search, {"min_score", "minScore"}, c.search.min_score);
  r.check(c.search.min_score >= 0 && c.search.min_score <= 1, search, "min_score", "must be between 0 and 1");
  r.get(search, {"hnsw_threshold", "hnswThreshold"}, c.search.hnsw_threshold);
  r.get(search, {"read_wait_ms", "readWaitMs"}, c.search.read_wait_ms);
  r.get(search, {"query_embed_timeout_ms", "queryEmbedTimeoutMs"}, c.search.query_embed_timeout_ms);

  YAML::Node mem = r.section(root, {"memory"});
  r.get(mem, {"decay_rate", "decayRate"}, c.memory.decay_rate);
  r.get(mem, {"session_budget", "sessionBudget"}, c.memory.session_budget);
  r.get(mem, {"recovery_window_days", "recoveryWindowDays"}, c.memory.recovery_window_days);
  r.get(mem, {"retention_sweep_minutes", "retentionSweepMinutes"}, c.memory.retention_sweep_minutes);
  r.get(mem, {"content_bytes_max", "contentBytesMax"}, c.memory.content_bytes_max);
  r.check(c.memory.content_bytes_max >= 1024, mem, "content_bytes_max", "must be at least 1024");
  YAML::Node pipe = r.section(mem, {"pipelineV2", "pipeline"});
  PipelineConfig& p = c.memory.pipeline;
  r.get(pipe, {"enabled"}, p.enabled);
  r.get(pipe, {"paused"}, p.paused);
  r.get(pipe, {"shadowMode", "shadow_mode"}, p.shadow_mode);
  r.get(pipe, {"mutationsFrozen", "mutations_frozen"}, p.mutations_frozen);
  r.get(pipe, {"graphEnabled"}, p.graph_enabled);
  r.get(r.section(pipe, {"graph"}), {"enabled"}, p.graph_enabled);
  r.get(pipe, {"autonomousEnabled"}, p.autonomous_enabled);
  r.get(r.section(pipe, {"autonomous"}), {"enabled"}, p.autonomous_enabled);
  r.get(pipe, {"extractionModel"}, p.extraction_model);
  r.get(r.section(pipe, {"extraction"}), {"model"}, p.extraction_model);

  YAML::Node server = r.section(root, {"server"});
  r.get(server, {"maxBodyBytes", "max_body_bytes"}, c.server.max_body_bytes);
  r.check(c.server.max_body_bytes >= 1024, server, "maxBodyBytes", "must be at least 1024");
  r.get(server, {"threads"}, c.server.threads);
  r.check(c.server.threads >= 2 && c.server.threads <= 1024, server, "threads", "must be between 2 and 1024");
  r.get(server, {"readTimeoutMs", "read_timeout_ms"}, c.server.read_timeout_ms);
  r.get(server, {"writeTimeoutMs", "write_timeout_ms"}, c.server.write_timeout_ms);
  r.get(server, {"keepAliveTimeoutMs", "keep_alive_timeout_ms"}, c.server.keep_alive_timeout_ms);
  r.get(server, {"keepAliveMaxRequests", "keep_alive_max_requests"}, c.server.keep_alive_max_requests);
  r.get(server, {"sseStreamsMax", "sse_streams_max"}, c.server.sse_streams_max);

  YAML::Node journal = r.section(root, {"journal"});
  r.get(journal, {"sync"}, c.journal.sync);
  r.check(c.journal.sync == "always" || c.journal.sync == "batch" || c.journal.sync == "off", journal, "sync",
          "must be always, batch or off");
  r.get(journal, {"syncBatchMs", "sync_batch_ms"}, c.journal.sync_batch_ms);

  YAML::Node auth = r.section(root, {"auth"});
  r.get(auth, {"mode"}, c.auth.mode);
  r.check(c.auth.mode == "local" || c.auth.mode == "team" || c.auth.mode == "hybrid", auth, "mode",
          "must be local, team or hybrid");
  r.get(auth, {"defaultTokenTtlSeconds"}, c.auth.default_token_ttl_seconds);
  r.get(auth, {"sessionTokenTtlSeconds"}, c.auth.session_token_ttl_seconds);

  YAML::Node backup = r.section(root, {"backup"});
  r.get(backup, {"schedule"}, c.backup.schedule);
  r.get(backup, {"keep"}, c.backup.keep);
  r.check(c.backup.keep >= 1, backup, "keep", "must be at least 1");
  r.get(backup, {"dest"}, c.backup.dest);

  YAML::Node log = r.section(root, {"log", "logging"});
  r.get(log, {"level"}, c.log.level);
  r.check(c.log.level == "debug" || c.log.level == "info" || c.log.level == "warn" || c.log.level == "error", log,
          "level", "must be debug, info, warn or error");
  r.get(log, {"ringEntries", "ring_entries"}, c.log.ring_entries);

  if (!r.status().ok()) return r.status();
  return c;
}

Result<Config> load_config(const std::string& workspace) {
  std::string path = find_config_file(workspace);
  if (path.empty()) return Config{};
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

}  // namespace signet::engine
