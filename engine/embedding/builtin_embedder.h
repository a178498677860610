// The default embedding provider: in-process, deterministic, no model file.
//
// Feature hashing over lexical features. A lexical fallback, not a semantic
// model: texts that share words, stems or misspelt words come out close;
// synonyms do not. Scheme "builtin-v1" (changing any of it changes the vectors,
// so it must become a new model name: stored vectors would stop comparing):
//
//   tokens   runs of ASCII letters/digits and non-ASCII bytes, ASCII
//            lower-cased; an apostrophe (' or U+2019) inside a word is dropped
//   unigram  light stem of each token (builtin_stem), weight 1.0;
//            English stopwords 0.15 and nothing else
//   bigram   stems of consecutive non-stopword tokens, weight 0.7
//   char     3- and 4-grams of "<token>" (unstemmed; tokens of 3+ bytes, not
//            stopwords, not all digits), sharing an L2 mass of 0.8 of the
//            word's weight, so word overlap dominates but a typo still lands
//            near the right word
//   tf       a feature seen n times weighs sqrt(n)× (sublinear; sqrt rather
//            than log because it is correctly rounded in IEEE 754)
//   hashing  FNV-1a 64 + murmur3 fmix64 per feature; dimension = high 32 bits
//            scaled to dims, sign = bit 0; then L2-normalised
//
// Text with no tokens ("", "  ", "!!!") gets fill_blank_text_vector: a fixed
// unit vector rather than an error, so one blank text cannot fail a batch.
// Tokens over 64 bytes (hashes, base64) are one unstemmed unigram each.
// Vectors are bit-identical across runs and machines: integer hashing only,
// float sums in a fixed order, no FMA contraction (see CMakeLists.txt).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/embedding/embedder.h"

namespace signet::engine {

class BuiltinEmbedder final : public Embedder {
 public:
  static constexpr uint32_t kDefaultDims = 256;
  static constexpr uint32_t kDimsMin = 16;
  static constexpr uint32_t kDimsMax = 4096;
  static constexpr const char* kModel = "builtin-v1";

  // kInvalidArgument unless dims is in [kDimsMin, kDimsMax].
  static Result<std::unique_ptr<BuiltinEmbedder>> create(uint32_t dims);

  const std::string& provider() const override { return provider_; }
  const std::string& model() const override { return model_; }
  uint32_t dims() const override { return dims_; }
  // Never fails.
  Result<std::vector<std::vector<float>>> embed(const std::vector<std::string>& texts) override;
  Status check() override { return Status::Ok(); }

  // The hot path: writes dims() floats to `out` (out.size() == dims()).
  // After a thread's first call it allocates nothing for texts of similar size.
  void embed_into(std::string_view text, std::span<float> out) const;

 private:
  explicit BuiltinEmbedder(uint32_t dims) : dims_(dims) {}
  const std::string provider_ = "builtin";
  const std::string model_ = kModel;
  const uint32_t dims_;
};

// The light English stemmer of builtin-v1, on a lower-cased word:
// plurals (-sses, -ies, -s); then one of -ing / -ied / -ed / -ation, leaving
// at least 3 letters, a doubled final consonant undone; then -ment (leaving 4);
// then a final -e. "deploying", "deployed", "deploys", "deployment" ->
// "deploy"; "memories" -> "memory"; "stored", "storing", "store" -> "stor".
// Light on purpose: it misses some forms ("configuration") rather than
// merging unrelated words; character grams cover much of the rest.
std::string builtin_stem(std::string_view word);

}  // namespace signet::engine
