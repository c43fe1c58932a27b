// ingest/hl7v2/hl7_ack.h: HL7 v2 acknowledgment (ACK) messages for received messages.
//
// Part of ingest/hl7v2; the MLLP server (later) sends what these functions build.
// Acknowledgment rules (HL7 v2.5 chapter 2, sections 2.9 "Message processing rules" and
// 2.14.8 MSA, 2.14.5 ERR):
//   - original mode (MSH-15 and MSH-16 both empty): one application ACK, MSA-1 AA/AE/AR;
//   - enhanced mode: an accept (commit) ACK CA/CE/CR as MSH-15 asks (AL always, NE never,
//     ER only on error, SU only on success) and an application ACK AA/AE/AR as MSH-16 asks.
// medlake sends AA (or CA) only once the message is durable; AE/AR (CE/CR) carry ERR segments
// with an HL7 table 0357 code, the location and a text that never includes field values.
// ACKs are written with the standard delimiters |^~\& and CR segment ends; copied header values
// are decoded from the received message and escaped again, so unusual delimiters are safe.
//
// Thread-safety: pure functions and plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ingest/hl7v2/hl7_message.h"
#include "ingest/hl7v2/hl7_rejection.h"

namespace medlake::ingest::hl7v2 {

// MSA-1 (HL7 table 0008).
enum class Hl7AckCode { kAA, kAE, kAR, kCA, kCE, kCR };
std::string_view Hl7AckCodeText(Hl7AckCode code);

// ERR-3 (HL7 table 0357, message error condition codes).
enum class Hl7ErrorCode : int {
  kMessageAccepted = 0,
  kSegmentSequenceError = 100,
  kRequiredFieldMissing = 101,
  kDataTypeError = 102,
  kTableValueNotFound = 103,
  kValueTooLong = 104,
  kUnsupportedMessageType = 200,
  kUnsupportedEventCode = 201,
  kUnsupportedProcessingId = 202,
  kUnsupportedVersionId = 203,
  kUnknownKeyIdentifier = 204,
  kDuplicateKeyIdentifier = 205,
  kApplicationRecordLocked = 206,
  kApplicationInternalError = 207,
};
// The table 0357 description, e.g. "Required field missing".
std::string_view Hl7ErrorCodeText(Hl7ErrorCode code);

// ERR-4 (HL7 table 0516).
enum class Hl7ErrorSeverity { kError, kWarning, kInformation, kFatal };

// ERR-2 (ERL): where the error is. Zero numbers and an empty id are left out.
struct Hl7ErrorLocation {
  std::string segment_id;
  size_t segment_sequence = 0;
  size_t field = 0;
  size_t field_repetition = 0;
  size_t component = 0;
  size_t subcomponent = 0;
};

struct Hl7AckError {
  Hl7ErrorCode code = Hl7ErrorCode::kApplicationInternalError;
  Hl7ErrorSeverity severity = Hl7ErrorSeverity::kError;
  Hl7ErrorLocation location;
  // Human-readable reason (ERR-7, and MSA-3 before v2.5). Must not contain field values: the
  // builder escapes it but cannot tell PHI from text.
  std::string text;
};

// The ERR content for a parser or summarizer rejection (reason -> table 0357 code, location).
Hl7AckError AckErrorFromRejection(const Hl7Rejection& rejection);

enum class Hl7AckMode { kOriginal, kEnhanced };
// Enhanced when MSH-15 or MSH-16 holds a value (spaces ignored), else original.
Hl7AckMode AckModeOf(const Hl7Message& message);

// What happened to a received message.
enum class Hl7Outcome {
  kAccepted,  // durable (committed): AA / CA
  kError,     // not stored because of an error in the message: AE / CE
  kRejected,  // refused (unsupported type, version, processing id...): AR / CR
};

// Which ACKs to send for `outcome`. Original mode: application_ack only. Enhanced mode: each
// one when its condition (MSH-15 / MSH-16: AL, NE, ER, SU) says so; an empty or unknown
// condition counts as AL, so a sender never waits for an ACK that will not come.
struct Hl7AckPlan {
  std::optional<Hl7AckCode> accept_ack;       // CA / CE / CR
  std::optional<Hl7AckCode> application_ack;  // AA / AE / AR
};
Hl7AckPlan PlanAcks(const Hl7Message& message, Hl7Outcome outcome);

struct Hl7AckOptions {
  std::string control_id;            // MSH-10 of the ACK: required, unique per ACK
  int64_t timestamp_utc_micros = 0;  // MSH-7 of the ACK
};

// Builds the ACK for `received`: MSH (sending = received MSH-5/-6, receiving = received
// MSH-3/-4, ACK^<MSH-9.2>^ACK, MSH-11 and MSH-12 copied), MSA (code, received MSH-10) and one
// ERR per entry of `errors` (v2.5+ layout: ERR-2 ERL, ERR-3 0357 code, ERR-4 severity, ERR-7
// text; before v2.5: ERR-1 ELD and the first text in MSA-3). MSH-18 is "UNICODE UTF-8" when the
// ACK holds non-ASCII text. Segments end with CR.
// Returns InvalidArgument if options.control_id is empty, or if `code` is AE/AR/CE/CR and
// `errors` is empty (a negative ACK must say why).
Result<std::string> BuildHl7Ack(const Hl7Message& received, Hl7AckCode code,
                                const std::vector<Hl7AckError>& errors,
                                const Hl7AckOptions& options);

// Builds an ACK for bytes that did not parse: the header values are taken, best effort, from a
// first line that looks like MSH (after an optional MLLP start byte and BOM); values that are
// not plain printable ASCII are left empty. Without a readable MSH the ACK has empty
// application/facility fields, an empty MSA-2 and version 2.5. Same errors as BuildHl7Ack.
Result<std::string> BuildHl7AckForUnparsed(std::string_view received_bytes, Hl7AckCode code,
                                           const std::vector<Hl7AckError>& errors,
                                           const Hl7AckOptions& options);

}  // namespace medlake::ingest::hl7v2
