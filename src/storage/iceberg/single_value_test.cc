#include "storage/iceberg/single_value.h"

#include <gtest/gtest.h>

#include <limits>

#include "core/testing/status_matchers.h"
#include "storage/iceberg/test_util_internal.h"

namespace medlake::storage::iceberg {
namespace {

using test_util::FromHex;
using test_util::ToHex;

struct Case {
  Type type;
  Value value;
  const char* hex;
};

TEST(IcebergSingleValueTest, RoundTripsEveryPrimitiveType) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Uuid uuid, Uuid::Parse("f79c3e09-677c-4bbd-a479-3f349cb785e7"));
  const Case cases[] = {
      {Type::Boolean(), Value(true), "01"},
      {Type::Boolean(), Value(false), "00"},
      {Type::Int(), Value(int32_t{34}), "22000000"},
      {Type::Int(), Value(int32_t{-2}), "feffffff"},
      {Type::Long(), Value(int64_t{34}), "2200000000000000"},
      {Type::Long(), Value(std::numeric_limits<int64_t>::min()), "0000000000000080"},
      {Type::Float(), Value(1.0F), "0000803f"},
      {Type::Double(), Value(1.0), "000000000000f03f"},
      {Type::Double(), Value(-0.0), "0000000000000080"},
      {Type::Date(), Value(int32_t{8038}), "661f0000"},
      {Type::Time(), Value(int64_t{81068000000}), "008307e012000000"},
      {Type::Timestamp(), Value(int64_t{1510871468000000}), "00c3262d215e0500"},
      {Type::TimestampTz(), Value(int64_t{-1}), "ffffffffffffffff"},
      {Type::String(), Value(std::string("iceberg")), "69636562657267"},
      {Type::String(), Value(std::string("")), ""},
      {Type::Uuid(), Value(uuid), "f79c3e09677c4bbda4793f349cb785e7"},
      {Type::Fixed(4), Value(FixedBytes{std::string("\x00\x01\x02\x03", 4)}), "00010203"},
      {Type::Binary(), Value(BinaryBytes{std::string("\x00\xff", 2)}), "00ff"},
      {Type::Binary(), Value(BinaryBytes{}), ""},
      {Type::Decimal(4, 2), Value(Decimal{1420, 2}), "058c"},
      {Type::Decimal(9, 2), Value(Decimal{-1, 2}), "ff"},
      {Type::Decimal(9, 2), Value(Decimal{0, 2}), "00"},
      {Type::Decimal(15, 2), Value(Decimal{9494950, 2}), "0090e1a6"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(TypeToString(c.type) + " " + ValueToDebugString(c.value));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string bytes, SerializeSingleValue(c.type, c.value));
    EXPECT_EQ(ToHex(bytes), c.hex);
    MEDLAKE_ASSERT_OK_AND_ASSIGN(Value back, DeserializeSingleValue(c.type, bytes));
    EXPECT_EQ(back, c.value);
  }
}

TEST(IcebergSingleValueTest, DecodesLineitemBounds) {
  // Bounds found in the spark_v2_lineitem manifests (see fixtures/iceberg/README.md).
  // 0x0090e1a6 = 9494950 unscaled; with scale 2 that is 94949.50 (the leading 0x00 keeps the
  // value positive, since 0x90 has its top bit set).
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Value price,
                               DeserializeSingleValue(Type::Decimal(15, 2), FromHex("0090e1a6")));
  ASSERT_TRUE(std::holds_alternative<Decimal>(price));
  EXPECT_EQ(DecimalToString(std::get<Decimal>(price)), "94949.50");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Value date,
                               DeserializeSingleValue(Type::Date(), FromHex("661f0000")));
  EXPECT_EQ(date, Value(int32_t{8038}));  // 1992-01-04
}

