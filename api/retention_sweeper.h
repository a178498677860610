// Retention: memories deleted longer ago than the recovery window (memory.
// recovery_window_days, the window in which recover still works) are purged,
// so they leave the memory table and both search indexes. Upstream's retention
// worker does the same every six hours. The events stay in the journal: history,
// as_of reads and restores still show them (docs/operations.md, "Retention").
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "api/periodic_task.h"
#include "api/services.h"

namespace signet::api {

struct SweepReport {
  int64_t cutoff_us = 0;  // memories deleted before this were due
  uint64_t examined = 0;  // memory rows read
  uint64_t purged = 0;
  uint64_t skipped = 0;   // due by the row, refused by the engine (recovered meanwhile)
  uint64_t seq = 0;       // the last purge's commit; 0 when nothing was purged
  double seconds = 0;
};

class RetentionSweeper {
 public:
  // Sweeps every `interval` (zero: only when asked), the first one a minute
  // after start.
  RetentionSweeper(Services& services, std::chrono::seconds interval);
  ~RetentionSweeper();  // stops
  void stop();

  // One sweep now (POST /api/repair/retention-sweep, whose request id the
  // purges carry). One sweep at a time: a second caller waits for the first.
  // kUnavailable once stopping.
  Result<SweepReport> sweep(const std::string& request_id = "");

 private:
  void sweep_and_log();
  Services& services_;
  std::mutex sweep_mu_;  // one sweep at a time
  std::atomic<bool> stop_{false};
  std::unique_ptr<PeriodicTask> task_;  // null when interval is zero
};

}  // namespace signet::api
