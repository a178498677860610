// Scheduled backups (agent.yaml backup: {schedule, keep, dest}): a thread that
// takes a hot backup every interval and prunes to `keep`. At start it takes one
// soon (2 s) if the newest backup is older than the interval.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "api/periodic_task.h"
#include "journal/journal.h"

namespace signet::api {

// "hourly", "daily", "weekly", "<N>m", "<N>h", "<N>d"; nullopt when "" or bad.
std::optional<std::chrono::seconds> parse_backup_schedule(const std::string& schedule);

class BackupScheduler {
 public:
  BackupScheduler(journal::Journal& journal, std::string workspace, std::string dest, std::chrono::seconds interval,
                  uint32_t keep);
  void stop() { task_.reset(); }

 private:
  void take();
  journal::Journal& journal_;
  std::string workspace_, dest_;
  uint32_t keep_;
  std::unique_ptr<PeriodicTask> task_;
};

}  // namespace signet::api