TEST(IcebergSingleValueTest, WideDecimals) {
  const Type t = Type::Decimal(38, 10);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Decimal max,
                               ParseDecimal("9999999999999999999999999999.9999999999"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string bytes, SerializeSingleValue(t, Value(max)));
  EXPECT_EQ(bytes.size(), 16u);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Value back, DeserializeSingleValue(t, bytes));
  EXPECT_EQ(back, Value(max));
  Decimal min = max;
  min.unscaled = -min.unscaled;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string neg, SerializeSingleValue(t, Value(min)));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Value neg_back, DeserializeSingleValue(t, neg));
  EXPECT_EQ(neg_back, Value(min));
}

TEST(IcebergSingleValueTest, ReadsBoundsOfPromotedColumns) {
  // Spec "Schema Evolution": promoted columns keep their old 4-byte bounds.
  EXPECT_EQ(*DeserializeSingleValue(Type::Long(), FromHex("feffffff")), Value(int64_t{-2}));
  EXPECT_EQ(*DeserializeSingleValue(Type::Double(), FromHex("0000803f")), Value(1.0));
  EXPECT_EQ(*DeserializeSingleValue(Type::Timestamp(), FromHex("01000000")),
            Value(int64_t{86'400'000'000}));
  // Any non-zero byte is true.
  EXPECT_EQ(*DeserializeSingleValue(Type::Boolean(), FromHex("02")), Value(true));
}

TEST(IcebergSingleValueTest, BadLengthsAreDataLoss) {
  EXPECT_THAT(DeserializeSingleValue(Type::Int(), FromHex("010203")),
              StatusIs(StatusCode::kDataLoss, "int cannot be 3 bytes"));
  EXPECT_THAT(DeserializeSingleValue(Type::Long(), FromHex("01020304050607")),
              StatusIs(StatusCode::kDataLoss, "long"));
  EXPECT_THAT(DeserializeSingleValue(Type::Time(), FromHex("01000000")),
              StatusIs(StatusCode::kDataLoss, "time"));
  EXPECT_THAT(DeserializeSingleValue(Type::Float(), FromHex("0000000000000000")),
              StatusIs(StatusCode::kDataLoss, "float"));
  EXPECT_THAT(DeserializeSingleValue(Type::Boolean(), ""),
              StatusIs(StatusCode::kDataLoss, "boolean"));
  EXPECT_THAT(DeserializeSingleValue(Type::Decimal(9, 2), ""),
              StatusIs(StatusCode::kDataLoss, "decimal(9,2) cannot be 0 bytes"));
  EXPECT_THAT(DeserializeSingleValue(Type::Decimal(38, 2), std::string(17, '\x01')),
              StatusIs(StatusCode::kDataLoss, "17 bytes"));
  EXPECT_THAT(DeserializeSingleValue(Type::Uuid(), std::string(15, '\x01')),
              StatusIs(StatusCode::kDataLoss, "uuid"));
  EXPECT_THAT(DeserializeSingleValue(Type::Fixed(4), FromHex("0102")),
              StatusIs(StatusCode::kDataLoss, "fixed[4] cannot be 2 bytes"));
}

TEST(IcebergSingleValueTest, RejectsNestedNullAndMismatch) {
  const Type list = Type::List(1, true, Type::Int());
  EXPECT_THAT(DeserializeSingleValue(list, "x"), StatusIs(StatusCode::kInvalidArgument, "list"));
  EXPECT_THAT(SerializeSingleValue(list, Value(int32_t{1})),
              StatusIs(StatusCode::kInvalidArgument, "list"));
  EXPECT_THAT(SerializeSingleValue(Type::Int(), Value()),
              StatusIs(StatusCode::kInvalidArgument, "null"));
  EXPECT_THAT(SerializeSingleValue(Type::Int(), Value(int64_t{1})),
              StatusIs(StatusCode::kInvalidArgument, "does not match type int"));
  EXPECT_THAT(SerializeSingleValue(Type::Decimal(9, 2), Value(Decimal{1, 3})),
              StatusIs(StatusCode::kInvalidArgument, "decimal(9,2)"));
}

}  // namespace
}  // namespace medlake::storage::iceberg
