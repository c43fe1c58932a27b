#include "storage/iceberg/types.h"

#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"

namespace medlake::storage::iceberg {
namespace {

TEST(IcebergTypeTest, ParsesEveryPrimitiveName) {
  const std::pair<const char*, TypeId> cases[] = {
      {"boolean", TypeId::kBoolean},
      {"int", TypeId::kInt},
      {"long", TypeId::kLong},
      {"float", TypeId::kFloat},
      {"double", TypeId::kDouble},
      {"date", TypeId::kDate},
      {"time", TypeId::kTime},
      {"timestamp", TypeId::kTimestamp},
      {"timestamptz", TypeId::kTimestampTz},
      {"string", TypeId::kString},
      {"uuid", TypeId::kUuid},
      {"binary", TypeId::kBinary},
  };
  for (const auto& [name, id] : cases) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(Type t, ParsePrimitiveType(name));
    EXPECT_EQ(t.id, id) << name;
    EXPECT_TRUE(t.is_primitive());
    EXPECT_EQ(TypeToString(t), name);
  }
}

TEST(IcebergTypeTest, ParsesDecimalWithOrWithoutSpace) {
  // Appendix C gives both "decimal(9,2)" and "decimal(9, 2)"; Java writes the latter.
  for (const char* text : {"decimal(9,2)", "decimal(9, 2)"}) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(Type t, ParsePrimitiveType(text));
    EXPECT_EQ(t, Type::Decimal(9, 2));
    EXPECT_EQ(TypeToString(t), "decimal(9,2)");
  }
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Type wide, ParsePrimitiveType("decimal(38, 10)"));
  EXPECT_EQ(wide.precision, 38);
  EXPECT_EQ(wide.scale, 10);
}

TEST(IcebergTypeTest, ParsesFixed) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Type t, ParsePrimitiveType("fixed[16]"));
  EXPECT_EQ(t, Type::Fixed(16));
  EXPECT_EQ(TypeToString(t), "fixed[16]");
}

TEST(IcebergTypeTest, RejectsUnsupportedAndMalformedNames) {
  EXPECT_THAT(ParsePrimitiveType("decimal(39,2)"),
              StatusIs(StatusCode::kInvalidArgument, "precision"));
  EXPECT_THAT(ParsePrimitiveType("decimal(9)"), StatusIs(StatusCode::kInvalidArgument, "decimal"));
  EXPECT_THAT(ParsePrimitiveType("decimal(9,-1)"),
              StatusIs(StatusCode::kInvalidArgument, "decimal"));
  EXPECT_THAT(ParsePrimitiveType("fixed[]"), StatusIs(StatusCode::kInvalidArgument, "fixed"));
  EXPECT_THAT(ParsePrimitiveType("fixed[0]"), StatusIs(StatusCode::kInvalidArgument, "fixed"));
  EXPECT_THAT(ParsePrimitiveType("timestamp_ns"),
              StatusIs(StatusCode::kInvalidArgument, "unsupported Iceberg type"));
  EXPECT_THAT(ParsePrimitiveType("Int"), StatusIs(StatusCode::kInvalidArgument, "unsupported"));
}

TEST(IcebergTypeTest, ParsesSpecListAndMapExamples) {
  // The examples of Appendix C.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      Type list, ParseTypeJson(R"({"type": "list", "element-id": 3, "element-required": true,
                                   "element": "string"})"));
  EXPECT_EQ(list, Type::List(3, true, Type::String()));
  EXPECT_EQ(list.element().name, "element");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      Type map, ParseTypeJson(R"({"type": "map", "key-id": 4, "key": "string", "value-id": 5,
                                  "value-required": false, "value": "double"})"));
  EXPECT_EQ(map, Type::Map(4, Type::String(), 5, false, Type::Double()));
  EXPECT_TRUE(map.key().required);
  EXPECT_FALSE(map.value().required);
}

