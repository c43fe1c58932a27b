// server/fhir/fhir_query_internal.h: running SQL for the FHIR API and turning FHIR search
// parameter values into SQL conditions (private to server/fhir).
//
// Every value that comes from a request reaches SQL only through SqlLiteral() (a string literal
// with quotes doubled, after a check that it is valid UTF-8 without control characters) or as a
// number/date the parsers below rebuilt from validated digits. Nothing else from a request is
// pasted into SQL.
//
// Thread-safety: pure functions, except RunQuery which uses the session given (one thread).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engine/lake_session.h"
#include "engine/value.h"

namespace medlake::server::fhir::internal {

// One result row, values addressed by column name. A column the query did not return (a column
// the user may not read is left out of `t.*`) reads as NULL.
class Row {
 public:
  using ColumnIndex = std::map<std::string, size_t, std::less<>>;
  Row(std::shared_ptr<const ColumnIndex> index, std::vector<engine::Value> values)
      : index_(std::move(index)), values_(std::move(values)) {}
  const engine::Value& Get(std::string_view column) const;
  // The value as text (DuckDB's rendering), or nullopt for NULL / missing.
  std::optional<std::string> Text(std::string_view column) const;
  bool Has(std::string_view column) const { return index_->find(column) != index_->end(); }

 private:
  std::shared_ptr<const ColumnIndex> index_;
  std::vector<engine::Value> values_;
};

// Runs one query on `session` and calls `on_row` for each row, streaming (rows are not all held).
// A non-OK return of `on_row` stops the query and is returned. Errors of the statement come back
// as the session reports them (PermissionDenied for tables the user may not read).
Status RunQuery(engine::LakeSession& session, const std::string& sql, const std::function<Status(const Row&)>& on_row);

// Every row of a (small) query.
Result<std::vector<Row>> QueryRows(engine::LakeSession& session, const std::string& sql);

// The first column of the first row as an integer, or `fallback` when there is no row or it is
// NULL.
Result<int64_t> QueryInt(engine::LakeSession& session, const std::string& sql, int64_t fallback);

// True when `text` is valid UTF-8 without control characters (tabs included): what a search value
// may hold.
bool IsCleanText(std::string_view text);

// `text` as a SQL string literal: 'it''s'. Precondition: IsCleanText(text) (callers check input
// with CheckSearchValue first; other text comes from the lake or from constants).
std::string SqlLiteral(std::string_view text);

// InvalidArgument (naming the parameter, never the value) unless IsCleanText(value) and it is at
// most 1024 bytes.
Status CheckSearchValue(std::string_view param, std::string_view value);

// Splits a parameter value on commas not escaped with '\' (FHIR R4 search section 3.1.1.5,
// "Escaping search parameters"), removing the escapes of ',' '$' '|' '\' except '\|' which is kept
// for the token parser. InvalidArgument for an empty value.
Result<std::vector<std::string>> SplitOr(std::string_view param, std::string_view value);

// A token search value: [system]|[code], |code (no system), code (any system), system| (any
// code in that system).
struct TokenValue {
  bool system_given = false;  // a '|' was present
  std::string system;         // empty with system_given: "no system"
  std::string code;           // empty: any code
};
// Parses one (comma-free) token value; '\|' is a literal bar.
TokenValue ParseToken(std::string_view text);

// A date search value with its prefix (FHIR R4 search section 3.1.1.4.2 "date"): the value is
// the half-open range [lo, hi) implied by its precision; lo and hi are SQL TIMESTAMPTZ
// expressions built from validated digits.
struct DateRange {
  std::string prefix;  // eq ne gt lt ge le sa eb
  std::string lo_sql;
  std::string hi_sql;
};
// InvalidArgument for a malformed value or an unsupported prefix (ap).
Result<DateRange> ParseDate(std::string_view param, std::string_view text);

// The condition `column` (a DATE or TIMESTAMPTZ expression) satisfies `range`.
std::string DateCondition(const DateRange& range, std::string_view column);

// The SQL condition for a whole date parameter value (comma-separated ranges ORed).
Result<std::string> DateParamSql(std::string_view param, std::string_view value, std::string_view column);

// A string search on a text column expression (FHIR R4 search "string": case- and
// accent-insensitive starts-with by default; `modifier` "exact" or "contains"). Starts-with also
// matches at the start of any space-separated word (compound Spanish surnames). InvalidArgument
// for another modifier.
Result<std::string> StringCondition(std::string_view param, std::string_view modifier, std::string_view value,
                                    std::string_view column);

}  // namespace medlake::server::fhir::internal
