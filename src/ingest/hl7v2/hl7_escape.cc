#include "ingest/hl7v2/hl7_escape.h"

#include <string>

#include "ingest/hl7v2/hl7_scan_internal.h"

namespace medlake::ingest::hl7v2 {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  // ASCII folding only (the codes of table 0211 are ASCII), without the C locale's toupper.
  auto upper = [](char ch) { return ch >= 'a' && ch <= 'z' ? static_cast<char>(ch - 32) : ch; };
  for (size_t i = 0; i < a.size(); ++i) {
    if (upper(a[i]) != upper(b[i])) {
      return false;
    }
  }
  return true;
}

int HexValue(char ch) {
  if (ch >= '0' && ch <= '9') {
    return ch - '0';
  }
  if (ch >= 'A' && ch <= 'F') {
    return ch - 'A' + 10;
  }
  if (ch >= 'a' && ch <= 'f') {
    return ch - 'a' + 10;
  }
  return -1;
}

// Appends `bytes` (text in `charset`) to `out` as UTF-8. `base` is the offset of `bytes` in the
// caller's raw value, for error messages.
Status AppendInCharset(std::string_view bytes, Hl7Charset charset, size_t base, std::string* out) {
  switch (charset) {
    case Hl7Charset::kUtf8:
      // Validated once over the whole result by the caller: a character may be split between
      // literal bytes and \X\ bytes.
      out->append(bytes);
      return Status::OK();
    case Hl7Charset::kAscii: {
      const size_t bad = internal::FindNonAscii(bytes);
      if (bad != bytes.size()) {
        return InvalidArgument("hl7.invalid_character_encoding: non-ASCII byte at byte " +
                               std::to_string(base + bad) + " of the value");
      }
      out->append(bytes);
      return Status::OK();
    }
    case Hl7Charset::kIso8859_1:
      for (char ch : bytes) {
        const auto b = static_cast<unsigned char>(ch);
        if (b < 0x80) {
          out->push_back(ch);
        } else {
          out->push_back(static_cast<char>(0xC0 | (b >> 6)));
          out->push_back(static_cast<char>(0x80 | (b & 0x3F)));
        }
      }
      return Status::OK();
  }
  return Status::OK();
}

}  // namespace

Result<Hl7Charset> ParseHl7Charset(std::string_view msh18) {
  // MSH-18 may repeat (v2.5 section 2.14.9.18): the first repetition is the default charset.
  // The field cannot contain a repetition separator other than '~' in practice; callers pass
  // the first repetition already, this trim keeps stray spaces from rejecting a message.
  const std::string_view code = Trim(msh18);
  if (code.empty() || EqualsIgnoreCase(code, "UNICODE UTF-8") || EqualsIgnoreCase(code, "UTF-8")) {
    return Hl7Charset::kUtf8;
  }
  if (EqualsIgnoreCase(code, "ASCII")) {
    return Hl7Charset::kAscii;
  }
  if (EqualsIgnoreCase(code, "8859/1")) {
    return Hl7Charset::kIso8859_1;
  }
  // Table 0211 codes are short ASCII codes; anything else is not repeated back.
  std::string shown;
  for (char ch : code.substr(0, 24)) {
    shown.push_back(ch >= 0x20 && ch < 0x7F ? ch : '?');
  }
  return InvalidArgument("hl7.unsupported_character_set: unsupported character set '" + shown +
                         "' in MSH-18");
}

std::string_view Hl7CharsetCode(Hl7Charset charset) {
  switch (charset) {
    case Hl7Charset::kAscii:
      return "ASCII";
    case Hl7Charset::kIso8859_1:
      return "8859/1";
    case Hl7Charset::kUtf8:
      return "UNICODE UTF-8";
  }
  return "UNICODE UTF-8";
}

