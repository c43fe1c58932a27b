#include "ingest/hl7v2/hl7_summary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/testing/status_matchers.h"

namespace medlake::ingest::hl7v2 {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Synthetic test patients (no real person).
const std::string kAdt =
    "MSH|^~\\&|SEND^1.2.3^ISO|FAC^x|RECV|RFAC|20240131120000+0100||ADT^A01^ADT_A01|CTRL\\T\\1|"
    "P^T|2.5.1^ESP|||AL|NE|ESP|UNICODE UTF-8\r"
    "EVN|A01|20240131120000\r"
    "PID|1||111^^^HOSP&1.2.3&ISO^MR~~222^^^NAT^NI||ZZTEST^PATIENT||19800101|M\r";

Result<Hl7Summary> SummarizeText(const std::string& text, Hl7Rejection* rejection = nullptr) {
  MEDLAKE_ASSIGN_OR_RETURN(Hl7Message m, ParseHl7Message(text));
  return Summarize(m, rejection);
}

TEST(Hl7SummaryTest, ExtractsTheHeader) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Summary s, SummarizeText(kAdt));
  EXPECT_EQ(s.message_type, "ADT");
  EXPECT_EQ(s.trigger_event, "A01");
  EXPECT_EQ(s.message_structure, "ADT_A01");
  EXPECT_EQ(s.control_id, "CTRL&1");
  EXPECT_EQ(s.processing_id, "P");
  EXPECT_EQ(s.version, "2.5.1");
  EXPECT_EQ(s.sending_application, "SEND");
  EXPECT_EQ(s.sending_facility, "FAC");
  EXPECT_EQ(s.receiving_application, "RECV");
  EXPECT_EQ(s.receiving_facility, "RFAC");
  EXPECT_EQ(s.accept_ack_type, "AL");
  EXPECT_EQ(s.application_ack_type, "NE");
  EXPECT_EQ(s.charset, Hl7Charset::kUtf8);
  EXPECT_EQ(s.segment_count, 3u);
  ASSERT_TRUE(s.message_time.has_value());
  EXPECT_EQ(s.message_time->utc_micros, int64_t{1706698800} * 1'000'000);  // 11:00Z
  EXPECT_FALSE(s.message_time->offset_missing);
}

TEST(Hl7SummaryTest, ExtractsEveryPid3Repetition) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Summary s, SummarizeText(kAdt));
  ASSERT_EQ(s.patient_identifiers.size(), 2u);  // the empty repetition is skipped
  EXPECT_EQ(s.patient_identifiers[0].id, "111");
  EXPECT_EQ(s.patient_identifiers[0].assigning_authority, "HOSP");
  EXPECT_EQ(s.patient_identifiers[0].assigning_authority_universal, "1.2.3");
  EXPECT_EQ(s.patient_identifiers[0].identifier_type_code, "MR");
  EXPECT_EQ(s.patient_identifiers[1].id, "222");
  EXPECT_EQ(s.patient_identifiers[1].assigning_authority, "NAT");
  EXPECT_EQ(s.patient_identifiers[1].identifier_type_code, "NI");
  EXPECT_TRUE(s.prior_patient_identifiers.empty());
}

TEST(Hl7SummaryTest, ExtractsMergePriorIdentifiers) {
  const std::string a40 =
      "MSH|^~\\&|A|F|R|RF|20190423150137||ADT^A40^ADT_A39|8919-40|P|2.5\r"
      "EVN|A40|20190423150137\r"
      "PID|1||12345^^^BCBS^MR\r"
      "MRG|56789^^^BCBS^MR~X\\T\\9^^^OLD^PI\r";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Summary s, SummarizeText(a40));
  EXPECT_EQ(s.trigger_event, "A40");
  ASSERT_TRUE(s.message_time.has_value());
  EXPECT_TRUE(s.message_time->offset_missing);
  ASSERT_EQ(s.patient_identifiers.size(), 1u);
  EXPECT_EQ(s.patient_identifiers[0].id, "12345");
  ASSERT_EQ(s.prior_patient_identifiers.size(), 2u);
  EXPECT_EQ(s.prior_patient_identifiers[0].id, "56789");
  EXPECT_EQ(s.prior_patient_identifiers[0].assigning_authority, "BCBS");
  EXPECT_EQ(s.prior_patient_identifiers[0].identifier_type_code, "MR");
  EXPECT_EQ(s.prior_patient_identifiers[1].id, "X&9");
}

