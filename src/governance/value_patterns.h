// governance/value_patterns.h: recognisers for the identifier and code patterns the classifier
// looks for in sampled column values (governance/classifier.h).
//
// Governance may not depend on pipeline/, so the check-character rules of pipeline/national_ids.h
// (and of the generator in synth/spanish_ids.h) are written again here; the tests check the same
// examples. Rules (docs/formats/catalog_metadata.md, "Classification"):
//   - DNI: 8 digits + check letter "TRWAGMYFPDXBNJZSQVHLCKE"[number % 23].
//   - NIE: X, Y or Z + 7 digits + check letter, computed as for a DNI after replacing the leading
//     letter by 0, 1 or 2.
//   - NUSS: 12 digits = 2-digit province (not 00) + 8-digit number + 2 control digits equal to
//     the first ten digits mod 97 (or, for numbers below 10^7, (province * 10^7 + number) mod 97).
//   - CIP: medlake's synthetic regional health card layout (synth/spanish_ids.h): 4 letters A-Z +
//     10 digits whose last one is the Luhn check digit of the 9 before it.
//   - Spanish phone: optional +34 / 0034 prefix, then 9 digits starting with 6, 7, 8 or 9.
//   - e-mail: local@domain.tld with an alphabetic top-level domain of 2+ letters.
// Identifier values are first normalized: surrounding white space trimmed, ASCII letters upper
// cased, and the separators people type (space, '.', '-', '/') dropped: "12.345.678-z" is a DNI.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace medlake::governance {

// Upper-cases ASCII letters and drops spaces, '.', '-' and '/'; other characters are kept (so a
// value with letters inside or punctuation of another kind stays invalid).
std::string NormalizeIdentifierValue(std::string_view raw);

// Each takes a raw value (it normalizes as above) and checks the layout and the check characters.
bool IsDniValue(std::string_view raw);
bool IsNieValue(std::string_view raw);
bool IsNussValue(std::string_view raw);
bool IsCipValue(std::string_view raw);
bool IsSpanishPhoneValue(std::string_view raw);
bool IsEmailValue(std::string_view raw);

// True for an ICD-10 code shape: a letter, a digit, a digit or letter, then optionally either a
// '.' and 1-4 letters or digits, or (without the dot) 1-4 of them starting with a digit: "F32.9",
// "F329", "B20", "S72.001A", "S72001A"; not "N02BE01" (an ATC code). Case-insensitive; surrounding
// white space ignored. The shape alone does not make a column a diagnosis column
// (classification_rules.h).
bool IsIcd10CodeValue(std::string_view raw);

// The special category an ICD-10 code falls in (GDPR art. 9): F00-F99 mental health; B20-B24
// and Z21 HIV; A50-A64 (infections with a predominantly sexual mode of transmission) and Z70
// (counselling on sexual attitude, behaviour and orientation) sexual life; Q90-Q99 (chromosomal
// abnormalities), Z14 and Z15 (genetic carrier, genetic susceptibility) genetic. kNone otherwise
// and for values that are not ICD-10 shaped.
enum class SpecialCategory { kNone, kMentalHealth, kHiv, kSexual, kGenetic };
SpecialCategory Icd10SpecialCategory(std::string_view raw);

// True for a whole clinical record: an HL7 v2 message ("MSH" + field separator first) or a FHIR
// resource (a JSON object naming "resourceType"). Only the start of the value is needed.
bool IsClinicalRecordValue(std::string_view raw);

}  // namespace medlake::governance
