// Tests of the Avro schema model, the datum model and the binary encoding.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/testing/status_matchers.h"
#include "storage/avro/avro_binary.h"
#include "storage/avro/avro_schema.h"
#include "storage/avro/avro_value.h"

namespace medlake::storage {
namespace {

std::string Hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out.push_back(kDigits[(static_cast<uint8_t>(c) >> 4) & 0xF]);
    out.push_back(kDigits[static_cast<uint8_t>(c) & 0xF]);
  }
  return out;
}

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string Encode(const AvroNode& schema, const AvroValue& v) {
  std::string out;
  Status s = EncodeAvroDatum(schema, v, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

// ---- schema ----

TEST(AvroSchemaTest, ParsesEveryPrimitiveName) {
  for (const char* name :
       {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}) {
    std::string json = std::string("\"") + name + "\"";
    MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema schema, AvroSchema::Parse(json));
    EXPECT_EQ(AvroTypeName(schema.root().type), name);
    EXPECT_EQ(schema.ToJson(), json);
    // The object form without attributes is written back in the short form.
    MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema obj,
                                 AvroSchema::Parse(std::string("{\"type\":") + json + "}"));
    EXPECT_EQ(obj.ToJson(), json);
  }
}

TEST(AvroSchemaTest, KeepsLogicalTypesAsAttributes) {
  const std::string json =
      R"({"type":"record","name":"r","fields":[)"
      R"({"name":"d","type":{"type":"int","logicalType":"date"}},)"
      R"({"name":"ts","type":{"type":"long","logicalType":"timestamp-micros","adjust-to-utc":true}},)"
      R"({"name":"u","type":{"type":"fixed","name":"uuid_fixed","size":16,"logicalType":"uuid"}},)"
      R"({"name":"m","type":{"type":"fixed","name":"decimal_9_2","size":4,"logicalType":"decimal","precision":9,"scale":2}}]})";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema schema, AvroSchema::Parse(json));
  const AvroNode& root = schema.root();
  ASSERT_EQ(root.fields.size(), 4u);
  EXPECT_EQ(root.fields[0].type->type, AvroType::kInt);
  EXPECT_EQ(root.fields[0].type->logical_type(), "date");
  EXPECT_EQ(root.fields[1].type->logical_type(), "timestamp-micros");
  EXPECT_EQ(*root.fields[1].type->attributes.FindJson("adjust-to-utc"), "true");
  EXPECT_EQ(root.fields[2].type->size, 16);
  EXPECT_EQ(root.fields[2].type->logical_type(), "uuid");
  EXPECT_EQ(root.fields[3].type->attributes.GetInt("precision"), 9);
  EXPECT_EQ(root.fields[3].type->attributes.GetInt("scale"), 2);
  EXPECT_EQ(schema.ToJson(), json);
}

// The shapes Iceberg writes (spec "Avro" appendix): field-id on fields, element-id on arrays,
// key-id/value-id on maps, and arrays of key/value records tagged logicalType "map".
constexpr const char* kIcebergShapes =
    R"({"type":"record","name":"manifest_entry","fields":[)"
    R"({"name":"status","type":"int","field-id":0},)"
    R"({"name":"snapshot_id","type":["null","long"],"default":null,"field-id":1},)"
    R"({"name":"split_offsets","type":["null",{"type":"array","items":"long","element-id":133}],"doc":"Splittable offsets","default":null,"field-id":132},)"
    R"({"name":"lower_bounds","type":["null",{"type":"array","items":{"type":"record","name":"k126_v127","fields":[{"name":"key","type":"int","field-id":126},{"name":"value","type":"bytes","field-id":127}]},"logicalType":"map"}],"default":null,"field-id":125},)"
    R"({"name":"props","type":{"type":"map","values":"string","key-id":200,"value-id":201},"field-id":199}]})";

