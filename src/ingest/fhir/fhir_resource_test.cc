#include "ingest/fhir/fhir_resource.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "core/testing/status_matchers.h"

namespace medlake::ingest::fhir {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(FhirResourceTest, ListsAllR4ResourceTypesSorted) {
  auto types = FhirR4ResourceTypes();
  EXPECT_EQ(types.size(), 146u);
  EXPECT_TRUE(std::is_sorted(types.begin(), types.end()));
  EXPECT_TRUE(std::adjacent_find(types.begin(), types.end()) == types.end());
  EXPECT_TRUE(IsFhirR4ResourceType("Observation"));
  EXPECT_TRUE(IsFhirR4ResourceType("VisionPrescription"));
  EXPECT_FALSE(IsFhirR4ResourceType("observation"));
  EXPECT_FALSE(IsFhirR4ResourceType("DomainResource"));
  EXPECT_FALSE(IsFhirR4ResourceType("NutritionIntake"));  // R5 only
}

TEST(FhirResourceTest, ExtractsEnvelopeOfAnObservation) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(FhirResourceSummary s,
                               SummarizeResource(R"({"resourceType":"Observation","id":"obs-1",
        "meta":{"versionId":"3","lastUpdated":"2024-03-01T10:00:00Z"},
        "subject":{"reference":"Patient/p-9"},
        "effectivePeriod":{"start":"2024-02-29T08:30:00+01:00"},"issued":"2024-03-01T09:00:00Z"})"));
  EXPECT_EQ(s.resource_type, "Observation");
  EXPECT_EQ(s.id, "obs-1");
  EXPECT_EQ(s.version_id, "3");
  ASSERT_TRUE(s.last_updated_micros.has_value());
  EXPECT_EQ(*s.last_updated_micros, (DaysFromCivil(2024, 3, 1) * 86400 + 36000) * 1'000'000);
  EXPECT_EQ(s.patient_reference, "p-9");
  ASSERT_TRUE(s.effective.has_value());
  EXPECT_EQ(s.effective_path, "effectivePeriod.start");
  EXPECT_EQ(s.effective->utc_micros,
            (DaysFromCivil(2024, 2, 29) * 86400 + 7 * 3600 + 1800) * 1'000'000);
}

TEST(FhirResourceTest, PatientReferencesToPatientOnly) {
  auto patient_of = [](const std::string& body) {
    Result<FhirResourceSummary> s =
        SummarizeResource(R"({"resourceType":"Claim","id":"c1",)" + body + "}");
    return s.ok() ? s->patient_reference : "<error>";
  };
  EXPECT_EQ(patient_of(R"("patient":{"reference":"Patient/abc"})"), "abc");
  EXPECT_EQ(patient_of(R"("patient":{"reference":"Patient/abc/_history/2"})"), "abc");
  EXPECT_EQ(patient_of(R"("patient":{"reference":"https://h.example/fhir/Patient/abc"})"), "abc");
  EXPECT_EQ(patient_of(R"("patient":{"reference":"urn:uuid:4e8ed886-fd5f"})"),
            "urn:uuid:4e8ed886-fd5f");
  EXPECT_EQ(patient_of(R"("patient":{"reference":"Patient?identifier=x|1"})"),
            "Patient?identifier=x|1");
  EXPECT_EQ(patient_of(R"("subject":{"reference":"Group/g1"},"patient":{"reference":"Patient/p"})"),
            "p");
  EXPECT_EQ(patient_of(R"("beneficiary":{"reference":"Patient/b"})"), "b");
  EXPECT_EQ(patient_of(R"("subject":[{"reference":"Patient/arr"}])"), "arr");
  EXPECT_EQ(patient_of(R"("subject":{"display":"someone"})"), "");
  EXPECT_EQ(patient_of(R"("subject":{"reference":"Device/d"})"), "");
  EXPECT_EQ(patient_of(R"("subject":"Patient/x")"), "<error>");
  EXPECT_EQ(patient_of(R"("subject":{"reference":7})"), "<error>");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(FhirResourceSummary p,
                               SummarizeResource(R"({"resourceType":"Patient","id":"me"})"));
  EXPECT_EQ(p.patient_reference, "me");
}

TEST(FhirResourceTest, EffectiveTimeFollowsThePreferenceOrder) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      FhirResourceSummary s,
      SummarizeResource(R"({"resourceType":"Condition","id":"c","recordedDate":"2020-01-02",
                            "onsetDateTime":"2019"})"));
  EXPECT_EQ(s.effective_path, "onsetDateTime");
  EXPECT_EQ(s.effective->precision, DateTimePrecision::kYear);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      FhirResourceSummary e,
      SummarizeResource(R"({"resourceType":"Encounter","id":"e","period":{"end":"2020"}})"));
  EXPECT_FALSE(e.effective.has_value());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      FhirResourceSummary d,
      SummarizeResource(R"({"resourceType":"DocumentReference","id":"d","date":"2020-05"})"));
  EXPECT_EQ(d.effective_path, "date");
}

