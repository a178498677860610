// Scheduled backups (agent.yaml backup: {schedule, keep, dest}): a thread that
// takes a hot backup every interval and prunes to `keep`. At start it takes one
// soon (2 s) if the newest backup is older than the interval.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "journal/journal.h"

namespace signet::api {

// "hourly", "daily", "weekly", "<N>m", "<N>h", "<N>d"; nullopt when "" or bad.
std::optional<std::chrono::seconds> parse_backup_schedule(const std::string& schedule);

class BackupScheduler {
 public:
  BackupScheduler(journal::Journal& journal, std::string workspace, std::string dest, std::chrono::seconds interval,
                  uint32_t keep);
  ~BackupScheduler();  // stops
  void stop();

 private:
  void loop();
  journal::Journal& journal_;
  std::string workspace_, dest_;
  std::chrono::seconds interval_;
  uint32_t keep_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace signet::api