TEST(AvroSchemaTest, RoundTripPreservesIcebergIds) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema schema, AvroSchema::Parse(kIcebergShapes));
  const AvroNode& root = schema.root();
  EXPECT_EQ(root.FullName(), "manifest_entry");
  ASSERT_NE(root.FindField("status"), nullptr);
  EXPECT_EQ(root.FindField("status")->field_id(), 0);
  EXPECT_EQ(root.FindFieldById(132)->name, "split_offsets");
  EXPECT_EQ(root.FindFieldById(132)->doc, "Splittable offsets");
  EXPECT_EQ(root.FindFieldById(1)->default_json, "null");

  const AvroNode* split = root.FindFieldById(132)->type;
  ASSERT_EQ(split->type, AvroType::kUnion);
  const AvroNode* array = split->branches[1];
  ASSERT_EQ(array->type, AvroType::kArray);
  EXPECT_EQ(array->attributes.GetInt("element-id"), 133);

  const AvroNode* bounds = root.FindFieldById(125)->type->branches[1];
  EXPECT_EQ(bounds->logical_type(), "map");
  EXPECT_EQ(bounds->items->FullName(), "k126_v127");
  EXPECT_EQ(bounds->items->FindField("key")->field_id(), 126);
  EXPECT_EQ(bounds->items->FindField("value")->field_id(), 127);

  const AvroNode* props = root.FindFieldById(199)->type;
  ASSERT_EQ(props->type, AvroType::kMap);
  EXPECT_EQ(props->attributes.GetInt("key-id"), 200);
  EXPECT_EQ(props->attributes.GetInt("value-id"), 201);

  // Written back byte for byte (the input uses our key order), and stable on a second trip.
  EXPECT_EQ(schema.ToJson(), kIcebergShapes);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema again, AvroSchema::Parse(schema.ToJson()));
  EXPECT_EQ(again.ToJson(), kIcebergShapes);
}

TEST(AvroSchemaTest, ResolvesNamedTypeReferences) {
  const std::string json =
      R"({"type":"record","name":"outer","namespace":"a.b","fields":[)"
      R"({"name":"x","type":{"type":"fixed","name":"md5","size":16}},)"
      R"({"name":"y","type":"md5"},)"
      R"({"name":"z","type":"a.b.md5"},)"
      R"({"name":"e","type":{"type":"enum","name":"color","namespace":"c","symbols":["RED","GREEN"],"default":"RED"}},)"
      R"({"name":"f","type":"c.color"},)"
      R"({"name":"next","type":["null","outer"]}]})";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema schema, AvroSchema::Parse(json));
  const AvroNode& root = schema.root();
  EXPECT_EQ(root.FullName(), "a.b.outer");
  EXPECT_EQ(root.fields[0].type->FullName(), "a.b.md5");
  EXPECT_EQ(root.fields[1].type, root.fields[0].type);
  EXPECT_EQ(root.fields[2].type, root.fields[0].type);
  EXPECT_EQ(root.fields[3].type->FullName(), "c.color");
  EXPECT_EQ(root.fields[3].type->enum_default, "RED");
  EXPECT_EQ(root.fields[4].type, root.fields[3].type);
  EXPECT_EQ(root.fields[5].type->branches[1], &root);  // recursive reference

  // References are written by name and parse back to the same structure.
  std::string written = schema.ToJson();
  EXPECT_NE(written.find(R"({"name":"y","type":"md5"})"), std::string::npos) << written;
  EXPECT_NE(written.find(R"({"name":"f","type":"c.color"})"), std::string::npos) << written;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema again, AvroSchema::Parse(written));
  EXPECT_EQ(again.ToJson(), written);
  EXPECT_EQ(again.root().fields[5].type->branches[1], &again.root());
}

TEST(AvroSchemaTest, AcceptsRecordWithoutName) {
  // PyIceberg writes some records without "name"; Avro requires one, readers should cope.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      AvroSchema schema,
      AvroSchema::Parse(R"({"type":"record","fields":[{"name":"a","type":"int"}]})"));
  EXPECT_EQ(schema.root().name, "");
  EXPECT_EQ(schema.ToJson(), R"({"type":"record","fields":[{"name":"a","type":"int"}]})");
}

