// Key indexes end to end: written with the data files of a table that asks for them, used for
// lookups by key with the same results as the Parquet scan, left alone when they cannot answer,
// and deleted with their files.
#include "engine/key_index_sql.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "engine/lake_executor.h"
#include "engine/lake_session.h"
#include "storage/key_index.h"

namespace medlake::engine {
namespace {

class KeyIndexSqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, storage::Lake::Create(tmp_.Join("lake")));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(session_, LakeSession::Open(*lake_));
    Run("CREATE SCHEMA n");
    // Every type a key index stores, with NULLs.
    Run("CREATE TABLE n.obs (k VARCHAR, seq INTEGER, big BIGINT, ok BOOLEAN, day DATE, ts TIMESTAMP, "
        "tstz TIMESTAMPTZ, f FLOAT, v DOUBLE, raw BLOB)");
    Run("ALTER TABLE n.obs WRITE ORDERED BY k");
    Run("ALTER TABLE n.obs SET TBLPROPERTIES ('medlake.key-index' = 'true')");
    for (int b = 0; b < 2; ++b) {
      Run("INSERT INTO n.obs SELECT 'pat-' || lpad(CAST(i % 50 + " + std::to_string(b * 50) +
          " AS VARCHAR), 4, '0'), CAST(i AS INTEGER), i * 1000000000, i % 2 = 0, DATE '2020-02-29' + CAST(i AS INTEGER), "
          "TIMESTAMP '1969-12-31 23:59:59.5' + to_seconds(i), TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_minutes(i), "
          "CAST(i AS FLOAT) / 4, CASE WHEN i % 7 = 0 THEN NULL ELSE i / 3.0 END, "
          "CAST('b' || i AS BLOB) FROM range(200) t(i)");
    }
  }
  void Run(const std::string& sql) {
    ASSERT_THAT(session_->Run(sql, [](size_t, StatementOutcome&) { return Status::OK(); }), IsOk()) << sql;
  }
  std::string Rows(const std::string& sql) {
    std::string out;
    EXPECT_THAT(session_->Run(sql, [&](size_t, StatementOutcome& o) -> Status {
      if (!o.rows) return Status::OK();
      MEDLAKE_ASSIGN_OR_RETURN(auto rows, o.rows->FetchAll());
      for (const auto& row : rows) {
        if (!out.empty()) out += ";";
        for (size_t i = 0; i < row.size(); ++i) out += (i ? "|" : "") + row[i].ToText();
      }
      return Status::OK();
    }), IsOk()) << sql;
    return out;
  }
  std::string Rewritten(const std::string& sql) {
    auto r = RewriteLakeReferences(session_->connection(), session_->catalog(), session_->file_system(), sql);
    EXPECT_THAT(r, IsOk());
    return r.ok() ? *r : "";
  }
  std::vector<std::string> KeyIndexFiles() {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(lake_->warehouse_path())) {
      if (e.path().extension() == ".keyidx") out.push_back(e.path().string());
    }
    return out;
  }
  // The same query read by key index and by Parquet (a predicate the rewriter does not collect).
  void ExpectSameAsParquet(const std::string& columns, const std::string& key_predicate,
                           const std::string& order_by = " ORDER BY seq, k") {
    const std::string by_index = "SELECT " + columns + " FROM n.obs WHERE " + key_predicate + order_by;
    std::string parquet_predicate = key_predicate;
    parquet_predicate.replace(0, 1, "(k || '')");
    const std::string by_parquet = "SELECT " + columns + " FROM n.obs WHERE " + parquet_predicate + order_by;
    EXPECT_NE(Rewritten(by_index).find("medlake_key_rows"), std::string::npos) << by_index;
    EXPECT_EQ(Rewritten(by_parquet).find("medlake_key_rows"), std::string::npos);
    const std::string expected = Rows(by_parquet);
    EXPECT_FALSE(expected.empty());
    EXPECT_EQ(Rows(by_index), expected) << by_index;
  }
  TempDir tmp_;
  std::unique_ptr<storage::Lake> lake_;
  std::unique_ptr<LakeSession> session_;
};

