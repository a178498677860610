#include "tests/support/daemon_process.h"

#include <httplib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

namespace signet::testing {

namespace fs = std::filesystem;

nlohmann::json HttpResult::json() const { return nlohmann::json::parse(body, nullptr, false); }

const char* DaemonProcess::binary() { return SIGNET_BIN; }

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

namespace {

HttpResult convert(const httplib::Result& r) {
  HttpResult out;
  if (!r) {
    out.error = httplib::to_string(r.error());
    return out;
  }
  out.status = r->status;
  out.body = r->body;
  for (const auto& [k, v] : r->headers) out.headers[k] = v;
  return out;
}

httplib::Headers to_headers(const std::map<std::string, std::string>& h) {
  httplib::Headers out;
  for (const auto& [k, v] : h) out.emplace(k, v);
  return out;
}

std::unique_ptr<httplib::Client> client(int port) {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
  c->set_connection_timeout(2, 0);
  c->set_read_timeout(30, 0);
  return c;
}

int read_port(const std::string& workspace) {
  std::ifstream in(workspace + "/.daemon/daemon.json");
  if (!in) return 0;
  auto j = nlohmann::json::parse(in, nullptr, false);
  return j.is_object() ? j.value("port", 0) : 0;
}

}  // namespace

std::unique_ptr<DaemonProcess> DaemonProcess::start(const Options& options, std::string* failure) {
  fs::create_directories(options.workspace);
  if (!options.agent_yaml.empty()) std::ofstream(options.workspace + "/agent.yaml") << options.agent_yaml;
  std::remove((options.workspace + "/.daemon/daemon.json").c_str());
  std::string out_log = options.stderr_path.empty() ? options.workspace + "/daemon.test.out" : options.stderr_path;
  pid_t pid = fork();
  if (pid < 0) return nullptr;
  if (pid == 0) {
    // Dies with the test process, even one killed before its destructors run.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (options.nofile_limit) {
      rlimit rl{options.nofile_limit, options.nofile_limit};
      setrlimit(RLIMIT_NOFILE, &rl);
    }
    setenv("SIGNET_PATH", options.workspace.c_str(), 1);
    setenv("SIGNET_PORT", "0", 1);
    setenv("SIGNET_HOST", "127.0.0.1", 1);
    unsetenv("SIGNET_BIND");
    unsetenv("SIGNET_LOG_FILE");
    unsetenv("SIGNET_LOG_DIR");
    for (const auto& [k, v] : options.env) setenv(k.c_str(), v.c_str(), 1);
    FILE* f = std::freopen(out_log.c_str(), "a", stderr);
    (void)f;
    execl(SIGNET_BIN, SIGNET_BIN, "daemon", "run", static_cast<char*>(nullptr));
    _exit(127);
  }
  std::unique_ptr<DaemonProcess> d(new DaemonProcess());
  d->pid_ = pid;
  d->workspace_ = options.workspace;
  if (!options.wait_healthy) return d;
  bool ok = eventually(
      [&] {
        if (!d->running()) return true;
        d->port_ = read_port(options.workspace);
        if (d->port_ == 0) return false;
        return d->get("/health").status == 200;
      },
      std::chrono::seconds(30));
  if (!ok || !d->running()) {
    if (failure) {
      std::ifstream in(out_log);
      *failure = std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }
    return nullptr;
  }
  return d;
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0 && !exited_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

HttpResult DaemonProcess::get(const std::string& path, const std::map<std::string, std::string>& headers) const {
  return convert(client(port_)->Get(path.c_str(), to_headers(headers)));
}

HttpResult DaemonProcess::post(const std::string& path, const std::string& body,
                               const std::map<std::string, std::string>& headers) const {
  return convert(client(port_)->Post(path.c_str(), to_headers(headers), body, "application/json"));
}

HttpResult DaemonProcess::patch(const std::string& path, const std::string& body) const {
  return convert(client(port_)->Patch(path.c_str(), body, "application/json"));
}

HttpResult DaemonProcess::del(const std::string& path, const std::string& body) const {
  if (body.empty()) return convert(client(port_)->Delete(path.c_str()));
  return convert(client(port_)->Delete(path.c_str(), body, "application/json"));
}

void DaemonProcess::signal(int sig) const { ::kill(pid_, sig); }

bool DaemonProcess::running() {
  if (exited_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exited_ = true;
    return false;
  }
  return true;
}

int DaemonProcess::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

CliResult run_command(const std::string& command) {
  std::string cmd = command;
  cmd += " 2>&1";
  CliResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

CliResult run_cli(const std::string& workspace, const std::string& args, const std::map<std::string, std::string>& env) {
  // Appends only: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
  std::string cmd = "env SIGNET_PATH='";
  cmd += workspace;
  cmd += "'";
  for (const auto& [k, v] : env) {
    cmd += ' ';
    cmd += k;
    cmd += "='";
    cmd += v;
    cmd += "'";
  }
  cmd += ' ';
  cmd += SIGNET_BIN;
  cmd += ' ';
  cmd += args;
  return run_command(cmd);
}

CliResult run_replay(const std::string& args) {
  std::string cmd = SIGNET_REPLAY_BIN;
  cmd += ' ';
  cmd += args;
  return run_command(cmd);
}

}  // namespace signet::testing
