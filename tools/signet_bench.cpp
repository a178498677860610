// signet-bench: measures the daemon over HTTP with a generated, seedable
// workload and prints a table (and JSON) of figures beside their targets and
// upstream's. By default it starts its own daemons (build/bin/signet daemon
// run, one temporary workspace per configuration); --url drives a running one.
// What is measured and how: docs/benchmarks.md. Exit: 0 ok, 1 could not run,
// 2 usage, 3 ran but requests failed (the report says which).
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tools/bench/agent_config.h"
#include "tools/bench/daemon.h"
#include "tools/bench/machine.h"
#include "tools/bench/phases.h"
#include "tools/bench/report.h"
#include "tools/bench/workload.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace signet::bench;

namespace {

constexpr const char* kUsage = R"(usage: signet-bench [options]

Measures a Signet daemon: remember, recall, list and /health throughput and
latency, start-up, replay, RSS and descriptors, at several store sizes.

Daemon under test:
  --signet PATH        signet binary to start (default: signet next to signet-bench)
  --replay PATH        signet-replay binary (default: signet-replay next to signet)
  --url URL            drive a running daemon (http://host:port) instead; only what
                       HTTP can measure (no idle RSS, start-up or replay; RSS from /health)
  --assume-loaded N    with --url: the daemon already holds this seed's first N
                       memories (from an earlier run), so loading starts there
  --workdir DIR        parent of the temporary workspaces (default $TMPDIR, else /tmp)
  --keep               keep the workspaces (and the daemons' logs in them)

What to measure:
  --phases LIST        any of idle,remember,health,recall,list,quality,startup,replay
                       (default: all)
  --scales LIST        store sizes, e.g. 1k,10k,100k (the default), 200, 1m
  --scale N            add N to the scales (--scale 1m: also at 1M memories)
  --clients N          clients of the multi-client phases (default 8)
  --ops N              measured remembers per client (default 2000)
  --warmup-ops N       unmeasured remembers per client before them (default 100)
  --duration S         measured seconds of each timed phase (default 5)
  --warmup S           warm-up seconds before each timed phase (default 1)
  --idle-wait S        idle time before the idle RSS is read (default 2)
  --questions N        questions of the recall-answers check (default 200)
  --quick              short runs for smoke tests: --ops 200 --warmup-ops 20
                       --duration 1 --warmup 0.2 --questions 50 --idle-wait 0.5
  --seed N             workload seed (default 42)

Configurations (key.path=value [key.path=value ...], a YAML map, or @FILE):
  --config SPEC        applied to every daemon the bench starts (repeatable);
                       the base is journal.sync=always
  --compare A B        run configuration A and B alternately (A B A B ...) and
                       print medians and B/A, e.g. --compare journal.sync=always journal.sync=batch
  --rounds N           rounds (default 1, or 3 with --compare); figures are medians

Output:
  --json FILE          write the results as JSON; '-' prints it to stdout at the end
  --print-workload N   print N sentences and N questions, then exit
  --verbose            more progress on stderr
)";

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "signet-bench: %s\n(signet-bench --help for usage)\n", message.c_str());
  std::exit(2);
}

uint64_t parse_count(const std::string& text, const char* what) {
  std::string s = text;
  uint64_t mul = 1;
  if (!s.empty() && (s.back() == 'k' || s.back() == 'K')) mul = 1000, s.pop_back();
  else if (!s.empty() && (s.back() == 'm' || s.back() == 'M')) mul = 1000000, s.pop_back();
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno != 0 || s[0] == '-') usage_error(std::string(what) + ": not a count: " + text);
  return v * mul;
}

double parse_seconds(const std::string& text, const char* what) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || v < 0) usage_error(std::string(what) + ": not a number of seconds: " + text);
  return v;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::string self_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "." : exe.parent_path().string();
}

Endpoint parse_url(const std::string& url) {
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  else if (rest.find("://") != std::string::npos) usage_error("--url: only http:// is supported: " + url);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t colon = rest.rfind(':');
  Endpoint e;
  if (colon == std::string::npos) {
    e.host = rest;
    e.port = 80;
  } else {
    e.host = rest.substr(0, colon);
    e.port = static_cast<int>(parse_count(rest.substr(colon + 1), "--url port"));
  }
  if (e.host.empty() || e.port <= 0 || e.port > 65535) usage_error("--url: expected http://host:port, got " + url);
  return e;
}

std::string iso_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

void on_signal(int) {
  request_interrupt();
  ::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends it at once
}

