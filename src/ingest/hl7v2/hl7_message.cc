#include "ingest/hl7v2/hl7_message.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "ingest/hl7v2/hl7_scan_internal.h"

namespace medlake::ingest::hl7v2 {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// HL7 v2.5 section 2.5.4: delimiters are printable, and neither letters nor digits.
bool IsDelimiterChar(char ch) {
  const auto b = static_cast<unsigned char>(ch);
  if (b < 0x21 || b > 0x7E) {
    return false;
  }
  return !((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'));
}

// Segment ids are three characters: an upper-case letter, then upper-case letters or digits
// (PV1, IN1, ZU1). Z-segments are ordinary ids here.
bool IsValidSegmentId(std::string_view id) {
  if (id.size() != 3 || id[0] < 'A' || id[0] > 'Z') {
    return false;
  }
  for (size_t i = 1; i < 3; ++i) {
    const char ch = id[i];
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))) {
      return false;
    }
  }
  return true;
}

bool IsEnvelopeOrHeader(std::string_view id) {
  return id == "MSH" || id == "FHS" || id == "BHS" || id == "BTS" || id == "FTS";
}

bool IsTerminator(char ch) { return ch == '\r' || ch == '\n'; }

// Reads a decimal number of 1 to 9 digits at text[*pos]; advances *pos.
bool ReadNumber(std::string_view text, size_t* pos, size_t* value) {
  size_t v = 0;
  size_t digits = 0;
  while (*pos < text.size() && text[*pos] >= '0' && text[*pos] <= '9' && digits < 9) {
    v = v * 10 + static_cast<size_t>(text[*pos] - '0');
    ++*pos;
    ++digits;
  }
  if (digits == 0 || (*pos < text.size() && text[*pos] >= '0' && text[*pos] <= '9')) {
    return false;
  }
  *value = v;
  return true;
}

}  // namespace

