// signet-replay: offline work on a workspace's journal. verify checks every
// record; rebuild replays the journal into projections — in place when no
// daemon serves the workspace, or into another directory at any time (a full
// workspace: the journal cut where asked, its config, and fresh projections).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/lifecycle.h"
#include "api/workspace_backup.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "journal/clock.h"
#include "journal/journal.h"
#include "projections/rebuild.h"

namespace fs = std::filesystem;
using namespace signet;

namespace {

constexpr const char* kUsage = R"(usage:
  signet-replay verify  --workspace DIR
  signet-replay rebuild --workspace DIR [--projection memories|fts|vectors|timeline|all]
                        [--to-seq N | --until ISO-TIME] [--out DIR] [--json]

verify   checks every record's checksum, seq density and stream versions;
         exits 1 naming the first bad seq.
rebuild  replays the journal into projections. In place only while no daemon
         serves the workspace; with --out, writes a complete workspace there
         (the journal up to the cut, config files, projections) at any time.
         A cut (--to-seq, --until) needs --out.
)";

struct Args {
  std::string command;
  std::string workspace;
  std::string projection = "all";
  std::string out;
  std::optional<uint64_t> to_seq;
  std::optional<std::string> until;
  bool json = false;
};

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "signet-replay: %s\n\n%s", msg.c_str(), kUsage);
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  if (argc < 2) usage_error("no command");
  a.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(k + " needs a value");
      return argv[++i];
    };
    if (k == "--workspace") a.workspace = value();
    else if (k == "--projection") a.projection = value();
    else if (k == "--out") a.out = value();
    else if (k == "--to-seq") {
      std::string v = value();
      char* end = nullptr;
      unsigned long long n = std::strtoull(v.c_str(), &end, 10);
      if (*end != '\0' || v.empty()) usage_error("--to-seq must be a number");
      a.to_seq = n;
    } else if (k == "--until") a.until = value();
    else if (k == "--json") a.json = true;
    else if (k == "--help" || k == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else usage_error("unknown option " + k);
  }
  if (a.workspace.empty()) usage_error("--workspace is required");
  if (a.to_seq && a.until) usage_error("give --to-seq or --until, not both");
  return a;
}

Result<std::unique_ptr<journal::Journal>> open_journal(const std::string& workspace) {
  fs::path p = fs::path(workspace) / "memory" / "journal";
  std::error_code ec;
  if (!fs::is_directory(p, ec)) return Status::NotFound("no journal at " + p.string());
  journal::JournalOptions o;
  o.path = p.string();
  o.model = &engine::Engine::stream_model();
  o.read_only = true;
  return journal::Journal::open(o);
}

// "\r rebuilding  45.0%  seq 45000/100000  120000 events/s" on a terminal.
class Progress {
 public:
  explicit Progress(std::string label) : label_(std::move(label)), tty_(isatty(STDERR_FILENO)) {}
  void update(uint64_t seq, uint64_t total) {
    if (!tty_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200) && seq != total) return;
    last_ = now;
    double secs = std::chrono::duration<double>(now - start_).count();
    double pct = total ? 100.0 * static_cast<double>(seq) / static_cast<double>(total) : 100.0;
    std::fprintf(stderr, "\r%s %5.1f%%  seq %llu/%llu  %.0f events/s   ", label_.c_str(), pct,
                 static_cast<unsigned long long>(seq), static_cast<unsigned long long>(total),
                 secs > 0 ? static_cast<double>(seq) / secs : 0.0);
  }
  void done() {
    if (tty_) std::fputc('\n', stderr);
  }

 private:
  std::string label_;
  bool tty_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_;
};

int verify(const Args& a) {
  auto j = open_journal(a.workspace);
  if (!j.ok()) {
    std::fprintf(stderr, "signet-replay: %s\n", j.status().message().c_str());
    return 1;
  }
  Progress progress("verifying");
  uint64_t last = (*j)->last_seq();
  auto started = std::chrono::steady_clock::now();
  auto report = (*j)->verify([&](uint64_t seq) { progress.update(seq, last); });
  progress.done();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!report.ok()) {
    std::fprintf(stderr, "signet-replay: journal is damaged: %s\n", report.status().message().c_str());
    return 1;
  }
  std::printf("journal OK: %llu events, last seq %llu, %llu streams, verified in %.2f s\n",
              static_cast<unsigned long long>(report->events), static_cast<unsigned long long>(report->last_seq),
              static_cast<unsigned long long>(report->streams), secs);
  return 0;
}

