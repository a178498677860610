#include <algorithm>
#include <vector>

#include "projections/projection.h"

namespace signet::projections {

ProjectionRunner::ProjectionRunner(journal::Journal& journal, Projection& projection, RunnerOptions options)
    : journal_(journal), projection_(projection), options_(options) {
  checkpoint_ = projection_.checkpoint();
}

ProjectionRunner::~ProjectionRunner() { stop(); }

void ProjectionRunner::start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (thread_.joinable()) return;
    stop_ = false;
    checkpoint_ = projection_.checkpoint();
  }
  // Registered without mu_ held: the journal's writer calls listeners under
  // its own lock, and the listener takes mu_ (lock order: journal, then runner).
  listener_id_ = journal_.on_commit([this](uint64_t seq) {
    {
      std::lock_guard<std::mutex> l(mu_);
      notified_seq_ = seq;
    }
    cv_.notify_one();
  });
  std::lock_guard<std::mutex> lock(mu_);
  thread_ = std::thread([this] { loop(); });
}

void ProjectionRunner::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  applied_cv_.notify_all();
  thread_.join();
  journal_.remove_listener(listener_id_);
}

Status ProjectionRunner::step(size_t& applied) {
  applied = 0;
  uint64_t from = projection_.checkpoint() + 1;
  if (from > journal_.last_seq()) return Status::Ok();
  SIGNET_ASSIGN_OR_RETURN(auto events, journal_.read(from, options_.batch_events_max, options_.batch_bytes_max));
  if (events.empty()) return Status::Ok();
  SIGNET_TRY(projection_.apply(events));
  applied = events.size();
  applied_events_ += applied;
  {
    std::lock_guard<std::mutex> lock(mu_);
    checkpoint_ = projection_.checkpoint();
  }
  applied_cv_.notify_all();
  return Status::Ok();
}

void ProjectionRunner::loop() {
  auto backoff = std::chrono::milliseconds(100);
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || journal_.last_seq() > checkpoint_.load(); });
      if (stop_) return;
      if (options_.linger.count() > 0) {
        // Gather a batch, unless someone waits or the batch is full already.
        auto full = [&] { return journal_.last_seq() - checkpoint_.load() >= options_.batch_events_max; };
        cv_.wait_for(lock, options_.linger, [&] { return stop_ || waiters_.load() > 0 || full(); });
        if (stop_) return;
      }
    }
    size_t applied = 0;
    Status st = step(applied);
    if (st.ok()) {
      if (failed_.load()) {
        std::lock_guard<std::mutex> lock(mu_);
        failed_ = false;
        error_.clear();
      }
      backoff = std::chrono::milliseconds(100);
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      error_ = "projection " + std::string(projection_.name()) + " stopped at checkpoint_seq " +
               std::to_string(projection_.checkpoint()) + ": " + st.ToString();
      failed_ = true;
    }
    applied_cv_.notify_all();
    std::unique_lock<std::mutex> lock(mu_);
    if (st.code() == Code::kCorruption) {
      // Damaged data is never skipped: stay stopped and say so (/health).
      cv_.wait(lock, [&] { return stop_; });
      return;
    }
    // A full disk or another I/O failure passes: try again, more slowly each time.
    error_ += " (retrying)";
    cv_.wait_for(lock, backoff, [&] { return stop_; });
    if (stop_) return;
    backoff = std::min(backoff * 2, std::chrono::milliseconds(10000));
  }
}

Status ProjectionRunner::catch_up() {
  for (;;) {
    size_t applied = 0;
    SIGNET_TRY(step(applied));
    if (applied == 0) return Status::Ok();
  }
}

bool ProjectionRunner::wait_for(uint64_t seq, std::chrono::milliseconds timeout) const {
  if (checkpoint_.load() >= seq) return true;
  std::unique_lock<std::mutex> lock(mu_);
  ++waiters_;
  cv_.notify_all();  // a lingering runner applies now
  applied_cv_.wait_for(lock, timeout, [&] { return checkpoint_.load() >= seq || failed_.load() || stop_; });
  --waiters_;
  return checkpoint_.load() >= seq;
}

RunnerProgress ProjectionRunner::progress() const {
  RunnerProgress p;
  p.checkpoint_seq = checkpoint_.load();
  p.journal_last_seq = journal_.last_seq();
  p.applied_events = applied_events_.load();
  p.failed = failed_.load();
  if (p.failed) {
    std::lock_guard<std::mutex> lock(mu_);
    p.error = error_;
  }
  return p;
}

}  // namespace signet::projections
