#include "ingest/hl7v2/hl7_rejection.h"

#include <string>

namespace medlake::ingest::hl7v2 {

std::string_view Hl7RejectReasonCode(Hl7RejectReason reason) {
  switch (reason) {
    case Hl7RejectReason::kEmpty:
      return "empty";
    case Hl7RejectReason::kMessageTooLarge:
      return "message_too_large";
    case Hl7RejectReason::kMshMissing:
      return "msh_missing";
    case Hl7RejectReason::kInvalidFieldSeparator:
      return "invalid_field_separator";
    case Hl7RejectReason::kInvalidEncodingCharacters:
      return "invalid_encoding_characters";
    case Hl7RejectReason::kFieldSeparatorMismatch:
      return "field_separator_mismatch";
    case Hl7RejectReason::kInvalidSegmentId:
      return "invalid_segment_id";
    case Hl7RejectReason::kUnexpectedSegment:
      return "unexpected_segment";
    case Hl7RejectReason::kUnsupportedCharacterSet:
      return "unsupported_character_set";
    case Hl7RejectReason::kInvalidCharacterEncoding:
      return "invalid_character_encoding";
    case Hl7RejectReason::kRequiredFieldMissing:
      return "required_field_missing";
    case Hl7RejectReason::kDataTypeError:
      return "data_type_error";
  }
  return "unknown";
}

Status Hl7Rejection::ToStatus() const {
  std::string msg = "hl7.";
  msg += Hl7RejectReasonCode(reason);
  msg += ": ";
  msg += text;
  msg += " (";
  bool any = false;
  if (segment_index != 0) {
    msg += "segment " + std::to_string(segment_index);
    if (!segment_id.empty()) {
      msg += " " + segment_id;
    }
    any = true;
  }
  if (field != 0) {
    msg += std::string(any ? ", " : "") + "field " + std::to_string(field);
    any = true;
  }
  if (component != 0) {
    msg += ", component " + std::to_string(component);
  }
  msg += std::string(any ? ", " : "") + "byte " + std::to_string(byte_offset) + ")";
  return InvalidArgument(std::move(msg));
}

}  // namespace medlake::ingest::hl7v2
