// signet: the command line. `signet daemon run` runs the daemon in the
// foreground; start/stop/restart/status/logs manage one in the background.
// The environment is read here, once, and passed down.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "api/daemon.h"
#include "api/lifecycle.h"
#include "api/workspace_backup.h"
#include "engine/embedding/embedder.h"
#include "engine/engine.h"
#include "journal/clock.h"
#include "projections/rebuild.h"
#include "engine/config.h"
#include "journal/log.h"

namespace fs = std::filesystem;
using namespace signet;
namespace lc = signet::api::lifecycle;

namespace {

constexpr const char* kUsage = R"(usage: signet <command> [options]

Daemon:
  signet daemon run                 run the daemon in the foreground
  signet daemon start [--timeout S] start it in the background; returns when /health answers
  signet daemon stop [--timeout S]  stop it (SIGTERM, waits for a clean exit)
  signet daemon restart             stop, then start
  signet daemon status              exit 0 when running, 3 when not
  signet daemon logs [--lines N] [--follow]
  signet start | stop | restart | status    aliases of the above

Backups (the journal, hot and incremental, plus config and secret files):
  signet backup create [--dest DIR]
  signet backup list   [--dest DIR]
  signet backup verify [--dest DIR] [--backup ID]
  signet restore [--backup ID] [--from DIR] [--at ISO-TIME|SEQ] --to DIR
      restores into DIR (cut at --at), then rebuilds every projection there

Environment: SIGNET_PATH (default ~/.agents), SIGNET_PORT (3850), SIGNET_HOST
(127.0.0.1), SIGNET_BIND, SIGNET_LOG_FILE, SIGNET_LOG_DIR.
)";

struct Env {
  std::string workspace;
  std::string host = "127.0.0.1";
  std::string bind;
  int port = 3850;
  std::string log_file;
  std::string log_dir;
};

std::string getenv_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v && *v) ? std::string(v) : fallback;
}

Result<Env> read_env() {
  Env e;
  std::string home = getenv_or("HOME", "/root");
  e.workspace = getenv_or("SIGNET_PATH", getenv_or("SIGNET_WORKSPACE", home + "/.agents"));
  std::error_code ec;
  fs::path abs = fs::absolute(e.workspace, ec);
  if (!ec) e.workspace = abs.lexically_normal().string();
  while (e.workspace.size() > 1 && e.workspace.back() == '/') e.workspace.pop_back();
  e.host = getenv_or("SIGNET_HOST", "127.0.0.1");
  e.bind = getenv_or("SIGNET_BIND", "");
  std::string port = getenv_or("SIGNET_PORT", "3850");
  char* end = nullptr;
  long p = std::strtol(port.c_str(), &end, 10);
  if (*end != '\0' || p < 0 || p > 65535) return Status::InvalidArgument("SIGNET_PORT must be a port number, got \"" + port + "\"");
  e.port = static_cast<int>(p);
  e.log_file = getenv_or("SIGNET_LOG_FILE", "");
  e.log_dir = getenv_or("SIGNET_LOG_DIR", "");
  return e;
}

std::string client_host(const std::string& host) {
  return (host == "0.0.0.0" || host == "::" || host.empty()) ? "127.0.0.1" : host;
}

bool has_flag(const std::vector<std::string>& args, const std::string& flag) {
  for (const auto& a : args)
    if (a == flag) return true;
  return false;
}

long flag_value(const std::vector<std::string>& args, const std::string& flag, long fallback) {
  for (size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == flag) return std::strtol(args[i + 1].c_str(), nullptr, 10);
  for (const auto& a : args)
    if (a.rfind(flag + "=", 0) == 0) return std::strtol(a.c_str() + flag.size() + 1, nullptr, 10);
  return fallback;
}

// ---- run (foreground) ------------------------------------------------------

