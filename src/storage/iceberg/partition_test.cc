#include "storage/iceberg/partition.h"

#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"
#include "storage/iceberg/test_util_internal.h"

namespace medlake::storage::iceberg {
namespace {

using test_util::Days;
using test_util::Micros;

// The example of Appendix C "Partition Specs".
constexpr const char* kSpecExample = R"({"spec-id": 0, "fields": [
  {"source-id": 4, "field-id": 1000, "name": "ts_day", "transform": "day"},
  {"source-id": 1, "field-id": 1001, "name": "id_bucket", "transform": "bucket[16]"}]})";

Schema TestSchema() {
  Schema s;
  s.schema_id = 0;
  auto field = [](int32_t id, const char* name, Type type) {
    NestedField f;
    f.id = id;
    f.name = name;
    f.required = false;
    f.type = std::move(type);
    return f;
  };
  s.fields = {field(1, "id", Type::Long()), field(2, "name", Type::String()),
              field(3, "data#1", Type::Binary()), field(4, "ts", Type::TimestampTz())};
  return s;
}

TEST(IcebergPartitionTest, ParsesSpecExample) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(PartitionSpec spec, ParsePartitionSpecJson(kSpecExample));
  EXPECT_EQ(spec.spec_id, 0);
  ASSERT_EQ(spec.fields.size(), 2u);
  EXPECT_EQ(spec.fields[0], (PartitionField{4, 1000, "ts_day", Transform::Day()}));
  EXPECT_EQ(spec.fields[1], (PartitionField{1, 1001, "id_bucket", Transform::Bucket(16)}));
  EXPECT_EQ(HighestPartitionFieldId(spec), 1001);
  EXPECT_EQ(HighestPartitionFieldId(PartitionSpec{}), 999);
}

TEST(IcebergPartitionTest, JsonRoundTrip) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(PartitionSpec spec, ParsePartitionSpecJson(kSpecExample));
  std::string written = PartitionSpecToJson(spec);
  EXPECT_EQ(written, R"({"spec-id":0,"fields":[{"source-id":4,"field-id":1000,"name":"ts_day",)"
                     R"("transform":"day"},{"source-id":1,"field-id":1001,"name":"id_bucket",)"
                     R"("transform":"bucket[16]"}]})");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(PartitionSpec again, ParsePartitionSpecJson(written));
  EXPECT_EQ(again, spec);
}

TEST(IcebergPartitionTest, KeepsUnknownTransformsWhenReading) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      PartitionSpec spec,
      ParsePartitionSpecJson(R"({"spec-id":1,"fields":[{"source-id":1,"field-id":1000,
                                 "name":"z","transform":"zorder"}]})"));
  EXPECT_EQ(spec.fields[0].transform.kind, TransformKind::kUnknown);
  EXPECT_NE(PartitionSpecToJson(spec).find("\"zorder\""), std::string::npos);
  EXPECT_THAT(PartitionType(spec, TestSchema()), StatusIs(StatusCode::kUnimplemented, "zorder"));
}

TEST(IcebergPartitionTest, MalformedSpecsAreDataLoss) {
  EXPECT_THAT(ParsePartitionSpecJson(R"({"spec-id":0,"fields":[{"source-id":1,"name":"a",
                                         "transform":"identity"}]})"),
              StatusIs(StatusCode::kDataLoss, "missing required field 'field-id'"));
  EXPECT_THAT(ParsePartitionSpecJson(R"({"spec-id":0,"fields":[{"source-id":1,"field-id":1000,
                                         "name":"a","transform":"bucket[0]"}]})"),
              StatusIs(StatusCode::kDataLoss, "bucket[0]"));
  EXPECT_THAT(ParsePartitionSpecJson(R"({"spec-id":0,"fields":[{"source-id":1,"field-id":1000,
                                         "name":"a","transform":7}]})"),
              StatusIs(StatusCode::kDataLoss, "field 'transform' must be a string"));
  EXPECT_THAT(ParsePartitionSpecJson(R"({"fields":[]})"),
              StatusIs(StatusCode::kDataLoss, "missing required field 'spec-id'"));
  EXPECT_THAT(ParsePartitionSpecJson(R"({"spec-id":0})"),
              StatusIs(StatusCode::kDataLoss, "missing required field 'fields'"));
}

