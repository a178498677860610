// The ollama and OpenAI-compatible providers against the loopback stub
// (tests/support/embedding_stub.h): normal answers (dims, normalisation,
// batch order across batch_size), the bearer key from the named variable, a
// missing key, a provider that is down, slow, or answers each kind of
// garbage, and blank texts. Only the slow case uses a short (300 ms)
// timeout; nothing is timed.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <thread>

#include "engine/embedding/embedder.h"
#include "engine/embedding/unit_vector.h"
#include "tests/support/embedding_stub.h"

using namespace signet;
using namespace signet::engine;
using signet::testing::EmbeddingStub;
using Mode = EmbeddingStub::Mode;

namespace {

constexpr uint32_t kDims = 12;

EmbeddingConfig config_for(const std::string& provider, const EmbeddingStub& stub) {
  EmbeddingConfig c;
  c.provider = provider;
  c.base_url = stub.base_url();
  c.dimensions = kDims;
  c.timeout_ms = 5000;  // generous: the machine may be busy; only the slow test waits
  c.connect_timeout_ms = 300;
  c.api_key_env = "SIGNET_TEST_EMBEDDING_KEY";
  return c;
}

std::unique_ptr<Embedder> make(const EmbeddingConfig& c) {
  ::setenv("SIGNET_TEST_EMBEDDING_KEY", "sk-test-123", 1);
  auto e = make_embedder(c);
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  return std::move(e).value();
}

std::vector<float> normalized(std::vector<float> v) {
  REQUIRE(l2_normalize(v));
  return v;
}

void check_matches_stub(const std::vector<float>& got, const std::string& text) {
  auto want = normalized(EmbeddingStub::vector_for(text, kDims));
  REQUIRE(got.size() == kDims);
  for (size_t i = 0; i < kDims; ++i) CHECK(got[i] == Approx(want[i]).margin(1e-6));
}

double norm(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += static_cast<double>(x) * x;
  return std::sqrt(s);
}

std::vector<std::string> texts(size_t n) {
  std::vector<std::string> t;
  for (size_t i = 0; i < n; ++i) t.push_back("memory number " + std::to_string(i));
  return t;
}

}  // namespace

TEST_CASE("ollama returns normalised vectors of the configured dims, one request per text", "[embedding][ollama]") {
  EmbeddingStub stub(kDims);
  auto e = make(config_for("ollama", stub));
  CHECK(e->provider() == "ollama");
  CHECK(e->model() == "nomic-embed-text");
  CHECK(e->dims() == kDims);
  auto r = e->embed(texts(3));
  REQUIRE(r.ok());
  REQUIRE(r->size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(norm((*r)[i]) == Approx(1.0).epsilon(1e-6));
    check_matches_stub((*r)[i], "memory number " + std::to_string(i));
  }
  CHECK(stub.request_count() == 3);
  CHECK(stub.last_model() == "nomic-embed-text");
  CHECK(stub.last_authorization().empty());
  CHECK(e->check().ok());
}

TEST_CASE("openai batches by batch_size and keeps the input order", "[embedding][openai]") {
  EmbeddingStub stub(kDims);  // answers each batch in reverse order, with "index"
  auto c = config_for("openai", stub);
  c.batch_size = 4;
  auto e = make(c);
  CHECK(e->model() == "text-embedding-3-small");
  auto r = e->embed(texts(10));
  REQUIRE(r.ok());
  REQUIRE(r->size() == 10);
  for (size_t i = 0; i < 10; ++i) check_matches_stub((*r)[i], "memory number " + std::to_string(i));
  CHECK(stub.request_count() == 3);  // 4 + 4 + 2
  CHECK(stub.largest_batch() == 4);
}

TEST_CASE("openai sends the key from the named environment variable as a bearer token", "[embedding][openai]") {
  EmbeddingStub stub(kDims);
  auto e = make(config_for("openai", stub));
  REQUIRE(e->embed({"hello"}).ok());
  CHECK(stub.last_authorization() == "Bearer sk-test-123");
}

