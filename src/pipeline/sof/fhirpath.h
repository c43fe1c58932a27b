// pipeline/sof/fhirpath.h: a FHIRPath (N1, normative subset) engine over nlohmann::json FHIR
// resources, used by the SQL-on-FHIR v2 ViewDefinition evaluator (view_definition.h).
//
// An expression is compiled once (FhirPathExpression::Compile: lexer -> parser -> AST, with
// function names, arities, type specifiers and %constants resolved) and then evaluated many times
// without re-parsing. Evaluation works on collections of borrowed JSON nodes (FhirPathItem):
// navigating a resource copies nothing; only computed values (arithmetic, strings built by
// join(), booleans...) are stored, in the FhirPathContext that the caller owns.
//
// Type information: resources are plain JSON, so an item's FHIR type is known only where the
// JSON says it: choice elements (`valueQuantity` reached through `value` is a Quantity),
// %constants (their value[x] type), literals and computed values. Other items are typed by their
// JSON kind (see README.md, "Types").
//
// The supported grammar and function list are in README.md. Unknown functions, wrong arities,
// unknown %constants and syntax errors are rejected at compile time.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace medlake::pipeline::sof {

namespace internal {
struct Node;
}  // namespace internal

// One element of a FHIRPath collection: a borrowed JSON node plus its FHIR type when known.
// `node` points into the evaluated resource, a compiled expression (literals), the constants
// given to the context, or values owned by a FhirPathContext; it lives as long as the longest
// of those lives. `type` is a canonical FHIR type name from a static table ("string",
// "dateTime", "Quantity", ...) or empty when only the JSON kind is known.
struct FhirPathItem {
  const nlohmann::json* node = nullptr;
  std::string_view type;
};
using FhirPathCollection = std::vector<FhirPathItem>;

// Names that `%name` may refer to in an expression, besides the built-in %resource,
// %rootResource, %context and %rowIndex. Slot i refers to FhirPathContext constant i.
struct FhirPathCompileOptions {
  std::vector<std::string> constant_names;
};

// Per-evaluation state: the variables (%resource, %constants, %rowIndex) and the storage of
// computed values. Items produced by an evaluation may point into this object, so keep it alive
// (and do not Reset() it) while their results are in use. Not thread-safe: use one per thread.
class FhirPathContext {
 public:
  FhirPathContext();
  FhirPathContext(const FhirPathContext&) = delete;
  FhirPathContext& operator=(const FhirPathContext&) = delete;

  // The resource for %resource / %rootResource / %context and getResourceKey(). Borrowed: it
  // must outlive the evaluations that use it. May be null (then those variables are empty).
  void set_resource(const nlohmann::json* resource) { resource_ = resource; }
  const nlohmann::json* resource() const { return resource_; }
  // Values of the compile-time constant slots (FhirPathCompileOptions::constant_names), in the
  // same order. Borrowed: the span and the nodes it points to must outlive the evaluations.
  void set_constants(std::span<const FhirPathItem> constants) { constants_ = constants; }
  std::span<const FhirPathItem> constants() const { return constants_; }
  // %rowIndex (SQL on FHIR v2): the 0-based index of the current forEach/repeat element.
  void set_row_index(int64_t row_index) { row_index_ = row_index; }
  int64_t row_index() const { return row_index_; }

  // Stores a computed value and returns a pointer that stays valid until Reset() or the
  // context's destruction.
  const nlohmann::json* Own(nlohmann::json value);
  // Shared nodes for the booleans (no allocation per comparison).
  const nlohmann::json* True() const { return &true_; }
  const nlohmann::json* False() const { return &false_; }
  const nlohmann::json* Bool(bool b) const { return b ? &true_ : &false_; }
  // Drops every value stored by Own(); pointers previously returned become invalid.
  void Reset() { owned_.clear(); }

 private:
  const nlohmann::json* resource_ = nullptr;
  std::span<const FhirPathItem> constants_;
  int64_t row_index_ = 0;
  const nlohmann::json true_;
  const nlohmann::json false_;
  std::deque<nlohmann::json> owned_;  // deque: growing it never moves existing elements
};

// A compiled FHIRPath expression. Immutable after Compile(); copies share the AST.
// Thread-safety: Evaluate() is const and may run concurrently on one expression as long as each
// thread passes its own FhirPathContext.
class FhirPathExpression {
 public:
  // Parses and checks `text`. Returns InvalidArgument for an empty or malformed expression
  // ("FHIRPath syntax error at column N: ..."), an unknown function or wrong number of
  // arguments, a bad type specifier, an unknown %name, or nesting deeper than 128 levels.
  // `text` is only read during the call.
  static Result<FhirPathExpression> Compile(std::string_view text,
                                            const FhirPathCompileOptions& options = {});

  // Evaluates the expression with `input` as its focus ($this, the collection that a leading
  // path step navigates from). Appends the result to `*out` (must not be null). Returns
  // InvalidArgument for a run-time error the FHIRPath spec defines (e.g. a function that
  // requires a single item getting several, comparing a string with a number); messages name
  // the operation, never the data. Items in `*out` may point into `input`'s nodes, this
  // expression (literals) and `*context` (computed values).
  Status Evaluate(const FhirPathCollection& input, FhirPathContext* context,
                  FhirPathCollection* out) const;

  // Convenience for tests and tools: evaluates on one resource (also used as %resource) and
  // returns the result as a JSON array of copied values. Same errors as Evaluate().
  Result<nlohmann::json> EvaluateToJson(const nlohmann::json& resource) const;

  // The FHIR type of the result when it is known statically (e.g. "boolean" for comparisons and
  // exists(), "integer" for count() and %rowIndex, "string" for join() and string literals),
  // otherwise "".
  std::string_view StaticType() const;

  // The source text the expression was compiled from.
  const std::string& text() const { return text_; }

 private:
  FhirPathExpression(std::string text, std::shared_ptr<const internal::Node> root)
      : text_(std::move(text)), root_(std::move(root)) {}

  std::string text_;
  std::shared_ptr<const internal::Node> root_;  // immutable; shared by copies
};

// Canonical FHIR type name for `name` as written in a type specifier or a choice-element suffix
// ("String", "FHIR.string", "System.String" -> "string"; "quantity" -> "Quantity"); returns ""
// when `name` is not a known FHIR data type (resource type names are not in the table). The
// returned view refers to static storage.
std::string_view CanonicalFhirTypeName(std::string_view name);

}  // namespace medlake::pipeline::sof
