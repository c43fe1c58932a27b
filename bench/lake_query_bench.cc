// bench/lake_query_bench.cc: TPC-H-like queries on lake tables (through engine::LakeSession)
// side by side with raw DuckDB reading the very same Parquet files (the snapshot's live data
// files, from the table's manifests) with read_parquet. See bench/README.md for figures.
//
//   lake_query_bench [--lake=DIR] [--rows=6000000] [--reps=5] [--threads=0] [--queries=q1,q6]
//   lake_query_bench --print-queries   one "name<TAB>sql" line per query, tables named lineitem,
//                                      orders, part (bench/postgres_compare.sh runs these)
//
// The lake is created on the first run (tpch.lineitem PARTITIONED BY month(l_shipdate),
// tpch.orders, tpch.part, generated deterministically from range() by DuckDB and written through
// medlake's CREATE TABLE AS) and reused by later runs with the same --rows. Each query runs once
// on each side as a warm-up (results compared), then --reps times alternating the two sides;
// the table shows medians. Two more columns split medlake's time: "plan" is the read-path
// rewrite alone (catalog, metadata JSON, manifests, pruning, DuckDB's JSON round trip of the
// statement), "exec" runs the rewritten text on the session's DuckDB connection.
#include <cstdio>
#include <string>
#include <vector>

#include "bench_util.h"
#include "core/file_system.h"
#include "engine/database.h"
#include "engine/lake_executor.h"
#include "engine/lake_session.h"
#include "storage/catalog.h"
#include "storage/lake.h"
#include "storage/table.h"

