// ingest/csv/value_converter.h: applies a source contract's column rules to one row's values.
//
// Input values are already split and decoded to UTF-8 (csv_reader.h does that). Output is the
// canonical text of each value plus its contract type: "2024-03-01" (date), "08:21:00" (time),
// "2024-03-01T08:21:00" (timestamp, local wall-clock time of format.timezone), "12.50"
// (decimal, '.' separator, scale digits when decimal(p,s)), "-42" (integer), shortest
// round-trip text (double), "true"/"false" (boolean), the text as is (string, code).
// A null marker gives no value (std::nullopt). Violations name the column and the rule, never
// the value.
#pragma once

#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ingest/csv/contract.h"
#include "ingest/csv/temporal_format.h"

namespace medlake::ingest::csv {

// Thread-safety: const methods may be called from several threads.
class ValueConverter {
 public:
  // Compiles the contract's formats and patterns. InvalidArgument when one does not compile
  // (ParseContract has checked them already). `contract` is copied.
  static Result<ValueConverter> Make(const SourceContract& contract);

  // Converts the text of column `column` (index into contract.columns; must be in range).
  // InvalidArgument "column NAME: <rule>" when the value breaks the contract.
  Result<std::optional<std::string>> Convert(size_t column, std::string_view text) const;

  // Converts a whole row (`fields.size()` must equal the column count). Returns the reasons
  // joined by "; " (empty when the row is accepted) and fills `*values` (non-null).
  std::string ConvertRow(const std::vector<std::string>& fields,
                         std::vector<std::optional<std::string>>* values) const;

  const SourceContract& contract() const { return contract_; }

 private:
  ValueConverter() = default;
  Result<std::string> ConvertNonNull(const ColumnSpec& column, size_t index,
                                     std::string_view text) const;
  Result<std::string> ConvertNumber(const ColumnSpec& column, std::string_view text) const;

  SourceContract contract_;
  std::vector<TemporalFormat> date_formats_;
  std::vector<TemporalFormat> time_formats_;
  std::vector<TemporalFormat> timestamp_formats_;
  std::vector<std::optional<std::regex>> patterns_;  // per column
};

// Longest value a pattern is matched against; longer values are rejected ("too long for
// pattern"). std::regex recurses per character and could exhaust the stack on huge inputs.
inline constexpr size_t kMaxPatternInput = 4096;

}  // namespace medlake::ingest::csv
