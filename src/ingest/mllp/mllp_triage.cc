#include "ingest/mllp/mllp_triage.h"

#include <utility>
#include <vector>

#include "ingest/hl7v2/hl7_message.h"
#include "ingest/hl7v2/hl7_summary.h"

namespace medlake::ingest::mllp {
namespace {

using hl7v2::Hl7AckCode;
using hl7v2::Hl7AckError;
using hl7v2::Hl7Outcome;

std::string ReasonText(const hl7v2::Hl7Rejection& r) {
  // Hl7Rejection::ToStatus() renders "hl7.<code>: <text> (segment, field, byte)" without values.
  return r.ToStatus().message();
}

Hl7AckError StorageFailure() {
  Hl7AckError e;
  e.code = hl7v2::Hl7ErrorCode::kApplicationInternalError;
  e.severity = hl7v2::Hl7ErrorSeverity::kFatal;
  e.text = "message not stored: staging log unavailable, send again later";
  return e;
}

// Builds the ACKs for a message that parsed (leniently or fully).
Status BuildAcks(const hl7v2::Hl7Message& msg, Hl7Outcome outcome,
                 const std::vector<Hl7AckError>& errors, const std::string& ack_control_id,
                 int64_t now, TriageResult* out) {
  out->mode = hl7v2::AckModeOf(msg);
  const hl7v2::Hl7AckPlan plan = hl7v2::PlanAcks(msg, outcome);
  // Enhanced mode: the listener sends the accept (commit) ACK on the connection; application
  // ACKs would be a separate message the receiver initiates, which the raw layer does not do.
  std::optional<Hl7AckCode> code =
      out->mode == hl7v2::Hl7AckMode::kEnhanced ? plan.accept_ack : plan.application_ack;
  hl7v2::Hl7AckOptions options;
  options.timestamp_utc_micros = now;
  if (code) {
    options.control_id = ack_control_id + "A";
    MEDLAKE_ASSIGN_OR_RETURN(std::string ack, hl7v2::BuildHl7Ack(msg, *code, errors, options));
    out->ack_when_durable = std::move(ack);
  }
  options.control_id = ack_control_id + "F";
  Hl7AckCode failure_code =
      out->mode == hl7v2::Hl7AckMode::kEnhanced ? Hl7AckCode::kCR : Hl7AckCode::kAR;
  MEDLAKE_ASSIGN_OR_RETURN(out->ack_on_storage_failure,
                           hl7v2::BuildHl7Ack(msg, failure_code, {StorageFailure()}, options));
  return Status::OK();
}

}  // namespace

Result<TriageResult> TriageMessage(std::string payload, std::string peer, int64_t received_micros,
                                   const std::string& ack_control_id) {
  TriageResult out;
  out.record.payload = std::move(payload);
  out.record.peer = std::move(peer);
  out.record.received_micros = received_micros;
  const std::string_view bytes = out.record.payload;

  hl7v2::Hl7Rejection rejection;
  auto parsed = hl7v2::ParseHl7Message(bytes, {}, &rejection);
  Status st;
  if (!parsed.ok()) {
    // Unparseable: AR. Address the ACK from a lenient read of the header when possible.
    out.outcome = Hl7Outcome::kRejected;
    out.record.kind = WalRecordKind::kRejected;
    out.record.reason_code = "hl7." + std::string(hl7v2::Hl7RejectReasonCode(rejection.reason));
    out.record.reason = ReasonText(rejection);
    std::vector<Hl7AckError> errors{hl7v2::AckErrorFromRejection(rejection)};
    hl7v2::Hl7ParseOptions lenient_options;
    lenient_options.check_character_set = false;
    auto lenient = hl7v2::ParseHl7Message(bytes, lenient_options);
    if (lenient.ok()) {
      auto id = lenient->Get("MSH-10");
      if (id.ok())
        out.control_id = std::string(*id);
      st = BuildAcks(*lenient, out.outcome, errors, ack_control_id, received_micros, &out);
    } else {
      hl7v2::Hl7AckOptions options;
      options.timestamp_utc_micros = received_micros;
      options.control_id = ack_control_id + "A";
      auto ack = hl7v2::BuildHl7AckForUnparsed(bytes, Hl7AckCode::kAR, errors, options);
      options.control_id = ack_control_id + "F";
      auto failed =
          hl7v2::BuildHl7AckForUnparsed(bytes, Hl7AckCode::kAR, {StorageFailure()}, options);
      if (!ack.ok())
        return Internal("building ACK: " + ack.status().ToString());
      if (!failed.ok())
        return Internal("building ACK: " + failed.status().ToString());
      out.ack_when_durable = std::move(*ack);
      out.ack_on_storage_failure = std::move(*failed);
    }
    if (!st.ok())
      return Internal("building ACK: " + st.ToString());
    return out;
  }

  const hl7v2::Hl7Message& msg = *parsed;
  hl7v2::Hl7Rejection summary_rejection;
  auto summary = hl7v2::Summarize(msg, &summary_rejection);
  std::vector<Hl7AckError> errors;
  if (!summary.ok()) {
    // Required parts missing or malformed (MSH-9, MSH-10, MSH-12, MSH-7): AE.
    out.outcome = Hl7Outcome::kError;
    out.record.kind = WalRecordKind::kRejected;
    out.record.reason_code =
        "hl7." + std::string(hl7v2::Hl7RejectReasonCode(summary_rejection.reason));
    out.record.reason = ReasonText(summary_rejection);
    errors.push_back(hl7v2::AckErrorFromRejection(summary_rejection));
    auto id = msg.Get("MSH-10");
    if (id.ok())
      out.control_id = std::string(*id);
  } else if (summary->version.size() < 2 || summary->version.compare(0, 2, "2.") != 0) {
    // Only HL7 v2.x is supported: AR.
    out.outcome = Hl7Outcome::kRejected;
    out.record.kind = WalRecordKind::kRejected;
    out.record.reason_code = "hl7.unsupported_version";
    out.record.reason = "hl7.unsupported_version: MSH-12 is not a 2.x version";
    Hl7AckError e;
    e.code = hl7v2::Hl7ErrorCode::kUnsupportedVersionId;
    e.location.segment_id = "MSH";
    e.location.segment_sequence = 1;
    e.location.field = 12;
    e.text = "unsupported version (MSH-12): only HL7 v2.x is accepted";
    errors.push_back(std::move(e));
    out.control_id = summary->control_id;
  } else {
    out.outcome = Hl7Outcome::kAccepted;
    out.record.kind = WalRecordKind::kAccepted;
    out.control_id = summary->control_id;
  }
  st = BuildAcks(msg, out.outcome, errors, ack_control_id, received_micros, &out);
  if (!st.ok())
    return Internal("building ACK: " + st.ToString());
  return out;
}

}  // namespace medlake::ingest::mllp