namespace medlake::bench {
namespace {

struct Query {
  const char* name;
  const char* what;
  const char* sql;  // {L} {O} {P}: lineitem, orders, part
};

// TPC-H Q1, Q6, Q3, Q14 (single-table or with denormalized columns), plus selective lookups.
const Query kQueries[] = {
    {"q1", "full scan, 98% rows, group by",
     "SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty, sum(l_extendedprice) AS "
     "sum_base_price, sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price, "
     "sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge, avg(l_quantity) AS "
     "avg_qty, avg(l_extendedprice) AS avg_price, avg(l_discount) AS avg_disc, count(*) AS "
     "count_order FROM {L} WHERE l_shipdate <= DATE '1998-09-02' GROUP BY l_returnflag, "
     "l_linestatus ORDER BY l_returnflag, l_linestatus"},
    {"q6", "1 year of 7 (12/84 partitions), filter",
     "SELECT sum(l_extendedprice * l_discount) AS revenue FROM {L} WHERE l_shipdate >= DATE "
     "'1994-01-01' AND l_shipdate < DATE '1995-01-01' AND l_discount BETWEEN 0.05 AND 0.07 AND "
     "l_quantity < 24"},
    {"q3", "join orders, group, top 10",
     "SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate FROM {O} "
     "JOIN {L} ON l_orderkey = o_orderkey WHERE o_mktsegment = 'BUILDING' AND o_orderdate < DATE "
     "'1995-03-15' AND l_shipdate > DATE '1995-03-15' GROUP BY l_orderkey, o_orderdate ORDER BY "
     "revenue DESC, o_orderdate LIMIT 10"},
    {"q14", "1 month (1 partition), join part",
     "SELECT 100.00 * sum(CASE WHEN p_type LIKE 'PROMO%' THEN l_extendedprice * (1 - l_discount) "
     "ELSE 0 END) / sum(l_extendedprice * (1 - l_discount)) AS promo_revenue FROM {L} JOIN {P} ON "
     "l_partkey = p_partkey WHERE l_shipdate >= DATE '1995-09-01' AND l_shipdate < DATE "
     "'1995-10-01'"},
    {"q14a", "q14 with alias-qualified columns",
     "SELECT 100.00 * sum(CASE WHEN p.p_type LIKE 'PROMO%' THEN l.l_extendedprice * (1 - "
     "l.l_discount) ELSE 0 END) / sum(l.l_extendedprice * (1 - l.l_discount)) AS promo_revenue "
     "FROM {L} AS l JOIN {P} AS p ON l.l_partkey = p.p_partkey WHERE l.l_shipdate >= DATE "
     "'1995-09-01' AND l.l_shipdate < DATE '1995-10-01'"},
    {"day", "one shipdate (1 partition)",
     "SELECT count(*) AS n, sum(l_quantity) AS qty FROM {L} WHERE l_shipdate = DATE '1996-02-29'"},
    {"point", "one order key (no sort order)",
     "SELECT l_orderkey, l_linenumber, l_quantity, l_shipdate FROM {L} WHERE l_orderkey = 777777 "
     "ORDER BY l_linenumber"},
};

std::string Substitute(std::string sql, const std::string& l, const std::string& o,
                       const std::string& p) {
  for (auto [key, value] : {std::pair<std::string, std::string>{"{L}", l}, {"{O}", o}, {"{P}", p}}) {
    for (size_t at = sql.find(key); at != std::string::npos; at = sql.find(key, at + value.size())) {
      sql.replace(at, key.size(), value);
    }
  }
  return sql;
}

// Deterministic TPC-H-like data: ~4 lines per order, 1 part per 30 lines, dates 1992-1998.
std::string GenerateSql(int64_t rows) {
  const std::string n = std::to_string(rows);
  const std::string orders = std::to_string(rows / 4 + 1);
  const std::string parts = std::to_string(rows / 30 + 1);
  const std::string customers = std::to_string(rows / 40 + 1);
  const std::string suppliers = std::to_string(rows / 600 + 1);
  const std::string orderdate = "DATE '1992-01-01' + (hash(%K) % 2405)::INTEGER";
  auto od = [&](const std::string& key) {
    std::string s = orderdate;
    s.replace(s.find("%K"), 2, key);
    return s;
  };
  return "CREATE SCHEMA tpch;\n"
         "CREATE TABLE tpch.part AS SELECT k AS p_partkey, 'Brand#' || (1 + hash(k, 1) % 5) || (1 + "
         "hash(k, 2) % 5) AS p_brand, ['PROMO', 'STANDARD', 'SMALL', 'MEDIUM', 'LARGE', "
         "'ECONOMY'][(1 + hash(k, 3) % 6)::INTEGER] || ' ' || ['ANODIZED', 'BURNISHED', 'PLATED', "
         "'POLISHED', 'BRUSHED'][(1 + hash(k, 4) % 5)::INTEGER] || ' ' || ['TIN', 'NICKEL', "
         "'BRASS', 'STEEL', 'COPPER'][(1 + hash(k, 5) % 5)::INTEGER] AS p_type, (1 + hash(k, 6) % "
         "50)::INTEGER AS p_size, (900 + k % 1000)::DECIMAL(15, 2) AS p_retailprice FROM (SELECT "
         "i + 1 AS k FROM range(" + parts + ") t(i));\n"
         "CREATE TABLE tpch.orders AS SELECT k AS o_orderkey, (1 + hash(k, 1) % " + customers +
         ")::BIGINT AS o_custkey, ['F', 'O', 'P'][(1 + hash(k, 2) % 3)::INTEGER] AS o_orderstatus, "
         "((hash(k, 3) % 50000000) / 100.0)::DECIMAL(15, 2) AS o_totalprice, " + od("k") +
         " AS o_orderdate, ['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'][(1 + "
         "hash(k, 4) % 5)::INTEGER] AS o_orderpriority, ['AUTOMOBILE', 'BUILDING', 'FURNITURE', "
         "'HOUSEHOLD', 'MACHINERY'][(1 + hash(k, 5) % 5)::INTEGER] AS o_mktsegment FROM (SELECT "
         "i + 1 AS k FROM range(" + orders + ") t(i));\n"
         "CREATE TABLE tpch.lineitem PARTITIONED BY (month(l_shipdate)) AS SELECT ok AS l_orderkey, "
         "pk AS l_partkey, (1 + hash(i, 2) % " + suppliers + ")::BIGINT AS l_suppkey, (i % 4 + "
         "1)::INTEGER AS l_linenumber, qty AS l_quantity, (qty * (900 + pk % 1000))::DECIMAL(15, 2) "
         "AS l_extendedprice, ((hash(i, 4) % 11) / 100.0)::DECIMAL(15, 2) AS l_discount, "
         "((hash(i, 5) % 9) / 100.0)::DECIMAL(15, 2) AS l_tax, CASE WHEN sd + 1 + (hash(i, 8) % "
         "30)::INTEGER <= DATE '1995-06-17' THEN ['R', 'A'][(1 + hash(i, 9) % 2)::INTEGER] ELSE "
         "'N' END AS l_returnflag, CASE WHEN sd > DATE '1995-06-17' THEN 'O' ELSE 'F' END AS "
         "l_linestatus, sd AS l_shipdate, odate + 30 + (hash(i, 7) % 61)::INTEGER AS "
         "l_commitdate, sd + 1 + (hash(i, 8) % 30)::INTEGER AS l_receiptdate, ['DELIVER IN "
         "PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'][(1 + hash(i, 10) % 4)::INTEGER] AS "
         "l_shipinstruct, ['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'][(1 + hash(i, "
         "11) % 7)::INTEGER] AS l_shipmode, ['carefully', 'quickly', 'furiously', 'slyly', "
         "'blithely'][(1 + hash(i, 12) % 5)::INTEGER] || ' ' || ['final', 'regular', 'pending', "
         "'ironic', 'express'][(1 + hash(i, 13) % 5)::INTEGER] || ' deposits ' || (hash(i, 14) % "
         "100000)::VARCHAR AS l_comment FROM (SELECT i, ok, pk, qty, odate, odate + 1 + (hash(i, "
         "6) % 121)::INTEGER AS sd FROM (SELECT i, i // 4 + 1 AS ok, (1 + hash(i, 1) % " + parts +
         ")::BIGINT AS pk, (1 + hash(i, 3) % 50)::DECIMAL(15, 2) AS qty, " + od("i // 4 + 1") +
         " AS odate FROM range(" + n + ") t(i)))";
}

// Runs `sql` on the lake session and drains its rows; returns them as text when `keep`.
std::vector<std::string> RunLake(engine::LakeSession& session, const std::string& sql, bool keep) {
  std::vector<std::string> out;
  Check(session.Run(sql,
                    [&](size_t, engine::StatementOutcome& o) -> Status {
                      if (o.rows == nullptr) return Status::OK();
                      if (keep) {
                        MEDLAKE_ASSIGN_OR_RETURN(auto rows, o.rows->FetchAll());
                        for (const auto& row : rows) {
                          std::string line;
                          for (const auto& v : row) line += v.ToText() + "|";
                          out.push_back(line);
                        }
                        return Status::OK();
                      }
                      while (true) {
                        MEDLAKE_ASSIGN_OR_RETURN(auto chunk, o.rows->Next());
                        if (!chunk) return Status::OK();
                      }
                    }),
        "medlake query");
  return out;
}

std::vector<std::string> RunRaw(engine::Connection& conn, const std::string& sql, bool keep) {
  auto result = Take(conn.Query(sql), "raw DuckDB query");
  std::vector<std::string> out;
  if (keep) {
    for (const auto& row : Take(result->FetchAll(), "raw DuckDB fetch")) {
      std::string line;
      for (const auto& v : row) line += v.ToText() + "|";
      out.push_back(line);
    }
    return out;
  }
  while (Take(result->Next(), "raw DuckDB fetch")) {
  }
  return out;
}

// read_parquet over the current snapshot's live data files of `ns.name`.
std::string RawScan(storage::Catalog& catalog, const std::string& name, int* files,
                    int64_t* bytes) {
  auto table = Take(storage::LakeTable::Load(catalog, LocalFileSystem::Default(), {"tpch", name}),
                    "loading table");
  std::string list;
  for (const auto& f : Take(table->LiveFiles(std::nullopt), "listing live files")) {
    if (f.file.content != storage::iceberg::DataFileContent::kData) {
      std::fprintf(stderr, "tpch.%s has delete files; raw comparison would be wrong\n",
                   name.c_str());
      std::exit(1);
    }
    list += (list.empty() ? "'" : ", '") + f.local_path + "'";
    ++*files;
    *bytes += f.file.file_size_in_bytes;
  }
  return "read_parquet([" + list + "])";
}

int Main(int argc, char** argv) {
  if (Flag(argc, argv, "print-queries", "no") != "no" ||
      (argc == 2 && std::string(argv[1]) == "--print-queries")) {
    for (const Query& q : kQueries) {
      std::printf("%s\t%s\n", q.name, Substitute(q.sql, "lineitem", "orders", "part").c_str());
    }
    return 0;
  }
  const std::string root = Flag(argc, argv, "lake", "/tmp/medlake-bench-lake");
  const int64_t rows = std::stoll(Flag(argc, argv, "rows", "6000000"));
  const int reps = std::stoi(Flag(argc, argv, "reps", "5"));
  const int threads = std::stoi(Flag(argc, argv, "threads", "0"));
  const std::string only = Flag(argc, argv, "queries", "");

  if (!storage::Lake::IsLake(root)) Take(storage::Lake::Create(root), "creating lake");
  auto lake = Take(storage::Lake::Open(root), "opening lake");
  engine::LakeSessionOptions options;
  options.threads = threads;
  auto session = Take(engine::LakeSession::Open(*lake, options), "opening session");
  bool exists = Take(session->catalog().TableExists({"tpch", "lineitem"}), "catalog");
  if (exists) {
    auto count = RunLake(*session, "SELECT count(*) FROM tpch.lineitem", true);
    if (count.empty() || count[0] != std::to_string(rows) + "|") {
      std::fprintf(stderr, "%s holds tpch.lineitem with %s rows, not %lld: use another --lake\n",
                   root.c_str(), count.empty() ? "?" : count[0].c_str(),
                   static_cast<long long>(rows));
      return 1;
    }
  } else {
    double t0 = NowMs();
    RunLake(*session, GenerateSql(rows), false);
    std::printf("generated %lld lineitem rows through medlake CTAS in %.1f s\n",
                static_cast<long long>(rows), (NowMs() - t0) / 1000);
  }

  int files = 0;
  int64_t bytes = 0;
  const std::string raw_l = RawScan(session->catalog(), "lineitem", &files, &bytes);
  std::printf("tpch.lineitem: %lld rows, %d data files, %.1f MB\n", static_cast<long long>(rows),
              files, static_cast<double>(bytes) / 1e6);
  int other_files = 0;
  int64_t other_bytes = 0;
  const std::string raw_o = RawScan(session->catalog(), "orders", &other_files, &other_bytes);
  const std::string raw_p = RawScan(session->catalog(), "part", &other_files, &other_bytes);

  engine::DatabaseOptions raw_options;
  if (threads > 0) raw_options.config["threads"] = std::to_string(threads);
  auto raw_db = Take(engine::Database::Open(raw_options), "opening raw DuckDB");
  auto raw = Take(raw_db->Connect(), "connecting raw DuckDB");

  std::printf("DuckDB %s, threads=%s, reps=%d (medians after one warm-up run per side)\n\n",
              engine::Database::LibraryVersion().c_str(),
              threads > 0 ? std::to_string(threads).c_str() : "default", reps);
  std::printf("%-6s %-40s %11s %10s %6s | %8s %8s %5s %s\n", "query", "shape", "medlake ms",
              "duckdb ms", "ratio", "plan ms", "exec ms", "files", "same result");
  for (const Query& q : kQueries) {
    if (!only.empty() && ("," + only + ",").find(std::string(",") + q.name + ",") == std::string::npos) {
      continue;
    }
    const std::string lake_sql = Substitute(q.sql, "tpch.lineitem", "tpch.orders", "tpch.part");
    const std::string raw_sql = Substitute(q.sql, raw_l, raw_o, raw_p);
    bool same = RunLake(*session, lake_sql, true) == RunRaw(*raw, raw_sql, true);
    std::vector<double> lake_ms, raw_ms, plan_ms, exec_ms;
    std::string rewritten;
    for (int r = 0; r < reps; ++r) {
      double t0 = NowMs();
      RunLake(*session, lake_sql, false);
      double t1 = NowMs();
      RunRaw(*raw, raw_sql, false);
      double t2 = NowMs();
      rewritten = Take(engine::RewriteLakeReferences(session->connection(), session->catalog(),
                                                     LocalFileSystem::Default(), lake_sql),
                       "rewriting");
      double t3 = NowMs();
      RunRaw(session->connection(), rewritten, false);
      double t4 = NowMs();
      lake_ms.push_back(t1 - t0);
      raw_ms.push_back(t2 - t1);
      plan_ms.push_back(t3 - t2);
      exec_ms.push_back(t4 - t3);
    }
    // Lineitem files the plan kept: one read_parquet list entry per file.
    size_t kept = 0;
    for (size_t at = rewritten.find("lineitem/data/"); at != std::string::npos;
         at = rewritten.find("lineitem/data/", at + 1)) {
      ++kept;
    }
    double a = Quantile(lake_ms, 0.5), b = Quantile(raw_ms, 0.5);
    std::printf("%-6s %-40s %11.1f %10.1f %6.2f | %8.1f %8.1f %5zu %s\n", q.name, q.what, a, b,
                a / b, Quantile(plan_ms, 0.5), Quantile(exec_ms, 0.5), kept, same ? "yes" : "NO");
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace
}  // namespace medlake::bench

int main(int argc, char** argv) { return medlake::bench::Main(argc, argv); }
