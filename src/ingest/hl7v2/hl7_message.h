// ingest/hl7v2/hl7_message.h: one HL7 v2 message (versions 2.3 to 2.8), parsed without copying.
//
// Part of ingest/hl7v2 (see README.md). ParseHl7Message() splits a message into segments and
// fields in one pass over its bytes and keeps only views into them; repetitions, components and
// subcomponents are found on demand by scanning a field's view. Values stay raw (escaped, in the
// message's character set) until Decoded()/Decode() makes the one copy, as UTF-8 text.
//
// Encoding rules followed: HL7 v2.5 chapter 2, sections 2.5 (message construction: MSH-1 and
// MSH-2 declare the delimiters, segments end with CR) and 2.7 (escape sequences). Accepted
// beyond the standard, because real files do it: LF or CRLF segment ends, empty lines, a UTF-8
// byte order mark before MSH, trailing delimiters.
//
// Numbering follows HL7: fields, repetitions, components and subcomponents count from 1, and for
// MSH the field separator itself is MSH-1 and the encoding characters MSH-2. Segment indexes
// (the position of a segment in the message) count from 0, as C++ indexes do.
//
// Thread-safety: an Hl7Message is immutable after parsing; concurrent reads are safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ingest/hl7v2/hl7_escape.h"
#include "ingest/hl7v2/hl7_rejection.h"

namespace medlake::ingest::hl7v2 {

struct Hl7ParseOptions {
  // Larger inputs are rejected (kMessageTooLarge) before any work. At most 4 GiB - 1.
  size_t max_message_bytes = size_t{64} << 20;
  // When false, MSH-18 is not interpreted and bytes are not validated: the message is read as
  // ISO-8859-1 (every byte is valid). For best-effort reading of a message that was already
  // rejected, e.g. to address an ACK to its sender; never for accepting data.
  bool check_character_set = true;
};

class Hl7Message;

// Parses one message. `bytes` is not copied: it must outlive the returned message and every
// view taken from it. Checks the structure (MSH first, delimiters, segment ids), the character
// set named by MSH-18 and that the bytes are valid in it; it does not check which segments or
// fields a message type requires (see Summarize() in hl7_summary.h).
// Returns InvalidArgument "hl7.<reason>: ..." for a malformed message (see Hl7RejectReason); when
// `rejection` is not null it also receives the reason and location. Never throws or crashes on
// any input.
Result<Hl7Message> ParseHl7Message(std::string_view bytes, const Hl7ParseOptions& options = {},
                                   Hl7Rejection* rejection = nullptr);

// ParseHl7Message into `*message`, reusing its memory: a loop over many messages parses each into
// the same object and allocates nothing once it has seen its largest message. Same checks, errors
// and rejection as ParseHl7Message; after an error `*message` holds no message (segment_count()
// is 0) and may be reused.
Status ParseHl7MessageInto(std::string_view bytes, const Hl7ParseOptions& options,
                           Hl7Message* message, Hl7Rejection* rejection = nullptr);

class Hl7Message {
 public:
  // Number of segments (empty lines are not segments).
  size_t segment_count() const { return segments_.size(); }
  // The 3-character id of segment `seg` ("MSH", "PID", "ZPI"); empty if out of range.
  std::string_view SegmentId(size_t seg) const;
  // The raw text of segment `seg` without its terminator; empty if out of range.
  std::string_view SegmentText(size_t seg) const;
  // Byte offset of segment `seg` in the bytes given to ParseHl7Message (the BOM counts).
  size_t SegmentOffset(size_t seg) const;
  // The highest field number present in segment `seg` (MSH counts MSH-1 and MSH-2).
  size_t FieldCount(size_t seg) const;

  // Index of the `occurrence`-th (1-based) segment with id `id`, if any.
  std::optional<size_t> FindSegment(std::string_view id, size_t occurrence = 1) const;
  // Number of segments with id `id`.
  size_t CountSegments(std::string_view id) const;

