// The one file that calls libcurl and parses provider answers with
// nlohmann/json; both libraries' failures become Status here.
#include "engine/embedding/http_embedders.h"

#include <curl/curl.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/embedding/unit_vector.h"

namespace signet::engine {
namespace {

using nlohmann::json;

// A number in a JSON vector takes ~20 bytes, so a full batch of 3072-dim
// vectors is ~16 MB: the reply limit leaves room, the batch limit keeps it so.
constexpr size_t kReplyBytesMax = 64u << 20;
constexpr uint32_t kBatchSizeMax = 256;
constexpr size_t kSnippetBytesMax = 200;
constexpr uint32_t kCheckTimeoutMsMax = 5000;
constexpr uint32_t kDimsMax = 65536;
constexpr size_t kIdleHandlesMax = 8;
constexpr const char* kCheckText = "signet embedding check";

// curl_global_init is not thread-safe against other curl calls, so it runs
// once, before the first handle, and is never undone (process lifetime).
Status curl_ready() {
  static std::once_flag once;
  static CURLcode rc = CURLE_OK;
  std::call_once(once, [] { rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (rc != CURLE_OK) return Status::Unavailable(std::string("libcurl failed to initialise: ") + curl_easy_strerror(rc));
  return Status::Ok();
}

// Control characters blanked, cut at a UTF-8 boundary, so the message stays
// printable and valid when it reaches a log or a JSON error.
std::string snippet(std::string_view body) {
  size_t n = std::min(body.size(), kSnippetBytesMax);
  while (n < body.size() && n > 0 && (static_cast<unsigned char>(body[n]) & 0xC0) == 0x80) --n;
  std::string s(body.substr(0, n));
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  }
  if (n < body.size()) s += "...";
  if (s.empty()) s = "(empty body)";
  return s;
}

struct ReplyBody {
  std::string data;
  bool too_large = false;
};

size_t collect_body(char* ptr, size_t size, size_t nmemb, void* user) {
  auto* body = static_cast<ReplyBody*>(user);
  const size_t n = size * nmemb;
  if (body->data.size() + n > kReplyBytesMax) {
    body->too_large = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  try {
    body->data.append(ptr, n);
  } catch (const std::exception&) {  // must not unwind through C code
    body->too_large = true;
    return 0;
  }
  return n;
}

// Idle easy handles, reused so keep-alive connections survive between
// requests (curl_easy_reset keeps a handle's connection cache).
class CurlPool {
 public:
  CurlPool() = default;
  CurlPool(const CurlPool&) = delete;
  CurlPool& operator=(const CurlPool&) = delete;
  ~CurlPool() {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }

  CURL* acquire() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        CURL* h = idle_.back();
        idle_.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }

  void release(CURL* h) {
    curl_easy_reset(h);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (idle_.size() < kIdleHandlesMax) {
        idle_.push_back(h);
        return;
      }
    }
    curl_easy_cleanup(h);
  }

 private:
  std::mutex mu_;
  std::vector<CURL*> idle_;  // guarded by mu_
};

class HandleLease {
 public:
  explicit HandleLease(CurlPool& pool) : pool_(pool), handle_(pool.acquire()) {}
  ~HandleLease() {
    if (handle_ != nullptr) pool_.release(handle_);
  }
  HandleLease(const HandleLease&) = delete;
  HandleLease& operator=(const HandleLease&) = delete;
  CURL* get() const { return handle_; }

