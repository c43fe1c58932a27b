// Tests of the right to erasure on a lake built from generated data: after ErasePerson the person
// has no row in any layer, no data file of any table holds their rows (history included), other
// persons' rows are untouched, and the next pipeline run does not bring them back.
#include "pipeline/erasure.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "core/file_system.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "engine/sql_lexer.h"
#include "engine/testing/session_rows.h"
#include "ingest/fhir_loader.h"
#include "ingest/hl7_loader.h"
#include "pipeline/model.h"
#include "pipeline/runner.h"
#include "synth/generator.h"

namespace medlake::pipeline {
namespace {

using engine::testing::Rows;

class ErasureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, storage::Lake::Create(tmp_.Join("lake")));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(session_, engine::LakeSession::Open(*lake_));
    synth::SynthOptions o;
    o.patients = 20;
    o.seed = 5;
    o.out_dir = tmp_.Join("synth");
    o.formats.csv = false;
    o.start = "2024-01-01";
    o.end = "2024-06-30";
    o.threads = 1;
    ASSERT_THAT(synth::RunSynth(o, &LocalFileSystem::Default()), IsOk());
    ingest::IngestOptions io;
    io.progress = false;
    ASSERT_THAT(ingest::IngestHl7Files(*session_, {tmp_.Join("synth/hl7")}, io), IsOk());
    ASSERT_THAT(ingest::IngestFhirFiles(*session_, {tmp_.Join("synth/fhir")}, io), IsOk());
    RunAll();
  }

  void RunAll() {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto models, LoadModels(tmp_.Join("no-project")));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto runs, RunModels(*session_, models, {}));
    for (const auto& r : runs) ASSERT_NE(r.outcome, ModelRun::Outcome::kFailed) << r.model << ": " << r.reason;
  }

  // Rows of every table matching the person, read from EVERY data file in the table's folder
  // (live or not): what a reader of the raw files could find.
  std::map<std::string, int64_t> RowsInAllFiles(int64_t person, const std::vector<std::string>& keys,
                                                const std::vector<std::string>& fhir_ids) {
    std::map<std::string, int64_t> out;
    auto namespaces = session_->catalog().ListNamespaces();
    EXPECT_THAT(namespaces, IsOk());
    for (const auto& ns : *namespaces) {
      auto tables = session_->catalog().ListTables(ns);
      for (const auto& id : *tables) {
        std::string dir = lake_->warehouse_path() + "/" + id.ns + "/" + id.name + "/data";
        std::string files;
        if (std::filesystem::exists(dir)) {
          for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
            // Data files only: position-delete files hold (path, pos), never values.
            if (e.path().extension() == ".parquet" && e.path().filename().string().find("delete") == std::string::npos) {
              files += (files.empty() ? "" : ", ") + engine::QuoteString(e.path().string());
            }
          }
        }
        if (files.empty()) continue;
        std::string scan = "read_parquet([" + files + "], union_by_name = true)";
        std::set<std::string> columns;
        auto described = session_->connection().QueryAll("SELECT column_name FROM (DESCRIBE SELECT * FROM " + scan + ")");
        EXPECT_THAT(described, IsOk()) << id.ToString();
        if (!described.ok()) continue;
        for (const auto& r : *described) columns.insert(r[0].s);
        auto [by, where] = ErasureMatch(id.ns, id.name, columns, person, keys, fhir_ids);
        if (where.empty()) continue;
        auto n = session_->connection().QueryAll("SELECT count(*) FROM " + scan + " WHERE " + where);
        EXPECT_THAT(n, IsOk()) << id.ToString();
        if (n.ok()) out[id.ToString()] = (*n)[0][0].i;
      }
    }
    return out;
  }

  int64_t Count(const std::string& sql) {
    std::string r = Rows(*session_, sql);
    return std::stoll(r.empty() ? "0" : r);
  }

  TempDir tmp_;
  std::unique_ptr<storage::Lake> lake_;
  std::unique_ptr<engine::LakeSession> session_;
};

