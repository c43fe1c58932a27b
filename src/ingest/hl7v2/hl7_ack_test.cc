#include "ingest/hl7v2/hl7_ack.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>

#include <string>

#include "core/testing/status_matchers.h"
#include "ingest/hl7v2/hl7_summary.h"

namespace medlake::ingest::hl7v2 {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kNow = int64_t{1706741999} * 1'000'000;  // 2024-01-31T22:59:59Z

std::string Adt(const std::string& msh15_16 = "", const std::string& version = "2.5.1") {
  return "MSH|^~\\&|SENDAPP^1.2^ISO|SENDFAC|RECVAPP|RECVFAC|20240131120000||ADT^A01^ADT_A01|"
         "MSG001|P|" +
         version + msh15_16 + "\rPID|1||ZZSECRET^^^H^MR\r";
}

// A message views the bytes it was parsed from; keep every test text alive for the whole run
// (callers pass temporaries).
Hl7Message Parse(const std::string& text) {
  static std::deque<std::string>* const kTexts = new std::deque<std::string>();
  kTexts->push_back(text);
  auto m = ParseHl7Message(kTexts->back());
  EXPECT_THAT(m, IsOk());
  return std::move(m).value();
}

Hl7AckOptions Options() {
  Hl7AckOptions o;
  o.control_id = "ACK0001";
  o.timestamp_utc_micros = kNow;
  return o;
}

TEST(Hl7AckTest, OriginalModeAcceptBuildsAa) {
  const std::string text = Adt();
  const Hl7Message m = Parse(text);
  EXPECT_EQ(AckModeOf(m), Hl7AckMode::kOriginal);
  const Hl7AckPlan plan = PlanAcks(m, Hl7Outcome::kAccepted);
  EXPECT_FALSE(plan.accept_ack.has_value());
  ASSERT_TRUE(plan.application_ack.has_value());
  EXPECT_EQ(*plan.application_ack, Hl7AckCode::kAA);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string ack, BuildHl7Ack(m, Hl7AckCode::kAA, {}, Options()));
  EXPECT_EQ(ack,
            "MSH|^~\\&|RECVAPP|RECVFAC|SENDAPP^1.2^ISO|SENDFAC|20240131225959+0000||ACK^A01^ACK|"
            "ACK0001|P|2.5.1\r"
            "MSA|AA|MSG001\r");
}

TEST(Hl7AckTest, OriginalModeErrorsGiveAeAndAr) {
  const Hl7Message m = Parse(Adt());
  EXPECT_EQ(*PlanAcks(m, Hl7Outcome::kError).application_ack, Hl7AckCode::kAE);
  EXPECT_EQ(*PlanAcks(m, Hl7Outcome::kRejected).application_ack, Hl7AckCode::kAR);
}

TEST(Hl7AckTest, EnhancedModeFollowsMsh15AndMsh16) {
  const Hl7Message al_ne = Parse(Adt("|||AL|NE"));
  EXPECT_EQ(AckModeOf(al_ne), Hl7AckMode::kEnhanced);
  Hl7AckPlan plan = PlanAcks(al_ne, Hl7Outcome::kAccepted);
  EXPECT_EQ(plan.accept_ack, Hl7AckCode::kCA);
  EXPECT_FALSE(plan.application_ack.has_value());
  plan = PlanAcks(al_ne, Hl7Outcome::kRejected);
  EXPECT_EQ(plan.accept_ack, Hl7AckCode::kCR);

  const Hl7Message er_su = Parse(Adt("|||ER|SU"));
  plan = PlanAcks(er_su, Hl7Outcome::kAccepted);
  EXPECT_FALSE(plan.accept_ack.has_value());
  EXPECT_EQ(plan.application_ack, Hl7AckCode::kAA);
  plan = PlanAcks(er_su, Hl7Outcome::kError);
  EXPECT_EQ(plan.accept_ack, Hl7AckCode::kCE);
  EXPECT_FALSE(plan.application_ack.has_value());

  // Only MSH-16 given: the empty MSH-15 counts as AL.
  const Hl7Message only16 = Parse(Adt("||||AL"));
  plan = PlanAcks(only16, Hl7Outcome::kAccepted);
  EXPECT_EQ(plan.accept_ack, Hl7AckCode::kCA);
  EXPECT_EQ(plan.application_ack, Hl7AckCode::kAA);

  // A blank MSH-15 (seen in real files) is still original mode.
  EXPECT_EQ(AckModeOf(Parse(Adt("||| "))), Hl7AckMode::kOriginal);

  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string ca, BuildHl7Ack(al_ne, Hl7AckCode::kCA, {}, Options()));
  EXPECT_THAT(ca, HasSubstr("\rMSA|CA|MSG001\r"));
}

