// core/testing/manual_clock.h: a Clock that moves only when the test says so (test-only).
#pragma once

#include <atomic>

#include "core/clock.h"

namespace medlake {

class ManualClock : public Clock {
 public:
  explicit ManualClock(int64_t now_micros = 1'700'000'000'000'000) : now_(now_micros) {}
  int64_t NowMicros() const override { return now_.load(); }
  int64_t MonotonicNanos() const override { return now_.load() * 1000; }
  void AdvanceMicros(int64_t d) { now_ += d; }
  void SetMicros(int64_t t) { now_ = t; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace medlake