TEST(IcebergTypeTest, NestedJsonRoundTripKeepsDocAndDefaults) {
  const char* json = R"json({"type":"struct","fields":[
    {"id":1,"name":"id","required":true,"type":"uuid",
     "initial-default":"0db3e2a8-9d1d-42b9-aa7b-74ebe558dceb",
     "write-default":"ec5911be-b0a7-458c-8438-c9a3e53cffae"},
    {"id":2,"name":"data","required":false,"doc":"free text",
     "type":{"type":"list","element-id":3,"element-required":true,"element":
       {"type":"map","key-id":4,"key":"string","value-id":5,"value-required":false,
        "value":"decimal(9, 2)"}}},
    {"id":6,"name":"point","required":false,"initial-default":{},"type":{"type":"struct",
     "fields":[{"id":7,"name":"x","required":true,"type":"double","write-default":0.5}]}}]})json";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Type t, ParseTypeJson(json));
  ASSERT_EQ(t.id, TypeId::kStruct);
  ASSERT_EQ(t.fields.size(), 3u);
  EXPECT_EQ(t.fields[0].initial_default, "\"0db3e2a8-9d1d-42b9-aa7b-74ebe558dceb\"");
  EXPECT_EQ(t.fields[1].doc, "free text");
  EXPECT_EQ(t.fields[1].type.element().type.value().type, Type::Decimal(9, 2));
  EXPECT_EQ(t.fields[2].initial_default, "{}");
  EXPECT_EQ(t.fields[2].type.fields[0].write_default, "0.5");

  std::string written = TypeToJson(t);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Type again, ParseTypeJson(written));
  EXPECT_EQ(again, t);
  EXPECT_EQ(TypeToJson(again), written);  // deterministic
  EXPECT_NE(written.find("\"decimal(9,2)\""), std::string::npos);
}

TEST(IcebergTypeTest, PrimitiveJsonIsAString) {
  EXPECT_EQ(TypeToJson(Type::Fixed(4)), "\"fixed[4]\"");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Type t, ParseTypeJson("\"timestamptz\""));
  EXPECT_EQ(t, Type::TimestampTz());
}

TEST(IcebergTypeTest, MalformedTypeJsonIsDataLoss) {
  EXPECT_THAT(ParseTypeJson("{"), StatusIs(StatusCode::kDataLoss, "not valid JSON"));
  EXPECT_THAT(ParseTypeJson("17"), StatusIs(StatusCode::kDataLoss, "string or object"));
  EXPECT_THAT(ParseTypeJson(R"({"type":"struct"})"),
              StatusIs(StatusCode::kDataLoss, "missing required field 'fields'"));
  EXPECT_THAT(ParseTypeJson(R"({"type":"list","element-id":"3","element-required":true,
                               "element":"int"})"),
              StatusIs(StatusCode::kDataLoss, "field 'element-id' must be an integer"));
  EXPECT_THAT(ParseTypeJson(R"({"type":"struct","fields":[{"id":1,"name":"a","type":"int"}]})"),
              StatusIs(StatusCode::kDataLoss, "missing required field 'required'"));
  EXPECT_THAT(ParseTypeJson(R"({"type":"variant"})"),
              StatusIs(StatusCode::kDataLoss, "unsupported nested type"));
  EXPECT_THAT(ParseTypeJson("\"geometry\""), StatusIs(StatusCode::kDataLoss, "unsupported"));
  EXPECT_THAT(ParseTypeJson(R"({"type":"list","element-id":3000000000,
                               "element-required":true,"element":"int"})"),
              StatusIs(StatusCode::kDataLoss, "32-bit"));
}

TEST(IcebergTypeTest, CanPromoteFollowsV2Rules) {
  EXPECT_TRUE(CanPromote(Type::Int(), Type::Long()));
  EXPECT_TRUE(CanPromote(Type::Float(), Type::Double()));
  EXPECT_TRUE(CanPromote(Type::Decimal(9, 2), Type::Decimal(18, 2)));
  EXPECT_TRUE(CanPromote(Type::Int(), Type::Int()));  // no change
  EXPECT_FALSE(CanPromote(Type::Long(), Type::Int()));
  EXPECT_FALSE(CanPromote(Type::Double(), Type::Float()));
  EXPECT_FALSE(CanPromote(Type::Decimal(18, 2), Type::Decimal(9, 2)));
  EXPECT_FALSE(CanPromote(Type::Decimal(9, 2), Type::Decimal(18, 3)));
  EXPECT_FALSE(CanPromote(Type::Int(), Type::String()));
  EXPECT_FALSE(CanPromote(Type::Int(), Type::Double()));
  EXPECT_FALSE(CanPromote(Type::Date(), Type::Timestamp()));  // v3 only
  EXPECT_FALSE(CanPromote(Type::Fixed(4), Type::Fixed(8)));
  EXPECT_FALSE(CanPromote(Type::Binary(), Type::String()));
  Type list = Type::List(1, true, Type::Int());
  EXPECT_FALSE(CanPromote(list, list));
}

}  // namespace
}  // namespace medlake::storage::iceberg
