// bench/bench_util.h: small helpers shared by the bench/ programs: a monotonic timer, order
// statistics, flag parsing, and a check that ends the program on a non-OK Status (a benchmark
// has no caller to hand errors to).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/status.h"

namespace medlake::bench {

inline double NowMs() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double, std::milli>(Clock::now().time_since_epoch()).count();
}

// The q-quantile (0..1) of `v` by the nearest-rank method; 0 for an empty sample.
inline double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(q * static_cast<double>(v.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

inline void Check(const Status& st, const char* what) {
  if (!st.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, st.ToString().c_str());
    std::exit(1);
  }
}

template <typename T>
T Take(Result<T> r, const char* what) {
  Check(r.status(), what);
  return std::move(r).value();
}

// Runs `pass` again and again for at least `seconds` (once at least). Returns the last pass's
// result; `*best` gets the fastest pass in seconds, `*rounds` the passes, `*elapsed` their total.
template <typename Pass>
auto TimeRounds(double seconds, Pass&& pass, double* best, size_t* rounds, double* elapsed) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  *best = 1e300;
  *rounds = 0;
  for (;;) {
    const auto t0 = Clock::now();
    auto result = pass();
    const auto t1 = Clock::now();
    *best = std::min(*best, std::chrono::duration<double>(t1 - t0).count());
    ++*rounds;
    *elapsed = std::chrono::duration<double>(t1 - start).count();
    if (*elapsed >= seconds) return result;
  }
}

// What one pass of a record-rate benchmark did: records handled and how many of them failed.
struct ItemPass {
  size_t items = 0;
  size_t failures = 0;
};

// Times `pass` with TimeRounds and prints "<name> <rate> <unit>/s <MB/s> (best of N rounds; mean
// ...)" for a corpus of `bytes` bytes: the best round, as the npm peers report theirs.
template <typename Pass>
void MeasureItems(const char* name, const char* unit, double seconds, size_t bytes, Pass&& pass) {
  double best = 0, elapsed = 0;
  size_t rounds = 0;
  const ItemPass last = TimeRounds(seconds, pass, &best, &rounds, &elapsed);
  std::printf("%-26s %10.0f %s/s %7.1f MB/s  (best of %zu rounds; mean %.0f/s; %zu %s, %zu failed)\n",
              name, static_cast<double>(last.items) / best, unit, static_cast<double>(bytes) / best / 1e6,
              rounds, static_cast<double>(last.items * rounds) / elapsed, last.items, unit, last.failures);
}

// "--name=value" flags; returns the value of `name` or `fallback`.
inline std::string Flag(int argc, char** argv, const char* name, const std::string& fallback) {
  std::string prefix = std::string("--") + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) return argv[i] + prefix.size();
  }
  return fallback;
}

}  // namespace medlake::bench
