// engine/access_control.h: the one enforcement point's contract (ARCHITECTURE.md section 3).
//
// A LakeSession opened with an AccessController runs *untrusted* SQL on behalf of a principal:
//   - every statement is first offered to the controller (GRANT, CREATE USER, SET medlake.purpose
//     and the other statements the security and governance layers own);
//   - lake DDL/DML is checked with CheckWrite before it runs;
//   - queries are parsed by DuckDB, checked by engine/sql_guard (no file functions, ATTACH, COPY,
//     settings, replacement scans of file paths, internal functions), and every lake table
//     reference becomes a subquery with the principal's row filter and column masks applied
//     (ReadAccess); the statement that runs is the rewritten tree, never the original text;
//   - the DuckDB instance is locked (no external access outside the lake, no extension loading,
//     configuration locked);
//   - each statement, allowed or not, is reported to RecordStatement for the audit log.
// Without a controller the session is trusted (internal jobs: ingestion, pipelines): no checks.
//
// The engine does not know users or policies; the security module implements this interface.
//
// Thread-safety: a controller belongs to one session (one thread at a time).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "storage/catalog.h"

namespace medlake::engine {

// A statement the controller ran itself: a message, or rows to show (the SQL text of a trusted
// query over constants, e.g. a VALUES list, which the session runs to stream them).
struct HandledStatement {
  std::string message;
  std::string rows_sql;
  Status error;  // the statement was the controller's and failed (already audited by it)
};

// A column of a lake table as the scan exposes it.
struct AccessColumn {
  int field_id = 0;
  std::string name;
  std::string duckdb_type;  // e.g. "VARCHAR", "DATE", "DECIMAL(18,3)"
};

// What a principal may see of one lake table.
struct TableAccess {
  // Field ids of columns the principal may not read: they are left out of the scan, as if the
  // table did not have them.
  std::set<int> hidden_fields;
  // Field id -> SQL expression replacing the column's value. "{col}" in the text stands for the
  // (quoted) column; the expression must keep the column's type or one castable to text.
  std::map<int, std::string> masks;
  // Field ids of masks whose value has the column's own type (all but a keyed hash or partial
  // mask of a non-text column, which give text).
  std::set<int> masks_keep_type;
  // Field ids of DATE columns masked to the first day of their year: a caller's comparison of
  // the masked value with a date is also a range on the stored date, which the scan applies
  // first (the same rows; DuckDB pushes a range into the Parquet reader, not a masked value).
  std::set<int> year_masked_dates;
  // SQL boolean over the table's columns (current names); empty: every row. Rows where it is not
  // true are removed, and every column of them reads as NULL to the rest of the query, so no
  // predicate, function or error of the caller's query can observe their values.
  std::string row_filter;
  // Conjuncts of row_filter that say "this text column holds one of these values" (a policy's
  // `col IN user.attr`). The scan skips the data files none of whose rows can pass them and,
  // when row_filter is only such terms (row_filter_is_sets) and every file read is known to pass
  // whole (an identity partition value or equal column bounds in the set), leaves the per-row
  // filter out: no row it reads is hidden.
  struct ValueSetTerm {
    std::string column;  // current name
    std::vector<std::string> values;
  };
  std::vector<ValueSetTerm> row_filter_sets;
  bool row_filter_is_sets = false;
  // Human-readable decisions for the audit ("mask redact on curated.person.dni", ...).
  std::vector<std::string> decisions;

  bool unrestricted() const { return hidden_fields.empty() && masks.empty() && row_filter.empty(); }
};

enum class WriteKind {
  kCreateNamespace,  // ns
  kDropNamespace,    // ns
  kCreateTable,      // ns (table: the new name)
  kDropTable,        // ns.table
  kAlterTable,       // ns.table
  kInsert,           // ns.table
  kModify,           // ns.table: UPDATE, DELETE
  kMerge,            // ns.table: MERGE (its WHEN clauses are text DuckDB runs unparsed by medlake)
  kRenameTable,      // ns.table (ALTER TABLE ... RENAME TO)
  kCall,             // CALL medlake.<procedure>; table: the procedure name
};

// What the principal may do with one namespace or table, for clients that ask before they act
// (PostgreSQL's has_table_privilege, BI tools deciding whether to offer writes). It answers from
// grants as ReadAccess and CheckWrite would, without running anything; a purpose of use that a
// policy requires is checked only when the table is read.
struct ObjectPrivileges {
  bool usage = false;      // the namespace may be used (every table privilege needs it)
  bool select = false;     // every column may be read (policies may still filter and mask)
  std::vector<std::string> select_columns;  // columns readable through column grants only
  bool insert = false;
  bool modify = false;     // UPDATE, DELETE (MERGE is for admins)
  bool ownership = false;  // DDL (CREATE TABLE in a namespace, ALTER, DROP); the fields above
                           // say what an owner may do besides
  // The privilege may be passed on with GRANT (WITH GRANT OPTION, or ownership).
  bool select_grantable = false;
  bool insert_grantable = false;
  bool modify_grantable = false;
};

// What one statement did, for the audit log.
struct StatementAudit {
  std::string statement;
  std::string outcome;  // "ok", "denied", "error"
  std::string error;
  std::vector<std::string> tables;   // "ns.table" read or written
  std::vector<std::string> columns;  // "ns.table.column" read (columns the query names; all for *)
  std::vector<std::string> decisions;
  int64_t rows = -1;                 // rows returned (as read by the front end) or changed
};

class AccessController {
 public:
  virtual ~AccessController() = default;