struct Configuration {
  AgentConfig config;
  std::vector<std::vector<Row>> rounds;
  std::vector<Row> rows;  // aggregated
};

json options_json(const BenchOptions& o, int rounds) {
  return {{"signet", o.signet_bin},
          {"replay", o.replay_bin},
          {"url", o.url.empty() ? json(nullptr) : json(o.url)},
          {"workdir", o.workdir},
          {"seed", o.seed},
          {"phases", std::vector<std::string>(o.phases.begin(), o.phases.end())},
          {"scales", o.scales},
          {"clients", o.clients},
          {"remember_ops_per_client", o.remember_ops},
          {"remember_warmup_ops_per_client", o.remember_warmup_ops},
          {"duration_s", o.duration_s},
          {"warmup_s", o.warmup_s},
          {"idle_wait_s", o.idle_wait_s},
          {"questions", o.quality_questions},
          {"quick", o.quick},
          {"rounds", rounds}};
}

}  // namespace

int main(int argc, char** argv) {
  BenchOptions o;
  const std::vector<std::string> all_phases = {"idle",    "remember", "health", "recall",
                                               "list",    "quality",  "startup", "replay"};
  o.phases = {all_phases.begin(), all_phases.end()};
  o.scales = {1000, 10000, 100000};
  std::vector<std::string> config_specs;
  std::vector<std::string> compare;
  int rounds = 0;
  std::string json_path;
  uint64_t print_workload = 0;
  struct Explicit {
    bool ops = false, warmup_ops = false, duration = false, warmup = false, questions = false, idle = false;
  } given;

  std::vector<std::string> args(argv + 1, argv + argc);
  auto value = [&](size_t& i) -> const std::string& {
    if (i + 1 >= args.size()) usage_error(args[i] + " needs a value");
    return args[++i];
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--signet") o.signet_bin = value(i);
    else if (a == "--replay") o.replay_bin = value(i);
    else if (a == "--url") o.url = value(i);
    else if (a == "--workdir") o.workdir = value(i);
    else if (a == "--keep") o.keep = true;
    else if (a == "--seed") o.seed = parse_count(value(i), "--seed");
    else if (a == "--phases") {
      o.phases.clear();
      for (const auto& p : split(value(i), ',')) {
        if (p == "rss") {
          o.phases.insert("idle");
          continue;
        }
        if (p == "all") {
          o.phases.insert(all_phases.begin(), all_phases.end());
          continue;
        }
        if (std::find(all_phases.begin(), all_phases.end(), p) == all_phases.end())
          usage_error("--phases: unknown phase \"" + p + "\"");
        o.phases.insert(p);
      }
    } else if (a == "--scales") {
      o.scales.clear();
      for (const auto& s : split(value(i), ',')) o.scales.push_back(parse_count(s, "--scales"));
    } else if (a == "--scale") {
      o.scales.push_back(parse_count(value(i), "--scale"));  // added to the scales
    } else if (a == "--clients") o.clients = static_cast<int>(parse_count(value(i), "--clients"));
    else if (a == "--ops") o.remember_ops = parse_count(value(i), "--ops"), given.ops = true;
    else if (a == "--warmup-ops") o.remember_warmup_ops = parse_count(value(i), "--warmup-ops"), given.warmup_ops = true;
    else if (a == "--duration") o.duration_s = parse_seconds(value(i), "--duration"), given.duration = true;
    else if (a == "--warmup") o.warmup_s = parse_seconds(value(i), "--warmup"), given.warmup = true;
    else if (a == "--idle-wait") o.idle_wait_s = parse_seconds(value(i), "--idle-wait"), given.idle = true;
    else if (a == "--questions") o.quality_questions = parse_count(value(i), "--questions"), given.questions = true;
    else if (a == "--quick") o.quick = true;
    else if (a == "--assume-loaded") o.assume_loaded = parse_count(value(i), "--assume-loaded");
    else if (a == "--config") config_specs.push_back(value(i));
    else if (a == "--compare") {
      compare.push_back(value(i));
      compare.push_back(value(i));
    } else if (a == "--rounds") rounds = static_cast<int>(parse_count(value(i), "--rounds"));
    else if (a == "--json") json_path = value(i);
    else if (a == "--print-workload") print_workload = parse_count(value(i), "--print-workload");
    else if (a == "--verbose" || a == "-v") o.verbose = true;
    else usage_error("unknown option " + a);
  }
  std::sort(o.scales.begin(), o.scales.end());
  o.scales.erase(std::unique(o.scales.begin(), o.scales.end()), o.scales.end());
  o.scales.erase(std::remove(o.scales.begin(), o.scales.end(), 0), o.scales.end());
  if (o.clients < 1) usage_error("--clients must be at least 1");
  if (o.quick) {
    if (!given.ops) o.remember_ops = 200;
    if (!given.warmup_ops) o.remember_warmup_ops = 20;
    if (!given.duration) o.duration_s = 1;
    if (!given.warmup) o.warmup_s = 0.2;
    if (!given.questions) o.quality_questions = 50;
    if (!given.idle) o.idle_wait_s = 0.5;
  }
  if (o.remember_ops == 0) usage_error("--ops must be at least 1");
  if (o.duration_s <= 0) usage_error("--duration must be positive");

  Workload workload(o.seed);
  if (!o.scales.empty() && o.scales.back() > workload.capacity())
    usage_error("the workload has " + std::to_string(workload.capacity()) + " distinct sentences; scale too large");
  if (print_workload) {
    for (uint64_t i = 0; i < print_workload; ++i) std::printf("memory %llu: %s\n", static_cast<unsigned long long>(i), workload.memory(i).remember_body().c_str());
    for (uint64_t q = 0; q < print_workload; ++q) {
      Question question = workload.question(q, print_workload);
      std::printf("question %llu [%s, about %llu]: %s\n", static_cast<unsigned long long>(q),
                  question_kind_name(question.kind), static_cast<unsigned long long>(question.source),
                  question.text.c_str());
    }
    std::printf("(%zu templates, %llu distinct sentences)\n", workload.template_count(),
                static_cast<unsigned long long>(workload.capacity()));
    return 0;
  }

  if (!o.url.empty()) o.remote = parse_url(o.url);
  if (o.signet_bin.empty()) o.signet_bin = self_dir() + "/signet";
  if (o.replay_bin.empty()) o.replay_bin = fs::path(o.signet_bin).parent_path().string() + "/signet-replay";
  if (o.workdir.empty()) {
    const char* t = std::getenv("TMPDIR");
    o.workdir = (t && *t) ? t : "/tmp";
  }
  if (o.url.empty() && ::access(o.signet_bin.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "signet-bench: no daemon binary at %s (build it, or give --signet PATH or --url URL)\n",
                 o.signet_bin.c_str());
    return 1;
  }
  if (!o.url.empty() && (!compare.empty() || !config_specs.empty()))
    usage_error("--config and --compare need daemons the bench starts; they cannot be used with --url");

  // Configurations.
  std::vector<Configuration> configs;
  auto make_config = [&](const std::string& label, const std::string* extra) {
    Configuration c;
    c.config.label = label;
    std::string error;
    for (const auto& s : config_specs)
      if (!c.config.apply(s, &error)) usage_error(error);
    if (extra && !c.config.apply(*extra, &error)) usage_error(error);
    configs.push_back(std::move(c));
  };
  if (compare.empty()) {
    make_config(config_specs.empty() ? "default" : "custom", nullptr);
  } else {
    make_config("A", &compare[0]);
    make_config("B", &compare[1]);
  }
  if (rounds <= 0) rounds = compare.empty() ? 1 : 3;

  std::error_code ec;
  fs::create_directories(o.workdir, ec);
  Machine machine = probe_machine(fs::absolute(o.workdir, ec).string());
  std::string run_dir = o.workdir + "/signet-bench-XXXXXX";
  if (!::mkdtemp(run_dir.data())) {
    std::fprintf(stderr, "signet-bench: cannot create a directory under %s: %s\n", o.workdir.c_str(),
                 std::strerror(errno));
    return 1;
  }

  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  std::printf("signet-bench  %s\n", iso_now().c_str());
  std::printf("machine: %s\n", machine.line().c_str());
  if (machine.loadavg_1m > 0.5)
    std::printf("note: load average %.2f at the start: the machine is not quiet; treat figures as preliminary\n",
                machine.loadavg_1m);
  std::printf("daemon: %s\n", o.url.empty() ? o.signet_bin.c_str() : o.url.c_str());
  if (!o.url.empty()) std::printf("configuration: the running daemon's own\n");
  else
    for (const auto& c : configs)
      std::printf("configuration %s: %s\n", c.config.label.c_str(), c.config.tree().dump().c_str());
  std::printf("workload: seed %llu, %zu templates; scales:", static_cast<unsigned long long>(o.seed),
              workload.template_count());
  for (auto s : o.scales) std::printf(" %s", scale_name(s).c_str());
  std::printf("; rounds %d\n\n", rounds);
  std::fflush(stdout);

  auto started = std::chrono::steady_clock::now();
  std::string failure;
  std::string daemon_version;
  for (int r = 0; r < rounds && failure.empty(); ++r) {
    for (auto& c : configs) {
      if (rounds > 1 || configs.size() > 1)
        progress("== round %d/%d, configuration %s", r + 1, rounds, c.config.label.c_str());
      std::string dir = run_dir + "/" + c.config.label + "-r" + std::to_string(r + 1);
      try {
        RoundResult result = run_round(o, c.config, workload, dir);
        if (daemon_version.empty()) daemon_version = result.daemon_version;
        c.rounds.push_back(std::move(result.rows));
      } catch (const BenchFailure& e) {
        failure = e.what();
      }
      if (!o.keep) fs::remove_all(dir, ec);
      if (!failure.empty()) break;
    }
  }
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!o.keep) fs::remove_all(run_dir, ec);
  else std::printf("workspaces kept under %s\n", run_dir.c_str());

  uint64_t errors = 0;
  for (auto& c : configs) {
    c.rows = aggregate(c.rounds);
    for (auto& row : c.rows) attach_targets(row);
    errors += total_errors(c.rows);
  }

  for (const auto& c : configs) {
    if (c.rows.empty()) continue;
    if (configs.size() > 1) std::printf("configuration %s (%s), medians of %zu rounds\n", c.config.label.c_str(),
                                        c.config.tree().dump().c_str(), c.rounds.size());
    std::printf("%s\n", format_table(c.rows).c_str());
  }
  if (configs.size() == 2 && !configs[0].rows.empty() && !configs[1].rows.empty()) {
    std::printf("comparison: A = %s, B = %s (medians; B/A > 1 means B is larger)\n", compare[0].c_str(),
                compare[1].c_str());
    std::printf("%s\n", format_comparison(configs[0].rows, configs[1].rows, "A", "B").c_str());
  }
  double load_end = load_average_1m();
  std::printf("took %.1f s; load average at the end %.2f\n", elapsed, load_end);
  if (!failure.empty()) std::printf("\n!!! THE RUN DID NOT FINISH: %s\n", failure.c_str());
  if (errors > 0)
    std::printf("\n!!! %llu REQUESTS FAILED (non-2xx or no answer): these figures are not valid; see the rows "
                "marked ERRORS and their notes in the JSON\n",
                static_cast<unsigned long long>(errors));

  if (!json_path.empty()) {
    json j = {{"tool", "signet-bench"},
              {"format", 1},
              {"started_at", iso_now()},
              {"duration_s", elapsed},
              {"machine", machine.to_json()},
              {"loadavg_1m_end", load_end},
              {"options", options_json(o, rounds)},
              {"mode", o.url.empty() ? "local" : "url"},
              {"daemon", {{"binary", o.url.empty() ? json(o.signet_bin) : json(nullptr)},
                          {"url", o.url.empty() ? json(nullptr) : json(o.url)},
                          {"version", daemon_version}}},
              {"errors_total", errors},
              {"failure", failure.empty() ? json(nullptr) : json(failure)},
              {"ok", failure.empty() && errors == 0}};
    json cj = json::array();
    for (const auto& c : configs) {
      json rows = json::array();
      for (const auto& r : c.rows) rows.push_back(row_json(r));
      cj.push_back({{"label", c.config.label},
                    {"specs", c.config.specs},
                    {"agent_yaml", c.config.yaml()},
                    {"rounds", c.rounds.size()},
                    {"rows", rows}});
    }
    j["configurations"] = cj;
    j["rows"] = cj.empty() ? json::array() : cj[0]["rows"];
    json skipped = json::array();
    for (const auto& r : configs.front().rows)
      if (r.skipped) skipped.push_back({{"id", r.id}, {"reason", r.note}});
    j["skipped"] = skipped;
    if (configs.size() == 2) {
      j["comparison"] = {{"a", compare[0]}, {"b", compare[1]},
                         {"figures", comparison_json(configs[0].rows, configs[1].rows)}};
    }
    if (json_path == "-") {
      std::printf("\n%s\n", j.dump(2).c_str());
    } else {
      std::ofstream out(json_path);
      out << j.dump(2) << "\n";
      if (!out) {
        std::fprintf(stderr, "signet-bench: cannot write %s\n", json_path.c_str());
        return 1;
      }
      std::printf("JSON written to %s\n", json_path.c_str());
    }
  }
  if (!failure.empty()) return 1;
  return errors > 0 ? 3 : 0;
}