Result<std::string> Hl7Unescape(std::string_view raw, const Hl7Delimiters& delimiters,
                                Hl7Charset charset) {
  std::string out;
  const char esc = delimiters.escape;
  size_t pos = raw.find(esc);
  if (esc == '\0' || pos == std::string_view::npos) {
    pos = std::string_view::npos;
  }
  out.reserve(raw.size());
  size_t literal_start = 0;
  while (pos != std::string_view::npos) {
    const size_t close = raw.find(esc, pos + 1);
    if (close == std::string_view::npos) {
      break;  // an escape character without a closing one: kept verbatim with the rest
    }
    MEDLAKE_RETURN_IF_ERROR(AppendInCharset(raw.substr(literal_start, pos - literal_start), charset,
                                            literal_start, &out));
    const std::string_view seq = raw.substr(pos + 1, close - pos - 1);
    bool consumed = true;
    if (seq.size() == 1) {
      switch (seq[0]) {
        case 'F':
          out.push_back(delimiters.field);
          break;
        case 'S':
          out.push_back(delimiters.component);
          break;
        case 'T':
          out.push_back(delimiters.subcomponent);
          break;
        case 'R':
          out.push_back(delimiters.repetition);
          break;
        case 'E':
          out.push_back(delimiters.escape);
          break;
        case 'P':
          if (delimiters.truncation != '\0') {
            out.push_back(delimiters.truncation);
          } else {
            consumed = false;
          }
          break;
        default:
          consumed = false;
      }
    } else if (seq.size() >= 3 && seq[0] == 'X' && (seq.size() - 1) % 2 == 0) {
      // \Xhhhh..\ : hexadecimal bytes in the message's character set (section 2.7.3).
      std::string bytes;
      for (size_t i = 1; i < seq.size(); i += 2) {
        const int hi = HexValue(seq[i]);
        const int lo = HexValue(seq[i + 1]);
        if (hi < 0 || lo < 0) {
          consumed = false;
          break;
        }
        bytes.push_back(static_cast<char>(hi * 16 + lo));
      }
      if (consumed) {
        MEDLAKE_RETURN_IF_ERROR(AppendInCharset(bytes, charset, pos, &out));
      }
    } else if (seq == ".br") {
      out.push_back('\n');
    } else {
      consumed = false;
    }
    if (!consumed) {
      // Unknown or formatting escape: kept verbatim, including both escape characters.
      MEDLAKE_RETURN_IF_ERROR(
          AppendInCharset(raw.substr(pos, close - pos + 1), charset, pos, &out));
    }
    literal_start = close + 1;
    pos = raw.find(esc, literal_start);
  }
  MEDLAKE_RETURN_IF_ERROR(AppendInCharset(raw.substr(literal_start), charset, literal_start, &out));
  if (charset == Hl7Charset::kUtf8) {
    const size_t bad = internal::FindInvalidUtf8(out);
    if (bad != out.size()) {
      return InvalidArgument("hl7.invalid_character_encoding: invalid UTF-8 at byte " +
                             std::to_string(bad) + " of the decoded value");
    }
  }
  return out;
}

std::string Hl7Escape(std::string_view text, const Hl7Delimiters& delimiters) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + 8);
  const char esc = delimiters.escape;
  for (char ch : text) {
    char code = '\0';
    if (ch == delimiters.field) {
      code = 'F';
    } else if (ch == delimiters.component) {
      code = 'S';
    } else if (ch == delimiters.subcomponent) {
      code = 'T';
    } else if (ch == delimiters.repetition) {
      code = 'R';
    } else if (ch == esc) {
      code = 'E';
    } else if (delimiters.truncation != '\0' && ch == delimiters.truncation) {
      code = 'P';
    }
    if (code != '\0') {
      out.push_back(esc);
      out.push_back(code);
      out.push_back(esc);
    } else if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F) {
      const auto b = static_cast<unsigned char>(ch);
      out.push_back(esc);
      out.push_back('X');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0x0F]);
      out.push_back(esc);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

}  // namespace medlake::ingest::hl7v2
