#include "tests/support/embedding_stub.h"

#include <httplib.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

namespace signet::testing {

using nlohmann::json;

struct EmbeddingStub::Impl {
  httplib::Server server;
  std::thread thread;
  int port = -1;
  std::atomic<Mode> mode{Mode::kNormal};
  std::atomic<uint32_t> dims{8};
  std::atomic<uint32_t> slow_delay_ms{5000};
  std::atomic<uint64_t> requests{0};
  std::atomic<size_t> largest_batch{0};

  mutable std::mutex mu;
  std::condition_variable stop_cv;  // wakes slow handlers on stop()
  bool stopping = false;            // guarded by mu
  std::string last_authorization;   // guarded by mu
  std::string last_model;           // guarded by mu

  void handle(const httplib::Request& req, httplib::Response& res, bool openai);
  std::string answer(Mode m, bool openai, const std::vector<std::string>& texts) const;
};

namespace {

std::string numbers(const std::vector<float>& v) {
  return json(v).dump();
}

// `n` numbers with `bad` at position 1.
std::string numbers_with(uint32_t n, const std::string& bad) {
  std::ostringstream out;
  out << '[';
  for (uint32_t i = 0; i < n; ++i) out << (i ? "," : "") << (i == 1 ? bad : "0.25");
  out << ']';
  return out.str();
}

}  // namespace

std::string EmbeddingStub::Impl::answer(Mode m, bool openai, const std::vector<std::string>& texts) const {
  const uint32_t d = dims.load();
  // The vector of text i, as JSON text, under mode m.
  auto vector_json = [&](size_t i) -> std::string {
    switch (m) {
      case Mode::kWrongDims: return numbers(vector_for(texts[i], d > 0 ? d - 1 : 1));
      case Mode::kNanInVector: return numbers_with(d, "NaN");
      case Mode::kStringInVector: return numbers_with(d, "\"0.5\"");
      case Mode::kHugeNumber: return numbers_with(d, "1e300");
      case Mode::kZeroVector: return numbers(std::vector<float>(d, 0.0f));
      default: return numbers(vector_for(texts[i], d));
    }
  };
  if (!openai) {
    if (m == Mode::kWrongShape) return "{\"embeddings\":[" + vector_json(0) + "]}";
    if (m == Mode::kWrongCount) return "{\"embedding\":[]}";  // ollama's answer to an empty prompt
    return "{\"embedding\":" + vector_json(0) + "}";
  }
  if (m == Mode::kWrongShape) return "{\"data\":{\"embedding\":" + vector_json(0) + "}}";
  size_t count = texts.size();
  if (m == Mode::kWrongCount && count > 0) --count;
  // Reverse order: the client must place vectors by "index".
  std::string data;
  for (size_t k = 0; k < count; ++k) {
    const size_t i = count - 1 - k;
    data += (k ? "," : "");
    data += "{\"object\":\"embedding\",\"index\":" + std::to_string(i) + ",\"embedding\":" + vector_json(i) + "}";
  }
  return "{\"object\":\"list\",\"data\":[" + data + "],\"model\":\"stub\"}";
}

void EmbeddingStub::Impl::handle(const httplib::Request& req, httplib::Response& res, bool openai) {
  ++requests;
  const json body = json::parse(req.body, nullptr, false);
  std::vector<std::string> texts;
  std::string model;
  if (body.is_object()) {
    if (auto it = body.find("model"); it != body.end() && it->is_string()) model = it->get<std::string>();
    const auto input = body.find(openai ? "input" : "prompt");
    if (input != body.end() && input->is_string()) texts.push_back(input->get<std::string>());
    if (openai && input != body.end() && input->is_array()) {
      for (const json& t : *input) texts.push_back(t.is_string() ? t.get<std::string>() : t.dump());
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    last_authorization = req.get_header_value("Authorization");
    last_model = model;
  }
  size_t seen = largest_batch.load();
  while (texts.size() > seen && !largest_batch.compare_exchange_weak(seen, texts.size())) {
  }
  if (texts.empty()) {
    res.status = 400;
    res.set_content("{\"error\":\"no input\"}", "application/json");
    return;
  }

  Mode m = mode.load();
  if (m == Mode::kSlow) {
    std::unique_lock<std::mutex> lock(mu);
    stop_cv.wait_for(lock, std::chrono::milliseconds(slow_delay_ms.load()), [&] { return stopping; });
    m = Mode::kNormal;
  }
  if (m == Mode::kNotJson) {
    res.set_content("<html><body>502 Bad Gateway</body></html>", "text/html");
    return;
  }
  if (m == Mode::kHttp500) {
    res.status = 500;
    res.set_content("{\"error\":\"model runner crashed\"}", "application/json");
    return;
  }
  res.set_content(answer(m, openai, texts), "application/json");
}

EmbeddingStub::EmbeddingStub(uint32_t dims) : impl_(std::make_unique<Impl>()) {
  impl_->dims = dims;
  Impl* impl = impl_.get();
  impl->server.Post("/api/embeddings",
                    [impl](const httplib::Request& req, httplib::Response& res) { impl->handle(req, res, false); });
  impl->server.Post("/v1/embeddings",
                    [impl](const httplib::Request& req, httplib::Response& res) { impl->handle(req, res, true); });
  // Bounds how long stop() waits for an idle keep-alive connection.
  impl->server.set_keep_alive_timeout(1);
  impl->port = impl->server.bind_to_any_port("127.0.0.1");
  if (impl->port < 0) {
    std::fprintf(stderr, "EmbeddingStub: could not bind 127.0.0.1\n");
    std::abort();
  }
  // Bound and listening already: connections queue until this thread accepts.
  impl->thread = std::thread([impl] { impl->server.listen_after_bind(); });
}

EmbeddingStub::~EmbeddingStub() { stop(); }

void EmbeddingStub::stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->stopping) return;
    impl_->stopping = true;
  }
  impl_->stop_cv.notify_all();
  // httplib's stop() does nothing until the accept loop has started, so a
  // stop() that came first would be lost and join() would hang.
  while (!impl_->server.is_running()) std::this_thread::yield();
  impl_->server.stop();
  impl_->thread.join();
}

int EmbeddingStub::port() const { return impl_->port; }
std::string EmbeddingStub::base_url() const { return "http://127.0.0.1:" + std::to_string(impl_->port); }
void EmbeddingStub::set_mode(Mode mode) { impl_->mode = mode; }
void EmbeddingStub::set_dims(uint32_t dims) { impl_->dims = dims; }
void EmbeddingStub::set_slow_delay_ms(uint32_t delay_ms) { impl_->slow_delay_ms = delay_ms; }
uint64_t EmbeddingStub::request_count() const { return impl_->requests.load(); }
size_t EmbeddingStub::largest_batch() const { return impl_->largest_batch.load(); }

std::string EmbeddingStub::last_authorization() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->last_authorization;
}

std::string EmbeddingStub::last_model() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->last_model;
}

std::vector<float> EmbeddingStub::vector_for(std::string_view text, uint32_t dims) {
  uint64_t state = 0xcbf29ce484222325ull;  // FNV-1a of the text seeds splitmix64
  for (unsigned char c : text) state = (state ^ c) * 0x100000001b3ull;
  std::vector<float> v(dims);
  for (float& x : v) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    x = static_cast<float>(static_cast<double>(z >> 11) * 0x1.0p-53 * 2.0 - 1.0);
  }
  return v;
}

}  // namespace signet::testing
