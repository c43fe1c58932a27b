// medlake_sqllogictest: runs .test files, each against a fresh lake in a temporary directory.
// Each lake has an owner named "owner" (an admin): `session owner` opens a session as it, and
// `session <user>` records open sessions of the users a file creates (sqllogictest.h).
//
//   medlake_sqllogictest [--fixtures DIR] [--source-dir DIR] FILE.test...
//
// Prints every failing record and a closing line "N passed, N failed, N skipped". Exit status is
// 0 when nothing failed, 1 otherwise, 2 when a file cannot be read or parsed.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/file_system.h"
#include "core/testing/temp_dir.h"
#include "security/access_controller.h"
#include "sqllogictest.h"
#include "storage/lake.h"

int main(int argc, char** argv) {
  using namespace medlake;
  std::string fixtures = "../shared/fixtures";
  std::string source_dir = ".";
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--fixtures") == 0 && i + 1 < argc) {
      fixtures = argv[++i];
    } else if (std::strcmp(argv[i], "--source-dir") == 0 && i + 1 < argc) {
      source_dir = argv[++i];
    } else {
      files.emplace_back(argv[i]);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: medlake_sqllogictest [--fixtures DIR] FILE.test...\n");
    return 2;
  }
  int passed = 0, failed = 0, skipped = 0;
  for (const auto& file : files) {
    auto text = LocalFileSystem::Default().ReadFile(file);
    if (!text.ok()) {
      std::fprintf(stderr, "%s\n", text.status().ToString().c_str());
      return 2;
    }
    auto records = sqltest::ParseSqlLogicTest(*text);
    if (!records.ok()) {
      std::fprintf(stderr, "%s: %s\n", file.c_str(), records.status().ToString().c_str());
      return 2;
    }
    TempDir tmp;
    auto lake = storage::Lake::Create(tmp.Join("lake"));
    if (!lake.ok()) {
      std::fprintf(stderr, "%s\n", lake.status().ToString().c_str());
      return 2;
    }
    Status owner = security::InitializeSecurity((*lake)->catalog_path(), "owner");
    if (!owner.ok()) {
      std::fprintf(stderr, "%s\n", owner.ToString().c_str());
      return 2;
    }
    auto session = engine::LakeSession::Open(**lake);
    if (!session.ok()) {
      std::fprintf(stderr, "%s\n", session.status().ToString().c_str());
      return 2;
    }
    sqltest::SqlLogicContext ctx{tmp.path(), fixtures, source_dir,
                                 sqltest::MakeSessionOpener(**lake, "owner")};
    auto outcome = sqltest::RunSqlLogicTest(*records, ctx, file, **session);
    for (const auto& f : outcome.failures) std::fprintf(stdout, "FAILED %s\n", f.c_str());
    passed += outcome.passed;
    failed += outcome.failed;
    skipped += outcome.skipped;
  }
  std::printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed == 0 ? 0 : 1;
}
