// Injected time (docs/ARCHITECTURE.md rule 9): code that checks expiry or skew takes a
// Clock&, tests pass a FakeClock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace certme {

using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time. Safe for concurrent use.
  virtual TimePoint Now() const = 0;
  int64_t NowUnixSeconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(Now().time_since_epoch()).count();
  }
  int64_t NowUnixMillis() const { return Now().time_since_epoch().count(); }
};

// The process-wide real clock.
Clock& SystemClock();

// A clock tests move by hand. Safe for concurrent use.
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t unix_millis = 1'700'000'000'000) : ms_(unix_millis) {}
  TimePoint Now() const override { return TimePoint(Duration(ms_.load())); }
  void Advance(Duration d) { ms_ += d.count(); }
  void SetUnixMillis(int64_t ms) { ms_ = ms; }

 private:
  std::atomic<int64_t> ms_;
};

}  // namespace certme
