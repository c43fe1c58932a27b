// core/clock.h: the time seam. Code that needs "now" takes a Clock& so tests can use a
// ManualClock (core/testing/manual_clock.h) instead of the wall clock.
//
// Thread-safety: SystemClock is stateless and thread-safe.
#pragma once

#include <cstdint>

namespace medlake {

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the Unix epoch, UTC (wall clock; may jump).
  virtual int64_t NowMicros() const = 0;
  // Monotonic nanoseconds from an arbitrary origin, for measuring durations.
  virtual int64_t MonotonicNanos() const = 0;
  int64_t NowMillis() const { return NowMicros() / 1000; }
};

class SystemClock : public Clock {
 public:
  int64_t NowMicros() const override;
  int64_t MonotonicNanos() const override;
  // A process-wide instance (stateless, so sharing it is safe).
  static const Clock& Default();
};

}  // namespace medlake