TEST(Hl7AckTest, NegativeAckCarriesErrSegmentsV25) {
  const Hl7Message m = Parse(Adt());
  Hl7AckError e;
  e.code = Hl7ErrorCode::kRequiredFieldMissing;
  e.location.segment_id = "PID";
  e.location.segment_sequence = 1;
  e.location.field = 3;
  e.text = "PID-3 has no identifier";
  Hl7AckError w;
  w.code = Hl7ErrorCode::kTableValueNotFound;
  w.severity = Hl7ErrorSeverity::kWarning;
  w.location.segment_id = "PV1";
  w.location.segment_sequence = 1;
  w.location.field = 2;
  w.location.component = 1;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string ack, BuildHl7Ack(m, Hl7AckCode::kAE, {e, w}, Options()));
  EXPECT_THAT(ack, HasSubstr("\rMSA|AE|MSG001\r"
                             "ERR||PID^1^3|101^Required field missing^HL70357|E|||"
                             "PID-3 has no identifier\r"
                             "ERR||PV1^1^2^^1|103^Table value not found^HL70357|W\r"));
  EXPECT_THAT(ack, Not(HasSubstr("ZZSECRET")));
}

TEST(Hl7AckTest, OldVersionsUseErr1AndMsa3) {
  const Hl7Message m = Parse(Adt("", "2.3"));
  Hl7AckError e;
  e.code = Hl7ErrorCode::kUnsupportedMessageType;
  e.location.segment_id = "MSH";
  e.location.segment_sequence = 1;
  e.location.field = 9;
  e.text = "message type not supported";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string ack, BuildHl7Ack(m, Hl7AckCode::kAR, {e}, Options()));
  EXPECT_THAT(ack, HasSubstr("||ACK^A01|ACK0001|P|2.3\r"));
  EXPECT_THAT(ack, HasSubstr("\rMSA|AR|MSG001|message type not supported\r"
                             "ERR|MSH^1^9^200&Unsupported message type&HL70357\r"));
}

TEST(Hl7AckTest, RequiresAControlIdAndAReasonForNegativeAcks) {
  const Hl7Message m = Parse(Adt());
  Hl7AckOptions no_id = Options();
  no_id.control_id.clear();
  EXPECT_THAT(BuildHl7Ack(m, Hl7AckCode::kAA, {}, no_id),
              StatusIs(StatusCode::kInvalidArgument, "control id"));
  for (Hl7AckCode code : {Hl7AckCode::kAE, Hl7AckCode::kAR, Hl7AckCode::kCE, Hl7AckCode::kCR}) {
    EXPECT_THAT(BuildHl7Ack(m, code, {}, Options()),
                StatusIs(StatusCode::kInvalidArgument, "needs at least one error"));
  }
}

TEST(Hl7AckTest, ReencodesValuesFromUnusualDelimiters) {
  const std::string text = "MSH#*!@%#APP%X*NS#F|G#ME#MYFAC#20240101##ADT*A04#ID^1#P#2.5\rPID#1\r";
  const Hl7Message m = Parse(text);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string ack, BuildHl7Ack(m, Hl7AckCode::kAA, {}, Options()));
  EXPECT_EQ(ack,
            "MSH|^~\\&|ME|MYFAC|APP&X^NS|F\\F\\G|20240131225959+0000||ACK^A04^ACK|ACK0001|P|2.5\r"
            "MSA|AA|ID\\S\\1\r");
  // The ACK is itself a valid message.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message parsed, ParseHl7Message(ack));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Summary s, Summarize(parsed));
  EXPECT_EQ(s.message_type, "ACK");
  EXPECT_EQ(s.control_id, "ACK0001");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string msa2, parsed.Decoded("MSA-2"));
  EXPECT_EQ(msa2, "ID^1");
}

