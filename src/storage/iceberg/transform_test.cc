#include "storage/iceberg/transform.h"

#include <gtest/gtest.h>

#include <limits>

#include "core/testing/status_matchers.h"
#include "storage/iceberg/test_util_internal.h"

namespace medlake::storage::iceberg {
namespace {

using test_util::Days;
using test_util::Micros;

Value Apply(const Transform& t, const Type& source, const Value& v) {
  auto r = ApplyTransform(t, source, v);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Value();
}

std::string Human(const Transform& t, const Type& source, const Value& v) {
  auto r = TransformHumanString(t, source, v);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.value_or("<error>");
}

TEST(IcebergTransformTest, ParsesAndPrintsEveryTransform) {
  const std::pair<const char*, Transform> cases[] = {
      {"identity", Transform::Identity()},
      {"bucket[16]", Transform::Bucket(16)},
      {"truncate[20]", Transform::Truncate(20)},
      {"year", Transform::Year()},
      {"month", Transform::Month()},
      {"day", Transform::Day()},
      {"hour", Transform::Hour()},
      {"void", Transform::Void()},
  };
  for (const auto& [text, expected] : cases) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(Transform t, ParseTransform(text));
    EXPECT_EQ(t, expected) << text;
    EXPECT_EQ(TransformToString(t), text);
  }
}

TEST(IcebergTransformTest, UnknownTransformIsRejectedOrKeptForRead) {
  EXPECT_THAT(ParseTransform("zorder"),
              StatusIs(StatusCode::kInvalidArgument, "unknown partition transform 'zorder'"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Transform t, ParseTransformForRead("zorder"));
  EXPECT_EQ(t.kind, TransformKind::kUnknown);
  EXPECT_EQ(TransformToString(t), "zorder");
  EXPECT_THAT(ApplyTransform(t, Type::Int(), Value(int32_t{1})),
              StatusIs(StatusCode::kUnimplemented, "zorder"));
  EXPECT_THAT(TransformResultType(t, Type::Int()), StatusIs(StatusCode::kUnimplemented, ""));
}

TEST(IcebergTransformTest, RejectsBadParameters) {
  for (const char* text : {"bucket[0]", "bucket[-1]", "bucket[x]", "truncate[]",
                           "truncate[99999999999]", "bucket[ 4]"}) {
    EXPECT_THAT(ParseTransform(text), StatusIs(StatusCode::kInvalidArgument, "positive")) << text;
    EXPECT_THAT(ParseTransformForRead(text), StatusIs(StatusCode::kInvalidArgument, "positive"))
        << text;
  }
}

TEST(IcebergTransformTest, ResultTypes) {
  auto result = [](const Transform& t, const Type& source) {
    return TransformResultType(t, source).value_or(Type::Boolean());
  };
  EXPECT_EQ(result(Transform::Identity(), Type::Decimal(9, 2)), Type::Decimal(9, 2));
  EXPECT_EQ(result(Transform::Bucket(8), Type::String()), Type::Int());
  EXPECT_EQ(result(Transform::Truncate(4), Type::String()), Type::String());
  EXPECT_EQ(result(Transform::Year(), Type::Timestamp()), Type::Int());
  EXPECT_EQ(result(Transform::Month(), Type::Date()), Type::Int());
  EXPECT_EQ(result(Transform::Day(), Type::TimestampTz()), Type::Int());
  EXPECT_EQ(result(Transform::Hour(), Type::Timestamp()), Type::Int());
  EXPECT_EQ(result(Transform::Void(), Type::Uuid()), Type::Uuid());
  EXPECT_THAT(TransformResultType(Transform::Hour(), Type::Date()),
              StatusIs(StatusCode::kInvalidArgument, "cannot be applied to date"));
  EXPECT_THAT(TransformResultType(Transform::Bucket(4), Type::Float()),
              StatusIs(StatusCode::kInvalidArgument, "bucket[4]"));
  EXPECT_THAT(TransformResultType(Transform::Truncate(4), Type::Uuid()),
              StatusIs(StatusCode::kInvalidArgument, ""));
  EXPECT_THAT(TransformResultType(Transform::Identity(), Type::List(1, true, Type::Int())),
              StatusIs(StatusCode::kInvalidArgument, ""));
}

TEST(IcebergTransformTest, BucketUsesHashModuloN) {
  // hash(34) = 2017239379, which is positive: 2017239379 % 16 = 3.
  EXPECT_EQ(Apply(Transform::Bucket(16), Type::Int(), Value(int32_t{34})), Value(int32_t{3}));
  EXPECT_EQ(Apply(Transform::Bucket(16), Type::Long(), Value(int64_t{34})), Value(int32_t{3}));
  // hash("iceberg") = 1210000089; % 100 = 89.
  EXPECT_EQ(Apply(Transform::Bucket(100), Type::String(), Value(std::string("iceberg"))),
            Value(int32_t{89}));
  // hash(14.20) = -500754589: the sign bit is dropped first, (-500754589 & 0x7fffffff) =
  // 1646729059, and 1646729059 % 10 = 9.
  EXPECT_EQ(Apply(Transform::Bucket(10), Type::Decimal(4, 2), Value(Decimal{1420, 2})),
            Value(int32_t{9}));
}

TEST(IcebergTransformTest, TruncateSpecExamples) {
  // Spec "Truncate Transform Details".
  const Transform w10 = Transform::Truncate(10);
  EXPECT_EQ(Apply(w10, Type::Int(), Value(int32_t{1})), Value(int32_t{0}));
  EXPECT_EQ(Apply(w10, Type::Int(), Value(int32_t{-1})), Value(int32_t{-10}));
  EXPECT_EQ(Apply(w10, Type::Long(), Value(int64_t{1})), Value(int64_t{0}));
  EXPECT_EQ(Apply(w10, Type::Long(), Value(int64_t{-1})), Value(int64_t{-10}));
  // W=50, s=2: 10.65 -> 10.50.
  EXPECT_EQ(Apply(Transform::Truncate(50), Type::Decimal(9, 2), Value(Decimal{1065, 2})),
            Value(Decimal{1050, 2}));
  EXPECT_EQ(Apply(Transform::Truncate(3), Type::String(), Value(std::string("iceberg"))),
            Value(std::string("ice")));
  EXPECT_EQ(Apply(Transform::Truncate(3), Type::Binary(),
                  Value(BinaryBytes{std::string("\x01\x02\x03\x04\x05")})),
            Value(BinaryBytes{std::string("\x01\x02\x03")}));
}

TEST(IcebergTransformTest, TruncateEdgeCases) {
  // Strings are cut at code points, not bytes: "aé€x" is 1 + 2 + 3 + 1 bytes.
  EXPECT_EQ(
      Apply(Transform::Truncate(3), Type::String(), Value(std::string("a\xC3\xA9\xE2\x82\xACx"))),
      Value(std::string("a\xC3\xA9\xE2\x82\xAC")));
  EXPECT_EQ(Apply(Transform::Truncate(10), Type::String(), Value(std::string("ab"))),
            Value(std::string("ab")));
  EXPECT_EQ(Apply(Transform::Truncate(10), Type::Decimal(9, 2), Value(Decimal{-1, 2})),
            Value(Decimal{-10, 2}));
  // Java int arithmetic wraps around near the minimum.
  const int32_t near_min = std::numeric_limits<int32_t>::min() + 1;
  EXPECT_EQ(Apply(Transform::Truncate(10), Type::Int(), Value(near_min)),
            Value(int32_t{2147483646}));
}

TEST(IcebergTransformTest, TemporalTransforms) {
  const int32_t day = Days(2017, 11, 16);
  ASSERT_EQ(day, 17486);
  const int64_t ts = Micros(day, 22, 31, 8);
  EXPECT_EQ(Apply(Transform::Year(), Type::Date(), Value(day)), Value(int32_t{47}));
  EXPECT_EQ(Apply(Transform::Month(), Type::Date(), Value(day)), Value(int32_t{574}));
  EXPECT_EQ(Apply(Transform::Day(), Type::Date(), Value(day)), Value(int32_t{17486}));
  EXPECT_EQ(Apply(Transform::Year(), Type::Timestamp(), Value(ts)), Value(int32_t{47}));
  EXPECT_EQ(Apply(Transform::Month(), Type::TimestampTz(), Value(ts)), Value(int32_t{574}));
  EXPECT_EQ(Apply(Transform::Day(), Type::Timestamp(), Value(ts)), Value(int32_t{17486}));
  EXPECT_EQ(Apply(Transform::Hour(), Type::TimestampTz(), Value(ts)),
            Value(int32_t{17486 * 24 + 22}));
  // Before the epoch, values round down: one microsecond before 1970 is in 1969-12-31 23:00.
  EXPECT_EQ(Apply(Transform::Year(), Type::Timestamp(), Value(int64_t{-1})), Value(int32_t{-1}));
  EXPECT_EQ(Apply(Transform::Month(), Type::Timestamp(), Value(int64_t{-1})), Value(int32_t{-1}));
  EXPECT_EQ(Apply(Transform::Day(), Type::Timestamp(), Value(int64_t{-1})), Value(int32_t{-1}));
  EXPECT_EQ(Apply(Transform::Hour(), Type::Timestamp(), Value(int64_t{-1})), Value(int32_t{-1}));
  EXPECT_EQ(Apply(Transform::Year(), Type::Date(), Value(Days(1969, 1, 1))), Value(int32_t{-1}));
  EXPECT_EQ(Apply(Transform::Month(), Type::Date(), Value(Days(1968, 12, 31))),
            Value(int32_t{-13}));
}

TEST(IcebergTransformTest, NullAndVoidGiveNull) {
  EXPECT_TRUE(IsNull(Apply(Transform::Bucket(4), Type::Int(), Value())));
  EXPECT_TRUE(IsNull(Apply(Transform::Year(), Type::Date(), Value())));
  EXPECT_TRUE(IsNull(Apply(Transform::Void(), Type::String(), Value(std::string("x")))));
}

TEST(IcebergTransformTest, RejectsMismatchedValues) {
  EXPECT_THAT(ApplyTransform(Transform::Identity(), Type::Int(), Value(int64_t{1})),
              StatusIs(StatusCode::kInvalidArgument, "does not match source type int"));
  EXPECT_THAT(ApplyTransform(Transform::Hour(), Type::Date(), Value(int32_t{1})),
              StatusIs(StatusCode::kInvalidArgument, "cannot be applied"));
}

TEST(IcebergTransformTest, HumanStringsMatchJava) {
  const int32_t day = Days(2017, 11, 16);
  const int64_t ts = Micros(day, 22, 31, 8);
  EXPECT_EQ(Human(Transform::Year(), Type::Date(), Value(int32_t{47})), "2017");
  EXPECT_EQ(Human(Transform::Month(), Type::Date(), Value(int32_t{574})), "2017-11");
  EXPECT_EQ(Human(Transform::Month(), Type::Date(), Value(int32_t{-1})), "1969-12");
  EXPECT_EQ(Human(Transform::Day(), Type::Timestamp(), Value(int32_t{17486})), "2017-11-16");
  EXPECT_EQ(Human(Transform::Hour(), Type::Timestamp(), Value(int32_t{17486 * 24 + 22})),
            "2017-11-16-22");
  EXPECT_EQ(Human(Transform::Hour(), Type::Timestamp(), Value(int32_t{-1})), "1969-12-31-23");
  EXPECT_EQ(Human(Transform::Bucket(16), Type::String(), Value(int32_t{3})), "3");
  EXPECT_EQ(Human(Transform::Identity(), Type::Date(), Value(day)), "2017-11-16");
  EXPECT_EQ(Human(Transform::Identity(), Type::Timestamp(), Value(ts)), "2017-11-16T22:31:08");
  EXPECT_EQ(Human(Transform::Identity(), Type::TimestampTz(), Value(ts)), "2017-11-16T22:31:08Z");
  EXPECT_EQ(Human(Transform::Identity(), Type::Timestamp(), Value(Micros(day, 10, 0, 0))),
            "2017-11-16T10:00");
  EXPECT_EQ(Human(Transform::Identity(), Type::Time(), Value(Micros(0, 22, 31, 8))), "22:31:08");
  EXPECT_EQ(Human(Transform::Identity(), Type::Time(), Value(Micros(0, 22, 31, 8, 1000))),
            "22:31:08.001");
  EXPECT_EQ(Human(Transform::Identity(), Type::Time(), Value(Micros(0, 22, 31, 8, 1))),
            "22:31:08.000001");
  EXPECT_EQ(Human(Transform::Identity(), Type::Binary(),
                  Value(BinaryBytes{std::string("\x00\x01\x02\x03", 4)})),
            "AAECAw==");
  EXPECT_EQ(Human(Transform::Identity(), Type::Fixed(2), Value(FixedBytes{"ab"})), "YWI=");
  EXPECT_EQ(Human(Transform::Truncate(50), Type::Decimal(9, 2), Value(Decimal{1050, 2})), "10.50");
  EXPECT_EQ(Human(Transform::Identity(), Type::Boolean(), Value(true)), "true");
  EXPECT_EQ(Human(Transform::Identity(), Type::Long(), Value(int64_t{-5})), "-5");
  EXPECT_EQ(Human(Transform::Identity(), Type::String(), Value()), "null");
  EXPECT_EQ(Human(Transform::Void(), Type::String(), Value()), "null");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Uuid uuid, Uuid::Parse("F79C3E09-677C-4BBD-A479-3F349CB785E7"));
  EXPECT_EQ(Human(Transform::Identity(), Type::Uuid(), Value(uuid)),
            "f79c3e09-677c-4bbd-a479-3f349cb785e7");
}

TEST(IcebergTransformTest, FloatingHumanStringsMatchJavaToString) {
  const Transform id = Transform::Identity();
  EXPECT_EQ(Human(id, Type::Double(), Value(1.0)), "1.0");
  EXPECT_EQ(Human(id, Type::Double(), Value(123.456)), "123.456");
  EXPECT_EQ(Human(id, Type::Double(), Value(0.001)), "0.001");
  EXPECT_EQ(Human(id, Type::Double(), Value(1.0e-4)), "1.0E-4");
  EXPECT_EQ(Human(id, Type::Double(), Value(1.0e7)), "1.0E7");
  EXPECT_EQ(Human(id, Type::Double(), Value(9999999.0)), "9999999.0");
  EXPECT_EQ(Human(id, Type::Double(), Value(-2.5e10)), "-2.5E10");
  EXPECT_EQ(Human(id, Type::Double(), Value(-0.0)), "-0.0");
  EXPECT_EQ(Human(id, Type::Float(), Value(0.1F)), "0.1");
  EXPECT_EQ(Human(id, Type::Float(), Value(100.0F)), "100.0");
}

TEST(IcebergTransformTest, HumanStringRejectsWrongResultType) {
  EXPECT_THAT(TransformHumanString(Transform::Year(), Type::Date(), Value(int64_t{47})),
              StatusIs(StatusCode::kInvalidArgument, "does not match type int"));
}

}  // namespace
}  // namespace medlake::storage::iceberg
