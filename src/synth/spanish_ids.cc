#include "synth/spanish_ids.h"

#include <cstdio>

namespace medlake::synth {
namespace {

constexpr std::string_view kDniLetters = "TRWAGMYFPDXBNJZSQVHLCKE";

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
  }
  return !s.empty();
}

uint64_t ParseDigits(std::string_view s) {
  uint64_t v = 0;
  for (char c : s)
    v = v * 10 + static_cast<uint64_t>(c - '0');
  return v;
}

int LuhnCheckDigit(std::string_view digits) {
  // Double every second digit counting from the right of the payload (the check digit's left
  // neighbour is doubled), as ISO/IEC 7812-1.
  int sum = 0;
  bool dbl = true;
  for (size_t i = digits.size(); i > 0; --i) {
    int d = digits[i - 1] - '0';
    if (dbl) {
      d *= 2;
      if (d > 9)
        d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return (10 - sum % 10) % 10;
}

}  // namespace

char DniLetter(uint32_t number) { return kDniLetters[number % 23]; }

std::string MakeDni(uint32_t number) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%08u%c", number % 100000000u, DniLetter(number % 100000000u));
  return buf;
}

std::string MakeNie(int prefix_index, uint32_t number) {
  number %= 10000000u;
  const uint32_t full = static_cast<uint32_t>(prefix_index) * 10000000u + number;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%c%07u%c", "XYZ"[prefix_index % 3], number, DniLetter(full));
  return buf;
}

bool IsValidDniOrNie(std::string_view id) {
  if (id.size() != 9)
    return false;
  std::string digits(id.substr(0, 8));
  if (digits[0] == 'X' || digits[0] == 'Y' || digits[0] == 'Z') {
    digits[0] = static_cast<char>('0' + (digits[0] - 'X'));
  }
  if (!AllDigits(digits))
    return false;
  return id[8] == DniLetter(static_cast<uint32_t>(ParseDigits(digits)));
}

int NussControl(int province, uint32_t number) {
  const uint64_t base = number < 10000000u
                            ? static_cast<uint64_t>(province) * 10000000ull + number
                            : static_cast<uint64_t>(province) * 100000000ull + number;
  return static_cast<int>(base % 97);
}

std::string MakeNuss(int province, uint32_t number) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%02d%08u%02d", province, number, NussControl(province, number));
  return buf;
}

bool IsValidNuss(std::string_view nuss) {
  if (nuss.size() != 12 || !AllDigits(nuss))
    return false;
  const int province = static_cast<int>(ParseDigits(nuss.substr(0, 2)));
  const auto number = static_cast<uint32_t>(ParseDigits(nuss.substr(2, 8)));
  const int control = static_cast<int>(ParseDigits(nuss.substr(10, 2)));
  return province > 0 && control == NussControl(province, number);
}

std::string AsciiUpperLetters(std::string_view utf8) {
  std::string out;
  for (size_t i = 0; i < utf8.size(); ++i) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      if (c >= 'a' && c <= 'z')
        out += static_cast<char>(c - 'a' + 'A');
      if (c >= 'A' && c <= 'Z')
        out += static_cast<char>(c);
      continue;
    }
    if (c == 0xC3 && i + 1 < utf8.size()) {
      // Latin-1 Supplement letters are U+00C0..U+00FF, encoded as C3 80..C3 BF.
      const auto d = static_cast<unsigned char>(utf8[++i]);
      const unsigned cp = 0xC0u + (d - 0x80u);
      const unsigned lower = cp >= 0xE0 ? cp - 0x20 : cp;
      if (lower >= 0xC0 && lower <= 0xC5)
        out += 'A';
      else if (lower == 0xC7)
        out += 'C';
      else if (lower >= 0xC8 && lower <= 0xCB)
        out += 'E';
      else if (lower >= 0xCC && lower <= 0xCF)
        out += 'I';
      else if (lower == 0xD1)
        out += 'N';
      else if (lower >= 0xD2 && lower <= 0xD6)
        out += 'O';
      else if (lower >= 0xD9 && lower <= 0xDC)
        out += 'U';
      continue;
    }
    // Other multi-byte characters are skipped with their continuation bytes.
    while (i + 1 < utf8.size() && (static_cast<unsigned char>(utf8[i + 1]) & 0xC0) == 0x80)
      ++i;
  }
  return out;
}

std::string MakeCip(std::string_view surname1, std::string_view surname2, uint32_t number) {
  std::string a = AsciiUpperLetters(surname1);
  std::string b = AsciiUpperLetters(surname2);
  a.resize(2, 'X');
  b.resize(2, 'X');
  char digits[16];
  std::snprintf(digits, sizeof digits, "%09u", number % 1000000000u);
  return a + b + digits + static_cast<char>('0' + LuhnCheckDigit(digits));
}

bool IsValidCip(std::string_view cip) {
  if (cip.size() != 14)
    return false;
  for (size_t i = 0; i < 4; ++i) {
    if (cip[i] < 'A' || cip[i] > 'Z')
      return false;
  }
  const std::string_view digits = cip.substr(4, 9);
  if (!AllDigits(cip.substr(4)))
    return false;
  return cip[13] - '0' == LuhnCheckDigit(digits);
}

}  // namespace medlake::synth
