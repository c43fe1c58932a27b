#include "ingest/mllp/mllp_triage.h"

#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"
#include "ingest/mllp/mllp_test_client_internal.h"

namespace medlake::ingest::mllp {
namespace {

using testing::AckCode;
using testing::AckedControlId;
using testing::TestMessage;

TEST(MllpTriageTest, AcceptsValidMessageWithAa) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t, TriageMessage(TestMessage("C1"), "peer", 1, "X1"));
  EXPECT_EQ(t.outcome, hl7v2::Hl7Outcome::kAccepted);
  EXPECT_EQ(t.record.kind, WalRecordKind::kAccepted);
  EXPECT_EQ(t.control_id, "C1");
  ASSERT_TRUE(t.ack_when_durable.has_value());
  EXPECT_EQ(AckCode(*t.ack_when_durable), "AA");
  EXPECT_EQ(AckedControlId(*t.ack_when_durable), "C1");
  EXPECT_EQ(AckCode(t.ack_on_storage_failure), "AR");
  EXPECT_EQ(t.record.payload, TestMessage("C1"));
}

TEST(MllpTriageTest, MissingControlIdIsAeWithErr) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t, TriageMessage(TestMessage(""), "peer", 1, "X2"));
  EXPECT_EQ(t.outcome, hl7v2::Hl7Outcome::kError);
  EXPECT_EQ(t.record.kind, WalRecordKind::kRejected);
  EXPECT_EQ(t.record.reason_code, "hl7.required_field_missing");
  ASSERT_TRUE(t.ack_when_durable.has_value());
  EXPECT_EQ(AckCode(*t.ack_when_durable), "AE");
  EXPECT_NE(t.ack_when_durable->find("\rERR|"), std::string::npos);
}

TEST(MllpTriageTest, UnparseableIsArWithErr) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t, TriageMessage("PID|1||X\r", "peer", 1, "X3"));
  EXPECT_EQ(t.outcome, hl7v2::Hl7Outcome::kRejected);
  EXPECT_EQ(t.record.reason_code, "hl7.msh_missing");
  ASSERT_TRUE(t.ack_when_durable.has_value());
  EXPECT_EQ(AckCode(*t.ack_when_durable), "AR");
  EXPECT_NE(t.ack_when_durable->find("\rERR|"), std::string::npos);
}

TEST(MllpTriageTest, UnsupportedVersionIsAr) {
  std::string m = TestMessage("C4");
  m.replace(m.find("|2.5.1|"), 7, "|3.0|");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t, TriageMessage(m, "peer", 1, "X4"));
  EXPECT_EQ(t.outcome, hl7v2::Hl7Outcome::kRejected);
  EXPECT_EQ(t.record.reason_code, "hl7.unsupported_version");
  EXPECT_EQ(AckCode(*t.ack_when_durable), "AR");
}

TEST(MllpTriageTest, EnhancedModeSendsCommitAck) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto t, TriageMessage(TestMessage("C5", "A", "F", "AL", "NE"), "p", 1, "X5"));
  EXPECT_EQ(t.mode, hl7v2::Hl7AckMode::kEnhanced);
  ASSERT_TRUE(t.ack_when_durable.has_value());
  EXPECT_EQ(AckCode(*t.ack_when_durable), "CA");
  EXPECT_EQ(AckCode(t.ack_on_storage_failure), "CR");
}

TEST(MllpTriageTest, EnhancedModeErrorOnlyAckIsNotSentOnSuccess) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto ok, TriageMessage(TestMessage("C6", "A", "F", "ER", "NE"), "p", 1, "X6"));
  EXPECT_FALSE(ok.ack_when_durable.has_value());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto bad,
                               TriageMessage(TestMessage("", "A", "F", "ER", "NE"), "p", 1, "X7"));
  ASSERT_TRUE(bad.ack_when_durable.has_value());
  EXPECT_EQ(AckCode(*bad.ack_when_durable), "CE");
}

}  // namespace
}  // namespace medlake::ingest::mllp
