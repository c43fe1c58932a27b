// ingest/hl7v2/hl7_text_path.h: values read straight out of HL7 v2 message text.
//
// Part of ingest/hl7v2. Where the message parser (hl7_message.h) splits a whole message and
// checks it, these functions pick one segment, field, component or subcomponent out of the text
// with a few memchr calls and no allocation, for callers that need a handful of values from many
// messages already known to parse (the pipeline's SQL functions hl7_segment, hl7_field, ...).
// They assume the standard delimiters | ^ ~ \ & and never fail: what is absent or empty is
// nullopt.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace medlake::ingest::hl7v2 {

// The first segment of `message` whose id is `id`: a line starting "<id>|" at the start of the
// message or after CR or LF, up to the next CR or LF (not included). nullopt when there is none
// (always for an empty id or one holding '|', CR or LF).
std::optional<std::string_view> Hl7SegmentOf(std::string_view message, std::string_view id);

// Calls `each` with every segment of `message` whose id is `id`, in order.
void ForEachHl7Segment(std::string_view message, std::string_view id,
                       const std::function<void(std::string_view)>& each);

// Field `n` of `segment`, raw (still escaped, all repetitions). Fields are numbered as in the
// standard: in MSH, field 1 is the field separator itself and field 2 the encoding characters;
// field 0 is the segment id. nullopt when the field is absent or empty, or n < 0.
std::optional<std::string_view> Hl7FieldOf(std::string_view segment, int64_t n);

// Component `k` (from 1) of the first repetition of `field`, raw. nullopt when absent or empty.
std::optional<std::string_view> Hl7ComponentOf(std::string_view field, int64_t k);

// Subcomponent `n` (from 1) of component `k` of the first repetition of `field`, raw.
std::optional<std::string_view> Hl7SubcomponentOf(std::string_view field, int64_t k, int64_t n);

// `raw` with its escape sequences decoded (HL7 v2.5 section 2.7, as ingest/hl7v2's Hl7Unescape
// for a UTF-8 message). Returns `raw` itself when it holds no escape character, else a view of
// `scratch`. A value whose escapes decode to invalid UTF-8 is returned as it was.
std::string_view Hl7UnescapeText(std::string_view raw, std::string& scratch);

// A DTM value ("YYYYMMDD[HH[MM[SS[.S...]]]][+/-ZZZZ]") as microseconds since the epoch in UTC
// (the offset applied; no offset: read as UTC). nullopt when it is not a valid DTM or gives less
// than a day (a year or a month alone).
std::optional<int64_t> Hl7TimestampMicros(std::string_view dtm);

// The calendar date a DTM value names as written (its first 8 characters; no offset applied),
// as days since 1970-01-01. nullopt when those are not a valid date.
std::optional<int32_t> Hl7DateDays(std::string_view dtm);

}  // namespace medlake::ingest::hl7v2