TEST(IcebergPartitionTest, PartitionTypeUsesResultTypes) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(PartitionSpec spec, ParsePartitionSpecJson(kSpecExample));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Type t, PartitionType(spec, TestSchema()));
  ASSERT_EQ(t.fields.size(), 2u);
  EXPECT_EQ(t.fields[0].id, 1000);
  EXPECT_EQ(t.fields[0].name, "ts_day");
  EXPECT_FALSE(t.fields[0].required);
  EXPECT_EQ(t.fields[0].type, Type::Int());
  EXPECT_EQ(t.fields[1].type, Type::Int());
  PartitionSpec bad{0, {PartitionField{42, 1000, "x", Transform::Identity()}}};
  EXPECT_THAT(PartitionType(bad, TestSchema()),
              StatusIs(StatusCode::kInvalidArgument, "source column id 42"));
}

TEST(IcebergPartitionTest, PartitionToPathLikeJava) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(PartitionSpec spec, ParsePartitionSpecJson(kSpecExample));
  const int64_t ts = Micros(Days(2017, 11, 16), 22, 31, 8);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      Value day, ApplyTransform(spec.fields[0].transform, Type::TimestampTz(), Value(ts)));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      Value bucket, ApplyTransform(spec.fields[1].transform, Type::Long(), Value(int64_t{34})));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string path,
                               PartitionToPath(spec, TestSchema(), {day, bucket}));
  EXPECT_EQ(path, "ts_day=2017-11-16/id_bucket=3");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string nulls,
                               PartitionToPath(spec, TestSchema(), {Value(), Value()}));
  EXPECT_EQ(nulls, "ts_day=null/id_bucket=null");
}

TEST(IcebergPartitionTest, PartitionToPathEscapesNamesAndValues) {
  PartitionSpec spec{0,
                     {PartitionField{2, 1000, "name", Transform::Identity()},
                      PartitionField{3, 1001, "data#1", Transform::Identity()},
                      PartitionField{4, 1002, "ts", Transform::Identity()}}};
  std::vector<Value> tuple = {Value(std::string("a b/c\xC3\xA9*")),
                              Value(BinaryBytes{std::string("\xFB\xFF", 2)}),
                              Value(Micros(Days(2017, 11, 16), 22, 31, 8))};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string path, PartitionToPath(spec, TestSchema(), tuple));
  // URLEncoder: space -> '+', '/' -> %2F, UTF-8 bytes as %XX, '*' kept; base64 "+/8=" escaped;
  // ':' in the timestamp escaped.
  EXPECT_EQ(path, "name=a+b%2Fc%C3%A9*/data%231=%2B%2F8%3D/ts=2017-11-16T22%3A31%3A08Z");
}

TEST(IcebergPartitionTest, PartitionToPathRejectsBadTuples) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(PartitionSpec spec, ParsePartitionSpecJson(kSpecExample));
  EXPECT_THAT(PartitionToPath(spec, TestSchema(), {Value()}),
              StatusIs(StatusCode::kInvalidArgument, "1 values but spec 0 has 2 fields"));
  EXPECT_THAT(PartitionToPath(spec, TestSchema(), {Value(std::string("x")), Value()}),
              StatusIs(StatusCode::kInvalidArgument, "partition field 'ts_day'"));
}

TEST(IcebergPartitionTest, UrlEncodeLikeJava) {
  EXPECT_EQ(UrlEncodeLikeJava("azAZ09.-*_"), "azAZ09.-*_");
  EXPECT_EQ(UrlEncodeLikeJava("a b"), "a+b");
  EXPECT_EQ(UrlEncodeLikeJava("=&%+~"), "%3D%26%25%2B%7E");
  EXPECT_EQ(UrlEncodeLikeJava("\xC3\xA9"), "%C3%A9");
}

}  // namespace
}  // namespace medlake::storage::iceberg