TEST_CASE("openai without its key is refused with the variable's name", "[embedding][openai]") {
  EmbeddingStub stub(kDims);
  auto c = config_for("openai", stub);
  c.api_key_env = "SIGNET_TEST_EMBEDDING_KEY_THAT_IS_NOT_SET";
  ::unsetenv("SIGNET_TEST_EMBEDDING_KEY_THAT_IS_NOT_SET");
  auto e = make_embedder(c);
  CHECK(e.status().code() == Code::kInvalidArgument);
  CHECK_THAT(e.status().message(), Catch::Contains("SIGNET_TEST_EMBEDDING_KEY_THAT_IS_NOT_SET"));
  CHECK(stub.request_count() == 0);
}

TEST_CASE("openai with an empty api_key_env sends no Authorization header", "[embedding][openai]") {
  EmbeddingStub stub(kDims);
  auto c = config_for("openai", stub);
  c.api_key_env = "";
  auto e = make(c);
  REQUIRE(e->embed({"hello"}).ok());
  CHECK(stub.last_authorization().empty());
}

TEST_CASE("openai accepts a base_url that already ends in /v1", "[embedding][openai]") {
  EmbeddingStub stub(kDims);
  auto c = config_for("openai", stub);
  c.base_url = stub.base_url() + "/v1/";
  auto e = make(c);
  CHECK(e->embed({"hello"}).ok());
}

TEST_CASE("a provider that is down is unavailable, not a crash", "[embedding][ollama][openai]") {
  for (const std::string provider : {"ollama", "openai"}) {
    EmbeddingStub stub(kDims);
    auto c = config_for(provider, stub);
    stub.stop();  // nothing listens on its port now
    auto e = make(c);
    auto r = e->embed({"hello"});
    INFO(provider << ": " << r.status().ToString());
    CHECK(r.status().code() == Code::kUnavailable);
    CHECK_THAT(r.status().message(), Catch::Contains("unreachable"));
    CHECK_THAT(r.status().message(), Catch::Contains(stub.base_url()));
    CHECK(e->check().code() == Code::kUnavailable);
  }
}

TEST_CASE("a host that cannot be resolved is unavailable", "[embedding][ollama]") {
  EmbeddingConfig c;
  c.provider = "ollama";
  c.base_url = "http://signet-no-such-host.invalid:11434";
  c.timeout_ms = 2000;
  auto e = make(c);
  auto r = e->embed({"hello"});
  INFO(r.status().ToString());
  CHECK((r.status().code() == Code::kUnavailable || r.status().code() == Code::kTimedOut));
}

TEST_CASE("a provider slower than timeout_ms times out", "[embedding][ollama][openai]") {
  for (const std::string provider : {"ollama", "openai"}) {
    EmbeddingStub stub(kDims);
    stub.set_mode(Mode::kSlow);
    stub.set_slow_delay_ms(5000);
    auto c = config_for(provider, stub);
    c.timeout_ms = 300;
    auto e = make(c);
    auto r = e->embed({"hello"});
    INFO(provider << ": " << r.status().ToString());
    CHECK(r.status().code() == Code::kTimedOut);
    CHECK_THAT(r.status().message(), Catch::Contains("timeout_ms=300"));
    CHECK(e->check().code() == Code::kTimedOut);
  }
}

