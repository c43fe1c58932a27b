#include "pipeline/runner.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/crypto.h"
#include "core/uuid.h"
#include "engine/key_index_sql.h"
#include "engine/lake_executor.h"
#include "engine/lake_resolver.h"
#include "engine/scan_sql.h"
#include "engine/select_rewriter.h"
#include "engine/sql_lexer.h"
#include "ingest/raw_tables.h"
#include "pipeline/hl7_sql_functions.h"
#include "pipeline/lineage.h"
#include "pipeline/patient_index.h"
#include "pipeline/sof/view_definition.h"
#include "storage/table.h"

namespace medlake::pipeline {
namespace {

constexpr const char* kHashProperty = "medlake.model.hash";
constexpr const char* kSourcePropertyPrefix = "medlake.model.source.";
// Bumped when the way models are materialized changes, so that every model is rebuilt once.
constexpr const char* kMaterializationVersion = "1";
// The column marking a key value's "remove my rows" row in a keyed (@incremental_by) run.
constexpr const char* kKeyGoneColumn = "__medlake_key_gone";

// SQL helpers for models: hl7_text and code checks as temporary macros (they live in this
// session only); the HL7 v2 field helpers are native functions (hl7_sql_functions.h).
// Documented in docs/formats/pipeline_models.md.
constexpr const char* kPrelude = R"sql(
CREATE OR REPLACE TEMP MACRO hl7_text(payload) AS coalesce(try(decode(payload)), CAST(payload AS VARCHAR));
CREATE OR REPLACE TEMP MACRO luhn_ok(digits) AS
  regexp_full_match(coalesce(digits, ''), '[0-9]+') AND
  list_sum([CASE WHEN i % 2 = 1 THEN (2 * CAST(substr(reverse(digits), i + 1, 1) AS INTEGER)) // 10
                                     + (2 * CAST(substr(reverse(digits), i + 1, 1) AS INTEGER)) % 10
                 ELSE CAST(substr(reverse(digits), i + 1, 1) AS INTEGER) END
            FOR i IN range(length(digits))]) % 10 = 0;
CREATE OR REPLACE TEMP MACRO loinc_ok(code) AS
  coalesce(regexp_full_match(code, '[0-9]{1,7}-[0-9]') AND luhn_ok(replace(code, '-', '')), false);
CREATE OR REPLACE TEMP MACRO icd10_ok(code) AS
  coalesce(regexp_full_match(code, '[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?'), false);
CREATE OR REPLACE TEMP MACRO atc_ok(code) AS
  coalesce(regexp_full_match(code, '[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?'), false);
)sql";

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

class RecordingResolver : public engine::TableResolver {
 public:
  Result<std::optional<engine::ResolvedTable>> Resolve(const std::string& ns, const std::string& name,
                                             const std::optional<engine::AtClause>&,
                                             const std::vector<engine::ColumnPredicate>&) override {
    seen.insert(Lower(ns) + "." + Lower(name));
    return std::optional<engine::ResolvedTable>();
  }
  std::set<std::string> seen;
};

// How one model reads one source table in this run.
struct SourceRead {
  const storage::LakeTable* table = nullptr;
  std::optional<int64_t> snapshot;           // the source's snapshot read by this run
  std::optional<storage::ScanPlan> delta;    // set: read only these (appended) files
  std::string filter;                        // non-empty: read only the rows meeting this SQL condition
};

// Resolves the model's sources to scans of the pinned snapshot (or of the appended files);
// everything else (other lake tables, time travel) goes through the ordinary lake resolver.
class PipelineResolver : public engine::TableResolver {
 public:
  PipelineResolver(storage::Catalog& catalog, FileSystem& fs, std::map<std::string, SourceRead>* sources)
      : fallback_(catalog, fs), sources_(*sources) {}

  Result<std::optional<engine::ResolvedTable>> Resolve(const std::string& ns, const std::string& name,
                                             const std::optional<engine::AtClause>& at,
                                             const std::vector<engine::ColumnPredicate>& predicates) override {
    auto it = sources_.find(Lower(ns) + "." + Lower(name));
    if (at || it == sources_.end()) return fallback_.Resolve(ns, name, at, predicates);
    const SourceRead& src = it->second;
    storage::ScanPlan plan;
    if (src.delta) {
      plan = *src.delta;
    } else {
      MEDLAKE_ASSIGN_OR_RETURN(const storage::iceberg::Schema* schema,
                               storage::iceberg::CurrentSchema(src.table->metadata()));
      MEDLAKE_ASSIGN_OR_RETURN(plan, src.table->PlanScan(src.snapshot, engine::ToScanFilters(predicates, *schema)));
    }
    for (const auto& f : plan.data_files) rows_read += f.record_count;
    MEDLAKE_ASSIGN_OR_RETURN(std::string sql, engine::BuildScanSql(plan));
    if (!src.filter.empty()) sql = "SELECT * FROM (" + sql + ") AS __s WHERE " + src.filter;
    return std::optional<engine::ResolvedTable>(std::move(sql));
  }
  int64_t rows_read = 0;

 private:
  engine::LakeTableResolver fallback_;
  std::map<std::string, SourceRead>& sources_;
};

std::string ModelHash(const Model& m) {
  std::string kind = m.kind == Model::Kind::kSql ? "sql" : "view";
  return HexEncode(Sha256(std::string(kMaterializationVersion) + "\n" + kind + "\n" + m.text + "\n" + m.rules_text));
}

// Appends the run's quality results to quality.results (created on first use).
Status WriteQualityResults(engine::LakeSession& session, const std::string& run_id,
                           const std::vector<std::pair<std::string, QualityResult>>& results) {
  if (results.empty()) return Status::OK();
  auto ignore = [](size_t, engine::StatementOutcome&) { return Status::OK(); };
  MEDLAKE_RETURN_IF_ERROR(session.Run(
      "CREATE SCHEMA IF NOT EXISTS quality; "
      "CREATE TABLE IF NOT EXISTS quality.results (run_id VARCHAR NOT NULL, run_at TIMESTAMPTZ NOT NULL, "
      "model VARCHAR NOT NULL, rule VARCHAR NOT NULL, \"check\" VARCHAR NOT NULL, columns VARCHAR, "
      "severity VARCHAR NOT NULL, source VARCHAR, status VARCHAR NOT NULL, rows_checked BIGINT, "
      "rows_failed BIGINT, detail VARCHAR, run_mode VARCHAR); "
      // Tables written before run_mode existed gain it (older rows have NULL).
      "ALTER TABLE quality.results ADD COLUMN IF NOT EXISTS run_mode VARCHAR",
      ignore));
  std::string values;
  for (const auto& [model, r] : results) {
    values += std::string(values.empty() ? "" : ", ") + "(" + engine::QuoteString(run_id) + ", now(), " +
              engine::QuoteString(model) + ", " + engine::QuoteString(r.rule) + ", " + engine::QuoteString(r.check) + ", " +
              engine::QuoteString(r.column) + ", " + engine::QuoteString(r.severity) + ", " + engine::QuoteString(r.source) +
              ", " + engine::QuoteString(r.status) + ", " + std::to_string(r.rows_checked) + ", " +
              std::to_string(r.rows_failed) + ", " + engine::QuoteString(r.detail) + ", " +
              engine::QuoteString(r.run_mode) + ")";
  }
  return session.Run("INSERT INTO quality.results (run_id, run_at, model, rule, \"check\", columns, severity, source, "
                     "status, rows_checked, rows_failed, detail, run_mode) VALUES " + values,
                     ignore);
}

// Appends the value of a view column to the appender as `sql_type`.
Status AppendJson(engine::Appender& app, const nlohmann::json& v, const std::string& sql_type) {
  if (v.is_null()) return app.AppendNull();
  if (sql_type == "BOOLEAN") return v.is_boolean() ? app.AppendBool(v.get<bool>()) : app.AppendNull();
  if (sql_type == "BIGINT") {
    if (v.is_number_integer()) return app.AppendInt64(v.get<int64_t>());
    if (v.is_number()) return app.AppendInt64(static_cast<int64_t>(v.get<double>()));
    return app.AppendNull();
  }
  if (sql_type == "DOUBLE") return v.is_number() ? app.AppendDouble(v.get<double>()) : app.AppendNull();
  if (v.is_string()) return app.AppendString(v.get_ref<const std::string&>());
  return app.AppendString(v.dump());
}

// A keyed run that would replace more than 1/N of the values a table holds, and at least
// kKeyedRunShareFloor values, rebuilds it instead.
constexpr int64_t kKeyedRunMaxShareDenominator = 4;
constexpr int64_t kKeyedRunShareFloor = 1000;

// Steps written in C++ that take part in the graph like models.
struct NativeStep {
  std::string ns;
  std::string table;
  std::vector<std::string> deps;
  std::function<Status(engine::LakeSession&, const RunOptions&, ModelRun*)> run;
};

// Tables of the session that live as long as a scope (one model's build, one run), dropped when
// it ends whatever the outcome.
class ScopedTables {
 public:
  explicit ScopedTables(engine::Connection& conn) : conn_(conn) {}
  ~ScopedTables() {
    for (const auto& t : tables_) (void)conn_.Execute("DROP TABLE IF EXISTS " + t);
  }
  ScopedTables(const ScopedTables&) = delete;
  ScopedTables& operator=(const ScopedTables&) = delete;

