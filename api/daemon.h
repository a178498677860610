// The daemon process's parts, assembled: journal, engine, projections and
// their runners, workers, and the HTTP server. tools/signet runs it in the
// foreground (`signet daemon run`) and turns signals into stop() and reload().
#pragma once

#include <memory>
#include <string>

#include "api/http.h"
#include "engine/config.h"
#include "journal/clock.h"
#include "journal/status.h"

namespace signet::api {

struct DaemonOptions {
  std::string workspace;        // SIGNET_PATH
  std::string host = "127.0.0.1";  // SIGNET_HOST: advertised and default bind address
  std::string bind;             // SIGNET_BIND; "" = host
  int port = 3850;              // SIGNET_PORT; 0 = any free port
  engine::Config config;
  std::string log_file;         // where the log is being written (for /api/status)
  const Clock* clock = SystemClock::instance();
};

class Daemon {
 public:
  // Opens storage, starts the projection runners, binds the port.
  // kUnavailable if the port is taken.
  static Result<std::unique_ptr<Daemon>> open(DaemonOptions options);
  ~Daemon();

  // Serves until stop(); then finishes in-flight requests, lets the
  // projections apply what is committed, and closes storage.
  Status serve();
  // Thread-safe; returns at once.
  void stop();
  // Applies a new configuration where it can be applied live (log level,
  // search weights, the kill switch, server limits for new streams).
  void reload(engine::Config config);
  int port() const;
  // A request without a socket (fuzz targets, fast tests): see HttpServer::handle.
  Response handle(Method method, const std::string& target, const std::string& body,
                  const std::vector<std::pair<std::string, std::string>>& headers = {});

  class Impl;

 private:
  explicit Daemon(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace signet::api
