#include "ingest/hl7v2/hl7_ack.h"

#include <string>
#include <utility>

#include "ingest/hl7v2/hl7_datetime.h"
#include "ingest/hl7v2/hl7_scan_internal.h"

namespace medlake::ingest::hl7v2 {
namespace {

const Hl7Delimiters kStandard{};  // |^~\&

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
  }
  while (!s.empty() && s.back() == ' ') {
    s.remove_suffix(1);
  }
  return s;
}

bool IsPrintableAscii(std::string_view s) {
  for (char ch : s) {
    if (ch < 0x20 || ch > 0x7E) {
      return false;
    }
  }
  return true;
}

// The received header values the ACK mirrors, already encoded with the standard delimiters.
struct HeaderFacts {
  std::string sending_application;    // received MSH-3
  std::string sending_facility;       // received MSH-4
  std::string receiving_application;  // received MSH-5
  std::string receiving_facility;     // received MSH-6
  std::string trigger_event;          // received MSH-9.2
  std::string control_id;             // received MSH-10
  std::string processing_id;          // received MSH-11
  std::string version;                // received MSH-12
};

// Re-encodes a raw value of `m` (any level: field down to subcomponent, `level` 0..3 = field,
// repetition, component, subcomponent) with the standard delimiters. With `ascii_only`, a value
// whose decoded text is not printable ASCII is dropped (used for unparsed input).
std::string Reencode(const Hl7Message& m, std::string_view raw, int level, bool ascii_only) {
  const Hl7Delimiters& d = m.delimiters();
  if (level == 3) {
    auto decoded = m.Decode(raw);
    if (!decoded.ok() || (ascii_only && !IsPrintableAscii(*decoded))) {
      return {};
    }
    return Hl7Escape(*decoded, kStandard);
  }
  const char sep = level == 0 ? d.repetition : level == 1 ? d.component : d.subcomponent;
  const char out_sep = level == 0   ? kStandard.repetition
                       : level == 1 ? kStandard.component
                                    : kStandard.subcomponent;
  std::string out;
  const size_t count = internal::PieceCount(raw, sep);
  for (size_t i = 0; i < count; ++i) {
    if (i != 0) {
      out.push_back(out_sep);
    }
    out += Reencode(m, internal::NthPiece(raw, sep, i), level + 1, ascii_only);
  }
  while (!out.empty() && out.back() == out_sep) {
    out.pop_back();
  }
  return out;
}

HeaderFacts FactsOf(const Hl7Message& m, bool ascii_only) {
  HeaderFacts f;
  f.sending_application = Reencode(m, m.Field(0, 3), 0, ascii_only);
  f.sending_facility = Reencode(m, m.Field(0, 4), 0, ascii_only);
  f.receiving_application = Reencode(m, m.Field(0, 5), 0, ascii_only);
  f.receiving_facility = Reencode(m, m.Field(0, 6), 0, ascii_only);
  f.trigger_event = Reencode(m, m.Component(0, 9, 1, 2), 2, ascii_only);
  f.control_id = Reencode(m, m.Field(0, 10), 0, ascii_only);
  f.processing_id = Reencode(m, m.Field(0, 11), 0, ascii_only);
  f.version = Reencode(m, m.Field(0, 12), 0, ascii_only);
  return f;
}

// True for versions before 2.5 ("2.3", "2.3.1", "2.4"): ERR-1 ELD layout and MSA-3 text.
bool IsBeforeV25(std::string_view version) {
  version = internal::NthPiece(version, '^', 0);
  if (version.size() < 3 || version[0] != '2' || version[1] != '.') {
    return false;
  }
  size_t minor = 0;
  for (size_t i = 2; i < version.size() && version[i] >= '0' && version[i] <= '9'; ++i) {
    minor = minor * 10 + static_cast<size_t>(version[i] - '0');
  }
  return minor < 5;
}

bool IsStructureComponentKnown(std::string_view version) {
  // MSH-9.3 (message structure) exists from v2.3.1 on.
  version = internal::NthPiece(version, '^', 0);
  return version != "2.1" && version != "2.2" && version != "2.3";
}

std::string_view SeverityCode(Hl7ErrorSeverity s) {
  switch (s) {
    case Hl7ErrorSeverity::kError:
      return "E";
    case Hl7ErrorSeverity::kWarning:
      return "W";
    case Hl7ErrorSeverity::kInformation:
      return "I";
    case Hl7ErrorSeverity::kFatal:
      return "F";
  }
  return "E";
}

std::string Number(size_t n) { return n == 0 ? std::string() : std::to_string(n); }

void TrimTrailing(std::string* s, char sep) {
  while (!s->empty() && s->back() == sep) {
    s->pop_back();
  }
}

bool IsNegative(Hl7AckCode code) { return code != Hl7AckCode::kAA && code != Hl7AckCode::kCA; }

