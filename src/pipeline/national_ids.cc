#include "pipeline/national_ids.h"

#include <cstdint>

#include "governance/value_patterns.h"

namespace medlake::pipeline {

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

// The check-letter, check-digit and Luhn rules live in governance/value_patterns (one
// implementation for the classifier and the patient index); ids here are already normalized.
namespace {
bool Normalized(std::string_view id) { return NormalizeIdentifier(id) == id; }
}  // namespace

bool IsValidDniOrNie(std::string_view id) {
  return id.size() == 9 && Normalized(id) && (governance::IsDniValue(id) || governance::IsNieValue(id));
}

bool IsValidNuss(std::string_view nuss) { return nuss.size() == 12 && Normalized(nuss) && governance::IsNussValue(nuss); }

bool IsValidCip(std::string_view cip) { return cip.size() == 14 && Normalized(cip) && governance::IsCipValue(cip); }

const char* NationalIdMacrosSql() {
  // try_cast keeps malformed values from raising errors: SQL does not promise that AND
  // short-circuits, so every arm must be safe on any input.
  return R"sql(
CREATE OR REPLACE TEMP MACRO pidx_norm_id(v) AS
  nullif(upper(regexp_replace(coalesce(v, ''), '[^0-9A-Za-z]', '', 'g')), '');
-- Luhn over the 10 digits of n, from the right: every second digit doubled, a doubled digit
-- above 9 counted as its digit sum (minus 9). Integer arithmetic only: no per-row lists.
CREATE OR REPLACE TEMP MACRO pidx_luhn_double(d) AS 2 * d - CASE WHEN d > 4 THEN 9 ELSE 0 END;
CREATE OR REPLACE TEMP MACRO pidx_luhn10_ok(n) AS
  (n % 10 +
   pidx_luhn_double((n // 10) % 10) +
   (n // 100) % 10 +
   pidx_luhn_double((n // 1000) % 10) +
   (n // 10000) % 10 +
   pidx_luhn_double((n // 100000) % 10) +
   (n // 1000000) % 10 +
   pidx_luhn_double((n // 10000000) % 10) +
   (n // 100000000) % 10 +
   pidx_luhn_double((n // 1000000000) % 10)) % 10 = 0;
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
  coalesce(regexp_full_match(v, '[A-Z]{4}[0-9]{10}') AND pidx_luhn10_ok(try_cast(right(v, 10) AS BIGINT)), false);
)sql";
}

}  // namespace medlake::pipeline
