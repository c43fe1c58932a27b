#include "ingest/hl7v2/hl7_message.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "ingest/hl7v2/hl7_scan_internal.h"
#include "simdjson.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define MEDLAKE_HL7_HAVE_AVX2 1
#else
#define MEDLAKE_HL7_HAVE_AVX2 0
#endif

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
  if (id.size() != 3) {
    return false;
  }
  switch (id[0]) {
    case 'M':
      return id == "MSH";
    case 'F':
      return id == "FHS" || id == "FTS";
    case 'B':
      return id == "BHS" || id == "BTS";
    default:
      return false;
  }
}

// The common case of both checks in a few instructions: a valid id that may appear after MSH.
inline bool IsBodySegmentId(std::string_view id) {
  if (id.size() != 3) {
    return false;
  }
  auto letter = [](char ch) { return static_cast<unsigned char>(ch - 'A') < 26; };
  auto digit = [](char ch) { return static_cast<unsigned char>(ch - '0') < 10; };
  if (!letter(id[0]) || !(letter(id[1]) || digit(id[1])) || !(letter(id[2]) || digit(id[2]))) {
    return false;
  }
  return !IsEnvelopeOrHeader(id);
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

// 64 bytes of a message at a time: which are the field separator, CR or LF (`delimiters`), which
// of those are CR or LF (`eol`), and whether any byte is >= 0x80 (`high`).
struct BlockMasks {
  uint64_t delimiters;
  uint64_t eol;
  bool high;
};

// How a block is classified and bits counted with the instructions every x86-64 CPU has (SSE2),
// or plain C++ elsewhere.
struct PortableKernel {
  static BlockMasks Block(const char* p, char fs) {
#if defined(__SSE2__)
    const __m128i vfs = _mm_set1_epi8(fs);
    const __m128i vcr = _mm_set1_epi8('\r');
    const __m128i vlf = _mm_set1_epi8('\n');
    uint64_t delimiters = 0;
    uint64_t eol = 0;
    int high = 0;
    for (int k = 0; k < 4; ++k) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
      const __m128i e = _mm_or_si128(_mm_cmpeq_epi8(v, vcr), _mm_cmpeq_epi8(v, vlf));
      const __m128i d = _mm_or_si128(e, _mm_cmpeq_epi8(v, vfs));
      delimiters |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(d)))
                    << (16 * k);
      eol |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(e))) << (16 * k);
      high |= _mm_movemask_epi8(v);
    }
    return BlockMasks{delimiters, eol, high != 0};
#else
    BlockMasks m{0, 0, false};
    for (int i = 0; i < 64; ++i) {
      const char ch = p[i];
      const bool is_eol = ch == '\r' || ch == '\n';
      m.eol |= static_cast<uint64_t>(is_eol) << i;
      m.delimiters |= static_cast<uint64_t>(is_eol || ch == fs) << i;
      m.high |= static_cast<unsigned char>(ch) >= 0x80;
    }
    return m;
#endif
  }
  // Without the popcnt instruction (not in the x86-64 baseline) the builtin is a library call;
  // this inline form costs a few cycles.
  static unsigned PopCount(uint64_t x) {
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return static_cast<unsigned>((x * 0x0101010101010101ULL) >> 56);
  }
  // The index of the lowest set bit; 63 for 0 (callers ignore what they write for 0).
  static unsigned LowestBit(uint64_t x) {
    return static_cast<unsigned>(__builtin_ctzll(x | (uint64_t{1} << 63)));
  }
};

