#include "governance/classifier.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "engine/scan_sql.h"
#include "engine/sql_lexer.h"
#include "governance/tag_vocabulary.h"
#include "storage/iceberg/schema.h"
#include "storage/table.h"

namespace medlake::governance {
namespace {

namespace ib = storage::iceberg;

// Sampled values longer than this are cut: every pattern we look for is short, and a record's
// kind shows in its first bytes.
constexpr int kSampleValueBytes = 1024;
// Stored reasons are cut at this size.
constexpr size_t kDetailBytes = 500;

// The part of `plan` that the sample reads: its oldest data files (by data sequence number, then
// path, so that the same table gives the same sample run after run) until they hold `rows`
// rows, with the delete files that may apply to them. The whole table would make every sample
// of a large table with deletes a scan of everything (the sample's LIMIT stops a plain scan
// early, not one that must first be matched against the deletes).
storage::ScanPlan SamplePlan(storage::ScanPlan plan, int64_t rows) {
  std::sort(plan.data_files.begin(), plan.data_files.end(), [](const auto& a, const auto& b) {
    return std::tie(a.data_sequence_number, a.original_path) < std::tie(b.data_sequence_number, b.original_path);
  });
  std::set<std::string> kept;
  int64_t total = 0;
  size_t n = 0;
  while (n < plan.data_files.size() && (n == 0 || total < rows)) {
    total += plan.data_files[n].record_count;
    kept.insert(plan.data_files[n].original_path);
    ++n;
  }
  plan.data_files.resize(n);
  std::erase_if(plan.delete_files, [&](const storage::ScanDeleteFile& d) {
    return !d.referenced_data_file.empty() && !kept.count(d.referenced_data_file);
  });
  return plan;
}

std::string JoinReasons(const std::vector<std::string>& reasons) {
  std::string out;
  for (const auto& r : reasons) {
    if (!out.empty()) out += "; ";
    out += r;
  }
  if (out.size() > kDetailBytes) out = out.substr(0, kDetailBytes - 3) + "...";
  return out;
}

// Runs `sql` on `session` and returns the first column of every row as text (NULL skipped).
Result<std::vector<std::string>> FirstColumn(engine::LakeSession& session, const std::string& sql) {
  std::vector<std::string> out;
  MEDLAKE_RETURN_IF_ERROR(session.Run(sql, [&](size_t, engine::StatementOutcome& o) -> Status {
    if (o.rows == nullptr) return Status::OK();
    while (true) {
      MEDLAKE_ASSIGN_OR_RETURN(auto chunk, o.rows->Next());
      if (chunk == nullptr) return Status::OK();
      for (size_t r = 0; r < chunk->size(); ++r) {
        if (!chunk->IsNull(0, r)) out.emplace_back(chunk->GetString(0, r));
      }
    }
  }));
  return out;
}

}  // namespace

Result<TableClassification> ClassifyTable(engine::LakeSession& session, MetadataStore& store,
                                          const storage::TableIdentifier& table,
                                          const ClassifierOptions& options) {
  MEDLAKE_ASSIGN_OR_RETURN(
      auto lake_table, storage::LakeTable::Load(session.catalog(), session.file_system(), table));
  MEDLAKE_ASSIGN_OR_RETURN(const ib::Schema* schema, ib::CurrentSchema(lake_table->metadata()));
  TableClassification out;
  out.table = table;
  std::vector<ColumnSample> samples;
  // One statement samples every text column: a branch per column, tagged with its position,
  // each with its own "IS NOT NULL ... LIMIT". (A statement per column cost a rewrite and a
  // DuckDB plan each: ~70 ms after every ingest of the four raw tables.)
  std::string sql;
  std::string cut;  // the sampled columns, cut to kSampleValueBytes, as the sample table keeps them
  for (const auto& field : schema->fields) {
    ColumnSample sample;
    sample.name = field.name;
    const ib::TypeId type = field.type.id;
    if (options.sample_values > 0 && (type == ib::TypeId::kString || type == ib::TypeId::kBinary)) {
      const std::string c = engine::QuoteIdentifier(field.name);
      cut += std::string(cut.empty() ? "" : ", ") + "left(CAST(" + c + " AS VARCHAR), " +
             std::to_string(kSampleValueBytes) + ") AS " + c;
      sql += std::string(sql.empty() ? "" : " UNION ALL ") + "(SELECT " + std::to_string(samples.size()) +
             "::BIGINT AS k, " + c + " AS v FROM temp.__sampled WHERE " + c + " IS NOT NULL LIMIT " +
             std::to_string(options.sample_values) + ")";
      sample.sampled = true;
      ++out.sampled_columns;
    }
    samples.push_back(std::move(sample));
  }
  if (!sql.empty()) {
    // The sampled rows are read once, into a table of the session that each column's branch
    // reads (straight from the files: a trusted job, see the header).
    MEDLAKE_ASSIGN_OR_RETURN(storage::ScanPlan plan,
                             lake_table->PlanScan(lake_table->metadata().current_snapshot_id));
    MEDLAKE_ASSIGN_OR_RETURN(std::string scan, engine::BuildScanSql(SamplePlan(std::move(plan), options.sample_rows)));
    engine::Connection& conn = session.connection();
    MEDLAKE_RETURN_IF_ERROR(conn.Execute("CREATE OR REPLACE TEMP TABLE __sampled AS SELECT " + cut + " FROM (" + scan +
                                         ") LIMIT " + std::to_string(options.sample_rows)));
    struct Drop {
      engine::Connection& c;
      ~Drop() { (void)c.Execute("DROP TABLE IF EXISTS temp.__sampled"); }
    } drop{conn};
    Status st = [&]() -> Status {
      MEDLAKE_ASSIGN_OR_RETURN(auto result, conn.Query(sql));
      while (true) {
        MEDLAKE_ASSIGN_OR_RETURN(auto chunk, result->Next());
        if (chunk == nullptr) return Status::OK();
        for (size_t r = 0; r < chunk->size(); ++r) {
          const int64_t k = chunk->GetInt64(0, r);
          if (k < 0 || static_cast<size_t>(k) >= samples.size() || chunk->IsNull(1, r)) continue;
          samples[static_cast<size_t>(k)].values.emplace_back(chunk->GetString(1, r));
          ++out.sampled_values;
        }
      }
    }();
    if (!st.ok()) return st.WithContext("sampling the text columns of " + table.ToString());
  }
  out.findings = ClassifyColumns(table.ns, table.name, samples, options);

  std::vector<DerivedTag> tags;
  const std::string table_detail = JoinReasons(out.findings.table_reasons);
  for (const auto& t : out.findings.table_tags) {
    tags.push_back(DerivedTag{ObjectRef::Table(table.ns, table.name), t, table_detail});
  }
  for (const auto& c : out.findings.columns) {
    const std::string detail = JoinReasons(c.reasons);
    for (const auto& t : c.tags) {
      tags.push_back(DerivedTag{ObjectRef::Column(table.ns, table.name, c.column), t, detail});
    }
  }
  MEDLAKE_ASSIGN_OR_RETURN(out.write, store.ReplaceClassifierTags(table, tags, options.actor));
  return out;
}

Result<PropagationReport> PropagateTags(engine::LakeSession& session, MetadataStore& store,
                                        const std::string& actor) {
  PropagationReport report;
  const storage::TableIdentifier edges_table{"lineage", "edges"};
  MEDLAKE_ASSIGN_OR_RETURN(bool has_edges, session.catalog().TableExists(edges_table));

  // Column edges, as "from_table\x1Ffrom_column\x1Fto_table\x1Fto_column" rows (sorted, so the
  // upstream column named in `detail` is the same on every run).
  std::vector<std::string> rows;
  if (has_edges) {
    MEDLAKE_ASSIGN_OR_RETURN(
        rows, FirstColumn(session,
                          "SELECT DISTINCT concat_ws(chr(31), from_table, from_column, to_table, "
                          "to_column) AS e FROM lineage.edges WHERE level = 'column' AND "
                          "from_column <> '' AND to_column <> '' ORDER BY e"));
  }

  struct Node {
    ResolvedObject object;
    std::string display;  // "ns.table.column"
  };
  std::map<std::string, std::optional<Node>> nodes;  // "table\x1Fcolumn" -> resolved, or nullopt
  auto resolve = [&](const std::string& table, const std::string& column) -> Result<const Node*> {
    const std::string k = table + '\x1f' + column;
    auto it = nodes.find(k);
    if (it == nodes.end()) {
      std::optional<Node> node;
      auto id = storage::ParseTableIdentifier(table);  // "external:hl7" and the like fail here
      if (id.ok()) {
        auto resolved = store.Resolve(ObjectRef::Column(id->ns, id->name, column));
        if (resolved.ok()) {
          node = Node{*resolved, resolved->current.ToString()};
        } else if (resolved.status().code() != StatusCode::kNotFound) {
          return resolved.status().WithContext("lineage edge " + table + "." + column);
        }
      }
      it = nodes.emplace(k, std::move(node)).first;
    }
    return it->second ? &*it->second : nullptr;
  };

  std::vector<std::pair<const Node*, const Node*>> edges;
  for (const auto& row : rows) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
      size_t sep = row.find('\x1f', start);
      parts.push_back(
          row.substr(start, sep == std::string::npos ? std::string::npos : sep - start));
      if (sep == std::string::npos) break;
      start = sep + 1;
    }
    if (parts.size() != 4) continue;
    ++report.edges;
    MEDLAKE_ASSIGN_OR_RETURN(const Node* from, resolve(parts[0], parts[1]));
    MEDLAKE_ASSIGN_OR_RETURN(const Node* to, resolve(parts[2], parts[3]));
    if (from == nullptr || to == nullptr) {
      ++report.unresolved_edges;
      continue;
    }
    if (from->object.key != to->object.key) edges.emplace_back(from, to);
  }

  MEDLAKE_ASSIGN_OR_RETURN(auto own, store.TagsByKey(/*include_lineage=*/false));
  MEDLAKE_ASSIGN_OR_RETURN(auto suppressed, store.SuppressionsByKey());
  auto has = [](const std::map<std::string, std::set<std::string>>& m, const std::string& key,
                const std::string& tag) {
    auto it = m.find(key);
    return it != m.end() && it->second.count(tag) > 0;
  };

  // Fixed point: a tag flows along an edge unless the target has it already (own or derived)
  // or suppresses it. Sets only grow, so this ends (also on cycles).
  std::map<std::string, std::map<std::string, std::string>> derived;  // key -> tag -> detail
  std::map<std::string, const Node*> node_by_key;
  bool changed = true;
  while (changed) {
    changed = false;
    for (const auto& [from, to] : edges) {
      std::set<std::string> flowing;
      if (auto it = own.find(from->object.key); it != own.end()) {
        for (const auto& t : it->second) {
          if (IsClassificationTag(t)) flowing.insert(t);
        }
      }
      if (auto it = derived.find(from->object.key); it != derived.end()) {
        for (const auto& [t, detail] : it->second) flowing.insert(t);
      }
      // A whole record (an HL7 message, a FHIR resource) is not like the fields taken out of
      // it: those are health data of the person (phi and special categories flow), but whether
      // a field identifies someone is the classifier's call on that field.
      if (flowing.count(std::string(kTagPiiRecord))) {
        for (auto t = flowing.begin(); t != flowing.end();) {
          t = IsTableLevelClassificationTag(*t) ? std::next(t) : flowing.erase(t);
        }
      }
      for (const auto& t : flowing) {
        const std::string& key = to->object.key;
        if (has(suppressed, key, t) || has(own, key, t)) continue;
        auto& tags = derived[key];
        if (tags.count(t)) continue;
        tags[t] = from->display;
        node_by_key[key] = to;
        changed = true;
      }
    }
  }

  std::vector<DerivedTag> out;
  std::map<std::pair<std::string, std::string>, DerivedTag> table_tags;  // (table key, tag)
  for (const auto& [key, tags] : derived) {
    const Node* node = node_by_key[key];
    for (const auto& [tag, detail] : tags) {
      out.push_back(DerivedTag{node->object.current, tag, detail});
      if (!IsTableLevelClassificationTag(tag)) continue;
      const std::string& table_key = node->object.table_key;
      if (has(suppressed, table_key, tag) || has(own, table_key, tag)) continue;
      ObjectRef table = ObjectRef::Table(node->object.current.ns, node->object.current.table);
      table_tags.emplace(std::make_pair(table_key, tag), DerivedTag{table, tag, detail});
    }
  }
  for (auto& [key, tag] : table_tags) out.push_back(std::move(tag));
  MEDLAKE_ASSIGN_OR_RETURN(report.write, store.ReplaceLineageTags(out, actor));
  return report;
}

}  // namespace medlake::governance