TEST_F(ErasureTest, RemovesThePersonFromEveryLayerAndFromHistory) {
  EXPECT_THAT(ErasePerson(*session_, {987654321, false}), StatusIs(StatusCode::kNotFound, "987654321"));
  // The person with the most source records (HL7 and FHIR copies).
  std::string pick = Rows(*session_, "SELECT person_id FROM normalized.person_link GROUP BY 1 "
                                     "ORDER BY count(*) DESC, person_id LIMIT 1");
  ASSERT_FALSE(pick.empty());
  const int64_t person = std::stoll(pick);
  std::vector<std::string> keys, fhir_ids;
  {
    std::string list = Rows(*session_, "SELECT string_agg(source_key, ',' ORDER BY source_key) FROM normalized.person_link "
                                       "WHERE person_id = " + pick);
    size_t at = 0;
    while (at <= list.size()) {
      size_t comma = list.find(',', at);
      std::string k = list.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
      keys.push_back(k);
      if (k.rfind("fhir|Patient/", 0) == 0) fhir_ids.push_back(k.substr(13));
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
  }
  ASSERT_FALSE(keys.empty());
  auto before = RowsInAllFiles(person, keys, fhir_ids);
  int64_t total_before = 0;
  for (const auto& [t, n] : before) total_before += n;
  ASSERT_GT(before["curated.person"], 0);
  ASSERT_GT(before["normalized.patient"], 0);
  const int64_t persons_before = Count("SELECT count(*) FROM curated.person");
  const int64_t other_obs = Count("SELECT count(*) FROM normalized.observation WHERE patient_source_key NOT IN (SELECT source_key FROM normalized.person_link WHERE person_id = " + pick + ")");
  const int64_t other_raw = Count("SELECT count(*) FROM raw.fhir_resources");

  // A dry run counts and changes nothing.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ErasureReceipt dry, ErasePerson(*session_, {person, /*dry_run=*/true}));
  EXPECT_GT(dry.rows_removed, 0);
  EXPECT_TRUE(dry.receipt_path.empty());
  EXPECT_EQ(Count("SELECT count(*) FROM curated.person"), persons_before);

  MEDLAKE_ASSERT_OK_AND_ASSIGN(ErasureReceipt receipt, ErasePerson(*session_, {person, false}));
  EXPECT_EQ(receipt.rows_removed, dry.rows_removed);
  EXPECT_EQ(receipt.source_records, static_cast<int64_t>(keys.size()));
  ASSERT_FALSE(receipt.receipt_path.empty());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string receipt_text, LocalFileSystem::Default().ReadFile(receipt.receipt_path));
  for (const auto& k : keys) EXPECT_EQ(receipt_text.find(k), std::string::npos) << "the receipt names " << k;
  bool raw_erased = false;
  for (const auto& t : receipt.tables) raw_erased = raw_erased || t.table.rfind("raw.", 0) == 0;
  EXPECT_TRUE(raw_erased);

  // No file of any table holds the person any more.
  auto after = RowsInAllFiles(person, keys, fhir_ids);
  for (const auto& [t, n] : after) EXPECT_EQ(n, 0) << t;
  // Other persons are untouched.
  EXPECT_EQ(Count("SELECT count(*) FROM curated.person"), persons_before - 1);
  EXPECT_EQ(Count("SELECT count(*) FROM normalized.observation"), other_obs);
  EXPECT_LT(Count("SELECT count(*) FROM raw.fhir_resources"), other_raw);
  // History that held the person is gone: one snapshot left in each erased table.
  EXPECT_EQ(Count("SELECT count(*) FROM curated.\"person$snapshots\""), 1);

  // The next run does not bring the person back; a second erasure finds nothing.
  RunAll();
  for (const auto& k : keys) {
    EXPECT_EQ(Count("SELECT count(*) FROM normalized.patient WHERE source_key = " + engine::QuoteString(k)), 0) << k;
  }
  EXPECT_EQ(Count("SELECT count(*) FROM curated.person"), persons_before - 1);
  EXPECT_THAT(ErasePerson(*session_, {person, false}), StatusIs(StatusCode::kNotFound, "not in the patient index"));
}

}  // namespace
}  // namespace medlake::pipeline
