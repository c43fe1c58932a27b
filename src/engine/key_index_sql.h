// engine/key_index_sql.h: the lake's row-level access path for lookups by key, in SQL.
//
// A table whose property `medlake.key-index` is 'true' and whose default sort order starts with
// an identity field on a string, int or long column (ALTER TABLE ... WRITE ORDERED BY) gets a
// key index beside each data file it writes (storage/key_index.h). A scan of such a table whose
// predicates fix that column (`col = v`, `col IN (v1, ...)`) then reads the matching rows from
// the key indexes through the table function medlake_key_rows() instead of opening Parquet:
// a B-tree search per file and key, no row group decoded, almost nothing for DuckDB to plan.
// The scan's result is the same rows and columns as the Parquet scan's (the same snapshot's
// files; the caller's own WHERE still applies on top), so policies, masks and audit wrap it
// exactly as they wrap the Parquet scan. Used only when every file the scan reads has a key
// index holding every column it returns and the snapshot has no delete files; otherwise the
// Parquet scan is used. medlake_key_rows() is not callable from untrusted SQL (the statement
// guard allows no such table function): it appears only in rewritten statements.
// A prepared statement's `$n` on the key is not an argument of medlake_key_rows() (DuckDB would
// plan the statement again for every value of a table function's argument): the scan names the
// parameter and reads its key, when it starts, from the values the session gives the
// connection (KeyParameterValues). The caller's comparison with `$n` stays in the statement, so
// a key read loosely (e.g. '007' for 7) still returns exactly the rows the comparison keeps.
//
// Thread-safety: functions are pure except for the files they read or write;
// KeyParameterValues and the function's reads of them are synchronized.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/database.h"
#include "engine/select_rewriter.h"
#include "storage/iceberg/table_metadata.h"
#include "storage/scan_plan.h"

