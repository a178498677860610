// make_embedder: per-provider defaults for model, dims and base_url, and the
// settings it refuses (unknown provider, impossible dims, bad URL, zero
// timeouts or batch size).
#include <catch2/catch.hpp>

#include "engine/embedding/embedder.h"

using namespace signet;
using namespace signet::engine;

TEST_CASE("make_embedder defaults to builtin-v1 with 256 dims", "[embedding]") {
  auto e = make_embedder(EmbeddingConfig{});
  REQUIRE(e.ok());
  CHECK((*e)->provider() == "builtin");
  CHECK((*e)->model() == "builtin-v1");
  CHECK((*e)->dims() == 256);
}

TEST_CASE("make_embedder fills in each provider's model and dims", "[embedding]") {
  EmbeddingConfig ollama;
  ollama.provider = "ollama";
  auto o = make_embedder(ollama);
  REQUIRE(o.ok());
  CHECK((*o)->model() == "nomic-embed-text");
  CHECK((*o)->dims() == 768);

  EmbeddingConfig openai;
  openai.provider = "openai";
  openai.api_key_env = "";  // no key needed to construct one
  auto a = make_embedder(openai);
  REQUIRE(a.ok());
  CHECK((*a)->model() == "text-embedding-3-small");
  CHECK((*a)->dims() == 1536);

  openai.model = "text-embedding-3-large";
  openai.dimensions = 3072;
  auto large = make_embedder(openai);
  REQUIRE(large.ok());
  CHECK((*large)->model() == "text-embedding-3-large");
  CHECK((*large)->dims() == 3072);
}

TEST_CASE("make_embedder refuses an unknown provider and names the valid ones", "[embedding]") {
  EmbeddingConfig c;
  c.provider = "huggingface";
  auto e = make_embedder(c);
  CHECK(e.status().code() == Code::kInvalidArgument);
  CHECK_THAT(e.status().message(), Catch::Contains("huggingface"));
  CHECK_THAT(e.status().message(), Catch::Contains("builtin, ollama, openai"));
}

TEST_CASE("make_embedder refuses impossible settings", "[embedding]") {
  EmbeddingConfig builtin;
  builtin.dimensions = 8;
  CHECK(make_embedder(builtin).status().code() == Code::kInvalidArgument);
  builtin.dimensions = 5000;
  CHECK(make_embedder(builtin).status().code() == Code::kInvalidArgument);
  builtin.dimensions = 0;
  builtin.model = "all-minilm";
  CHECK(make_embedder(builtin).status().code() == Code::kInvalidArgument);

  EmbeddingConfig ollama;
  ollama.provider = "ollama";
  ollama.base_url = "localhost:11434";
  CHECK(make_embedder(ollama).status().code() == Code::kInvalidArgument);
  ollama.base_url = "ftp://localhost:11434";
  CHECK(make_embedder(ollama).status().code() == Code::kInvalidArgument);
  ollama.base_url = "";
  ollama.timeout_ms = 0;
  CHECK(make_embedder(ollama).status().code() == Code::kInvalidArgument);
  ollama.timeout_ms = 1000;
  ollama.connect_timeout_ms = 0;
  CHECK(make_embedder(ollama).status().code() == Code::kInvalidArgument);

  EmbeddingConfig openai;
  openai.provider = "openai";
  openai.api_key_env = "";
  openai.batch_size = 0;
  CHECK(make_embedder(openai).status().code() == Code::kInvalidArgument);
}
