#include "ingest/csv/contract.h"

#include <gtest/gtest.h>

#include <string>

#include "core/testing/mem_file_system.h"
#include "core/testing/status_matchers.h"

namespace medlake::ingest::csv {
namespace {

const char kMinimal[] = R"(source: SRC
dataset: things
columns:
  - name: ID
    type: integer
)";

TEST(ContractTest, ParsesTheSynthFormat) {
  const std::string yaml = R"(# comment
contract_version: 1
source: LABLEG
dataset: lab_results
description: "x"
files: "lab_results_*.csv"
format:
  type: csv
  encoding: ISO-8859-1
  delimiter: ";"
  quote: "\""
  header: true
  line_terminator: "\r\n"
  decimal_separator: ","
  date_format: "dd/MM/yyyy"
  time_format: "HH:mm"
  timezone: "Europe/Madrid"
keys:
  record: [NUM, COD]
  patient: [NHC]
versioning:
  status_column: ESTADO
  final: F
  corrected: C
  latest_by: [FECHA]
  duplicates: exact_rows_may_repeat
columns:
  - name: NHC
    type: string
    required: true
    phi: identifier
    description: "d"
  - name: NUM
    type: string
    required: true
    phi: none
  - name: COD
    type: code
    code_map: COD
    required: true
  - name: SEXO
    type: code
    values: {H: male, M: female}
  - name: FECHA
    type: date
    phi: event_date
  - name: UNIDAD
    type: string
    unit_map: UNIDAD
  - name: ESTADO
    type: code
    values: {F: final, C: corrected}
code_maps:
  COD:
    target_system: "http://loinc.org"
    map:
      HBA1C: "4548-4"
unit_maps:
  UNIDAD:
    target_system: "http://unitsofmeasure.org"
    map:
      "mg/dl": "mg/dL"
)";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(SourceContract c, ParseContract(yaml));
  EXPECT_EQ(c.source, "LABLEG");
  EXPECT_EQ(c.dataset, "lab_results");
  EXPECT_EQ(c.table, "lableg_lab_results");
  EXPECT_EQ(c.files, "lab_results_*.csv");
  EXPECT_EQ(c.format.encoding, Encoding::kLatin1);
  EXPECT_EQ(c.format.delimiter, ';');
  EXPECT_EQ(c.format.quote, '"');
  EXPECT_TRUE(c.format.header);
  EXPECT_EQ(c.format.line_terminator, "\r\n");
  EXPECT_EQ(c.format.decimal_separator, ',');
  EXPECT_EQ(c.format.date_formats, std::vector<std::string>{"dd/MM/yyyy"});
  EXPECT_EQ(c.format.time_formats, std::vector<std::string>{"HH:mm"});
  EXPECT_EQ(c.format.timezone, "Europe/Madrid");
  EXPECT_EQ(c.record_key, (std::vector<std::string>{"NUM", "COD"}));
  EXPECT_EQ(c.patient_key, std::vector<std::string>{"NHC"});
  EXPECT_EQ(c.versioning.status_column, "ESTADO");
  EXPECT_EQ(c.versioning.final_value, "F");
  EXPECT_EQ(c.versioning.duplicates, DuplicatePolicy::kExactRowsMayRepeat);
  ASSERT_EQ(c.columns.size(), 7u);
  EXPECT_EQ(c.columns[0].phi, std::vector<std::string>{"identifier"});
  EXPECT_TRUE(c.columns[0].required);
  EXPECT_EQ(c.columns[0].line, 28);
  EXPECT_EQ(c.columns[2].type, ColumnType::kCode);
  EXPECT_EQ(c.columns[3].values.at("M"), "female");
  EXPECT_EQ(c.code_maps.at("COD").map.at("HBA1C"), "4548-4");
  EXPECT_EQ(c.unit_maps.at("UNIDAD").target_system, "http://unitsofmeasure.org");
  EXPECT_EQ(c.ColumnIndex("FECHA"), 4);
  EXPECT_EQ(c.ColumnIndex("nope"), -1);
}

