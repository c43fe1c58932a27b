// ingest/hl7v2/hl7_scan_internal.h: byte scanning shared by the HL7 v2 parser and batch splitter
// (private to ingest/hl7v2).
//
// The parser's speed comes from finding delimiters 16 bytes at a time (SSE2, part of every
// x86-64 CPU) instead of testing bytes one by one; other targets use the scalar fallback.
// Thread-safety: the scanner is a value used by one thread; the free functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace medlake::ingest::hl7v2::internal {

// The message scan ParseHl7Message uses: kAuto takes AVX2 (with popcnt and BMI1) when the CPU has
// it, else the portable SSE2/plain one. Tests force each to compare them; the setting is global
// and must not change while messages are being parsed.
enum class ScanKernel { kAuto, kPortable, kAvx2 };
void SetScanKernelForTesting(ScanKernel kernel);
// True when this build and CPU can run the AVX2 scan.
bool Avx2ScanAvailable();

// Finds, in order, the positions of the bytes equal to any of three given bytes. Keeps a view of
// the scanned text: the text must outlive the scanner.
class ByteScanner3 {
 public:
  ByteScanner3(std::string_view text, char a, char b, char c)
      : data_(text.data()), size_(text.size()), a_(a), b_(b), c_(c) {
#if defined(__SSE2__)
    va_ = _mm_set1_epi8(a);
    vb_ = _mm_set1_epi8(b);
    vc_ = _mm_set1_epi8(c);
#endif
  }

  // Restarts the scan at `pos` (<= size).
  void Reset(size_t pos) {
    block_ = pos;
    LoadMask();
  }

  // Returns the position of the next matching byte after the previous one returned (or at or
  // after the Reset position), or size() when there is none.
  size_t Next() {
    for (;;) {
      if (mask_ != 0) {
        const unsigned bit = static_cast<unsigned>(__builtin_ctz(mask_));
        mask_ &= mask_ - 1;
        return block_ + bit;
      }
      if (block_ + 16 >= size_) {
        block_ = size_;
        return size_;
      }
      block_ += 16;
      LoadMask();
    }
  }

  size_t size() const { return size_; }

 private:
  void LoadMask() {
    if (block_ >= size_) {
      mask_ = 0;
      return;
    }
#if defined(__SSE2__)
    if (block_ + 16 <= size_) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data_ + block_));
      const __m128i eq = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, va_), _mm_cmpeq_epi8(v, vb_)),
                                      _mm_cmpeq_epi8(v, vc_));
      mask_ = static_cast<uint32_t>(_mm_movemask_epi8(eq));
      return;
    }
#endif
    uint32_t m = 0;
    const size_t end = block_ + 16 < size_ ? block_ + 16 : size_;
    for (size_t i = block_; i < end; ++i) {
      const char ch = data_[i];
      if (ch == a_ || ch == b_ || ch == c_) {
        m |= uint32_t{1} << (i - block_);
      }
    }
    mask_ = m;
  }

  const char* data_;
  size_t size_;
  char a_, b_, c_;
#if defined(__SSE2__)
  __m128i va_, vb_, vc_;
#endif
  size_t block_ = 0;
  uint32_t mask_ = 0;
};

// Returns the offset of the first byte >= 0x80 in `text`, or text.size() if it is all ASCII.
inline size_t FindNonAscii(std::string_view text) {
  const char* p = text.data();
  const size_t n = text.size();
  size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const int m = _mm_movemask_epi8(v);
    if (m != 0) {
      return i + static_cast<unsigned>(__builtin_ctz(static_cast<unsigned>(m)));
    }
  }
#endif
  for (; i < n; ++i) {
    if (static_cast<unsigned char>(p[i]) >= 0x80) {
      return i;
    }
  }
  return n;
}

// Returns the offset of the first byte of the first invalid UTF-8 sequence in `text` (overlong
// forms, surrogates and code points above U+10FFFF are invalid, per RFC 3629), or text.size()
// when `text` is valid UTF-8.
inline size_t FindInvalidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const size_t ascii = FindNonAscii(text.substr(i));
    i += ascii;
    if (i >= n) {
      return n;
    }
    const unsigned char b0 = p[i];
    size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      if (b0 == 0xE0) {
        lo = 0xA0;
      } else if (b0 == 0xED) {
        hi = 0x9F;
      }
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      if (b0 == 0xF0) {
        lo = 0x90;
      } else if (b0 == 0xF4) {
        hi = 0x8F;
      }
    } else {
      return i;
    }
    if (i + len > n) {
      return i;
    }
    if (p[i + 1] < lo || p[i + 1] > hi) {
      return i;
    }
    for (size_t k = 2; k < len; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) {
        return i;
      }
    }
    i += len;
  }
  return n;
}

// The n-th (0-based) piece of `text` split at `sep`; empty when there are fewer pieces.
inline std::string_view NthPiece(std::string_view text, char sep, size_t n) {
  size_t start = 0;
  for (size_t k = 0; k < n; ++k) {
    const size_t pos = text.find(sep, start);
    if (pos == std::string_view::npos) {
      return {};
    }
    start = pos + 1;
  }
  const size_t end = text.find(sep, start);
  return text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

// The number of pieces of `text` split at `sep`: 0 for an empty text, else separators + 1.
inline size_t PieceCount(std::string_view text, char sep) {
  if (text.empty()) {
    return 0;
  }
  size_t count = 1;
  for (char ch : text) {
    count += ch == sep ? 1 : 0;
  }
  return count;
}

}  // namespace medlake::ingest::hl7v2::internal
