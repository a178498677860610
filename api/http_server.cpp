// cpp-httplib behind our Request/Response/Router. httplib gets one catch-all
// handler per method; we route, authorise, time and observe every request.
#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>

#include "api/http.h"
#include "api/json_writer.h"
#include "engine/uuid.h"
#include "journal/log.h"
#include "journal/utf8.h"

namespace signet::api {
namespace {

constexpr int kListenBacklog = 1024;

const httplib::Request& raw(const void* p) { return *static_cast<const httplib::Request*>(p); }

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

// An id, not an arbitrary blob: printable, short.
bool acceptable_request_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char c) { return c > 32 && c < 127; });
}

class LocalAuthorizer final : public Authorizer {
 public:
  Status authorize(const Request&, Permission) const override { return Status::Ok(); }
};

// Bytes that are not UTF-8 can go neither into a JSON answer (nlohmann's
// dump() throws on them: a 500) nor into the journal (every later read of the
// memory would fail the same way). The request path, the query string and the
// headers we store are checked once here, before routing: a 400 naming the
// part. JSON bodies need no check; the parser refuses invalid UTF-8.
std::optional<std::string> non_utf8_part(const httplib::Request& r) {
  if (!valid_utf8(r.path)) return "the request path is not valid UTF-8";
  for (const auto& [name, value] : r.params) {
    if (!valid_utf8(name)) return "a query parameter name is not valid UTF-8";
    if (!valid_utf8(value)) return "query parameter '" + name + "' is not valid UTF-8";
  }
  for (const char* h : {"x-signet-actor", "x-signet-session-id"})
    if (!valid_utf8(r.get_header_value(h))) return std::string("header '") + h + "' is not valid UTF-8";
  return std::nullopt;
}

}  // namespace

std::string_view method_name(Method m) {
  switch (m) {
    case Method::kGet: return "GET";
    case Method::kPost: return "POST";
    case Method::kPut: return "PUT";
    case Method::kPatch: return "PATCH";
    case Method::kDelete: return "DELETE";
  }
  return "GET";
}

std::string_view permission_name(Permission p) {
  switch (p) {
    case Permission::kNone: return "none";
    case Permission::kRecall: return "recall";
    case Permission::kRemember: return "remember";
    case Permission::kModify: return "modify";
    case Permission::kForget: return "forget";
    case Permission::kRecover: return "recover";
    case Permission::kDocuments: return "documents";
    case Permission::kConnectors: return "connectors";
    case Permission::kDiagnostics: return "diagnostics";
    case Permission::kAnalytics: return "analytics";
    case Permission::kAdmin: return "admin";
  }
  return "none";
}

const std::string& Request::body() const { return body_ ? *body_ : raw(raw_).body; }
const std::string& Request::remote_addr() const { return raw(raw_).remote_addr; }

std::string_view Request::param(std::string_view name) const {
  for (const auto& [k, v] : params_)
    if (k == name) return v;
  return {};
}