  // A fresh name `main.__medlake_<kind>_<random hex>`, to be dropped with the others.
  Result<std::string> Name(const std::string& kind) {
    MEDLAKE_ASSIGN_OR_RETURN(std::string suffix, RandomHex(6));
    tables_.push_back("main.__medlake_" + kind + "_" + suffix);
    return tables_.back();
  }

 private:
  engine::Connection& conn_;
  std::vector<std::string> tables_;
};

class Runner {
 public:
  Runner(engine::LakeSession& session, const RunOptions& options)
      : s_(session), options_(options), run_tables_(session.connection()) {}
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Runs `m` (with `native` set, the C++ step standing for it) unless a dependency did not build.
  ModelRun Run(const Model& m, const std::vector<std::string>& deps, const std::set<std::string>& failed,
               const NativeStep* native) {
    auto start = std::chrono::steady_clock::now();
    ModelRun run;
    run.model = m.name();
    for (const auto& d : deps) {
      if (failed.count(d)) {
        run.outcome = ModelRun::Outcome::kSkipped;
        run.reason = "depends on " + d + ", which did not build";
        return run;
      }
    }
    Status st = native != nullptr ? native->run(s_, options_, &run) : Build(m, deps, &run);
    if (!st.ok() && run.outcome != ModelRun::Outcome::kSkipped) {
      run.outcome = ModelRun::Outcome::kFailed;
      run.reason = st.ToString();
    }
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return run;
  }

