#include "core/status.h"

#include <gtest/gtest.h>

#include <memory>

#include "core/testing/status_matchers.h"

namespace medlake {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgument("odd input " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  MEDLAKE_ASSIGN_OR_RETURN(int h, Half(x));
  MEDLAKE_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  MEDLAKE_RETURN_IF_ERROR(Half(x));
  return Status::OK();
}

TEST(StatusTest, OkIsDefaultAndCheap) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_TRUE(s.message().empty());
}

TEST(StatusTest, CarriesCodeAndMessage) {
  Status s = NotFound("table raw.x");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NotFound: table raw.x");
}

TEST(StatusTest, WithContextPrefixesMessageAndKeepsCode) {
  Status s = DataLoss("bad magic").WithContext("reading manifest m.avro");
  EXPECT_THAT(s, StatusIs(StatusCode::kDataLoss, "reading manifest m.avro: bad magic"));
  EXPECT_TRUE(Status::OK().WithContext("x").ok());
}

TEST(StatusTest, EveryCodeHasAName) {
  for (int c = 0; c <= static_cast<int>(StatusCode::kInternal); ++c) {
    EXPECT_NE(StatusCodeName(static_cast<StatusCode>(c)), "Unknown");
  }
}

TEST(ResultTest, HoldsValueOrError) {
  Result<int> ok = Half(8);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 4);
  Result<int> bad = Half(3);
  EXPECT_THAT(bad, StatusIs(StatusCode::kInvalidArgument, "odd input 3"));
  EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(ResultTest, MacrosPropagateErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_THAT(Quarter(6), StatusIs(StatusCode::kInvalidArgument, "odd input 3"));
  MEDLAKE_EXPECT_OK(CheckEven(2));
  EXPECT_THAT(CheckEven(1), StatusIs(StatusCode::kInvalidArgument, "odd"));
}

TEST(ResultTest, OkStatusBecomesInternalError) {
  Result<int> r{Status::OK()};
  EXPECT_THAT(r, StatusIs(StatusCode::kInternal, "OK Status"));
}

TEST(ResultTest, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<int> p, std::move(r));
  EXPECT_EQ(*p, 5);
}

TEST(ResultTest, MatchersReportFailures) {
  // The matcher itself must be able to fail.
  EXPECT_FALSE(::testing::Matches(IsOk())(NotFound("x")));
  EXPECT_FALSE(::testing::Matches(StatusIs(StatusCode::kNotFound, "y"))(NotFound("x")));
  EXPECT_FALSE(::testing::Matches(StatusIs(StatusCode::kIOError, "x"))(NotFound("x")));
}

}  // namespace
}  // namespace medlake
