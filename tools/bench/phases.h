// The measurements, phase by phase, for one configuration in one round.
//
// With a daemon of its own (the default) one round is:
//   idle      fresh daemon, empty workspace: start-up time, RSS/FDs after idle_wait_s
//   remember  fresh daemon: remember at 1 client, then at `clients` clients (by count)
//   scales    fresh daemon, loaded to each scale in turn with `clients` clients; at each:
//               rss (after load), health (1 connection), recall (clients, then 1),
//               list (clients), quality (sequential questions, checked answers),
//               startup (SIGTERM, start again, time to /health 200),
//               replay (stopped: signet-replay rebuild --projection all --json)
// With --url only what HTTP can measure: remember, the scale phases but
// startup/replay/idle, RSS from /health.
#pragma once

#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "tools/bench/agent_config.h"
#include "tools/bench/load.h"
#include "tools/bench/report.h"
#include "tools/bench/workload.h"

namespace signet::bench {

struct BenchOptions {
  std::string signet_bin;            // signet, for daemons the bench starts
  std::string replay_bin;            // signet-replay
  std::string url;                   // drive this daemon instead (host:port)
  Endpoint remote;                   // parsed from url
  std::string workdir;               // parent of the temporary workspaces
  bool keep = false;                 // keep workspaces
  bool quick = false;
  uint64_t seed = 42;
  std::set<std::string> phases;      // idle remember recall list health quality startup replay
  std::vector<uint64_t> scales;      // ascending
  int clients = 8;
  uint64_t remember_ops = 2000;      // measured per client
  uint64_t remember_warmup_ops = 100;  // per client
  double warmup_s = 1;
  double duration_s = 5;
  double idle_wait_s = 2;
  uint64_t quality_questions = 200;
  uint64_t assume_loaded = 0;        // --url: the daemon already holds sentences [0, N) of this seed
  double healthy_timeout_s = 600;
  bool verbose = false;

  bool wants(const std::string& phase) const { return phases.count(phase) > 0; }
  bool wants_scales() const;
};

// Thrown when the daemon cannot be started or answers nothing at all: the
// round cannot go on. Errors of single requests are counted, not thrown.
class BenchFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RoundResult {
  std::vector<Row> rows;
  std::string daemon_version;
};

// Runs every wanted phase once for `config`; `dir` is this round's
// temporary directory (workspaces go below it).
RoundResult run_round(const BenchOptions& options, const AgentConfig& config, const Workload& workload,
                      const std::string& dir);

// Progress lines on stderr ("[bench] ..."), so stdout stays the report.
void progress(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace signet::bench
