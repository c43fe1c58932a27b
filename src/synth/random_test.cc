#include "synth/random.h"

#include <gtest/gtest.h>

#include <set>

namespace medlake::synth {
namespace {

TEST(RngTest, SameSeedGivesSameSequence) {
  Rng a(42);
  Rng b(42);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(a.Next(), b.Next());
}

TEST(RngTest, KnownFirstOutputsPinTheAlgorithm) {
  // Pins the exact stream: if this changes, every generated data set changes with it.
  Rng rng(0);
  const uint64_t first = rng.Next();
  Rng again(0);
  EXPECT_EQ(again.Next(), first);
  uint64_t state = 0;
  EXPECT_EQ(SplitMix64(&state), 0xe220a8397b1dcdafULL);  // published SplitMix64(0) output
}

TEST(RngTest, DerivedSeedsDifferByDomainAndIndex) {
  std::set<uint64_t> seen;
  for (uint64_t i = 0; i < 1000; ++i)
    seen.insert(DeriveSeed(7, "patient", i));
  seen.insert(DeriveSeed(7, "faults", 0));
  seen.insert(DeriveSeed(8, "patient", 0));
  EXPECT_EQ(seen.size(), 1002u);
}

TEST(RngTest, BelowStaysInRangeAndCoversIt) {
  Rng rng(1);
  std::set<uint64_t> seen;
  for (int i = 0; i < 10000; ++i) {
    const uint64_t v = rng.Below(7);
    ASSERT_LT(v, 7u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 7u);
}

TEST(RngTest, NormalHasRoughlyTheRequestedMeanAndSpread) {
  Rng rng(3);
  double sum = 0;
  double sq = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const double x = rng.Normal(10, 2);
    sum += x;
    sq += x * x;
  }
  const double mean = sum / n;
  const double var = sq / n - mean * mean;
  EXPECT_NEAR(mean, 10, 0.1);
  EXPECT_NEAR(var, 4, 0.3);
}

TEST(RngTest, PoissonHasRoughlyTheRequestedMean) {
  Rng rng(4);
  double sum = 0;
  for (int i = 0; i < 20000; ++i)
    sum += rng.Poisson(3.5);
  EXPECT_NEAR(sum / 20000, 3.5, 0.1);
}

TEST(RngTest, WeightedNeverPicksZeroWeights) {
  Rng rng(5);
  const double w[] = {0, 1, 0, 3};
  for (int i = 0; i < 1000; ++i) {
    const size_t k = rng.Weighted(w);
    EXPECT_TRUE(k == 1 || k == 3);
  }
}

TEST(DeterministicExpTest, MatchesKnownValues) {
  EXPECT_NEAR(DeterministicExp(1.0), 2.718281828459045, 1e-12);
  EXPECT_NEAR(DeterministicExp(-3.5), 0.0301973834223185, 1e-13);
  EXPECT_NEAR(DeterministicExp(0.0), 1.0, 0);
  EXPECT_EQ(DeterministicExp(-1000), 0.0);
}

}  // namespace
}  // namespace medlake::synth
