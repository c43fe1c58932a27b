#include "storage/iceberg/murmur3.h"

#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"
#include "storage/iceberg/test_util_internal.h"

namespace medlake::storage::iceberg {
namespace {

using test_util::Days;
using test_util::Micros;

int32_t Hash(const Type& type, const Value& value) {
  auto h = HashValue(type, value);
  EXPECT_TRUE(h.ok()) << h.status().ToString();
  return h.value_or(0);
}

// Spec Appendix B: "32-bit Hash Requirements", every test value of both tables.
TEST(IcebergMurmur3Test, AppendixBVectors) {
  EXPECT_EQ(Hash(Type::Int(), Value(int32_t{34})), 2017239379);
  EXPECT_EQ(Hash(Type::Long(), Value(int64_t{34})), 2017239379);
  EXPECT_EQ(Hash(Type::Decimal(4, 2), Value(Decimal{1420, 2})), -500754589);  // 14.20
  EXPECT_EQ(Hash(Type::Date(), Value(Days(2017, 11, 16))), -653330422);
  EXPECT_EQ(Hash(Type::Time(), Value(Micros(0, 22, 31, 8))), -662762989);
  const int32_t day = Days(2017, 11, 16);
  EXPECT_EQ(Hash(Type::Timestamp(), Value(Micros(day, 22, 31, 8))), -2047944441);
  EXPECT_EQ(Hash(Type::Timestamp(), Value(Micros(day, 22, 31, 8, 1))), -1207196810);
  // 2017-11-16T14:31:08-08:00 is 22:31:08 UTC.
  EXPECT_EQ(Hash(Type::TimestampTz(), Value(Micros(day, 14 + 8, 31, 8))), -2047944441);
  EXPECT_EQ(Hash(Type::TimestampTz(), Value(Micros(day, 14 + 8, 31, 8, 1))), -1207196810);
  EXPECT_EQ(Hash(Type::String(), Value(std::string("iceberg"))), 1210000089);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Uuid uuid, Uuid::Parse("f79c3e09-677c-4bbd-a479-3f349cb785e7"));
  EXPECT_EQ(Hash(Type::Uuid(), Value(uuid)), 1488055340);
  const std::string bytes("\x00\x01\x02\x03", 4);
  EXPECT_EQ(Hash(Type::Fixed(4), Value(FixedBytes{bytes})), -188683207);
  EXPECT_EQ(Hash(Type::Binary(), Value(BinaryBytes{bytes})), -188683207);
  // Types not valid for bucketing, hashed per the spec's second table.
  EXPECT_EQ(Hash(Type::Boolean(), Value(true)), 1392991556);
  EXPECT_EQ(Hash(Type::Float(), Value(1.0F)), -142385009);
  EXPECT_EQ(Hash(Type::Float(), Value(0.0F)), 1669671676);
  EXPECT_EQ(Hash(Type::Float(), Value(-0.0F)), 1669671676);
  EXPECT_EQ(Hash(Type::Double(), Value(1.0)), -142385009);
  EXPECT_EQ(Hash(Type::Double(), Value(0.0)), 1669671676);
  EXPECT_EQ(Hash(Type::Double(), Value(-0.0)), 1669671676);
}

TEST(IcebergMurmur3Test, SpecPromotionExample) {
  // Spec "Schema Evolution": 34 and "34" hash differently (2017239379 != -427558391).
  EXPECT_EQ(Hash(Type::String(), Value(std::string("34"))), -427558391);
}

TEST(IcebergMurmur3Test, RawHashOfBytes) {
  EXPECT_EQ(Murmur3Hash32(""), 0);
  EXPECT_EQ(Murmur3Hash32("iceberg"), 1210000089);
  EXPECT_EQ(Murmur3Hash32(std::string_view("\x00\x01\x02\x03", 4)), -188683207);
}

TEST(IcebergMurmur3Test, RejectsNullMismatchAndNested) {
  EXPECT_THAT(HashValue(Type::Int(), Value()), StatusIs(StatusCode::kInvalidArgument, "null"));
  EXPECT_THAT(HashValue(Type::Int(), Value(int64_t{1})),
              StatusIs(StatusCode::kInvalidArgument, "does not match"));
  EXPECT_THAT(HashValue(Type::List(1, true, Type::Int()), Value(int32_t{1})),
              StatusIs(StatusCode::kInvalidArgument, ""));
}

}  // namespace
}  // namespace medlake::storage::iceberg
