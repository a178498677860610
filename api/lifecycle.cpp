#include "api/lifecycle.h"

#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace signet::api::lifecycle {

namespace fs = std::filesystem;

namespace {

Status write_atomically(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot write " + tmp + ": " + std::strerror(errno));
  ssize_t n = ::write(fd, content.data(), content.size());
  bool ok = n == static_cast<ssize_t>(content.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

std::optional<int> read_pid(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  if (!(in >> pid) || pid <= 0 || pid > 1 << 22) return std::nullopt;
  return static_cast<int>(pid);
}

}  // namespace

Paths Paths::of(const std::string& workspace, const std::string& log_file_env, const std::string& log_dir_env) {
  Paths p;
  p.workspace = workspace;
  p.daemon_dir = (fs::path(workspace) / ".daemon").string();
  p.lock_file = (fs::path(p.daemon_dir) / "lock").string();
  p.pid_file = (fs::path(p.daemon_dir) / "pid").string();
  p.state_file = (fs::path(p.daemon_dir) / "daemon.json").string();
  p.log_file = log_file_env;
  p.log_dir = !log_dir_env.empty() ? log_dir_env : (fs::path(p.daemon_dir) / "logs").string();
  std::string out_dir = !log_file_env.empty() ? fs::path(log_file_env).parent_path().string() : p.log_dir;
  if (out_dir.empty()) out_dir = ".";
  p.out_log = (fs::path(out_dir) / "daemon.out.log").string();
  p.err_log = (fs::path(out_dir) / "daemon.err.log").string();
  return p;
}

Result<std::unique_ptr<WorkspaceLock>> WorkspaceLock::acquire(const Paths& paths) {
  std::error_code ec;
  fs::create_directories(paths.daemon_dir, ec);
  int fd = ::open(paths.lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot open " + paths.lock_file + ": " + std::strerror(errno));
  struct flock fl{};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  if (::fcntl(fd, F_SETLK, &fl) != 0) {
    int err = errno;
    struct flock who{};
    who.l_type = F_WRLCK;
    who.l_whence = SEEK_SET;
    int holder = (::fcntl(fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK) ? who.l_pid : 0;
    ::close(fd);
    if (err == EACCES || err == EAGAIN) {
      return Status::Conflict("another signet daemon" + (holder ? " (pid " + std::to_string(holder) + ")" : std::string()) +
                              " is already running on workspace " + paths.workspace);
    }
    return Status::IOError("cannot lock " + paths.lock_file + ": " + std::strerror(err));
  }
  return std::unique_ptr<WorkspaceLock>(new WorkspaceLock(fd));
}

WorkspaceLock::~WorkspaceLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

Probe probe(const Paths& paths) {
  Probe p;
  int fd = ::open(paths.lock_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    struct flock who{};
    who.l_type = F_WRLCK;
    who.l_whence = SEEK_SET;
    if (::fcntl(fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK) {
      p.running = true;
      p.pid = who.l_pid;
    }
    ::close(fd);
  }
  auto pid = read_pid(paths.pid_file);
  if (!p.running && pid) {
    p.pid = *pid;
    p.stale_pid_file = true;
  }
  std::ifstream in(paths.state_file);
  if (in) {
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_object()) {
      p.host = j.value("host", "");
      p.port = j.value("port", 0);
    }
  }
  return p;
}

Status write_state(const Paths& paths, const DaemonState& s) {
  nlohmann::json j = {{"pid", s.pid}, {"host", s.host}, {"port", s.port}, {"version", s.version},
                      {"logFile", s.log_file}};
  SIGNET_TRY(write_atomically(paths.state_file, j.dump(2) + "\n"));
  return write_atomically(paths.pid_file, std::to_string(s.pid) + "\n");
}

void remove_state(const Paths& paths) {
  ::unlink(paths.pid_file.c_str());
  ::unlink(paths.state_file.c_str());
}

bool process_alive(int pid) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) == 0) return true;
  return errno == EPERM;
}

Status wait_healthy(const Paths& paths, const std::string& host, int fixed_port, std::chrono::milliseconds timeout,
                    const std::function<bool()>& alive, int* served_port) {
  const std::string& workspace = paths.workspace;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto delay = std::chrono::milliseconds(10);
  for (;;) {
    int port = fixed_port ? fixed_port : probe(paths).port;
    if (served_port) *served_port = port;
    if (port == 0) {
      if (!alive()) return Status::Unavailable("the daemon exited during start-up");
      if (std::chrono::steady_clock::now() >= deadline) return Status::TimedOut("no answer from /health yet");
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 2, std::chrono::milliseconds(500));
      continue;
    }
    httplib::Client client(host, port);
    client.set_connection_timeout(0, 300000);
    client.set_read_timeout(2, 0);
    if (auto res = client.Get("/health"); res && res->status == 200) {
      auto j = nlohmann::json::parse(res->body, nullptr, false);
      // Another daemon on this port serving another workspace is not ours.
      if (j.is_object() && j.value("agentsDir", "") == workspace) return Status::Ok();
      if (j.is_object() && !alive())
        return Status::Unavailable("port " + std::to_string(port) + " is served by a daemon of another workspace (" +
                                   j.value("agentsDir", "?") + ")");
    }
    if (!alive()) return Status::Unavailable("the daemon exited during start-up");
    if (std::chrono::steady_clock::now() >= deadline) return Status::TimedOut("no answer from /health yet");
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(500));
  }
}

std::string tail(const std::string& path, size_t lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  std::streamoff start = std::max<std::streamoff>(0, size - static_cast<std::streamoff>(lines * 400 + 4096));
  in.seekg(start);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t count = 0;
  size_t pos = data.size();
  if (pos > 0 && data[pos - 1] == '\n') --pos;
  while (pos > 0) {
    if (data[pos - 1] == '\n' && ++count == lines) break;
    --pos;
  }
  return data.substr(pos);
}

}  // namespace signet::api::lifecycle
