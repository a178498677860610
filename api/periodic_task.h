// A background thread that runs a task after a first delay and then at a
// fixed interval until stopped: the shape of scheduled backups and of the
// retention sweep. stop() wakes the wait at once; a run in progress finishes.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace signet::api {

class PeriodicTask {
 public:
  PeriodicTask(std::chrono::milliseconds first, std::chrono::milliseconds interval, std::function<void()> task);
  ~PeriodicTask();  // stops
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  void stop();  // returns once the thread has ended
  bool stopping() const { return stop_.load(); }

 private:
  void loop(std::chrono::milliseconds first);
  const std::chrono::milliseconds interval_;
  const std::function<void()> task_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace signet::api
