// synth/faults.h: deciding where to inject faults (`--error-rate`).
//
// Each patient has its own fault stream, separate from the stream that draws the clinical
// data, so the same seed gives the same clean records at every error rate: a fault replaces a
// good record by a broken copy, it never shifts the rest. Fault kinds are listed in README.md.
//
// Thread-safety: a value; one per patient and thread.
#pragma once

#include <cstdint>

#include "synth/random.h"

namespace medlake::synth {

class FaultInjector {
 public:
  FaultInjector(double rate, uint64_t seed, uint64_t patient_index)
      : rate_(rate), rng_(DeriveSeed(seed, "faults", patient_index)) {}

  // True when the next record gets a fault (probability `rate`); always false at rate 0.
  bool Roll() { return rate_ > 0 && rng_.Chance(rate_); }
  // A uniform choice in [0, n) for the kind of fault; n > 0.
  uint64_t Pick(uint64_t n) { return rng_.Below(n); }

 private:
  double rate_;
  Rng rng_;
};

}  // namespace medlake::synth