TEST(Hl7SummaryTest, NumbersPatientsOfMessagesWithSeveralPid) {
  const std::string bar =
      "MSH|^~\\&|A|F|||20240101||BAR^P02|C|P|2.8\rEVN|P02\rPID|1||P1^^^H^MR\rPV1|1\r"
      "PID|2||P2^^^H^MR\r";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Summary s, SummarizeText(bar));
  ASSERT_EQ(s.patient_identifiers.size(), 2u);
  EXPECT_EQ(s.patient_identifiers[1].id, "P2");
  EXPECT_EQ(s.patient_identifiers[1].segment_occurrence, 2u);
}

TEST(Hl7SummaryTest, TakesTheTriggerFromEvnWhenMsh9HasNone) {
  const std::string old = "MSH|^~\\&|A|F|||20240101||ADT|C1|P|2.3\rEVN|A04|20240101\r";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Summary s, SummarizeText(old));
  EXPECT_EQ(s.message_type, "ADT");
  EXPECT_EQ(s.trigger_event, "A04");
  EXPECT_EQ(s.message_structure, "");
}

TEST(Hl7SummaryTest, EmptyMessageTimeIsAllowed) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Summary s,
                               SummarizeText("MSH|^~\\&|A|F|||||ACK|C1|D|2.5.1|\rMSA|AA|X\r"));
  EXPECT_FALSE(s.message_time.has_value());
  EXPECT_EQ(s.message_type, "ACK");
}

TEST(Hl7SummaryTest, RejectsMissingRequiredHeaderFields) {
  struct Case {
    const char* text;
    size_t field;
  };
  for (const Case& c : {Case{"MSH|^~\\&|A|F|||20240101|||C1|P|2.5\r", 9},
                        Case{"MSH|^~\\&|A|F|||20240101||ADT^A01||P|2.5\r", 10},
                        Case{"MSH|^~\\&|A|F|||20240101||ADT^A01|C1|P\r", 12}}) {
    Hl7Rejection r;
    EXPECT_THAT(SummarizeText(c.text, &r),
                StatusIs(StatusCode::kInvalidArgument, "required_field_missing"));
    EXPECT_EQ(r.reason, Hl7RejectReason::kRequiredFieldMissing);
    EXPECT_EQ(r.segment_id, "MSH");
    EXPECT_EQ(r.field, c.field);
  }
}

TEST(Hl7SummaryTest, RejectsAnInvalidMessageTimeWithoutShowingIt) {
  Hl7Rejection r;
  auto s = SummarizeText("MSH|^~\\&|A|F|||20241399||ADT^A01|C1|P|2.5\r", &r);
  EXPECT_THAT(s, StatusIs(StatusCode::kInvalidArgument, "MSH-7 is not a valid DTM"));
  EXPECT_THAT(s.status().message(), Not(HasSubstr("20241399")));
  EXPECT_EQ(r.reason, Hl7RejectReason::kDataTypeError);
  EXPECT_EQ(r.field, 7u);
}

TEST(Hl7SummaryTest, RejectsEscapesThatDecodeToInvalidText) {
  Hl7Rejection r;
  auto s = SummarizeText("MSH|^~\\&|A|F|||20240101||ADT^A01|C1|P|2.5\rPID|1||\\XFF\\^^^H\r", &r);
  EXPECT_THAT(s, StatusIs(StatusCode::kInvalidArgument, "invalid_character_encoding"));
  EXPECT_EQ(r.segment_id, "PID");
  EXPECT_EQ(r.field, 3u);
}

}  // namespace
}  // namespace medlake::ingest::hl7v2