TEST(AvroSchemaTest, RejectsMalformedSchemas) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{", "not valid JSON"},
      {"42", "must be a string, an object or an array"},
      {R"("nosuchtype")", "unknown type name 'nosuchtype'"},
      {R"({"name":"x"})", "without \"type\""},
      {R"({"type":"array"})", "array without \"items\""},
      {R"({"type":"map"})", "map without \"values\""},
      {R"({"type":"record","name":"r"})", "needs a \"fields\" array"},
      {R"({"type":"record","name":"r","fields":[{"name":"a","type":"int"},{"name":"a","type":"long"}]})",
       "two fields named 'a'"},
      {R"({"type":"record","name":"r","fields":[{"name":"a"}]})", "has no type"},
      {R"({"type":"enum","symbols":["A"]})", "enum without a name"},
      {R"({"type":"enum","name":"e","symbols":["A","A"]})", "repeats a symbol"},
      {R"({"type":"enum","name":"e","symbols":["A"],"default":"B"})",
       "default that is not a symbol"},
      {R"({"type":"fixed","name":"f","size":-1})", "non-negative integer \"size\""},
      {R"({"type":"fixed","name":"f"})", "non-negative integer \"size\""},
      {R"(["null",["int","long"]])", "union directly inside a union"},
      {R"(["int","int"])", "two branches of type int"},
      {R"({"type":"record","name":"r","fields":[{"name":"a","type":{"type":"fixed","name":"r","size":1}}]})",
       "type 'r' is defined twice"},
  };
  for (const auto& [json, message] : cases) {
    EXPECT_THAT(AvroSchema::Parse(json), StatusIs(StatusCode::kInvalidArgument, message)) << json;
  }
}

TEST(AvroSchemaTest, RejectsDeepNesting) {
  std::string json;
  for (int i = 0; i < 100; ++i)
    json += R"({"type":"array","items":)";
  json += R"("int")";
  for (int i = 0; i < 100; ++i)
    json += "}";
  EXPECT_THAT(AvroSchema::Parse(json), StatusIs(StatusCode::kInvalidArgument, "nested deeper"));
  // Deeply nested JSON must not exhaust the stack either.
  EXPECT_THAT(AvroSchema::Parse(std::string(200000, '[') + std::string(200000, ']')),
              StatusIs(StatusCode::kInvalidArgument, "nested deeper"));
  EXPECT_THAT(AvroSchema::Parse(std::string(200000, '[')),
              StatusIs(StatusCode::kInvalidArgument, "not valid JSON"));
}

TEST(AvroSchemaTest, CopyIsDeep) {
  auto original = std::make_unique<AvroSchema>(AvroSchema::Parse(kIcebergShapes).value());
  AvroSchema copy = *original;
  const std::string json = original->ToJson();
  original.reset();
  EXPECT_EQ(copy.ToJson(), json);
  MEDLAKE_EXPECT_OK(copy.Validate());
  AvroSchema assigned;
  assigned = copy;
  EXPECT_EQ(assigned.ToJson(), json);
  EXPECT_NE(&assigned.root(), &copy.root());
}

TEST(AvroSchemaTest, BuildsAndValidatesProgrammatically) {
  AvroSchema schema;
  AvroNode* rec = schema.AddNode(AvroType::kRecord);
  rec->name = "manifest_file";
  AvroField path;
  path.name = "manifest_path";
  path.type = schema.AddNode(AvroType::kString);
  path.attributes.SetInt("field-id", 500);
  rec->fields.push_back(path);
  AvroNode* list = schema.AddNode(AvroType::kArray);
  list->items = schema.AddNode(AvroType::kLong);
  list->attributes.SetInt("element-id", 133);
  AvroField offsets;
  offsets.name = "split_offsets";
  offsets.type = list;
  offsets.attributes.SetInt("field-id", 132);
  rec->fields.push_back(offsets);
  schema.set_root(rec);
  MEDLAKE_ASSERT_OK(schema.Validate());
  EXPECT_EQ(
      schema.ToJson(),
      R"({"type":"record","name":"manifest_file","fields":[{"name":"manifest_path","type":"string","field-id":500},)"
      R"({"name":"split_offsets","type":{"type":"array","items":"long","element-id":133},"field-id":132}]})");

  AvroField broken;
  broken.name = "broken";
  rec->fields.push_back(broken);
  EXPECT_THAT(schema.Validate(),
              StatusIs(StatusCode::kInvalidArgument, "type of field 'broken' is missing"));
  rec->fields.pop_back();
  rec->fields.push_back(path);
  EXPECT_THAT(schema.Validate(),
              StatusIs(StatusCode::kInvalidArgument, "two fields named 'manifest_path'"));
}

