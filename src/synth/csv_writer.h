// synth/csv_writer.h: the legacy laboratory application's CSV extract and its source contract.
//
// One hospital (Region::legacy_lab_hospital) still runs an old laboratory application that
// exports results as CSV, with the habits of such applications: ';' delimiters, ISO-8859-1
// (Latin-1) bytes, CRLF line ends, dd/mm/yyyy dates, decimal commas, its own test codes and unit
// spellings, Spanish sex codes (H = hombre, M = mujer), its own patient numbers (no national id),
// occasional duplicate rows and late corrections (a later row with ESTADO = C for the same
// request and test). Files: csv/LABLEG/lab_results_<file number>.csv, described by
// csv/LABLEG/lab_results.contract.yaml (format in CONTRACT_FORMAT.md).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "synth/faults.h"
#include "synth/model.h"
#include "synth/synth_output.h"

namespace medlake::synth {

// Appends the patient's rows (if any of their lab orders belong to the legacy laboratory) to
// `out`. Duplicates and corrections come from a stream derived from (`seed`, patient index),
// faults from `faults`.
void RenderLegacyLabCsv(const Region& region, const PatientHistory& history, uint64_t seed,
                        uint64_t file_number, FaultInjector* faults, BatchOutput* out);

// The contract file describing the extract (YAML text, see CONTRACT_FORMAT.md).
std::string LegacyLabContract();

// Relative paths of the extract file number `file_number` and of the contract.
std::string LegacyLabCsvPath(uint64_t file_number);
inline constexpr std::string_view kLegacyLabContractPath = "csv/LABLEG/lab_results.contract.yaml";

// UTF-8 to ISO-8859-1; characters outside Latin-1 become '?'.
std::string Utf8ToLatin1(std::string_view utf8);

}  // namespace medlake::synth
