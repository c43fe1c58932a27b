// bench/pgwire_stream_bench.cc: a libpq client that times PostgreSQL-protocol servers side by side
// (medlake serve --pg and PostgreSQL 15, run by bench/serve_bench.sh; results in bench/README.md).
//
// Two modes, each running the sides alternately (side 1, side 2, side 1, ...) on one connection
// per side that is opened before the first timed run:
//
//   --mode=stream  --side=NAME=CONNINFO ... --sql=SELECT... [--sql=...] [--reps=5]
//   [--formats=text,binary]
//       Runs the query in single-row mode (PQsetSingleRowMode: the client keeps one row at a
//       time, as a streaming consumer would), with text and with binary results
//       (PQsendQueryParams resultFormat 0/1, extended protocol). Times the first row and the
//       last row (the final PGRES_TUPLES_OK) from the send; prints medians over REPS runs,
//       rows/s and MB/s of field bytes as delivered (PQgetlength).
//
//   --mode=record  --side=NAME=CONNINFO ... --sql-file=FILE --ids-file=FILE
//       For each id of IDS_FILE (one per line), runs every statement of SQL_FILE (separated by
//       lines holding only ";") with ":id" replaced by the id, over the simple query protocol,
//       reading all rows; the per-id time is the sum over the statements. Prints p50/p90/p99/max
//       per side, the rows and bytes of one complete record on average, and a checksum of row
//       counts so the sides can be seen to return the same rows. A statement whose first column
//       is named `_key` sets ":keys" for the statements after it: its values as a list of SQL
//       string literals ('a', 'b'; NULL when there are none), as a client looking keys up first
//       (FHIR $everything does) would send them.
//
// Connection info is a libpq conninfo string; passwords come from it or from PGPASSWORD.
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

double NowMs() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double, std::milli>(Clock::now().time_since_epoch()).count();
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(q * static_cast<double>(v.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "pgwire_stream_bench: %s\n", what.c_str());
  std::exit(1);
}

std::string Flag(int argc, char** argv, const char* name, const std::string& fallback) {
  std::string prefix = std::string("--") + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0)
      return argv[i] + prefix.size();
  }
  return fallback;
}

std::vector<std::string> Flags(int argc, char** argv, const char* name) {
  std::vector<std::string> out;
  std::string prefix = std::string("--") + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0)
      out.emplace_back(argv[i] + prefix.size());
  }
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    Die("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Side {
  std::string name;
  std::string conninfo;
  PGconn* conn = nullptr;
};

std::vector<Side> OpenSides(int argc, char** argv) {
  std::vector<Side> sides;
  for (const auto& s : Flags(argc, argv, "side")) {
    size_t eq = s.find('=');
    if (eq == std::string::npos)
      Die("--side=NAME=CONNINFO expected, got " + s);
    Side side{s.substr(0, eq), s.substr(eq + 1)};
    side.conn = PQconnectdb(side.conninfo.c_str());
    if (PQstatus(side.conn) != CONNECTION_OK)
      Die(side.name + ": connect: " + PQerrorMessage(side.conn));
    sides.push_back(side);
  }
  if (sides.empty())
    Die("no --side given");
  return sides;
}

struct StreamRun {
  double first_ms = 0;
  double last_ms = 0;
  long long rows = 0;
  long long bytes = 0;
};

StreamRun Stream(const Side& side, const std::string& sql, int format) {
  StreamRun run;
  double t0 = NowMs();
  if (PQsendQueryParams(side.conn, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, format) !=
      1) {
    Die(side.name + ": send: " + PQerrorMessage(side.conn));
  }
  if (PQsetSingleRowMode(side.conn) != 1)
    Die(side.name + ": single-row mode refused");
  bool first = true;
  while (PGresult* r = PQgetResult(side.conn)) {
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_SINGLE_TUPLE) {
      if (first) {
        run.first_ms = NowMs() - t0;
        first = false;
      }
      ++run.rows;
      int n = PQnfields(r);
      for (int f = 0; f < n; ++f)
        run.bytes += PQgetlength(r, 0, f);
    } else if (st == PGRES_TUPLES_OK) {
      run.last_ms = NowMs() - t0;
    } else {
      std::string err = PQresultErrorMessage(r);
      PQclear(r);
      Die(side.name + ": query failed: " + err);
    }
    PQclear(r);
  }
  return run;
}

int StreamMode(int argc, char** argv) {
  std::vector<Side> sides = OpenSides(argc, argv);
  std::vector<std::string> queries = Flags(argc, argv, "sql");
  if (queries.empty())
    Die("--sql is required");
  int reps = std::atoi(Flag(argc, argv, "reps", "5").c_str());
  std::string formats = Flag(argc, argv, "formats", "text,binary");
  for (const std::string& sql : queries) {
    std::printf("-- %s\n%-10s %-7s %10s %12s %12s %12s %9s %8s\n", sql.c_str(), "side", "format",
                "rows", "first ms", "total s", "rows/s", "MB/s", "MB");
    for (const char* fmt_name : {"text", "binary"}) {
      if (formats.find(fmt_name) == std::string::npos)
        continue;
      int format = std::strcmp(fmt_name, "binary") == 0 ? 1 : 0;
      std::vector<std::vector<StreamRun>> runs(sides.size());
      for (size_t s = 0; s < sides.size(); ++s)
        Stream(sides[s], sql, format);  // warm-up
      for (int rep = 0; rep < reps; ++rep) {
        for (size_t s = 0; s < sides.size(); ++s)
          runs[s].push_back(Stream(sides[s], sql, format));
      }
      for (size_t s = 0; s < sides.size(); ++s) {
        std::vector<double> first, last;
        for (const auto& r : runs[s]) {
          first.push_back(r.first_ms);
          last.push_back(r.last_ms);
          if (r.rows != runs[s][0].rows)
            Die(sides[s].name + ": row count changed between runs");
        }
        double total_s = Quantile(last, 0.5) / 1000.0;
        double mb = static_cast<double>(runs[s][0].bytes) / 1e6;
        std::printf("%-10s %-7s %10lld %12.1f %12.3f %12.0f %9.1f %8.1f\n", sides[s].name.c_str(),
                    fmt_name, runs[s][0].rows, Quantile(first, 0.5), total_s,
                    static_cast<double>(runs[s][0].rows) / total_s, mb / total_s, mb);
      }
      std::fflush(stdout);
    }
  }
  for (auto& s : sides)
    PQfinish(s.conn);
  return 0;
}

