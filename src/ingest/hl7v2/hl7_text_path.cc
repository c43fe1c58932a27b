#include "ingest/hl7v2/hl7_text_path.h"

#include <cstring>
#include <utility>

#include "ingest/hl7v2/hl7_datetime.h"
#include "ingest/hl7v2/hl7_escape.h"

namespace medlake::ingest::hl7v2 {
namespace {

constexpr int64_t kMicrosPerDay = 86'400'000'000;

// Part `k` (from 1) of `s` split at `sep`; empty when there are fewer parts.
std::string_view Part(std::string_view s, char sep, int64_t k) {
  if (k < 1 || s.empty()) return {};  // (an empty view's data() may be null: no memchr on it)
  size_t begin = 0;
  for (int64_t i = 1; i < k; ++i) {
    const void* hit = std::memchr(s.data() + begin, sep, s.size() - begin);
    if (!hit) return {};
    begin = static_cast<size_t>(static_cast<const char*>(hit) - s.data()) + 1;
  }
  const void* end = std::memchr(s.data() + begin, sep, s.size() - begin);
  size_t stop = end ? static_cast<size_t>(static_cast<const char*>(end) - s.data()) : s.size();
  return s.substr(begin, stop - begin);
}

std::optional<std::string_view> NonEmpty(std::string_view v) {
  if (v.empty()) return std::nullopt;
  return v;
}

// Calls `each` with the segments of `message` with id `id` until it returns false.
template <typename F>
void ScanSegments(std::string_view message, std::string_view id, F&& each) {
  if (id.empty() || id.find_first_of("|\r\n") != std::string_view::npos) return;
  size_t from = 0;
  while (from + id.size() < message.size()) {
    size_t at = message.find(id, from);
    if (at == std::string_view::npos || at + id.size() >= message.size()) return;
    bool line_start = at == 0 || message[at - 1] == '\r' || message[at - 1] == '\n';
    if (line_start && message[at + id.size()] == '|') {
      size_t end = message.find_first_of("\r\n", at);
      std::string_view segment = message.substr(at, end == std::string_view::npos ? message.size() - at : end - at);
      if (!each(segment)) return;
      from = at + segment.size();
    } else {
      from = at + 1;
    }
  }
}

}  // namespace

std::optional<std::string_view> Hl7SegmentOf(std::string_view message, std::string_view id) {
  std::optional<std::string_view> found;
  ScanSegments(message, id, [&](std::string_view segment) {
    found = segment;
    return false;
  });
  return found;
}

void ForEachHl7Segment(std::string_view message, std::string_view id,
                       const std::function<void(std::string_view)>& each) {
  ScanSegments(message, id, [&](std::string_view segment) {
    each(segment);
    return true;
  });
}

std::optional<std::string_view> Hl7FieldOf(std::string_view segment, int64_t n) {
  if (n < 0) return std::nullopt;
  if (segment.size() >= 4 && segment.compare(0, 4, "MSH|") == 0) {
    // MSH-1 is the separator that follows the segment id; MSH-2 is the first '|'-part after it.
    if (n == 1) return segment.substr(3, 1);
    if (n >= 2) return NonEmpty(Part(segment, '|', n));
  }
  return NonEmpty(Part(segment, '|', n + 1));
}

std::optional<std::string_view> Hl7ComponentOf(std::string_view field, int64_t k) {
  return NonEmpty(Part(Part(field, '~', 1), '^', k));
}

std::optional<std::string_view> Hl7SubcomponentOf(std::string_view field, int64_t k, int64_t n) {
  return NonEmpty(Part(Part(Part(field, '~', 1), '^', k), '&', n));
}

std::string_view Hl7UnescapeText(std::string_view raw, std::string& scratch) {
  if (raw.find('\\') == std::string_view::npos) return raw;
  auto decoded = Hl7Unescape(raw, Hl7Delimiters{}, Hl7Charset::kUtf8);
  if (!decoded.ok()) return raw;
  scratch = std::move(decoded).value();
  return scratch;
}

std::optional<int64_t> Hl7TimestampMicros(std::string_view dtm) {
  auto parsed = ParseHl7DateTime(dtm);
  if (!parsed.ok() || parsed->precision < Hl7DateTimePrecision::kDay) return std::nullopt;
  return parsed->utc_micros;
}

std::optional<int32_t> Hl7DateDays(std::string_view dtm) {
  if (dtm.size() < 8) return std::nullopt;
  auto parsed = ParseHl7DateTime(dtm.substr(0, 8));
  if (!parsed.ok()) return std::nullopt;
  return static_cast<int32_t>(parsed->utc_micros / kMicrosPerDay);  // exact: midnight UTC
}

}  // namespace medlake::ingest::hl7v2
