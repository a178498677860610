#include "api/periodic_task.h"

namespace signet::api {

PeriodicTask::PeriodicTask(std::chrono::milliseconds first, std::chrono::milliseconds interval,
                           std::function<void()> task)
    : interval_(interval), task_(std::move(task)) {
  thread_ = std::thread([this, first] { loop(first); });
}

PeriodicTask::~PeriodicTask() { stop(); }

void PeriodicTask::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeriodicTask::loop(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (cv_.wait_for(lock, wait, [&] { return stop_.load(); })) break;
    lock.unlock();
    task_();
    lock.lock();
    wait = interval_;
  }
}

}  // namespace signet::api
