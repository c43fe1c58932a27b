// End-to-end tests of the real `medlake` binary: arguments, exit statuses, output formats.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/file_system.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"

namespace medlake {
namespace {

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

class CliTest : public ::testing::Test {
 protected:
  // Runs the binary with `args` (already shell-quoted where needed) and optional stdin text.
  CliRun Medlake(const std::string& args, const std::string& stdin_text = "",
              const std::string& env = "") {
    std::string in_path = tmp_.Join("stdin.txt");
    std::string err_path = tmp_.Join("stderr.txt");
    EXPECT_THAT(LocalFileSystem::Default().WriteFileAtomic(in_path, stdin_text), IsOk());
    std::string cmd = "cd " + Quote(tmp_.path()) + " && " + env + " " + Quote(MEDLAKE_BINARY) +
                      " " + args + " < " + Quote(in_path) + " 2> " + Quote(err_path);
    CliRun r;
    std::FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return r;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = LocalFileSystem::Default().ReadFile(err_path).value_or("");
    return r;
  }
  TempDir tmp_;
};

TEST_F(CliTest, VersionNamesDuckDb) {
  CliRun r = Medlake("version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("(DuckDB v1.4.4, "), std::string::npos) << r.out;
#ifdef MEDLAKE_EXPECT_MIMALLOC
  // Built with mimalloc: malloc must really be mimalloc's (the link order makes it so).
  EXPECT_NE(r.out.find(", mimalloc 2."), std::string::npos) << r.out;
#else
  EXPECT_NE(r.out.find(", system malloc)"), std::string::npos) << r.out;
#endif
}

TEST_F(CliTest, SqlCsvPrintsAnswer) {
  CliRun r = Medlake("--lake demo-lake sql -c \"select 42 as answer\" --format csv");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "answer\n42\n");
  EXPECT_NE(r.err.find("created a new lake"), std::string::npos) << r.err;
  // The second time the lake exists and nothing is said about creating it.
  CliRun again = Medlake("--lake demo-lake sql -c \"select 42 as answer\" --format csv");
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(again.err, "");
}

TEST_F(CliTest, InitCreatesOnceThenRefuses) {
  CliRun first = Medlake("--lake l init");
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("created lake"), std::string::npos);
  CliRun second = Medlake("--lake l init");
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("already exists"), std::string::npos) << second.err;
}

TEST_F(CliTest, SqlOnForeignDirectorySaysHowToCreateALake) {
  ASSERT_THAT(LocalFileSystem::Default().CreateDirectories(tmp_.Join("docs")), IsOk());
  ASSERT_THAT(LocalFileSystem::Default().WriteFileAtomic(tmp_.Join("docs/a.txt"), "x"), IsOk());
  CliRun r = Medlake("--lake docs sql -c \"select 1\"");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is not a medlake lake"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("init"), std::string::npos) << r.err;
}

TEST_F(CliTest, BadStatementFailsCleanlyAfterEarlierOutput) {
  CliRun r = Medlake("--lake l sql --format csv -c \"select 1 as a\" -c \"selec oops\" -c \"select 3\"");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "a\n1\n");
  EXPECT_NE(r.err.find("Error: InvalidArgument: Parser Error"), std::string::npos) << r.err;
}

TEST_F(CliTest, ReadsStatementsFromStdinAndFiles) {
  CliRun r = Medlake("--lake l sql --format ndjson", "select 1 as x;\nselect 'two' as y;\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"x\":1}\n{\"y\":\"two\"}\n");
  ASSERT_THAT(LocalFileSystem::Default().WriteFileAtomic(
                  tmp_.Join("q.sql"), "create temp table t as select 5 as v; select v*2 as w from t;"),
              IsOk());
  CliRun f = Medlake("--lake l sql --format json -f q.sql");
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_EQ(f.out, "[\n{\"w\":10}\n]\n");
}

TEST_F(CliTest, TableFormatIsAligned) {
  CliRun r = Medlake("--lake l sql -c \"select 'H01' as id, 820 as beds\"");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, " id  | beds\n-----+------\n H01 |  820\n(1 row)\n\n");
}

