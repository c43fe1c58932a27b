// governance/statements.h: the SQL statements that edit catalog metadata, and the catalog.*
// views that read it (docs/formats/catalog_metadata.md, "SQL").
//
//   COMMENT ON {SCHEMA ns | TABLE ns.t | COLUMN ns.t.c} IS 'text' | NULL
//   ALTER {SCHEMA ns | TABLE ns.t | TABLE ns.t ALTER [COLUMN] c} SET OWNER 'name' | NULL
//   ALTER {SCHEMA ns | TABLE ns.t | TABLE ns.t ALTER [COLUMN] c} SET STEWARD 'name' | NULL
//   ALTER {SCHEMA ns | TABLE ns.t | TABLE ns.t ALTER [COLUMN] c} SET TAGS ('tag', ...)
//   ALTER {SCHEMA ns | TABLE ns.t | TABLE ns.t ALTER [COLUMN] c} UNSET TAGS ('tag', ...)
//   ALTER {SCHEMA ns | TABLE ns.t | TABLE ns.t ALTER [COLUMN] c} SET GLOSSARY ('term', ...)
//
// A front end calls ParseGovernanceStatement on each statement before the lake statements and
// DuckDB see it: nullopt means "not ours" (every other ALTER, and COMMENT ON an unqualified
// table or on other object kinds, which stay DuckDB's). Authorization is the caller's: the
// security module checks the principal's privileges on GovernanceStatement::object first.
//
// Thread-safety: pure parsing; execution uses the caller's store (one thread at a time).
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "governance/metadata_store.h"
#include "storage/catalog.h"

namespace medlake::governance {

struct GovernanceStatement {
  enum class Kind { kComment, kSetOwner, kSetSteward, kSetTags, kUnsetTags, kSetGlossary };
  Kind kind = Kind::kComment;
  ObjectRef object;
  std::optional<std::string> text;  // comment, owner or steward; nullopt for NULL
  std::vector<std::string> values;  // tags or glossary terms
};

// Recognises a governance statement (one statement, an optional trailing ';'). nullopt when
// `sql` is not one; InvalidArgument, naming what was expected, for a statement that starts like
// one and is malformed (e.g. ALTER TABLE ns.t SET TAGS 'phi' without parentheses, an unknown
// keyword after SET OWNER, a tag name that is not valid, an empty tag list, trailing tokens).
Result<std::optional<GovernanceStatement>> ParseGovernanceStatement(std::string_view sql);

// Runs `statement` on `store`, recording `actor` as the author, and returns a short message
// ("COMMENT ON COLUMN s.t.c", "ALTER TABLE s.t SET TAGS (2)"). NotFound when the object does not
// exist; InvalidArgument for bad tags or glossary terms; store errors otherwise.
Result<std::string> ExecuteGovernanceStatement(const GovernanceStatement& statement,
                                               MetadataStore& store, const std::string& actor);

// The namespace of the virtual catalog views.
inline constexpr std::string_view kCatalogViewNamespace = "catalog";

// Names of the views CatalogTableSql knows: "schemas", "tables", "columns", "tags".
std::span<const std::string_view> CatalogViewNames();

// Which objects a reader may see in the views (null: all). Called with {ns, ""} for a
// namespace and {ns, table} for a table (its columns and tags follow the table).
using CatalogVisibility = std::function<bool(const storage::TableIdentifier&)>;

// A SQL query (runnable on any DuckDB connection, no lake references) returning the rows of
// the virtual table catalog.<which>, computed now:
//   schemas  ns, description, owner, steward, glossary_terms VARCHAR[], tags VARCHAR[]
//   tables   ns, table_name, description, owner, steward, glossary_terms VARCHAR[],
//            tags VARCHAR[]
//   columns  ns, table_name, column_name, field_id INTEGER, type, description,
//            glossary_terms VARCHAR[], tags VARCHAR[]
//   tags     ns, table_name, column_name, tag, source, detail, created_at TIMESTAMP, created_by
// (table_name and column_name are '' on namespace and table rows of `tags`; `columns` lists
// top-level columns). Namespaces and tables come from the store's catalog. InvalidArgument for
// an unknown view name; store and catalog errors otherwise (a table dropped while the rows are
// gathered is left out).
Result<std::string> CatalogTableSql(MetadataStore& store, const std::string& which,
                                    const CatalogVisibility& visible = nullptr);

}  // namespace medlake::governance