Result<std::string> Build(const HeaderFacts& f, Hl7AckCode code,
                          const std::vector<Hl7AckError>& errors, const Hl7AckOptions& options) {
  if (options.control_id.empty()) {
    return InvalidArgument("hl7 ack: the ACK needs a control id (MSH-10)");
  }
  if (IsNegative(code) && errors.empty()) {
    return InvalidArgument("hl7 ack: a negative acknowledgment (" +
                           std::string(Hl7AckCodeText(code)) + ") needs at least one error");
  }
  const std::string version = f.version.empty() ? "2.5" : f.version;
  const bool old_layout = IsBeforeV25(version);
  std::string body;
  // MSA (section 2.14.8): MSA-1 code, MSA-2 the received control id, MSA-3 text (before v2.5).
  body += "MSA|";
  body += Hl7AckCodeText(code);
  body += '|';
  body += f.control_id;
  if (old_layout && !errors.empty() && !errors.front().text.empty()) {
    body += '|';
    body += Hl7Escape(errors.front().text, kStandard);
  }
  body += '\r';
  for (const Hl7AckError& e : errors) {
    const std::string code_text = std::to_string(static_cast<int>(e.code));
    const std::string text = Hl7Escape(e.text, kStandard);
    const Hl7ErrorLocation& l = e.location;
    if (old_layout) {
      // ERR-1 (ELD): segment id ^ sequence ^ field position ^ code&text&table.
      std::string eld = l.segment_id + "^" + Number(l.segment_sequence) + "^" + Number(l.field) +
                        "^" + code_text + "&" + Hl7Escape(Hl7ErrorCodeText(e.code), kStandard) +
                        "&HL70357";
      body += "ERR|" + eld + '\r';
    } else {
      // ERR-2 (ERL), ERR-3 (CWE, table 0357), ERR-4 (table 0516), ERR-7 diagnostic text.
      std::string erl;
      if (!l.segment_id.empty()) {
        erl = l.segment_id + "^" + Number(l.segment_sequence) + "^" + Number(l.field) + "^" +
              Number(l.field_repetition) + "^" + Number(l.component) + "^" + Number(l.subcomponent);
        TrimTrailing(&erl, '^');
      }
      std::string err = "ERR||" + erl + "|" + code_text + "^" +
                        Hl7Escape(Hl7ErrorCodeText(e.code), kStandard) + "^HL70357|" +
                        std::string(SeverityCode(e.severity)) + "|||" + text;
      TrimTrailing(&err, '|');
      body += err + '\r';
    }
  }
  std::string msh = "MSH|^~\\&|";
  msh += f.receiving_application + "|" + f.receiving_facility + "|" + f.sending_application + "|" +
         f.sending_facility + "|" + FormatHl7DateTime(options.timestamp_utc_micros) + "||";
  msh += "ACK";
  if (!f.trigger_event.empty() || IsStructureComponentKnown(version)) {
    msh += "^" + f.trigger_event;
  }
  if (IsStructureComponentKnown(version)) {
    msh += "^ACK";
  }
  msh += "|" + Hl7Escape(options.control_id, kStandard) + "|" +
         (f.processing_id.empty() ? std::string("P") : f.processing_id) + "|" + version;
  const bool non_ascii =
      internal::FindNonAscii(msh) != msh.size() || internal::FindNonAscii(body) != body.size();
  if (non_ascii) {
    msh += "||||||UNICODE UTF-8";
  }
  msh += '\r';
  return msh + body;
}

}  // namespace

std::string_view Hl7AckCodeText(Hl7AckCode code) {
  switch (code) {
    case Hl7AckCode::kAA:
      return "AA";
    case Hl7AckCode::kAE:
      return "AE";
    case Hl7AckCode::kAR:
      return "AR";
    case Hl7AckCode::kCA:
      return "CA";
    case Hl7AckCode::kCE:
      return "CE";
    case Hl7AckCode::kCR:
      return "CR";
  }
  return "AE";
}

std::string_view Hl7ErrorCodeText(Hl7ErrorCode code) {
  switch (code) {
    case Hl7ErrorCode::kMessageAccepted:
      return "Message accepted";
    case Hl7ErrorCode::kSegmentSequenceError:
      return "Segment sequence error";
    case Hl7ErrorCode::kRequiredFieldMissing:
      return "Required field missing";
    case Hl7ErrorCode::kDataTypeError:
      return "Data type error";
    case Hl7ErrorCode::kTableValueNotFound:
      return "Table value not found";
    case Hl7ErrorCode::kValueTooLong:
      return "Value too long";
    case Hl7ErrorCode::kUnsupportedMessageType:
      return "Unsupported message type";
    case Hl7ErrorCode::kUnsupportedEventCode:
      return "Unsupported event code";
    case Hl7ErrorCode::kUnsupportedProcessingId:
      return "Unsupported processing id";
    case Hl7ErrorCode::kUnsupportedVersionId:
      return "Unsupported version id";
    case Hl7ErrorCode::kUnknownKeyIdentifier:
      return "Unknown key identifier";
    case Hl7ErrorCode::kDuplicateKeyIdentifier:
      return "Duplicate key identifier";
    case Hl7ErrorCode::kApplicationRecordLocked:
      return "Application record locked";
    case Hl7ErrorCode::kApplicationInternalError:
      return "Application internal error";
  }
  return "Application internal error";
}