namespace medlake::engine {

inline constexpr const char* kKeyIndexProperty = "medlake.key-index";

// The field id of the key column when `metadata` asks for key indexes and can have them
// (property on, leading sort field an identity of a top-level string/int/long column); 0 otherwise.
int KeyIndexField(const storage::iceberg::TableMetadata& metadata);

// Builds the key index of each data file in `files` (paths of files of the table, written with
// `schema`), skipping those that have one. Columns of types a key index does not store
// (decimal, uuid, fixed, time, nested) are left out; scans returning them read Parquet.
// Returns the number of key indexes built.
Result<int64_t> BuildKeyIndexes(Connection& conn, const storage::iceberg::Schema& schema, int key_field_id,
                                const std::vector<storage::ScanDataFile>& files);

// A prepared statement's parameter that gives a key: `$n` (n from 1) compared with an integer
// key (`integer`) or standing for a string literal compared with a string key.
struct KeyParameter {
  int n = 0;
  bool integer = false;
  bool operator==(const KeyParameter&) const = default;
};

struct KeyIndexScan {
  std::string sql;
  // The parameters whose values are keys. They are not in `sql`: medlake_key_rows() takes
  // their keys from the connection's KeyParameterValues when the statement starts, so that
  // a prepared statement's plan serves every execution.
  std::vector<KeyParameter> parameters;
  // What the scan looks up, for PrefetchKeyLookups: its key index files and constant keys.
  std::vector<std::string> files;
  std::vector<std::string> keys;
  // What it returns (for DirectKeyLookupOf): the key column's name, the columns in order
  // (field id, name, Iceberg primitive type), and whether the user's access to the table left
  // it as it is (no hidden column, mask or row filter: set by the resolver).
  struct Column {
    int field_id = 0;
    std::string name;
    std::string type;
  };
  std::string key_name;
  std::vector<Column> columns;
  bool unrestricted = false;
};

// A statement that is nothing but a lookup by key of plain columns of one table:
//   SELECT <item, ...> FROM <table> [[AS] alias]
//   WHERE [alias.]<key column> {= $n | IN ($n, ...)}
//   [ORDER BY [alias.]<column> [ASC | DESC] [NULLS FIRST | NULLS LAST], ...] [LIMIT <integer>] [;]
// where an item is `*`, `alias.*`, `[alias.]column [[AS] name]` or `$n AS name` (a value given
// with the statement, as QueryShapeOf makes of a select-list constant), whose one scan reads
// key indexes and carries no policy for the user. Its rows are exactly the key index rows of
// its keys, with the columns' values unchanged, so they can be read without running DuckDB's
// plan (RunDirectKeyLookup): the plan is still prepared (it gives the result's names and types
// and is the path for every value that is not a plain key). ORDER BY is done here with
// DuckDB's order: strings and blobs byte by byte, numbers, dates and timestamps by value, false
// before true, NULLs last unless NULLS FIRST; a statement that orders by a float or double
// column, by a position or expression, or by a name that is also an alias of another column
// runs the plan.
struct DirectKeyLayout;  // key_index_sql.cc
struct DirectKeyLookup {
  KeyIndexScan scan;
  std::vector<int> parameters;  // the $n giving the keys
  bool integer_key = false;
  struct Item {
    enum class Kind { kStar, kColumn, kValue } kind = Kind::kColumn;
    std::string column;  // kColumn
    int parameter = 0;   // kValue: the $n whose value it is
  };
  std::vector<Item> items;
  struct Order {
    size_t source = 0;  // position in scan.columns
    bool descending = false;
    bool nulls_first = false;
  };
  std::vector<Order> order;
  std::optional<int64_t> limit;  // LIMIT: at most this many rows (the first in `order`)
  // Filled by MatchResultColumns from the plan: the result's columns and, for each, its
  // position in scan.columns, or -n for the value of $n.
  std::vector<ColumnInfo> result_columns;
  std::vector<int> sources;
  // Made with `sources`: what each run reads and writes (copies of the lookup share it).
  std::shared_ptr<const DirectKeyLayout> layout;
};

// The direct lookup `statement` (as prepared, with $n) is, given the key-index scans its rewrite
// made and how many tables it reads; nullopt when it is anything more.
std::optional<DirectKeyLookup> DirectKeyLookupOf(std::string_view statement, const std::vector<KeyIndexScan>& scans,
                                                 size_t tables_read);
// Matches `plan_columns` (what DuckDB's plan of the statement returns) to the statement's items:
// a column by name, with the type a key-index scan gives it; a value by position. False when
// one does not match, and the plan must then run.
bool MatchResultColumns(DirectKeyLookup& lookup, const std::vector<ColumnInfo>& plan_columns);
// The value of a `$n AS name` item, as the result's column reads it: `integer` for an INTEGER
// (in its range) or BIGINT column, `text` for a VARCHAR one.
struct DirectValue {
  int64_t integer = 0;
  std::string text;
};
// The rows the plan would return: `keys[n - 1]` is the key of parameter $n (nullopt: NULL,
// which equals nothing), `values[n - 1]` the value of a `$n AS name` item.
Result<std::unique_ptr<QueryResult>> RunDirectKeyLookup(const DirectKeyLookup& lookup,
                                                        const std::vector<std::optional<std::string>>& keys,
                                                        const std::vector<DirectValue>& values);

// Starts the lookups of `scans` (the key-index scans of one statement) on the prefetcher's
// threads (storage::KeyIndexPrefetcher), so that their disk reads overlap instead of following
// one another as the statement runs them; `parameter_values[n - 1]` is the key of parameter $n
// (nullopt or absent: none). Pairs of file and key outside the file's known key range are left
// out; nothing is started for fewer than two lookups (one gains nothing from it).
void PrefetchKeyLookups(const std::vector<KeyIndexScan>& scans,
                        const std::vector<std::optional<std::string>>& parameter_values);

// The scan SQL of `plan` restricted to rows whose key column (`key_field_id`) equals one of the
// values `predicates` fix it to, read from key indexes; nullopt when the key index path does not
// apply (see the file comment). A plan with no files (a table without rows) takes the path for
// a lookup by any string, int or long column, key index or not (`key_field_id` 0): it reads
// nothing.
std::optional<KeyIndexScan> KeyIndexScanSql(const storage::ScanPlan& plan, int key_field_id,
                                            const storage::iceberg::Schema& schema,
                                            const std::vector<ColumnPredicate>& predicates);

// The key a parameter's value gives, from its SQL literal text as RunPrepared receives it
// (`42`, `'42'`, `CAST('42' AS BIGINT)`, `NULL`): for an integer key the value as a decimal
// int64, for a string key the string of a string literal; nullopt for NULL (it equals
// nothing). InvalidArgument when the literal gives no such key (the statement must then be run
// with the literal in its text, where DuckDB's own casts decide).
Result<std::optional<std::string>> KeyOfLiteral(std::string_view literal, bool integer_key);

// While alive, medlake_key_rows() of `registration` (RegisterKeyIndexFunction) run on `conn`
// reads the keys of parameter $n from values[n - 1] (nullopt: NULL). One per connection at a
// time; `values` must outlive it.
class KeyParameterValues {
 public:
  KeyParameterValues(uint64_t registration, Connection& conn, const std::vector<std::optional<std::string>>& values);
  ~KeyParameterValues();
  KeyParameterValues(const KeyParameterValues&) = delete;
  KeyParameterValues& operator=(const KeyParameterValues&) = delete;

 private:
  uint64_t registration_;
  uint64_t connection_id_;
};

// Registers medlake_key_rows(spec VARCHAR, keys VARCHAR[]) in `conn`'s database: the rows of
// the key indexes and columns `spec` names (JSON, written by KeyIndexScanSql) whose key is in
// `keys` or given by the parameters `spec` names (KeyParameterValues). Returns the
// registration's id, which KeyParameterValues takes.
Result<uint64_t> RegisterKeyIndexFunction(Connection& conn);

}  // namespace medlake::engine
