#include "ingest/raw_batch_writer.h"

#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "ingest/file_ingest.h"
#include "ingest/raw_tables.h"

namespace medlake::ingest {
namespace {

class IngestFrameworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, storage::Lake::Create(tmp_.Join("lake")));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(session_, engine::LakeSession::Open(*lake_));
    MEDLAKE_ASSERT_OK(EnsureRawTables(*session_));
  }
  std::string One(const std::string& sql) {
    std::string out;
    EXPECT_THAT(session_->Run(sql, [&](size_t, engine::StatementOutcome& o) -> Status {
      if (!o.rows) return Status::OK();
      MEDLAKE_ASSIGN_OR_RETURN(auto rows, o.rows->FetchAll());
      out = rows.empty() ? "" : rows[0][0].ToText();
      return Status::OK();
    }), IsOk()) << sql;
    return out;
  }
  TempDir tmp_;
  std::unique_ptr<storage::Lake> lake_;
  std::unique_ptr<engine::LakeSession> session_;
};

TEST_F(IngestFrameworkTest, RawTablesExistAndCreationIsIdempotent) {
  MEDLAKE_ASSERT_OK(EnsureRawTables(*session_));
  EXPECT_EQ(One("SELECT count(*) FROM raw.hl7_messages"), "0");
  EXPECT_EQ(One("SELECT count(*) FROM raw.fhir_resources"), "0");
  EXPECT_EQ(One("SELECT count(*) FROM raw.quarantine"), "0");
  EXPECT_EQ(One("SELECT count(*) FROM raw.ingested_files"), "0");
}

TEST_F(IngestFrameworkTest, BatchWriterCommitsOneSnapshotPerBatch) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto w, RawBatchWriter::Make(*session_, "raw.ingested_files", 3));
  for (int i = 0; i < 7; ++i) {
    auto& a = w->row();
    MEDLAKE_ASSERT_OK(a.AppendTimestamp(1'700'000'000'000'000 + i));
    MEDLAKE_ASSERT_OK(a.AppendString("b"));
    MEDLAKE_ASSERT_OK(a.AppendString("hl7"));
    MEDLAKE_ASSERT_OK(a.AppendString("/in/f" + std::to_string(i)));
    MEDLAKE_ASSERT_OK(a.AppendString("h" + std::to_string(i)));
    MEDLAKE_ASSERT_OK(a.AppendInt64(i));
    MEDLAKE_ASSERT_OK(a.AppendInt64(1));
    MEDLAKE_ASSERT_OK(a.AppendInt64(1));
    MEDLAKE_ASSERT_OK(a.AppendInt64(0));
    MEDLAKE_ASSERT_OK(w->EndRow());
  }
  EXPECT_EQ(w->committed(), 6);
  EXPECT_EQ(w->pending(), 1);
  MEDLAKE_ASSERT_OK(w->Flush());
  EXPECT_EQ(w->snapshots(), 3);
  EXPECT_EQ(One("SELECT count(*) FROM raw.ingested_files"), "7");
  EXPECT_EQ(One("SELECT count(*) FROM raw.\"ingested_files$snapshots\""), "3");
}

TEST_F(IngestFrameworkTest, ExpandPathsWalksDirectoriesSortedAndSkipsHidden) {
  LocalFileSystem fs;
  ASSERT_THAT(fs.CreateDirectories(tmp_.Join("in/sub")), IsOk());
  ASSERT_THAT(fs.CreateDirectories(tmp_.Join("in/.hidden")), IsOk());
  for (const char* f : {"in/b.hl7", "in/a.hl7", "in/sub/c.hl7", "in/.x", "in/.hidden/d.hl7"}) {
    ASSERT_THAT(fs.WriteFileAtomic(tmp_.Join(f), "x"), IsOk());
  }
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto files, ExpandPaths({tmp_.Join("in")}));
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0], tmp_.Join("in/a.hl7"));
  EXPECT_EQ(files[2], tmp_.Join("in/sub/c.hl7"));
  EXPECT_THAT(ExpandPaths({tmp_.Join("nope")}), StatusIs(StatusCode::kNotFound, "nope"));
}

TEST_F(IngestFrameworkTest, FilesLoadOnceAndAccountingBalances) {
  LocalFileSystem fs;
  ASSERT_THAT(fs.WriteFileAtomic(tmp_.Join("a.txt"), "good\nbad\ngood\n"), IsOk());
  // A toy loader: lines "good" are accepted (into raw.ingested_files as stand-in rows are not
  // needed: accepted lines are only counted), "bad" lines are quarantined.
  FileLoader loader = [](FileContext& ctx) -> Status {
    MEDLAKE_ASSIGN_OR_RETURN(std::string text, LocalFileSystem::Default().ReadFile(ctx.path));
    size_t line = 0, start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      std::string_view l(text.data() + start, end - start);
      ++line;
      ++ctx.summary->received;
      if (l == "good") {
        ++ctx.summary->accepted;
      } else {
        MEDLAKE_RETURN_IF_ERROR(AppendQuarantine(ctx, "test", static_cast<int64_t>(start),
                                                 static_cast<int64_t>(line), "line " + std::to_string(line),
                                                 "not_good", "line is not 'good'", l));
      }
      start = end + 1;
    }
    return Status::OK();
  };
  IngestOptions options;
  options.progress = false;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto s1, IngestFiles(*session_, {tmp_.Join("a.txt")}, "test",
                                                    "raw.quarantine", loader, options));
  EXPECT_EQ(s1.files, 1);
  EXPECT_EQ(s1.received, 3);
  EXPECT_EQ(s1.accepted, 2);
  EXPECT_EQ(s1.quarantined, 1);
  EXPECT_EQ(One("SELECT reason_code || '@' || location || '=' || CAST(payload AS VARCHAR) FROM raw.quarantine"),
            "not_good@line 2=bad");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto s2, IngestFiles(*session_, {tmp_.Join("a.txt")}, "test",
                                                    "raw.quarantine", loader, options));
  EXPECT_EQ(s2.files_skipped, 1);
  EXPECT_EQ(s2.received, 0);
  options.force = true;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto s3, IngestFiles(*session_, {tmp_.Join("a.txt")}, "test",
                                                    "raw.quarantine", loader, options));
  EXPECT_EQ(s3.files, 1);
  EXPECT_EQ(One("SELECT count(*) FROM raw.quarantine"), "2");
}

}  // namespace
}  // namespace medlake::ingest