 private:
  Status Build(const Model& m, const std::vector<std::string>& deps, ModelRun* run) {
    storage::Catalog& catalog = s_.catalog();
    FileSystem& fs = s_.file_system();
    storage::TableIdentifier id{m.ns, m.table};
    // Sources: the dependencies that are tables of the lake now.
    std::vector<std::unique_ptr<storage::LakeTable>> loaded;
    std::map<std::string, SourceRead> sources;
    for (const auto& d : deps) {
      MEDLAKE_ASSIGN_OR_RETURN(storage::TableIdentifier sid, storage::ParseTableIdentifier(d));
      // DuckDB's own schemas (temporary tables, macros, catalogs) are not lake tables.
      static const std::set<std::string> kDuckDbSchemas = {"main", "temp", "information_schema", "pg_catalog",
                                                           "system", "memory"};
      if (kDuckDbSchemas.count(sid.ns)) continue;
      MEDLAKE_ASSIGN_OR_RETURN(bool ns_exists, catalog.NamespaceExists(sid.ns));
      MEDLAKE_ASSIGN_OR_RETURN(bool exists, ns_exists ? catalog.TableExists(sid) : Result<bool>(false));
      if (!exists) {
        run->outcome = ModelRun::Outcome::kSkipped;
        run->reason = "reads " + d + ", which does not exist yet";
        return InvalidArgument(run->reason);
      }
      MEDLAKE_ASSIGN_OR_RETURN(auto t, storage::LakeTable::Load(catalog, fs, sid));
      SourceRead src;
      src.table = t.get();
      src.snapshot = t->metadata().current_snapshot_id;
      sources[d] = src;
      loaded.push_back(std::move(t));
    }
    MEDLAKE_ASSIGN_OR_RETURN(bool ns_exists, catalog.NamespaceExists(m.ns));
    if (!ns_exists) MEDLAKE_RETURN_IF_ERROR(catalog.CreateNamespace(m.ns));
    std::unique_ptr<storage::LakeTable> target;
    {
      auto t = storage::LakeTable::Load(catalog, fs, id);
      if (t.ok()) {
        target = std::move(*t);
      } else if (t.status().code() != StatusCode::kNotFound) {
        return t.status();
      }
    }
    const std::string hash = ModelHash(m);
    std::map<std::string, std::string> properties{{kHashProperty, hash}};
    for (const auto& [name, src] : sources) {
      properties[kSourcePropertyPrefix + name] = src.snapshot ? std::to_string(*src.snapshot) : "none";
    }
    // The model's key index is the table's (set before the write, so that its files get theirs).
    if (m.config.key_index) properties[engine::kKeyIndexProperty] = "true";

    // Up to date: same definition, and no source changed since the last run.
    if (!options_.full_refresh && target) {
      const auto& props = target->metadata().properties;
      bool same = props.count(kHashProperty) && props.at(kHashProperty) == hash;
      for (const auto& [key, value] : properties) {
        auto it = props.find(key);
        same = same && it != props.end() && it->second == value;
      }
      if (same) {
        run->mode = "up-to-date";
        return Status::OK();
      }
    }

    // Full or incremental?
    std::string full_reason;
    if (options_.full_refresh) {
      full_reason = "full refresh requested";
    } else if (!m.config.incremental) {
      full_reason = "materialized as table";
    } else if (!target) {
      full_reason = "new table";
    } else {
      const auto& props = target->metadata().properties;
      auto h = props.find(kHashProperty);
      if (h == props.end() || h->second != hash) full_reason = "model changed";
    }
    ScopedTables temps(s_.connection());  // this build's tables of the session
    std::string keys_table;  // @incremental_by: the key values this run rebuilds
    if (full_reason.empty() && !m.config.incremental_by.empty()) {
      int64_t changed = 0;
      MEDLAKE_ASSIGN_OR_RETURN(full_reason, PlanKeyedRun(m, target->metadata().properties, sources, &temps,
                                                         &keys_table, &changed));
      if (full_reason.empty() && changed >= kKeyedRunShareFloor) {
        // Past a share of the table's values, a rebuild costs less than replacing them (and
        // needs less memory than matching most of the table's rows against the changed keys).
        MEDLAKE_ASSIGN_OR_RETURN(storage::ScanPlan plan, target->PlanScan(target->metadata().current_snapshot_id));
        MEDLAKE_ASSIGN_OR_RETURN(std::string scan, engine::BuildScanSql(plan));
        MEDLAKE_ASSIGN_OR_RETURN(auto n, s_.connection().QueryAll("SELECT count(DISTINCT " +
                                                                  engine::QuoteIdentifier(m.config.incremental_by) +
                                                                  ") FROM (" + scan + ")"));
        const int64_t held = n.empty() ? 0 : n[0][0].i;
        if (changed * kKeyedRunMaxShareDenominator > held) {
          full_reason = std::to_string(changed) + " " + m.config.incremental_by + " values changed, more than 1/" +
                        std::to_string(kKeyedRunMaxShareDenominator) + " of the " + std::to_string(held) +
                        " in the table";
        }
      }
      if (full_reason.empty()) {
        run->reason = std::to_string(changed) + " " + m.config.incremental_by + " value" + (changed == 1 ? "" : "s") +
                      " with changed source rows";
      }
    }
    if (full_reason.empty() && m.config.incremental_by.empty()) {
      const auto& props = target->metadata().properties;
      for (auto& [name, src] : sources) {
        const auto& inc = m.config.incremental_sources;
        if (!inc.empty() && std::find(inc.begin(), inc.end(), name) == inc.end()) continue;
        auto w = props.find(kSourcePropertyPrefix + name);
        if (w == props.end()) {
          full_reason = "source " + name + " not read before";
          break;
        }
        if (w->second == "none") {
          MEDLAKE_ASSIGN_OR_RETURN(src.delta, src.table->PlanScan(src.snapshot));
          continue;
        }
        int64_t since = 0;
        try {
          since = std::stoll(w->second);
        } catch (...) {
          full_reason = "unreadable watermark for " + name;
          break;
        }
        MEDLAKE_ASSIGN_OR_RETURN(src.delta, src.table->PlanAppendedScan(since));
        if (!src.delta) {
          full_reason = "source " + name + " was rewritten since the last run";
          break;
        }
      }
    }
    if (!full_reason.empty()) {
      for (auto& [name, src] : sources) {
        src.delta.reset();
        src.filter.clear();
      }
      run->reason = full_reason;
    }
    run->mode = full_reason.empty() ? "incremental" : "full";

    engine::LakeExecutorContext ctx{&s_.connection(), &catalog, &fs, s_.lake().warehouse_path(),
                                    &s_.clock(), s_.options().target_file_size_bytes};
    PipelineResolver resolver(catalog, fs, &sources);
    std::string query;
    if (m.kind == Model::Kind::kSql) {
      MEDLAKE_ASSIGN_OR_RETURN(auto rewritten, engine::RewriteQuery(s_.connection(), m.text, resolver));
      query = rewritten.sql;
    } else {
      MEDLAKE_ASSIGN_OR_RETURN(query, EvaluateView(m, resolver, &temps));
    }
    run->rows_read = resolver.rows_read;

    const std::string& del = m.config.delete_column;
    Result<engine::TableWriteResult> written = FailedPrecondition("not run");
    if (run->mode == "incremental") {
      // A keyed model replaces the rows of the changed key values: its rows for them, and one
      // row per value marked deleted (so that a value left without rows loses its old ones).
      Model keyed = m;
      std::string delta_rows = query;
      if (!keys_table.empty()) {
        const std::string by = engine::QuoteIdentifier(m.config.incremental_by);
        std::string own = "__r.*";
        std::string where = "__r." + by + " IN (SELECT k FROM " + keys_table + ")";
        if (!del.empty()) {
          own = "__r.* EXCLUDE (" + engine::QuoteIdentifier(del) + ")";
          where += " AND NOT coalesce(__r." + engine::QuoteIdentifier(del) + ", false)";
        }
        delta_rows = "SELECT " + own + ", false AS " + kKeyGoneColumn + " FROM (" + query + ") AS __r WHERE " + where +
                     " UNION ALL BY NAME SELECT k AS " + by + ", true AS " + kKeyGoneColumn + " FROM " + keys_table;
        keyed.config.unique_key = {m.config.incremental_by};
        keyed.config.delete_column = kKeyGoneColumn;
      }
      MEDLAKE_ASSIGN_OR_RETURN(std::string rows, ApplyQuality(keyed, id, target.get(), delta_rows, /*full=*/false, run, &temps));
      written = engine::UpsertTableRows(ctx, id, rows, keyed.config.unique_key, keyed.config.delete_column, properties,
                                        m.config.write_order);
      if (!written.ok() && written.status().code() == StatusCode::kFailedPrecondition &&
          written.status().message().find("rebuilt") != std::string::npos) {
        // The rows' columns changed (a source gained columns): rebuild from everything.
        for (auto& [name, src] : sources) {
          src.delta.reset();
          src.filter.clear();
        }
        run->mode = "full";
        run->reason = "columns changed";
        PipelineResolver again(catalog, fs, &sources);
        if (m.kind == Model::Kind::kSql) {
          MEDLAKE_ASSIGN_OR_RETURN(auto rewritten, engine::RewriteQuery(s_.connection(), m.text, again));
          query = rewritten.sql;
        } else {
          MEDLAKE_ASSIGN_OR_RETURN(query, EvaluateView(m, again, &temps));
        }
        run->rows_read = again.rows_read;
        results_.erase(std::remove_if(results_.begin(), results_.end(),
                                      [&](const auto& r) { return r.first == m.name(); }),
                       results_.end());
        run->rows_quarantined = 0;
        run->rules_failed = 0;
      }
    }
    if (run->mode == "full") {
      std::string rows = query;
      if (!del.empty()) {
        rows = "SELECT * EXCLUDE (" + engine::QuoteIdentifier(del) + ") FROM (" + query + ") AS __m WHERE NOT coalesce(" +
               engine::QuoteIdentifier(del) + ", false)";
      }
      MEDLAKE_ASSIGN_OR_RETURN(rows, ApplyQuality(m, id, target.get(), rows, /*full=*/true, run, &temps));
      written = engine::ReplaceTableRows(ctx, id, rows, properties, m.config.write_order);
    }
    MEDLAKE_RETURN_IF_ERROR(written.status());
    run->rows_written = written->rows_written;
    run->rows_removed = written->rows_removed;
    return Status::OK();
  }

