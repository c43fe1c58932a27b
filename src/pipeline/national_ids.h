// pipeline/national_ids.h: validation of the Spanish personal identifiers that the patient index
// links on (pipeline/patient_index.h). The same rules exist as SQL macros inside the index
// (NationalIdMacrosSql) so DuckDB can validate millions of rows; the tests check that both agree.
//
// Rules (docs/formats/patient_index.md, "Identifiers"):
//   - DNI: 8 digits + check letter "TRWAGMYFPDXBNJZSQVHLCKE"[number % 23].
//   - NIE: X, Y or Z + 7 digits + check letter, computed as for a DNI after replacing the leading
//     letter by 0, 1 or 2.
//   - NUSS (social security number): 12 digits = 2-digit province (not 00) + 8-digit number + 2
//     control digits equal to the first ten digits mod 97. For numbers below 10^7 the older rule
//     (province * 10^7 + number) mod 97 is also accepted.
//   - CIP (regional health card code, synthetic layout of medlake's generator): 4 letters A-Z +
//     10 digits whose last one is the Luhn check digit of the 9 before it.
// Inputs are expected normalized (NormalizeIdentifier): upper case, no spaces, dots or dashes.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace medlake::pipeline {

// Upper-cases ASCII letters and drops everything that is not an ASCII letter or digit (spaces,
// dots, dashes), so "12.345.678-z" becomes "12345678Z". Returns an empty string for empty input.
std::string NormalizeIdentifier(std::string_view raw);

// True for a DNI ("12345678Z") or NIE ("X1234567L") with the right check letter.
bool IsValidDniOrNie(std::string_view id);

// True for a 12-digit NUSS whose control digits match (see the file comment).
bool IsValidNuss(std::string_view nuss);

// True for a CIP of the synthetic layout with a correct Luhn digit.
bool IsValidCip(std::string_view cip);

// DuckDB statements (CREATE OR REPLACE TEMP MACRO) defining pidx_norm_id(v), pidx_dni_ok(v),
// pidx_nuss_ok(v), pidx_cip_ok(v) and pidx_luhn_ok(digits) with the rules above; each *_ok macro
// returns false (never NULL) for NULL or malformed input. The text is static; it lives forever.
const char* NationalIdMacrosSql();

}  // namespace medlake::pipeline
