// make_embedder: per-provider defaults, then the provider's own checks.
#include "engine/embedding/embedder.h"

#include "engine/embedding/builtin_embedder.h"
#include "engine/embedding/http_embedders.h"

namespace signet::engine {

EmbeddingConfig with_defaults(const EmbeddingConfig& config) {
  EmbeddingConfig c = config;
  if (c.provider == "builtin") {
    if (c.model.empty()) c.model = BuiltinEmbedder::kModel;
    if (c.dimensions == 0) c.dimensions = BuiltinEmbedder::kDefaultDims;
  } else if (c.provider == "ollama") {
    if (c.model.empty()) c.model = "nomic-embed-text";
    if (c.base_url.empty()) c.base_url = "http://localhost:11434";
    if (c.dimensions == 0) c.dimensions = 768;
  } else if (c.provider == "openai") {
    if (c.model.empty()) c.model = "text-embedding-3-small";
    if (c.base_url.empty()) c.base_url = "https://api.openai.com";
    if (c.dimensions == 0) c.dimensions = 1536;
  }
  return c;
}

Result<std::unique_ptr<Embedder>> make_embedder(const EmbeddingConfig& config) {
  EmbeddingConfig c = with_defaults(config);
  if (c.provider == "builtin") {
    if (c.model != BuiltinEmbedder::kModel) {
      // Another name would be recorded with vectors this code did not make.
      return Status::InvalidArgument("embedding.model for the builtin provider must be \"" +
                                     std::string(BuiltinEmbedder::kModel) + "\", got \"" + c.model + "\"");
    }
    SIGNET_ASSIGN_OR_RETURN(auto builtin,
                            BuiltinEmbedder::create(c.dimensions == 0 ? BuiltinEmbedder::kDefaultDims : c.dimensions));
    return std::unique_ptr<Embedder>(std::move(builtin));
  }
  if (c.provider == "ollama") return make_ollama_embedder(c);
  if (c.provider == "openai") return make_openai_embedder(c);
  return Status::InvalidArgument("unknown embedding.provider \"" + c.provider +
                                 "\": expected one of builtin, ollama, openai");
}

Result<std::vector<float>> Embedder::embed_query(const std::string& text, uint32_t) {
  SIGNET_ASSIGN_OR_RETURN(auto vectors, embed({text}));
  if (vectors.size() != 1) return Status::Corruption("the embedder returned " + std::to_string(vectors.size()) + " vectors for one text");
  return std::move(vectors[0]);
}

}  // namespace signet::engine
