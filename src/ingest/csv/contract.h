// ingest/csv/contract.h: the source contract of a CSV extract (a YAML file per source).
//
// A contract says how to read a legacy extract as it is, without guessing: its bytes
// (encoding, delimiter, quote, escape, header, line terminator), how values are written (date,
// time and timestamp formats, decimal and thousands separators, null markers, boolean words) and
// what each column must hold (type, required, pattern, allowed codes), plus key columns, PHI tags
// and the duplicate policy. The format is version 1 of src/synth/CONTRACT_FORMAT.md (what
// `medlake synth` writes) with compatible extensions; src/ingest/csv/README.md documents it.
// csv_reader.h applies a contract to a file.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/file_system.h"
#include "core/status.h"

namespace medlake::ingest::csv {

// Character encoding of the file's bytes (IANA names in the contract).
enum class Encoding { kUtf8, kLatin1, kWindows1252 };

// Column types: those of CONTRACT_FORMAT.md (string, integer, decimal, date, time, datetime,
// code) plus double, boolean and decimal(p,s); "timestamp" is a synonym of datetime.
enum class ColumnType {
  kString,
  kInteger,
  kDecimal,
  kDouble,
  kDate,
  kTime,
  kTimestamp,
  kBoolean,
  kCode,
};

// What to do with rows that repeat (versioning.duplicates).
enum class DuplicatePolicy {
  kAllow,                // "allow" (default): nothing is checked
  kExactRowsMayRepeat,   // "exact_rows_may_repeat": identical rows are one record (flagged)
  kRejectDuplicateKeys,  // "reject_duplicate_keys": a second row with the same record key is
                         // rejected
};

struct ColumnSpec {
  std::string name;
  ColumnType type = ColumnType::kString;
  int precision = 0;  // decimal(p,s): total digits; 0 = unbounded
  int scale = -1;     // decimal(p,s): fraction digits; -1 = as written
  bool required = false;
  std::string pattern;           // ECMAScript regex the whole text must match; empty = none
  std::vector<std::string> phi;  // PHI tags; empty or {"none"} = not PHI
  std::map<std::string, std::string> values;  // code columns: allowed code -> meaning
  std::string code_map;                       // code columns: name of a code_maps entry
  std::string unit_map;  // unit columns: name of a unit_maps entry (not enforced)
  std::string description;
  int line = 0;  // 1-based line of the column in the contract
};

struct ValueMap {
  std::string target_system;
  std::map<std::string, std::string> map;
};

struct CsvFormat {
  std::string type = "csv";
  Encoding encoding = Encoding::kUtf8;
  char delimiter = ',';
  char quote = '"';
  char escape = '\0';  // '\0': quotes are escaped by doubling only (RFC 4180)
  bool header = true;
  std::string line_terminator = "\n";  // informative: the reader accepts "\n" and "\r\n"
  char decimal_separator = '.';
  char thousands_separator = '\0';  // '\0': none allowed
  // LDML ("dd/MM/yyyy", "HH:mm", "yyyy-MM-dd'T'HH:mm:ss") or strftime ("%d/%m/%Y"); a value must
  // match one of the list, tried in order.
  std::vector<std::string> date_formats = {"yyyy-MM-dd"};
  std::vector<std::string> time_formats = {"HH:mm:ss"};
  std::vector<std::string> timestamp_formats = {"yyyy-MM-dd'T'HH:mm:ss"};
  std::string timezone;                         // IANA zone of local dates/times; informative
  std::vector<std::string> null_values = {""};  // texts that mean "no value"
  std::vector<std::string> true_values = {"true", "1"};    // case-insensitive
  std::vector<std::string> false_values = {"false", "0"};  // case-insensitive
};

struct Versioning {
  std::string status_column;
  std::string final_value;      // "final"
  std::string corrected_value;  // "corrected"
  std::vector<std::string> latest_by;
  DuplicatePolicy duplicates = DuplicatePolicy::kAllow;
};

struct SourceContract {
  int contract_version = 1;
  std::string source;   // source system code, e.g. "LABLEG"
  std::string dataset;  // extract name, e.g. "lab_results"
  std::string table;    // raw table name; default lower(source) + "_" + dataset
  std::string description;
  std::string files;  // glob relative to the contract's folder
  CsvFormat format;
  std::vector<std::string> record_key;   // keys.record
  std::vector<std::string> patient_key;  // keys.patient
  Versioning versioning;
  std::vector<ColumnSpec> columns;  // in file order
  std::map<std::string, ValueMap> code_maps;
  std::map<std::string, ValueMap> unit_maps;

  // Index of the column named `name`, or -1.
  int ColumnIndex(std::string_view name) const;
};

// Parses and checks a contract (UTF-8 YAML). Returns InvalidArgument naming the line and key
// for: YAML syntax errors, unknown keys, missing source/dataset/columns, an unsupported
// contract_version or format type, bad characters (delimiter, quote, separators must be single
// ASCII characters and distinct), unknown encodings, types or PHI tags, date/time formats that
// do not compile, patterns that are not valid regexes, duplicate column names, key columns that
// are not columns, code columns without values or code_map, and references to missing maps.
// Thread-safe (pure function).
Result<SourceContract> ParseContract(std::string_view yaml);

// Reads `path` through `fs` and parses it; errors carry the path as context.
Result<SourceContract> LoadContract(const FileSystem& fs, const std::string& path);

// Names for messages and docs: "UTF-8", "ISO-8859-1", "windows-1252"; "string", "decimal", ...
std::string_view EncodingName(Encoding encoding);
std::string_view ColumnTypeName(ColumnType type);

}  // namespace medlake::ingest::csv
