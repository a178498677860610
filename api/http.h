// The HTTP edge: requests, responses, routes and the server. Route files see
// these types only; cpp-httplib stays inside api/http_server.cpp.
//
// Routing is ours, not httplib's: a path is matched against every route of
// its method and the most specific one wins (a literal segment beats a
// ":param" segment, left to right), whatever the order of registration. So
// /api/memory/search can never be shadowed by /api/memory/:id.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/engine.h"
#include "journal/status.h"

namespace signet::api {

enum class Method : uint8_t { kGet, kPost, kPut, kPatch, kDelete };
std::string_view method_name(Method m);

// What a route needs (AUTH.md). Checked once, before the handler, by the
// Authorizer; in local mode everything is allowed.
enum class Permission : uint8_t {
  kNone,  // health and the like: never checked
  kRecall,
  kRemember,
  kModify,
  kForget,
  kRecover,
  kDocuments,
  kConnectors,
  kDiagnostics,
  kAnalytics,
  kAdmin,
};
std::string_view permission_name(Permission p);

class Request {
 public:
  Method method() const { return method_; }
  const std::string& path() const { return path_; }
  const std::string& body() const;
  const std::string& remote_addr() const;
  // ":name" segments of the matched route.
  std::string_view param(std::string_view name) const;
  std::optional<std::string> query(std::string_view name) const;
  std::optional<std::string> header(std::string_view name) const;

  const std::string& request_id() const { return request_id_; }
  // Who is asking (x-signet-actor, x-signet-actor-type), the request id and
  // the session id (x-signet-session-id), ready for engine commands.
  const engine::Context& context() const { return context_; }
  // The read barrier when the request arrived (Engine::read_barrier(): every
  // acknowledged write): reads wait for their projections to reach it
  // (read-your-writes).
  uint64_t arrival_seq() const { return arrival_seq_; }
  std::chrono::steady_clock::time_point arrived_at() const { return arrived_at_; }

 private:
  friend class HttpServer;
  Method method_ = Method::kGet;
  std::string path_;
  const void* raw_ = nullptr;  // the httplib::Request
  const std::string* body_ = nullptr;  // read by our content reader; else the raw request's
  std::vector<std::pair<std::string, std::string>> params_;
  std::string request_id_;
  engine::Context context_;
  uint64_t arrival_seq_ = 0;
  std::chrono::steady_clock::time_point arrived_at_;
};

// Writes chunks of a streamed response (server-sent events).
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  virtual bool write(std::string_view data) = 0;  // false: the client is gone
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is streamed: called until it returns false.
  std::function<bool(StreamSink&)> stream;

  static Response json(int status, std::string body);
  static Response error(int status, std::string_view message);
};

using Handler = std::function<Response(const Request&)>;

struct RouteInfo {
  Method method;
  std::string pattern;
  Permission permission;
};

class Router {
 public:
  void add(Method method, std::string pattern, Permission permission, Handler handler);
  void get(std::string p, Permission perm, Handler h) { add(Method::kGet, std::move(p), perm, std::move(h)); }
  void post(std::string p, Permission perm, Handler h) { add(Method::kPost, std::move(p), perm, std::move(h)); }
  void patch(std::string p, Permission perm, Handler h) { add(Method::kPatch, std::move(p), perm, std::move(h)); }
  void del(std::string p, Permission perm, Handler h) { add(Method::kDelete, std::move(p), perm, std::move(h)); }

  struct Route {
    RouteInfo info;
    std::vector<std::string> segments;  // ":name" for parameters
    Handler handler;
  };
  struct Match {
    const Route* route = nullptr;
    std::vector<std::pair<std::string, std::string>> params;
    bool other_method = false;  // the path exists under another method (405)
  };
  Match match(Method method, std::string_view path) const;
  std::vector<RouteInfo> routes() const;

 private:
  std::vector<Route> routes_;
};

// Decides whether a request may use a permission. local mode: always.
class Authorizer {
 public:
  virtual ~Authorizer() = default;
  virtual Status authorize(const Request& request, Permission permission) const = 0;
};
std::unique_ptr<Authorizer> make_local_authorizer();

struct ServerOptions {
  size_t threads = 64;
  size_t max_body_bytes = 1024 * 1024;
  std::chrono::milliseconds read_timeout{5000};
  std::chrono::milliseconds write_timeout{5000};
  std::chrono::milliseconds keep_alive_timeout{5000};
  size_t keep_alive_max_requests = 100000;
};

// Observes every finished request (analytics, access log).
using RequestObserver = std::function<void(const Request&, const Response&, std::chrono::microseconds)>;

class HttpServer {
 public:
  // `arrival_seq` is read when each request arrives (the seq reads wait for).
  HttpServer(ServerOptions options, Router router, std::unique_ptr<Authorizer> authorizer,
             std::function<uint64_t()> arrival_seq, RequestObserver observer = {});
  ~HttpServer();

  // Binds host:port (port 0: any free port). kUnavailable if the address is taken.
  Status bind(const std::string& host, int port);
  int port() const;
  // Serves until stop(); in-flight requests finish before it returns.
  Status serve();
  void stop();
  bool stopping() const;

  // One request through routing, authorisation and its handler, without a
  // socket: for fuzz targets and fast tests. `target` may carry a query
  // string. A streamed response is returned with its stream not run.
  Response handle(Method method, const std::string& target, const std::string& body,
                  const std::vector<std::pair<std::string, std::string>>& headers = {});

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace signet::api