 private:
  CurlPool& pool_;
  CURL* handle_;
};

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

Result<std::string> checked_base_url(const EmbeddingConfig& c) {
  std::string base = c.base_url;
  if (!starts_with_ci(base, "http://") && !starts_with_ci(base, "https://")) {
    return Status::InvalidArgument("embedding.base_url must start with http:// or https://, got \"" + base + "\"");
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

Status check_common(const EmbeddingConfig& c) {
  if (c.model.empty()) return Status::InvalidArgument("embedding.model must not be empty");
  if (c.dimensions == 0 || c.dimensions > kDimsMax) {
    return Status::InvalidArgument("embedding.dimensions must be in [1, " + std::to_string(kDimsMax) + "], got " +
                                   std::to_string(c.dimensions));
  }
  if (c.timeout_ms == 0) return Status::InvalidArgument("embedding.timeout_ms must be > 0");
  if (c.connect_timeout_ms == 0) return Status::InvalidArgument("embedding.connect_timeout_ms must be > 0");
  return Status::Ok();
}

// What ollama and openai share: the transport, error mapping, reading a
// vector, and setting blank texts aside.
class RemoteEmbedder : public Embedder {
 public:
  RemoteEmbedder(std::string provider, const EmbeddingConfig& c, std::string url, curl_slist* headers)
      : provider_(std::move(provider)),
        model_(c.model),
        dims_(c.dimensions),
        url_(std::move(url)),
        timeout_ms_(c.timeout_ms),
        connect_timeout_ms_(c.connect_timeout_ms),
        headers_(headers) {}
  ~RemoteEmbedder() override { curl_slist_free_all(headers_); }

  const std::string& provider() const override { return provider_; }
  const std::string& model() const override { return model_; }
  uint32_t dims() const override { return dims_; }

  Result<std::vector<std::vector<float>>> embed(const std::vector<std::string>& texts) override {
    return embed_within(texts, timeout_ms_);
  }

  Result<std::vector<float>> embed_query(const std::string& text, uint32_t timeout_ms) override {
    uint32_t within = timeout_ms == 0 ? timeout_ms_ : std::min(timeout_ms_, timeout_ms);
    SIGNET_ASSIGN_OR_RETURN(auto vectors, embed_within({text}, within));
    if (vectors.size() != 1) return Status::Corruption("the provider returned " + std::to_string(vectors.size()) + " vectors for one text");
    return std::move(vectors[0]);
  }

  Status check() override {
    auto r = embed_within({kCheckText}, std::min(timeout_ms_, kCheckTimeoutMsMax));
    return r.ok() ? Status::Ok() : r.status();
  }

 protected:
  // Fills out[i] with the normalised vector of *texts[i]; no text is blank.
  virtual Status embed_texts(std::span<const std::string* const> texts, uint32_t timeout_ms,
                             std::span<std::vector<float>> out) = 0;

  // POSTs `body` and returns the answer parsed as JSON.
  Result<json> post(const std::string& body, uint32_t timeout_ms) {
    HandleLease lease(pool_);
    CURL* h = lease.get();
    if (h == nullptr) return Status::Unavailable("embedding provider at " + url_ + ": could not create a curl handle");
    char error[CURL_ERROR_SIZE];
    error[0] = '\0';
    ReplyBody reply;
    curl_easy_setopt(h, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: we run on many threads
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout_ms_));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "signet-engine");
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    const CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) return transport_error(rc, error, reply, timeout_ms);

    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status >= 300) {
      return Status::Unavailable("embedding provider at " + url_ + " answered HTTP " + std::to_string(status) + ": " +
                                 snippet(reply.data));
    }
    json parsed;
    try {
      parsed = json::parse(reply.data);
    } catch (const json::parse_error& e) {
      return corrupt("answered something that is not JSON (" + std::string(e.what()) + "): " + snippet(reply.data));
    }
    if (!parsed.is_object()) return corrupt("answered JSON that is not an object: " + snippet(reply.data));
    return parsed;
  }

  // Reads `array` (named `what` in messages) into `out` and normalises it.
  Status read_vector(const json& array, const std::string& what, std::vector<float>* out) const {
    if (!array.is_array()) return corrupt("answered no \"" + what + "\" array");
    if (array.size() != dims_) {
      return corrupt("returned " + std::to_string(array.size()) + " dims in " + what + ", expected " +
                     std::to_string(dims_) + " (set embedding.dimensions to the model's size)");
    }
    out->resize(dims_);
    for (size_t i = 0; i < dims_; ++i) {
      const json& x = array[i];
      if (!x.is_number()) return corrupt(what + "[" + std::to_string(i) + "] is not a number: " + snippet(x.dump()));
      const double v = x.get<double>();
      const float f = static_cast<float>(v);
      if (!std::isfinite(v) || !std::isfinite(f)) {
        return corrupt(what + "[" + std::to_string(i) + "] is not a finite float");
      }
      (*out)[i] = f;
    }
    if (!l2_normalize(*out)) return corrupt("returned an all-zero vector in " + what);
    return Status::Ok();
  }

  Status corrupt(const std::string& what) const {
    return Status::Corruption("embedding provider at " + url_ + " " + what);
  }

  // Request bodies may carry user text that is not valid UTF-8; dump() would
  // throw on it, so invalid bytes become U+FFFD instead.
  static std::string to_body(const json& request) {
    return request.dump(-1, ' ', false, json::error_handler_t::replace);
  }

  const std::string& model_name() const { return model_; }