  // The values of `column` in the rows of source `name` that changed between snapshot `since`
  // (nullopt: the source had none) and the snapshot this run reads, as a table of the session
  // with one column v (DISTINCT); with `column` empty, a table that is empty when nothing
  // changed. For a source whose files were only appended to or given position deletes (upserts,
  // DELETE, UPDATE), the column of the rows added and removed is enough. When files were removed
  // whole (compaction, a rebuilt table), or `column` is empty, or `net` is set, the change is
  // taken net, by a hash of the columns `cols` of each row, so that rows written again unchanged
  // (or changed only in other columns) change nothing.
  // Computed once per run for a (source, snapshots, column, cols); nullopt when `since` left the
  // source's history.
  Result<std::optional<std::string>> ChangedValues(const std::string& name, const SourceRead& src,
                                                   std::optional<int64_t> since, const std::string& column,
                                                   const std::vector<std::string>& cols, bool net = false) {
    std::string cache_key = name + "|" + (since ? std::to_string(*since) : "none") + "|" +
                            (src.snapshot ? std::to_string(*src.snapshot) : "none") + "|" + column + "|" + (net ? "net" : "") + "|";
    for (const auto& c : cols) cache_key += c + ",";
    if (auto hit = changed_values_.find(cache_key); hit != changed_values_.end()) return {hit->second};
    const std::string v = column.empty() ? "NULL" : engine::QuoteIdentifier(column);
    std::string all;
    for (size_t i = 0; i < cols.size(); ++i) all += (i ? ", " : "") + engine::QuoteIdentifier(cols[i]);
    std::string values;
    if (!since) {
      MEDLAKE_ASSIGN_OR_RETURN(storage::ScanPlan plan, src.table->PlanScan(src.snapshot));
      MEDLAKE_ASSIGN_OR_RETURN(std::string scan, engine::BuildScanSql(plan));
      values = "SELECT DISTINCT " + v + " AS v FROM (" + scan + ") AS __c";
    } else {
      MEDLAKE_ASSIGN_OR_RETURN(auto plan, src.table->PlanChanges(*since));
      if (!plan) return std::optional<std::string>();
      std::set<std::string> live;
      bool rewritten = false;
      for (const auto& f : plan->after.data_files) live.insert(f.original_path);
      for (const auto& f : plan->before.data_files) rewritten = rewritten || !live.count(f.original_path);
      if (!column.empty() && !rewritten && !net) {
        MEDLAKE_ASSIGN_OR_RETURN(std::string rows, engine::BuildChangedRowsSql(*plan, {column}));
        values = "SELECT DISTINCT " + v + " AS v FROM (" + rows + ") AS __c";
      } else {
        MEDLAKE_ASSIGN_OR_RETURN(std::string rows, engine::BuildChangedRowsSql(*plan, cols));
        MEDLAKE_ASSIGN_OR_RETURN(std::string hashed, RunTable("SELECT " + v + " AS v, hash(" + all + ") AS h, " +
                                                              engine::kRemovedColumn + " AS r FROM (" + rows + ") AS __c"));
        const std::string added = "SELECT v, h FROM " + hashed + " WHERE NOT r";
        const std::string removed = "SELECT v, h FROM " + hashed + " WHERE r";
        values = "SELECT DISTINCT v FROM ((" + added + " EXCEPT ALL " + removed + ") UNION ALL (" + removed +
                 " EXCEPT ALL " + added + "))";
      }
    }
    MEDLAKE_ASSIGN_OR_RETURN(std::string table, RunTable(values));
    changed_values_[cache_key] = table;
    return std::optional<std::string>(table);
  }

  // Creates a table of the session from `query`, dropped when the run ends; returns its name.
  Result<std::string> RunTable(const std::string& query) {
    MEDLAKE_ASSIGN_OR_RETURN(std::string table, run_tables_.Name("run"));
    MEDLAKE_RETURN_IF_ERROR(s_.connection().Execute("CREATE TABLE " + table + " AS " + query));
    return table;
  }

