// engine/testing/fixed_access.h: an access controller for engine tests that grants one fixed
// TableAccess on every table, as the security module would hand policies over (header-only).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/access_control.h"
#include "engine/sql_lexer.h"

namespace medlake::engine::testing {

class FixedAccess : public AccessController {
 public:
  explicit FixedAccess(TableAccess access) : access_(std::move(access)) {}
  Result<std::optional<HandledStatement>> HandleStatement(std::string_view) override {
    return std::optional<HandledStatement>();
  }
  Result<TableAccess> ReadAccess(const storage::TableIdentifier&, const std::vector<AccessColumn>&) override {
    return access_;
  }
  Status CheckWrite(WriteKind, const std::string&, const std::string&) override { return Status::OK(); }
  Result<std::optional<std::string>> VirtualTable(const std::string&, const std::string&) override {
    return std::optional<std::string>();
  }
  std::string MaskHashKey() const override { return "test key"; }
  std::vector<std::string> ReadableDirectories() const override { return {}; }
  void RecordStatement(StatementAudit) override {}

 private:
  TableAccess access_;
};

// A row filter "column IN values" as the security module hands it over; with `only_sets` false
// it has a second term (id >= 0), so it is not only value sets.
inline TableAccess SetFilter(const std::string& column, std::vector<std::string> values, bool only_sets = true) {
  TableAccess a;
  std::string list;
  for (const auto& v : values) list += (list.empty() ? "" : ", ") + QuoteString(v);
  a.row_filter = "(list_contains([" + list + "]::VARCHAR[], " + column + "))";
  if (!only_sets) a.row_filter += " AND (id >= 0)";
  a.row_filter_sets.push_back({column, std::move(values)});
  a.row_filter_is_sets = only_sets;
  return a;
}

}  // namespace medlake::engine::testing
