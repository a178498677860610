// PeriodicTask: runs after the first delay, then again at the interval; stop()
// wakes a long wait at once and no run starts after it.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "api/periodic_task.h"

using namespace signet::api;
using namespace std::chrono_literals;

namespace {
bool within(std::chrono::seconds limit, const std::function<bool()>& pred) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return pred();
}
}  // namespace

TEST_CASE("a periodic task runs first after its delay, then at its interval", "[api][periodic]") {
  std::atomic<int> runs{0};
  PeriodicTask task(1ms, 5ms, [&] { ++runs; });
  CHECK(within(10s, [&] { return runs >= 3; }));
  task.stop();
  int at_stop = runs;
  std::this_thread::sleep_for(30ms);
  CHECK(runs == at_stop);
}

TEST_CASE("stop wakes a long wait and the task never runs", "[api][periodic]") {
  std::atomic<int> runs{0};
  auto started = std::chrono::steady_clock::now();
  {
    PeriodicTask task(std::chrono::hours(1), std::chrono::hours(1), [&] { ++runs; });
    CHECK_FALSE(task.stopping());
    task.stop();
    CHECK(task.stopping());
  }
  // Not a speed check: an hour-long wait that stop() did not wake would hang here.
  CHECK(std::chrono::steady_clock::now() - started < 60s);
  CHECK(runs == 0);
}
