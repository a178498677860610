// The daemon's configuration: agent.yaml (then AGENT.yaml, then config.yaml)
// in the workspace. Every section is optional; what is missing takes the
// defaults below (upstream's CONFIGURATION.md where it has one, ours where it
// does not). Unknown keys are ignored, so an upstream agent.yaml loads as is.
//
// A file that is not valid YAML, or a known key with a value of the wrong
// kind, is refused with "<file>:<line>:<column>: <what>". Read once in tools/
// and on SIGHUP; passed down as a value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/embedding/embedder.h"
#include "journal/status.h"

namespace signet::engine {

struct SearchConfig {
  double alpha = 0.7;       // vector weight; 1 - alpha goes to keywords
  uint32_t top_k = 20;      // candidates fetched from each source
  double min_score = 0.1;   // results below this blended score are dropped
  size_t hnsw_threshold = 20000;
  uint32_t read_wait_ms = 2000;  // read-your-writes wait before answering "stale"
  uint32_t query_embed_timeout_ms = 2000;  // a remote query embedding slower than this: keywords only
};

struct PipelineConfig {
  bool enabled = false;          // extraction pipeline (not implemented yet: see docs/api.md)
  bool paused = false;
  bool shadow_mode = false;
  bool mutations_frozen = false; // the kill switch: every write answers 503
  bool graph_enabled = false;
  bool autonomous_enabled = false;
  std::string extraction_model;
};

struct MemoryConfig {
  double decay_rate = 0.95;
  uint32_t session_budget = 2000;
  uint32_t recovery_window_days = 30;
  uint32_t retention_sweep_minutes = 360;  // purge what is past the window this often; 0: only on request
  size_t content_bytes_max = 256 * 1024;
  PipelineConfig pipeline;
};

struct ServerConfig {
  size_t max_body_bytes = 1024 * 1024;
  uint32_t threads = 64;              // HTTP worker threads: one per open keep-alive connection
  uint32_t read_timeout_ms = 5000;    // a stalled client is cut off after this
  uint32_t write_timeout_ms = 5000;
  uint32_t keep_alive_timeout_ms = 5000;
  uint32_t keep_alive_max_requests = 100000;
  uint32_t sse_streams_max = 4;       // concurrent /api/logs/stream clients (each holds a worker)
};

struct JournalConfig {
  std::string sync = "always";  // always | batch | off
  uint32_t sync_batch_ms = 10;
};

struct AuthConfig {
  std::string mode = "local";  // local | team | hybrid (only local is enforced today)
  uint64_t default_token_ttl_seconds = 604800;
  uint64_t session_token_ttl_seconds = 86400;
};

struct BackupConfig {
  std::string schedule;  // "" (off), "hourly", "daily", "weekly", or "<N>m" / "<N>h"
  uint32_t keep = 7;
  std::string dest;      // "" = <workspace>/.daemon/backups
};

struct LogConfig {
  std::string level = "info";  // debug | info | warn | error
  uint32_t ring_entries = 2000;
};

struct AgentConfig {
  std::string name = "My Agent";
  std::string description;
};

struct Config {
  std::string source_path;  // the file it was read from; "" for the built-in defaults
  AgentConfig agent;
  EmbeddingConfig embedding;
  SearchConfig search;
  MemoryConfig memory;
  ServerConfig server;
  JournalConfig journal;
  AuthConfig auth;
  BackupConfig backup;
  LogConfig log;
};

// The first of agent.yaml, AGENT.yaml, config.yaml in `workspace`, or "".
std::string find_config_file(const std::string& workspace);

// Loads `workspace`'s config file, or the defaults when there is none.
Result<Config> load_config(const std::string& workspace);
// Parses YAML text; `name` is used in error messages.
Result<Config> parse_config(const std::string& text, const std::string& name);

}  // namespace signet::engine