Hl7AckError AckErrorFromRejection(const Hl7Rejection& r) {
  Hl7AckError e;
  switch (r.reason) {
    case Hl7RejectReason::kEmpty:
    case Hl7RejectReason::kMshMissing:
    case Hl7RejectReason::kFieldSeparatorMismatch:
    case Hl7RejectReason::kInvalidSegmentId:
    case Hl7RejectReason::kUnexpectedSegment:
      e.code = Hl7ErrorCode::kSegmentSequenceError;
      break;
    case Hl7RejectReason::kInvalidFieldSeparator:
    case Hl7RejectReason::kInvalidEncodingCharacters:
    case Hl7RejectReason::kInvalidCharacterEncoding:
    case Hl7RejectReason::kDataTypeError:
      e.code = Hl7ErrorCode::kDataTypeError;
      break;
    case Hl7RejectReason::kUnsupportedCharacterSet:
      e.code = Hl7ErrorCode::kTableValueNotFound;  // MSH-18, HL7 table 0211
      break;
    case Hl7RejectReason::kRequiredFieldMissing:
      e.code = Hl7ErrorCode::kRequiredFieldMissing;
      break;
    case Hl7RejectReason::kMessageTooLarge:
      e.code = Hl7ErrorCode::kValueTooLong;
      break;
  }
  e.severity = Hl7ErrorSeverity::kError;
  e.location.segment_id = r.segment_id;
  e.location.segment_sequence = r.segment_id.empty() ? 0 : r.segment_sequence;
  e.location.field = r.segment_id.empty() ? 0 : r.field;
  e.location.component = r.segment_id.empty() ? 0 : r.component;
  e.text = r.text;
  return e;
}

Hl7AckMode AckModeOf(const Hl7Message& message) {
  return TrimSpaces(message.Field(0, 15)).empty() && TrimSpaces(message.Field(0, 16)).empty()
             ? Hl7AckMode::kOriginal
             : Hl7AckMode::kEnhanced;
}

Hl7AckPlan PlanAcks(const Hl7Message& message, Hl7Outcome outcome) {
  const bool success = outcome == Hl7Outcome::kAccepted;
  const Hl7AckCode application = outcome == Hl7Outcome::kAccepted ? Hl7AckCode::kAA
                                 : outcome == Hl7Outcome::kError  ? Hl7AckCode::kAE
                                                                  : Hl7AckCode::kAR;
  Hl7AckPlan plan;
  if (AckModeOf(message) == Hl7AckMode::kOriginal) {
    plan.application_ack = application;
    return plan;
  }
  // HL7 table 0155: AL always, NE never, ER error/reject only, SU successful completion only.
  auto wanted = [success](std::string_view condition) {
    condition = TrimSpaces(condition);
    if (condition == "NE") {
      return false;
    }
    if (condition == "ER") {
      return !success;
    }
    if (condition == "SU") {
      return success;
    }
    return true;
  };
  if (wanted(message.Component(0, 15, 1, 1))) {
    plan.accept_ack = outcome == Hl7Outcome::kAccepted ? Hl7AckCode::kCA
                      : outcome == Hl7Outcome::kError  ? Hl7AckCode::kCE
                                                       : Hl7AckCode::kCR;
  }
  if (wanted(message.Component(0, 16, 1, 1))) {
    plan.application_ack = application;
  }
  return plan;
}

Result<std::string> BuildHl7Ack(const Hl7Message& received, Hl7AckCode code,
                                const std::vector<Hl7AckError>& errors,
                                const Hl7AckOptions& options) {
  return Build(FactsOf(received, /*ascii_only=*/false), code, errors, options);
}

Result<std::string> BuildHl7AckForUnparsed(std::string_view received_bytes, Hl7AckCode code,
                                           const std::vector<Hl7AckError>& errors,
                                           const Hl7AckOptions& options) {
  std::string_view b = received_bytes;
  if (!b.empty() && b.front() == 0x0B) {
    b.remove_prefix(1);
  }
  if (b.substr(0, 3) == "\xEF\xBB\xBF") {
    b.remove_prefix(3);
  }
  const size_t eol = b.find_first_of("\r\n\x1C");
  b = b.substr(0, eol);
  HeaderFacts facts;
  Hl7ParseOptions lenient;
  lenient.check_character_set = false;
  auto msh = ParseHl7Message(b, lenient);
  if (msh.ok()) {
    facts = FactsOf(*msh, /*ascii_only=*/true);
  }
  return Build(facts, code, errors, options);
}

}  // namespace medlake::ingest::hl7v2
