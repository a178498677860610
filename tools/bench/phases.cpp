#include "tools/bench/phases.h"

#include <httplib.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "tools/bench/daemon.h"

namespace signet::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr double kMiB = 1024.0 * 1024.0;
// Question indices: recall load and the quality sample use separate ranges,
// the same in every configuration and round, so A and B are asked the same.
constexpr uint64_t kRecallQuestionBase = 0;
constexpr uint64_t kQualityQuestionBase = uint64_t{1} << 40;
// The remember phase's sentences come from far above any store scale, so that
// with --url they never collide with (and get deduplicated against) the load.
constexpr uint64_t kRememberSentenceBase = 100000000;
constexpr double kStopTimeoutS = 120;

void check_interrupted() {
  if (interrupted()) throw BenchFailure("interrupted");
}

std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out.push_back(c);
  }
  return out + "'";
}

std::string sync_mode(const AgentConfig& config) {
  const json& t = config.tree();
  if (t.contains("journal") && t["journal"].is_object() && t["journal"].contains("sync"))
    return t["journal"]["sync"].is_string() ? t["journal"]["sync"].get<std::string>() : t["journal"]["sync"].dump();
  return "always";
}

Row make_row(std::string id, std::string phase, std::string label, uint64_t scale) {
  Row row;
  row.id = std::move(id);
  row.phase = std::move(phase);
  row.label = std::move(label);
  row.scale = scale;
  return row;
}

std::string clients_text(int n) { return std::to_string(n) + (n == 1 ? " client" : " clients"); }

Row load_row(const std::string& id, const std::string& phase, const std::string& label, uint64_t scale,
             const LoadResult& r) {
  Row row = make_row(id, phase, label, scale);
  row.set("ops_per_s", r.ops_per_s())
      .set("p50_ms", r.percentile_ms(50))
      .set("p99_ms", r.percentile_ms(99))
      .set("errors", static_cast<double>(r.errors))
      .set("p90_ms", r.percentile_ms(90))
      .set("p999_ms", r.percentile_ms(99.9))
      .set("max_ms", r.percentile_ms(100))
      .set("mean_ms", r.mean_ms())
      .set("requests", static_cast<double>(r.ops + r.errors))
      .set("window_s", r.window_s)
      .set("clients", r.clients)
      .set("listen_overflows", static_cast<double>(r.listen_overflows));
  if (r.listen_overflows > 0)
    progress("!! %s: the kernel dropped %llu connections on a full listen queue (each a >= 1 s connect)",
             label.c_str(), static_cast<unsigned long long>(r.listen_overflows));
  if (!r.error_samples.empty()) {
    row.note = "errors:";
    for (const auto& e : r.error_samples) row.note += " [" + e + "]";
    progress("!! %s: %llu errors, e.g. %s", label.c_str(), static_cast<unsigned long long>(r.errors),
             r.error_samples.front().c_str());
  }
  return row;
}

void log_load(const Row& row) {
  progress("   %-44s %10.0f/s  p50 %.3f ms  p99 %.3f ms  errors %.0f", row.label.c_str(), *row.get("ops_per_s"),
           *row.get("p50_ms"), *row.get("p99_ms"), *row.get("errors"));
}

Outcome remember_request(httplib::Client& c, const Workload& w, uint64_t index) {
  std::string body = w.memory(index).remember_body();
  auto res = c.Post("/api/memory/remember", body, "application/json");
  Outcome o = outcome_of(res);
  if (o.ok && res->body.find("\"deduped\":true") != std::string::npos) o.flagged = true;
  return o;
}

Outcome recall_request(httplib::Client& c, const Workload& w, uint64_t index, uint64_t loaded) {
  std::string body = w.question(kRecallQuestionBase + index, loaded).recall_body(10);
  auto res = c.Post("/api/memory/recall", body, "application/json");
  Outcome o = outcome_of(res);
  if (o.ok && res->body.find("\"stale\":true") != std::string::npos) o.flagged = true;
  return o;
}