std::vector<std::string> SplitStatements(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line == ";") {
      if (current.find_first_not_of(" \n\t") != std::string::npos)
        out.push_back(current);
      current.clear();
    } else if (line.rfind("--", 0) != 0) {
      current += line + "\n";
    }
  }
  if (current.find_first_not_of(" \n\t") != std::string::npos)
    out.push_back(current);
  return out;
}

std::string Substitute(std::string sql, const std::string& id, const std::string& keys = "NULL") {
  for (size_t pos; (pos = sql.find(":keys")) != std::string::npos;)
    sql.replace(pos, 5, keys);
  for (size_t pos; (pos = sql.find(":id")) != std::string::npos;)
    sql.replace(pos, 3, id);
  return sql;
}

// The values of a `_key` result column as SQL string literals ('a', 'b'), or NULL for none.
std::string KeysOf(PGresult* r) {
  std::string out;
  for (int t = 0; t < PQntuples(r); ++t) {
    if (PQgetisnull(r, t, 0))
      continue;
    std::string v = PQgetvalue(r, t, 0), quoted = "'";
    for (char c : v)
      quoted += c == '\'' ? std::string("''") : std::string(1, c);
    out += (out.empty() ? "" : ", ") + quoted + "'";
  }
  return out.empty() ? "NULL" : out;
}

int RecordMode(int argc, char** argv) {
  std::vector<Side> sides = OpenSides(argc, argv);
  std::vector<std::string> statements = SplitStatements(ReadFile(Flag(argc, argv, "sql-file", "")));
  std::vector<std::string> ids;
  {
    std::istringstream in(ReadFile(Flag(argc, argv, "ids-file", "")));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty())
        ids.push_back(line);
    }
  }
  if (statements.empty() || ids.empty())
    Die("--sql-file and --ids-file must not be empty");
  std::vector<std::vector<double>> times(sides.size());
  std::vector<long long> rows(sides.size()), bytes(sides.size()), checksum(sides.size());
  // Warm-up: the first id once per side.
  for (auto& side : sides) {
    std::string keys = "NULL";
    for (const auto& st : statements) {
      PGresult* r = PQexec(side.conn, Substitute(st, ids[0], keys).c_str());
      if (PQresultStatus(r) == PGRES_TUPLES_OK && PQnfields(r) > 0 && std::strcmp(PQfname(r, 0), "_key") == 0)
        keys = KeysOf(r);
      PQclear(r);
    }
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    for (size_t s = 0; s < sides.size(); ++s) {
      double t0 = NowMs();
      long long n = 0;
      std::string keys = "NULL";
      for (const auto& st : statements) {
        PGresult* r = PQexec(sides[s].conn, Substitute(st, ids[i], keys).c_str());
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
          std::string err = PQresultErrorMessage(r);
          Die(sides[s].name + ": id " + ids[i] + ": " + err);
        }
        int nt = PQntuples(r), nf = PQnfields(r);
        if (nf > 0 && std::strcmp(PQfname(r, 0), "_key") == 0)
          keys = KeysOf(r);
        n += nt;
        for (int t = 0; t < nt; ++t) {
          for (int f = 0; f < nf; ++f)
            bytes[s] += PQgetlength(r, t, f);
        }
        PQclear(r);
      }
      times[s].push_back(NowMs() - t0);
      rows[s] += n;
      checksum[s] = checksum[s] * 31 + n;
    }
  }
  std::printf("%-10s %6s %9s %9s %9s %9s %9s %10s %10s %20s\n", "side", "ids", "p50 ms", "p90 ms",
              "p99 ms", "max ms", "mean ms", "rows/id", "KB/id", "checksum");
  for (size_t s = 0; s < sides.size(); ++s) {
    double sum = 0;
    for (double t : times[s])
      sum += t;
    double n = static_cast<double>(ids.size());
    std::printf("%-10s %6zu %9.2f %9.2f %9.2f %9.2f %9.2f %10.1f %10.1f %20lld\n",
                sides[s].name.c_str(), ids.size(), Quantile(times[s], 0.5), Quantile(times[s], 0.9),
                Quantile(times[s], 0.99), Quantile(times[s], 1.0), sum / n,
                static_cast<double>(rows[s]) / n, static_cast<double>(bytes[s]) / n / 1024.0,
                checksum[s]);
  }
  for (auto& s : sides)
    PQfinish(s.conn);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = Flag(argc, argv, "mode", "stream");
  if (mode == "stream")
    return StreamMode(argc, argv);
  if (mode == "record")
    return RecordMode(argc, argv);
  Die("--mode=stream|record");
}
