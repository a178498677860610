// A read model built from the journal, and the runner that keeps it current.
//
// Every projection stores its checkpoint (the last applied seq) atomically
// with its data, so after a crash it resumes exactly where its data is. A
// projection whose stored version differs from version() drops its data when
// opened and is rebuilt from seq 1 by its runner.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "journal/event.h"
#include "journal/journal.h"
#include "journal/status.h"

namespace signet::projections {

class Projection {
 public:
  virtual ~Projection() = default;
  virtual std::string_view name() const = 0;
  virtual uint32_t version() const = 0;       // bump => rebuilt from seq 1 on open
  virtual uint64_t checkpoint() const = 0;    // last applied seq
  // Applies events in seq order. Events at or below checkpoint() are skipped,
  // so applying twice is harmless. Commits data and checkpoint together.
  virtual Status apply(std::span<const journal::Event> events) = 0;
  virtual Status reset() = 0;                 // drop everything; checkpoint() == 0
};

struct RunnerOptions {
  size_t batch_events_max = 2048;
  size_t batch_bytes_max = journal::Journal::kReadBatchBytes;
  // For projections whose commit is costly (Xapian): wait up to this long for
  // more events before applying, unless a reader is waiting for one. Writes
  // then share commits, and a read right after a write is not delayed.
  std::chrono::milliseconds linger{0};
};

struct RunnerProgress {
  uint64_t checkpoint_seq = 0;
  uint64_t journal_last_seq = 0;
  uint64_t applied_events = 0;  // since start
  bool failed = false;
  std::string error;            // why the runner stopped, if it did
};

// One thread per projection: tails the journal from checkpoint()+1, woken on
// every commit, applying events in batches. A corrupt record stops the runner
// for good and is reported; it is never skipped. Other failures (a full disk)
// are reported and retried with backoff until they pass.
class ProjectionRunner {
 public:
  ProjectionRunner(journal::Journal& journal, Projection& projection, RunnerOptions options = {});
  ~ProjectionRunner();  // stops
  ProjectionRunner(const ProjectionRunner&) = delete;
  ProjectionRunner& operator=(const ProjectionRunner&) = delete;

  void start();
  void stop();  // returns after the current batch is committed

  // Blocks until the projection has applied `seq` or the timeout passes.
  bool wait_for(uint64_t seq, std::chrono::milliseconds timeout) const;
  // Applies everything up to the journal's head on the calling thread (the runner must be stopped).
  Status catch_up();

  RunnerProgress progress() const;
  Projection& projection() { return projection_; }

 private:
  void loop();
  Status step(size_t& applied);

  journal::Journal& journal_;
  Projection& projection_;
  RunnerOptions options_;
  uint64_t listener_id_ = 0;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;        // wakes the runner: new commit or stop
  mutable std::condition_variable applied_cv_;  // wakes readers waiting for a seq
  bool stop_ = false;
  uint64_t notified_seq_ = 0;
  std::atomic<uint64_t> checkpoint_{0};
  std::atomic<uint64_t> applied_events_{0};
  mutable std::atomic<int> waiters_{0};  // readers in wait_for: the runner stops lingering
  std::atomic<bool> failed_{false};
  std::string error_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace signet::projections