TEST_F(KeyIndexSqlTest, EachWrittenFileGetsAKeyIndex) {
  EXPECT_EQ(KeyIndexFiles().size(), 2u);
  for (const auto& path : KeyIndexFiles()) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto reader, storage::KeyIndexReader::Open(path));
    EXPECT_EQ(reader->record_count(), 200);
    EXPECT_EQ(reader->columns().size(), 10u);
    EXPECT_EQ(reader->schema_field_ids().size(), 10u);
  }
}

TEST_F(KeyIndexSqlTest, LookupsGiveTheParquetScansRows) {
  ExpectSameAsParquet("k, seq, big, ok, day, ts, tstz, f, v, raw", "k = 'pat-0007'");
  ExpectSameAsParquet("*", "k IN ('pat-0003', 'pat-0077', 'nobody')");
  ExpectSameAsParquet("count(*), sum(v), min(ts), max(day), bool_and(ok)", "k = 'pat-0060'", "");
  // A key with no rows: nothing, through the key index.
  EXPECT_NE(Rewritten("SELECT * FROM n.obs WHERE k = 'nobody'").find("medlake_key_rows"), std::string::npos);
  EXPECT_EQ(Rows("SELECT count(*) FROM n.obs WHERE k = 'nobody'"), "0");
  // The caller's other predicates still apply.
  EXPECT_EQ(Rows("SELECT seq FROM n.obs WHERE k = 'pat-0007' AND seq > 100 ORDER BY seq"), "107;157");
}

TEST_F(KeyIndexSqlTest, OtherQueriesReadParquet) {
  for (const std::string q : {"SELECT * FROM n.obs WHERE seq = 3", "SELECT * FROM n.obs WHERE k > 'pat-0007'",
                              "SELECT * FROM n.obs WHERE k = 7", "SELECT * FROM n.obs"}) {
    EXPECT_EQ(Rewritten(q).find("medlake_key_rows"), std::string::npos) << q;
  }
}

TEST_F(KeyIndexSqlTest, DeletesAndTimeTravelFallBackOrUseTheirOwnFiles) {
  const std::string before = Rows("SELECT count(*) FROM n.obs WHERE k = 'pat-0007'");
  Run("DELETE FROM n.obs WHERE seq = 7");
  // Position deletes: the key indexes do not know them, the Parquet scan applies them.
  EXPECT_EQ(Rewritten("SELECT * FROM n.obs WHERE k = 'pat-0007'").find("medlake_key_rows"), std::string::npos);
  EXPECT_EQ(Rows("SELECT count(*) FROM n.obs WHERE k = 'pat-0007'"), std::to_string(std::stoi(before) - 1));
  // Compaction folds the deletes into new files, which get key indexes; expiring the old
  // snapshots deletes the old files' key indexes with them.
  Run("CALL medlake.compact('n.obs')");
  EXPECT_NE(Rewritten("SELECT * FROM n.obs WHERE k = 'pat-0007'").find("medlake_key_rows"), std::string::npos);
  EXPECT_EQ(Rows("SELECT count(*) FROM n.obs WHERE k = 'pat-0007'"), std::to_string(std::stoi(before) - 1));
  EXPECT_EQ(KeyIndexFiles().size(), 3u);
  Run("CALL medlake.expire_snapshots('n.obs', '2999-01-01 00:00:00', 1)");
  EXPECT_EQ(KeyIndexFiles().size(), 1u);
}

TEST_F(KeyIndexSqlTest, NewColumnsAreNullInOlderFiles) {
  Run("ALTER TABLE n.obs ADD COLUMN note VARCHAR");
  Run("INSERT INTO n.obs (k, seq, note) VALUES ('pat-0007', 1000, 'added')");
  ExpectSameAsParquet("k, seq, note", "k = 'pat-0007'");
  EXPECT_EQ(Rows("SELECT count(note) FROM n.obs WHERE k = 'pat-0007'"), "1");
}

