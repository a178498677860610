// The embedding worker: keeps every live memory embedded with the configured
// model. It tails the journal for new or changed content (skipping what was
// embedded inline in the same commit), works through a backlog found at start
// (after a crash, a provider outage, or a model change), calls the provider
// outside any lock, and records each vector as an EmbeddingRecorded event, so
// no rebuild ever calls a provider again.
//
// A provider that fails is retried with exponential backoff (base doubling to
// max, with jitter); memories stay keyword-searchable meanwhile, and status()
// says what is wrong. A memory whose text fails attempts_max times in a row is
// set aside (counted as dead) until the next restart.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/embedding/embedder.h"
#include "engine/engine.h"

namespace signet::engine {

struct EmbeddingWorkerOptions {
  size_t batch_size = 16;
  std::chrono::milliseconds backoff_base{1000};
  std::chrono::milliseconds backoff_max{30000};
  uint32_t attempts_max = 5;
  size_t read_events_max = 1024;  // journal events per read while following commits
};

// Ids of live memories without a current embedding of `model`, at most `max`.
using EmbeddingBacklog = std::function<Result<std::vector<std::string>>(const std::string& model, size_t max)>;

struct EmbeddingWorkerStatus {
  bool running = false;
  bool provider_ok = true;       // the last call succeeded (or none was needed)
  std::string last_error;
  int64_t last_error_us = 0;
  int64_t last_success_us = 0;
  int64_t next_retry_us = 0;     // when backing off
  uint32_t consecutive_failures = 0;
  uint64_t embedded = 0;         // vectors recorded since start
  uint64_t failures = 0;         // failed provider calls since start
  uint64_t dead = 0;             // memories set aside
  size_t pending = 0;            // memories waiting
};

class EmbeddingWorker {
 public:
  EmbeddingWorker(journal::Journal& journal, Engine& engine, Embedder& embedder, EmbeddingBacklog backlog,
                  EmbeddingWorkerOptions options = {}, const Clock* clock = SystemClock::instance());
  ~EmbeddingWorker();
  EmbeddingWorker(const EmbeddingWorker&) = delete;
  EmbeddingWorker& operator=(const EmbeddingWorker&) = delete;

  void start();  // scans the backlog, then follows the journal from its head
  void stop();
  EmbeddingWorkerStatus status() const;

 private:
  void loop();
  void follow_journal();
  bool process_batch();  // false when there was nothing to do
  void enqueue(const std::string& id);
  void backoff_wait();

  journal::Journal& journal_;
  Engine& engine_;
  Embedder& embedder_;
  EmbeddingBacklog backlog_;
  EmbeddingWorkerOptions options_;
  const Clock* clock_;
  uint64_t listener_id_ = 0;
  uint64_t cursor_ = 0;  // last journal seq looked at (worker thread only)
  bool scan_backlog_ = true;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  std::deque<std::string> queue_;             // guarded by mu_
  std::unordered_set<std::string> queued_;    // guarded by mu_
  std::unordered_map<std::string, uint32_t> attempts_;  // worker thread only
  std::unordered_set<std::string> dead_;      // worker thread only
  EmbeddingWorkerStatus status_;              // guarded by mu_
  std::thread thread_;
};

}  // namespace signet::engine
