// governance/classification_rules.h: the classifier's rules as pure functions over column names
// and sampled values (governance/classifier.h reads the samples from the lake and stores the
// result). The rules are described in docs/formats/catalog_metadata.md, "Classification":
//
//   1. Column names (Spanish and English): words such as dni/nif/nie, cip/tsi, nuss/naf/ssn,
//      surname/apellido(s)/given/family, birth date/fecha de nacimiento, address/direccion,
//      postal code/codigo postal, phone/telefono, email/correo, sex/gender, city/municipio; in a
//      patient/person table also local_id and source_key (the record number).
//   2. Sampled values of string and binary columns: when at least `threshold` (90%) of the
//      sampled non-null values are valid DNI/NIE, NUSS, CIP, Spanish phone numbers or e-mail
//      addresses (governance/value_patterns.h), the column gets that identifier's tags; a column
//      mixing those identifiers (an identifier "value" column) gets each one that makes up at
//      least `detail_share` (5%) of the sample. HL7 v2 messages and FHIR resources (whole
//      records) are direct identifiers too.
//   3. Diagnosis columns: named for diagnoses (diagnosis/diagnostico/dx/icd/cie, condition_*_code,
//      or code in a condition/diagnosis/problem table) with at least one ICD-10 shaped value in
//      the sample, or named for codes (code/codigo/reason/motivo/value) with >= 90% ICD-10
//      shaped values. Any sampled code in the special ranges (value_patterns.h) tags the column
//      and its table special_category.
//   4. Genetic data: tables whose namespace or name says genomic/genetic/variant/vcf/genotype,
//      and columns named gene/variant/genotype/allele/hgvs/rsid/zygosity.
//   Tables about organizations (organization, facility, hospital, care_site, centro) get no
//   identifier tags: their addresses and phone numbers are not personal data.
//   5. phi: on every column with a direct or quasi identifier, a patient link (patient_id,
//      person_source_value, ...), special category data, or diagnosis codes in a table about
//      persons (one that has an identifier or a patient link); on the table when any column has it.
//
// Reasons are written with counts only, never with sampled values (no PHI in the catalog).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace medlake::governance {

struct ClassifierOptions {
  // Non-null values sampled per string/binary column (SELECT ... LIMIT n).
  int64_t sample_values = 1000;
  // Rows the sample is taken from: the first this many live rows of the table's oldest data files
  // (a sparse column may show no value in them).
  int64_t sample_rows = 200000;
  // Share of the sample that must match a pattern for the column to get its tags.
  double threshold = 0.9;
  // In a column of mixed identifiers, the share an identifier kind needs to get its pii:* tag.
  double detail_share = 0.05;
  // Recorded as created_by of the classifier's tags.
  std::string actor = "classifier";
};

// Splits a name into lowercase ASCII words: at non-alphanumeric characters, at lower-to-upper
// case changes ("birthDate") and around digits, which are dropped ("apellido1" -> "apellido").
// Spanish accented letters are folded ("dirección" -> "direccion").
std::vector<std::string> NameWords(std::string_view name);

// One column as the classifier sees it.
struct ColumnSample {
  std::string name;
  bool sampled = false;             // true when `values` were read (string or binary column)
  std::vector<std::string> values;  // non-null sampled values (as text, possibly truncated)
};

struct ColumnFinding {
  std::string column;
  std::set<std::string> tags;
  std::vector<std::string>
      reasons;  // e.g. "column name", "998 of 1000 sampled values are valid DNI/NIE"
};

struct TableFindings {
  std::set<std::string> table_tags;
  std::vector<std::string> table_reasons;
  std::vector<ColumnFinding> columns;  // only columns that got tags, in input order
};

// Applies the rules to the columns of table `ns`.`table`.
TableFindings ClassifyColumns(std::string_view ns, std::string_view table,
                              const std::vector<ColumnSample>& columns,
                              const ClassifierOptions& options);

}  // namespace medlake::governance
