// Closed-loop load generation: one thread per client, each with its own
// keep-alive httplib::Client, each sending its next request as soon as the
// previous one is answered. Every request's latency is taken with
// steady_clock and kept, so percentiles come from the full sample.
//
// Two shapes of run:
//   by count    — each client sends `warmup_ops` unmeasured requests, waits
//                 for the others, then `ops` measured ones; the window runs
//                 from the common start until the last client finishes.
//   by quota    — like by count without warm-up, the clients sharing one
//                 total (loading the store to a scale);
//   by duration — clients run for warmup_s + duration_s; a request counts
//                 when it completes inside [warm-up end, end].
// Throughput = requests completed in the window / window length.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace httplib {
class Client;
}

namespace signet::bench {

struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 0;
};

// What one request did. `error` says why when !ok (status or transport error).
struct Outcome {
  bool ok = false;
  bool flagged = false;  // counted separately: e.g. a deduplicated remember, an empty recall
  std::string error;
};

// Sends request number `index` (unique across clients within one run).
using RequestFn = std::function<Outcome(httplib::Client& client, uint64_t index)>;

struct LoadSpec {
  int clients = 1;
  uint64_t ops = 0;           // by count: measured requests per client (0: run by duration)
  uint64_t warmup_ops = 0;    // by count
  double warmup_s = 0;        // by duration
  double duration_s = 0;      // by duration
  uint64_t total = 0;         // by quota: requests shared by all clients until this many are sent
  uint64_t first_index = 0;   // index of the first request
};

struct LoadResult {
  int clients = 0;
  uint64_t ops = 0;            // measured requests answered 2xx
  uint64_t errors = 0;         // measured requests not answered 2xx, or not answered at all
  uint64_t flagged = 0;        // measured requests with Outcome::flagged
  uint64_t next_index = 0;     // first index not used (for continuing a sequence)
  uint64_t listen_overflows = 0;  // kernel TcpExt ListenOverflows during the run (system-wide)
  double window_s = 0;
  std::vector<int64_t> latency_ns;  // every measured request, errors included; sorted
  std::vector<std::string> error_samples;  // the first few distinct errors

  double ops_per_s() const { return window_s > 0 ? static_cast<double>(ops) / window_s : 0; }
  // Nearest-rank percentile (p in [0, 100]) in milliseconds; 0 without samples.
  double percentile_ms(double p) const;
  double mean_ms() const;
};

// The HTTP client every load thread uses: keep-alive, TCP_NODELAY, and the
// given timeouts.
void configure_client(httplib::Client& client, int connect_timeout_ms, int read_timeout_ms);

// The kernel's count of connections dropped because a listen queue was full
// (/proc/net/netstat TcpExt ListenOverflows); 0 when unreadable. A dropped SYN
// costs the client a retransmit: a connect that takes >= 1 s.
uint64_t listen_overflows();

// Set from a SIGINT/SIGTERM handler: running loads stop early, phases give up.
bool interrupted();
void request_interrupt();

LoadResult run_load(const Endpoint& endpoint, const LoadSpec& spec, const RequestFn& fn, int read_timeout_ms = 30000);

// The outcome of an httplib result: ok for 2xx.
template <typename R>
Outcome outcome_of(const R& r) {
  Outcome o;
  if (!r) {
    o.error = "no answer (httplib error " + std::to_string(static_cast<int>(r.error())) + ")";
    return o;
  }
  o.ok = r->status >= 200 && r->status < 300;
  if (!o.ok) o.error = "HTTP " + std::to_string(r->status) + ": " + r->body.substr(0, 200);
  return o;
}

}  // namespace signet::bench
