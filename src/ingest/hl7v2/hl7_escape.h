// ingest/hl7v2/hl7_escape.h: HL7 v2 delimiters, character sets and escape sequences.
//
// Part of ingest/hl7v2 (the HL7 v2 parser, see README.md). The message parser (hl7_message.h)
// keeps field values as raw views, still escaped and in the message's character set; the
// functions here turn such a view into UTF-8 text (HL7 v2.5 chapter 2, section 2.7 "Use of
// escape sequences in text fields") and back.
//
// Thread-safety: pure functions and plain values.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace medlake::ingest::hl7v2 {

// The delimiters a message declares in MSH-1 and MSH-2 (HL7 v2.5 section 2.5.4). `truncation`
// is the fifth encoding character of v2.7+ (usually '#'), or '\0' when MSH-2 has only four.
struct Hl7Delimiters {
  char field = '|';
  char component = '^';
  char repetition = '~';
  char escape = '\\';
  char subcomponent = '&';
  char truncation = '\0';
};

// The character sets medlake accepts (MSH-18, HL7 table 0211).
enum class Hl7Charset {
  kAscii,      // "ASCII": 7-bit bytes only
  kIso8859_1,  // "8859/1": every byte is the code point of the same value
  kUtf8,       // "UNICODE UTF-8" (also "UTF-8"), or MSH-18 empty
};

// Maps the first repetition of MSH-18 (raw, surrounding spaces ignored, case-insensitive) to a
// charset. An empty value means UTF-8 (medlake's default; plain ASCII is a subset of it).
// Returns InvalidArgument "unsupported character set" for anything else (UTF-16, ISO-IR 87,
// 8859/2, ...); the message names the value, which is a table code, not patient data.
Result<Hl7Charset> ParseHl7Charset(std::string_view msh18);

// The MSH-18 code of `charset` ("ASCII", "8859/1", "UNICODE UTF-8").
std::string_view Hl7CharsetCode(Hl7Charset charset);

// Decodes a raw value (a field, repetition, component or subcomponent view) into UTF-8:
// \F\ \S\ \T\ \R\ \E\ (and \P\ when a truncation character is declared) become the delimiter
// they name; \Xhh..\ becomes the bytes hh.. read in `charset`; \.br\ becomes "\n"; any other
// escape (\H\, \N\, \Zxx\, \Cxxyy\, \.sp\, ...) and an escape character without a closing one
// are kept verbatim. Literal bytes are converted from `charset` to UTF-8.
// Returns InvalidArgument when the result would not be valid text in `charset`: a byte >= 0x80
// in an ASCII message, or invalid UTF-8 (from literal bytes or \X\ bytes) in a UTF-8 message.
// The error names the byte offset in `raw`, never the value.
Result<std::string> Hl7Unescape(std::string_view raw, const Hl7Delimiters& delimiters,
                                Hl7Charset charset);

// Escapes UTF-8 `text` for use as one subcomponent under `delimiters`: the delimiter
// characters become \F\ \S\ \T\ \R\ \E\ (\P\ for a declared truncation character), and control
// characters below 0x20 (CR, LF, TAB, ...) become \Xhh\. Bytes >= 0x80 are copied unchanged,
// so the result is UTF-8. Hl7Unescape(Hl7Escape(t), d, kUtf8) == t for valid UTF-8 `t`.
std::string Hl7Escape(std::string_view text, const Hl7Delimiters& delimiters);

}  // namespace medlake::ingest::hl7v2