Result<Hl7Message> ParseHl7Message(std::string_view input, const Hl7ParseOptions& options,
                                   Hl7Rejection* rejection) {
  auto reject = [rejection](Hl7Rejection r) -> Status {
    Status status = r.ToStatus();
    if (rejection != nullptr) {
      *rejection = std::move(r);
    }
    return status;
  };
  auto make = [](Hl7RejectReason reason, std::string text, size_t segment_index,
                 std::string segment_id, size_t field, size_t byte_offset) {
    Hl7Rejection r;
    r.reason = reason;
    r.text = std::move(text);
    r.segment_index = segment_index;
    r.segment_id = std::move(segment_id);
    r.segment_sequence = segment_index != 0 && !r.segment_id.empty() ? 1 : 0;
    r.field = field;
    r.byte_offset = byte_offset;
    return r;
  };

  const size_t limit =
      std::min<size_t>(options.max_message_bytes, std::numeric_limits<uint32_t>::max() - 1);
  if (input.size() > limit) {
    return reject(make(Hl7RejectReason::kMessageTooLarge,
                       "message of " + std::to_string(input.size()) +
                           " bytes exceeds the limit of " + std::to_string(limit) + " bytes",
                       0, "", 0, 0));
  }
  const size_t bom = input.substr(0, 3) == kBom ? 3 : 0;
  const std::string_view b = input.substr(bom);
  const size_t n = b.size();
  if (std::all_of(b.begin(), b.end(), IsTerminator)) {
    return reject(make(Hl7RejectReason::kEmpty, "message is empty", 0, "", 0, bom));
  }
  if (n < 3 || b.substr(0, 3) != "MSH") {
    return reject(make(Hl7RejectReason::kMshMissing,
                       "MSH segment missing: first segment is not MSH", 1, "", 0, bom));
  }
  if (n < 4 || !IsDelimiterChar(b[3])) {
    return reject(make(Hl7RejectReason::kInvalidFieldSeparator,
                       "MSH-1 field separator missing or invalid", 1, "MSH", 1, bom + 3));
  }
  const char fs = b[3];
  size_t enc_end = 4;
  while (enc_end < n && b[enc_end] != fs && !IsTerminator(b[enc_end])) {
    ++enc_end;
  }
  const std::string_view enc = b.substr(4, enc_end - 4);
  bool enc_ok = enc.size() == 4 || enc.size() == 5;
  for (size_t i = 0; enc_ok && i < enc.size(); ++i) {
    enc_ok = IsDelimiterChar(enc[i]) && enc[i] != fs &&
             enc.find(enc[i], i + 1) == std::string_view::npos;
  }
  if (!enc_ok) {
    return reject(make(Hl7RejectReason::kInvalidEncodingCharacters,
                       "MSH-2 encoding characters invalid: expected 4 (or 5 from v2.7) distinct "
                       "delimiters",
                       1, "MSH", 2, bom + 4));
  }

  Hl7Message msg;
  msg.bytes_ = b;
  msg.bom_bytes_ = bom;
  msg.delimiters_.field = fs;
  msg.delimiters_.component = enc[0];
  msg.delimiters_.repetition = enc[1];
  msg.delimiters_.escape = enc[2];
  msg.delimiters_.subcomponent = enc[3];
  msg.delimiters_.truncation = enc.size() == 5 ? enc[4] : '\0';
  msg.segments_.reserve(n / 64 + 4);
  msg.fields_.reserve(n / 8 + 16);

  // One pass: every field separator ends a field, every CR or LF ends a segment (CRLF and empty
  // lines give empty segments, which are skipped).
  internal::ByteScanner3 scanner(b, fs, '\r', '\n');
  std::vector<std::string_view>& fields = msg.fields_;
  fields.push_back(b.substr(0, 3));
  fields.push_back(b.substr(3, 1));
  size_t seg_start = 0;
  size_t field_start = 4;
  size_t first_field = 0;
  scanner.Reset(4);
  for (;;) {
    const size_t e = scanner.Next();
    const char c = e < n ? b[e] : '\n';
    if (c == fs) {
      fields.emplace_back(b.data() + field_start, e - field_start);
      field_start = e + 1;
      continue;
    }
    if (e > seg_start) {
      fields.emplace_back(b.data() + field_start, e - field_start);
      const auto count = static_cast<uint32_t>(fields.size() - first_field);
      if (!msg.segments_.empty()) {
        const std::string_view id = fields[first_field];
        const size_t seg_no = msg.segments_.size() + 1;
        if (!IsValidSegmentId(id)) {
          if (id.size() > 3 && IsValidSegmentId(id.substr(0, 3)) && IsDelimiterChar(id[3])) {
            return reject(make(Hl7RejectReason::kFieldSeparatorMismatch,
                               "segment " + std::to_string(seg_no) +
                                   ": field separator mismatch (segment id not followed by MSH-1)",
                               seg_no, std::string(id.substr(0, 3)), 0, bom + seg_start));
          }
          return reject(make(Hl7RejectReason::kInvalidSegmentId,
                             "segment " + std::to_string(seg_no) + " has an invalid id", seg_no, "",
                             0, bom + seg_start));
        }
        if (IsEnvelopeOrHeader(id)) {
          return reject(make(Hl7RejectReason::kUnexpectedSegment,
                             "segment " + std::to_string(seg_no) + " is " + std::string(id) +
                                 " inside a message (split batches first)",
                             seg_no, std::string(id), 0, bom + seg_start));
        }
      }
      msg.segments_.push_back(Hl7Message::Segment{static_cast<uint32_t>(first_field), count,
                                                  static_cast<uint32_t>(seg_start),
                                                  static_cast<uint32_t>(e - seg_start)});
    }
    if (e >= n) {
      break;
    }
    seg_start = e + 1;
    field_start = seg_start;
    first_field = fields.size();
  }

  if (!options.check_character_set) {
    msg.charset_ = Hl7Charset::kIso8859_1;
    return msg;
  }
  const std::string_view msh18 =
      internal::NthPiece(msg.Field(0, 18), msg.delimiters_.repetition, 0);
  auto charset = ParseHl7Charset(msh18);
  if (!charset.ok()) {
    const size_t offset = msh18.empty() ? 0 : static_cast<size_t>(msh18.data() - b.data());
    Hl7Rejection r =
        make(Hl7RejectReason::kUnsupportedCharacterSet, "", 1, "MSH", 18, bom + offset);
    // The Status text is "hl7.unsupported_character_set: <text>"; keep only the text.
    const std::string& m = charset.status().message();
    const size_t colon = m.find(": ");
    r.text = colon == std::string::npos ? m : m.substr(colon + 2);
    return reject(std::move(r));
  }
  msg.charset_ = *charset;
  size_t bad = n;
  std::string what;
  if (msg.charset_ == Hl7Charset::kUtf8) {
    bad = internal::FindInvalidUtf8(b);
    what = "invalid UTF-8";
  } else if (msg.charset_ == Hl7Charset::kAscii) {
    bad = internal::FindNonAscii(b);
    what = "non-ASCII byte in an ASCII message";
  }
  if (bad != n) {
    // Locate the segment and field for the rejection (only on this error path).
    size_t seg = 0;
    for (size_t i = 0; i < msg.segments_.size(); ++i) {
      if (msg.segments_[i].offset <= bad) {
        seg = i;
      }
    }
    const Hl7Message::Segment& s = msg.segments_[seg];
    size_t field = 0;
    for (size_t f = 0; f < s.field_count; ++f) {
      const std::string_view v = fields[s.first_field + f];
      if (v.data() - b.data() <= static_cast<std::ptrdiff_t>(bad)) {
        field = f;
      }
    }
    const std::string id(msg.SegmentId(seg));
    Hl7Rejection r = make(Hl7RejectReason::kInvalidCharacterEncoding,
                          what + " (MSH-18 " + std::string(Hl7CharsetCode(msg.charset_)) + ")",
                          seg + 1, id, field, bom + bad);
    r.segment_sequence = 0;
    for (size_t i = 0; i <= seg; ++i) {
      r.segment_sequence += msg.SegmentId(i) == id ? 1 : 0;
    }
    return reject(std::move(r));
  }
  return msg;
}

