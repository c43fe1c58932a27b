// engine/lake_resolver.h: resolves lake table references for the read path: a namespace of the
// catalog plus a table name becomes the scan SQL of the chosen snapshot.
//
// Thread-safety: one thread at a time (uses the session's catalog).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <vector>
#include <optional>
#include <string>

#include "core/file_system.h"
#include "engine/access_control.h"
#include "engine/key_index_sql.h"
#include "engine/select_rewriter.h"
#include "storage/catalog.h"
#include "storage/table.h"

namespace medlake::engine {

class LakeTableResolver : public TableResolver {
 public:
  // With `access`, references are resolved for an untrusted principal: privileges checked,
  // row filters and column masks applied, virtual tables offered (engine/access_control.h).
  LakeTableResolver(storage::Catalog& catalog, FileSystem& fs, AccessController* access = nullptr)
      : catalog_(catalog), fs_(fs), access_(access) {}

  bool untrusted() const override { return access_ != nullptr; }
  // Tables read and policy decisions taken over this resolver's lifetime (for the audit).
  const std::vector<std::string>& tables_read() const { return tables_read_; }
  const std::vector<std::string>& decisions() const { return decisions_; }
  // Columns of the tables read ("ns.table.column") whose names are in `names` (all with `star`).
  std::vector<std::string> ColumnsRead(const std::set<std::string>& names, bool star) const;

  // Resolves `ns.name`: nullopt when `ns` is not a lake namespace; NotFound when the namespace
  // exists but the table does not; NotFound for a snapshot id or time the table does not have.
  // Predicates on columns prune the files the scan reads (storage::LakeTable::PlanScan).
  Result<std::optional<ResolvedTable>> Resolve(const std::string& ns, const std::string& name,
                                               const std::optional<AtClause>& at,
                                               const std::vector<ColumnPredicate>& predicates) override;

  // Whether any scan resolved so far reads Parquet files (not key indexes, not an empty table,
  // not metadata): its plan depends on the literals that pruned its files.
  bool reads_parquet() const { return reads_parquet_; }
  // The prepared statement parameters whose values are keys of key-index scans (to be given
  // to the scans with KeyParameterValues when the statement runs).
  const std::vector<KeyParameter>& key_parameters() const { return key_parameters_; }
  // The key-index scans resolved so far (their `sql` left empty), for PrefetchKeyLookups.
  const std::vector<KeyIndexScan>& key_scans() const { return key_scans_; }

  // Files skipped by pruning over this resolver's lifetime (for tests and benchmarks).
  const storage::ScanPruning& pruning() const { return pruning_; }

  // Scans of `ns.name` include row-id columns (for DELETE/UPDATE), at the current snapshot.
  void SetRowIdTarget(const storage::TableIdentifier& id) { row_id_target_ = id; }

  // Loads (and caches for this resolver's lifetime) a lake table.
  Result<const storage::LakeTable*> Table(const storage::TableIdentifier& id);

 private:
  // `sql` (a scan of `plan`) with `access` applied (hidden columns, masks, row filter; no row
  // filter when `rows_proven`: every file of the plan is known to pass it whole).
  ResolvedTable ApplyAccess(const storage::TableIdentifier& id, const std::string& sql, const storage::ScanPlan& plan,
                            const std::set<int>& current_fields, std::optional<TableAccess>& access,
                            bool rows_proven, const std::vector<ColumnPredicate>& predicates);

  storage::Catalog& catalog_;
  FileSystem& fs_;
  AccessController* access_ = nullptr;
  std::vector<std::string> tables_read_;
  std::vector<std::string> decisions_;
  std::map<std::string, std::set<std::string>> visible_columns_;  // "ns.table" -> columns
  std::optional<storage::TableIdentifier> row_id_target_;
  std::map<std::string, std::unique_ptr<storage::LakeTable>> tables_;
  std::map<std::string, bool> namespaces_;
  storage::ScanPruning pruning_;
  bool reads_parquet_ = false;
  std::vector<KeyParameter> key_parameters_;
  std::vector<KeyIndexScan> key_scans_;
};

// Wraps `scan_sql` (whose columns are `columns`) with `access`: hidden columns left out, masks
// applied, and, with a row filter, rows failing it removed and every column of them made NULL
// before the caller's query sees them (so the query's own predicates and errors cannot observe
// them, whatever order DuckDB evaluates filters in). Returns `scan_sql` when unrestricted.
// `guard` false: rows failing the filter are removed but the unmasked columns are not guarded,
// for statements whose predicates cannot fail (engine/predicate_safety.h).
// `implied`: conditions on stored values ("{col}" for the quoted column of the scan) that every
// row the caller keeps satisfies (YearMaskedDateRange); applied to the scan first.
std::string ApplyTableAccess(const std::string& scan_sql, const std::vector<AccessColumn>& columns,
                             const TableAccess& access, bool guard = true,
                             const std::vector<std::pair<std::string, std::string>>& implied = {});

// A predicate on a date masked to the first day of its year (TableAccess::year_masked_dates),
// said as the same condition on the stored date `column_sql`: `birth_date >= DATE '1980-03-01'`
// on the masked value keeps the same rows as `stored >= DATE '1981-01-01'`. nullopt when it
// cannot be said exactly (other constants, parameters, years outside 1..9998).
std::optional<std::string> YearMaskedDateRange(const ColumnPredicate& predicate, const std::string& column_sql);

// How a predicate may compare a column of this Iceberg type (in the spec's JSON form).
ColumnKind ColumnKindOfIcebergType(const std::string& type_json);

// Converts predicates on column names into scan filters on field ids of `schema`, keeping only
// those whose constants convert exactly to the column's type.
std::vector<storage::ScanFilter> ToScanFilters(const std::vector<ColumnPredicate>& predicates,
                                               const storage::iceberg::Schema& schema);

// DuckDB prunes Parquet row groups by their statistics for `column = value` but not for
// `column IN (v1, ..., vn)` (an IN list becomes an optional filter on the range min..max of its
// values, which for keys spread over the table is the whole table). When `predicates` hold such
// an IN list on the table's leading sort column `sort_field_id` (ALTER TABLE ... WRITE ORDERED
// BY; 0: unsorted, nothing to do), a string or integer column of `scan_columns`, with 2 to 32
// distinct constants of the column's kind, returns `scan_sql` as a UNION ALL of one branch per
// value, each filtered by equality, so that each branch reads only the row groups that can hold
// its value. Only for the sort column: there a value's rows sit in few row groups, while a
// branch per value of an unsorted column (say `status IN ('final', 'amended')`) would scan the
// table once per value. The rows are those of `scan_sql` that satisfy the IN list; like file
// pruning, this relies on the predicate being a top-level AND term of the WHERE over the scan
// (the rewriter only collects those). Returns `scan_sql` unchanged otherwise.
std::string SplitByInList(const std::string& scan_sql, const std::vector<ColumnPredicate>& predicates,
                          const storage::iceberg::Schema& schema,
                          const std::vector<storage::ScanColumn>& scan_columns, int sort_field_id);

// Parses "YYYY-MM-DD[ HH:MM[:SS[.ffffff]]][+HH[:MM]]" (UTC unless an offset or Z follows) to
// microseconds since the epoch, cutting finer fractions. InvalidArgument for any other text, and
// for years beyond +-9999.
Result<int64_t> ParseTimestampMicros(const std::string& text);
// The same, in milliseconds (the millisecond that holds the instant).
Result<int64_t> ParseTimestampMillis(const std::string& text);

}  // namespace medlake::engine