// Signals reach a handler that only writes their number to a pipe; one thread
// reads the pipe and acts. A handler, not blocked masks and sigwait: libraries
// start threads before main() (OpenBLAS does), and a thread that never
// blocked SIGTERM would otherwise take its default action and kill us.
int g_signal_pipe[2] = {-1, -1};

void on_signal(int sig) {
  int saved = errno;
  unsigned char b = static_cast<unsigned char>(sig);
  ssize_t n = ::write(g_signal_pipe[1], &b, 1);
  (void)n;
  errno = saved;
}

Status install_signal_pipe() {
  if (::pipe2(g_signal_pipe, O_CLOEXEC) != 0) return Status::IOError("cannot create the signal pipe");
  ::fcntl(g_signal_pipe[1], F_SETFL, O_NONBLOCK);
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGTERM, SIGINT, SIGHUP})
    if (::sigaction(sig, &sa, nullptr) != 0) return Status::IOError("cannot install signal handlers");
  ::signal(SIGPIPE, SIG_IGN);
  return Status::Ok();
}

// Blocks until a signal arrives (or the pipe is closed: -1).
int next_signal() {
  for (;;) {
    unsigned char b = 0;
    ssize_t n = ::read(g_signal_pipe[0], &b, 1);
    if (n == 1) return b;
    if (n < 0 && errno == EINTR) continue;
    return -1;
  }
}

