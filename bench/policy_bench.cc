// bench/policy_bench.cc: what row filters and column masks cost (issue 7: "the overhead of
// policies (row filter + 3 masks) on a 10M-row query vs the same query without them, goal under
// 5%"). The same queries run on the same lake table twice: as the owner (no policy applies) and
// as an analyst bound by a row filter on the user's hospitals (which lists every hospital, so both
// sides read the same rows) and three masks (redact, partial, year); a fourth query adds the
// keyed-hash mask, whose HMAC per row is the one mask with a real price.
//
// Two layouts of the same rows: one file (the row filter is checked on every row), and
// partitioned by hospital (each file holds one hospital, so the filter is decided per file: see
// engine/README.md, "Row filters decided per data file").
//
//   policy_bench [--lake=DIR] [--rows=10000000] [--reps=5] [--threads=0]
//
// The lake is created on the first run and reused by later runs with the same --rows.
#include <cstdio>
#include <string>
#include <vector>

#include "bench_util.h"
#include "engine/lake_session.h"
#include "security/access_controller.h"
#include "storage/lake.h"

namespace medlake::bench {
namespace {

struct Query {
  const char* name;
  const char* what;
  const char* sql;
};

const Query kQueries[] = {
    {"agg", "group by hospital, unmasked columns",
     "SELECT hospital_id, count(*), avg(value), max(event_date) FROM clin.events GROUP BY 1 ORDER BY 1"},
    {"masked", "group by, 3 masked columns read",
     "SELECT hospital_id, count(DISTINCT family), max(dni), min(birth_date), avg(value) FROM clin.events "
     "GROUP BY 1 ORDER BY 1"},
    {"max3", "max of 3 masked columns per hospital",
     "SELECT hospital_id, count(*), max(family), max(dni), max(birth_date), avg(value) FROM clin.events "
     "GROUP BY 1 ORDER BY 1"},
    {"filter", "filter on a masked column + unmasked",
     "SELECT count(*), sum(value) FROM clin.events WHERE birth_date >= DATE '1980-01-01' AND code LIKE 'E1%'"},
    {"stats", "group by 2 keys, quantiles, unmasked",
     "SELECT hospital_id, code, count(*), avg(value), quantile_cont(value, 0.9) FROM clin.events "
     "GROUP BY 1, 2 ORDER BY 1, 2"},
    {"window", "window over events, unmasked",
     "SELECT hospital_id, avg(d) FROM (SELECT hospital_id, value - lag(value) OVER (PARTITION BY hospital_id "
     "ORDER BY event_id) AS d FROM clin.events) GROUP BY 1 ORDER BY 1"},
    {"hash", "keyed-hash mask read on every row",
     "SELECT count(DISTINCT card) FROM clin.events"},
};

int Main(int argc, char** argv) {
  const std::string root = Flag(argc, argv, "lake", "/tmp/medlake-policy-bench");
  const int64_t rows = std::stoll(Flag(argc, argv, "rows", "10000000"));
  const int reps = std::stoi(Flag(argc, argv, "reps", "5"));
  const int threads = std::stoi(Flag(argc, argv, "threads", "0"));
  // --only=NAME runs one query; --show-sql=1 prints the statement the analyst's policies produce.
  const std::string only = Flag(argc, argv, "only", "");
  const bool show_sql = Flag(argc, argv, "show-sql", "0") == "1";
  const std::string marker = root + "/bench-rows-v3-" + std::to_string(rows);

  std::unique_ptr<storage::Lake> lake;
  auto opened = storage::Lake::Open(root);
  bool fresh = !opened.ok() || std::fopen(marker.c_str(), "r") == nullptr;
  if (fresh) {
    std::string cmd = "rm -rf '" + root + "'";
    if (std::system(cmd.c_str()) != 0) return 1;
    lake = Take(storage::Lake::Create(root), "create lake");
  } else {
    lake = std::move(*opened);
  }
  Check(security::InitializeSecurity(lake->catalog_path(), "owner"), "owner");
  engine::LakeSessionOptions options;
  options.threads = threads;
  auto open = [&](const std::string& user) {
    security::SecurityControllerOptions o;
    o.lake_root = lake->root();
    o.catalog_path = lake->catalog_path();
    auto c = Take(security::SecurityController::Open(o, {"owner", user, "bench", ""}), "controller");
    engine::LakeSessionOptions so = options;
    so.access = c;
    return Take(engine::LakeSession::Open(*lake, so), "session");
  };
  auto owner = open("owner");
  auto run = [](engine::LakeSession& s, const std::string& sql, std::string* first_row) {
    return s.Run(sql, [&](size_t, engine::StatementOutcome& o) -> Status {
      if (!o.rows) return Status::OK();
      MEDLAKE_ASSIGN_OR_RETURN(auto all, o.rows->FetchAll());
      if (first_row) {
        first_row->clear();
        for (const auto& r : all) {
          for (const auto& v : r) *first_row += v.ToText() + "|";
          *first_row += ";";
        }
      }
      return Status::OK();
    });
  };
  if (fresh) {
    std::printf("creating clin.events with %lld rows...\n", static_cast<long long>(rows));
    double t0 = NowMs();
    Check(run(*owner,
              "CREATE SCHEMA clin; CREATE TABLE clin.events AS SELECT range AS event_id, "
              "'H' || lpad(CAST(range % 37 AS VARCHAR), 2, '0') AS hospital_id, "
              "'family' || (range % 100000) AS family, lpad(CAST(range % 99999999 AS VARCHAR), 8, '0') || 'X' AS dni, "
              "'CARD' || (range % 500000) AS card, "
              "DATE '1930-01-01' + CAST(range % 30000 AS INTEGER) AS birth_date, "
              "DATE '2020-01-01' + CAST(range % 1500 AS INTEGER) AS event_date, "
              "'E1' || (range % 97) AS code, (range % 1000) / 10.0 AS value FROM range(" +
                  std::to_string(rows) + ")",
              nullptr),
          "create table");
    Check(run(*owner,
              "CREATE TABLE clin.events_by_hospital PARTITIONED BY (hospital_id) AS SELECT * FROM clin.events",
              nullptr),
          "create partitioned table");
    std::string hospitals;
    for (int h = 0; h < 37; ++h) hospitals += std::string(h ? ", " : "") + "'H" + (h < 10 ? "0" : "") + std::to_string(h) + "'";
    Check(run(*owner,
              "CREATE USER analyst ATTRIBUTES (hospitals = (" + hospitals + ")); "
              "GRANT SELECT ON SCHEMA clin TO analyst; "
              "CREATE POLICY scope ON TABLE clin.events ROW FILTER (hospital_id IN user.hospitals) TO analyst; "
              "CREATE POLICY m1 ON TABLE clin.events MASK COLUMN family USING REDACT TO analyst; "
              "CREATE POLICY m2 ON TABLE clin.events MASK COLUMN dni USING PARTIAL(3) TO analyst; "
              "CREATE POLICY m3 ON TABLE clin.events MASK COLUMN birth_date USING YEAR TO analyst; "
              "CREATE POLICY m4 ON TABLE clin.events MASK COLUMN card USING HASH TO analyst; "
              "CREATE POLICY p_scope ON TABLE clin.events_by_hospital ROW FILTER (hospital_id IN user.hospitals) "
              "TO analyst; "
              "CREATE POLICY p1 ON TABLE clin.events_by_hospital MASK COLUMN family USING REDACT TO analyst; "
              "CREATE POLICY p2 ON TABLE clin.events_by_hospital MASK COLUMN dni USING PARTIAL(3) TO analyst; "
              "CREATE POLICY p3 ON TABLE clin.events_by_hospital MASK COLUMN birth_date USING YEAR TO analyst; "
              "CREATE POLICY p4 ON TABLE clin.events_by_hospital MASK COLUMN card USING HASH TO analyst",
              nullptr),
          "policies");
    std::FILE* f = std::fopen(marker.c_str(), "w");
    if (f) std::fclose(f);
    std::printf("created in %.1f s\n", (NowMs() - t0) / 1000);
  }
  auto analyst = open("analyst");

  for (const std::string table : {"clin.events", "clin.events_by_hospital"}) {
    std::printf("\n%s\n%-7s %-40s %12s %12s %9s\n", table.c_str(), "query", "what", "owner ms", "policies ms",
                "overhead");
    for (const auto& q : kQueries) {
      if (!only.empty() && only != q.name) continue;
      std::string sql = q.sql;
      for (size_t at = sql.find("clin.events"); at != std::string::npos; at = sql.find("clin.events", at + 1)) {
        sql.replace(at, 11, table);
      }
      if (show_sql) {
        auto prepared = analyst->PrepareQuery(sql);
        Check(prepared.status(), q.name);
        Check(analyst->RunPrepared(**prepared, {}, [](size_t, engine::StatementOutcome&) { return Status::OK(); }),
              q.name);
        std::printf("%s\n", (*prepared)->rewritten.c_str());
      }
      std::string a, b;
      Check(run(*owner, sql, &a), q.name);  // warm-up
      Check(run(*analyst, sql, &b), q.name);
      std::vector<double> plain, bound;
      for (int i = 0; i < reps; ++i) {
        double t0 = NowMs();
        Check(run(*owner, sql, nullptr), q.name);
        double t1 = NowMs();
        Check(run(*analyst, sql, nullptr), q.name);
        double t2 = NowMs();
        plain.push_back(t1 - t0);
        bound.push_back(t2 - t1);
      }
      double p = Quantile(plain, 0.5), r = Quantile(bound, 0.5);
      std::printf("%-7s %-40s %12.1f %12.1f %8.1f%%\n", q.name, q.what, p, r, 100.0 * (r - p) / p);
      std::fflush(stdout);
    }
  }
  std::printf("\n(medians of %d runs; the analyst's row filter keeps every row, so both sides read the same data)\n", reps);
  return 0;
}

}  // namespace
}  // namespace medlake::bench

int main(int argc, char** argv) { return medlake::bench::Main(argc, argv); }
