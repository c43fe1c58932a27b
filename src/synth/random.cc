#include "synth/random.h"

namespace medlake::synth {
namespace {

// __extension__ keeps -Wpedantic quiet about the GCC/Clang 128-bit integer type.
__extension__ typedef unsigned __int128 Uint128;

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t DeriveSeed(uint64_t seed, std::string_view domain, uint64_t index) {
  // FNV-1a over the domain label, then SplitMix64 mixing of the three parts in sequence.
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : domain) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  uint64_t state = seed;
  uint64_t a = SplitMix64(&state);
  state = a ^ h;
  uint64_t b = SplitMix64(&state);
  state = b ^ index;
  SplitMix64(&state);
  return SplitMix64(&state);
}

Rng::Rng(uint64_t seed) {
  uint64_t state = seed;
  for (auto& word : s_)
    word = SplitMix64(&state);
}

uint64_t Rng::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

uint64_t Rng::Below(uint64_t n) {
  // Lemire, "Fast Random Integer Generation in an Interval" (2019).
  Uint128 m = static_cast<Uint128>(Next()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<Uint128>(Next()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

int64_t Rng::Between(int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
}

double Rng::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

bool Rng::Chance(double p) {
  if (p <= 0)
    return false;
  if (p >= 1)
    return true;
  return Uniform() < p;
}

double Rng::Normal(double mean, double sd) {
  double sum = 0;
  for (int i = 0; i < 12; ++i)
    sum += Uniform();
  return mean + sd * (sum - 6.0);
}

int Rng::Poisson(double lambda) {
  if (lambda <= 0)
    return 0;
  if (lambda > 60)
    lambda = 60;
  const double limit = DeterministicExp(-lambda);
  int k = 0;
  double p = Uniform();
  while (p > limit) {
    ++k;
    p *= Uniform();
  }
  return k;
}

size_t Rng::Weighted(std::span<const double> weights) {
  double total = 0;
  for (double w : weights)
    total += w;
  double x = Uniform() * total;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (x < weights[i])
      return i;
    x -= weights[i];
  }
  // Rounding can leave x just above the last bucket: the last non-zero weight wins.
  for (size_t i = weights.size(); i > 0; --i) {
    if (weights[i - 1] > 0)
      return i - 1;
  }
  return 0;
}

Rng Rng::Fork() { return Rng(Next()); }

double DeterministicExp(double x) {
  if (x > 700)
    x = 700;
  if (x < -700)
    return 0.0;
  // Halve until |x| < 2^-10, sum the series, then square back up.
  int halvings = 0;
  double r = x;
  while (r > 0.0009765625 || r < -0.0009765625) {
    r *= 0.5;
    ++halvings;
  }
  double term = 1.0;
  double sum = 1.0;
  for (int i = 1; i <= 8; ++i) {
    term = term * r / i;
    sum += term;
  }
  for (int i = 0; i < halvings; ++i)
    sum *= sum;
  return sum;
}

}  // namespace medlake::synth
