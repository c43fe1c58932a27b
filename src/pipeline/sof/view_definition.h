// pipeline/sof/view_definition.h: SQL on FHIR v2 ViewDefinitions (https://sql-on-fhir.org/ig/,
// "ViewDefinition" and "Processing Algorithm"): parse and validate a view once, then flatten
// FHIR resources (nlohmann::json objects) into rows of its columns.
//
// This is the entry point of the sof library; the FHIRPath engine it uses is in fhirpath.h.
// All FHIRPath expressions of a view are compiled when the view is parsed; Evaluate() never
// parses text. The library depends on core only, so the pipeline (materializing views as Iceberg
// tables) and the FHIR API can both use it, and it can be fuzzed alone.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace medlake::pipeline::sof {

// One output column of a view, in output order.
struct ViewColumn {
  std::string name;  // matches ^[A-Za-z][A-Za-z0-9_]*$ and is unique within the view
  // The column's declared `type` ("string", "integer", "boolean", "decimal", "date",
  // "dateTime", "instant", "id", "code", ...); when absent, the type inferred from the path
  // (e.g. "boolean" for `exists()`, "integer" for `%rowIndex`), or "" when unknown.
  std::string fhir_type;
  bool collection = false;  // declared `collection: true`: the value is a JSON array
  // DuckDB type to store the column: "BOOLEAN" for boolean; "BIGINT" for integer,
  // positiveInt, unsignedInt and integer64; "DOUBLE" for decimal; "VARCHAR" otherwise.
  // Collection columns are "VARCHAR" holding the JSON array's text.
  std::string sql_type;
};

// A parsed, validated ViewDefinition. Immutable; copies share the compiled form.
// Thread-safety: all methods are const and may be called concurrently.
class ViewDefinition {
 public:
  // Parses a ViewDefinition from JSON text and validates it (see FromJson()). InvalidArgument
  // when the text is not JSON. `json_text` is only read during the call.
  static Result<ViewDefinition> Parse(std::string_view json_text);

  // Validates `view` and compiles its FHIRPath expressions. Returns InvalidArgument, with a
  // message naming the element (e.g. "select[0].column[1] 'family': path: FHIRPath syntax error
  // at column 4: ..."), when: `view` is not an object; `resource` is missing or not a type name;
  // `select` is missing or empty; an element has the wrong JSON type (e.g. a non-string
  // forEach); a select has more than one of forEach/forEachOrNull/repeat; a column lacks
  // `name` or `path`, or has an invalid or duplicate name; unionAll branches differ in column
  // names or order; a constant lacks a name or exactly one value[x] of a supported type, or is
  // declared twice; a FHIRPath expression does not compile (syntax, unknown function, unknown
  // %constant...); a `where` path is statically known not to be boolean. `view` is only read
  // during the call.
  static Result<ViewDefinition> FromJson(const nlohmann::json& view);

  // The FHIR resource type the view applies to, e.g. "Patient".
  const std::string& resource() const;
  // The view's `name`, or "" when absent.
  const std::string& name() const;
  // The output columns in order: a select's own columns, then those of its nested selects,
  // then those of its unionAll (one set, shared by all branches).
  const std::vector<ViewColumn>& columns() const;

  // Evaluates the view on one resource (a parsed FHIR JSON object) and appends one row per
  // result to `*rows` (must not be null): values in columns() order, JSON null for an empty
  // result, a JSON array for collection columns. A resource of another type, or one that fails
  // the view's `where`, gives no rows. Returns InvalidArgument, naming the column or where
  // clause but never a value (no patient data in errors), when `resource` is not an object, a
  // `where` path gives something other than empty or a single boolean, a non-collection column
  // gives more than one value, or FHIRPath evaluation fails (e.g. comparing a string with a
  // number); rows appended before the error stay in `*rows`. `resource` is only read during the
  // call; the appended values are copies.
  Status Evaluate(const nlohmann::json& resource,
                  std::vector<std::vector<nlohmann::json>>* rows) const;

  struct Impl;  // compiled form; defined in view_definition.cc

 private:
  explicit ViewDefinition(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

  std::shared_ptr<const Impl> impl_;  // never null
};

}  // namespace medlake::pipeline::sof
