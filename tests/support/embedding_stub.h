// A loopback embedding server for tests: speaks ollama's /api/embeddings and
// OpenAI's /v1/embeddings on 127.0.0.1 and an ephemeral port, and misbehaves
// on request. "Down" is a stopped stub: its port then has nothing listening.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace signet::testing {

class EmbeddingStub {
 public:
  enum class Mode {
    kNormal,          // vector_for(text, dims) for each text; OpenAI data in reverse order, with "index"
    kSlow,            // kNormal after slow_delay_ms (cut short by stop())
    kNotJson,         // an HTML page with status 200
    kWrongShape,      // ollama: {"embeddings": [[...]]}; openai: {"data": {"embedding": [...]}}
    kWrongDims,       // dims - 1 numbers
    kWrongCount,      // openai: one vector fewer than inputs; ollama: an empty vector
    kNanInVector,     // a bare NaN token (not valid JSON)
    kStringInVector,  // "0.5" as a string
    kHugeNumber,      // 1e300: valid JSON, a finite double, infinite as a float
    kZeroVector,      // all zeros: no direction
    kHttp500,         // status 500 with a JSON error body
  };

  explicit EmbeddingStub(uint32_t dims = 8);
  ~EmbeddingStub();  // stops
  EmbeddingStub(const EmbeddingStub&) = delete;
  EmbeddingStub& operator=(const EmbeddingStub&) = delete;

  int port() const;
  std::string base_url() const;  // "http://127.0.0.1:<port>"
  void set_mode(Mode mode);
  void set_dims(uint32_t dims);
  void set_slow_delay_ms(uint32_t delay_ms);  // default 5000
  // Stops listening and waits for handlers; idempotent.
  void stop();

  uint64_t request_count() const;
  size_t largest_batch() const;  // most texts seen in one request
  std::string last_authorization() const;  // "" when none was sent
  std::string last_model() const;

  // The stub's vector for `text`: deterministic, not normalised, every
  // component in [-1, 1].
  static std::vector<float> vector_for(std::string_view text, uint32_t dims);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace signet::testing