int rebuild(const Args& a) {
  auto kinds = projections::parse_projection_list(a.projection);
  if (!kinds.ok()) usage_error(kinds.status().message());
  bool in_place = a.out.empty();
  if (in_place && (a.to_seq || a.until))
    usage_error("a cut (--to-seq, --until) needs --out DIR: the daemon would replay past it in place");

  std::unique_ptr<api::lifecycle::WorkspaceLock> lock;
  if (in_place) {
    auto paths = api::lifecycle::Paths::of(a.workspace, "", "");
    auto l = api::lifecycle::WorkspaceLock::acquire(paths);
    if (!l.ok()) {
      std::fprintf(stderr,
                   "signet-replay: %s.\nStop it first (signet daemon stop), rebuild into another directory with "
                   "--out DIR, or ask the daemon: POST /api/repair/rebuild\n",
                   l.status().message().c_str());
      return 1;
    }
    lock = std::move(*l);
  }
  auto src = open_journal(a.workspace);
  if (!src.ok()) {
    std::fprintf(stderr, "signet-replay: %s\n", src.status().message().c_str());
    return 1;
  }
  uint64_t cut = (*src)->last_seq();
  if (a.to_seq) cut = std::min(cut, *a.to_seq);
  if (a.until) {
    auto t = parse_iso8601_end(*a.until);
    if (!t.ok()) usage_error("--until: " + t.status().message());
    auto at = (*src)->last_seq_at(*t);
    if (!at.ok()) {
      std::fprintf(stderr, "signet-replay: %s\n", at.status().message().c_str());
      return 1;
    }
    cut = *at;
  }

  auto config = engine::load_config(a.workspace);
  if (!config.ok()) {
    std::fprintf(stderr, "signet-replay: %s\n", config.status().message().c_str());
    return 1;
  }
  engine::EmbeddingConfig ec = engine::with_defaults(config->embedding);
  projections::VectorOptions fallback;
  fallback.model = ec.model;
  fallback.dims = ec.dimensions;
  fallback.hnsw_threshold = config->search.hnsw_threshold;

  std::string target = a.workspace;
  std::unique_ptr<journal::Journal> copy;
  const journal::Journal* replay_from = src->get();
  if (!in_place) {
    target = a.out;
    fs::path out_journal = fs::path(a.out) / "memory" / "journal";
    std::error_code err;
    if (fs::exists(out_journal, err)) {
      std::fprintf(stderr, "signet-replay: %s already exists; choose an empty --out directory\n",
                   out_journal.c_str());
      return 1;
    }
    auto copied = api::copy_journal(**src, out_journal.string(), cut);
    if (!copied.ok()) {
      std::fprintf(stderr, "signet-replay: %s\n", copied.status().message().c_str());
      return 1;
    }
    auto files = api::copy_workspace_files(a.workspace, a.out);
    if (!files.ok()) std::fprintf(stderr, "signet-replay: warning: %s\n", files.status().message().c_str());
    journal::JournalOptions o;
    o.path = out_journal.string();
    o.model = &engine::Engine::stream_model();
    o.read_only = true;
    auto j = journal::Journal::open(o);
    if (!j.ok()) {
      std::fprintf(stderr, "signet-replay: %s\n", j.status().message().c_str());
      return 1;
    }
    copy = std::move(*j);
    replay_from = copy.get();
  }
  auto vo = projections::vector_options_at(*replay_from, cut, fallback);
  if (!vo.ok()) {
    std::fprintf(stderr, "signet-replay: %s\n", vo.status().message().c_str());
    return 1;
  }
  projections::RebuildOptions ro;
  ro.workspace = target;
  ro.projections = *kinds;
  ro.to_seq = cut;
  ro.vectors = *vo;
  Progress progress("rebuilding");
  ro.progress = [&](uint64_t seq, uint64_t total) { progress.update(seq, total); };
  auto report = projections::rebuild_projections(*replay_from, ro);
  progress.done();
  if (!report.ok()) {
    std::fprintf(stderr, "signet-replay: %s\n", report.status().message().c_str());
    return 1;
  }
  std::string names;
  for (auto k : *kinds) names += (names.empty() ? "" : ", ") + std::string(projections::projection_kind_name(k));
  std::printf("rebuilt %s in %s from %llu events (seq 1..%llu) in %.2f s: %.0f events/s\n", names.c_str(),
              target.c_str(), static_cast<unsigned long long>(report->events),
              static_cast<unsigned long long>(report->to_seq), report->seconds, report->events_per_s());
  if (a.json) {
    nlohmann::json j = {{"events", report->events},         {"to_seq", report->to_seq},
                        {"seconds", report->seconds},       {"events_per_s", report->events_per_s()},
                        {"projections", names},             {"workspace", target},
                        {"embedding_model", ro.vectors.model}};
    std::printf("%s\n", j.dump().c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parse(argc, argv);
  if (a.command == "verify") return verify(a);
  if (a.command == "rebuild") return rebuild(a);
  usage_error("unknown command " + a.command);
}