#if MEDLAKE_HL7_HAVE_AVX2
#define MEDLAKE_HL7_AVX2_TARGET __attribute__((target("avx2,bmi,popcnt")))
// The same with AVX2 (two 32-byte compares per block), popcnt and BMI1 (tzcnt, blsr), for the
// CPUs that have them (x86-64-v3: Intel from 2013, AMD from 2015); chosen at run time.
struct Avx2Kernel {
  MEDLAKE_HL7_AVX2_TARGET static inline BlockMasks Block(const char* p, char fs) {
    const __m256i vfs = _mm256_set1_epi8(fs);
    const __m256i vcr = _mm256_set1_epi8('\r');
    const __m256i vlf = _mm256_set1_epi8('\n');
    const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
    const __m256i e0 = _mm256_or_si256(_mm256_cmpeq_epi8(v0, vcr), _mm256_cmpeq_epi8(v0, vlf));
    const __m256i e1 = _mm256_or_si256(_mm256_cmpeq_epi8(v1, vcr), _mm256_cmpeq_epi8(v1, vlf));
    const __m256i d0 = _mm256_or_si256(e0, _mm256_cmpeq_epi8(v0, vfs));
    const __m256i d1 = _mm256_or_si256(e1, _mm256_cmpeq_epi8(v1, vfs));
    const auto lo = [](__m256i x) MEDLAKE_HL7_AVX2_TARGET {
      return static_cast<uint64_t>(static_cast<uint32_t>(_mm256_movemask_epi8(x)));
    };
    return BlockMasks{lo(d0) | (lo(d1) << 32), lo(e0) | (lo(e1) << 32),
                      _mm256_movemask_epi8(_mm256_or_si256(v0, v1)) != 0};
  }
  MEDLAKE_HL7_AVX2_TARGET static inline unsigned PopCount(uint64_t x) {
    return static_cast<unsigned>(__builtin_popcountll(x));
  }
  // tzcnt: 64 for 0 (callers ignore what they write for 0).
  MEDLAKE_HL7_AVX2_TARGET static inline unsigned LowestBit(uint64_t x) {
    return static_cast<unsigned>(_tzcnt_u64(x));
  }
};
#endif

// Where a scan is: the field ends found so far, the open segment, the first non-ASCII block.
struct ScanState {
  std::vector<uint32_t>* ends;
  size_t count = 0;        // entries of *ends in use
  size_t seg_start = 0;    // offset of the open segment
  size_t first_field = 0;  // index in *ends of the open segment's field 0
  size_t first_high;       // offset of the first block with a byte >= 0x80, or the size
};

// The scan of ParseHl7MessageInto, over the whole message 64 bytes at a time: every field
// separator ends a field and every CR or LF a segment (CRLF and empty lines give empty segments,
// which are skipped). The end of every field goes to *ends without a branch per field; only
// segment ends take a branch, to `close(pos, last)`, which records the segment [seg_start, pos)
// whose last field ends at (*ends)[last] and may reject the message.
template <class Kernel, class Close>
inline __attribute__((always_inline)) Status ScanMessage(std::string_view b, char fs,
                                                         ScanState& st, Close& close) {
  std::vector<uint32_t>& ends = *st.ends;
  const size_t n = b.size();
  auto make_room = [&](size_t extra) {
    if (st.count + extra > ends.size()) {
      ends.resize(std::max(ends.size() * 2, st.count + extra + n / 8));
    }
  };
  for (size_t block = 0; block < n; block += 64) {
    BlockMasks m;
    if (block + 64 <= n) {
      m = Kernel::Block(b.data() + block, fs);
    } else if (n >= 64) {
      // The last 64 bytes, shifted so that bit 0 is `block` (no copy; the bytes before it were
      // scanned already, and if one was >= 0x80 first_high is set).
      m = Kernel::Block(b.data() + n - 64, fs);
      const size_t shift = block - (n - 64);
      m.delimiters >>= shift;
      m.eol >>= shift;
    } else {
      char tail[64] = {};
      std::memcpy(tail, b.data() + block, n - block);
      m = Kernel::Block(tail, fs);
    }
    if (block == 0) {
      m.delimiters &= ~uint64_t{0xF};  // "MSH" and MSH-1 are recorded by the caller
    }
    if (m.high && st.first_high == n) {
      st.first_high = block;
    }
    if (m.delimiters == 0) {
      continue;
    }
    make_room(64);
    uint32_t* dst = ends.data() + st.count;
    const auto base = static_cast<uint32_t>(block);
    const size_t found = Kernel::PopCount(m.delimiters);
    uint64_t d = m.delimiters;
    for (size_t i = 0; i < found; i += 4) {
      dst[i] = base + Kernel::LowestBit(d);
      d &= d - 1;
      dst[i + 1] = base + Kernel::LowestBit(d);
      d &= d - 1;
      dst[i + 2] = base + Kernel::LowestBit(d);
      d &= d - 1;
      dst[i + 3] = base + Kernel::LowestBit(d);
      d &= d - 1;
    }
    for (uint64_t e = m.eol; e != 0; e &= e - 1) {
      const unsigned bit = Kernel::LowestBit(e);
      const size_t last =
          st.count + Kernel::PopCount(m.delimiters & ((uint64_t{1} << bit) - 1));
      const size_t pos = block + bit;
      if (pos > st.seg_start) {
        MEDLAKE_RETURN_IF_ERROR(close(pos, last));
      }
      st.seg_start = pos + 1;
      st.first_field = last + 1;
    }
    st.count += found;
  }
  if (n > st.seg_start) {
    make_room(1);
    ends[st.count] = static_cast<uint32_t>(n);
    MEDLAKE_RETURN_IF_ERROR(close(n, st.count));
    ++st.count;
  }
  return Status::OK();
}

