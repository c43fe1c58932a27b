#include "cli/catalog_command.h"

#include <map>
#include <optional>
#include <set>
#include <utility>

#include "engine/lake_session.h"
#include "engine/sql_lexer.h"
#include "governance/classifier.h"
#include "governance/statements.h"
#include "governance/tag_vocabulary.h"
#include "storage/lake.h"

namespace medlake::cli {
namespace {

int Fail(std::FILE* err, const Status& st, int code = 1) {
  std::fprintf(err, "Error: %s\n", st.ToString().c_str());
  return code;
}

std::string Join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

std::string Join(const std::set<std::string>& items, const char* sep) {
  return Join(std::vector<std::string>(items.begin(), items.end()), sep);
}

// The object as SQL: "SCHEMA ns", "TABLE ns.t", and for a column "COLUMN ns.t.c" (COMMENT ON) or
// "TABLE ns.t ALTER COLUMN c" (ALTER).
std::string ObjectSql(const governance::ObjectRef& o, bool comment) {
  using engine::QuoteIdentifier;
  switch (o.kind()) {
    case governance::ObjectKind::kNamespace: return "SCHEMA " + QuoteIdentifier(o.ns);
    case governance::ObjectKind::kTable:
      return "TABLE " + QuoteIdentifier(o.ns) + "." + QuoteIdentifier(o.table);
    case governance::ObjectKind::kColumn:
      if (comment) {
        return "COLUMN " + QuoteIdentifier(o.ns) + "." + QuoteIdentifier(o.table) + "." +
               QuoteIdentifier(o.column);
      }
      return "TABLE " + QuoteIdentifier(o.ns) + "." + QuoteIdentifier(o.table) + " ALTER COLUMN " +
             QuoteIdentifier(o.column);
  }
  return "";
}

struct Section {
  std::string title;
  std::string sql;
};

int Show(const CatalogCommandOptions& options, const storage::Lake& lake, std::FILE* out,
         std::FILE* err) {
  if (options.targets.size() > 1) {
    return Fail(err, InvalidArgument("catalog show takes at most one NS or NS.TABLE"), 2);
  }
  // A trusted session only for its DuckDB connection: the views are constants, no lake data.
  auto session = engine::LakeSession::Open(lake);
  if (!session.ok()) return Fail(err, session.status());
  auto store = governance::MetadataStore::Open(lake, (*session)->file_system());
  if (!store.ok()) return Fail(err, store.status());
  std::optional<governance::ObjectRef> target;
  if (!options.targets.empty()) {
    auto parsed = governance::ParseObjectRef(options.targets[0]);
    if (!parsed.ok()) return Fail(err, parsed.status(), 2);
    if (parsed->kind() == governance::ObjectKind::kColumn) {
      return Fail(err, InvalidArgument("catalog show takes NS or NS.TABLE, not a column"), 2);
    }
    Status exists = (*store)->Resolve(*parsed).status();
    if (!exists.ok()) return Fail(err, exists);
    target = *parsed;
  }
  std::map<std::string, std::string> views;
  for (const char* name : {"schemas", "tables", "columns", "tags"}) {
    auto sql = governance::CatalogTableSql(**store, name);
    if (!sql.ok()) return Fail(err, sql.status());
    views[name] = "(" + *sql + ")";
  }
  const std::string list_tags = "coalesce(array_to_string(tags, ', '), '') AS tags";
  const std::string table_columns =
      "SELECT ns || '.' || table_name AS \"table\", description, owner, steward, " + list_tags +
      " FROM " + views["tables"];
  std::vector<Section> sections;
  if (!target) {
    sections.push_back({"Namespaces", "SELECT ns, description, owner, steward, " + list_tags +
                                          " FROM " + views["schemas"] + " ORDER BY ns"});
    sections.push_back({"Tables", table_columns + " ORDER BY 1"});
  } else if (target->kind() == governance::ObjectKind::kNamespace) {
    const std::string ns = engine::QuoteString(target->ns);
    sections.push_back(
        {"Namespace " + target->ns,
         "SELECT description, owner, steward, coalesce(array_to_string(glossary_terms, ', '), '') "
         "AS glossary, " +
             list_tags + " FROM " + views["schemas"] + " WHERE ns = " + ns});
    sections.push_back({"Tables", table_columns + " WHERE ns = " + ns + " ORDER BY 1"});
  } else {
    const std::string where = " WHERE ns = " + engine::QuoteString(target->ns) +
                              " AND table_name = " + engine::QuoteString(target->table);
    sections.push_back(
        {"Table " + target->ToString(),
         "SELECT description, owner, steward, coalesce(array_to_string(glossary_terms, ', '), '') "
         "AS glossary, " +
             list_tags + " FROM " + views["tables"] + where});
    sections.push_back({"Columns", "SELECT column_name AS \"column\", type, description, " +
                                       list_tags + " FROM " + views["columns"] + where +
                                       " ORDER BY field_id"});
    sections.push_back({"Tags",
                        "SELECT CASE WHEN column_name = '' THEN '(table)' ELSE column_name END "
                        "AS object, tag, source, detail FROM " +
                            views["tags"] + where +
                            " ORDER BY column_name <> '', column_name, tag, source"});
  }
  for (size_t i = 0; i < sections.size(); ++i) {
    if (options.format == OutputFormat::kTable) {
      std::fprintf(out, "%s%s\n", i ? "\n" : "", sections[i].title.c_str());
    }
    auto result = (*session)->connection().Query(sections[i].sql);
    if (!result.ok()) return Fail(err, result.status());
    Status written = WriteResult(**result, options.format, out);
    if (!written.ok()) return Fail(err, written);
  }
  return 0;
}

int Classify(const CatalogCommandOptions& options, const storage::Lake& lake, std::FILE* out,
             std::FILE* err) {
  std::vector<storage::TableIdentifier> tables;
  for (const auto& t : options.targets) {
    auto id = storage::ParseTableIdentifier(t);
    if (!id.ok()) return Fail(err, id.status(), 2);
    tables.push_back(*id);
  }
  if (options.sample_values < 0) return Fail(err, InvalidArgument("--sample must be >= 0"), 2);
  // Classification reads raw values: a job for the owner and admins, audited as one.
  std::string command_line = "medlake catalog classify";
  for (const auto& t : options.targets) command_line += " " + t;
  Status authorized = AuthorizeJob(lake, options.who, command_line);
  if (!authorized.ok()) return Fail(err, authorized);

  auto session = engine::LakeSession::Open(lake);
  if (!session.ok()) return Fail(err, session.status());
  auto store = governance::MetadataStore::Open(lake, (*session)->file_system());
  if (!store.ok()) return Fail(err, store.status());
  if (tables.empty()) {
    // Whole lake: first forget the metadata of dropped objects and refresh renamed ones.
    auto reconciled = (*store)->Reconcile();
    if (!reconciled.ok()) {
      std::fprintf(err, "Warning: %s\n", reconciled.status().ToString().c_str());
    } else if (reconciled->removed > 0 || reconciled->renamed > 0) {
      std::fprintf(out, "catalog: %lld rows of dropped objects removed, %lld renamed\n",
                   static_cast<long long>(reconciled->removed),
                   static_cast<long long>(reconciled->renamed));
    }
    auto namespaces = (*store)->catalog().ListNamespaces();
    if (!namespaces.ok()) return Fail(err, namespaces.status());
    for (const auto& ns : *namespaces) {
      auto ids = (*store)->catalog().ListTables(ns);
      if (!ids.ok()) return Fail(err, ids.status());
      tables.insert(tables.end(), ids->begin(), ids->end());
    }
  }
  governance::ClassifierOptions classifier;
  classifier.sample_values = options.sample_values;
  int failed = 0;
  for (const auto& id : tables) {
    auto c = governance::ClassifyTable(**session, **store, id, classifier);
    if (!c.ok()) {
      std::fprintf(err, "Error: %s: %s\n", id.ToString().c_str(), c.status().ToString().c_str());
      ++failed;
      continue;
    }
    std::fprintf(out, "%s: %lld columns sampled (%lld values), tags +%lld -%lld\n",
                 id.ToString().c_str(), static_cast<long long>(c->sampled_columns),
                 static_cast<long long>(c->sampled_values), static_cast<long long>(c->write.added),
                 static_cast<long long>(c->write.removed));
    if (!c->findings.table_tags.empty()) {
      std::fprintf(out, "  (table) %s  [%s]\n", Join(c->findings.table_tags, ", ").c_str(),
                   Join(c->findings.table_reasons, "; ").c_str());
    }
    for (const auto& col : c->findings.columns) {
      std::fprintf(out, "  %s: %s  [%s]\n", col.column.c_str(), Join(col.tags, ", ").c_str(),
                   Join(col.reasons, "; ").c_str());
    }
    for (const auto& s : c->write.suppressed) {
      std::fprintf(out, "  %s: %s not set (removed by hand)\n",
                   s.object.column.empty() ? "(table)" : s.object.column.c_str(), s.tag.c_str());
    }
  }
  if (!options.no_propagate) {
    auto p = governance::PropagateTags(**session, **store);
    if (!p.ok()) return Fail(err, p.status().WithContext("propagating tags along lineage"));
    std::fprintf(out,
                 "lineage: %lld column edges (%lld naming dropped objects), tags +%lld -%lld\n",
                 static_cast<long long>(p->edges), static_cast<long long>(p->unresolved_edges),
                 static_cast<long long>(p->write.added), static_cast<long long>(p->write.removed));
  }
  std::fprintf(out, "%zu tables classified, %d failed\n",
               tables.size() - static_cast<size_t>(failed), failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace

Result<std::string> ClassifyWrittenTables(engine::LakeSession& session, const storage::Lake& lake,
                                          const std::vector<storage::TableIdentifier>& tables, bool propagate) {
  MEDLAKE_ASSIGN_OR_RETURN(auto store, governance::MetadataStore::Open(lake, session.file_system()));
  int64_t added = 0, removed = 0;
  for (const auto& id : tables) {
    MEDLAKE_ASSIGN_OR_RETURN(auto c, governance::ClassifyTable(session, *store, id));
    added += c.write.added;
    removed += c.write.removed;
  }
  std::string line = "catalog: " + std::to_string(tables.size()) + " tables classified, tags +" +
                     std::to_string(added) + " -" + std::to_string(removed);
  if (propagate) {
    MEDLAKE_ASSIGN_OR_RETURN(auto p, governance::PropagateTags(session, *store));
    line += "; lineage tags +" + std::to_string(p.write.added) + " -" + std::to_string(p.write.removed);
  }
  return line;
}

namespace {

int Edit(const CatalogCommandOptions& options, const storage::Lake& lake, std::FILE* out,
         std::FILE* err) {
  auto sql = CatalogEditSql(options);
  if (!sql.ok()) return Fail(err, sql.status(), 2);
  auto session = OpenUserSession(lake, options.who);
  if (!session.ok()) return Fail(err, session.status());
  std::string message;
  Status st = (*session)->Run(*sql, [&](size_t, engine::StatementOutcome& o) {
    message = o.message;
    return Status::OK();
  });
  if (!st.ok()) return Fail(err, st);
  std::fprintf(out, "%s\n", message.empty() ? "ok" : message.c_str());
  return 0;
}

}  // namespace

Result<std::string> CatalogEditSql(const CatalogCommandOptions& options) {
  MEDLAKE_ASSIGN_OR_RETURN(governance::ObjectRef o, governance::ParseObjectRef(options.object));
  if (options.action == "describe") {
    return "COMMENT ON " + ObjectSql(o, /*comment=*/true) + " IS " +
           (options.text.empty() ? std::string("NULL") : engine::QuoteString(options.text));
  }
  if (options.action != "tag" && options.action != "untag") {
    return InvalidArgument("no statement for catalog " + options.action);
  }
  if (options.tags.empty()) {
    return InvalidArgument("catalog " + options.action + " needs at least one tag");
  }
  std::string list;
  for (const auto& t : options.tags) {
    MEDLAKE_RETURN_IF_ERROR(governance::ValidateTagName(t));
    list += (list.empty() ? "" : ", ") + engine::QuoteString(t);
  }
  return "ALTER " + ObjectSql(o, /*comment=*/false) +
         (options.action == "tag" ? " SET TAGS (" : " UNSET TAGS (") + list + ")";
}

int RunCatalogCommand(const CatalogCommandOptions& options, std::FILE* out, std::FILE* err) {
  const std::string& a = options.action;
  if (a != "show" && a != "classify" && a != "tag" && a != "untag" && a != "describe") {
    return Fail(err, InvalidArgument("unknown catalog action '" + a + "'"), 2);
  }
  auto lake = storage::Lake::Open(options.lake);
  if (!lake.ok()) return Fail(err, lake.status());
  if (a == "show") return Show(options, **lake, out, err);
  if (a == "classify") return Classify(options, **lake, out, err);
  return Edit(options, **lake, out, err);
}

}  // namespace medlake::cli
