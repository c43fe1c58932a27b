#include "governance/value_patterns.h"

#include <cstdint>

namespace medlake::governance {
namespace {

constexpr std::string_view kDniLetters = "TRWAGMYFPDXBNJZSQVHLCKE";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsAlpha(char c) { return IsUpper(c) || (c >= 'a' && c <= 'z'); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

uint64_t ToNumber(std::string_view digits) {
  uint64_t n = 0;
  for (char c : digits) n = n * 10 + static_cast<uint64_t>(c - '0');
  return n;
}

// True when `digits` (check digit last) pass the mod-10 Luhn test (ISO/IEC 7812-1).
bool LuhnOk(std::string_view digits) {
  int sum = 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    int d = digits[digits.size() - 1 - i] - '0';
    if (i % 2 == 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 == 0;
}

// "8 digits" (DNI) or the NIE's 8 characters with the prefix replaced, plus the letter.
bool CheckLetterOk(std::string digits, char letter) {
  if (!AllDigits(digits)) return false;
  return letter == kDniLetters[ToNumber(digits) % 23];
}

}  // namespace

std::string NormalizeIdentifierValue(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : Trim(raw)) {
    if (c == ' ' || c == '.' || c == '-' || c == '/') continue;
    out.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  return out;
}

bool IsDniValue(std::string_view raw) {
  std::string v = NormalizeIdentifierValue(raw);
  if (v.size() != 9 || !IsUpper(v[8])) return false;
  return CheckLetterOk(v.substr(0, 8), v[8]);
}

bool IsNieValue(std::string_view raw) {
  std::string v = NormalizeIdentifierValue(raw);
  if (v.size() != 9 || !IsUpper(v[8])) return false;
  std::string digits = v.substr(0, 8);
  switch (digits[0]) {
    case 'X': digits[0] = '0'; break;
    case 'Y': digits[0] = '1'; break;
    case 'Z': digits[0] = '2'; break;
    default: return false;
  }
  return CheckLetterOk(digits, v[8]);
}

bool IsNussValue(std::string_view raw) {
  std::string v = NormalizeIdentifierValue(raw);
  if (v.size() != 12 || !AllDigits(v)) return false;
  std::string_view s = v;
  uint64_t province = ToNumber(s.substr(0, 2));
  uint64_t number = ToNumber(s.substr(2, 8));
  uint64_t control = ToNumber(s.substr(10, 2));
  if (province == 0) return false;
  if (ToNumber(s.substr(0, 10)) % 97 == control) return true;
  // Numbers issued before the 8-digit numbering.
  return number < 10'000'000 && (province * 10'000'000 + number) % 97 == control;
}

bool IsCipValue(std::string_view raw) {
  std::string v = NormalizeIdentifierValue(raw);
  if (v.size() != 14) return false;
  for (size_t i = 0; i < 4; ++i) {
    if (!IsUpper(v[i])) return false;
  }
  std::string_view digits = std::string_view(v).substr(4);
  return AllDigits(digits) && LuhnOk(digits);
}

bool IsSpanishPhoneValue(std::string_view raw) {
  std::string_view t = Trim(raw);
  std::string digits;
  bool plus = false;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (IsDigit(c)) {
      digits.push_back(c);
    } else if (c == '+' && digits.empty() && !plus) {
      plus = true;
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
      return false;
    }
  }
  if (plus) {
    if (digits.size() != 11 || !digits.starts_with("34")) return false;
    digits.erase(0, 2);
  } else if (digits.size() == 13 && digits.starts_with("0034")) {
    digits.erase(0, 4);
  } else if (digits.size() == 11 && digits.starts_with("34")) {
    digits.erase(0, 2);
  }
  return digits.size() == 9 && digits[0] >= '6' && digits[0] <= '9';
}

bool IsEmailValue(std::string_view raw) {
  std::string_view v = Trim(raw);
  if (v.size() < 6 || v.size() > 254) return false;
  size_t at = v.find('@');
  if (at == std::string_view::npos || at == 0 || v.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  constexpr std::string_view kLocalExtra = "!#$%&'*+/=?^_`{|}~.-";
  for (char c : v.substr(0, at)) {
    if (!IsAlpha(c) && !IsDigit(c) && kLocalExtra.find(c) == std::string_view::npos) return false;
  }
  std::string_view domain = v.substr(at + 1);
  size_t labels = 0;
  std::string_view last;
  while (true) {
    size_t dot = domain.find('.');
    std::string_view label = domain.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!IsAlpha(c) && !IsDigit(c) && c != '-') return false;
    }
    ++labels;
    last = label;
    if (dot == std::string_view::npos) break;
    domain.remove_prefix(dot + 1);
  }
  if (labels < 2 || last.size() < 2) return false;
  for (char c : last) {
    if (!IsAlpha(c)) return false;
  }
  return true;
}

bool IsIcd10CodeValue(std::string_view raw) {
  std::string_view v = Trim(raw);
  if (v.size() < 3 || v.size() > 8) return false;
  if (!IsAlpha(v[0]) || !IsDigit(v[1]) || !(IsDigit(v[2]) || IsAlpha(v[2]))) return false;
  std::string_view rest = v.substr(3);
  if (rest.empty()) return true;
  if (rest[0] == '.') {
    rest.remove_prefix(1);
  } else if (!IsDigit(rest[0])) {
    return false;  // "N02BE01" is an ATC drug code, not a dotless ICD-10 code
  }
  if (rest.empty() || rest.size() > 4) return false;
  for (char c : rest) {
    if (!IsAlpha(c) && !IsDigit(c)) return false;
  }
  return true;
}

SpecialCategory Icd10SpecialCategory(std::string_view raw) {
  if (!IsIcd10CodeValue(raw)) return SpecialCategory::kNone;
  std::string_view v = Trim(raw);
  char chapter = static_cast<char>(IsUpper(v[0]) ? v[0] : v[0] - 'a' + 'A');
  if (!IsDigit(v[2])) return SpecialCategory::kNone;
  int n = (v[1] - '0') * 10 + (v[2] - '0');
  switch (chapter) {
    case 'F': return SpecialCategory::kMentalHealth;
    case 'B': return n >= 20 && n <= 24 ? SpecialCategory::kHiv : SpecialCategory::kNone;
    case 'A': return n >= 50 && n <= 64 ? SpecialCategory::kSexual : SpecialCategory::kNone;
    case 'Q': return n >= 90 ? SpecialCategory::kGenetic : SpecialCategory::kNone;
    case 'Z':
      if (n == 21) return SpecialCategory::kHiv;
      if (n == 70) return SpecialCategory::kSexual;
      if (n == 14 || n == 15) return SpecialCategory::kGenetic;
      return SpecialCategory::kNone;
    default: return SpecialCategory::kNone;
  }
}

bool IsClinicalRecordValue(std::string_view raw) {
  std::string_view v = Trim(raw);
  if (v.size() > 4 && v.starts_with("MSH") && !IsAlpha(v[3]) && !IsDigit(v[3]) && !IsSpace(v[3])) {
    return true;
  }
  return v.starts_with("{") && v.find("\"resourceType\"") != std::string_view::npos;
}

}  // namespace medlake::governance