TEST(Hl7AckTest, EscapesErrorTextAndMarksUtf8) {
  const Hl7Message m = Parse(Adt());
  Hl7AckError e;
  e.code = Hl7ErrorCode::kApplicationInternalError;
  e.text = "disk|full\r\xC3\xA9";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string ack, BuildHl7Ack(m, Hl7AckCode::kAE, {e}, Options()));
  EXPECT_THAT(ack, HasSubstr("|2.5.1||||||UNICODE UTF-8\r"));
  EXPECT_THAT(ack, HasSubstr("ERR|||207^Application internal error^HL70357|E|||"
                             "disk\\F\\full\\X0D\\\xC3\xA9\r"));
  MEDLAKE_EXPECT_OK(ParseHl7Message(ack));
}

TEST(Hl7AckTest, MapsRejectionsToTable0357) {
  Hl7Rejection r;
  auto parsed = ParseHl7Message(
      "MSH|^~\\&|A|F|||20240101||ADT^A01|C7|P|2.5||||||UNICODE UTF-16\rPID|1\r", {}, &r);
  ASSERT_FALSE(parsed.ok());
  Hl7AckError e = AckErrorFromRejection(r);
  EXPECT_EQ(e.code, Hl7ErrorCode::kTableValueNotFound);
  EXPECT_EQ(e.location.segment_id, "MSH");
  EXPECT_EQ(e.location.segment_sequence, 1u);
  EXPECT_EQ(e.location.field, 18u);
  EXPECT_THAT(e.text, HasSubstr("unsupported character set"));

  Hl7Rejection missing;
  missing.reason = Hl7RejectReason::kMshMissing;
  EXPECT_EQ(AckErrorFromRejection(missing).code, Hl7ErrorCode::kSegmentSequenceError);
  missing.reason = Hl7RejectReason::kRequiredFieldMissing;
  EXPECT_EQ(AckErrorFromRejection(missing).code, Hl7ErrorCode::kRequiredFieldMissing);
  missing.reason = Hl7RejectReason::kInvalidCharacterEncoding;
  EXPECT_EQ(AckErrorFromRejection(missing).code, Hl7ErrorCode::kDataTypeError);
}

TEST(Hl7AckTest, AcksUnparsedMessagesFromWhatCanBeRead) {
  // Unsupported charset: the message is rejected, but its MSH is readable.
  const std::string text =
      "\x0BMSH|^~\\&|APP|FAC|ME|MYFAC|20240101||ADT^A01|C7|P|2.4||||||UNICODE UTF-16\r"
      "PID|1||Mu\xF1oz\r\x1C\r";
  Hl7Rejection r;
  ASSERT_FALSE(ParseHl7Message(std::string_view(text).substr(1, text.size() - 3), {}, &r).ok());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      std::string ack,
      BuildHl7AckForUnparsed(text, Hl7AckCode::kAR, {AckErrorFromRejection(r)}, Options()));
  EXPECT_EQ(ack,
            "MSH|^~\\&|ME|MYFAC|APP|FAC|20240131225959+0000||ACK^A01^ACK|ACK0001|P|2.4\r"
            "MSA|AR|C7|unsupported character set 'UNICODE UTF-16' in MSH-18\r"
            "ERR|MSH^1^18^103&Table value not found&HL70357\r");
}

TEST(Hl7AckTest, AcksGarbageWithAMinimalHeader) {
  Hl7AckError e;
  e.code = Hl7ErrorCode::kSegmentSequenceError;
  e.text = "MSH segment missing";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string ack,
                               BuildHl7AckForUnparsed("hello\r", Hl7AckCode::kAR, {e}, Options()));
  EXPECT_EQ(ack,
            "MSH|^~\\&|||||20240131225959+0000||ACK^^ACK|ACK0001|P|2.5\r"
            "MSA|AR|\r"
            "ERR|||100^Segment sequence error^HL70357|E|||MSH segment missing\r");
  // Header values that are not plain ASCII are left out rather than copied.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      ack, BuildHl7AckForUnparsed("MSH|^~\\&|AP\xFF|FAC|||x||ADT^A01|C\x01|P|2.5\r",
                                  Hl7AckCode::kAR, {e}, Options()));
  EXPECT_THAT(ack, HasSubstr("MSH|^~\\&||||FAC|"));
  EXPECT_THAT(ack, HasSubstr("\rMSA|AR|\r"));
}

}  // namespace
}  // namespace medlake::ingest::hl7v2