std::string_view Hl7Message::SegmentId(size_t seg) const {
  return seg < segments_.size() ? fields_[segments_[seg].first_field] : std::string_view();
}

std::string_view Hl7Message::SegmentText(size_t seg) const {
  if (seg >= segments_.size()) {
    return {};
  }
  return bytes_.substr(segments_[seg].offset, segments_[seg].length);
}

size_t Hl7Message::SegmentOffset(size_t seg) const {
  return seg < segments_.size() ? bom_bytes_ + segments_[seg].offset : 0;
}

size_t Hl7Message::FieldCount(size_t seg) const {
  return seg < segments_.size() ? segments_[seg].field_count - 1 : 0;
}

std::optional<size_t> Hl7Message::FindSegment(std::string_view id, size_t occurrence) const {
  size_t seen = 0;
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (fields_[segments_[i].first_field] == id && ++seen == occurrence) {
      return i;
    }
  }
  return std::nullopt;
}

size_t Hl7Message::CountSegments(std::string_view id) const {
  size_t count = 0;
  for (const Segment& s : segments_) {
    count += fields_[s.first_field] == id ? 1 : 0;
  }
  return count;
}

std::string_view Hl7Message::Field(size_t seg, size_t field_no) const {
  if (seg >= segments_.size() || field_no >= segments_[seg].field_count) {
    return {};
  }
  return fields_[segments_[seg].first_field + field_no];
}

size_t Hl7Message::RepetitionCount(size_t seg, size_t field_no) const {
  const std::string_view f = Field(seg, field_no);
  if (IsUnsplittable(seg, field_no)) {
    return f.empty() ? 0 : 1;
  }
  return internal::PieceCount(f, delimiters_.repetition);
}

std::string_view Hl7Message::Repetition(size_t seg, size_t field_no, size_t rep) const {
  if (rep == 0) {
    return {};
  }
  const std::string_view f = Field(seg, field_no);
  if (IsUnsplittable(seg, field_no)) {
    return rep == 1 ? f : std::string_view();
  }
  return internal::NthPiece(f, delimiters_.repetition, rep - 1);
}

