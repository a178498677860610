// Runs the real `signet daemon run` binary on a free loopback port with a
// temporary workspace, for integration tests, and talks to it over HTTP.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace signet::testing {

struct HttpResult {
  int status = 0;  // 0: no answer
  std::string error;  // why there was no answer
  std::string body;
  std::map<std::string, std::string> headers;
  nlohmann::json json() const;  // null if the body is not JSON
};

class DaemonProcess {
 public:
  struct Options {
    std::string workspace;                   // required; SIGNET_PATH
    std::map<std::string, std::string> env;  // extra environment (SIGNET_LOG_FILE, ...)
    std::string agent_yaml;                  // written to <workspace>/agent.yaml when not empty
    bool wait_healthy = true;
    uint64_t nofile_limit = 0;               // RLIMIT_NOFILE for the daemon (0: inherited)
    std::string stderr_path;                 // default: <workspace>/daemon.test.out
  };

  // Starts the daemon (SIGNET_PORT=0: it picks a free port and writes it to
  // .daemon/daemon.json) and waits until /health answers. nullptr if it exited.
  static std::unique_ptr<DaemonProcess> start(const Options& options, std::string* failure = nullptr);
  ~DaemonProcess();  // SIGKILLs if still running

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  const std::string& workspace() const { return workspace_; }

  HttpResult get(const std::string& path, const std::map<std::string, std::string>& headers = {}) const;
  HttpResult post(const std::string& path, const std::string& body,
                  const std::map<std::string, std::string>& headers = {}) const;
  HttpResult patch(const std::string& path, const std::string& body) const;
  HttpResult del(const std::string& path, const std::string& body = "") const;

  void signal(int sig) const;
  // Waits for exit; returns the exit code, or 128+signal, or -1 on timeout.
  int wait_exit(std::chrono::milliseconds timeout);
  bool running();

  static const char* binary();  // path of build/bin/signet

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string workspace_;
  bool exited_ = false;
};

// Runs `signet <args>` with SIGNET_PATH=workspace and the extra env; returns
// exit code and captured stdout+stderr.
struct CliResult {
  int exit_code = -1;
  std::string output;
};
CliResult run_cli(const std::string& workspace, const std::string& args,
                  const std::map<std::string, std::string>& env = {});
// Runs `signet-replay <args>` the same way.
CliResult run_replay(const std::string& args);
// Runs a shell command; stdout and stderr together.
CliResult run_command(const std::string& command);

// Waits until `pred` holds, polling; false on timeout. For conditions that
// need another process to act, not for timing.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace signet::testing