Outcome get_request(httplib::Client& c, const char* path) { return outcome_of(c.Get(path)); }

struct JournalCounters {
  bool known = false;
  double commits = 0;
  double syncs = 0;
};

// /health caches `resources` for 500 ms; waiting 600 ms first makes it fresh.
JournalCounters journal_counters(const Daemon& d) {
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  JournalCounters c;
  auto h = d.health();
  if (!h.is_object() || !h.contains("resources") || !h["resources"].contains("journal")) return c;
  const auto& j = h["resources"]["journal"];
  c.known = true;
  c.commits = j.value("commits", 0.0);
  c.syncs = j.value("syncs", 0.0);
  return c;
}

Row process_row(const std::string& id, const std::string& phase, const std::string& label, uint64_t scale,
                const Daemon& d) {
  Row row = make_row(id, phase, label, scale);
  ProcessFigures f = d.figures();
  if (!f.known) {
    row.skipped = true;
    row.note = "no process figures (neither /proc nor /health resources)";
    return row;
  }
  row.set("rss_mib", static_cast<double>(f.rss_bytes) / kMiB);
  if (f.rss_anon_bytes || f.rss_file_bytes)
    row.set("rss_anon_mib", static_cast<double>(f.rss_anon_bytes) / kMiB)
        .set("rss_file_mib", static_cast<double>(f.rss_file_bytes) / kMiB);
  row.set("open_fds", static_cast<double>(f.open_fds)).set("threads", static_cast<double>(f.threads));
  if (f.rss_peak_bytes) row.set("rss_peak_mib", static_cast<double>(f.rss_peak_bytes) / kMiB);
  row.note = d.local() ? "from /proc/<pid>" : "from /health resources";
  return row;
}

Row skipped_row(const std::string& id, const std::string& phase, const std::string& label, uint64_t scale,
                const std::string& why) {
  Row row = make_row(id, phase, label, scale);
  row.skipped = true;
  row.note = why;
  return row;
}

uint64_t total_lag(const json& health) {
  uint64_t lag = 0;
  if (!health.is_object() || !health.contains("resources")) return 0;
  const json projections = health["resources"].value("projections", json::object());
  for (const auto& [name, p] : projections.items())
    if (p.is_object()) lag += p.value("lag", uint64_t{0});
  return lag;
}

// Sequential questions, every answer parsed: how often the memory a question
// was made from comes back in the top 10, and how often nothing comes back.
Row quality_row(const Daemon& d, const Workload& w, uint64_t loaded, uint64_t scale, uint64_t questions) {
  httplib::Client c(d.endpoint().host, d.endpoint().port);
  configure_client(c, 5000, 30000);
  struct Tally {
    double asked = 0, empty = 0, found = 0;
  };
  Tally kinds[4];
  double errors = 0, keyword_only = 0;
  for (uint64_t q = 0; q < questions && !interrupted(); ++q) {
    Question question = w.question(kQualityQuestionBase + q, loaded);
    auto res = c.Post("/api/memory/recall", question.recall_body(10), "application/json");
    Tally& t = kinds[static_cast<int>(question.kind)];
    t.asked += 1;
    if (!res || res->status != 200) {
      errors += 1;
      continue;
    }
    auto j = json::parse(res->body, nullptr, false);
    const json results = j.is_object() ? j.value("results", json::array()) : json::array();
    if (j.is_object() && j.value("method", "") != "hybrid") keyword_only += 1;
    if (results.empty()) {
      t.empty += 1;
      continue;
    }
    if (question.kind == QuestionKind::kNoAnswer) continue;
    std::string expected = w.sentence(question.source);
    for (const auto& r : results)
      if (r.value("content", "") == expected) {
        t.found += 1;
        break;
      }
  }
  Row row = make_row("quality@" + std::to_string(scale), "quality",
                     "recall answers (" + std::to_string(questions) + " questions)", scale);
  double answerable = 0, empty = 0, found = 0;
  for (int k = 0; k < 3; ++k) {
    answerable += kinds[k].asked;
    empty += kinds[k].empty;
    found += kinds[k].found;
  }
  auto pct = [](double a, double b) { return b > 0 ? 100.0 * a / b : 0.0; };
  row.set("empty_answerable", empty)
      .set("answerable", answerable)
      .set("found_top10_pct", pct(found, answerable))
      .set("errors", errors)
      .set("questions", static_cast<double>(questions))
      .set("found_natural_pct", pct(kinds[0].found, kinds[0].asked))
      .set("found_partial_pct", pct(kinds[1].found, kinds[1].asked))
      .set("found_misspelled_pct", pct(kinds[2].found, kinds[2].asked))
      .set("empty_no_answer", kinds[3].empty)
      .set("no_answer", kinds[3].asked)
      .set("keyword_only_answers", keyword_only);
  progress("   %-44s empty %.0f/%.0f answerable, source in top 10 %.0f%% (natural %.0f%%, partial %.0f%%, "
           "misspelled %.0f%%)",
           row.label.c_str(), empty, answerable, pct(found, answerable), pct(kinds[0].found, kinds[0].asked),
           pct(kinds[1].found, kinds[1].asked), pct(kinds[2].found, kinds[2].asked));
  return row;
}