std::string_view Hl7Message::Component(size_t seg, size_t field_no, size_t rep, size_t comp) const {
  if (comp == 0) {
    return {};
  }
  const std::string_view r = Repetition(seg, field_no, rep);
  if (IsUnsplittable(seg, field_no)) {
    return comp == 1 ? r : std::string_view();
  }
  return internal::NthPiece(r, delimiters_.component, comp - 1);
}

std::string_view Hl7Message::Subcomponent(size_t seg, size_t field_no, size_t rep, size_t comp,
                                          size_t sub) const {
  if (sub == 0) {
    return {};
  }
  const std::string_view c = Component(seg, field_no, rep, comp);
  if (IsUnsplittable(seg, field_no)) {
    return sub == 1 ? c : std::string_view();
  }
  return internal::NthPiece(c, delimiters_.subcomponent, sub - 1);
}

size_t Hl7Message::ComponentCount(size_t seg, size_t field_no, size_t rep) const {
  const std::string_view r = Repetition(seg, field_no, rep);
  if (IsUnsplittable(seg, field_no)) {
    return r.empty() ? 0 : 1;
  }
  return internal::PieceCount(r, delimiters_.component);
}

Result<std::string_view> Hl7Message::Get(std::string_view path) const {
  auto bad_path = [&]() {
    // The path comes from code, not from a message: it may be shown.
    return InvalidArgument("hl7.invalid_path: '" + std::string(path.substr(0, 64)) +
                           "' is not SEG[(n)]-field[[rep]][.comp[.sub]]");
  };
  if (path.size() < 5 || !IsValidSegmentId(path.substr(0, 3))) {
    return bad_path();
  }
  const std::string_view id = path.substr(0, 3);
  size_t pos = 3;
  size_t occurrence = 1;
  if (path[pos] == '(') {
    ++pos;
    if (!ReadNumber(path, &pos, &occurrence) || occurrence == 0 || pos >= path.size() ||
        path[pos] != ')') {
      return bad_path();
    }
    ++pos;
  }
  if (pos >= path.size() || path[pos] != '-') {
    return bad_path();
  }
  ++pos;
  size_t field = 0;
  if (!ReadNumber(path, &pos, &field) || field == 0) {
    return bad_path();
  }
  size_t rep = 0;
  if (pos < path.size() && path[pos] == '[') {
    ++pos;
    if (!ReadNumber(path, &pos, &rep) || rep == 0 || pos >= path.size() || path[pos] != ']') {
      return bad_path();
    }
    ++pos;
  }
  size_t comp = 0;
  size_t sub = 0;
  if (pos < path.size() && path[pos] == '.') {
    ++pos;
    if (!ReadNumber(path, &pos, &comp) || comp == 0) {
      return bad_path();
    }
    if (pos < path.size() && path[pos] == '.') {
      ++pos;
      if (!ReadNumber(path, &pos, &sub) || sub == 0) {
        return bad_path();
      }
    }
  }
  if (pos != path.size()) {
    return bad_path();
  }
  const std::optional<size_t> seg = FindSegment(id, occurrence);
  if (!seg.has_value()) {
    return NotFound("hl7: segment " + std::string(id) + "(" + std::to_string(occurrence) +
                    ") not present");
  }
  if (sub != 0) {
    return Subcomponent(*seg, field, rep == 0 ? 1 : rep, comp, sub);
  }
  if (comp != 0) {
    return Component(*seg, field, rep == 0 ? 1 : rep, comp);
  }
  if (rep != 0) {
    return Repetition(*seg, field, rep);
  }
  return Field(*seg, field);
}

Result<std::string> Hl7Message::Decoded(std::string_view path) const {
  MEDLAKE_ASSIGN_OR_RETURN(std::string_view raw, Get(path));
  return Decode(raw);
}

Result<std::string> Hl7Message::Decode(std::string_view raw) const {
  return Hl7Unescape(raw, delimiters_, charset_);
}

}  // namespace medlake::ingest::hl7v2
