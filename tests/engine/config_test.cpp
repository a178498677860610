// agent.yaml: defaults, upstream keys, unknown keys ignored, and every error
// names file, line and column.
#include <catch2/catch.hpp>

#include <fstream>

#include "engine/config.h"
#include "tests/support/temp_dir.h"

using namespace signet;
using namespace signet::engine;

TEST_CASE("no file means the built-in defaults", "[config]") {
  signet::testing::TempDir dir;
  auto c = load_config(dir.path());
  REQUIRE(c.ok());
  CHECK(c->source_path.empty());
  CHECK(c->search.alpha == 0.7);
  CHECK(c->embedding.provider == "builtin");
  CHECK(c->server.max_body_bytes == 1024 * 1024);
  CHECK(c->journal.sync == "always");
  CHECK(c->auth.mode == "local");
}

TEST_CASE("agent.yaml wins over AGENT.yaml and config.yaml", "[config]") {
  signet::testing::TempDir dir;
  std::ofstream(dir.sub("config.yaml")) << "search:\n  alpha: 0.2\n";
  CHECK(load_config(dir.path())->search.alpha == 0.2);
  std::ofstream(dir.sub("AGENT.yaml")) << "search:\n  alpha: 0.3\n";
  CHECK(load_config(dir.path())->search.alpha == 0.3);
  std::ofstream(dir.sub("agent.yaml")) << "search:\n  alpha: 0.4\n";
  CHECK(load_config(dir.path())->search.alpha == 0.4);
}

TEST_CASE("an upstream agent.yaml loads; unknown keys are ignored", "[config]") {
  const char* text = R"(version: 1
schema: signet/v1
agent:
  name: "My Agent"
  created: "2025-02-17T00:00:00Z"
owner:
  address: "0x..."
harnesses:
  - claude-code
embedding:
  provider: ollama
  model: nomic-embed-text
  dimensions: 768
  base_url: http://localhost:11434
search:
  alpha: 0.7
  top_k: 20
  min_score: 0.3
memory:
  session_budget: 2000
  decay_rate: 0.95
  pipelineV2:
    enabled: true
    shadowMode: false
    mutationsFrozen: true
    extraction:
      provider: claude-code
      model: haiku
    graph:
      enabled: true
auth:
  mode: local
  rateLimits:
    forget: {windowMs: 60000, max: 30}
something_new:
  nested: [1, 2, 3]
)";
  auto c = parse_config(text, "agent.yaml");
  REQUIRE(c.ok());
  CHECK(c->agent.name == "My Agent");
  CHECK(c->embedding.provider == "ollama");
  CHECK(c->embedding.dimensions == 768);
  CHECK(c->embedding.base_url == "http://localhost:11434");
  CHECK(c->search.min_score == 0.3);
  CHECK(c->search.top_k == 20);
  CHECK(c->memory.pipeline.enabled);
  CHECK(c->memory.pipeline.mutations_frozen);
  CHECK(c->memory.pipeline.graph_enabled);
  CHECK(c->memory.pipeline.extraction_model == "haiku");
}

TEST_CASE("invalid YAML names file, line and column", "[config]") {
  auto c = parse_config("search:\n  alpha: 0.5\n  top_k: [1, 2\n", "agent.yaml");
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().code() == Code::kInvalidArgument);
  CHECK_THAT(c.status().message(), Catch::StartsWith("agent.yaml:") && Catch::Contains("invalid YAML"));
}

TEST_CASE("a known key with a wrong value names its place", "[config]") {
  auto c = parse_config("search:\n  alpha: lots\n", "/w/agent.yaml");
  REQUIRE_FALSE(c.ok());
  CHECK_THAT(c.status().message(), Catch::StartsWith("/w/agent.yaml:2:10: alpha"));
  CHECK_THAT(parse_config("search:\n  alpha: 3\n", "a.yaml").status().message(), Catch::Contains("between 0 and 1"));
  CHECK_THAT(parse_config("journal:\n  sync: sometimes\n", "a.yaml").status().message(),
             Catch::Contains("a.yaml:2:9") && Catch::Contains("always, batch or off"));
  CHECK_FALSE(parse_config("server:\n  maxBodyBytes: -5\n", "a.yaml").ok());
  CHECK_FALSE(parse_config("search: [1]\n", "a.yaml").ok());
  CHECK_FALSE(parse_config("- a\n- b\n", "a.yaml").ok());
  CHECK_FALSE(parse_config("embedding:\n  api_key: sk-plaintext\n", "a.yaml").ok());
}

TEST_CASE("an empty file is all defaults; $secret: keys name an environment variable", "[config]") {
  CHECK(parse_config("", "a.yaml")->search.alpha == 0.7);
  auto c = parse_config("embedding:\n  provider: openai\n  api_key: $secret:MY_KEY\n", "a.yaml");
  REQUIRE(c.ok());
  CHECK(c->embedding.api_key_env == "MY_KEY");
}