std::optional<std::string> Request::query(std::string_view name) const {
  const auto& r = raw(raw_);
  auto it = r.params.find(std::string(name));
  if (it == r.params.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Request::header(std::string_view name) const {
  const auto& r = raw(raw_);
  std::string key(name);
  if (!r.has_header(key.c_str())) return std::nullopt;
  return r.get_header_value(key.c_str());
}

Response Response::json(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// JsonWriter: a message that is not UTF-8 still gives a JSON body (U+FFFD).
Response Response::error(int status, std::string_view message) {
  JsonWriter w;
  w.begin_object().key("error").string(message).end_object();
  return json(status, w.take());
}

void Router::add(Method method, std::string pattern, Permission permission, Handler handler) {
  Route r;
  r.info = {method, pattern, permission};
  r.segments = split_path(pattern);
  r.handler = std::move(handler);
  routes_.push_back(std::move(r));
}

Router::Match Router::match(Method method, std::string_view path) const {
  Match best;
  std::vector<std::string> segs = split_path(path);
  std::vector<bool> best_shape;  // true = parameter segment; fewer and later is more specific
  for (const Route& r : routes_) {
    if (r.segments.size() != segs.size()) continue;
    std::vector<bool> shape(segs.size());
    bool ok = true;
    for (size_t i = 0; i < segs.size() && ok; ++i) {
      if (!r.segments[i].empty() && r.segments[i][0] == ':') shape[i] = true;
      else ok = r.segments[i] == segs[i];
    }
    if (!ok) continue;
    if (r.info.method != method) {
      best.other_method = true;
      continue;
    }
    // Literal beats parameter at the first segment where two routes differ.
    if (best.route && !(shape < best_shape)) continue;
    best.route = &r;
    best_shape = shape;
  }
  if (best.route) {
    for (size_t i = 0; i < segs.size(); ++i)
      if (best_shape[i]) best.params.emplace_back(best.route->segments[i].substr(1), segs[i]);
  }
  return best;
}

std::vector<RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  for (const auto& r : routes_) out.push_back(r.info);
  return out;
}

std::unique_ptr<Authorizer> make_local_authorizer() { return std::make_unique<LocalAuthorizer>(); }

class HttpServer::Impl {
 public:
  ServerOptions options;
  Router router;
  std::unique_ptr<Authorizer> authorizer;
  std::function<uint64_t()> arrival_seq;
  RequestObserver observer;
  httplib::Server server;
  int port = 0;
  int listen_fd = -1;
  std::atomic<bool> stopping{false};
  std::shared_ptr<spdlog::logger> log = log::get("http");

  // Builds our Request from httplib's and runs it; the caller writes the answer.
  Response respond(Method method, const httplib::Request& hreq, Request& req) {
    req.arrived_at_ = std::chrono::steady_clock::now();
    req.method_ = method;
    req.path_ = hreq.path;
    req.raw_ = &hreq;
    req.arrival_seq_ = arrival_seq ? arrival_seq() : 0;
    std::string rid = hreq.get_header_value("X-Request-Id");
    req.request_id_ = acceptable_request_id(rid) ? rid : engine::request_uuid();
    engine::Context& ctx = req.context_;
    ctx.request_id = req.request_id_;
    ctx.actor.who = hreq.get_header_value("x-signet-actor");
    if (auto t = journal::parse_actor_type(hreq.get_header_value("x-signet-actor-type"))) ctx.actor.type = *t;
    ctx.session_id = hreq.get_header_value("x-signet-session-id");
    truncate_utf8(ctx.session_id, 256);
    truncate_utf8(ctx.actor.who, 256);
    if (auto bad = non_utf8_part(hreq)) return Response::error(400, *bad);

    Router::Match m = router.match(method, hreq.path);
    if (!m.route) {
      return m.other_method
                 ? Response::error(405, std::string(method_name(method)) + " is not allowed on " + hreq.path)
                 : Response::error(404, "not found: " + std::string(method_name(method)) + " " + hreq.path);
    }
    req.params_ = std::move(m.params);
    Status allowed = m.route->info.permission == Permission::kNone
                         ? Status::Ok()
                         : authorizer->authorize(req, m.route->info.permission);
    if (!allowed.ok())
      return Response::error(allowed.code() == Code::kPermissionDenied ? 403 : 401, allowed.message());
    try {
      return m.route->handler(req);
    } catch (const std::exception& e) {
      // A handler that throws is our bug: log it with the request id.
      log->error("request {} {} {} failed: {}", req.request_id_, method_name(method), hreq.path, e.what());
      return Response::error(500, "internal error (request " + req.request_id_ + ")");
    }
  }

  void dispatch(Method method, const httplib::Request& hreq, httplib::Response& hres,
                const std::string* body = nullptr) {
    Request req;
    req.body_ = body;
    Response res = respond(method, hreq, req);
    hres.status = res.status;
    hres.set_header("X-Request-Id", req.request_id_);
    for (const auto& [k, v] : res.headers) hres.set_header(k.c_str(), v);
    if (res.stream) {
      auto stream = std::move(res.stream);
      hres.set_chunked_content_provider(res.content_type, [stream](size_t, httplib::DataSink& sink) {
        struct Sink final : StreamSink {
          httplib::DataSink& s;
          explicit Sink(httplib::DataSink& d) : s(d) {}
          bool write(std::string_view data) override {
            if (s.is_writable && !s.is_writable()) return false;
            return s.write(data.data(), data.size());
          }
        } wrapped(sink);
        if (!stream(wrapped)) {
          sink.done();
          return false;
        }
        return true;
      });
    } else {
      hres.set_content(std::move(res.body), res.content_type.c_str());
    }
    if (observer) {
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                      req.arrived_at_);
      observer(req, res, us);
    }
  }
};

HttpServer::HttpServer(ServerOptions options, Router router, std::unique_ptr<Authorizer> authorizer,
                       std::function<uint64_t()> arrival_seq, RequestObserver observer)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.options = options;
  s.router = std::move(router);
  s.authorizer = std::move(authorizer);
  s.arrival_seq = std::move(arrival_seq);
  s.observer = std::move(observer);
  size_t threads = std::max<size_t>(options.threads, 2);
  s.server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.server.set_payload_max_length(options.max_body_bytes);
  auto secs = [](std::chrono::milliseconds ms) { return static_cast<time_t>(ms.count() / 1000); };
  auto usecs = [](std::chrono::milliseconds ms) { return static_cast<time_t>((ms.count() % 1000) * 1000); };
  s.server.set_read_timeout(secs(options.read_timeout), usecs(options.read_timeout));
  s.server.set_write_timeout(secs(options.write_timeout), usecs(options.write_timeout));
  s.server.set_keep_alive_timeout(std::max<time_t>(1, secs(options.keep_alive_timeout)));
  s.server.set_keep_alive_max_count(options.keep_alive_max_requests);
  s.server.set_tcp_nodelay(true);
  // cpp-httplib 0.11 listens with a backlog of 5: eight clients connecting at
  // once overflow it and the kernel makes the rest retry a second later. We
  // keep the descriptor here and raise the backlog after binding.
  s.server.set_socket_options([p = impl_.get()](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    p->listen_fd = sock;
  });
  Impl* p = impl_.get();
  s.server.Get(".*", [p](const httplib::Request& q, httplib::Response& r) { p->dispatch(Method::kGet, q, r); });
  // Bodies are read by us, not by httplib: it would parse a body sent as a
  // form (what `curl -d` labels it) into query parameters and refuse one over
  // 8 KiB, and it would wait out the read timeout for a POST that has neither
  // Content-Length nor chunked encoding, which by RFC 9112 has no body.
  auto with_body = [p](Method m) {
    return [p, m](const httplib::Request& q, httplib::Response& r, const httplib::ContentReader& read) {
      std::string body;
      bool chunked = q.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos;
      if (!q.has_header("Content-Length") && !chunked) return p->dispatch(m, q, r, &body);
      if (q.is_multipart_form_data()) {
        // Drained, not parsed: the API speaks JSON.
        read([](const httplib::MultipartFormData&) { return true; }, [](const char*, size_t) { return true; });
        r.status = 415;
        r.set_content(Response::error(415, "send the body as JSON, not multipart/form-data").body, "application/json");
        return;
      }
      bool ok = read([&](const char* data, size_t n) {
        body.append(data, n);
        return true;
      });
      if (!ok) {
        // httplib set 413 (over server.maxBodyBytes) or 400 (cut short); the
        // rest of the body is unread, so this connection cannot be reused.
        if (r.status != 413) r.status = 400;
        std::string msg = r.status == 413 ? "request body is larger than " +
                                                std::to_string(p->options.max_body_bytes) + " bytes"
                                          : "the request body ended early or its chunked encoding is broken";
        r.set_header("Connection", "close");
        r.set_content(Response::error(r.status, msg).body, "application/json");
        return;
      }
      p->dispatch(m, q, r, &body);
    };
  };
  s.server.Post(".*", with_body(Method::kPost));
  s.server.Put(".*", with_body(Method::kPut));
  s.server.Patch(".*", with_body(Method::kPatch));
  s.server.Delete(".*", with_body(Method::kDelete));
  // Errors httplib produces itself (413, 400 on a broken request line, ...) get a JSON body too.
  httplib::Server::HandlerWithResponse on_error = [p](const httplib::Request&, httplib::Response& r) {
    if (!r.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string msg;
    if (r.status == 413) msg = "request body is larger than " + std::to_string(p->options.max_body_bytes) + " bytes";
    else if (r.status == 400) msg = "malformed HTTP request (a request with a body needs a Content-Length)";
    else if (r.status == 414) msg = "request URI is too long";
    else msg = "HTTP " + std::to_string(r.status);
    r.set_content(Response::error(r.status, msg).body, "application/json");
    return httplib::Server::HandlerResponse::Handled;
  };
  s.server.set_error_handler(on_error);
  s.server.set_exception_handler([p](const httplib::Request& q, httplib::Response& r, std::exception_ptr ep) {
    std::string what = "unknown";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    p->log->error("request {} failed: {}", q.path, what);
    r.status = 500;
    r.set_content(Response::error(500, "internal error").body, "application/json");
  });
}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::bind(const std::string& host, int port) {
  if (port == 0) {
    int p = impl_->server.bind_to_any_port(host);
    if (p <= 0) return Status::Unavailable("cannot bind to " + host);
    impl_->port = p;
  } else {
    if (!impl_->server.bind_to_port(host, port))
      return Status::Unavailable("cannot listen on " + host + ":" + std::to_string(port) +
                                 " (in use, or not an address of this machine)");
    impl_->port = port;
  }
  if (impl_->listen_fd >= 0) ::listen(impl_->listen_fd, kListenBacklog);
  return Status::Ok();
}

int HttpServer::port() const { return impl_->port; }

Status HttpServer::serve() {
  if (!impl_->server.listen_after_bind() && !impl_->stopping.load())
    return Status::IOError("the HTTP server stopped unexpectedly");
  return Status::Ok();
}

void HttpServer::stop() {
  impl_->stopping = true;
  if (impl_->server.is_running()) impl_->server.stop();
}

bool HttpServer::stopping() const { return impl_->stopping.load(); }

namespace {

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

Response HttpServer::handle(Method method, const std::string& target, const std::string& body,
                            const std::vector<std::pair<std::string, std::string>>& headers) {
  httplib::Request hreq;
  size_t q = target.find('?');
  hreq.path = percent_decode(target.substr(0, q));
  if (q != std::string::npos) {
    std::string_view rest(target);
    rest.remove_prefix(q + 1);
    while (!rest.empty()) {
      size_t amp = rest.find('&');
      std::string_view pair = rest.substr(0, amp);
      size_t eq = pair.find('=');
      hreq.params.emplace(percent_decode(pair.substr(0, eq)),
                          eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1)));
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  hreq.body = body;
  for (const auto& [k, v] : headers) hreq.headers.emplace(k, v);
  if (body.size() > impl_->options.max_body_bytes)
    return Response::error(413, "request body is larger than " + std::to_string(impl_->options.max_body_bytes) + " bytes");
  Request req;
  return impl_->respond(method, hreq, req);
}

}  // namespace signet::api