  // For an @incremental_by model: finds the key values whose source rows changed since the
  // last run, keeps them in a table of the session (`*keys_table`, column k; dropped with
  // `temps`) and sets each keyed source's filter to the rows of those values. A change is net: a
  // row removed and added back unchanged (a rewrite, a compaction, a rebuilt dimension table)
  // changes nothing. A changed dimension table listed in @key_via adds the values whose rows in
  // the referencing sources hold a changed row's value. Returns why the model must be rebuilt in
  // full instead, or "" when it need not.
  Result<std::string> PlanKeyedRun(const Model& m, const std::map<std::string, std::string>& props,
                                   std::map<std::string, SourceRead>& sources, ScopedTables* temps,
                                   std::string* keys_table, int64_t* changed) {
    engine::Connection& conn = s_.connection();
    const std::string& by_name = m.config.incremental_by;
    const std::string by = engine::QuoteIdentifier(by_name);
    MEDLAKE_ASSIGN_OR_RETURN(const std::string keys, temps->Name("keys"));
    MEDLAKE_ASSIGN_OR_RETURN(const std::string values, temps->Name("key_values"));
    MEDLAKE_ASSIGN_OR_RETURN(const std::string pairs, temps->Name("key_pairs"));
    auto columns_of = [](const storage::LakeTable& t) -> Result<std::vector<std::string>> {
      MEDLAKE_ASSIGN_OR_RETURN(const storage::iceberg::Schema* schema, storage::iceberg::CurrentSchema(t.metadata()));
      std::vector<std::string> out;
      for (const auto& f : schema->fields) out.push_back(f.name);
      return out;
    };
    auto has = [](const std::vector<std::string>& cols, const std::string& c) {
      return std::find(cols.begin(), cols.end(), c) != cols.end();
    };
    // How each source's rows belong to a key value: the column itself, or through the lookup
    // table (`lookup_column`), or not at all (a dimension table).
    const auto& lookup = m.config.key_lookup;
    std::map<std::string, std::vector<std::string>> columns;
    std::map<std::string, std::string> lookup_column;
    for (auto& [name, src] : sources) {
      MEDLAKE_ASSIGN_OR_RETURN(columns[name], columns_of(*src.table));
      const auto& cols = columns[name];
      if (has(cols, by_name)) {
        src.filter = by + " IN (SELECT k FROM " + keys + ")";
      } else if (lookup && lookup->sources.count(name)) {
        const std::string& c = lookup->sources.at(name);
        if (!has(cols, c)) return InvalidArgument("@key_lookup: " + name + " has no column " + c);
        lookup_column[name] = c;
        src.filter = engine::QuoteIdentifier(c) + " IN (SELECT v FROM " + values + ")";
      }
    }
    // The lookup table's (column, key) pairs, at the snapshot this run reads when it is a source.
    if (lookup) {
      const storage::LakeTable* table = nullptr;
      std::optional<int64_t> snapshot;
      std::unique_ptr<storage::LakeTable> own_lookup;
      if (auto it = sources.find(lookup->table); it != sources.end()) {
        table = it->second.table;
        snapshot = it->second.snapshot;
      } else {
        MEDLAKE_ASSIGN_OR_RETURN(storage::TableIdentifier lid, storage::ParseTableIdentifier(lookup->table));
        MEDLAKE_ASSIGN_OR_RETURN(own_lookup, storage::LakeTable::Load(s_.catalog(), s_.file_system(), lid));
        table = own_lookup.get();
        snapshot = table->metadata().current_snapshot_id;
      }
      MEDLAKE_ASSIGN_OR_RETURN(auto cols, columns_of(*table));
      if (!has(cols, by_name) || !has(cols, lookup->column)) {
        return InvalidArgument("@key_lookup table " + lookup->table + " needs columns " + lookup->column + " and " + by_name);
      }
      MEDLAKE_ASSIGN_OR_RETURN(storage::ScanPlan plan, table->PlanScan(snapshot));
      MEDLAKE_ASSIGN_OR_RETURN(std::string scan, engine::BuildScanSql(plan));
      MEDLAKE_RETURN_IF_ERROR(conn.Execute("CREATE TABLE " + pairs + " AS SELECT " + engine::QuoteIdentifier(lookup->column) +
                                           " AS v, " + by + " AS k FROM (" + scan + ") AS __l"));
    }
    // The key values of the rows of keyed source `name` whose column `column` holds a value of
    // `in` (a query of one column v).
    auto keys_of_rows = [&](const std::string& name, const std::string& column, const std::string& in) -> Result<std::string> {
      const SourceRead& src = sources.at(name);
      MEDLAKE_ASSIGN_OR_RETURN(storage::ScanPlan plan, src.table->PlanScan(src.snapshot));
      MEDLAKE_ASSIGN_OR_RETURN(std::string scan, engine::BuildScanSql(plan));
      const std::string where = " FROM (" + scan + ") AS __s WHERE " + engine::QuoteIdentifier(column) + " IN (" + in + ")";
      if (!lookup_column.count(name)) return "SELECT " + by + " AS k" + where;
      return "SELECT k FROM " + pairs + " WHERE v IN (SELECT " + engine::QuoteIdentifier(lookup_column.at(name)) + where + ")";
    };
    std::vector<std::string> key_selects;
    for (auto& [name, src] : sources) {
      auto w = props.find(kSourcePropertyPrefix + name);
      if (w == props.end()) return "source " + name + " not read before";
      std::optional<int64_t> since;
      if (w->second != "none") {
        try {
          since = std::stoll(w->second);
        } catch (...) {
          return "unreadable watermark for " + name;
        }
      }
      if (since == src.snapshot) continue;  // unchanged
      const auto& cols = columns.at(name);
      const bool direct = has(cols, by_name);
      const ModelConfig::KeyLink* via = nullptr;  // the source's @key_via, when it has no key
      std::string column = direct ? by_name : lookup_column.count(name) ? lookup_column.at(name) : std::string();
      std::vector<std::string> compared = cols;
      if (column.empty()) {
        // A source without the key: only a change to the columns the model reads matters (a
        // dimension table gaining a name the model does not show changes nothing).
        auto read = ColumnsReadFrom(conn, m.text, name, cols);
        if (read.ok() && !read->empty()) compared = *read;
        for (const auto& v : m.config.key_via) via = v.table == name ? &v : via;
        if (via) {
          if (!has(cols, via->column)) return InvalidArgument("@key_via: " + name + " has no column " + via->column);
          column = via->column;
          if (!has(compared, column)) compared.push_back(column);
        }
      }
      MEDLAKE_ASSIGN_OR_RETURN(std::optional<std::string> changed_values,
                               ChangedValues(name, src, since, column, compared, /*net=*/via != nullptr));
      if (!changed_values) return "the history of " + name + " since the last run is gone";
      if (direct) {
        key_selects.push_back("SELECT v AS k FROM " + *changed_values);
        continue;
      }
      if (lookup_column.count(name)) {
        key_selects.push_back("SELECT k FROM " + pairs + " WHERE v IN (SELECT v FROM " + *changed_values + ")");
        continue;
      }
      MEDLAKE_ASSIGN_OR_RETURN(auto n, conn.QueryAll("SELECT count(*) FROM " + *changed_values));
      if (n.empty() || n[0][0].i == 0) continue;
      if (!via) return "source " + name + " changed and its rows have no " + by_name + " (see @key_lookup, @key_via)";
      for (const auto& [referencing, ref_column] : via->sources) {
        auto r = columns.find(referencing);
        if (r == columns.end()) return InvalidArgument("@key_via: " + referencing + " is not read by the model");
        if (!has(r->second, ref_column)) return InvalidArgument("@key_via: " + referencing + " has no column " + ref_column);
        if (!has(r->second, by_name) && !lookup_column.count(referencing)) {
          return InvalidArgument("@key_via: " + referencing + " has no " + by_name + " and is not in @key_lookup");
        }
        MEDLAKE_ASSIGN_OR_RETURN(std::string select, keys_of_rows(referencing, ref_column, "SELECT v FROM " + *changed_values));
        key_selects.push_back(select);
      }
    }
    std::string union_keys;
    for (const auto& k : key_selects) union_keys += (union_keys.empty() ? "" : " UNION ALL ") + k;
    if (union_keys.empty()) union_keys = "SELECT NULL AS k WHERE false";
    MEDLAKE_RETURN_IF_ERROR(conn.Execute("CREATE TABLE " + keys + " AS SELECT DISTINCT k FROM (" +
                                         union_keys + ")"));
    MEDLAKE_ASSIGN_OR_RETURN(auto counts, conn.QueryAll("SELECT count(*), count(k) FROM " + keys));
    if (counts.empty() || counts[0][0].i != counts[0][1].i) return "a changed source row maps to no " + by_name;
    *changed = counts[0][0].i;
    if (lookup) {
      MEDLAKE_RETURN_IF_ERROR(conn.Execute("CREATE TABLE " + values + " AS SELECT DISTINCT v FROM " + pairs +
                                           " WHERE k IN (SELECT k FROM " + keys + ")"));
    }
    *keys_table = keys;
    return std::string();
  }

