// pipeline/model.h: declarative models, the unit of work of `medlake run`.
//
// A model is one file that defines one lake table:
//   <project>/models/<namespace>/<table>.sql        a SELECT (SQL model)
//   <project>/models/<namespace>/<table>.view.json  a SQL on FHIR v2 ViewDefinition (view model)
// with, optionally, its quality rules beside it (pipeline/quality.h):
//   <project>/models/<namespace>/<table>.quality.yaml
// Built-in models ship inside the binary (src/pipeline/models/); a project file with the same
// namespace and table name replaces the built-in one.
//
// A SQL model's leading comment lines may set its configuration, one `-- @key: value` per line:
//   @materialized         `table` (default: rebuilt on every run) or `incremental`
//   @unique_key           comma-separated key columns (an incremental model needs it, or
//                         @incremental_by)
//   @incremental_by       a column (e.g. person_id) such that each value's rows depend only on
//                         source rows of that value: a run rebuilds only the values whose
//                         source rows changed since the last run (any change: appends,
//                         deletes, updates), and replaces their rows
//   @key_lookup           for @incremental_by: `ns.table.column = ns.src.column[, ...]`: the
//                         listed sources' column holds values of the lookup table's column,
//                         whose rows give the @incremental_by value (a source that has the
//                         @incremental_by column itself needs no lookup)
//   @key_via              for @incremental_by, repeatable: `ns.dim.column = ns.src.column[, ...]`:
//                         a source without the key (a dimension table) whose rows the listed
//                         sources reference by value; a change of its rows rebuilds the values
//                         whose rows in those sources reference the changed rows (instead of
//                         everything)
//   @incremental_sources  comma-separated ns.table read as "rows added since the last run";
//                         default: every lake table the model reads
//   @delete_column        a BOOLEAN column whose true rows delete their key (not stored)
//   @write_order          comma-separated columns the table's files are sorted by (its Iceberg
//                         sort order): lookups by the first column read few row groups
//   @key_index            `true`: the table keeps a key index beside each data file (table
//                         property medlake.key-index; needs @write_order led by a string or
//                         integer column): lookups by that column read no Parquet
//   @description          free text (kept for the catalog)
// A view model is always incremental, keyed by the resource (`_resource_key` column).
// Format details: docs/formats/pipeline_models.md.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "pipeline/quality.h"

namespace medlake::pipeline {

struct ModelConfig {
  bool incremental = false;
  std::vector<std::string> unique_key;
  std::vector<std::string> incremental_sources;  // empty: all sources
  std::string delete_column;
  std::string description;
  std::vector<std::string> write_order;  // empty: unsorted
  bool key_index = false;                // @key_index: true
  std::string incremental_by;            // @incremental_by (then unique_key is empty)
  // A table's column and the sources' columns that hold its values (@key_lookup, @key_via).
  struct KeyLink {
    std::string table;   // ns.table (lower case)
    std::string column;  // its column matched against the sources' columns
    std::map<std::string, std::string> sources;  // ns.table (lower case) -> its column
  };
  std::optional<KeyLink> key_lookup;  // @key_lookup
  std::vector<KeyLink> key_via;       // @key_via: one per dimension table
};

struct Model {
  // kNative: a step written in C++ that takes part in the graph like a model (the patient index).
  enum class Kind { kSql, kView, kNative };
  std::string ns;
  std::string table;
  Kind kind = Kind::kSql;
  std::string text;    // the SQL or the ViewDefinition JSON
  std::string origin;  // "builtin:<path>" or the project file path
  ModelConfig config;
  std::vector<QualityRule> rules;  // from <ns>/<table>.quality.yaml beside the model
  std::string rules_text;          // that file's text ("" when none)

  std::string name() const { return ns + "." + table; }
};

// Parses a SQL model's configuration comments. InvalidArgument names the bad line (unknown key,
// bad value, incremental without unique_key).
Result<ModelConfig> ParseSqlModelConfig(std::string_view sql);

// Builds a model from a file name relative to a models folder ("normalized/patient.sql") and its
// text. InvalidArgument for a name that is not <ns>/<table>.sql or <ns>/<table>.view.json, or
// for names that are not plain identifiers.
Result<Model> ModelFromFile(const std::string& relative_path, std::string text, const std::string& origin);

// The built-in models (compiled in), then the project's (<project_dir>/models/**), the latter
// replacing built-ins of the same name (a project rules file replaces the built-in rules). A
// missing project folder is not an error. InvalidArgument for a bad model or rules file, or a
// rules file without its model. Sorted by name.
Result<std::vector<Model>> LoadModels(const std::string& project_dir);

// The built-in model files: relative path -> text.
const std::map<std::string, std::string>& BuiltinModelFiles();

}  // namespace medlake::pipeline
