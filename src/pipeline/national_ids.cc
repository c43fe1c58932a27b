#include "pipeline/national_ids.h"

#include <cstdint>

namespace medlake::pipeline {
namespace {

constexpr std::string_view kDniLetters = "TRWAGMYFPDXBNJZSQVHLCKE";

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

uint64_t ToNumber(std::string_view digits) {
  uint64_t n = 0;
  for (char c : digits) n = n * 10 + static_cast<uint64_t>(c - '0');
  return n;
}

// True when `digits` (check digit last) pass the mod-10 Luhn test.
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

}  // namespace

std::string NormalizeIdentifier(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    if (c >= 'a' && c <= 'z') {
      out.push_back(static_cast<char>(c - 'a' + 'A'));
    } else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      out.push_back(c);
    }
  }
  return out;
}

bool IsValidDniOrNie(std::string_view id) {
  if (id.size() != 9) return false;
  std::string digits(id.substr(0, 8));
  switch (digits[0]) {
    case 'X': digits[0] = '0'; break;
    case 'Y': digits[0] = '1'; break;
    case 'Z': digits[0] = '2'; break;
    default: break;
  }
  if (!AllDigits(digits)) return false;
  return id[8] == kDniLetters[ToNumber(digits) % 23];
}

bool IsValidNuss(std::string_view nuss) {
  if (nuss.size() != 12 || !AllDigits(nuss)) return false;
  uint64_t province = ToNumber(nuss.substr(0, 2));
  uint64_t number = ToNumber(nuss.substr(2, 8));
  uint64_t control = ToNumber(nuss.substr(10, 2));
  if (province == 0) return false;
  if (ToNumber(nuss.substr(0, 10)) % 97 == control) return true;
  // The rule for numbers issued before the 8-digit numbering.
  return number < 10'000'000 && (province * 10'000'000 + number) % 97 == control;
}

bool IsValidCip(std::string_view cip) {
  if (cip.size() != 14) return false;
  for (size_t i = 0; i < 4; ++i) {
    if (cip[i] < 'A' || cip[i] > 'Z') return false;
  }
  std::string_view digits = cip.substr(4);
  return AllDigits(digits) && LuhnOk(digits);
}

const char* NationalIdMacrosSql() {
  // try_cast keeps malformed values from raising errors: SQL does not promise that AND
  // short-circuits, so every arm must be safe on any input.
  return R"sql(
CREATE OR REPLACE TEMP MACRO pidx_norm_id(v) AS
  nullif(upper(regexp_replace(coalesce(v, ''), '[^0-9A-Za-z]', '', 'g')), '');
CREATE OR REPLACE TEMP MACRO pidx_luhn_ok(digits) AS
  coalesce(regexp_full_match(digits, '[0-9]+') AND
    list_sum([CASE WHEN i % 2 = 1
                   THEN (2 * try_cast(substr(reverse(digits), i + 1, 1) AS INTEGER)) // 10
                        + (2 * try_cast(substr(reverse(digits), i + 1, 1) AS INTEGER)) % 10
                   ELSE try_cast(substr(reverse(digits), i + 1, 1) AS INTEGER) END
              FOR i IN range(length(digits))]) % 10 = 0, false);
CREATE OR REPLACE TEMP MACRO pidx_dni_ok(v) AS
  coalesce(regexp_full_match(v, '[0-9]{8}[A-Z]|[XYZ][0-9]{7}[A-Z]') AND
    substr('TRWAGMYFPDXBNJZSQVHLCKE',
           CAST(try_cast(replace(replace(replace(left(v, 8), 'X', '0'), 'Y', '1'), 'Z', '2') AS BIGINT) % 23 AS INTEGER) + 1,
           1) = right(v, 1), false);
CREATE OR REPLACE TEMP MACRO pidx_nuss_ok(v) AS
  coalesce(regexp_full_match(v, '[0-9]{12}') AND left(v, 2) <> '00' AND
    (try_cast(left(v, 10) AS BIGINT) % 97 = try_cast(right(v, 2) AS BIGINT) OR
     (try_cast(substr(v, 3, 8) AS BIGINT) < 10000000 AND
      (try_cast(left(v, 2) AS BIGINT) * 10000000 + try_cast(substr(v, 3, 8) AS BIGINT)) % 97
        = try_cast(right(v, 2) AS BIGINT))), false);
CREATE OR REPLACE TEMP MACRO pidx_cip_ok(v) AS
  coalesce(regexp_full_match(v, '[A-Z]{4}[0-9]{10}') AND pidx_luhn_ok(right(v, 10)), false);
)sql";
}

}  // namespace medlake::pipeline