  // Checks the model's quality rules on the rows it produced (`query`) and returns the query of
  // the rows to write. Rows failing a blocking row rule go to raw.quarantine; a failing blocking
  // table rule fails the model (FailedPrecondition) before anything is written. In incremental
  // mode, table rules see the table as it will be after the upsert.
  Result<std::string> ApplyQuality(const Model& m, const storage::TableIdentifier& id,
                                   const storage::LakeTable* target, const std::string& query, bool full,
                                   ModelRun* run, ScopedTables* temps) {
    if (m.rules.empty()) return query;
    engine::Connection& conn = s_.connection();
    MEDLAKE_ASSIGN_OR_RETURN(const std::string stage, temps->Name("stage"));
    // The rows with one pass flag per row rule (a deleted key passes every rule).
    const std::string& del = full ? std::string() : m.config.delete_column;
    std::string flags;
    std::vector<const QualityRule*> row_rules, table_rules;
    for (const auto& rule : m.rules) (rule.row_level() ? row_rules : table_rules).push_back(&rule);
    for (size_t i = 0; i < row_rules.size(); ++i) {
      MEDLAKE_ASSIGN_OR_RETURN(std::string pass, RowRulePassSql(*row_rules[i]));
      if (!del.empty()) pass = "(" + pass + " OR coalesce(row." + engine::QuoteIdentifier(del) + ", false))";
      flags += ", " + pass + " AS __medlake_q" + std::to_string(i);
    }
    engine::LakeTableResolver lake_resolver(s_.catalog(), s_.file_system());
    MEDLAKE_ASSIGN_OR_RETURN(auto staged, engine::RewriteQuery(conn, "SELECT row.*" + flags + " FROM (" + query + ") AS row",
                                                               lake_resolver));
    Status created = conn.Execute("CREATE TABLE " + stage + " AS " + staged.sql);
    if (!created.ok()) return created.WithContext("quality rules of " + m.name());
    MEDLAKE_ASSIGN_OR_RETURN(auto columns, conn.QueryAll("SELECT column_name FROM (DESCRIBE " + stage + ")"));
    std::vector<std::string> model_columns;
    std::string source_column;
    for (const auto& c : columns) {
      if (c[0].s.rfind("__medlake_q", 0) == 0) continue;
      model_columns.push_back(c[0].s);
      if (c[0].s == "source_system" || (c[0].s == "source_kind" && source_column.empty())) source_column = c[0].s;
    }
    std::string plain;
    for (size_t i = 0; i < model_columns.size(); ++i) plain += (i ? ", " : "") + engine::QuoteIdentifier(model_columns[i]);
    std::string block_pass = "true";
    for (size_t i = 0; i < row_rules.size(); ++i) {
      if (row_rules[i]->block) block_pass += " AND __medlake_q" + std::to_string(i);
    }

    // Row rules, counted per source.
    if (!row_rules.empty()) {
      std::string counts;
      for (size_t i = 0; i < row_rules.size(); ++i) counts += ", count_if(NOT __medlake_q" + std::to_string(i) + ")::BIGINT";
      std::string src = source_column.empty() ? "''" : "coalesce(CAST(" + engine::QuoteIdentifier(source_column) + " AS VARCHAR), '')";
      MEDLAKE_ASSIGN_OR_RETURN(auto groups, conn.QueryAll("SELECT " + src + ", count(*)" + counts + " FROM " + stage + " GROUP BY 1 ORDER BY 1"));
      std::vector<int64_t> failed_total(row_rules.size(), 0);
      for (const auto& g : groups) {
        for (size_t i = 0; i < row_rules.size(); ++i) {
          QualityResult r = MakeResult(*row_rules[i]);
          r.source = g[0].s;
          r.rows_checked = g[1].i;
          r.rows_failed = g[2 + i].i;
          failed_total[i] += r.rows_failed;
          r.status = r.rows_failed == 0 ? "pass" : row_rules[i]->block ? "fail" : "warn";
          if (r.rows_failed) r.detail = std::to_string(r.rows_failed) + " rows fail the rule";
          r.run_mode = full ? "full" : "incremental";
          results_.emplace_back(m.name(), std::move(r));
        }
      }
      for (int64_t f : failed_total) run->rules_failed += f > 0 ? 1 : 0;
    }

    std::string kept = "SELECT " + plain + " FROM " + stage + " WHERE " + block_pass;
    // Table rules on the table as it will be.
    if (!table_rules.empty()) {
      std::string future = kept;
      if (!del.empty()) future += " AND NOT coalesce(" + engine::QuoteIdentifier(del) + ", false)";
      std::string stored_plain;
      for (const auto& c : model_columns) {
        if (c != del) stored_plain += (stored_plain.empty() ? "" : ", ") + engine::QuoteIdentifier(c);
      }
      std::optional<std::string> previous;
      if (target != nullptr && target->metadata().current_snapshot_id) {
        engine::LakeTableResolver resolver(s_.catalog(), s_.file_system());
        MEDLAKE_ASSIGN_OR_RETURN(auto resolved, resolver.Resolve(id.ns, id.name, std::nullopt, {}));
        if (resolved) previous = std::move(resolved->sql);
      }
      if (!full && previous) {
        std::string on;
        for (size_t i = 0; i < m.config.unique_key.size(); ++i) {
          std::string k = engine::QuoteIdentifier(m.config.unique_key[i]);
          on += (i ? " AND " : "") + std::string("t.") + k + " IS NOT DISTINCT FROM d." + k;
        }
        future = "SELECT " + stored_plain + " FROM (SELECT t.* FROM (" + *previous + ") AS t ANTI JOIN " + stage +
                 " AS d ON " + on + ") UNION ALL SELECT " + stored_plain + " FROM (" + future + ")";
      } else {
        future = "SELECT " + stored_plain + " FROM (" + future + ")";
      }
      for (const QualityRule* rule : table_rules) {
        QualityResult r = MakeResult(*rule);
        Status st = TableRule(*rule, future, previous, &r);
        if (!st.ok()) {
          r.status = "error";
          r.detail = st.ToString();
        } else {
          r.status = r.rows_failed == 0 ? "pass" : rule->block ? "fail" : "warn";
        }
        bool blocking_failure = rule->block && r.status != "pass";
        if (r.status != "pass") ++run->rules_failed;
        std::string detail = r.detail;
        r.run_mode = full ? "full" : "incremental";
        results_.emplace_back(m.name(), std::move(r));
        if (blocking_failure) {
          return FailedPrecondition("quality rule " + rule->name + " (" + CheckName(rule->check) + ", block) failed: " +
                                    detail + "; nothing was written");
        }
      }
    }

    // Quarantine the rows blocking row rules kept out.
    if (block_pass != "true") {
      MEDLAKE_ASSIGN_OR_RETURN(auto count, conn.QueryAll("SELECT count(*) FROM " + stage + " WHERE NOT (" + block_pass + ")"));
      run->rows_quarantined = count[0][0].i;
      if (run->rows_quarantined > 0) {
        MEDLAKE_RETURN_IF_ERROR(ingest::EnsureRawTables(s_));
        std::string reason_code = "CASE";
        std::string reason = "CASE";
        for (size_t i = 0; i < row_rules.size(); ++i) {
          if (!row_rules[i]->block) continue;
          std::string flag = " WHEN NOT __medlake_q" + std::to_string(i) + " THEN ";
          reason_code += flag + engine::QuoteString("quality." + row_rules[i]->name);
          reason += flag + engine::QuoteString("model " + m.name() + ": blocking rule " + row_rules[i]->name + " (" +
                                               CheckName(row_rules[i]->check) + ") failed");
        }
        reason_code += " END";
        reason += " END";
        std::string hash = std::find(model_columns.begin(), model_columns.end(), "raw_content_hash") != model_columns.end()
                               ? "raw_content_hash" : "NULL";
        std::string insert =
            "INSERT INTO raw.quarantine (received_at, batch_id, kind, source, origin, location, reason_code, reason, "
            "content_hash, payload) SELECT now(), " + engine::QuoteString(run_id_) + ", " +
            engine::QuoteString("model:" + m.name()) + ", 'pipeline', " + engine::QuoteString(m.origin) + ", " +
            engine::QuoteString("row of " + m.name()) + ", " + reason_code + ", " + reason + ", " + hash +
            ", encode(CAST(to_json(struct_pack(" + StructPack(model_columns) + ")) AS VARCHAR)) FROM " + stage +
            " WHERE NOT (" + block_pass + ")";
        MEDLAKE_RETURN_IF_ERROR(s_.Run(insert, [](size_t, engine::StatementOutcome&) { return Status::OK(); }));
      }
    }
    return kept;
  }

  static std::string StructPack(const std::vector<std::string>& columns) {
    std::string out;
    for (size_t i = 0; i < columns.size(); ++i) {
      out += (i ? ", " : "") + engine::QuoteIdentifier(columns[i]) + " := " + engine::QuoteIdentifier(columns[i]);
    }
    return out;
  }

  static QualityResult MakeResult(const QualityRule& rule) {
    QualityResult r;
    r.rule = rule.name;
    r.check = CheckName(rule.check);
    for (size_t i = 0; i < rule.columns.size(); ++i) r.column += (i ? "," : "") + rule.columns[i];
    r.severity = rule.block ? "block" : "warn";
    return r;
  }