template <class Close>
Status ScanPortable(std::string_view b, char fs, ScanState& st, Close& close) {
  return ScanMessage<PortableKernel>(b, fs, st, close);
}

#if MEDLAKE_HL7_HAVE_AVX2
template <class Close>
MEDLAKE_HL7_AVX2_TARGET Status ScanAvx2(std::string_view b, char fs, ScanState& st,
                                        Close& close) {
  return ScanMessage<Avx2Kernel>(b, fs, st, close);
}

bool CpuHasAvx2() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
           __builtin_cpu_supports("popcnt");
  }();
  return has;
}
#endif

std::atomic<internal::ScanKernel> g_scan_kernel{internal::ScanKernel::kAuto};

bool UseAvx2Scan() {
#if MEDLAKE_HL7_HAVE_AVX2
  return CpuHasAvx2() && g_scan_kernel.load(std::memory_order_relaxed) != internal::ScanKernel::kPortable;
#else
  return false;
#endif
}

// The rejection of segment number `seg_no` (1-based), starting at `offset`, whose id `id` is not
// valid or is an envelope/header segment inside a message.
Hl7Rejection BadSegment(std::string_view id, size_t seg_no, size_t offset) {
  Hl7Rejection r;
  r.segment_index = seg_no;
  r.byte_offset = offset;
  const std::string where = "segment " + std::to_string(seg_no);
  if (IsValidSegmentId(id)) {
    r.reason = Hl7RejectReason::kUnexpectedSegment;
    r.text = where + " is " + std::string(id) + " inside a message (split batches first)";
    r.segment_id = std::string(id);
  } else if (id.size() > 3 && IsValidSegmentId(id.substr(0, 3)) && IsDelimiterChar(id[3])) {
    r.reason = Hl7RejectReason::kFieldSeparatorMismatch;
    r.text = where + ": field separator mismatch (segment id not followed by MSH-1)";
    r.segment_id = std::string(id.substr(0, 3));
  } else {
    r.reason = Hl7RejectReason::kInvalidSegmentId;
    r.text = where + " has an invalid id";
  }
  r.segment_sequence = r.segment_id.empty() ? 0 : 1;
  return r;
}

}  // namespace

namespace internal {

void SetScanKernelForTesting(ScanKernel kernel) {
  g_scan_kernel.store(kernel, std::memory_order_relaxed);
}

bool Avx2ScanAvailable() {
#if MEDLAKE_HL7_HAVE_AVX2
  return CpuHasAvx2();
#else
  return false;
#endif
}

}  // namespace internal

Result<Hl7Message> ParseHl7Message(std::string_view input, const Hl7ParseOptions& options,
                                   Hl7Rejection* rejection) {
  Hl7Message msg;
  MEDLAKE_RETURN_IF_ERROR(ParseHl7MessageInto(input, options, &msg, rejection));
  return msg;
}