TEST(ContractTest, ParsesExtensions) {
  const std::string yaml = R"yaml(
source: S
dataset: d
table: custom_table
format:
  encoding: windows-1252
  delimiter: "\t"
  quote: "'"
  escape: "\\"
  header: false
  decimal_separator: ","
  thousands_separator: "."
  date_formats: ["%d/%m/%Y", "yyyy-MM-dd"]
  timestamp_format: "dd/MM/yyyy HH:mm:ss"
  null_values: ["", "NULL", "-"]
  true_values: [S]
  false_values: [N]
versioning:
  duplicates: reject_duplicate_keys
keys:
  record: [A]
columns:
  - {name: A, type: "decimal(10,2)", pattern: "[0-9.,]+", phi: [identifier, quasi_identifier]}
  - {name: B, type: timestamp}
  - {name: C, type: boolean}
  - {name: D, type: double}
)yaml";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(SourceContract c, ParseContract(yaml));
  EXPECT_EQ(c.table, "custom_table");
  EXPECT_EQ(c.format.encoding, Encoding::kWindows1252);
  EXPECT_EQ(c.format.delimiter, '\t');
  EXPECT_EQ(c.format.quote, '\'');
  EXPECT_EQ(c.format.escape, '\\');
  EXPECT_FALSE(c.format.header);
  EXPECT_EQ(c.format.thousands_separator, '.');
  EXPECT_EQ(c.format.date_formats.size(), 2u);
  EXPECT_EQ(c.format.timestamp_formats, std::vector<std::string>{"dd/MM/yyyy HH:mm:ss"});
  EXPECT_EQ(c.format.null_values.size(), 3u);
  EXPECT_EQ(c.versioning.duplicates, DuplicatePolicy::kRejectDuplicateKeys);
  EXPECT_EQ(c.columns[0].type, ColumnType::kDecimal);
  EXPECT_EQ(c.columns[0].precision, 10);
  EXPECT_EQ(c.columns[0].scale, 2);
  EXPECT_EQ(c.columns[0].phi.size(), 2u);
  EXPECT_EQ(c.columns[1].type, ColumnType::kTimestamp);
}

TEST(ContractTest, DefaultsAreRfc4180Utf8) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(SourceContract c, ParseContract(kMinimal));
  EXPECT_EQ(c.format.encoding, Encoding::kUtf8);
  EXPECT_EQ(c.format.delimiter, ',');
  EXPECT_EQ(c.format.quote, '"');
  EXPECT_EQ(c.format.escape, '\0');
  EXPECT_TRUE(c.format.header);
  EXPECT_EQ(c.format.decimal_separator, '.');
  EXPECT_EQ(c.versioning.duplicates, DuplicatePolicy::kAllow);
  EXPECT_EQ(c.table, "src_things");
}