  // Evaluates a table rule on `future` (the table's rows after the write); `previous` scans the
  // current version (nullopt when the table is new).
  Status TableRule(const QualityRule& rule, const std::string& future, const std::optional<std::string>& previous,
                   QualityResult* r) {
    engine::Connection& conn = s_.connection();
    MEDLAKE_ASSIGN_OR_RETURN(auto total, conn.QueryAll("SELECT count(*) FROM (" + future + ")"));
    r->rows_checked = total[0][0].i;
    using K = QualityRule::Check;
    switch (rule.check) {
      case K::kUnique: {
        std::string cols;
        for (size_t i = 0; i < rule.columns.size(); ++i) cols += (i ? ", " : "") + engine::QuoteIdentifier(rule.columns[i]);
        MEDLAKE_ASSIGN_OR_RETURN(auto dup, conn.QueryAll("SELECT coalesce(sum(n), 0)::BIGINT, count(*) FROM (SELECT count(*) AS n FROM (" +
                                                         future + ") GROUP BY " + cols + " HAVING count(*) > 1)"));
        r->rows_failed = dup[0][0].i;
        if (r->rows_failed) r->detail = std::to_string(dup[0][1].i) + " values appear more than once";
        return Status::OK();
      }
      case K::kRowCountChange: {
        if (!previous) return Status::OK();
        MEDLAKE_ASSIGN_OR_RETURN(auto before, conn.QueryAll("SELECT count(*) FROM (" + *previous + ")"));
        int64_t old_rows = before[0][0].i;
        double change = old_rows == 0 ? 0 : 100.0 * std::abs(static_cast<double>(r->rows_checked - old_rows)) / static_cast<double>(old_rows);
        if (change > rule.max_change_pct) {
          r->rows_failed = std::abs(r->rows_checked - old_rows);
          r->detail = "row count changed by " + std::to_string(static_cast<int64_t>(change)) + "% (limit " +
                      std::to_string(static_cast<int64_t>(rule.max_change_pct)) + "%)";
        }
        return Status::OK();
      }
      case K::kFreshness: {
        MEDLAKE_ASSIGN_OR_RETURN(auto fresh, conn.QueryAll(
            "SELECT coalesce(max(" + engine::QuoteIdentifier(rule.columns[0]) + ")::TIMESTAMPTZ >= now() - to_milliseconds(" +
            std::to_string(static_cast<int64_t>(rule.max_age_hours * 3600000)) + "), false) FROM (" + future + ")"));
        if (!fresh[0][0].b) {
          r->rows_failed = r->rows_checked;
          r->detail = "newest " + rule.columns[0] + " is older than " + std::to_string(rule.max_age_hours) + " hours";
        }
        return Status::OK();
      }
      case K::kSql: {
        std::string sql = rule.sql;
        for (size_t at = sql.find("{{this}}"); at != std::string::npos; at = sql.find("{{this}}")) {
          sql.replace(at, 8, "(" + future + ")");
        }
        engine::LakeTableResolver resolver(s_.catalog(), s_.file_system());
        MEDLAKE_ASSIGN_OR_RETURN(auto rewritten, engine::RewriteQuery(conn, sql, resolver));
        MEDLAKE_ASSIGN_OR_RETURN(auto bad, conn.QueryAll("SELECT count(*) FROM (" + rewritten.sql + ")"));
        r->rows_failed = bad[0][0].i;
        if (r->rows_failed) r->detail = std::to_string(r->rows_failed) + " rows returned by the rule's query";
        return Status::OK();
      }
      default:
        return InvalidArgument("not a table rule");
    }
  }

 public:
  // Quality results of this run: (model, result).
  std::vector<std::pair<std::string, QualityResult>> results_;
  std::string run_id_;

 private:
  // Runs a view model over its FHIR resources into a DuckDB table (one of `temps`); returns the
  // SELECT over it.
  Result<std::string> EvaluateView(const Model& m, engine::TableResolver& resolver, ScopedTables* temps) {
    MEDLAKE_ASSIGN_OR_RETURN(sof::ViewDefinition view, sof::ViewDefinition::Parse(m.text));
    std::string columns;
    for (const auto& c : view.columns()) {
      if (c.name == "_resource_key") return InvalidArgument("column name _resource_key is reserved");
      columns += engine::QuoteIdentifier(c.name) + " " + c.sql_type + ", ";
    }
    columns += "_resource_key VARCHAR";
    MEDLAKE_ASSIGN_OR_RETURN(const std::string table, temps->Name("view"));
    MEDLAKE_RETURN_IF_ERROR(s_.connection().Execute("CREATE TABLE " + table + " (" + columns + ")"));

    // The newest version of each resource of the view's type.
    std::string scan =
        "SELECT resource_type || '/' || resource_id AS k, payload FROM raw.fhir_resources WHERE resource_type = " +
        engine::QuoteString(view.resource()) +
        " QUALIFY row_number() OVER (PARTITION BY resource_id ORDER BY last_updated DESC NULLS LAST, "
        "received_at DESC, byte_offset DESC) = 1";
    MEDLAKE_ASSIGN_OR_RETURN(auto rewritten, engine::RewriteQuery(s_.connection(), scan, resolver));
    MEDLAKE_ASSIGN_OR_RETURN(auto loader, s_.database().Connect());
    MEDLAKE_ASSIGN_OR_RETURN(auto appender, loader->CreateAppender("main", table.substr(5)));
    MEDLAKE_ASSIGN_OR_RETURN(auto result, s_.connection().Query(rewritten.sql, /*streaming=*/true));
    // Resources are parsed and evaluated on several threads, a batch at a time (DuckDB waits
    // meanwhile); rows are appended in resource order, so the table and the first error
    // reported are those of a serial evaluation.
    struct Item {
      std::string key;
      std::string payload;
      std::vector<std::vector<nlohmann::json>> rows;
      Status status;
    };
    auto evaluate = [&view](Item* begin, Item* end) {
      for (Item* it = begin; it != end; ++it) {
        try {
          nlohmann::json resource = nlohmann::json::parse(it->payload, nullptr, /*allow_exceptions=*/false);
          if (resource.is_discarded()) {
            it->status = DataLoss("resource " + it->key + " in raw.fhir_resources is not valid JSON");
          } else {
            it->status = view.Evaluate(resource, &it->rows);
            if (!it->status.ok()) it->status = it->status.WithContext("resource " + it->key);
          }
        } catch (const std::exception&) {
          it->status = Internal("evaluating the view failed on resource " + it->key);
        }
        std::string().swap(it->payload);
      }
    };
    // As many threads as the session gives DuckDB (one per core by default), at most 4.
    const int configured = s_.options().threads;
    const size_t workers =
        std::clamp<size_t>(configured > 0 ? static_cast<size_t>(configured) : std::thread::hardware_concurrency(), 1, 4);
    constexpr size_t kBatch = 8192;
    std::vector<Item> batch;
    batch.reserve(kBatch);
    const auto& cols = view.columns();
    auto flush = [&]() -> Status {
      const size_t per = (batch.size() + workers - 1) / workers;
      std::vector<std::thread> threads;
      for (size_t w = 1; w < workers && w * per < batch.size(); ++w) {
        threads.emplace_back(evaluate, batch.data() + w * per, batch.data() + std::min(batch.size(), (w + 1) * per));
      }
      evaluate(batch.data(), batch.data() + std::min(batch.size(), per));
      for (auto& t : threads) t.join();
      for (const Item& item : batch) {
        MEDLAKE_RETURN_IF_ERROR(item.status);
        for (const auto& row : item.rows) {
          for (size_t i = 0; i < cols.size(); ++i) {
            MEDLAKE_RETURN_IF_ERROR(AppendJson(*appender, i < row.size() ? row[i] : nlohmann::json(), cols[i].sql_type));
          }
          MEDLAKE_RETURN_IF_ERROR(appender->AppendString(item.key));
          MEDLAKE_RETURN_IF_ERROR(appender->EndRow());
        }
      }
      batch.clear();
      return Status::OK();
    };
    while (true) {
      MEDLAKE_ASSIGN_OR_RETURN(auto chunk, result->Next());
      if (!chunk) break;
      for (size_t r = 0; r < chunk->size(); ++r) {
        batch.push_back(Item{std::string(chunk->GetString(0, r)), std::string(chunk->GetString(1, r)), {}, Status::OK()});
      }
      if (batch.size() >= kBatch) MEDLAKE_RETURN_IF_ERROR(flush());
    }
    if (!batch.empty()) MEDLAKE_RETURN_IF_ERROR(flush());
    MEDLAKE_RETURN_IF_ERROR(appender->Close());
    return "SELECT * FROM " + table;
  }

