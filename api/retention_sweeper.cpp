#include "api/retention_sweeper.h"

#include <algorithm>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/memory_record.h"
#include "journal/log.h"

namespace signet::api {
namespace {

// Ids gathered per scan of the memory rows. A scan holds no lock, but it
// reads through the live projection pointer, which a side-by-side rebuild
// keeps alive only for a grace period: bounded passes keep each one short.
constexpr size_t kIdsPerPass = 10'000;
constexpr std::chrono::seconds kFirstSweepAfter{60};

}  // namespace

RetentionSweeper::RetentionSweeper(Services& services, std::chrono::seconds interval) : services_(services) {
  if (interval.count() > 0)
    task_ = std::make_unique<PeriodicTask>(std::min<std::chrono::milliseconds>(kFirstSweepAfter, interval), interval,
                                           [this] { sweep_and_log(); });
}

RetentionSweeper::~RetentionSweeper() { stop(); }

void RetentionSweeper::stop() {
  stop_ = true;  // a sweep in progress (timer or route) ends at its next purge
  task_.reset();
}

Result<SweepReport> RetentionSweeper::sweep(const std::string& request_id) {
  std::lock_guard<std::mutex> one(sweep_mu_);
  auto started = std::chrono::steady_clock::now();
  const auto& options = services_.engine->options();
  SweepReport report;
  report.cutoff_us = options.clock->now_us() - options.recovery_window_us;

  // Rows must show every deletion committed so far, or a due tombstone is
  // missed until the next sweep (never purged early: the engine checks).
  services_.memories_runner->wait_for(services_.journal->last_seq(), std::chrono::seconds(30));
  SIGNET_ASSIGN_OR_RETURN(auto stats, services_.memories->stats());
  if (stats.deleted == 0) return report;  // the usual case: no row to read

  engine::Context ctx;
  ctx.actor = {"retention", journal::ActorType::System, ""};
  ctx.request_id = request_id;
  std::unordered_set<std::string> refused;
  for (;;) {
    if (stop_) return Status::Unavailable("the daemon is stopping");
    std::vector<std::string> due;
    Status st = services_.memories->scan_rows([&](std::string_view key, std::string_view value) {
      if (key.substr(0, 2) != "r/") return false;  // past the rows
      ++report.examined;
      auto m = engine::decode_memory(value);
      if (m.ok() && m->deleted && !m->purged && m->deleted_at_us < report.cutoff_us && !refused.contains(m->id))
        due.push_back(m->id);
      return due.size() < kIdsPerPass;
    }, "r/");
    SIGNET_TRY(st);
    for (const auto& id : due) {
      if (stop_) return Status::Unavailable("the daemon is stopping");
      engine::PurgeCommand cmd{id, "retention window passed", ctx, report.cutoff_us};
      SIGNET_ASSIGN_OR_RETURN(auto out, services_.engine->purge(cmd));
      if (out.refusal) {
        ++report.skipped;
        refused.insert(id);
      } else {
        ++report.purged;
        report.seq = out.seq;
      }
    }
    if (due.size() < kIdsPerPass) break;
    // Purged rows leave the projection once it applies them; wait so the next
    // pass does not find them again.
    services_.memories_runner->wait_for(report.seq, std::chrono::seconds(30));
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (report.purged > 0 || report.skipped > 0)
    log::get("retention")
        ->info("purged {} memories deleted before {} ({} rows read, {} recovered meanwhile) in {:.3f} s",
               report.purged, format_iso8601_ms(report.cutoff_us), report.examined, report.skipped, report.seconds);
  return report;
}

void RetentionSweeper::sweep_and_log() {
  auto r = sweep();
  if (!r.ok() && !stop_) log::get("retention")->error("retention sweep failed: {}", r.status().ToString());
}

}  // namespace signet::api