TEST_F(KeyIndexSqlTest, ColumnsTheIndexDoesNotHoldAndMissingIndexesReadParquet) {
  // A decimal column is not stored: the scan returns it, so it reads Parquet.
  Run("CREATE TABLE n.dec (k VARCHAR, amount DECIMAL(10, 2))");
  Run("ALTER TABLE n.dec WRITE ORDERED BY k");
  Run("ALTER TABLE n.dec SET TBLPROPERTIES ('medlake.key-index' = 'true')");
  Run("INSERT INTO n.dec VALUES ('a', 1.25), ('b', 2.5), ('a', 3)");
  EXPECT_EQ(Rewritten("SELECT amount FROM n.dec WHERE k = 'a'").find("medlake_key_rows"), std::string::npos);
  EXPECT_EQ(Rows("SELECT sum(amount) FROM n.dec WHERE k = 'a'"), "4.25");
  Run("ALTER TABLE n.dec DROP COLUMN amount");
  EXPECT_NE(Rewritten("SELECT * FROM n.dec WHERE k = 'a'").find("medlake_key_rows"), std::string::npos);
  EXPECT_EQ(Rows("SELECT count(*) FROM n.dec WHERE k = 'a'"), "2");
  // Files without their key index: Parquet, until they are built again.
  for (const auto& path : KeyIndexFiles()) std::filesystem::remove(path);
  EXPECT_EQ(Rewritten("SELECT * FROM n.obs WHERE k = 'pat-0007'").find("medlake_key_rows"), std::string::npos);
  EXPECT_EQ(Rows("CALL medlake.build_key_index('n.obs')"), "2|2");
  EXPECT_EQ(Rows("CALL medlake.build_key_index('n.obs')"), "2|0");
  EXPECT_NE(Rewritten("SELECT * FROM n.obs WHERE k = 'pat-0007'").find("medlake_key_rows"), std::string::npos);
  ExpectSameAsParquet("*", "k = 'pat-0007'");
}