TEST_F(CliTest, LakeComesFromEnvironment) {
  CliRun r = Medlake("sql --format csv -c \"select 1 as one\"", "", "MEDLAKE_LAKE=envlake");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(LocalFileSystem::Default().Exists(tmp_.Join("envlake/medlake.json")).value_or(false));
}

TEST_F(CliTest, UsageErrorsExitWithTwo) {
  EXPECT_EQ(Medlake("sql --format xml -c \"select 1\"").exit_code, 2);
  EXPECT_EQ(Medlake("no-such-command").exit_code, 2);
  EXPECT_EQ(Medlake("").exit_code, 2);
}

TEST_F(CliTest, RunQualityAndLineageOnASmallProject) {
  ASSERT_EQ(Medlake("--lake lake init").exit_code, 0);
  // Before anything is ingested, the built-in models have no sources: skipped, not failed.
  CliRun empty = Medlake("--lake lake run");
  EXPECT_EQ(empty.exit_code, 0) << empty.out << empty.err;
  EXPECT_NE(empty.out.find("skipped"), std::string::npos) << empty.out;
  EXPECT_NE(Medlake("--lake lake quality").out.find("No quality results yet"), std::string::npos);
  EXPECT_NE(Medlake("--lake lake lineage normalized.patient").out.find("No lineage recorded yet"), std::string::npos);

  // A project with a model, its rules, and a model that fails at run time.
  ASSERT_EQ(Medlake("--lake lake sql -c " + Quote("CREATE SCHEMA src; CREATE TABLE src.v (id INTEGER, k VARCHAR); "
                                                  "INSERT INTO src.v VALUES (1, 'a'), (2, NULL), (3, 'c')")).exit_code, 0);
  ASSERT_THAT(LocalFileSystem::Default().CreateDirectories(tmp_.Join("lake/project/models/mart")), IsOk());
  ASSERT_THAT(LocalFileSystem::Default().WriteFileAtomic(tmp_.Join("lake/project/models/mart/v.sql"),
                                                         "SELECT id, upper(k) AS k FROM src.v"), IsOk());
  ASSERT_THAT(LocalFileSystem::Default().WriteFileAtomic(tmp_.Join("lake/project/models/mart/v.quality.yaml"),
                                                         "rules:\n  - {check: not_null, column: k, severity: block}\n"),
              IsOk());
  ASSERT_THAT(LocalFileSystem::Default().WriteFileAtomic(tmp_.Join("lake/project/models/mart/bad.sql"),
                                                         "SELECT CAST(k AS INTEGER) AS n FROM mart.v"), IsOk());
  CliRun run = Medlake("--lake lake run mart.v mart.bad");
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;  // mart.bad failed
  EXPECT_NE(run.out.find("FAILED"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("2 models: 1 built, 1 failed, 0 skipped"), std::string::npos) << run.out;
  CliRun rows = Medlake("--lake lake sql --format csv -c " + Quote("SELECT string_agg(k, '+' ORDER BY id) AS ks FROM mart.v"));
  EXPECT_EQ(rows.out, "ks\nA+C\n");  // the NULL row is in quarantine
  CliRun quality = Medlake("--lake lake quality --format csv");
  EXPECT_EQ(quality.exit_code, 0) << quality.err;
  EXPECT_NE(quality.out.find("mart.v,not_null_k,not_null,block,(all),1,3"), std::string::npos) << quality.out;
  EXPECT_NE(quality.out.find("model:mart.v,quality.not_null_k,1"), std::string::npos) << quality.out;
  CliRun lineage = Medlake("--lake lake lineage mart.v.k --format csv");
  EXPECT_EQ(lineage.exit_code, 0) << lineage.err;
  EXPECT_EQ(lineage.out, "depth,from,to\n1,src.v.k,mart.v.k\n");
  EXPECT_EQ(Medlake("--lake lake lineage nodots").exit_code, 2);
  EXPECT_EQ(Medlake("--lake lake run no.such_model").exit_code, 1);
}

// The lake's audit segment as lines (one record each).
std::vector<std::string> AuditLines(const std::string& segment) {
  std::ifstream in(segment);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void WriteLines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::trunc);
  for (const auto& l : lines) out << l << "\n";
}