  // Statements owned by the layers above the engine. nullopt: not one of theirs.
  virtual Result<std::optional<HandledStatement>> HandleStatement(std::string_view sql) = 0;

  // Reading `table` (at any snapshot, metadata tables included). PermissionDenied when the
  // principal may not read it at all (no privilege, a required purpose of use not declared).
  // `columns` is the table's current schema.
  virtual Result<TableAccess> ReadAccess(const storage::TableIdentifier& table,
                                         const std::vector<AccessColumn>& columns) = 0;

  // A write or DDL statement. PermissionDenied when not allowed.
  virtual Status CheckWrite(WriteKind kind, const std::string& ns, const std::string& table) = 0;

  // The principal's privileges on `ns.table`, on namespace `ns` (table empty), or on the lake
  // itself (both empty: ownership means CREATE SCHEMA is allowed), as of the last
  // BeginStatement. Default: none.
  virtual Result<ObjectPrivileges> PrivilegesOn(const std::string& ns, const std::string& table) {
    (void)ns;
    (void)table;
    return ObjectPrivileges{};
  }

  // Tables that are not Iceberg tables but views the controller provides (the audit log to
  // auditors, catalog metadata): the SQL text of a query, nullopt when `ns.name` is not one,
  // PermissionDenied when the principal may not read it.
  virtual Result<std::optional<std::string>> VirtualTable(const std::string& ns,
                                                          const std::string& name) = 0;

  // The secret key of keyed-hash masks (medlake_keyed_hash in mask expressions).
  virtual std::string MaskHashKey() const = 0;

  // Directories DuckDB may read (besides the warehouse), e.g. the audit log's.
  virtual std::vector<std::string> ReadableDirectories() const = 0;

  // Called once per statement, after it ran (or failed, or was denied).
  virtual void RecordStatement(StatementAudit audit) = 0;

  // From BeginAuditGroup to EndAuditGroup the audit records of the statements are held and
  // then written together (one write and fdatasync instead of one per statement), for a request
  // of several statements whose results leave together, only after EndAuditGroup returned OK
  // (an error: nothing of them may leave; the session stops, as when a record cannot be
  // written). Default: records are written as they come.
  virtual void BeginAuditGroup() {}
  virtual Status EndAuditGroup() { return Status::OK(); }

  // The start of a statement that does not go through HandleStatement (a run of a prepared
  // query): pick up what other sessions changed; an error stops the statement. Default: OK.
  virtual Status BeginStatement() { return Status::OK(); }
  // A value that changes whenever ReadAccess or CheckWrite may answer differently than before
  // (grants, policies, tags, users, purpose, break-the-glass, or any commit to the catalog,
  // which moves table snapshots too). Prepared queries are reused only while it stays the same.
  // Empty: unknown, never reuse. Called after BeginStatement.
  virtual Result<std::string> AccessEpoch() { return std::string(); }
};

// BeginAuditGroup on `access` (may be null) for as long as it lives; End() writes the records
// (call it, and check it, before any result of the group leaves; the destructor ends a group
// left open, e.g. by an early error return, ignoring the outcome: nothing was sent).
class AuditGroup {
 public:
  explicit AuditGroup(AccessController* access) : access_(access) {
    if (access_ != nullptr) access_->BeginAuditGroup();
  }
  ~AuditGroup() { (void)End(); }
  AuditGroup(const AuditGroup&) = delete;
  AuditGroup& operator=(const AuditGroup&) = delete;
  Status End() {
    AccessController* a = access_;
    access_ = nullptr;
    return a != nullptr ? a->EndAuditGroup() : Status::OK();
  }

 private:
  AccessController* access_;
};

}  // namespace medlake::engine
