// Recall bumps access_count and last_accessed of what it returns. Doing that
// with one journal write per result would put an fsync on every recall; the
// recorder instead counts in memory and commits one MemoriesAccessed event
// per flush (every flush_interval, or sooner when many ids are waiting).
// A crash loses at most one interval of access counts — statistics, not memories.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "engine/engine.h"

namespace signet::api {

class AccessRecorder {
 public:
  // ids_max: distinct ids that force a flush before the interval is up. At
  // 4,096, eight recall clients on 10k memories filled it twelve times a
  // second: twelve journal commits and 50k counter merges a second, and 1.3 ms
  // on recall's p99. At 16,384 a store of up to about 16k memories flushes
  // once a second, each memory at most once.
  explicit AccessRecorder(engine::Engine& engine, std::chrono::milliseconds flush_interval = std::chrono::seconds(1),
                          size_t ids_max = 16384);
  ~AccessRecorder();  // flushes
  void record(const std::vector<std::string>& ids);
  void flush();
  void stop();

 private:
  void loop();
  engine::Engine& engine_;
  std::chrono::milliseconds interval_;
  size_t ids_max_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, uint32_t> counts_;  // guarded by mu_
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace signet::api
