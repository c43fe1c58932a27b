// engine/lake_statement.h: recognises the statements medlake executes itself on lake tables
// (DDL and DML), and splits them into the clauses that DuckDB then parses and runs.
//
//   CREATE SCHEMA [IF NOT EXISTS] ns            DROP SCHEMA [IF EXISTS] ns
//   CREATE [OR REPLACE] TABLE [IF NOT EXISTS] ns.t (col type [NOT NULL], ...)
//       [PARTITIONED BY (col | bucket(N, col) | truncate(W, col) | year|month|day|hour(col), ...)]
//   CREATE [OR REPLACE] TABLE [IF NOT EXISTS] ns.t [PARTITIONED BY (...)] AS query
//   DROP TABLE [IF EXISTS] ns.t
//   INSERT INTO ns.t [(col, ...)] query | VALUES ...
//   DELETE FROM ns.t [WHERE condition]
//   UPDATE ns.t SET col = expr, ... [WHERE condition]
//   ALTER TABLE ns.t ADD [COLUMN] col type | DROP [COLUMN] col | RENAME [COLUMN] a TO b
//                    | ALTER [COLUMN] col [SET DATA] TYPE type | RENAME TO t2
//                    | SET TBLPROPERTIES ('key' = 'value', ...)
//                    | WRITE ORDERED BY col [ASC|DESC] [NULLS FIRST|LAST], ... | WRITE UNORDERED
//   CALL medlake.<procedure>('arg', ...)       lake procedures (register_table, ...)
//   MERGE INTO ns.t [[AS] alias] USING source ON ... WHEN [NOT] MATCHED ... (DuckDB's MERGE)
// Everything else is kOther (SELECT and friends go through the read path). Which namespaces are
// lake namespaces is decided by the caller (the catalog), not here.
//
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace medlake::engine {

struct QualifiedName {
  std::string ns;  // empty when the statement did not qualify the name
  std::string name;
};

struct PartitionClause {
  std::string transform;  // Iceberg form: "identity", "bucket[16]", "truncate[4]", "day", ...
  std::string column;
};

struct AlterAction {
  enum class Kind {
    kAddColumn,
    kDropColumn,
    kRenameColumn,
    kAlterColumnType,
    kRenameTable,
    kSetProperties,
    kWriteOrder,
  };
  Kind kind = Kind::kAddColumn;
  std::string column;
  std::string new_name;  // rename column / rename table
  std::string type;      // add column / alter type: DuckDB type text
  bool not_null = false;  // add column ... NOT NULL
  std::map<std::string, std::string> properties;  // SET TBLPROPERTIES ('key' = 'value', ...)
  struct OrderKey {
    std::string column;
    bool descending = false;
    bool nulls_last = false;
  };
  std::vector<OrderKey> order;  // WRITE ORDERED BY ... (empty: WRITE UNORDERED)
};

struct LakeStatement {
  enum class Kind {
    kOther,
    kCreateSchema,
    kDropSchema,
    kCreateTable,
    kCreateTableAs,
    kDropTable,
    kInsert,
    kDelete,
    kUpdate,
    kAlterTable,
    kCall,
    kMerge,
  };
  Kind kind = Kind::kOther;
  bool if_not_exists = false;
  bool if_exists = false;
  bool or_replace = false;
  bool cascade = false;
  bool temporary = false;  // CREATE TEMP TABLE: DuckDB's, never a lake statement
  std::string schema;                        // CREATE/DROP SCHEMA
  QualifiedName table;                       // table statements
  std::string column_definitions;            // CREATE TABLE: text inside the parentheses
  std::vector<PartitionClause> partition_by;
  std::string query;                         // CTAS and INSERT: the query text
  std::vector<std::string> insert_columns;   // INSERT: explicit target columns
  std::string where;                         // DELETE/UPDATE: condition text ("" = all rows)
  std::vector<std::pair<std::string, std::string>> assignments;  // UPDATE: column, expression
  std::optional<AlterAction> alter;
  std::string procedure;              // CALL medlake.<procedure>
  std::vector<std::string> arguments;  // CALL: string or number literals, as text
  // MERGE: the statement text and the byte ranges of the target name and of the USING source
  // (a qualified table name or a parenthesised query), with whether each has an alias.
  std::string text;
  size_t target_begin = 0, target_end = 0;
  bool target_has_alias = false;
  size_t source_begin = 0, source_end = 0;
  bool source_is_query = false;
  bool source_has_alias = false;
  QualifiedName source_table;
};

// Recognises `sql` (one statement). InvalidArgument for a lake statement that is malformed
// (e.g. a bad PARTITIONED BY clause); kOther for anything it does not handle.
Result<LakeStatement> RecognizeLakeStatement(std::string_view sql);

}  // namespace medlake::engine
