#include "api/access_recorder.h"

#include "journal/log.h"

namespace signet::api {

AccessRecorder::AccessRecorder(engine::Engine& engine, std::chrono::milliseconds flush_interval, size_t ids_max)
    : engine_(engine), interval_(flush_interval), ids_max_(ids_max) {
  thread_ = std::thread([this] { loop(); });
}

AccessRecorder::~AccessRecorder() { stop(); }

void AccessRecorder::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  flush();
}

void AccessRecorder::record(const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  bool full;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& id : ids) counts_[id]++;
    full = counts_.size() >= ids_max_;
  }
  if (full) cv_.notify_one();
}

void AccessRecorder::flush() {
  std::unordered_map<std::string, uint32_t> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(counts_);
  }
  if (batch.empty()) return;
  engine::MemoriesAccessed e;
  e.ids.reserve(batch.size());
  e.counts.reserve(batch.size());
  for (auto& [id, n] : batch) {
    e.ids.push_back(id);
    e.counts.push_back(n);
  }
  engine::Context ctx;
  ctx.actor = {"recall", journal::ActorType::System, ""};
  auto r = engine_.record_accesses(e, ctx);
  // Frozen or out of space: access statistics wait; they are not worth an error.
  if (!r.ok()) log::get("memory")->debug("access counts not recorded: {}", r.status().ToString());
}

void AccessRecorder::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, interval_, [&] { return stop_ || counts_.size() >= ids_max_; });
    if (stop_) break;
    lock.unlock();
    flush();
    lock.lock();
  }
}

}  // namespace signet::api
