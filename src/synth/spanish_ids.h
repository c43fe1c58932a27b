// synth/spanish_ids.h: Spanish personal identifiers with their check characters.
//
// The generator gives residents the identifiers that Spanish health records carry:
//   - DNI: 8 digits and a check letter, "TRWAGMYFPDXBNJZSQVHLCKE"[number % 23] (Ministerio del
//     Interior, "Cálculo del dígito de control del NIF/NIE"). 12345678 -> 12345678Z.
//   - NIE (foreign residents): X, Y or Z, 7 digits and the same check letter computed after
//     replacing the leading letter by 0, 1 or 2.
//   - NUSS (número de la Seguridad Social / NAF): 2-digit province + 8-digit number + 2 control
//     digits = (province * 10^8 + number) mod 97. The old rule for numbers below 10^7 (which
//     used province * 10^7 + number) is accepted by IsValidNuss; the generator never makes them.
//   - CIP: the regional health card code. The real Madrid CIPA layout is not public in detail,
//     so this is a documented synthetic format: 4 upper-case letters (first two letters of each
//     surname, 'X' filling gaps, ASCII-folded), 9 digits, and a check digit (Luhn over the 9
//     digits), e.g. "GAMA1234567897". Nothing outside medlake should rely on it.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace medlake::synth {

// The DNI/NIE check letter for `number` (0 <= number < 10^8).
char DniLetter(uint32_t number);
// "NNNNNNNNL" for `number` in [0, 10^8), zero-padded.
std::string MakeDni(uint32_t number);
// "PNNNNNNNL" with prefix 'X', 'Y' or 'Z' (`prefix_index` 0, 1, 2) and `number` in [0, 10^7).
std::string MakeNie(int prefix_index, uint32_t number);
// True for a well-formed DNI or NIE with the right check letter (upper case, no separators).
bool IsValidDniOrNie(std::string_view id);

// The two NUSS control digits for `province` (1..99) and `number` (0 <= number < 10^8).
int NussControl(int province, uint32_t number);
// "PPNNNNNNNNCC" (12 digits).
std::string MakeNuss(int province, uint32_t number);
// True for 12 digits whose last two are the control digits of the first ten.
bool IsValidNuss(std::string_view nuss);

// The synthetic CIP (see the file comment). `surname1`/`surname2` may be UTF-8 and empty;
// `number` < 10^9.
std::string MakeCip(std::string_view surname1, std::string_view surname2, uint32_t number);
// True when `cip` has the synthetic layout and a correct Luhn check digit.
bool IsValidCip(std::string_view cip);

// Folds a UTF-8 string to upper-case ASCII letters: Spanish accented vowels and Ñ/Ç lose their
// marks, anything else that is not a letter is dropped.
std::string AsciiUpperLetters(std::string_view utf8);

}  // namespace medlake::synth
