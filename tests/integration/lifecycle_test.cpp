// The daemon's lifecycle through the CLI, as the seed documents describe it:
// start returns once /health answers and says where the logs are; status
// exits 0 when running and 3 when not; a second daemon on the same workspace
// is refused naming the running pid; stop is clean; a SIGKILLed daemon leaves
// a stale pid file that the next start replaces; SIGTERM exits 0 and removes
// the pid file; SIGHUP reloads agent.yaml and keeps the old config when the
// new one is bad; a bad agent.yaml at start is refused naming file:line:column;
// log file location follows SIGNET_LOG_FILE / SIGNET_LOG_DIR.
#include <catch2/catch.hpp>

#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/daemon_process.h"
#include "tests/support/temp_dir.h"

using namespace signet::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

int state_pid(const std::string& ws) {
  std::ifstream in(ws + "/.daemon/pid");
  int pid = 0;
  in >> pid;
  return pid;
}

int state_port(const std::string& ws) {
  std::ifstream in(ws + "/.daemon/daemon.json");
  auto j = json::parse(in, nullptr, false);
  return j.is_object() ? j.value("port", 0) : 0;
}

}  // namespace

TEST_CASE("start, status, a refused second daemon, stop", "[integration][lifecycle]") {
  TempDir dir;
  std::string ws = dir.sub("ws");
  std::map<std::string, std::string> env = {{"SIGNET_PORT", "0"}};
  CHECK(run_cli(ws, "daemon status", env).exit_code == 3);

  auto started = run_cli(ws, "daemon start", env);
  INFO(started.output);
  REQUIRE(started.exit_code == 0);
  CHECK_THAT(started.output, Catch::Contains("started") && Catch::Contains("logs:"));
  int pid = state_pid(ws);
  REQUIRE(pid > 0);

  auto status = run_cli(ws, "status", env);
  CHECK(status.exit_code == 0);
  CHECK_THAT(status.output, Catch::Contains("running (pid " + std::to_string(pid) + ")"));

  auto again = run_cli(ws, "daemon start", env);
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.output, Catch::Contains("already running"));

  auto second = run_cli(ws, "daemon run", env);
  CHECK(second.exit_code != 0);
  CHECK_THAT(second.output, Catch::Contains("pid " + std::to_string(pid)) && Catch::Contains("already running"));

  auto logs = run_cli(ws, "daemon logs --lines 3", env);
  CHECK(logs.exit_code == 0);
  CHECK_THAT(logs.output, Catch::Contains("[INFO]"));

  auto stopped = run_cli(ws, "stop", env);
  CHECK(stopped.exit_code == 0);
  CHECK_THAT(stopped.output, Catch::Contains("stopped"));
  CHECK_FALSE(fs::exists(ws + "/.daemon/pid"));
  CHECK(run_cli(ws, "daemon status", env).exit_code == 3);
  CHECK(run_cli(ws, "daemon stop", env).exit_code == 0);  // stopping a stopped daemon is fine
}

