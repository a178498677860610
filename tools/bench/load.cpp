#include "tools/bench/load.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>
#include <chrono>
#include <cmath>
#include <latch>
#include <numeric>
#include <thread>

namespace signet::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kErrorSamplesMax = 5;

struct ClientTally {
  std::vector<int64_t> latency_ns;
  uint64_t ok = 0;
  uint64_t errors = 0;
  uint64_t flagged = 0;
  std::vector<std::string> error_samples;
  Clock::time_point finished;

  void count(const Outcome& o, int64_t ns) {
    latency_ns.push_back(ns);
    if (o.ok) ++ok;
    else ++errors;
    if (o.flagged) ++flagged;
    if (!o.ok && error_samples.size() < kErrorSamplesMax &&
        std::find(error_samples.begin(), error_samples.end(), o.error) == error_samples.end())
      error_samples.push_back(o.error);
  }
};

int64_t ns_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

std::atomic<bool> g_interrupted{false};

}  // namespace

uint64_t listen_overflows() {
  std::ifstream in("/proc/net/netstat");
  std::string names, values;
  while (std::getline(in, names) && std::getline(in, values)) {
    if (names.rfind("TcpExt:", 0) != 0) continue;
    std::istringstream n(names), v(values);
    std::string name, value;
    while (n >> name && v >> value)
      if (name == "ListenOverflows") return std::strtoull(value.c_str(), nullptr, 10);
  }
  return 0;
}

bool interrupted() { return g_interrupted.load(std::memory_order_relaxed); }
void request_interrupt() { g_interrupted.store(true, std::memory_order_relaxed); }

double LoadResult::percentile_ms(double p) const {
  if (latency_ns.empty()) return 0;
  // Nearest rank: the smallest sample with at least p% of samples at or below it.
  auto n = static_cast<double>(latency_ns.size());
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * n));
  rank = std::clamp<size_t>(rank, 1, latency_ns.size());
  return static_cast<double>(latency_ns[rank - 1]) / 1e6;
}

double LoadResult::mean_ms() const {
  if (latency_ns.empty()) return 0;
  long double sum = std::accumulate(latency_ns.begin(), latency_ns.end(), 0.0L);
  return static_cast<double>(sum / latency_ns.size() / 1e6L);
}

void configure_client(httplib::Client& client, int connect_timeout_ms, int read_timeout_ms) {
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  client.set_connection_timeout(connect_timeout_ms / 1000, (connect_timeout_ms % 1000) * 1000);
  client.set_read_timeout(read_timeout_ms / 1000, (read_timeout_ms % 1000) * 1000);
  client.set_write_timeout(read_timeout_ms / 1000, (read_timeout_ms % 1000) * 1000);
}

LoadResult run_load(const Endpoint& endpoint, const LoadSpec& spec, const RequestFn& fn, int read_timeout_ms) {
  const int clients = std::max(1, spec.clients);
  const bool by_quota = spec.total > 0;
  const bool by_count = spec.ops > 0 || by_quota;
  const uint64_t quota_end = spec.first_index + spec.total;
  std::atomic<uint64_t> next_index{spec.first_index};
  std::vector<ClientTally> tallies(static_cast<size_t>(clients));
  std::latch ready(clients);
  std::latch go(1);
  Clock::time_point start, measure_from, measure_until;  // written before `go` opens

  auto body = [&](size_t c) {
    ClientTally& tally = tallies[c];
    httplib::Client client(endpoint.host, endpoint.port);
    configure_client(client, 5000, read_timeout_ms);
    if (by_count) {
      tally.latency_ns.reserve(by_quota ? spec.total / static_cast<uint64_t>(clients) + 1 : spec.ops);
      for (uint64_t i = 0; i < spec.warmup_ops && !by_quota; ++i) fn(client, next_index.fetch_add(1));
      ready.count_down();
      go.wait();
      for (uint64_t i = 0; (by_quota || i < spec.ops) && !interrupted(); ++i) {
        uint64_t index = next_index.fetch_add(1);
        if (by_quota && index >= quota_end) break;
        auto t0 = Clock::now();
        Outcome o = fn(client, index);
        tally.count(o, ns_between(t0, Clock::now()));
      }
      tally.finished = Clock::now();
      return;
    }
    ready.count_down();
    go.wait();
    for (;;) {
      uint64_t index = next_index.fetch_add(1);
      auto t0 = Clock::now();
      if (t0 >= measure_until || interrupted()) break;
      Outcome o = fn(client, index);
      auto t1 = Clock::now();
      if (t1 >= measure_from && t1 <= measure_until) tally.count(o, ns_between(t0, t1));
    }
    tally.finished = Clock::now();
  };

  const uint64_t overflows_before = listen_overflows();
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(clients));
  for (int c = 0; c < clients; ++c) threads.emplace_back(body, static_cast<size_t>(c));
  ready.wait();
  start = Clock::now();
  measure_from = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(spec.warmup_s));
  measure_until =
      measure_from + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(spec.duration_s));
  go.count_down();
  for (auto& t : threads) t.join();

  LoadResult r;
  r.clients = clients;
  r.listen_overflows = listen_overflows() - overflows_before;
  r.next_index = by_quota ? std::min(next_index.load(), quota_end) : next_index.load();
  size_t total = 0;
  for (const auto& t : tallies) total += t.latency_ns.size();
  r.latency_ns.reserve(total);
  Clock::time_point last = start;
  for (auto& t : tallies) {
    r.ops += t.ok;
    r.errors += t.errors;
    r.flagged += t.flagged;
    r.latency_ns.insert(r.latency_ns.end(), t.latency_ns.begin(), t.latency_ns.end());
    for (auto& e : t.error_samples)
      if (r.error_samples.size() < kErrorSamplesMax &&
          std::find(r.error_samples.begin(), r.error_samples.end(), e) == r.error_samples.end())
        r.error_samples.push_back(e);
    last = std::max(last, t.finished);
  }
  std::sort(r.latency_ns.begin(), r.latency_ns.end());
  r.window_s = by_count ? std::chrono::duration<double>(last - start).count() : spec.duration_s;
  return r;
}

}  // namespace signet::bench