TEST(AvroSchemaTest, AttributesStoreAnyJson) {
  AvroAttributes a;
  a.SetString("logicalType", "map");
  a.SetInt("field-id", -7);
  MEDLAKE_ASSERT_OK(a.SetJson("aliases", R"([ "x", "y" ])"));
  EXPECT_THAT(a.SetJson("bad", "{"), StatusIs(StatusCode::kInvalidArgument, "not valid JSON"));
  EXPECT_THAT(a.SetJson("bad", "1 2"), StatusIs(StatusCode::kInvalidArgument, "not valid JSON"));
  EXPECT_EQ(a.GetString("logicalType"), "map");
  EXPECT_EQ(a.GetInt("field-id"), -7);
  EXPECT_EQ(a.GetInt("logicalType"), std::nullopt);
  EXPECT_EQ(a.GetString("field-id"), std::nullopt);
  EXPECT_EQ(*a.FindJson("aliases"), R"(["x","y"])");
  a.SetString("quote", "a\"b");
  EXPECT_EQ(*a.FindJson("quote"), R"("a\"b")");
  EXPECT_EQ(a.GetString("quote"), "a\"b");
  a.SetInt("field-id", 3);  // replaced in place
  EXPECT_EQ(a.entries()[1].key, "field-id");
  EXPECT_EQ(a.GetInt("field-id"), 3);
  EXPECT_TRUE(a.Remove("aliases"));
  EXPECT_FALSE(a.Remove("aliases"));
  EXPECT_EQ(a.entries().size(), 3u);
}

// ---- values ----

TEST(AvroValueTest, RecordBuilderWrapsUnionsAndAppliesDefaults) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema schema, AvroSchema::Parse(kIcebergShapes));
  AvroRecordBuilder b(schema.root());
  MEDLAKE_ASSERT_OK(b.Set("status", AvroValue::Int(1)));
  MEDLAKE_ASSERT_OK(b.Set("snapshot_id", AvroValue::Long(42)));
  MEDLAKE_ASSERT_OK(b.Set("props", AvroValue::Map({{"k", AvroValue::String("v")}})));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroValue record, std::move(b).Build());
  ASSERT_EQ(record.fields().size(), 5u);
  EXPECT_EQ(record.fields()[1], AvroValue::Union(1, AvroValue::Long(42)));
  EXPECT_EQ(record.fields()[2], AvroValue::Union(0, AvroValue::Null()));  // default null
  EXPECT_EQ(FindRecordField(schema.root(), record, "snapshot_id")->Unwrapped().long_value(), 42);
  EXPECT_EQ(FindRecordFieldById(schema.root(), record, 0)->int_value(), 1);
  EXPECT_EQ(FindRecordField(schema.root(), record, "nope"), nullptr);
  EXPECT_EQ(FindRecordFieldById(schema.root(), record, 999), nullptr);
  EXPECT_EQ(FindRecordField(schema.root(), AvroValue::Int(1), "status"), nullptr);
}

TEST(AvroValueTest, RecordBuilderReportsErrors) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema schema, AvroSchema::Parse(kIcebergShapes));
  AvroRecordBuilder b(schema.root());
  EXPECT_THAT(b.Set("nope", AvroValue::Int(1)), StatusIs(StatusCode::kNotFound, "no field 'nope'"));
  EXPECT_THAT(b.Set("status", AvroValue::Long(1)),
              StatusIs(StatusCode::kInvalidArgument, "has type int"));
  EXPECT_THAT(b.Set("snapshot_id", AvroValue::String("x")),
              StatusIs(StatusCode::kInvalidArgument, "no union branch of type string"));
  EXPECT_THAT(std::move(b).Build(), StatusIs(StatusCode::kInvalidArgument, "'status'"));
}