Status ParseHl7MessageInto(std::string_view input, const Hl7ParseOptions& options,
                           Hl7Message* out, Hl7Rejection* rejection) {
  Hl7Message& msg = *out;
  msg.segments_.clear();
  auto reject = [rejection, &msg](Hl7Rejection r) -> Status {
    msg.segments_.clear();
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

  msg.bytes_ = b;
  msg.bom_bytes_ = bom;
  msg.delimiters_.field = fs;
  msg.delimiters_.component = enc[0];
  msg.delimiters_.repetition = enc[1];
  msg.delimiters_.escape = enc[2];
  msg.delimiters_.subcomponent = enc[3];
  msg.delimiters_.truncation = enc.size() == 5 ? enc[4] : '\0';

  // "MSH" ends at 3; MSH-1 (the separator itself) is answered by Field(); its entry makes MSH-2
  // start after it.
  std::vector<uint32_t>& ends = msg.field_ends_;
  if (ends.size() < 2) {
    ends.resize(2 + 64 + n / 8);
  }
  ends[0] = 3;
  ends[1] = 3;
  ScanState st{&ends, 2, 0, 0, n};
  auto close_segment = [&](size_t pos, size_t last) __attribute__((always_inline)) -> Status {
    const Hl7Message::Segment s{static_cast<uint32_t>(st.first_field),
                                static_cast<uint32_t>(last - st.first_field + 1),
                                static_cast<uint32_t>(st.seg_start),
                                static_cast<uint32_t>(pos - st.seg_start)};
    if (!msg.segments_.empty()) {
      const std::string_view id = msg.FieldOf(s, 0);
      if (!IsBodySegmentId(id)) [[unlikely]] {
        return reject(BadSegment(id, msg.segments_.size() + 1, bom + st.seg_start));
      }
    }
    msg.segments_.push_back(s);
    return Status::OK();
  };
#if MEDLAKE_HL7_HAVE_AVX2
  MEDLAKE_RETURN_IF_ERROR(UseAvx2Scan() ? ScanAvx2(b, fs, st, close_segment)
                                        : ScanPortable(b, fs, st, close_segment));
#else
  MEDLAKE_RETURN_IF_ERROR(ScanPortable(b, fs, st, close_segment));
#endif
  const size_t first_high = st.first_high;

  if (!options.check_character_set) {
    msg.charset_ = Hl7Charset::kIso8859_1;
    return Status::OK();
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
  if (first_high == n) {
    return Status::OK();  // all ASCII: valid in every supported charset
  }
  size_t bad = n;
  std::string what;
  if (msg.charset_ == Hl7Charset::kUtf8) {
    // Everything before first_high is ASCII, so it starts a character. simdjson's validator
    // (SIMD, chosen for the CPU at run time) answers whether it is valid; ours, slower, finds
    // where it is not.
    const std::string_view rest = b.substr(first_high);
    if (!simdjson::validate_utf8(rest.data(), rest.size())) {
      bad = first_high + internal::FindInvalidUtf8(rest);
    }
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
    size_t field = 0;
    for (size_t f = 0; f < msg.segments_[seg].field_count; ++f) {
      const std::string_view v = msg.Field(seg, f);
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
  return Status::OK();
}

std::string_view Hl7Message::SegmentId(size_t seg) const {
  return seg < segments_.size() ? FieldOf(segments_[seg], 0) : std::string_view();
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
    if (FieldOf(segments_[i], 0) == id && ++seen == occurrence) {
      return i;
    }
  }
  return std::nullopt;
}

size_t Hl7Message::CountSegments(std::string_view id) const {
  size_t count = 0;
  for (const Segment& s : segments_) {
    count += FieldOf(s, 0) == id ? 1 : 0;
  }
  return count;
}

std::string_view Hl7Message::Field(size_t seg, size_t field_no) const {
  if (seg >= segments_.size() || field_no >= segments_[seg].field_count) {
    return {};
  }
  if (seg == 0 && field_no == 1) {
    return bytes_.substr(3, 1);  // MSH-1, the field separator
  }
  return FieldOf(segments_[seg], field_no);
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