TEST_F(KeyIndexSqlTest, ThePropertyDecides) {
  EXPECT_FALSE(session_->Run("ALTER TABLE n.obs SET TBLPROPERTIES ('medlake.key-index' = 'yes')",
                             [](size_t, StatementOutcome&) { return Status::OK(); }).ok());
  Run("CREATE TABLE n.plain AS SELECT range AS id FROM range(10)");
  auto st = session_->Run("CALL medlake.build_key_index('n.plain')", [](size_t, StatementOutcome&) { return Status::OK(); });
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
  // Integer keys.
  Run("ALTER TABLE n.plain WRITE ORDERED BY id");
  Run("ALTER TABLE n.plain SET TBLPROPERTIES ('medlake.key-index' = 'true')");
  EXPECT_EQ(Rows("CALL medlake.build_key_index('n.plain')"), "1|1");
  EXPECT_NE(Rewritten("SELECT * FROM n.plain WHERE id IN (3, 4)").find("medlake_key_rows"), std::string::npos);
  EXPECT_EQ(Rows("SELECT id FROM n.plain WHERE id IN (3, 4, 99) ORDER BY id"), "3;4");
  // A prepared statement's parameter on an integer key: looked up when it runs.
  const std::string prepared = Rewritten("SELECT id FROM n.plain WHERE id = $1");
  ASSERT_NE(prepared.find("medlake_key_rows"), std::string::npos) << prepared;
  std::string bound = prepared;
  for (size_t at = bound.find("$1"); at != std::string::npos; at = bound.find("$1")) bound.replace(at, 2, "'7'");
  // The key is not in the text: the scan takes it from the connection's parameter values.
  {
    auto missing = session_->connection().QueryAll(bound);
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.status().message().find("no value for $1"), std::string::npos) << missing.status().ToString();
  }
  {
    std::vector<std::optional<std::string>> values{std::string("7")};
    // (A second registration of the function in a database of its own: its connection ids
    // overlap this one's, its values do not.)
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto other_db, Database::Open());
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto other_conn, other_db->Connect());
    MEDLAKE_ASSERT_OK_AND_ASSIGN(uint64_t other, RegisterKeyIndexFunction(*other_conn));
    std::vector<std::optional<std::string>> elsewhere{std::string("8")};
    KeyParameterValues unrelated(other, *other_conn, elsewhere);
    KeyParameterValues given(session_->key_rows_registration(), session_->connection(), values);
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto rows, session_->connection().QueryAll(bound));
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0].ToText(), "7");
    // One kept plan serves other values (the outer comparison still holds the parameter).
    const std::string kept = prepared;
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto plan, session_->connection().Prepare(kept));
    for (int v : {3, 7, 99}) {
      values[0] = std::to_string(v);
      ASSERT_THAT(plan->ClearBindings(), IsOk());
      ASSERT_THAT(plan->BindInt64(1, v), IsOk());
      MEDLAKE_ASSERT_OK_AND_ASSIGN(auto result, plan->Execute(/*streaming=*/false));
      MEDLAKE_ASSERT_OK_AND_ASSIGN(auto got, result->FetchAll());
      ASSERT_EQ(got.size(), v < 10 ? 1u : 0u) << v;
      if (v < 10) {
        EXPECT_EQ(got[0][0].ToText(), std::to_string(v));
      }
    }
    // NULL equals nothing.
    values[0] = std::nullopt;
    MEDLAKE_ASSERT_OK_AND_ASSIGN(rows, session_->connection().QueryAll(bound));
    EXPECT_TRUE(rows.empty());
  }
  // ... and on a text key (a value that is not a string literal falls back when it runs:
  // KeyOfLiteral refuses it).
  EXPECT_NE(Rewritten("SELECT * FROM n.obs WHERE k = $1").find("medlake_key_rows"), std::string::npos);
  // Turned off: Parquet again (the key indexes stay until their files go).
  Run("ALTER TABLE n.obs SET TBLPROPERTIES ('medlake.key-index' = 'false')");
  EXPECT_EQ(Rewritten("SELECT * FROM n.obs WHERE k = 'pat-0007'").find("medlake_key_rows"), std::string::npos);
}

TEST(KeyOfLiteralTest, ReadsTheLiteralFormsOfParameters) {
  auto key = [](std::string_view literal, bool integer) {
    auto k = KeyOfLiteral(literal, integer);
    if (!k.ok()) return std::string("error");
    return *k ? **k : std::string("null");
  };
  EXPECT_EQ(key("42", true), "42");
  EXPECT_EQ(key("'007'", true), "7");
  EXPECT_EQ(key("' -5 '", true), "-5");
  EXPECT_EQ(key("CAST('12' AS BIGINT)", true), "12");
  EXPECT_EQ(key("cast('12' as integer)", true), "12");
  EXPECT_EQ(key("NULL", true), "null");
  EXPECT_EQ(key("null", false), "null");
  EXPECT_EQ(key("'it''s'", false), "it's");
  EXPECT_EQ(key("''", false), "");
  // No key: the statement must run with the literal in its text.
  EXPECT_EQ(key("'4.0'", true), "error");
  EXPECT_EQ(key("'x'", true), "error");
  EXPECT_EQ(key("99999999999999999999", true), "error");
  EXPECT_EQ(key("CAST('12' AS VARCHAR)", true), "error");
  EXPECT_EQ(key("CAST('a' AS VARCHAR)", false), "error");
  EXPECT_EQ(key("42", false), "error");
  EXPECT_EQ(key("'open", false), "error");
  EXPECT_EQ(key("'a' || 'b'", false), "error");
}

}  // namespace
}  // namespace medlake::engine