TEST(ContractTest, ErrorsNameLineAndKey) {
  struct Case {
    std::string yaml;
    const char* message;
  };
  const std::string cols = "columns:\n  - {name: A, type: string}\n";
  const Case cases[] = {
      {"source: [unclosed\n", "YAML error"},
      {"- a\n- b\n", "expected a YAML mapping"},
      {"dataset: d\n" + cols, "source: missing"},
      {"source: s\ndataset: d\n", "columns: missing"},
      {"source: s\ndataset: d\ncontract_version: 2\n" + cols,
       "line 3: contract_version: only version 1"},
      {"source: s\ndataset: d\ndelimeter: x\n" + cols, "line 3: delimeter: unknown key"},
      {"source: s\ndataset: d\nformat:\n  delimiter: ';;'\n" + cols,
       "line 4: format.delimiter: must be one ASCII character"},
      {"source: s\ndataset: d\nformat:\n  encoding: EBCDIC\n" + cols,
       "format.encoding: unsupported encoding"},
      {"source: s\ndataset: d\nformat:\n  type: xlsx\n" + cols, "only csv"},
      {"source: s\ndataset: d\nformat:\n  header: maybe\n" + cols, "expected true or false"},
      {"source: s\ndataset: d\nformat:\n  date_format: dd/MM/yy\n" + cols, "four-digit years"},
      {"source: s\ndataset: d\nformat:\n  date_format: '%d/%m/%y'\n" + cols, "two-digit"},
      {"source: s\ndataset: d\nformat:\n  date_format: 'dd/MM/yyyy'\n  date_formats: [x]\n" + cols,
       "either date_format or date_formats"},
      {"source: s\ndataset: d\nformat:\n  decimal_separator: ','\n  delimiter: ','\n" + cols,
       "distinct"},
      {"source: s\ndataset: d\ncolumns:\n  - {name: A, type: blob}\n",
       "line 4: columns[0].type: unknown type"},
      {"source: s\ndataset: d\ncolumns:\n  - {name: A, type: 'decimal(2,3)'}\n", "unknown type"},
      {"source: s\ndataset: d\ncolumns:\n  - {type: string}\n", "columns[0].name: missing"},
      {"source: s\ndataset: d\ncolumns:\n  - {name: A, type: string}\n  - {name: A, type: date}\n",
       "line 5: columns[1].name: duplicate column name A"},
      {"source: s\ndataset: d\ncolumns:\n  - {name: A, type: code}\n", "needs values or code_map"},
      {"source: s\ndataset: d\ncolumns:\n  - {name: A, type: string, values: {x: y}}\n",
       "for code columns only"},
      {"source: s\ndataset: d\ncolumns:\n  - {name: A, type: code, code_map: M}\n",
       "no such entry under code_maps"},
      {"source: s\ndataset: d\ncolumns:\n  - {name: A, type: string, unit_map: U}\n",
       "no such entry under unit_maps"},
      {"source: s\ndataset: d\ncolumns:\n  - {name: A, type: string, pattern: '[a-'}\n",
       "not a valid regular expression"},
      {"source: s\ndataset: d\ncolumns:\n  - {name: A, type: string, phi: secret}\n",
       "unknown PHI tag"},
      {"source: s\ndataset: d\nkeys:\n  record: [B]\n" + cols,
       "keys.record: names a column that is not in columns: B"},
      {"source: s\ndataset: d\nversioning:\n  duplicates: reject_duplicate_keys\n" + cols,
       "needs keys.record"},
      {"source: s\ndataset: d\nversioning:\n  duplicates: maybe\n" + cols, "unknown policy"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ParseContract(c.yaml), StatusIs(StatusCode::kInvalidArgument, c.message)) << c.yaml;
  }
}

TEST(ContractTest, LoadContractAddsPathContext) {
  MemFileSystem fs;
  MEDLAKE_ASSERT_OK(fs.WriteFileAtomic("/c/ok.contract.yaml", kMinimal));
  MEDLAKE_ASSERT_OK(fs.WriteFileAtomic("/c/bad.contract.yaml", "source: x\n"));
  MEDLAKE_EXPECT_OK(LoadContract(fs, "/c/ok.contract.yaml"));
  EXPECT_THAT(LoadContract(fs, "/c/bad.contract.yaml"),
              StatusIs(StatusCode::kInvalidArgument, "/c/bad.contract.yaml: contract line"));
  EXPECT_THAT(LoadContract(fs, "/c/none.yaml"), StatusIs(StatusCode::kNotFound, ""));
}

TEST(ContractTest, NamesEnums) {
  EXPECT_EQ(EncodingName(Encoding::kLatin1), "ISO-8859-1");
  EXPECT_EQ(ColumnTypeName(ColumnType::kTimestamp), "timestamp");
}

}  // namespace
}  // namespace medlake::ingest::csv
