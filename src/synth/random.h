// synth/random.h: the deterministic random numbers behind `medlake synth`.
//
// The generator must give the same bytes for the same seed on every machine, compiler and
// standard library, and regardless of how many threads it uses. So it does not use <random>'s
// distributions (their algorithms are unspecified) nor libm's transcendental functions (their
// last bit may differ between libraries): everything here is integer arithmetic, or IEEE-754
// additions, multiplications and divisions, which are exactly reproducible.
//
// Streams: every patient (and the organisation model) draws from its own `Rng`, seeded by
// `DeriveSeed(seed, domain, index)`, so patient 1234's history does not depend on the others.
//
// Thread-safety: an Rng is a value; use one per thread.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace medlake::synth {

// One step of SplitMix64 (Steele, Lea, Flood 2014): advances `state` and returns a mixed value.
uint64_t SplitMix64(uint64_t* state);

// A 64-bit seed for stream `index` of `domain` (a short label such as "patient") under the
// user's `seed`. Distinct (domain, index) pairs give unrelated streams.
uint64_t DeriveSeed(uint64_t seed, std::string_view domain, uint64_t index);

// xoshiro256** 1.0 (Blackman, Vigna 2018) with helpers for the distributions the generator uses.
class Rng {
 public:
  // The four words of state are filled from `seed` with SplitMix64, as the authors recommend.
  explicit Rng(uint64_t seed);

  uint64_t Next();
  // Uniform integer in [0, n); n must be > 0. Uses Lemire's multiply-shift with rejection, so
  // there is no modulo bias.
  uint64_t Below(uint64_t n);
  // Uniform integer in [lo, hi] (inclusive); requires lo <= hi.
  int64_t Between(int64_t lo, int64_t hi);
  // Uniform double in [0, 1) with 53 random bits.
  double Uniform();
  // True with probability p (p <= 0 never, p >= 1 always).
  bool Chance(double p);
  // Approximately normal(mean, sd): the Irwin-Hall sum of 12 uniforms, which needs no libm and
  // is bounded to mean +- 6 sd (fine for synthetic vital signs and lab values).
  double Normal(double mean, double sd);
  // Poisson(lambda) by Knuth's product method, with DeterministicExp; lambda is capped at 60
  // (more events than that per draw never happen in the generator's model).
  int Poisson(double lambda);
  // An index drawn with probability proportional to `weights[i]`; weights must not all be 0.
  size_t Weighted(std::span<const double> weights);
  // A fresh, independent generator (for example one per source system of a patient).
  Rng Fork();

 private:
  uint64_t s_[4];
};

// e^x for |x| <= 700 using only +, *, / (range reduction by halving, Taylor series, squaring),
// so that results are bit-identical everywhere. Accurate to about 1e-12 relative.
double DeterministicExp(double x);

}  // namespace medlake::synth