  engine::LakeSession& s_;
  const RunOptions& options_;
  std::map<std::string, std::string> changed_values_;  // ChangedValues: cache key -> table
  ScopedTables run_tables_;                             // dropped when the run ends
};


const std::vector<NativeStep>& NativeSteps() {
  static const auto* steps = new std::vector<NativeStep>{
      {"normalized", "person_link", {"normalized.patient"},
       [](engine::LakeSession& session, const RunOptions& options, ModelRun* run) -> Status {
         PatientIndexOptions pio;
         pio.full_rebuild = options.full_refresh;
         run->mode = options.full_refresh ? "full" : "incremental";
         auto report = UpdatePatientIndex(session, pio);
         if (!report.ok() && report.status().code() == StatusCode::kUnimplemented) {
           run->outcome = ModelRun::Outcome::kSkipped;
           run->reason = report.status().message();
           return Status::OK();
         }
         MEDLAKE_RETURN_IF_ERROR(report.status());
         run->rows_read = report->records_read;
         run->rows_written = report->records_linked;
         if (report->records_read == 0 && report->records_linked == 0 && report->merges_applied == 0) {
           run->mode = "up-to-date";
         }
         run->reason = std::to_string(report->persons_total) + " persons (" + std::to_string(report->persons_new) +
                       " new), " + std::to_string(report->review_pairs) + " pairs to review, " +
                       std::to_string(report->merges_applied) + " merges";
         return Status::OK();
       }},
  };
  return *steps;
}

}  // namespace

Result<std::vector<std::string>> SqlDependencies(engine::Connection& conn, const std::string& sql) {
  RecordingResolver recorder;
  auto r = engine::RewriteQuery(conn, sql, recorder);
  if (!r.ok()) return r.status();
  return std::vector<std::string>(recorder.seen.begin(), recorder.seen.end());
}

Result<std::vector<size_t>> TopologicalOrder(const std::vector<Model>& models,
                                             const std::vector<std::vector<std::string>>& deps) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < models.size(); ++i) index[models[i].name()] = i;
  std::vector<int> state(models.size(), 0);  // 0 new, 1 on the path, 2 done
  std::vector<size_t> order;
  std::vector<std::string> path;
  std::function<Status(size_t)> visit = [&](size_t i) -> Status {
    if (state[i] == 2) return Status::OK();
    if (state[i] == 1) {
      std::string cycle;
      auto from = std::find(path.begin(), path.end(), models[i].name());
      for (auto it = from; it != path.end(); ++it) cycle += *it + " -> ";
      return InvalidArgument("models depend on each other in a cycle: " + cycle + models[i].name());
    }
    state[i] = 1;
    path.push_back(models[i].name());
    for (const auto& d : deps[i]) {
      auto it = index.find(d);
      if (it != index.end() && it->second != i) MEDLAKE_RETURN_IF_ERROR(visit(it->second));
    }
    path.pop_back();
    state[i] = 2;
    order.push_back(i);
    return Status::OK();
  };
  for (size_t i = 0; i < models.size(); ++i) MEDLAKE_RETURN_IF_ERROR(visit(i));
  return order;
}

Result<std::vector<ModelRun>> RunModels(engine::LakeSession& session, const std::vector<Model>& given,
                                        const RunOptions& options) {
  std::vector<Model> models = given;
  std::map<std::string, const NativeStep*> native;
  for (const auto& step : NativeSteps()) {
    Model m;
    m.ns = step.ns;
    m.table = step.table;
    m.kind = Model::Kind::kNative;
    m.origin = "builtin:native";
    // A step joins the run when a model it reads is part of it; a model of the same name wins.
    bool replaced = false, wanted = false;
    for (const auto& g : given) {
      replaced = replaced || g.name() == m.name();
      wanted = wanted || std::find(step.deps.begin(), step.deps.end(), g.name()) != step.deps.end();
    }
    if (replaced || !wanted) continue;
    native[m.name()] = &step;
    models.push_back(std::move(m));
  }
  std::set<std::string> names;
  for (const auto& m : models) names.insert(m.name());
  for (const auto& s : options.selection) {
    if (!names.count(Lower(s))) return NotFound("no model named " + s);
  }
  MEDLAKE_RETURN_IF_ERROR(session.connection().Execute(kPrelude));
  MEDLAKE_RETURN_IF_ERROR(RegisterHl7SqlFunctions(session.connection()));
  std::vector<std::vector<std::string>> deps(models.size());
  for (size_t i = 0; i < models.size(); ++i) {
    if (models[i].kind == Model::Kind::kView) {
      deps[i] = {"raw.fhir_resources"};
      continue;
    }
    if (models[i].kind == Model::Kind::kNative) {
      deps[i] = native.at(models[i].name())->deps;
      continue;
    }
    auto d = SqlDependencies(session.connection(), models[i].text);
    if (!d.ok()) return d.status().WithContext("model " + models[i].name() + " (" + models[i].origin + ")");
    deps[i] = std::move(*d);
  }
  MEDLAKE_ASSIGN_OR_RETURN(std::vector<size_t> order, TopologicalOrder(models, deps));
  std::set<std::string> selected;
  for (const auto& s : options.selection) selected.insert(Lower(s));
  std::set<std::string> failed;
  std::vector<ModelRun> runs;
  std::vector<LineageEdge> lineage;
  Runner runner(session, options);
  MEDLAKE_ASSIGN_OR_RETURN(Uuid run_uuid, Uuid::RandomV4());
  runner.run_id_ = run_uuid.ToString();
  for (size_t i : order) {
    const Model& m = models[i];
    if (!selected.empty() && !selected.count(m.name())) continue;
    auto step = native.find(m.name());
    ModelRun run = runner.Run(m, deps[i], failed, step == native.end() ? nullptr : step->second);
    if (run.outcome != ModelRun::Outcome::kBuilt) failed.insert(m.name());
    // An up-to-date model's edges did not change: nothing to rewrite.
    if (run.outcome == ModelRun::Outcome::kBuilt && run.mode != "up-to-date") {
      MEDLAKE_ASSIGN_OR_RETURN(auto edges, ModelLineage(session, m, deps[i]));
      lineage.insert(lineage.end(), edges.begin(), edges.end());
    }
    runs.push_back(std::move(run));
  }
  MEDLAKE_RETURN_IF_ERROR(WriteQualityResults(session, runner.run_id_, runner.results_));
  MEDLAKE_RETURN_IF_ERROR(WriteLineage(session, lineage));
  return runs;
}

}  // namespace medlake::pipeline
