// pipeline/sof/fhirpath_internal.h: the pieces of the FHIRPath engine shared by its parser
// (fhirpath_parser.cc), evaluator (fhirpath_eval.cc) and tests: tokens, the AST, and the
// date/time helpers (fhirpath_temporal.cc). Not part of the module's public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "pipeline/sof/fhirpath.h"

namespace medlake::pipeline::sof::internal {

// ---- Lexer ----------------------------------------------------------------------------------

enum class TokenKind {
  kEnd,
  kIdentifier,  // plain or `delimited` (then `delimited` is set)
  kString,      // 'text' with escapes resolved
  kNumber,      // 12, 3.25 (text kept for the precision of decimals)
  kDateTime,    // @2020-01-02T10:00:00Z -> text without '@'; a date if there is no 'T'
  kTime,        // @T10:00 -> text without "@T"
  kExternal,    // %name or %'name' / %`name` -> the name
  kSpecial,     // $this, $index, $total -> the name without '$'
  kSymbol,      // . , ( ) [ ] { } + - * / & | = != ~ !~ < > <= >=
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;
  size_t position = 0;  // 0-based byte offset in the expression
  bool delimited = false;
};

// Splits `text` into tokens ending with a kEnd token. InvalidArgument
// "FHIRPath syntax error at column N: ..." for an invalid character, an unterminated string or
// a malformed date/time literal.
Result<std::vector<Token>> Tokenize(std::string_view text);

// ---- AST --------------------------------------------------------------------------------------

enum class NodeKind {
  kEmpty,     // {}
  kLiteral,   // literal (value + type)
  kThis,      // $this
  kIndex,     // $index
  kConstant,  // %name declared in FhirPathCompileOptions (slot)
  kResource,  // %resource, %rootResource, %context
  kRowIndex,  // %rowIndex
  kMember,    // [focus.]name
  kFunction,  // [focus.]name(args)
  kIndexer,   // focus[args[0]]
  kUnary,     // -focus / +focus (op = kSub / kAdd)
  kBinary,    // args[0] op args[1]
  kTypeTest,  // focus is Type
  kTypeCast,  // focus as Type
};

enum class BinaryOp {
  kMul,
  kDiv,
  kIntDiv,
  kMod,
  kAdd,
  kSub,
  kConcat,
  kUnion,
  kLt,
  kGt,
  kLe,
  kGe,
  kEq,
  kNe,
  kEquiv,
  kNotEquiv,
  kIn,
  kContains,
  kAnd,
  kOr,
  kXor,
  kImplies,
};

enum class Function {
  kWhere,
  kSelect,
  kExists,
  kAll,
  kEmpty,
  kCount,
  kFirst,
  kLast,
  kTail,
  kSkip,
  kTake,
  kSingle,
  kDistinct,
  kJoin,
  kOfType,
  kIs,
  kAs,
  kExtension,
  kGetResourceKey,
  kGetReferenceKey,
  kLowBoundary,
  kHighBoundary,
  kNot,
  kIif,
  kHasValue,
  kToString,
  kToInteger,
  kToDecimal,
  kStartsWith,
  kEndsWith,
  kContains,
  kLower,
  kUpper,
  kLength,
  kSubstring,
  kAllTrue,
  kAnyTrue,
  kAllFalse,
  kAnyFalse,
};

struct Node {
  NodeKind kind = NodeKind::kEmpty;
  size_t position = 0;  // 0-based offset of the node's first token
  std::string name;     // member / function name; type name for kTypeTest/kTypeCast/ofType...
  // kLiteral: the value and its canonical FHIR type.
  nlohmann::json literal;
  std::string_view literal_type;
  BinaryOp op = BinaryOp::kAdd;
  Function function = Function::kWhere;
  int slot = -1;  // kConstant
  // Type specifier argument of ofType/is/as/getReferenceKey, as written minus "FHIR." and in
  // canonical form when it is a data type (resource type names kept as written).
  std::string type_name;
  std::unique_ptr<Node> focus;  // may be null: the input collection ($this)
  std::vector<std::unique_ptr<Node>> args;
};

// Parses `text` to an AST with functions, arities and %names resolved.
Result<std::unique_ptr<Node>> ParseFhirPath(std::string_view text,
                                            const FhirPathCompileOptions& options);

// Static result type of a node ("" when unknown); see FhirPathExpression::StaticType().
std::string_view StaticTypeOf(const Node& node);

// ---- Dates and times (FHIRPath "Date, DateTime and Time" + FHIR date/dateTime/time) ----------

enum class TemporalKind { kDate, kDateTime, kTime };

struct Temporal {
  TemporalKind kind = TemporalKind::kDate;
  // Components; unset ones are 0 (month/day 0 too).
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millisecond = 0;
  // How many components are present: 1 year, 2 month, 3 day, 4 hour, 5 minute, 6 second,
  // 7 fraction of a second. A Time has 4..7.
  int precision = 0;
  bool has_offset = false;  // a time-zone offset or Z was given
  bool zulu = false;        // written as Z
  int offset_minutes = 0;   // east of UTC
};

// Parses a FHIR/FHIRPath date ("2020", "2020-01", "2020-01-02"), dateTime ("2020-01-02T10",
// "...T10:30", "...T10:30:15.123+02:00", also a date-only string when `kind` is kDateTime) or
// time ("10", "10:30", "10:30:15.5"). `kind` is the expected kind; std::nullopt when the text
// is not such a value (including impossible dates such as 2021-02-30).
std::optional<Temporal> ParseTemporal(std::string_view text, TemporalKind kind);

// Guesses the kind of an untyped string: kTime for "hh:mm...", kDateTime when it contains 'T',
// kDate for "YYYY[-MM[-DD]]"; std::nullopt otherwise.
std::optional<TemporalKind> GuessTemporalKind(std::string_view text);

// Compares two values per FHIRPath: -1/0/1, or std::nullopt when the result is uncertain
// (different precisions that agree on their common components) or the kinds cannot be compared
// (a Time with a Date/DateTime). Both have offsets: compared in UTC.
std::optional<int> CompareTemporal(const Temporal& a, const Temporal& b);

// FHIRPath lowBoundary()/highBoundary() (2.0 STU "Utility functions"): the earliest/latest
// value the partial value may stand for, at full (millisecond) precision, formatted as FHIR
// text. DateTime without offset: +14:00 for the low boundary, -12:00 for the high one.
std::string TemporalBoundary(const Temporal& value, bool high);

// Formats as FHIR text at the value's own precision.
std::string FormatTemporal(const Temporal& value);

}  // namespace medlake::pipeline::sof::internal