 private:
  Status transport_error(CURLcode rc, const char* error, const ReplyBody& reply, uint32_t timeout_ms) const {
    const std::string detail = error[0] != '\0' ? error : curl_easy_strerror(rc);
    switch (rc) {
      case CURLE_OPERATION_TIMEDOUT:
        return Status::TimedOut("embedding provider at " + url_ + " timed out (connect_timeout_ms=" +
                                std::to_string(connect_timeout_ms_) + ", timeout_ms=" + std::to_string(timeout_ms) +
                                "): " + detail);
      case CURLE_WRITE_ERROR:
        if (reply.too_large) {
          return corrupt("sent an answer over " + std::to_string(kReplyBytesMax >> 20) + " MiB");
        }
        break;
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
      case CURLE_COULDNT_CONNECT:
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_UNSUPPORTED_PROTOCOL:
        return Status::Unavailable("embedding provider at " + url_ + " is unreachable: " + detail);
      default:
        break;
    }
    return Status::Unavailable("embedding provider at " + url_ + " failed: " + detail);
  }

  Result<std::vector<std::vector<float>>> embed_within(const std::vector<std::string>& texts, uint32_t timeout_ms) {
    try {
      std::vector<std::vector<float>> out(texts.size());
      std::vector<const std::string*> to_send;
      std::vector<size_t> positions;
      for (size_t i = 0; i < texts.size(); ++i) {
        if (is_blank(texts[i])) {
          out[i].resize(dims_);
          fill_blank_text_vector(out[i]);
        } else {
          to_send.push_back(&texts[i]);
          positions.push_back(i);
        }
      }
      if (to_send.empty()) return out;
      std::vector<std::vector<float>> sent(to_send.size());
      SIGNET_TRY(embed_texts(to_send, timeout_ms, sent));
      for (size_t k = 0; k < sent.size(); ++k) out[positions[k]] = std::move(sent[k]);
      return out;
    } catch (const json::exception& e) {
      return corrupt(std::string("answered JSON that could not be read: ") + e.what());
    } catch (const std::exception& e) {
      return Status::Unavailable("embedding provider at " + url_ + " failed: " + e.what());
    }
  }

  const std::string provider_;
  const std::string model_;
  const uint32_t dims_;
  const std::string url_;  // the endpoint, not the base
  const uint32_t timeout_ms_;
  const uint32_t connect_timeout_ms_;
  curl_slist* const headers_;  // owned; curl only reads it, so handles share it
  CurlPool pool_;
};

class OllamaEmbedder final : public RemoteEmbedder {
 public:
  using RemoteEmbedder::RemoteEmbedder;

 protected:
  // The /api/embeddings protocol takes one prompt per request.
  Status embed_texts(std::span<const std::string* const> texts, uint32_t timeout_ms,
                     std::span<std::vector<float>> out) override {
    for (size_t i = 0; i < texts.size(); ++i) {
      const std::string body = to_body(json{{"model", model_name()}, {"prompt", *texts[i]}});
      SIGNET_ASSIGN_OR_RETURN(json reply, post(body, timeout_ms));
      const auto it = reply.find("embedding");
      if (it == reply.end()) {
        const auto error = reply.find("error");
        if (error != reply.end()) return corrupt("answered an error: " + snippet(error->dump()));
        return corrupt("answered no \"embedding\" array: " + snippet(reply.dump()));
      }
      SIGNET_TRY(read_vector(*it, "embedding", &out[i]));
    }
    return Status::Ok();
  }
};

class OpenAiEmbedder final : public RemoteEmbedder {
 public:
  OpenAiEmbedder(const EmbeddingConfig& c, std::string url, curl_slist* headers)
      : RemoteEmbedder("openai", c, std::move(url), headers),
        batch_size_(c.batch_size),
        // text-embedding-3-* can shorten their vectors on request; other
        // OpenAI-compatible servers may reject the field, so only these get it.
        send_dimensions_(c.model.rfind("text-embedding-3", 0) == 0) {}

 protected:
  Status embed_texts(std::span<const std::string* const> texts, uint32_t timeout_ms,
                     std::span<std::vector<float>> out) override {
    for (size_t start = 0; start < texts.size(); start += batch_size_) {
      const size_t n = std::min<size_t>(batch_size_, texts.size() - start);
      SIGNET_TRY(embed_batch(texts.subspan(start, n), timeout_ms, out.subspan(start, n)));
    }
    return Status::Ok();
  }

