// Remote embedding providers over libcurl: ollama and OpenAI-compatible.
//
//   ollama  POST {base_url}/api/embeddings  {"model", "prompt"} -> {"embedding": [...]}
//           one request per text
//   openai  POST {base_url}/v1/embeddings   {"model", "input": [...]}
//           -> {"data": [{"index": i, "embedding": [...]}]}, batch_size texts
//           per request, placed by "index"; "Authorization: Bearer <key>"
//           with the key read once, here, from the variable named by
//           api_key_env (an empty api_key_env sends no key, for local
//           OpenAI-compatible servers). A base_url already ending in /v1 is
//           not given a second one.
//
// timeout_ms bounds each request (connect_timeout_ms its connection), so an
// ollama call of n texts may take up to n * timeout_ms. Failures:
//   connection refused, DNS, TLS, reset         kUnavailable "... is unreachable: ..."
//   no answer within timeout_ms                 kTimedOut
//   HTTP status >= 300                          kUnavailable, with status and body snippet
//   not JSON, wrong shape, wrong number of
//   vectors or dims, non-finite or all-zero     kCorruption naming what was wrong
// Vectors are L2-normalised. Blank texts (empty or whitespace) are not sent
// (OpenAI rejects them, ollama answers an empty vector): they get
// fill_blank_text_vector, as with builtin. check() embeds one short text
// with a total timeout of at most 5 s.
// Thread-safe: curl handles are pooled, one per request in flight.
#pragma once

#include <memory>

#include "engine/embedding/embedder.h"

namespace signet::engine {

// `config` must have its defaults filled in (make_embedder does):
// model, base_url and dimensions non-empty / non-zero. kInvalidArgument for a
// base_url that is not http(s), zero timeouts or batch size, or (openai) a
// missing key.
Result<std::unique_ptr<Embedder>> make_ollama_embedder(const EmbeddingConfig& config);
Result<std::unique_ptr<Embedder>> make_openai_embedder(const EmbeddingConfig& config);

}  // namespace signet::engine
