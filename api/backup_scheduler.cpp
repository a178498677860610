#include "api/backup_scheduler.h"

#include <cstdlib>

#include "api/workspace_backup.h"
#include "journal/clock.h"
#include "journal/log.h"

namespace signet::api {

std::optional<std::chrono::seconds> parse_backup_schedule(const std::string& s) {
  using namespace std::chrono;
  if (s == "hourly") return hours(1);
  if (s == "daily") return hours(24);
  if (s == "weekly") return hours(24 * 7);
  if (s.size() < 2) return std::nullopt;
  char unit = s.back();
  char* end = nullptr;
  long n = std::strtol(s.c_str(), &end, 10);
  if (end != s.c_str() + s.size() - 1 || n <= 0) return std::nullopt;
  if (unit == 'm') return minutes(n);
  if (unit == 'h') return hours(n);
  if (unit == 'd') return hours(24 * n);
  return std::nullopt;
}

BackupScheduler::BackupScheduler(journal::Journal& journal, std::string workspace, std::string dest,
                                 std::chrono::seconds interval, uint32_t keep)
    : journal_(journal), workspace_(std::move(workspace)), dest_(std::move(dest)), keep_(keep) {
  // The first one: soon if the newest backup is older than the interval.
  std::chrono::milliseconds first = interval;
  auto existing = list_workspace_backups(dest_);
  int64_t now_us = SystemClock::instance()->now_us();
  if (!existing.ok() || existing->empty() ||
      now_us - existing->back().created_us > std::chrono::duration_cast<std::chrono::microseconds>(interval).count())
    first = std::chrono::seconds(2);
  task_ = std::make_unique<PeriodicTask>(first, interval, [this] { take(); });
}

void BackupScheduler::take() {
  auto log = log::get("backup");
  auto b = create_backup(journal_, workspace_, dest_);
  if (b.ok()) {
    log->info("backup {} taken: journal up to seq {}, {} files, in {}", b->id, b->last_seq, b->files, dest_);
    Status pruned = prune_backups(dest_, keep_);
    if (!pruned.ok()) log->warn("pruning backups in {}: {}", dest_, pruned.ToString());
  } else {
    log->error("scheduled backup into {} failed: {}", dest_, b.status().ToString());
  }
}

}  // namespace signet::api