 private:
  Status embed_batch(std::span<const std::string* const> texts, uint32_t timeout_ms,
                     std::span<std::vector<float>> out) {
    json request = {{"model", model_name()}, {"input", json::array()}};
    for (const std::string* t : texts) request["input"].push_back(*t);
    if (send_dimensions_) request["dimensions"] = dims();
    SIGNET_ASSIGN_OR_RETURN(json reply, post(to_body(request), timeout_ms));

    const auto data = reply.find("data");
    if (data == reply.end() || !data->is_array()) {
      const auto error = reply.find("error");
      if (error != reply.end()) return corrupt("answered an error: " + snippet(error->dump()));
      return corrupt("answered no \"data\" array: " + snippet(reply.dump()));
    }
    if (data->size() != texts.size()) {
      return corrupt("returned " + std::to_string(data->size()) + " vectors for " + std::to_string(texts.size()) +
                     " texts");
    }
    std::vector<bool> filled(texts.size(), false);
    for (size_t k = 0; k < data->size(); ++k) {
      const json& item = (*data)[k];
      const std::string where = "data[" + std::to_string(k) + "]";
      if (!item.is_object()) return corrupt(where + " is not an object");
      // "index" places the vector; without it, answer order is input order.
      size_t index = k;
      const auto idx = item.find("index");
      if (idx != item.end()) {
        if (!idx->is_number_integer() || idx->get<int64_t>() < 0 ||
            idx->get<int64_t>() >= static_cast<int64_t>(texts.size())) {
          return corrupt(where + ".index is not an index of the input: " + snippet(idx->dump()));
        }
        index = static_cast<size_t>(idx->get<int64_t>());
      }
      if (filled[index]) return corrupt("returned index " + std::to_string(index) + " twice");
      const auto embedding = item.find("embedding");
      if (embedding == item.end()) return corrupt("answered no \"embedding\" array in " + where);
      SIGNET_TRY(read_vector(*embedding, where + ".embedding", &out[index]));
      filled[index] = true;
    }
    return Status::Ok();
  }

  const uint32_t batch_size_;
  const bool send_dimensions_;
};

// The headers every request of one embedder sends; nullptr if curl ran out of memory.
curl_slist* make_headers(const std::string& authorization) {
  curl_slist* list = nullptr;
  // "Expect:" stops curl from waiting on 100-continue for larger batches.
  for (const std::string& line :
       {std::string("Content-Type: application/json"), std::string("Accept: application/json"), std::string("Expect:"),
        authorization}) {
    if (line.empty()) continue;
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (next == nullptr) {
      curl_slist_free_all(list);
      return nullptr;
    }
    list = next;
  }
  return list;
}

}  // namespace

Result<std::unique_ptr<Embedder>> make_ollama_embedder(const EmbeddingConfig& config) {
  SIGNET_TRY(check_common(config));
  SIGNET_ASSIGN_OR_RETURN(std::string base, checked_base_url(config));
  SIGNET_TRY(curl_ready());
  curl_slist* headers = make_headers("");
  if (headers == nullptr) return Status::Unavailable("could not build HTTP headers for the embedding provider");
  return std::unique_ptr<Embedder>(new OllamaEmbedder("ollama", config, base + "/api/embeddings", headers));
}

Result<std::unique_ptr<Embedder>> make_openai_embedder(const EmbeddingConfig& config) {
  SIGNET_TRY(check_common(config));
  if (config.batch_size == 0 || config.batch_size > kBatchSizeMax) {
    return Status::InvalidArgument("embedding.batch_size must be in [1, " + std::to_string(kBatchSizeMax) + "], got " +
                                   std::to_string(config.batch_size));
  }
  SIGNET_ASSIGN_OR_RETURN(std::string base, checked_base_url(config));
  std::string authorization;
  if (!config.api_key_env.empty()) {
    // Read here, once, so a daemon with no key fails at start-up rather
    // than on its first embedding.
    const char* key = std::getenv(config.api_key_env.c_str());
    if (key == nullptr || *key == '\0') {
      return Status::InvalidArgument("the openai embedding provider needs an API key: environment variable " +
                                     config.api_key_env +
                                     " is not set (set it, or name another variable in embedding.api_key_env)");
    }
    if (std::string_view(key).find_first_of("\r\n") != std::string_view::npos) {
      return Status::InvalidArgument("environment variable " + config.api_key_env + " holds a line break, not an API key");
    }
    authorization = std::string("Authorization: Bearer ") + key;
  }
  SIGNET_TRY(curl_ready());
  // "https://api.openai.com/v1" is a common way to write the base; do not
  // turn it into /v1/v1/embeddings.
  const bool has_v1 = base.size() >= 3 && base.compare(base.size() - 3, 3, "/v1") == 0;
  const std::string url = base + (has_v1 ? "/embeddings" : "/v1/embeddings");
  curl_slist* headers = make_headers(authorization);
  if (headers == nullptr) return Status::Unavailable("could not build HTTP headers for the embedding provider");
  return std::unique_ptr<Embedder>(new OpenAiEmbedder(config, url, headers));
}

}  // namespace signet::engine