struct RunOutput {
  int exit_code = -1;
  std::string stdout_text;
};

RunOutput run_command(const std::string& command) {
  RunOutput out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.stdout_text.append(buf, n);
  int status = ::pclose(p);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of("\r\n ");
  if (end == std::string::npos) return "";
  size_t start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

// The state of one round: the daemon under test, local or remote.
class Round {
 public:
  Round(const BenchOptions& o, const AgentConfig& c, const Workload& w, std::string dir)
      : o_(o), config_(c), w_(w), dir_(std::move(dir)) {}

  RoundResult run() {
    if (o_.wants("idle")) idle();
    if (o_.wants("remember")) remember();
    if (o_.wants_scales()) scales();
    return std::move(result_);
  }

 private:
  std::string workspace(const std::string& name) const { return dir_ + "/" + name; }

  std::unique_ptr<LocalDaemon> start_local(const std::string& ws) {
    check_interrupted();
    LocalDaemon::Options lo;
    lo.binary = o_.signet_bin;
    lo.workspace = ws;
    lo.agent_yaml = config_.yaml();
    lo.healthy_timeout_s = o_.healthy_timeout_s;
    std::string error;
    auto d = LocalDaemon::start(lo, &error);
    if (!d) throw BenchFailure("cannot start " + o_.signet_bin + " daemon run on " + ws + ": " + error);
    if (result_.daemon_version.empty() && d->first_health().is_object())
      result_.daemon_version = d->first_health().value("version", "");
    if (o_.verbose) progress("   daemon pid %d on port %d (%s)", d->pid(), d->endpoint().port, ws.c_str());
    return d;
  }

  // SIGTERM and wait; a non-zero exit is an error of the run.
  double stop_local(std::unique_ptr<LocalDaemon>& d, const std::string& when) {
    double took = 0;
    int code = d->stop(kStopTimeoutS, &took);
    if (code != 0) {
      Row row = skipped_row("daemon.exit." + when, "daemon", "daemon exit after " + when, 0,
                            "exit code " + std::to_string(code) + "; output: " + d->output_tail(600));
      row.skipped = false;
      row.set("errors", 1);
      result_.rows.push_back(row);
      progress("!! daemon exited with %d after %s", code, when.c_str());
    }
    d.reset();
    return took;
  }

  void remove_workspace(const std::string& ws) {
    if (o_.keep) return;
    std::error_code ec;
    fs::remove_all(ws, ec);
  }

  void idle() {
    if (!o_.url.empty()) {
      result_.rows.push_back(skipped_row("rss.idle", "idle", "idle daemon, empty store", 0,
                                         "needs a daemon the bench starts (not with --url)"));
      return;
    }
    progress("idle: fresh daemon, empty workspace");
    std::string ws = workspace("idle");
    auto d = start_local(ws);
    Row start;
    start.id = "startup.empty";
    start.phase = "startup";
    start.label = "start-up to healthy, empty store";
    start.set("startup_ms", d->startup_s() * 1000);
    std::this_thread::sleep_for(std::chrono::duration<double>(o_.idle_wait_s));
    char label[96];
    std::snprintf(label, sizeof(label), "idle daemon, empty store, after %.0f s", o_.idle_wait_s);
    Row rss = process_row("rss.idle", "idle", label, 0, *d);
    start.set("shutdown_ms", stop_local(d, "idle") * 1000);
    result_.rows.push_back(rss);
    result_.rows.push_back(start);
    progress("   RSS %.1f MiB, %.0f fds, %.0f threads; start-up %.1f ms", rss.get("rss_mib").value_or(0),
             rss.get("open_fds").value_or(0), rss.get("threads").value_or(0), *start.get("startup_ms"));
    remove_workspace(ws);
  }

  void remember() {
    progress("remember: %llu measured per client, journal.sync=%s",
             static_cast<unsigned long long>(o_.remember_ops), sync_mode(config_).c_str());
    std::unique_ptr<LocalDaemon> local;
    std::unique_ptr<RemoteDaemon> remote;
    std::string ws = workspace("remember");
    const Daemon* d;
    if (o_.url.empty()) {
      local = start_local(ws);
      d = local.get();
    } else {
      remote = std::make_unique<RemoteDaemon>(o_.remote);
      d = remote.get();
    }
    uint64_t next = kRememberSentenceBase;
    for (int clients : {1, o_.clients}) {
      check_interrupted();
      JournalCounters before = journal_counters(*d);
      LoadSpec spec;
      spec.clients = clients;
      spec.ops = o_.remember_ops;
      spec.warmup_ops = o_.remember_warmup_ops;
      spec.first_index = next;
      auto r = run_load(d->endpoint(), spec, [&](httplib::Client& c, uint64_t i) { return remember_request(c, w_, i); });
      next = r.next_index;
      Row row = load_row("remember.c" + std::to_string(clients), "remember", "remember, " + clients_text(clients), 0, r);
      row.set("deduped", static_cast<double>(r.flagged));
      JournalCounters after = journal_counters(*d);
      if (before.known && after.known && after.syncs > before.syncs) {
        // Warm-up requests included: the counters cover every request sent.
        double sent = static_cast<double>(r.next_index - spec.first_index);
        row.set("commits_per_sync", (after.commits - before.commits) / (after.syncs - before.syncs));
        row.set("syncs_per_remember", (after.syncs - before.syncs) / sent);
      }
      log_load(row);
      result_.rows.push_back(row);
    }
    if (local) stop_local(local, "remember");
    remove_workspace(ws);
  }

  void scales() {
    std::string ws = workspace("scales");
    std::unique_ptr<LocalDaemon> local;
    std::unique_ptr<RemoteDaemon> remote;
    const Daemon* d;
    if (o_.url.empty()) {
      local = start_local(ws);
      d = local.get();
    } else {
      remote = std::make_unique<RemoteDaemon>(o_.remote);
      d = remote.get();
    }
    uint64_t loaded = remote ? o_.assume_loaded : 0;
    for (uint64_t scale : o_.scales) {
      check_interrupted();
      std::string at = "@" + std::to_string(scale);
      std::string sn = scale_name(scale);
      // Load: as fast as the clients can, every request a durable remember.
      if (scale > loaded) {
        progress("load: %llu -> %llu memories, %d clients", static_cast<unsigned long long>(loaded),
                 static_cast<unsigned long long>(scale), o_.clients);
        LoadSpec spec;
        spec.clients = o_.clients;
        spec.total = scale - loaded;
        spec.first_index = loaded;
        auto r = run_load(d->endpoint(), spec, [&](httplib::Client& c, uint64_t i) { return remember_request(c, w_, i); });
        Row row = load_row("load" + at, "load", "load store, " + clients_text(o_.clients), scale, r);
        row.figures.insert(row.figures.begin(), {"added", static_cast<double>(r.ops)});
        row.figures.insert(row.figures.begin() + 1, {"seconds", r.window_s});
        row.set("deduped", static_cast<double>(r.flagged));
        loaded = scale;
        // How far each projection is behind the journal when the last write is
        // acknowledged (/health caches this for up to 500 ms).
        json h = d->health();
        if (h.is_object() && h.contains("resources")) {
          const json projections = h["resources"].value("projections", json::object());
          for (const auto& [name, p] : projections.items())
            if (p.is_object()) row.set("lag_at_end_" + name, p.value("lag", 0.0));
        }
        auto t0 = Clock::now();
        bool caught_up = d->wait_caught_up(o_.healthy_timeout_s);
        row.set("catchup_s", std::chrono::duration<double>(Clock::now() - t0).count());
        if (!caught_up) row.note += " projections still lagging after the wait";
        progress("   loaded in %.1f s (%.0f/s), projections caught up %.2f s later", r.window_s, r.ops_per_s(),
                 *row.get("catchup_s"));
        result_.rows.push_back(row);
      }
      check_interrupted();
      size_t rss_index = result_.rows.size();
      result_.rows.push_back(process_row("rss.loaded" + at, "rss", "RSS after load", scale, *d));
      progress("scale %s: RSS %.1f MiB, %.0f fds", sn.c_str(), result_.rows[rss_index].get("rss_mib").value_or(0),
               result_.rows[rss_index].get("open_fds").value_or(0));

      LoadSpec timed;
      timed.warmup_s = o_.warmup_s;
      timed.duration_s = o_.duration_s;
      if (o_.wants("health")) {
        timed.clients = 1;
        auto r = run_load(d->endpoint(), timed, [](httplib::Client& c, uint64_t) { return get_request(c, "/health"); });
        Row row = load_row("health" + at, "health", "GET /health, 1 connection", scale, r);
        log_load(row);
        result_.rows.push_back(row);
      }
      if (o_.wants("recall")) {
        for (int clients : {o_.clients, 1}) {
          check_interrupted();
          timed.clients = clients;
          auto r = run_load(d->endpoint(), timed,
                            [&](httplib::Client& c, uint64_t i) { return recall_request(c, w_, i, loaded); });
          Row row = load_row("recall.c" + std::to_string(clients) + at, "recall",
                             "hybrid recall, " + clients_text(clients), scale, r);
          row.set("stale", static_cast<double>(r.flagged));
          log_load(row);
          result_.rows.push_back(row);
        }
      }
      if (o_.wants("list")) {
        check_interrupted();
        timed.clients = o_.clients;
        auto r = run_load(d->endpoint(), timed,
                          [](httplib::Client& c, uint64_t) { return get_request(c, "/api/memories?limit=100"); });
        Row row = load_row("list.c" + std::to_string(o_.clients) + at, "list",
                           "GET /api/memories?limit=100, " + clients_text(o_.clients), scale, r);
        log_load(row);
        result_.rows.push_back(row);
      }
      if (o_.wants("quality") && o_.quality_questions > 0) {
        check_interrupted();
        result_.rows.push_back(quality_row(*d, w_, loaded, scale, o_.quality_questions));
      }
      {
        ProcessFigures f = d->figures();
        if (f.known) result_.rows[rss_index].set("rss_after_queries_mib", static_cast<double>(f.rss_bytes) / kMiB);
        if (f.rss_peak_bytes) result_.rows[rss_index].set("rss_peak_mib", static_cast<double>(f.rss_peak_bytes) / kMiB);
      }
      if (o_.wants("startup")) {
        if (!local) {
          result_.rows.push_back(skipped_row("startup" + at, "startup", "start-up to healthy", scale,
                                             "needs a daemon the bench starts (not with --url)"));
        } else {
          check_interrupted();
          double stop_s = stop_local(local, "load to " + sn);
          local = start_local(ws);
          d = local.get();
          Row row = make_row("startup" + at, "startup", "restart: start-up to healthy", scale);
          row.set("startup_ms", local->startup_s() * 1000)
              .set("shutdown_ms", stop_s * 1000)
              .set("lag_at_first_health", static_cast<double>(total_lag(local->first_health())));
          progress("   restart: stop %.1f ms, start-up to healthy %.1f ms (projection lag then: %.0f)", stop_s * 1000,
                   local->startup_s() * 1000, *row.get("lag_at_first_health"));
          result_.rows.push_back(row);
        }
      }
      if (o_.wants("replay")) replay(local, d, ws, scale);
    }
    if (local) stop_local(local, "the scale phases");
    remove_workspace(ws);
  }

  void replay(std::unique_ptr<LocalDaemon>& local, const Daemon*& d, const std::string& ws, uint64_t scale) {
    std::string at = "@" + std::to_string(scale);
    const char* label = "replay: full rebuild, all projections";
    if (!local) {
      result_.rows.push_back(skipped_row("replay" + at, "replay", label, scale,
                                         "needs a daemon the bench starts (not with --url)"));
      return;
    }
    std::error_code ec;
    if (!fs::exists(o_.replay_bin, ec)) {
      result_.rows.push_back(skipped_row("replay" + at, "replay", label, scale,
                                         "signet-replay not built yet (looked for " + o_.replay_bin + ")"));
      return;
    }
    check_interrupted();
    stop_local(local, "load to " + scale_name(scale) + " (before replay)");
    std::string err = dir_ + "/replay.stderr";
    std::string cmd = "SIGNET_PATH=" + shell_quoted(ws) + " " + shell_quoted(o_.replay_bin) + " rebuild --workspace " +
                      shell_quoted(ws) + " --projection all --json 2>" + shell_quoted(err);
    progress("   %s", cmd.c_str());
    auto t0 = Clock::now();
    RunOutput out = run_command(cmd);
    double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    Row row = make_row("replay" + at, "replay", label, scale);
    auto j = json::parse(last_line(out.stdout_text), nullptr, false);
    if (out.exit_code != 0 || !j.is_object()) {
      row.set("errors", 1);
      row.note = "signet-replay exit " + std::to_string(out.exit_code) + ", last line: " + last_line(out.stdout_text);
      progress("!! %s", row.note.c_str());
    } else {
      row.set("events", j.value("events", 0.0))
          .set("events_per_s", j.value("events_per_s", 0.0))
          .set("rebuild_s", j.value("seconds", 0.0))
          .set("wall_s", wall)
          .set("errors", 0);
      progress("   replay: %.0f events in %.2f s (%.0f events/s)", *row.get("events"), *row.get("rebuild_s"),
               *row.get("events_per_s"));
    }
    result_.rows.push_back(row);
    local = start_local(ws);
    d = local.get();
  }

  const BenchOptions& o_;
  const AgentConfig& config_;
  const Workload& w_;
  std::string dir_;
  RoundResult result_;
};

}  // namespace

bool BenchOptions::wants_scales() const {
  for (const char* p : {"recall", "list", "health", "quality", "startup", "replay", "rss"})
    if (wants(p)) return true;
  return false;
}

void progress(const char* format, ...) {
  std::fputs("[bench] ", stderr);
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

RoundResult run_round(const BenchOptions& options, const AgentConfig& config, const Workload& workload,
                      const std::string& dir) {
  Round round(options, config, workload, dir);
  return round.run();
}

}  // namespace signet::bench