TEST(AvroValueTest, ConvertsJsonDefaults) {
  const std::string json =
      R"({"type":"record","name":"r","fields":[)"
      R"({"name":"b","type":"bytes","default":"\u0000\u00ff"},)"
      R"({"name":"f","type":{"type":"fixed","name":"two","size":2},"default":"ab"},)"
      R"({"name":"e","type":{"type":"enum","name":"e","symbols":["A","B"]},"default":"B"},)"
      R"({"name":"a","type":{"type":"array","items":"int"},"default":[1,2]},)"
      R"({"name":"m","type":{"type":"map","values":"double"},"default":{"x":1.5}},)"
      R"({"name":"u","type":["string","null"],"default":"s"},)"
      R"({"name":"n","type":{"type":"record","name":"inner","fields":[{"name":"i","type":"long","default":7}]},"default":{}},)"
      R"({"name":"fl","type":"float","default":0.5},)"
      R"({"name":"t","type":"boolean","default":true}]})";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema schema, AvroSchema::Parse(json));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroValue v, AvroRecordBuilder(schema.root()).Build());
  EXPECT_EQ(v.fields()[0], AvroValue::Bytes(std::string("\x00\xff", 2)));
  EXPECT_EQ(v.fields()[1], AvroValue::Fixed("ab"));
  EXPECT_EQ(v.fields()[2], AvroValue::Enum(1));
  EXPECT_EQ(v.fields()[3], AvroValue::Array({AvroValue::Int(1), AvroValue::Int(2)}));
  EXPECT_EQ(v.fields()[4], AvroValue::Map({{"x", AvroValue::Double(1.5)}}));
  EXPECT_EQ(v.fields()[5], AvroValue::Union(0, AvroValue::String("s")));
  EXPECT_EQ(v.fields()[6], AvroValue::Record({AvroValue::Long(7)}));
  EXPECT_EQ(v.fields()[7], AvroValue::Float(0.5f));
  EXPECT_EQ(v.fields()[8], AvroValue::Boolean(true));

  EXPECT_THAT(AvroValueFromJson(*schema.root().fields[1].type, R"("abc")"),
              StatusIs(StatusCode::kInvalidArgument, "does not fit type fixed"));
  EXPECT_THAT(AvroValueFromJson(*schema.root().fields[2].type, R"("C")"),
              StatusIs(StatusCode::kInvalidArgument, "does not fit type enum"));
  EXPECT_THAT(AvroValueFromJson(*schema.root().fields[0].type, R"("\u0100")"),
              StatusIs(StatusCode::kInvalidArgument, "does not fit type bytes"));
}

TEST(AvroValueTest, DebugStringShowsStructure) {
  AvroValue v = AvroValue::Record({AvroValue::Int(1), AvroValue::String("a\"b"),
                                   AvroValue::Bytes(std::string("\x00\x90", 2)),
                                   AvroValue::Union(1, AvroValue::Long(5)),
                                   AvroValue::Array({AvroValue::Boolean(true), AvroValue::Null()}),
                                   AvroValue::Map({{"k", AvroValue::Enum(2)}})});
  EXPECT_EQ(v.DebugString(),
            R"({1, "a\"b", b"\x00\x90", <branch 1: 5>, [true, null], {"k": enum 2}})");
}

// ---- binary encoding ----

TEST(AvroBinaryTest, EncodesSpecExamples) {
  // Avro spec "Primitive Types": zig-zag varints and length-prefixed strings.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema long_schema, AvroSchema::Parse(R"("long")"));
  const std::vector<std::pair<int64_t, std::string>> longs = {
      {0, "00"},
      {-1, "01"},
      {1, "02"},
      {-2, "03"},
      {2, "04"},
      {-64, "7f"},
      {64, "8001"},
      {std::numeric_limits<int64_t>::max(), "feffffffffffffffff01"},
      {std::numeric_limits<int64_t>::min(), "ffffffffffffffffff01"}};
  for (const auto& [value, hex] : longs) {
    std::string bytes = Encode(long_schema.root(), AvroValue::Long(value));
    EXPECT_EQ(Hex(bytes), hex) << value;
    std::string_view in = bytes;
    MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroValue back, DecodeAvroDatum(long_schema.root(), &in));
    EXPECT_EQ(back.long_value(), value);
    EXPECT_TRUE(in.empty());
  }
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema string_schema, AvroSchema::Parse(R"("string")"));
  EXPECT_EQ(Hex(Encode(string_schema.root(), AvroValue::String("foo"))), "06666f6f");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema float_schema, AvroSchema::Parse(R"("float")"));
  EXPECT_EQ(Hex(Encode(float_schema.root(), AvroValue::Float(1.0f))), "0000803f");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema double_schema, AvroSchema::Parse(R"("double")"));
  EXPECT_EQ(Hex(Encode(double_schema.root(), AvroValue::Double(-2.0))), "00000000000000c0");
  // A union ["null","string"] holding "a": index 1, then the string.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema union_schema, AvroSchema::Parse(R"(["null","string"])"));
  EXPECT_EQ(Hex(Encode(union_schema.root(), AvroValue::String("a"))), "020261");
  EXPECT_EQ(Hex(Encode(union_schema.root(), AvroValue::Null())), "00");
  // An array of longs [3, 27]: one block of 2 items, then the end marker.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema array_schema,
                               AvroSchema::Parse(R"({"type":"array","items":"long"})"));
  EXPECT_EQ(
      Hex(Encode(array_schema.root(), AvroValue::Array({AvroValue::Long(3), AvroValue::Long(27)}))),
      "04063600");
}