TEST_CASE("a SIGKILLed daemon's stale pid file is replaced by the next start", "[integration][lifecycle]") {
  TempDir dir;
  std::string ws = dir.sub("ws");
  std::map<std::string, std::string> env = {{"SIGNET_PORT", "0"}};
  REQUIRE(run_cli(ws, "daemon start", env).exit_code == 0);
  int pid = state_pid(ws);
  int port = state_port(ws);
  // Write something, then kill without warning.
  {
    httplib::Client c("127.0.0.1", port);
    auto r = c.Post("/api/memory/remember", R"({"content":"written before the kill"})", "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }
  REQUIRE(::kill(pid, SIGKILL) == 0);
  REQUIRE(eventually([&] { return ::kill(pid, 0) != 0; }));

  auto status = run_cli(ws, "daemon status", env);
  CHECK(status.exit_code == 3);
  CHECK_THAT(status.output, Catch::Contains("stale pid file"));

  auto restarted = run_cli(ws, "daemon start", env);
  INFO(restarted.output);
  REQUIRE(restarted.exit_code == 0);
  CHECK_THAT(restarted.output, Catch::Contains("stale pid file"));
  int pid2 = state_pid(ws);
  CHECK(pid2 != pid);
  CHECK(run_cli(ws, "daemon status", env).exit_code == 0);
  // The acknowledged write survived.
  httplib::Client c("127.0.0.1", state_port(ws));
  auto list = c.Get("/api/memories");
  REQUIRE(list);
  auto j = json::parse(list->body, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["stats"]["total"] == 1);
  CHECK(run_cli(ws, "daemon stop", env).exit_code == 0);
}

TEST_CASE("SIGTERM stops the daemon cleanly with exit code 0", "[integration][lifecycle]") {
  TempDir dir;
  DaemonProcess::Options o;
  o.workspace = dir.sub("ws");
  auto d = DaemonProcess::start(o);
  REQUIRE(d);
  REQUIRE(fs::exists(o.workspace + "/.daemon/pid"));
  d->signal(SIGTERM);
  CHECK(d->wait_exit(std::chrono::seconds(10)) == 0);
  CHECK_FALSE(fs::exists(o.workspace + "/.daemon/pid"));
}

TEST_CASE("SIGHUP reloads agent.yaml, and a bad file keeps the old config", "[integration][lifecycle][config]") {
  TempDir dir;
  DaemonProcess::Options o;
  o.workspace = dir.sub("ws");
  o.agent_yaml = "agent:\n  name: test\n";
  auto d = DaemonProcess::start(o);
  REQUIRE(d);
  CHECK(d->post("/api/memory/remember", R"({"content":"before the freeze"})").status == 200);

  std::ofstream(o.workspace + "/agent.yaml") << "memory:\n  pipelineV2:\n    mutationsFrozen: true\n";
  d->signal(SIGHUP);
  REQUIRE(eventually([&] { return d->get("/api/status").json()["pipelineV2"]["mutationsFrozen"] == true; }));
  auto frozen = d->post("/api/memory/remember", R"({"content":"during the freeze"})");
  CHECK(frozen.status == 503);
  CHECK_THAT(frozen.json()["error"].get<std::string>(), Catch::Contains("frozen"));
  CHECK(d->get("/api/memories").status == 200);  // reads keep working

  std::ofstream(o.workspace + "/agent.yaml") << "memory:\n  pipelineV2: [unclosed\n";
  d->signal(SIGHUP);
  REQUIRE(eventually([&] {
    json errors = d->get("/api/logs?level=error").json();  // a named value: the loop borrows from it
    for (const auto& e : errors["logs"])
      if (e["message"].get<std::string>().find("agent.yaml:") != std::string::npos) return true;
    return false;
  }));
  CHECK(d->get("/api/status").json()["pipelineV2"]["mutationsFrozen"] == true);  // the old config stands

  std::ofstream(o.workspace + "/agent.yaml") << "memory:\n  pipelineV2:\n    mutationsFrozen: false\n";
  d->signal(SIGHUP);
  REQUIRE(eventually([&] { return d->get("/api/status").json()["pipelineV2"]["mutationsFrozen"] == false; }));
  CHECK(d->post("/api/memory/remember", R"({"content":"after the thaw"})").status == 200);
}

TEST_CASE("a bad agent.yaml at start is refused naming file, line and column", "[integration][lifecycle][config]") {
  TempDir dir;
  std::string ws = dir.sub("ws");
  fs::create_directories(ws);
  std::ofstream(ws + "/agent.yaml") << "search:\n  alpha: 0.5\n  top_k: [1, 2\n";
  auto r = run_cli(ws, "daemon run", {{"SIGNET_PORT", "0"}});
  CHECK(r.exit_code == 2);
  // yaml-cpp places an unclosed flow sequence at the end of the file.
  CHECK_THAT(r.output, Catch::Contains("agent.yaml:4:1: invalid YAML"));

  std::ofstream(ws + "/agent.yaml") << "search:\n  alpha: lots\n";
  r = run_cli(ws, "daemon run", {{"SIGNET_PORT", "0"}});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("agent.yaml:2:10") && Catch::Contains("alpha"));

  auto start = run_cli(ws, "daemon start --timeout 10", {{"SIGNET_PORT", "0"}});
  CHECK(start.exit_code == 1);
  CHECK_THAT(start.output, Catch::Contains("did not start") && Catch::Contains("alpha"));
}

TEST_CASE("log files follow SIGNET_LOG_FILE and SIGNET_LOG_DIR", "[integration][lifecycle][logs]") {
  TempDir dir;
  {
    DaemonProcess::Options o;
    o.workspace = dir.sub("ws1");
    o.env["SIGNET_LOG_FILE"] = dir.sub("exact/signet.log");
    auto d = DaemonProcess::start(o);
    REQUIRE(d);
    d->signal(SIGTERM);
    d->wait_exit(std::chrono::seconds(10));
    std::ifstream in(dir.sub("exact/signet.log"));
    std::string first;
    std::getline(in, first);
    CHECK_THAT(first, Catch::Matches(R"(\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] \[INFO\] .*)"));
  }
  {
    DaemonProcess::Options o;
    o.workspace = dir.sub("ws2");
    o.env["SIGNET_LOG_DIR"] = dir.sub("logdir");
    auto d = DaemonProcess::start(o);
    REQUIRE(d);
    bool daily = false;
    for (const auto& e : fs::directory_iterator(dir.sub("logdir")))
      if (e.path().filename().string().rfind("daemon-", 0) == 0) daily = true;
    CHECK(daily);
  }
  {
    DaemonProcess::Options o;
    o.workspace = dir.sub("ws3");
    auto d = DaemonProcess::start(o);
    REQUIRE(d);
    CHECK(fs::exists(dir.sub("ws3/.daemon/logs")));
  }
}
