// Soak: 32 clients mixing remember, recall, list, get, modify, forget and
// recover against the real daemon while a prober times GET /health every
// 100 ms and the daemon's RSS is sampled every second. The data set is
// bounded (remembers draw from a fixed pool and dedupe once warm, modifies
// toggle between two versions, a forget is followed by a recover) so that RSS
// measures leaks, not data. Zero errors, always. Runs
// SIGNET_SOAK_SECONDS (10 in `make test`; `make soak` runs 1800): in a long
// run, RSS must be flat after warm-up and /health p99 under 50 ms; a short run
// only reports those figures (the machine is shared; see docs/benchmarks.md).
#include <catch2/catch.hpp>

#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "tests/support/daemon_process.h"
#include "tests/support/temp_dir.h"

using namespace signet::testing;
using nlohmann::json;

namespace {

uint64_t rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  return 0;
}

}  // namespace

TEST_CASE("a soak of mixed reads and writes has no errors, flat memory and a fast health check", "[soak]") {
  int seconds = 10;
  if (const char* env = std::getenv("SIGNET_SOAK_SECONDS")) seconds = std::max(5, std::atoi(env));
  bool long_run = seconds >= 120;
  TempDir dir;
  DaemonProcess::Options o;
  o.workspace = dir.sub("ws");
  o.agent_yaml = "log:\n  level: warn\n";
  auto d = DaemonProcess::start(o);
  REQUIRE(d);

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> ops{0}, errors{0};
  std::mutex err_mu;
  std::string first_error;
  auto fail = [&](const std::string& what) {
    ++errors;
    std::lock_guard<std::mutex> lock(err_mu);
    if (first_error.empty()) first_error = what;
  };

  std::vector<std::thread> clients;
  for (int c = 0; c < 32; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937 rng(static_cast<unsigned>(c + 1));
      httplib::Client client("127.0.0.1", d->port());
      client.set_keep_alive(true);
      client.set_read_timeout(30, 0);
      std::vector<std::string> mine;
      auto pooled = [&](uint64_t k) { return "soak pool sentence " + std::to_string(k % 2000) + " about topic " +
                                             std::to_string(k % 50); };
      for (uint64_t i = 0; !stop; ++i) {
        int dice = static_cast<int>(rng() % 100);
        httplib::Result r{nullptr, httplib::Error::Unknown};
        std::string what;
        if (dice < 25 || mine.empty()) {
          what = "remember";
          r = client.Post("/api/memory/remember", json{{"content", pooled(rng())}}.dump(), "application/json");
          if (r && r->status == 200 && mine.size() < 200) mine.push_back(json::parse(r->body)["id"]);
        } else if (dice < 60) {
          what = "recall";
          r = client.Post("/api/memory/recall",
                          json{{"query", "sentence about topic " + std::to_string(rng() % 50)}, {"limit", 10}}.dump(),
                          "application/json");
        } else if (dice < 70) {
          what = "list";
          r = client.Get("/api/memories?limit=100");
        } else if (dice < 80) {
          what = "get";
          r = client.Get(("/api/memory/" + mine[rng() % mine.size()] + "?include_deleted=true").c_str());
        } else if (dice < 95) {
          what = "modify";
          json patch = {{"reason", "soak"}};
          if (rng() % 2) patch["importance"] = (rng() % 100) / 100.0;
          else patch["content"] = "soak variant " + std::to_string(c) + "-" + std::to_string(rng() % 2) + " of " +
                                  mine[rng() % mine.size()].substr(0, 8);
          r = client.Patch(("/api/memory/" + mine[rng() % mine.size()]).c_str(), patch.dump(), "application/json");
          // Refusals the API documents (deleted, duplicate content) are answers, not errors.
          if (r && r->status == 409) continue;
        } else {
          what = "forget+recover";
          std::string id = mine[rng() % mine.size()];
          r = client.Delete(("/api/memory/" + id + "?reason=soak").c_str());
          if (r && r->status == 409) continue;  // another client's id? no: ours, but already deleted
          if (r && r->status == 200)
            r = client.Post(("/api/memory/" + id + "/recover").c_str(), json{{"reason", "soak"}}.dump(),
                            "application/json");
          if (r && r->status == 409) continue;  // its content was taken meanwhile
        }
        ++ops;
        if (!r) fail(what + ": no answer (" + httplib::to_string(r.error()) + ")");
        else if (r->status != 200) fail(what + ": HTTP " + std::to_string(r->status) + " " + r->body.substr(0, 200));
      }
    });
  }

  std::vector<double> health_ms;
  std::thread prober([&] {
    httplib::Client client("127.0.0.1", d->port());
    client.set_keep_alive(true);
    while (!stop) {
      auto t0 = std::chrono::steady_clock::now();
      auto r = client.Get("/health");
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (!r || r->status != 200) fail("health: no answer");
      health_ms.push_back(ms);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  std::vector<uint64_t> rss;
  for (int s = 0; s < seconds; ++s) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    rss.push_back(rss_kib(d->pid()));
  }
  stop = true;
  for (auto& t : clients) t.join();
  prober.join();

  std::sort(health_ms.begin(), health_ms.end());
  double p99 = health_ms.empty() ? 0 : health_ms[std::min(health_ms.size() - 1, health_ms.size() * 99 / 100)];
  // Warm-up: the first third. Flat: the last sample within 15% (plus 8 MiB of
  // slack for caches filling) of the highest after warm-up's first sample.
  uint64_t after_warmup = rss[rss.size() / 3];
  uint64_t last = rss.back();
  WARN("soak " << seconds << " s: " << ops << " requests, " << errors << " errors; /health p99 " << p99 << " ms over "
               << health_ms.size() << " probes; RSS " << rss.front() / 1024 << " -> " << after_warmup / 1024 << " -> "
               << last / 1024 << " MiB");
  INFO(first_error);
  CHECK(errors == 0);
  CHECK(ops > 0);
  if (long_run) {
    CHECK(p99 < 50.0);
    CHECK(last <= after_warmup * 115 / 100 + 8 * 1024);
  }
  d->signal(SIGTERM);
  CHECK(d->wait_exit(std::chrono::seconds(15)) == 0);
}