// A schema using every type, and a value of it.
constexpr const char* kAllTypes =
    R"({"type":"record","name":"all","namespace":"t","fields":[)"
    R"({"name":"n","type":"null"},)"
    R"({"name":"b","type":"boolean"},)"
    R"({"name":"i","type":"int"},)"
    R"({"name":"l","type":"long"},)"
    R"({"name":"f","type":"float"},)"
    R"({"name":"d","type":"double"},)"
    R"({"name":"by","type":"bytes"},)"
    R"({"name":"s","type":"string"},)"
    R"({"name":"e","type":{"type":"enum","name":"suit","symbols":["SPADES","HEARTS","CLUBS"]}},)"
    R"({"name":"fx","type":{"type":"fixed","name":"four","size":4}},)"
    R"({"name":"a","type":{"type":"array","items":"int"}},)"
    R"({"name":"m","type":{"type":"map","values":["null","long"]}},)"
    R"({"name":"u","type":["null","string","four"]},)"
    R"({"name":"r","type":{"type":"record","name":"node","fields":[)"
    R"({"name":"v","type":"int"},{"name":"next","type":["null","node"]}]}},)"
    R"({"name":"kv","type":{"type":"array","items":{"type":"record","name":"k1_v2","fields":[)"
    R"({"name":"key","type":"int","field-id":1},{"name":"value","type":"bytes","field-id":2}]},"logicalType":"map"}}]})";

AvroValue AllTypesValue() {
  return AvroValue::Record({
      AvroValue::Null(),
      AvroValue::Boolean(true),
      AvroValue::Int(std::numeric_limits<int32_t>::min()),
      AvroValue::Long(std::numeric_limits<int64_t>::max()),
      AvroValue::Float(-1.25f),
      AvroValue::Double(std::numeric_limits<double>::infinity()),
      AvroValue::Bytes(std::string("\x00\x90\xe1\xa6", 4)),
      AvroValue::String("h\xc3\xa9llo"),
      AvroValue::Enum(2),
      AvroValue::Fixed("abcd"),
      AvroValue::Array({AvroValue::Int(1), AvroValue::Int(-1), AvroValue::Int(300)}),
      AvroValue::Map({{"x", AvroValue::Union(1, AvroValue::Long(5))},
                      {"y", AvroValue::Union(0, AvroValue::Null())}}),
      AvroValue::Union(2, AvroValue::Fixed("wxyz")),
      AvroValue::Record(
          {AvroValue::Int(1),
           AvroValue::Union(
               1, AvroValue::Record({AvroValue::Int(2), AvroValue::Union(0, AvroValue::Null())}))}),
      AvroValue::Array({AvroValue::Record({AvroValue::Int(6), AvroValue::Bytes("\x01")}),
                        AvroValue::Record({AvroValue::Int(7), AvroValue::Bytes("")})}),
  });
}

TEST(AvroBinaryTest, RoundTripsEveryType) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema schema, AvroSchema::Parse(kAllTypes));
  const AvroValue value = AllTypesValue();
  std::string bytes = Encode(schema.root(), value);
  bytes += "trailing";
  std::string_view in = bytes;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroValue back, DecodeAvroDatum(schema.root(), &in));
  EXPECT_EQ(back, value);
  EXPECT_EQ(in, "trailing");

  // NaN does not compare equal to itself; check its bits survive.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema d, AvroSchema::Parse(R"("double")"));
  std::string nan = Encode(d.root(), AvroValue::Double(std::nan("")));
  std::string_view nan_in = nan;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroValue nan_back, DecodeAvroDatum(d.root(), &nan_in));
  EXPECT_TRUE(std::isnan(nan_back.double_value()));
}

TEST(AvroBinaryTest, DecodesNegativeBlockCounts) {
  // Writers may give a block's item count as negative, followed by the block's size in bytes.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema schema,
                               AvroSchema::Parse(R"({"type":"array","items":"long"})"));
  std::string bytes = Unhex(
      "03"
      "04"
      "0636"
      "01"
      "02"
      "02"
      "00");  // -2 items (4 bytes), -1 item (2 bytes)
  std::string_view in = bytes;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroValue v, DecodeAvroDatum(schema.root(), &in));
  EXPECT_EQ(v, AvroValue::Array({AvroValue::Long(3), AvroValue::Long(27), AvroValue::Long(1)}));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema map,
                               AvroSchema::Parse(R"({"type":"map","values":"int"})"));
  std::string map_bytes = Unhex(
      "01"
      "04"
      "026b"
      "02"
      "00");
  std::string_view map_in = map_bytes;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroValue m, DecodeAvroDatum(map.root(), &map_in));
  EXPECT_EQ(m, AvroValue::Map({{"k", AvroValue::Int(1)}}));
  // A block byte size larger than the input is corrupt.
  std::string bad = Unhex(
      "03"
      "7e"
      "0636"
      "00");
  std::string_view bad_in = bad;
  EXPECT_THAT(DecodeAvroDatum(schema.root(), &bad_in),
              StatusIs(StatusCode::kDataLoss, "block byte size exceeds the input"));
}