TEST(FhirResourceTest, RejectsBrokenEnvelopesWithReasons) {
  struct Case {
    const char* json;
    const char* reason;
  };
  const Case cases[] = {
      {R"({"resourceType":"Patient","id":"x")", "not valid JSON"},
      {"", "not valid JSON"},
      {"\"Patient\"", "not a JSON object"},
      {"[1]", "not a JSON object"},
      {R"({"id":"x"})", "resourceType missing"},
      {R"({"resourceType":1,"id":"x"})", "resourceType is not a string"},
      {R"({"resourceType":"Patients","id":"x"})", "not a FHIR R4 resource type"},
      {R"({"resourceType":"Patient"})", "id missing"},
      {R"({"resourceType":"Patient","id":5})", "id is not a string"},
      {R"({"resourceType":"Patient","id":"a b"})", "id does not match"},
      {R"({"resourceType":"Patient","id":""})", "id does not match"},
      {R"({"resourceType":"Patient","id":"x","meta":[]})", "meta is not an object"},
      {R"({"resourceType":"Patient","id":"x","meta":{"versionId":"a/b"}})", "meta.versionId"},
      {R"({"resourceType":"Patient","id":"x","meta":{"lastUpdated":"2020-01-01"}})",
       "meta.lastUpdated is not a valid FHIR instant"},
      {R"({"resourceType":"Patient","id":"x","meta":{"lastUpdated":12}})",
       "meta.lastUpdated is not a string"},
      {R"({"resourceType":"Observation","id":"x","effectiveDateTime":"2018-02-30T18:05:00+02:00"})",
       "effectiveDateTime is not a valid FHIR dateTime"},
      {R"({"resourceType":"Observation","id":"x","effectiveDateTime":"2018","issued":"bad"})",
       "issued is not a valid FHIR dateTime"},
      {R"({"resourceType":"Encounter","id":"x","period":"2020"})", "period is not an object"},
      {R"({"resourceType":"Encounter","id":"x","period":{"start":2020}})",
       "period.start is not a string"},
      {"{\"resourceType\":\"Patient\",\"id\":\"x\",\"name\":\"\xC3\x28\"}", "not valid JSON"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(SummarizeResource(c.json), StatusIs(StatusCode::kInvalidArgument, c.reason))
        << c.json;
  }
  // The id's value never appears in the reason.
  Result<FhirResourceSummary> r =
      SummarizeResource(R"({"resourceType":"Patient","id":"SECRET 1"})");
  EXPECT_THAT(r.status().message(), Not(HasSubstr("SECRET")));
}

TEST(FhirResourceTest, IdIsOptionalWhenAllowed) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      FhirResourceSummary s,
      SummarizeResource(R"({"resourceType":"Patient"})", SummarizeOptions{false}));
  EXPECT_EQ(s.id, "");
  EXPECT_TRUE(IsValidFhirId(std::string(64, 'a')));
  EXPECT_FALSE(IsValidFhirId(std::string(65, 'a')));
  EXPECT_TRUE(IsValidFhirId("A-z.09"));
  EXPECT_FALSE(IsValidFhirId("a_b"));
}

TEST(FhirResourceTest, SummarizerCanBeReused) {
  FhirResourceSummarizer summarizer;
  MEDLAKE_EXPECT_OK(summarizer.Summarize(R"({"resourceType":"Patient","id":"a"})"));
  EXPECT_THAT(summarizer.Summarize("{"), StatusIs(StatusCode::kInvalidArgument, "JSON"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(FhirResourceSummary s,
                               summarizer.Summarize(R"({"resourceType":"Patient","id":"b"})"));
  EXPECT_EQ(s.id, "b");
}

}  // namespace
}  // namespace medlake::ingest::fhir