TEST_CASE("each kind of garbage answer is reported as corruption", "[embedding][ollama][openai]") {
  struct Case {
    Mode mode;
    const char* says;  // in the message
  };
  const Case cases[] = {
      {Mode::kNotJson, "not JSON"},
      {Mode::kWrongShape, "array"},
      {Mode::kWrongDims, "dims"},
      {Mode::kNanInVector, "not JSON"},  // a bare NaN is not JSON at all
      {Mode::kStringInVector, "not a number"},
      {Mode::kHugeNumber, "finite"},
      {Mode::kZeroVector, "all-zero"},
  };
  for (const std::string provider : {"ollama", "openai"}) {
    for (const Case& k : cases) {
      EmbeddingStub stub(kDims);
      stub.set_mode(k.mode);
      auto e = make(config_for(provider, stub));
      auto r = e->embed({"hello", "world"});
      INFO(provider << " mode " << static_cast<int>(k.mode) << ": " << r.status().ToString());
      CHECK(r.status().code() == Code::kCorruption);
      CHECK_THAT(r.status().message(), Catch::Contains(k.says));
    }
  }
}

TEST_CASE("a wrong number of vectors is reported as corruption", "[embedding][ollama][openai]") {
  EmbeddingStub stub(kDims);
  stub.set_mode(Mode::kWrongCount);
  auto openai = make(config_for("openai", stub));
  auto r = openai->embed({"a", "b", "c"});
  INFO(r.status().ToString());
  CHECK(r.status().code() == Code::kCorruption);
  CHECK_THAT(r.status().message(), Catch::Contains("2 vectors for 3 texts"));
  auto ollama = make(config_for("ollama", stub));  // answers an empty vector
  CHECK(ollama->embed({"a"}).status().code() == Code::kCorruption);
}

TEST_CASE("an HTTP 500 is unavailable and quotes the body", "[embedding][ollama][openai]") {
  for (const std::string provider : {"ollama", "openai"}) {
    EmbeddingStub stub(kDims);
    stub.set_mode(Mode::kHttp500);
    auto e = make(config_for(provider, stub));
    auto r = e->embed({"hello"});
    INFO(provider << ": " << r.status().ToString());
    CHECK(r.status().code() == Code::kUnavailable);
    CHECK_THAT(r.status().message(), Catch::Contains("HTTP 500"));
    CHECK_THAT(r.status().message(), Catch::Contains("model runner crashed"));
  }
}

TEST_CASE("the provider's default dims are required of its answers", "[embedding][ollama]") {
  EmbeddingStub stub(kDims);  // answers 12 dims
  auto c = config_for("ollama", stub);
  c.dimensions = 0;  // ollama default: 768
  auto e = make(c);
  CHECK(e->dims() == 768);
  auto r = e->embed({"hello"});
  CHECK(r.status().code() == Code::kCorruption);
  CHECK_THAT(r.status().message(), Catch::Contains("expected 768"));
  stub.set_dims(768);
  CHECK(e->embed({"hello"}).ok());
}

TEST_CASE("remote providers do not send blank texts and give them the blank vector", "[embedding][ollama][openai]") {
  for (const std::string provider : {"ollama", "openai"}) {
    EmbeddingStub stub(kDims);
    auto e = make(config_for(provider, stub));
    auto r = e->embed({"", "real text", "  \n"});
    REQUIRE(r.ok());
    std::vector<float> blank(kDims);
    fill_blank_text_vector(blank);
    CHECK((*r)[0] == blank);
    CHECK((*r)[2] == blank);
    check_matches_stub((*r)[1], "real text");
    CHECK(stub.request_count() == 1);
    auto only_blank = e->embed({""});
    REQUIRE(only_blank.ok());
    CHECK(stub.request_count() == 1);
  }
}

TEST_CASE("text that is not valid UTF-8 is still sent", "[embedding][openai]") {
  EmbeddingStub stub(kDims);
  auto e = make(config_for("openai", stub));
  auto r = e->embed({std::string("bad \xFF bytes")});
  INFO(r.status().ToString());
  CHECK(r.ok());
}

TEST_CASE("remote embedders may be called from several threads", "[embedding][openai]") {
  EmbeddingStub stub(kDims);
  auto e = make(config_for("openai", stub));
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) ok[t] += e->embed(texts(3)).ok() ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  for (int n : ok) CHECK(n == 10);
  CHECK(stub.request_count() == 40);
}