TEST(AvroBinaryTest, EveryTruncationIsDataLoss) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema schema, AvroSchema::Parse(kAllTypes));
  const std::string bytes = Encode(schema.root(), AllTypesValue());
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::string_view in(bytes.data(), n);
    EXPECT_THAT(DecodeAvroDatum(schema.root(), &in), StatusIs(StatusCode::kDataLoss, "avro: "))
        << n;
    EXPECT_EQ(in.size(), n);  // unchanged on error
  }
}

TEST(AvroBinaryTest, RandomInputNeverCrashes) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema schema, AvroSchema::Parse(kAllTypes));
  const std::string good = Encode(schema.root(), AllTypesValue());
  std::mt19937 rng(1234);
  int decoded = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string bytes = good;
    // Flip a few bytes of a valid encoding, or make random bytes.
    if (iter % 3 == 0) {
      bytes.resize(rng() % 64);
      for (char& c : bytes)
        c = static_cast<char>(rng());
    } else {
      for (int k = 0; k < 1 + iter % 4; ++k)
        bytes[rng() % bytes.size()] = static_cast<char>(rng());
    }
    std::string_view in = bytes;
    Result<AvroValue> r = DecodeAvroDatum(schema.root(), &in);
    if (r.ok()) {
      ++decoded;
    } else {
      EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
    }
  }
  EXPECT_GT(decoded, 0);
}

TEST(AvroBinaryTest, RejectsMalformedInput) {
  struct Case {
    const char* schema;
    const char* hex;
    const char* message;
  };
  const std::vector<Case> cases = {
      {R"("long")", "ffffffffffffffffffff01", "overlong varint at offset 0"},
      {R"("long")", "80", "truncated long at offset 0"},
      {R"("int")", "8080808010", "int out of range"},
      {R"("boolean")", "02", "invalid boolean byte"},
      {R"("bytes")", "feffffffffffffff7f", "length exceeds the input"},
      {R"("string")", "01", "negative length"},
      {R"("string")", "0861", "length exceeds the input"},
      {R"("double")", "000000", "truncated fixed-size value"},
      {R"({"type":"fixed","name":"f","size":1000000})", "00", "truncated fixed-size value"},
      {R"(["null","int"])", "04", "union index out of range at offset 0"},
      {R"(["null","int"])", "01", "union index out of range"},
      {R"({"type":"enum","name":"e","symbols":["A"]})", "02", "enum index out of range"},
      {R"({"type":"array","items":"null"})", "feffffffffffffff7f", "array block count exceeds"},
      {R"({"type":"array","items":"int"})", "feffffffffffffff7f", "array block count exceeds"},
      {R"({"type":"map","values":"int"})", "feffffffffffffff7f", "map block count exceeds"},
      {R"({"type":"array","items":"int"})", "ffffffffffffffffff01", "invalid block count"},
  };
  for (const Case& c : cases) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema schema, AvroSchema::Parse(c.schema));
    std::string bytes = Unhex(c.hex);
    std::string_view in = bytes;
    EXPECT_THAT(DecodeAvroDatum(schema.root(), &in), StatusIs(StatusCode::kDataLoss, c.message))
        << c.schema << " " << c.hex;
  }
}

TEST(AvroBinaryTest, BoundsValuesFromZeroByteItems) {
  // 100000 nulls take no bytes each; the decoder refuses to create that many values from 4 bytes.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroSchema schema,
                               AvroSchema::Parse(R"({"type":"array","items":"null"})"));
  std::string bytes;
  Status s =
      EncodeAvroDatum(schema.root(), AvroValue::Array(std::vector<AvroValue>(100000)), &bytes);
  MEDLAKE_ASSERT_OK(s);
  std::string_view in = bytes;
  EXPECT_THAT(DecodeAvroDatum(schema.root(), &in),
              StatusIs(StatusCode::kDataLoss, "array block count exceeds"));
  // Small counts are fine.
  bytes.clear();
  MEDLAKE_ASSERT_OK(
      EncodeAvroDatum(schema.root(), AvroValue::Array(std::vector<AvroValue>(100)), &bytes));
  in = bytes;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AvroValue v, DecodeAvroDatum(schema.root(), &in));
  EXPECT_EQ(v.items().size(), 100u);
}

