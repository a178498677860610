// The daemon's process lifecycle on disk, after the seed documents: an
// exclusive lock on the workspace (so a second daemon exits naming the first),
// an atomic pid file, a state file with the address it serves, and polling
// /health until it answers.
//
// Files under <workspace>/.daemon/:
//   lock         fcntl write lock held by the running daemon; probing uses
//                F_GETLK, which never takes it (a `status` cannot make a
//                starting daemon fail).
//   pid          the daemon's pid, written to pid.tmp then renamed.
//   daemon.json  {"pid", "host", "port", "version", "logFile"} (same way).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "journal/status.h"

namespace signet::api::lifecycle {

struct Paths {
  std::string workspace;
  std::string daemon_dir;  // <workspace>/.daemon
  std::string lock_file;
  std::string pid_file;
  std::string state_file;
  std::string log_dir;     // SIGNET_LOG_DIR, else <workspace>/.daemon/logs
  std::string log_file;    // SIGNET_LOG_FILE (exact), else ""
  std::string out_log;     // stdout of a daemon started in the background
  std::string err_log;     // its stderr

  // Precedence of the seed: SIGNET_LOG_FILE, else SIGNET_LOG_DIR, else the default.
  static Paths of(const std::string& workspace, const std::string& log_file_env, const std::string& log_dir_env);
};

class WorkspaceLock {
 public:
  // kConflict naming the holder's pid when another process holds it.
  static Result<std::unique_ptr<WorkspaceLock>> acquire(const Paths& paths);
  ~WorkspaceLock();

 private:
  explicit WorkspaceLock(int fd) : fd_(fd) {}
  int fd_;
};

struct Probe {
  bool running = false;
  int pid = 0;                  // the lock holder, or the pid file's pid
  bool stale_pid_file = false;  // a pid file whose daemon is gone
  std::string host;
  int port = 0;
};
// Never call from the process holding the lock: it opens and closes the lock
// file, and closing any descriptor of it drops that process's fcntl locks.
Probe probe(const Paths& paths);

struct DaemonState {
  int pid = 0;
  std::string host;
  int port = 0;
  std::string version;
  std::string log_file;
};
Status write_state(const Paths& paths, const DaemonState& state);  // pid file and daemon.json
void remove_state(const Paths& paths);

bool process_alive(int pid);

// Polls GET http://host:port/health with backoff (10 ms doubling to 500 ms)
// until it answers 200 for this workspace, `alive()` returns false, or the
// timeout passes: kOk, kUnavailable (process died), kTimedOut.
// port 0: the port the daemon wrote to daemon.json (it was told to pick one).
Status wait_healthy(const Paths& paths, const std::string& host, int port, std::chrono::milliseconds timeout,
                    const std::function<bool()>& alive, int* served_port = nullptr);

// The last `lines` lines of a file ("" if unreadable).
std::string tail(const std::string& path, size_t lines);

}  // namespace signet::api::lifecycle