int run_foreground(const Env& env) {
  if (Status st = install_signal_pipe(); !st.ok()) {
    std::fprintf(stderr, "signet: %s\n", st.message().c_str());
    return 1;
  }

  lc::Paths paths = lc::Paths::of(env.workspace, env.log_file, env.log_dir);
  auto config = engine::load_config(env.workspace);
  if (!config.ok()) {
    std::fprintf(stderr, "signet: %s\n", config.status().message().c_str());
    return 2;
  }
  log::Options lo;
  lo.file = paths.log_file;
  lo.dir = paths.log_file.empty() ? paths.log_dir : "";
  lo.level = config->log.level;
  lo.ring_entries = config->log.ring_entries;
  std::string log_path = log::configure(lo);
  auto logger = log::get("daemon");

  // Probe before locking: closing any descriptor of the lock file would drop
  // this process's fcntl lock on it.
  auto before = lc::probe(paths);
  auto lock = lc::WorkspaceLock::acquire(paths);
  if (!lock.ok()) {
    std::fprintf(stderr, "signet: %s\n", lock.status().message().c_str());
    logger->error("{}", lock.status().message());
    return 1;
  }
  if (before.stale_pid_file) logger->warn("replacing stale pid file (pid {} is gone)", before.pid);
  logger->info("starting signet {} (pid {}) on workspace {}; config {}", SIGNET_VERSION, getpid(), env.workspace,
               config->source_path.empty() ? "built-in defaults" : config->source_path);

  api::DaemonOptions opts;
  opts.workspace = env.workspace;
  opts.host = env.host;
  opts.bind = env.bind;
  opts.port = env.port;
  opts.config = *config;
  opts.log_file = log_path;
  auto daemon = api::Daemon::open(opts);
  if (!daemon.ok()) {
    logger->error("cannot start: {}", daemon.status().message());
    std::fprintf(stderr, "signet: cannot start: %s\n", daemon.status().message().c_str());
    log::flush();
    return 1;
  }
  lc::DaemonState state{getpid(), client_host(env.bind.empty() ? env.host : env.bind), (*daemon)->port(),
                        SIGNET_VERSION, log_path};
  if (Status st = lc::write_state(paths, state); !st.ok()) logger->warn("{}", st.message());

  api::Daemon* d = daemon->get();
  std::thread signal_thread([&, d] {
    for (;;) {
      int sig = next_signal();
      if (sig < 0) return;
      if (sig == 0) return;  // serve() ended on its own
      if (sig == SIGHUP) {
        auto next = engine::load_config(env.workspace);
        if (!next.ok()) {
          logger->error("SIGHUP: keeping the current configuration: {}", next.status().message());
          continue;
        }
        d->reload(*next);
        continue;
      }
      logger->info("received {}; shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      d->stop();
      return;
    }
  });

  Status served = d->serve();
  daemon->reset();
  lc::remove_state(paths);
  if (signal_thread.joinable()) {
    // serve() can also end without a signal (the server failed): wake the thread.
    unsigned char zero = 0;
    ssize_t n = ::write(g_signal_pipe[1], &zero, 1);
    (void)n;
    signal_thread.join();
  }
  logger->info("stopped");
  log::flush();
  if (!served.ok()) {
    std::fprintf(stderr, "signet: %s\n", served.message().c_str());
    return 1;
  }
  return 0;
}

// ---- background management -------------------------------------------------

std::string daemon_url(const Env& env, const lc::Probe& p) {
  std::string host = !p.host.empty() ? p.host : client_host(env.bind.empty() ? env.host : env.bind);
  int port = p.port ? p.port : env.port;
  return "http://" + host + ":" + std::to_string(port);
}

std::string log_location(const lc::Paths& paths) {
  if (!paths.log_file.empty()) return paths.log_file;
  log::Options lo;
  lo.dir = paths.log_dir;
  return log::current_file(lo);
}

int cmd_start(const Env& env, const std::vector<std::string>& args) {
  lc::Paths paths = lc::Paths::of(env.workspace, env.log_file, env.log_dir);
  lc::Probe p = lc::probe(paths);
  if (p.running) {
    std::printf("signet daemon is already running (pid %d) at %s\n", p.pid, daemon_url(env, p).c_str());
    return 0;
  }
  if (p.stale_pid_file) {
    std::printf("removing stale pid file (pid %d is gone)\n", p.pid);
    lc::remove_state(paths);
  }
  std::error_code ec;
  fs::create_directories(fs::path(paths.out_log).parent_path(), ec);
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) {
    std::fprintf(stderr, "signet: cannot find my own executable\n");
    return 1;
  }
  self[n] = '\0';
  pid_t child = ::fork();
  if (child < 0) {
    std::perror("signet: fork");
    return 1;
  }
  if (child == 0) {
    ::setsid();
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(paths.out_log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int err = ::open(paths.err_log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in >= 0) ::dup2(in, 0);
    if (out >= 0) ::dup2(out, 1);
    if (err >= 0) ::dup2(err, 2);
    ::execl(self, self, "daemon", "run", static_cast<char*>(nullptr));
    _exit(127);
  }
  long timeout_s = flag_value(args, "--timeout", 30);
  auto alive = [child] {
    int status = 0;
    return ::waitpid(child, &status, WNOHANG) == 0;
  };
  std::string host = client_host(env.bind.empty() ? env.host : env.bind);
  int port = env.port;
  Status st = lc::wait_healthy(paths, host, env.port, std::chrono::seconds(timeout_s), alive, &port);
  std::string logs = log_location(paths);
  if (st.ok()) {
    std::printf("signet daemon started (pid %d) at http://%s:%d\nlogs: %s\n", child, host.c_str(), port,
                logs.c_str());
    return 0;
  }
  if (st.code() == Code::kTimedOut) {
    // Still starting (e.g. rebuilding a projection): not a failure.
    std::printf("signet daemon (pid %d) is still starting after %ld s; it will answer at http://%s:%d\n"
                "follow it with: signet daemon logs --follow   (logs: %s)\n",
                child, timeout_s, host.c_str(), port, logs.c_str());
    return 0;
  }
  std::fprintf(stderr, "signet: the daemon did not start: %s\n", st.message().c_str());
  std::string err = lc::tail(paths.err_log, 15);
  if (!err.empty()) std::fprintf(stderr, "--- %s ---\n%s\n", paths.err_log.c_str(), err.c_str());
  std::fprintf(stderr, "logs: %s\n", logs.c_str());
  return 1;
}

int cmd_stop(const Env& env, const std::vector<std::string>& args) {
  lc::Paths paths = lc::Paths::of(env.workspace, env.log_file, env.log_dir);
  lc::Probe p = lc::probe(paths);
  if (!p.running) {
    if (p.stale_pid_file) {
      std::printf("removing stale pid file (pid %d is gone)\n", p.pid);
      lc::remove_state(paths);
    }
    std::printf("signet daemon is not running\n");
    return 0;
  }
  if (::kill(p.pid, SIGTERM) != 0) {
    std::fprintf(stderr, "signet: cannot signal pid %d: %s\n", p.pid, std::strerror(errno));
    return 1;
  }
  long timeout_s = flag_value(args, "--timeout", 15);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!lc::probe(paths).running) {
      std::printf("signet daemon stopped (pid %d)\n", p.pid);
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::fprintf(stderr, "signet: pid %d did not stop within %ld s; see the logs, or kill -9 %d\n", p.pid, timeout_s,
               p.pid);
  return 1;
}

int cmd_status(const Env& env) {
  lc::Paths paths = lc::Paths::of(env.workspace, env.log_file, env.log_dir);
  lc::Probe p = lc::probe(paths);
  if (!p.running) {
    if (p.stale_pid_file) std::printf("signet daemon is not running (stale pid file: pid %d is gone)\n", p.pid);
    else std::printf("signet daemon is not running\n");
    return 3;
  }
  std::string url = daemon_url(env, p);
  std::printf("signet daemon is running (pid %d) at %s\nworkspace: %s\n", p.pid, url.c_str(), env.workspace.c_str());
  httplib::Client client(url);
  client.set_connection_timeout(1, 0);
  client.set_read_timeout(3, 0);
  if (auto res = client.Get("/health"); res && res->status == 200) {
    auto j = nlohmann::json::parse(res->body, nullptr, false);
    if (j.is_object()) {
      std::printf("health: %s, uptime %.0f s, version %s\n", j.value("status", "?").c_str(), j.value("uptime", 0.0),
                  j.value("version", "?").c_str());
      if (j.contains("resources")) {
        const auto& r = j["resources"];
        std::printf("journal last_seq: %llu; rss %.1f MiB; open fds %llu; threads %llu\n",
                    static_cast<unsigned long long>(r["journal"].value("last_seq", 0ull)),
                    static_cast<double>(r.value("rssBytes", 0ull)) / (1 << 20),
                    static_cast<unsigned long long>(r.value("openFds", 0ull)),
                    static_cast<unsigned long long>(r.value("threads", 0ull)));
      }
    }
  } else {
    std::printf("health: no answer from %s/health (starting, or stuck)\n", url.c_str());
  }
  std::printf("logs: %s\n", log_location(paths).c_str());
  return 0;
}

// The newest log file: today's daily file, or the latest daemon-*.log.
std::string newest_log(const lc::Paths& paths) {
  if (!paths.log_file.empty()) return paths.log_file;
  std::string today = log_location(paths);
  std::error_code ec;
  if (fs::exists(today, ec)) return today;
  std::string best;
  for (const auto& e : fs::directory_iterator(paths.log_dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("daemon-", 0) == 0 && name.size() > 4 && name.substr(name.size() - 4) == ".log" &&
        e.path().string() > best)
      best = e.path().string();
  }
  return best;
}

int cmd_logs(const Env& env, const std::vector<std::string>& args) {
  lc::Paths paths = lc::Paths::of(env.workspace, env.log_file, env.log_dir);
  long lines = flag_value(args, "--lines", flag_value(args, "-n", 50));
  std::string file = newest_log(paths);
  if (file.empty()) {
    std::fprintf(stderr, "signet: no log file yet in %s\n", paths.log_dir.c_str());
    return 1;
  }
  std::fputs(lc::tail(file, static_cast<size_t>(std::max(1L, lines))).c_str(), stdout);
  std::fflush(stdout);
  if (!has_flag(args, "--follow") && !has_flag(args, "-f")) return 0;
  std::ifstream in(file, std::ios::binary);
  in.seekg(0, std::ios::end);
  for (;;) {
    std::string chunk;
    char buf[4096];
    while (in.read(buf, sizeof(buf)) || in.gcount() > 0) chunk.append(buf, static_cast<size_t>(in.gcount()));
    in.clear();
    if (!chunk.empty()) {
      std::fputs(chunk.c_str(), stdout);
      std::fflush(stdout);
    }
    std::string next = newest_log(paths);  // a new daily file after midnight
    if (next != file && !next.empty()) {
      file = next;
      in = std::ifstream(file, std::ios::binary);
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// ---- backup and restore -----------------------------------------------------

std::string flag_string(const std::vector<std::string>& args, const std::string& flag, const std::string& fallback) {
  for (size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == flag) return args[i + 1];
  for (const auto& a : args)
    if (a.rfind(flag + "=", 0) == 0) return a.substr(flag.size() + 1);
  return fallback;
}

std::string backup_dest(const Env& env, const std::vector<std::string>& args) {
  std::string dest = flag_string(args, "--dest", "");
  if (!dest.empty()) return dest;
  auto config = engine::load_config(env.workspace);
  if (config.ok() && !config->backup.dest.empty()) return config->backup.dest;
  return api::default_backup_dir(env.workspace);
}

void print_backup(const api::WorkspaceBackup& b) {
  std::printf("%4u  %s  journal up to seq %-8llu %8.1f MiB  %u files\n", b.id, format_iso8601_ms(b.created_us).c_str(),
              static_cast<unsigned long long>(b.last_seq), static_cast<double>(b.size_bytes) / (1 << 20), b.files);
}

int cmd_backup_create(const Env& env, const std::vector<std::string>& args) {
  std::string dest = backup_dest(env, args);
  lc::Paths paths = lc::Paths::of(env.workspace, env.log_file, env.log_dir);
  lc::Probe p = lc::probe(paths);
  if (p.running) {
    // The daemon holds the journal: it takes the backup, hot.
    httplib::Client client(daemon_url(env, p));
    client.set_read_timeout(600, 0);
    auto res = client.Post("/api/backup", nlohmann::json{{"dest", dest}}.dump(), "application/json");
    if (!res) {
      std::fprintf(stderr, "signet: cannot reach the daemon (pid %d) at %s\n", p.pid, daemon_url(env, p).c_str());
      return 1;
    }
    auto j = nlohmann::json::parse(res->body, nullptr, false);
    if (res->status != 200 || !j.is_object()) {
      std::fprintf(stderr, "signet: backup failed: %s\n", j.is_object() ? j.value("error", res->body).c_str() : res->body.c_str());
      return 1;
    }
    std::printf("backup %u taken by the daemon (pid %d): journal up to seq %llu, %u files, in %s\n",
                j.value("id", 0u), p.pid, static_cast<unsigned long long>(j.value("lastSeq", 0ull)),
                j.value("files", 0u), dest.c_str());
    return 0;
  }
  auto lock = lc::WorkspaceLock::acquire(paths);  // keeps a daemon from starting meanwhile
  if (!lock.ok()) {
    std::fprintf(stderr, "signet: %s\n", lock.status().message().c_str());
    return 1;
  }
  journal::JournalOptions o;
  o.path = (fs::path(env.workspace) / "memory" / "journal").string();
  o.model = &engine::Engine::stream_model();
  if (!fs::is_directory(o.path)) {
    std::fprintf(stderr, "signet: no journal at %s\n", o.path.c_str());
    return 1;
  }
  auto j = journal::Journal::open(o);
  if (!j.ok()) {
    std::fprintf(stderr, "signet: %s\n", j.status().message().c_str());
    return 1;
  }
  auto b = api::create_backup(**j, env.workspace, dest);
  if (!b.ok()) {
    std::fprintf(stderr, "signet: backup failed: %s\n", b.status().message().c_str());
    return 1;
  }
  std::printf("backup %u taken: journal up to seq %llu, %u files, in %s\n", b->id,
              static_cast<unsigned long long>(b->last_seq), b->files, dest.c_str());
  return 0;
}

int cmd_backup_list(const Env& env, const std::vector<std::string>& args) {
  std::string dest = backup_dest(env, args);
  auto all = api::list_workspace_backups(dest);
  if (!all.ok()) {
    std::fprintf(stderr, "signet: %s\n", all.status().message().c_str());
    return all.status().code() == Code::kNotFound ? 0 : 1;
  }
  std::printf("backups in %s:\n  id  taken at                  journal                       size      files\n",
              dest.c_str());
  for (const auto& b : *all) print_backup(b);
  return 0;
}

int cmd_backup_verify(const Env& env, const std::vector<std::string>& args) {
  std::string dest = backup_dest(env, args);
  auto all = api::list_workspace_backups(dest);
  if (!all.ok()) {
    std::fprintf(stderr, "signet: %s\n", all.status().message().c_str());
    return 1;
  }
  long only = flag_value(args, "--backup", 0);
  int bad = 0, checked = 0;
  for (const auto& b : *all) {
    if (only && static_cast<long>(b.id) != only) continue;
    ++checked;
    Status st = api::verify_workspace_backup(dest, b.id);
    if (st.ok()) std::printf("backup %u: OK (journal up to seq %llu)\n", b.id, static_cast<unsigned long long>(b.last_seq));
    else {
      std::printf("backup %u: DAMAGED: %s\n", b.id, st.message().c_str());
      ++bad;
    }
  }
  if (only && checked == 0) {
    std::fprintf(stderr, "signet: backup %ld not found in %s\n", only, dest.c_str());
    return 1;
  }
  return bad ? 1 : 0;
}

int cmd_restore(const Env& env, const std::vector<std::string>& args) {
  std::string to = flag_string(args, "--to", "");
  if (to.empty()) {
    std::fprintf(stderr, "signet: restore needs --to DIR (the workspace to write)\n");
    return 2;
  }
  std::error_code ec;
  fs::path target = fs::absolute(to, ec).lexically_normal();
  std::string target_ws = target.string();
  while (target_ws.size() > 1 && target_ws.back() == '/') target_ws.pop_back();
  lc::Paths target_paths = lc::Paths::of(target_ws, "", "");
  lc::Probe p = lc::probe(target_paths);
  if (p.running) {
    std::fprintf(stderr, "signet: a daemon (pid %d) is serving %s: stop it first (SIGNET_PATH=%s signet daemon stop)\n",
                 p.pid, target_ws.c_str(), target_ws.c_str());
    return 1;
  }
  auto lock = lc::WorkspaceLock::acquire(target_paths);
  if (!lock.ok()) {
    std::fprintf(stderr, "signet: %s\n", lock.status().message().c_str());
    return 1;
  }
  api::RestoreRequest r;
  r.dest = flag_string(args, "--from", backup_dest(env, args));
  r.id = static_cast<uint32_t>(flag_value(args, "--backup", 0));
  r.target = target_ws;
  std::string at = flag_string(args, "--at", "");
  if (!at.empty()) {
    bool digits = at.find_first_not_of("0123456789") == std::string::npos;
    if (digits) {
      r.to_seq = std::strtoull(at.c_str(), nullptr, 10);
    } else {
      auto t = parse_iso8601_end(at);
      if (!t.ok()) {
        std::fprintf(stderr, "signet: --at: %s\n", t.status().message().c_str());
        return 2;
      }
      r.until_us = *t;
    }
  }
  auto restored = api::restore_workspace(r);
  if (!restored.ok()) {
    std::fprintf(stderr, "signet: restore failed: %s\n", restored.status().message().c_str());
    return 1;
  }
  std::printf("restored backup %u into %s: journal of %llu events (up to seq %llu)\n", restored->backup_id,
              target_ws.c_str(), static_cast<unsigned long long>(restored->events),
              static_cast<unsigned long long>(restored->last_seq));
  if (!restored->moved_aside.empty()) std::printf("the journal that was there is kept at %s\n", restored->moved_aside.c_str());

  // Projections are never restored: rebuilt from the restored journal.
  journal::JournalOptions o;
  o.path = (target / "memory" / "journal").string();
  o.model = &engine::Engine::stream_model();
  o.read_only = true;
  auto j = journal::Journal::open(o);
  if (!j.ok()) {
    std::fprintf(stderr, "signet: %s\n", j.status().message().c_str());
    return 1;
  }
  auto config = engine::load_config(target_ws);
  engine::EmbeddingConfig emb = engine::with_defaults(config.ok() ? config->embedding : engine::EmbeddingConfig{});
  projections::VectorOptions fallback;
  fallback.model = emb.model;
  fallback.dims = emb.dimensions;
  auto vo = projections::vector_options_at(**j, 0, fallback);
  projections::RebuildOptions ro;
  ro.workspace = target_ws;
  ro.vectors = vo.ok() ? *vo : fallback;
  auto rebuilt = projections::rebuild_projections(**j, ro);
  if (!rebuilt.ok()) {
    std::fprintf(stderr, "signet: rebuilding projections failed: %s\n", rebuilt.status().message().c_str());
    return 1;
  }
  std::printf("projections rebuilt from %llu events in %.2f s (%.0f events/s)\nstart it with: SIGNET_PATH=%s signet daemon start\n",
              static_cast<unsigned long long>(rebuilt->events), rebuilt->seconds, rebuilt->events_per_s(),
              target_ws.c_str());
  return 0;
}

int daemon_command(const Env& env, const std::string& cmd, const std::vector<std::string>& args) {
  if (cmd == "run") return run_foreground(env);
  if (cmd == "start") return cmd_start(env, args);
  if (cmd == "stop") return cmd_stop(env, args);
  if (cmd == "restart") {
    int rc = cmd_stop(env, args);
    if (rc != 0) return rc;
    return cmd_start(env, args);
  }
  if (cmd == "status") return cmd_status(env);
  if (cmd == "logs") return cmd_logs(env, args);
  std::fprintf(stderr, "signet: unknown daemon command '%s'\n\n%s", cmd.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version" || args[0] == "version") {
    std::printf("signet %s\n", SIGNET_VERSION);
    return 0;
  }
  auto env = read_env();
  if (!env.ok()) {
    std::fprintf(stderr, "signet: %s\n", env.status().message().c_str());
    return 2;
  }
  const std::string& cmd = args[0];
  if (cmd == "daemon") {
    if (args.size() < 2) {
      std::fprintf(stderr, "%s", kUsage);
      return 2;
    }
    return daemon_command(*env, args[1], std::vector<std::string>(args.begin() + 2, args.end()));
  }
  if (cmd == "start" || cmd == "stop" || cmd == "restart" || cmd == "status")
    return daemon_command(*env, cmd, std::vector<std::string>(args.begin() + 1, args.end()));
  if (cmd == "backup") {
    std::string sub = args.size() > 1 ? args[1] : "";
    std::vector<std::string> rest(args.begin() + std::min<size_t>(2, args.size()), args.end());
    if (sub == "create") return cmd_backup_create(*env, rest);
    if (sub == "list") return cmd_backup_list(*env, rest);
    if (sub == "verify") return cmd_backup_verify(*env, rest);
    std::fprintf(stderr, "signet: backup needs create, list or verify\n\n%s", kUsage);
    return 2;
  }
  if (cmd == "restore") return cmd_restore(*env, std::vector<std::string>(args.begin() + 1, args.end()));
  std::fprintf(stderr, "signet: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
  return 2;
}