TEST(AvroBinaryTest, CapsNestingDepth) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      AvroSchema schema,
      AvroSchema::Parse(
          R"({"type":"record","name":"n","fields":[{"name":"next","type":["null","n"]}]})"));
  // Each level is a union index 1 (0x02); 500 levels, then null.
  std::string bytes(500, '\x02');
  bytes.push_back('\x00');
  std::string_view in = bytes;
  EXPECT_THAT(DecodeAvroDatum(schema.root(), &in),
              StatusIs(StatusCode::kDataLoss, "nested too deeply"));

  AvroValue deep = AvroValue::Record({AvroValue::Union(0, AvroValue::Null())});
  for (int i = 0; i < 60; ++i)
    deep = AvroValue::Record({AvroValue::Union(1, std::move(deep))});
  std::string out;
  EXPECT_THAT(EncodeAvroDatum(schema.root(), deep, &out),
              StatusIs(StatusCode::kInvalidArgument, "nested too deeply"));
  EXPECT_TRUE(out.empty());
}

TEST(AvroBinaryTest, EncodeRejectsMismatchesWithFieldPath) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      AvroSchema schema,
      AvroSchema::Parse(
          R"({"type":"record","name":"entry","fields":[{"name":"status","type":"int"},)"
          R"({"name":"data_file","type":{"type":"record","name":"r2","fields":[)"
          R"({"name":"record_count","type":"long"},)"
          R"({"name":"e","type":{"type":"enum","name":"e","symbols":["A"]}},)"
          R"({"name":"f","type":{"type":"fixed","name":"f","size":2}},)"
          R"({"name":"u","type":["null","long"]}]}}]})"));
  auto entry = [](AvroValue count, AvroValue e, AvroValue f, AvroValue u) {
    return AvroValue::Record({AvroValue::Int(1), AvroValue::Record({std::move(count), std::move(e),
                                                                    std::move(f), std::move(u)})});
  };
  std::string out = "keep";
  EXPECT_THAT(EncodeAvroDatum(schema.root(),
                              entry(AvroValue::String("x"), AvroValue::Enum(0),
                                    AvroValue::Fixed("ab"), AvroValue::Null()),
                              &out),
              StatusIs(StatusCode::kInvalidArgument,
                       "field 'data_file.record_count': expected long, got string"));
  EXPECT_EQ(out, "keep");
  EXPECT_THAT(EncodeAvroDatum(schema.root(),
                              entry(AvroValue::Long(1), AvroValue::Enum(1), AvroValue::Fixed("ab"),
                                    AvroValue::Null()),
                              &out),
              StatusIs(StatusCode::kInvalidArgument, "enum index 1 out of range"));
  EXPECT_THAT(EncodeAvroDatum(schema.root(),
                              entry(AvroValue::Long(1), AvroValue::Enum(0), AvroValue::Fixed("abc"),
                                    AvroValue::Null()),
                              &out),
              StatusIs(StatusCode::kInvalidArgument, "fixed value of 3 bytes"));
  EXPECT_THAT(EncodeAvroDatum(schema.root(),
                              entry(AvroValue::Long(1), AvroValue::Enum(0), AvroValue::Fixed("ab"),
                                    AvroValue::Union(2, AvroValue::Null())),
                              &out),
              StatusIs(StatusCode::kInvalidArgument, "union branch 2 out of range"));
  EXPECT_THAT(EncodeAvroDatum(schema.root(), AvroValue::Record({AvroValue::Int(1)}), &out),
              StatusIs(StatusCode::kInvalidArgument, "record value has 1 fields, schema has 2"));
  EXPECT_EQ(out, "keep");
  // A plain value for a union field goes to the branch of its type.
  MEDLAKE_EXPECT_OK(EncodeAvroDatum(
      schema.root(),
      entry(AvroValue::Long(1), AvroValue::Enum(0), AvroValue::Fixed("ab"), AvroValue::Long(9)),
      &out));
}

}  // namespace
}  // namespace medlake::storage
