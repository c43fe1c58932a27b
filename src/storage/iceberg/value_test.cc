#include "storage/iceberg/value.h"

#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"
#include "storage/iceberg/test_util_internal.h"

namespace medlake::storage::iceberg {
namespace {

using test_util::ToHex;

TEST(IcebergValueTest, ParsesAndPrintsDecimals) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Decimal d, ParseDecimal("14.20"));
  EXPECT_TRUE(d.unscaled == 1420);
  EXPECT_EQ(d.scale, 2);
  EXPECT_EQ(DecimalToString(d), "14.20");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Decimal neg, ParseDecimal("-0.005"));
  EXPECT_TRUE(neg.unscaled == -5);
  EXPECT_EQ(neg.scale, 3);
  EXPECT_EQ(DecimalToString(neg), "-0.005");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Decimal whole, ParseDecimal("7"));
  EXPECT_EQ(DecimalToString(whole), "7");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Decimal max38,
                               ParseDecimal("99999999999999999999999999999999999999"));
  EXPECT_EQ(Int128ToString(max38.unscaled), "99999999999999999999999999999999999999");
  EXPECT_THAT(ParseDecimal("1.2.3"), StatusIs(StatusCode::kInvalidArgument, "malformed"));
  EXPECT_THAT(ParseDecimal(""), StatusIs(StatusCode::kInvalidArgument, "malformed"));
  EXPECT_THAT(ParseDecimal("123456789012345678901234567890123456789"),
              StatusIs(StatusCode::kInvalidArgument, "38 digits"));
}

TEST(IcebergValueTest, DecimalToJavaStringMatchesBigDecimal) {
  EXPECT_EQ(DecimalToJavaString({1420, 2}), "14.20");
  EXPECT_EQ(DecimalToJavaString({1, 6}), "0.000001");
  EXPECT_EQ(DecimalToJavaString({1, 8}), "1E-8");
  EXPECT_EQ(DecimalToJavaString({-123, 10}), "-1.23E-8");
  EXPECT_EQ(DecimalToJavaString({0, 0}), "0");
}

TEST(IcebergValueTest, MinimalBigEndianBytesLikeBigInteger) {
  EXPECT_EQ(ToHex(MinimalBigEndianBytes(0)), "00");
  EXPECT_EQ(ToHex(MinimalBigEndianBytes(1420)), "058c");
  EXPECT_EQ(ToHex(MinimalBigEndianBytes(-1)), "ff");
  EXPECT_EQ(ToHex(MinimalBigEndianBytes(127)), "7f");
  EXPECT_EQ(ToHex(MinimalBigEndianBytes(128)), "0080");
  EXPECT_EQ(ToHex(MinimalBigEndianBytes(-128)), "80");
  EXPECT_EQ(ToHex(MinimalBigEndianBytes(-129)), "ff7f");
  EXPECT_EQ(ToHex(MinimalBigEndianBytes(9494950)), "0090e1a6");
}

TEST(IcebergValueTest, ValueMatchesTypeUsesPhysicalRepresentation) {
  EXPECT_TRUE(ValueMatchesType(Value(int32_t{5}), Type::Date()));
  EXPECT_TRUE(ValueMatchesType(Value(int64_t{5}), Type::Timestamp()));
  EXPECT_FALSE(ValueMatchesType(Value(int32_t{5}), Type::Long()));
  EXPECT_TRUE(ValueMatchesType(Value(), Type::String()));
  EXPECT_TRUE(ValueMatchesType(Value(Decimal{1420, 2}), Type::Decimal(4, 2)));
  EXPECT_FALSE(ValueMatchesType(Value(Decimal{1420, 2}), Type::Decimal(3, 2)));
  EXPECT_FALSE(ValueMatchesType(Value(Decimal{1420, 1}), Type::Decimal(9, 2)));
  EXPECT_TRUE(ValueMatchesType(Value(FixedBytes{"abcd"}), Type::Fixed(4)));
  EXPECT_FALSE(ValueMatchesType(Value(FixedBytes{"abc"}), Type::Fixed(4)));
  EXPECT_FALSE(ValueMatchesType(Value(BinaryBytes{"abc"}), Type::String()));
  EXPECT_FALSE(ValueMatchesType(Value(int32_t{1}), Type::List(1, true, Type::Int())));
}

}  // namespace
}  // namespace medlake::storage::iceberg
