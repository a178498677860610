// The daemon under test: one the bench started itself (`signet daemon run` on
// a workspace of its own, SIGNET_PORT=0) or one already running at a URL.
// Process figures come from /proc/<pid> when the bench owns the process, else
// from /health's `resources`.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tools/bench/load.h"

namespace signet::bench {

struct ProcessFigures {
  bool known = false;
  uint64_t rss_bytes = 0;
  uint64_t rss_peak_bytes = 0;  // VmHWM; 0 when only /health was asked
  uint64_t rss_anon_bytes = 0;  // RssAnon: the process's own memory (heap, stacks, indexes)
  uint64_t rss_file_bytes = 0;  // RssFile: mapped files, mostly shared libraries' code
  uint64_t open_fds = 0;
  uint64_t threads = 0;
};

// Figures of a local process from /proc/<pid>.
ProcessFigures read_proc(pid_t pid);

// GET path on a fresh connection; status 0 when nothing answered.
struct Reply {
  int status = 0;
  std::string body;
  nlohmann::json json() const;  // null when not JSON
};
Reply http_get(const Endpoint& e, const std::string& path, int timeout_ms = 5000);

class Daemon {
 public:
  virtual ~Daemon() = default;
  virtual Endpoint endpoint() const = 0;
  virtual bool local() const = 0;
  virtual ProcessFigures figures() const = 0;
  // Waits until every projection's lag in /health is 0 (polled); false on timeout.
  bool wait_caught_up(double timeout_s) const;
  nlohmann::json health() const;  // /health body, null when it does not answer 200
};

class RemoteDaemon final : public Daemon {
 public:
  explicit RemoteDaemon(Endpoint e) : e_(std::move(e)) {}
  Endpoint endpoint() const override { return e_; }
  bool local() const override { return false; }
  ProcessFigures figures() const override;

 private:
  Endpoint e_;
};

class LocalDaemon final : public Daemon {
 public:
  struct Options {
    std::string binary;      // signet
    std::string workspace;   // SIGNET_PATH; created when missing
    std::string agent_yaml;  // written to <workspace>/agent.yaml when not empty
    double healthy_timeout_s = 600;
  };
  // Starts it and waits until /health answers 200. nullptr and `error` (with
  // the tail of its output) when it exits or never becomes healthy.
  static std::unique_ptr<LocalDaemon> start(const Options& options, std::string* error);
  ~LocalDaemon() override;  // stops it if still running (SIGTERM; SIGKILL after 10 s)

  Endpoint endpoint() const override { return e_; }
  bool local() const override { return true; }
  ProcessFigures figures() const override { return read_proc(pid_); }
  pid_t pid() const { return pid_; }

  double startup_s() const { return startup_s_; }                 // exec to the first 200 from /health
  const nlohmann::json& first_health() const { return first_health_; }

  // SIGTERM, then waits; the exit code, or -1 after `timeout_s` (then SIGKILLed).
  int stop(double timeout_s, double* took_s = nullptr);
  std::string output_tail(size_t bytes = 2000) const;

 private:
  LocalDaemon() = default;
  pid_t pid_ = -1;
  bool exited_ = false;
  Endpoint e_;
  std::string workspace_;
  std::string log_path_;
  double startup_s_ = 0;
  nlohmann::json first_health_;
};

}  // namespace signet::bench