  // Field `field_no` of segment `seg`, raw (all repetitions). Empty if absent. Field 0 is the
  // segment id.
  std::string_view Field(size_t seg, size_t field_no) const;
  // Number of repetitions of a field (0 when empty). MSH-1 and MSH-2 have one.
  size_t RepetitionCount(size_t seg, size_t field_no) const;
  // Repetition `rep` (1-based) of a field; empty if absent.
  std::string_view Repetition(size_t seg, size_t field_no, size_t rep) const;
  // Component `comp` (1-based) of repetition `rep`; empty if absent.
  std::string_view Component(size_t seg, size_t field_no, size_t rep, size_t comp) const;
  // Subcomponent `sub` (1-based) of a component; empty if absent.
  std::string_view Subcomponent(size_t seg, size_t field_no, size_t rep, size_t comp,
                                size_t sub) const;
  // Number of components of repetition `rep` (0 when empty).
  size_t ComponentCount(size_t seg, size_t field_no, size_t rep) const;

  // The raw value at a Terser-like path: "SEG[(occurrence)]-field[[repetition]][.comp[.sub]]",
  // e.g. "PID-3[2].4.1", "MSH-9.2", "OBX(3)-5". Missing repetition/occurrence mean 1; without
  // a component the whole repetition is returned, and without "[rep]" and ".comp" the whole
  // field (all repetitions). Returns InvalidArgument for a malformed path, NotFound when the
  // segment occurrence does not exist; an absent field or component is an empty view (HL7
  // treats absent and empty alike).
  Result<std::string_view> Get(std::string_view path) const;
  // Get(path), unescaped and converted to UTF-8 (the only copy). Errors of Get and Decode.
  Result<std::string> Decoded(std::string_view path) const;
  // Unescapes a raw view taken from this message into UTF-8 (Hl7Unescape with this message's
  // delimiters and character set). InvalidArgument if the bytes are invalid in the charset.
  Result<std::string> Decode(std::string_view raw) const;

  const Hl7Delimiters& delimiters() const { return delimiters_; }
  Hl7Charset charset() const { return charset_; }
  // True when the bytes started with a UTF-8 byte order mark (skipped by the parser).
  bool had_bom() const { return bom_bytes_ != 0; }
  // The message bytes after the BOM, as given to the parser.
  std::string_view bytes() const { return bytes_; }

 private:
  friend Status ParseHl7MessageInto(std::string_view bytes, const Hl7ParseOptions& options,
                                    Hl7Message* message, Hl7Rejection* rejection);
  struct Segment {
    uint32_t first_field;  // index in field_ends_ of field 0's end (the id)
    uint32_t field_count;  // including field 0
    uint32_t offset;       // in bytes_
    uint32_t length;
  };
  // Field `field_no` (< field_count) of segment `s`: it starts after the previous field's end
  // (field 0 at the segment's start) and ends at its own. MSH-1 is handled by the caller.
  std::string_view FieldOf(const Segment& s, size_t field_no) const {
    const size_t i = s.first_field + field_no;
    const size_t start = field_no == 0 ? s.offset : field_ends_[i - 1] + size_t{1};
    return bytes_.substr(start, field_ends_[i] - start);
  }
  // For MSH-1 and MSH-2 the delimiters are data, so they are never split.
  bool IsUnsplittable(size_t seg, size_t field_no) const { return seg == 0 && field_no <= 2; }

  std::string_view bytes_;
  size_t bom_bytes_ = 0;
  Hl7Delimiters delimiters_;
  Hl7Charset charset_ = Hl7Charset::kUtf8;
  std::vector<Segment> segments_;
  // The offset in bytes_ of the delimiter (field separator, CR or LF, or the end) that ends each
  // field, in message order; 4 bytes per field. Only the entries the segments point at are
  // meaningful: the vector is never shrunk, so a reused message allocates nothing.
  std::vector<uint32_t> field_ends_;
};

}  // namespace medlake::ingest::hl7v2
