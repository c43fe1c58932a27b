#include "storage/iceberg/schema.h"

#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"

namespace medlake::storage::iceberg {
namespace {

constexpr const char* kNestedSchema = R"({
  "type": "struct", "schema-id": 3, "identifier-field-ids": [1],
  "fields": [
    {"id": 1, "name": "id", "required": true, "type": "long"},
    {"id": 2, "name": "ID", "required": false, "type": "string"},
    {"id": 3, "name": "location", "required": false, "type": {"type": "struct", "fields": [
      {"id": 4, "name": "lat", "required": true, "type": "double"},
      {"id": 5, "name": "long", "required": true, "type": "double"}]}},
    {"id": 6, "name": "tags", "required": false,
     "type": {"type": "list", "element-id": 7, "element-required": false, "element": "string"}},
    {"id": 8, "name": "attrs", "required": false,
     "type": {"type": "map", "key-id": 9, "key": "string", "value-id": 10,
              "value-required": true, "value": {"type": "struct", "fields": [
                {"id": 11, "name": "code", "required": false, "type": "int"}]}}},
    {"id": 12, "name": "a.b", "required": false, "type": "int"}
  ]})";

TEST(IcebergSchemaTest, ParsesNestedSchema) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Schema s, ParseSchemaJson(kNestedSchema));
  EXPECT_EQ(s.schema_id, 3);
  EXPECT_EQ(s.identifier_field_ids, std::vector<int32_t>{1});
  EXPECT_EQ(s.fields.size(), 6u);
  EXPECT_EQ(HighestFieldId(s), 12);
}

TEST(IcebergSchemaTest, FindsFieldsByIdIncludingNested) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Schema s, ParseSchemaJson(kNestedSchema));
  const NestedField* lat = FindFieldById(s, 4);
  ASSERT_NE(lat, nullptr);
  EXPECT_EQ(lat->name, "lat");
  EXPECT_EQ(lat->type, Type::Double());
  ASSERT_NE(FindFieldById(s, 7), nullptr);
  EXPECT_EQ(FindFieldById(s, 7)->name, "element");
  ASSERT_NE(FindFieldById(s, 11), nullptr);
  EXPECT_EQ(FindFieldById(s, 11)->type, Type::Int());
  EXPECT_EQ(FindFieldById(s, 99), nullptr);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string name, FindColumnName(s, 11));
  EXPECT_EQ(name, "attrs.value.code");
  EXPECT_THAT(FindColumnName(s, 99), StatusIs(StatusCode::kNotFound, "99"));
}

TEST(IcebergSchemaTest, FindsFieldsByCaseSensitiveFullName) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Schema s, ParseSchemaJson(kNestedSchema));
  ASSERT_NE(FindFieldByName(s, "id"), nullptr);
  EXPECT_EQ(FindFieldByName(s, "id")->id, 1);
  ASSERT_NE(FindFieldByName(s, "ID"), nullptr);
  EXPECT_EQ(FindFieldByName(s, "ID")->id, 2);
  EXPECT_EQ(FindFieldByName(s, "Id"), nullptr);
  EXPECT_EQ(FindFieldByName(s, "location.long")->id, 5);
  EXPECT_EQ(FindFieldByName(s, "tags.element")->id, 7);
  EXPECT_EQ(FindFieldByName(s, "attrs.key")->id, 9);
  EXPECT_EQ(FindFieldByName(s, "attrs.value.code")->id, 11);
  EXPECT_EQ(FindFieldByName(s, "a.b")->id, 12);  // a dotted top-level name
  EXPECT_EQ(FindFieldByName(s, "location.LAT"), nullptr);
  EXPECT_EQ(FindFieldByName(s, "lat"), nullptr);  // not a top-level name
}

TEST(IcebergSchemaTest, JsonRoundTrip) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Schema s, ParseSchemaJson(kNestedSchema));
  std::string written = SchemaToJson(s);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Schema again, ParseSchemaJson(written));
  EXPECT_EQ(again, s);
  EXPECT_EQ(SchemaToJson(again), written);
  EXPECT_EQ(written.rfind(R"({"type":"struct","schema-id":3,"identifier-field-ids":[1],)", 0), 0u)
      << written;
}

TEST(IcebergSchemaTest, SchemaIdDefaultsToZero) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Schema s, ParseSchemaJson(R"({"type":"struct","fields":[
                                   {"id":1,"name":"a","required":false,"type":"int"}]})"));
  EXPECT_EQ(s.schema_id, 0);
  EXPECT_TRUE(s.identifier_field_ids.empty());
  EXPECT_EQ(SchemaToJson(s).find("identifier-field-ids"), std::string::npos);
}

TEST(IcebergSchemaTest, RejectsDuplicateIdsAndBadIdentifierFields) {
  EXPECT_THAT(ParseSchemaJson(R"({"type":"struct","schema-id":0,"fields":[
                {"id":1,"name":"a","required":false,"type":"int"},
                {"id":2,"name":"s","required":false,"type":{"type":"struct","fields":[
                  {"id":1,"name":"b","required":false,"type":"int"}]}}]})"),
              StatusIs(StatusCode::kDataLoss, "field id 1 is used more than once"));
  EXPECT_THAT(ParseSchemaJson(R"({"type":"struct","schema-id":0,"identifier-field-ids":[7],
                "fields":[{"id":1,"name":"a","required":true,"type":"int"}]})"),
              StatusIs(StatusCode::kDataLoss, "identifier field id 7"));
  EXPECT_THAT(ParseSchemaJson(R"({"schema-id":0,"fields":[]})"),
              StatusIs(StatusCode::kDataLoss, "missing required field 'type'"));
  EXPECT_THAT(ParseSchemaJson(R"({"type":"list","schema-id":0,"fields":[]})"),
              StatusIs(StatusCode::kDataLoss, "\"struct\""));
  EXPECT_THAT(ParseSchemaJson(R"({"type":"struct","schema-id":0,"fields":{}})"),
              StatusIs(StatusCode::kDataLoss, "must be a JSON array"));
  EXPECT_THAT(ParseSchemaJson(R"([])"), StatusIs(StatusCode::kDataLoss, "JSON object"));
}

TEST(IcebergSchemaTest, AsStructIsTheTopLevelStruct) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Schema s, ParseSchemaJson(kNestedSchema));
  Type t = s.AsStruct();
  EXPECT_EQ(t.id, TypeId::kStruct);
  EXPECT_EQ(t.fields, s.fields);
}

}  // namespace
}  // namespace medlake::storage::iceberg
