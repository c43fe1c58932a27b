// ingest/hl7v2/hl7_rejection.h: why and where an HL7 v2 message was rejected.
//
// Part of ingest/hl7v2. The parser and the summarizer describe a rejected message with an
// Hl7Rejection (a stable reason code plus a location) so that the quarantine row and the ACK's
// ERR segment (hl7_ack.h) can both be filled without parsing error text. The text never holds a
// field value (no PHI): only segment ids and positions, byte offsets and table codes.
//
// Thread-safety: plain values.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace medlake::ingest::hl7v2 {

enum class Hl7RejectReason {
  kEmpty,                      // no bytes (after a BOM)
  kMessageTooLarge,            // larger than the parser's limit
  kMshMissing,                 // the first segment is not MSH
  kInvalidFieldSeparator,      // MSH-1 is a letter, digit, space or control character
  kInvalidEncodingCharacters,  // MSH-2 is not 4 (or 5, v2.7+) distinct printable delimiters
  kFieldSeparatorMismatch,     // a segment id is followed by another delimiter than MSH-1
  kInvalidSegmentId,           // a segment id is not 3 upper-case letters or digits
  kUnexpectedSegment,          // MSH or a batch envelope segment inside a message
  kUnsupportedCharacterSet,    // MSH-18 other than ASCII, 8859/1, UNICODE UTF-8
  kInvalidCharacterEncoding,   // bytes that are not valid in the declared character set
  kRequiredFieldMissing,       // e.g. MSH-9, MSH-10, MSH-12 empty
  kDataTypeError,              // e.g. MSH-7 is not a DTM
};

// The stable, lower-case code of `reason` ("msh_missing", "invalid_segment_id", ...), used in
// Status messages as "hl7.<code>: ..." and in quarantine rows.
std::string_view Hl7RejectReasonCode(Hl7RejectReason reason);

// A rejected message: the reason and where it was found.
struct Hl7Rejection {
  Hl7RejectReason reason = Hl7RejectReason::kEmpty;
  std::string text;             // human-readable reason, never a field value
  size_t segment_index = 0;     // 1-based position of the segment in the message; 0 if none
  std::string segment_id;       // "PID"; empty if unknown or not a valid id
  size_t segment_sequence = 0;  // occurrence among segments with that id (HL7 ERL-2); 0 if none
  size_t field = 0;             // HL7 field number; 0 if the whole segment
  size_t component = 0;         // component number; 0 if the whole field
  size_t byte_offset = 0;       // offset in the bytes given to the parser

  // InvalidArgument("hl7.<code>: <text> (segment 4 PID, field 3, byte 120)").
  Status ToStatus() const;
};

}  // namespace medlake::ingest::hl7v2
