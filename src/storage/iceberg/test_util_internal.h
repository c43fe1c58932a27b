// storage/iceberg/test_util_internal.h: small helpers shared by the Iceberg model's tests
// (test-only; not part of the library).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace medlake::storage::iceberg::test_util {

// Days from 1970-01-01 to the civil date y-m-d (proleptic Gregorian).
inline int32_t Days(int y, unsigned m, unsigned d) {
  std::chrono::sys_days date{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
  return static_cast<int32_t>(date.time_since_epoch().count());
}

// Microseconds from the epoch of `days` plus a time of day.
inline int64_t Micros(int32_t days, int hour, int minute, int second, int64_t micros = 0) {
  return (static_cast<int64_t>(days) * 86400 + hour * 3600 + minute * 60 + second) * 1'000'000 +
         micros;
}

// Bytes from a hex string such as "0090e1a6" (test input only; no validation).
inline std::string FromHex(std::string_view hex) {
  std::string out;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>((nibble(hex[i]) << 4) | nibble(hex[i + 1]));
  }
  return out;
}

// Lowercase hex of `bytes`.
inline std::string ToHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
  }
  return out;
}

}  // namespace medlake::storage::iceberg::test_util
