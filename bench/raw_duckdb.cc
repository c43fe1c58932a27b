// raw_duckdb: runs SQL statements on a plain in-memory DuckDB (the same libduckdb medlake embeds,
// no lake, no policies) and prints each statement's wall time. The peer side of benchmarks whose
// peer is "DuckDB alone", e.g. read_json into Parquet for the FHIR load (bench/README.md §4):
//
//   build/bench/bench/raw_duckdb "COPY (SELECT * FROM read_json('DIR/*.ndjson',
//       format = 'newline_delimited', union_by_name = true)) TO '/tmp/x.parquet' (FORMAT parquet)"
//
// Optional --threads=N (DuckDB's default: one per core). Never a test.
#include <cstdio>
#include <string>

#include "bench_util.h"
#include "engine/database.h"

int main(int argc, char** argv) {
  using namespace medlake;  // NOLINT(google-build-using-namespace): benchmark main
  engine::DatabaseOptions options;
  const std::string threads = bench::Flag(argc, argv, "threads", "");
  if (!threads.empty()) options.config["threads"] = threads;
  auto db = bench::Take(engine::Database::Open(options), "opening DuckDB");
  auto conn = bench::Take(db->Connect(), "connecting");
  int ran = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string sql = argv[i];
    if (sql.rfind("--", 0) == 0) continue;
    const double t0 = bench::NowMs();
    bench::Check(conn->Execute(sql), "statement");
    std::printf("%.3f s  %s\n", (bench::NowMs() - t0) / 1000.0, sql.substr(0, 100).c_str());
    ++ran;
  }
  if (ran == 0) {
    std::fprintf(stderr, "usage: %s [--threads=N] SQL...\n", argv[0]);
    return 2;
  }
  return 0;
}
