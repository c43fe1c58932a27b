// ingest/hl7v2/hl7_batch.h: splitting a file or stream buffer into HL7 v2 messages.
//
// Part of ingest/hl7v2. Files and streams hold many messages: bare concatenations (each starts
// with a segment "MSH" + field separator), batches wrapped in FHS/BHS ... BTS/FTS envelopes
// (HL7 v2.5 section 2.10.3 "HL7 batch protocol"), and MLLP frames (0x0B message 0x1C 0x0D,
// HL7 v2.5.1 appendix C) when a capture of the wire is stored. SplitHl7Batch() returns spans of
// the buffer, in order, that cover every byte exactly once: a byte is in a message, in an
// envelope segment, in a separator (MLLP bytes, BOM, empty lines) or in a rejected chunk with a
// reason. Nothing is dropped silently; lineage records each message's offset and length.
//
// The splitter looks only at segment starts; each message span is then parsed on its own
// (ParseHl7Message), so one malformed message never affects its neighbours.
//
// Thread-safety: pure function; results are plain values.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace medlake::ingest::hl7v2 {

enum class Hl7SpanKind {
  kMessage,    // one message, from "MSH" through the terminator of its last segment
  kEnvelope,   // one FHS, BHS, BTS or FTS segment with its terminator
  kSeparator,  // MLLP start/end bytes, a UTF-8 BOM, empty or blank lines between messages
  kRejected,   // bytes that belong to no message; `reason` says why
};

struct Hl7Span {
  Hl7SpanKind kind = Hl7SpanKind::kMessage;
  size_t offset = 0;  // in the buffer
  size_t length = 0;
  std::string reason;  // kRejected only: "data before the first MSH", ... (never the bytes)
};

// A batch-level finding that rejects no bytes, e.g. a BTS-1 count that does not match.
struct Hl7BatchIssue {
  size_t offset = 0;  // of the segment concerned
  std::string reason;
};

struct Hl7BatchSplit {
  std::vector<Hl7Span> spans;  // in buffer order, contiguous, covering [0, buffer.size())
  std::vector<Hl7BatchIssue> issues;
  size_t message_count = 0;
  size_t rejected_count = 0;
};

// Splits `buffer`. Cannot fail: whatever is not a message becomes a rejected span. A message
// span may still be malformed inside (the parser decides). Views of the buffer are not kept.
Hl7BatchSplit SplitHl7Batch(std::string_view buffer);

// The bytes of `span` in `buffer` (the buffer the split was made from).
inline std::string_view SpanBytes(std::string_view buffer, const Hl7Span& span) {
  return buffer.substr(span.offset, span.length);
}

}  // namespace medlake::ingest::hl7v2