TEST_F(CliTest, UsersPoliciesAndTheAuditThroughTheBinary) {
  ASSERT_EQ(Medlake("--lake l init --owner boss").exit_code, 0);
  CliRun setup = Medlake(
      "--lake l sql -c \"CREATE SCHEMA s; CREATE TABLE s.p AS SELECT range AS id, 'H0' || (range % 2) AS h, "
      "'name' || range AS name FROM range(6); CREATE USER ann ATTRIBUTES (hospitals = ('H01')); "
      "GRANT SELECT ON SCHEMA s TO ann; CREATE POLICY f ON TABLE s.p ROW FILTER (h IN user.hospitals); "
      "CREATE POLICY m ON TABLE s.p MASK COLUMN name USING REDACT\"");
  ASSERT_EQ(setup.exit_code, 0) << setup.err;
  CliRun as_ann = Medlake("--lake l --user ann sql --format csv -c \"SELECT id, name FROM s.p ORDER BY id\"");
  EXPECT_EQ(as_ann.exit_code, 0) << as_ann.err;
  EXPECT_EQ(as_ann.out, "id,name\n1,****\n3,****\n5,****\n");
  CliRun bypass = Medlake("--lake l --user ann sql -c \"SELECT * FROM read_text('/etc/hostname')\"");
  EXPECT_EQ(bypass.exit_code, 1);
  EXPECT_NE(bypass.err.find("PermissionDenied"), std::string::npos) << bypass.err;
  // Only admins act as others, and only auditors read the audit.
  CliRun not_admin = Medlake("--lake l --user ann run");
  EXPECT_EQ(not_admin.exit_code, 1);
  EXPECT_NE(not_admin.err.find("for admins"), std::string::npos) << not_admin.err;
  CliRun not_auditor = Medlake("--lake l --user ann audit show");
  EXPECT_EQ(not_auditor.exit_code, 1);
  EXPECT_NE(not_auditor.err.find("auditors"), std::string::npos) << not_auditor.err;

  CliRun shown = Medlake("--lake l audit show --format csv --limit -1");
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("read_text"), std::string::npos);
  CliRun verified = Medlake("--lake l audit verify");
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find(": ok"), std::string::npos) << verified.out;

  // Tampering: an edited record, a deleted record, two swapped records. Each is found and named.
  std::string segment;
  for (const auto& e : std::filesystem::directory_iterator(tmp_.Join("l/audit"))) {
    if (e.path().extension() == ".jsonl") segment = e.path().string();
  }
  ASSERT_FALSE(segment.empty());
  const std::vector<std::string> original = AuditLines(segment);
  ASSERT_GE(original.size(), 6u);
  // Each tampering is tried on a copy of the intact audit directory (verify itself appends).
  const std::string saved = tmp_.Join("audit-intact");
  std::filesystem::copy(tmp_.Join("l/audit"), saved, std::filesystem::copy_options::recursive);
  auto verify_after = [&](std::vector<std::string> lines, const char* what) {
    std::filesystem::remove_all(tmp_.Join("l/audit"));
    std::filesystem::copy(saved, tmp_.Join("l/audit"), std::filesystem::copy_options::recursive);
    WriteLines(segment, lines);
    CliRun r = Medlake("--lake l audit verify");
    EXPECT_EQ(r.exit_code, 1) << what << ": " << r.out << r.err;
    EXPECT_NE(r.out.find("problem"), std::string::npos) << what << ": " << r.out;
    std::filesystem::remove_all(tmp_.Join("l/audit"));
    std::filesystem::copy(saved, tmp_.Join("l/audit"), std::filesystem::copy_options::recursive);
    return r.out;
  };
  std::vector<std::string> edited = original;
  size_t at = edited[2].find("\"boss\"");
  ASSERT_NE(at, std::string::npos) << edited[2];
  edited[2].replace(at, 6, "\"eve\"");
  EXPECT_NE(verify_after(edited, "edited").find("seq 3"), std::string::npos);
  std::vector<std::string> deleted = original;
  deleted.erase(deleted.begin() + 3);
  verify_after(deleted, "deleted");
  std::vector<std::string> swapped = original;
  std::swap(swapped[1], swapped[2]);
  verify_after(swapped, "swapped");
  // Restored: intact again.
  EXPECT_EQ(Medlake("--lake l audit verify").exit_code, 0);
}

}  // namespace
}  // namespace medlake
