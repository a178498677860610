// Embedding providers: text in, one vector per text out.
//
//   builtin  in-process, deterministic, no model download: hashed word and
//            character n-gram features folded into a fixed number of dims.
//            A lexical fallback, not a semantic model: it finds shared words,
//            stems and misspellings, not synonyms.
//   ollama   POST {base_url}/api/embeddings  {"model", "prompt"} -> {"embedding": [...]}
//   openai   POST {base_url}/v1/embeddings   {"model", "input": [...]} -> {"data": [{"embedding": [...]}]}
//            with "Authorization: Bearer <key>", the key read from the
//            environment variable named in config (api_key_env).
//
// Remote providers use libcurl with connect and total timeouts; a provider
// that is down, slow, or answers garbage (not JSON, wrong shape, wrong number
// of dims, NaN) gives kUnavailable / kTimedOut / kCorruption with a message a
// user can act on — never a crash and never a wrong-sized vector.
// Thread-safe: embed() may be called from several threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "journal/status.h"

namespace signet::engine {

struct EmbeddingConfig {
  std::string provider = "builtin";  // builtin | ollama | openai
  std::string model;                 // default per provider: builtin-v1, nomic-embed-text, text-embedding-3-small
  uint32_t dimensions = 0;           // 0: provider default (builtin 256, ollama 768, openai 1536)
  std::string base_url;              // default per provider: http://localhost:11434, https://api.openai.com
  std::string api_key_env = "OPENAI_API_KEY";
  uint32_t timeout_ms = 10000;
  uint32_t connect_timeout_ms = 2000;
  uint32_t batch_size = 16;          // texts per request where the protocol allows
};

class Embedder {
 public:
  virtual ~Embedder() = default;
  virtual const std::string& provider() const = 0;
  virtual const std::string& model() const = 0;
  virtual uint32_t dims() const = 0;
  // One vector of dims() floats per text, in order, L2-normalised.
  virtual Result<std::vector<std::vector<float>>> embed(const std::vector<std::string>& texts) = 0;
  // One text's vector within `timeout_ms` when that is shorter than the
  // configured timeout: a recall waiting on a slow provider should fall back
  // to keywords, not hang for the worker's full timeout.
  virtual Result<std::vector<float>> embed_query(const std::string& text, uint32_t timeout_ms);
  // A cheap availability probe (builtin: always OK).
  virtual Status check() = 0;
};

// kInvalidArgument for an unknown provider or impossible settings.
Result<std::unique_ptr<Embedder>> make_embedder(const EmbeddingConfig& config);
// The config with each provider's defaults filled in (model, dims, base_url),
// without building anything: what make_embedder would use.
EmbeddingConfig with_defaults(const EmbeddingConfig& config);

}  // namespace signet::engine
