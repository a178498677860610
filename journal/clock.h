// Time: the clock the journal stamps commits with, and ISO-8601 text.
//
// Commit times (ts_us) are microseconds since the Unix epoch, UTC. The API
// shows them as ISO-8601 with milliseconds ("2026-02-21T10:00:00.000Z").
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "journal/status.h"

namespace signet {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_us() const = 0;
};

// The wall clock.
class SystemClock final : public Clock {
 public:
  int64_t now_us() const override;
  static const SystemClock* instance();
};

// A clock tests move by hand (the 30-day recovery window, retention).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_us) : now_us_(start_us) {}
  int64_t now_us() const override { return now_us_.load(); }
  void advance_us(int64_t delta_us) { now_us_ += delta_us; }
  void set_us(int64_t us) { now_us_ = us; }

 private:
  std::atomic<int64_t> now_us_;
};

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

// "2026-02-21T10:00:00.000Z" (UTC, milliseconds, truncated).
std::string format_iso8601_ms(int64_t ts_us);

// Accepts "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff…]]" with "Z", "+HH:MM",
// "-HH:MM" or no zone (taken as UTC), and a space instead of "T".
Result<int64_t> parse_iso8601(std::string_view text);

// The last microsecond of the unit `text` is given to: "…10:00:00.123Z" is
// 10:00:00.123999, "…10:00Z" is 10:00:59.999999, a date is its last
// microsecond. For "as of" cuts: the API shows times to the millisecond, and
// "as of" a memory's created_at must include that memory.
Result<int64_t> parse_iso8601_end(std::string_view text);

}  // namespace signet
