#include "ingest/fhir/bundle_reader.h"

#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"

namespace medlake::ingest::fhir {
namespace {

TEST(BundleReaderTest, SplitsTransactionWithExactResourceBytes) {
  const std::string json =
      "{ \"resourceType\" : \"Bundle\", \"id\":\"b1\", \"type\":\"transaction\",\n"
      "  \"entry\": [\n"
      "    {\"fullUrl\":\"urn:uuid:1\", \"resource\" : {\"resourceType\":\"Patient\",\"id\":\"p\","
      "\"name\":[{\"text\":\"A \\\"q\\\" \\u00e9\"}]}  ,\n"
      "     \"request\":{\"method\":\"POST\",\"url\":\"Patient\"}},\n"
      "    {\"request\":{\"method\":\"DELETE\",\"url\":\"Patient/old\"}},\n"
      "    {\"resource\":{ \"resourceType\" : \"Observation\" }\n}\n"
      "  ]}";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(FhirBundle b, ReadBundle(json));
  EXPECT_EQ(b.id, "b1");
  EXPECT_EQ(b.type, "transaction");
  ASSERT_EQ(b.entries.size(), 3u);
  const FhirBundleEntry& e0 = b.entries[0];
  EXPECT_EQ(e0.index, 0u);
  EXPECT_EQ(e0.full_url, "urn:uuid:1");
  EXPECT_EQ(e0.request_method, "POST");
  EXPECT_EQ(e0.request_url, "Patient");
  EXPECT_TRUE(e0.has_resource);
  EXPECT_EQ(e0.problem, "");
  EXPECT_EQ(e0.resource_json,
            "{\"resourceType\":\"Patient\",\"id\":\"p\",\"name\":[{\"text\":\"A \\\"q\\\" "
            "\\u00e9\"}]}");
  EXPECT_EQ(json.substr(e0.resource_offset, e0.resource_json.size()), e0.resource_json);
  EXPECT_EQ(e0.resource_json.data(), json.data() + e0.resource_offset);
  const FhirBundleEntry& e1 = b.entries[1];
  EXPECT_FALSE(e1.has_resource);
  EXPECT_EQ(e1.request_method, "DELETE");
  EXPECT_EQ(e1.request_url, "Patient/old");
  EXPECT_EQ(e1.problem, "");
  EXPECT_EQ(b.entries[2].resource_json, "{ \"resourceType\" : \"Observation\" }");
}

TEST(BundleReaderTest, AcceptsEveryBundleTypeAndEmptyBundles) {
  for (const char* type : {"document", "message", "transaction", "transaction-response", "batch",
                           "batch-response", "history", "searchset", "collection"}) {
    Result<FhirBundle> b =
        ReadBundle(std::string(R"({"resourceType":"Bundle","type":")") + type + "\"}");
    MEDLAKE_ASSERT_OK(b);
    EXPECT_TRUE(b->entries.empty());
  }
}

TEST(BundleReaderTest, ReportsBadEntriesPerEntry) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(FhirBundle b,
                               ReadBundle(R"({"resourceType":"Bundle","type":"batch","entry":[
        1, {"resource":[]}, {"fullUrl":3,"resource":{}}, {"request":"x"},
        {"resource":{"resourceType":"Patient","id":"ok"}}]})"));
  ASSERT_EQ(b.entries.size(), 5u);
  EXPECT_EQ(b.entries[0].problem, "entry[0] is not an object");
  EXPECT_EQ(b.entries[1].problem, "entry[1].resource is not an object");
  EXPECT_EQ(b.entries[2].problem, "entry[2].fullUrl is not a string");
  EXPECT_EQ(b.entries[2].resource_json, "{}");
  EXPECT_EQ(b.entries[3].problem, "entry[3].request is not an object");
  EXPECT_EQ(b.entries[4].problem, "");
  EXPECT_EQ(b.entries[4].resource_json, R"({"resourceType":"Patient","id":"ok"})");
}

TEST(BundleReaderTest, RejectsMalformedBundles) {
  EXPECT_THAT(ReadBundle(R"({"resourceType":"Bundle","type":"batch","entry":[)"),
              StatusIs(StatusCode::kInvalidArgument, "not valid JSON"));
  EXPECT_THAT(ReadBundle("[]"), StatusIs(StatusCode::kInvalidArgument, "not a JSON object"));
  EXPECT_THAT(ReadBundle(R"({"resourceType":"Patient","type":"batch"})"),
              StatusIs(StatusCode::kInvalidArgument, "resourceType is not \"Bundle\""));
  EXPECT_THAT(ReadBundle(R"({"resourceType":"Bundle"})"),
              StatusIs(StatusCode::kInvalidArgument, "Bundle.type missing"));
  EXPECT_THAT(ReadBundle(R"({"resourceType":"Bundle","type":"pile"})"),
              StatusIs(StatusCode::kInvalidArgument, "Bundle.type is not"));
  EXPECT_THAT(ReadBundle(R"({"resourceType":"Bundle","type":"batch","entry":{}})"),
              StatusIs(StatusCode::kInvalidArgument, "Bundle.entry is not an array"));
  EXPECT_THAT(ReadBundle(R"({"resourceType":"Bundle","type":"batch","id":1})"),
              StatusIs(StatusCode::kInvalidArgument, "Bundle.id"));
}

TEST(BundleReaderTest, FirstDuplicateKeyWins) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(FhirBundle b,
                               ReadBundle(R"({"resourceType":"Bundle","type":"collection","entry":[
        {"resource":{"id":"first"},"resource":{"id":"second"}}],"entry":[]})"));
  ASSERT_EQ(b.entries.size(), 1u);
  EXPECT_EQ(b.entries[0].resource_json, R"({"id":"first"})");
}

TEST(BundleReaderTest, NestedBundleIsOneResource) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(FhirBundle b,
                               ReadBundle(R"({"resourceType":"Bundle","type":"collection","entry":[
        {"resource":{"resourceType":"Bundle","type":"message","entry":[{"resource":{}}]}}]})"));
  ASSERT_EQ(b.entries.size(), 1u);
  EXPECT_EQ(b.entries[0].resource_json,
            R"({"resourceType":"Bundle","type":"message","entry":[{"resource":{}}]})");
}

}  // namespace
}  // namespace medlake::ingest::fhir
