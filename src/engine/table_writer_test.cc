// Writes for pipelines: ReplaceTableRows and UpsertTableRows (engine/lake_executor.h).
#include <gtest/gtest.h>

#include <algorithm>

#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "engine/testing/session_rows.h"
#include "engine/testing/session_rows.h"
#include "engine/lake_executor.h"
#include "engine/lake_session.h"
#include "engine/scan_sql.h"
#include "storage/table.h"

namespace medlake::engine {
namespace {

class TableWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, storage::Lake::Create(tmp_.Join("lake")));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(session_, LakeSession::Open(*lake_));
    MEDLAKE_ASSERT_OK(session_->catalog().CreateNamespace("m"));
  }
  LakeExecutorContext Ctx() {
    return LakeExecutorContext{&session_->connection(), &session_->catalog(), &session_->file_system(),
                               lake_->warehouse_path(), &session_->clock(), 1 << 20};
  }
  std::string Rows(const std::string& sql) { return testing::Rows(*session_, sql); }
  Status Exec(const std::string& sql) {
    return session_->Run(sql, [](size_t, StatementOutcome&) { return Status::OK(); });
  }
  std::string Property(const std::string& key) {
    auto t = storage::LakeTable::Load(session_->catalog(), session_->file_system(), {"m", "t"});
    if (!t.ok()) return "<no table>";
    auto it = (*t)->metadata().properties.find(key);
    return it == (*t)->metadata().properties.end() ? "<none>" : it->second;
  }
  TempDir tmp_;
  std::unique_ptr<storage::Lake> lake_;
  std::unique_ptr<LakeSession> session_;
};

TEST_F(TableWriterTest, ReplaceCreatesThenReplacesAndEvolvesTheSchema) {
  storage::TableIdentifier id{"m", "t"};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto first, ReplaceTableRows(Ctx(), id, "SELECT range AS k, 'v' || range AS v FROM range(3)", {{"w", "1"}}));
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.rows_written, 3);
  EXPECT_EQ(Rows("SELECT k, v FROM m.t ORDER BY k"), "0|v0;1|v1;2|v2");
  EXPECT_EQ(Property("w"), "1");

  // Same columns: the rows are replaced in one overwrite snapshot.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto second, ReplaceTableRows(Ctx(), id, "SELECT range + 10 AS k, 'x' AS v FROM range(2)", {{"w", "2"}}));
  EXPECT_FALSE(second.created);
  EXPECT_FALSE(second.schema_changed);
  EXPECT_EQ(second.rows_removed, 3);
  EXPECT_EQ(Rows("SELECT k, v FROM m.t ORDER BY k"), "10|x;11|x");
  EXPECT_EQ(Property("w"), "2");
  // The earlier contents stay readable by time travel.
  EXPECT_EQ(Rows("SELECT count(*) FROM m.t AT (VERSION => " + std::to_string(*first.snapshot_id) + ")"), "3");

  // A new column and a changed type: the schema evolves with the data.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto third, ReplaceTableRows(Ctx(), id, "SELECT range AS k, range * 2 AS v, true AS flag FROM range(2)", {}));
  EXPECT_TRUE(third.schema_changed);
  EXPECT_EQ(Rows("SELECT k, v, flag FROM m.t ORDER BY k"), "0|0|true;1|2|true");

  // Properties alone: no new snapshot, the rows stay.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto empty, ReplaceTableRows(Ctx(), id, "SELECT 1::BIGINT AS k, 1::BIGINT AS v, false AS flag WHERE false", {{"w", "3"}}));
  EXPECT_EQ(empty.rows_written, 0);
  EXPECT_EQ(Rows("SELECT count(*) FROM m.t"), "0");
  EXPECT_EQ(Property("w"), "3");
}

TEST_F(TableWriterTest, UpsertReplacesRowsByKeyAndHonoursDeletions) {
  storage::TableIdentifier id{"m", "t"};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto created, UpsertTableRows(Ctx(), id,
                                    "SELECT * FROM (VALUES ('a', 1, 'a1'), ('a', 2, 'a2'), ('b', 1, 'b1'), (NULL, 1, 'n1')) v(k, n, v)",
                                    {"k"}, "", {{"wm", "1"}}));
  EXPECT_TRUE(created.created);
  EXPECT_EQ(created.rows_written, 4);
  // Key a gets one row instead of two; key c is new; key b is deleted; NULL key is a key too.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto upserted,
      UpsertTableRows(Ctx(), id,
                      "SELECT * FROM (VALUES ('a', 3, 'a3', false), ('c', 1, 'c1', false), ('b', 0, '', true), "
                      "(NULL, 2, 'n2', NULL)) v(k, n, v, gone)",
                      {"k"}, "gone", {{"wm", "2"}}));
  EXPECT_FALSE(upserted.created);
  EXPECT_EQ(upserted.rows_removed, 4);
  EXPECT_EQ(upserted.rows_written, 3);
  EXPECT_EQ(Rows("SELECT coalesce(k, '-'), n, v FROM m.t ORDER BY 1, 2"), "-|2|n2;a|3|a3;c|1|c1");
  EXPECT_EQ(Property("wm"), "2");

  // An empty delta only moves the properties.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto nothing, UpsertTableRows(Ctx(), id, "SELECT 'z' AS k, 1 AS n, 'z' AS v, false AS gone WHERE false", {"k"}, "gone", {{"wm", "3"}}));
  EXPECT_EQ(nothing.rows_written + nothing.rows_removed, 0);
  EXPECT_EQ(Property("wm"), "3");
  EXPECT_EQ(Rows("SELECT count(*) FROM m.t"), "3");

  // Errors: changed columns, missing key, missing delete marker.
  EXPECT_THAT(UpsertTableRows(Ctx(), id, "SELECT 'a' AS k, 'x' AS other", {"k"}, "", {}),
              StatusIs(StatusCode::kFailedPrecondition, "rebuilt"));
  EXPECT_THAT(UpsertTableRows(Ctx(), id, "SELECT 'a' AS k, 1 AS n, 'v' AS v", {"nope"}, "", {}),
              StatusIs(StatusCode::kInvalidArgument, "key column nope"));
  EXPECT_THAT(UpsertTableRows(Ctx(), id, "SELECT 'a' AS k, 1 AS n, 'v' AS v", {"k"}, "gone", {}),
              StatusIs(StatusCode::kInvalidArgument, "gone"));
  EXPECT_EQ(Rows("SELECT count(*) FROM m.t"), "3");
}

TEST_F(TableWriterTest, CompressionCodecPropertyChangesHowFilesAreWritten) {
  MEDLAKE_ASSERT_OK(Exec("CREATE TABLE m.t AS SELECT i AS id, 'v' || i AS v FROM range(100) t(i)"));
  MEDLAKE_ASSERT_OK(Exec("ALTER TABLE m.t SET TBLPROPERTIES ('write.parquet.compression-codec' = 'LZ4', "
                        "'owner.note' = 'x')"));
  EXPECT_EQ(Property("write.parquet.compression-codec"), "LZ4");
  EXPECT_EQ(Property("owner.note"), "x");
  MEDLAKE_ASSERT_OK(Exec("INSERT INTO m.t SELECT i, 'w' FROM range(100, 110) t(i)"));
  MEDLAKE_ASSERT_OK(Exec("ALTER TABLE m.t SET TBLPROPERTIES ('write.parquet.compression-codec' = 'gzip', "
                        "'write.parquet.compression-level' = '5')"));
  MEDLAKE_ASSERT_OK(Exec("INSERT INTO m.t SELECT i, 'x' FROM range(110, 115) t(i)"));
  // Each file carries the codec its table had when it was written (the session is trusted, so
  // it may read Parquet metadata directly).
  const std::string files = lake_->warehouse_path() + "/m/t/data/*.parquet";
  EXPECT_EQ(Rows("SELECT string_agg(DISTINCT compression, ',') FROM parquet_metadata('" + files +
                 "') GROUP BY file_name ORDER BY sum(row_group_num_rows)"),
            "GZIP;LZ4_RAW;ZSTD");
  EXPECT_EQ(Rows("SELECT count(*), sum(id) FROM m.t"), "115|6555");
  // Bad values are refused when set, and medlake's own properties cannot be set from SQL.
  EXPECT_THAT(Exec("ALTER TABLE m.t SET TBLPROPERTIES ('write.parquet.compression-codec' = 'lzo')"),
              StatusIs(StatusCode::kInvalidArgument, "compression-codec"));
  EXPECT_THAT(Exec("ALTER TABLE m.t SET TBLPROPERTIES ('write.parquet.compression-level' = '0')"),
              StatusIs(StatusCode::kInvalidArgument, "compression-level"));
  EXPECT_THAT(Exec("ALTER TABLE m.t SET TBLPROPERTIES ('medlake.model.hash' = 'x')"),
              StatusIs(StatusCode::kInvalidArgument, "maintained by medlake"));
  EXPECT_EQ(Property("write.parquet.compression-codec"), "gzip");
}

TEST_F(TableWriterTest, WriteOrderIsAnIcebergSortOrder) {
  auto metadata = [&]() {
    auto t = storage::LakeTable::Load(session_->catalog(), session_->file_system(), {"m", "t"});
    EXPECT_THAT(t, IsOk());
    return (*t)->metadata();
  };
  MEDLAKE_ASSERT_OK(Exec("CREATE TABLE m.t (a BIGINT, b VARCHAR)"));
  MEDLAKE_ASSERT_OK(Exec("ALTER TABLE m.t WRITE ORDERED BY b DESC, a"));
  auto m = metadata();
  ASSERT_EQ(m.sort_orders.size(), 2u);
  EXPECT_EQ(m.default_sort_order_id, 1);
  ASSERT_EQ(m.sort_orders[1].fields.size(), 2u);
  EXPECT_EQ(m.sort_orders[1].fields[0].source_id, 2);
  EXPECT_EQ(m.sort_orders[1].fields[0].direction, storage::iceberg::SortDirection::kDesc);
  EXPECT_EQ(m.sort_orders[1].fields[0].null_order, storage::iceberg::NullOrder::kNullsLast);
  EXPECT_EQ(m.sort_orders[1].fields[1].null_order, storage::iceberg::NullOrder::kNullsFirst);
  MEDLAKE_ASSERT_OK(Exec("ALTER TABLE m.t WRITE UNORDERED"));
  EXPECT_EQ(metadata().default_sort_order_id, 0);
  // The same order again reuses its id.
  MEDLAKE_ASSERT_OK(Exec("ALTER TABLE m.t WRITE ORDERED BY b DESC NULLS LAST, a ASC NULLS FIRST"));
  m = metadata();
  EXPECT_EQ(m.sort_orders.size(), 2u);
  EXPECT_EQ(m.default_sort_order_id, 1);
  MEDLAKE_ASSERT_OK(Exec("INSERT INTO m.t VALUES (1, 'x'), (2, 'y'), (3, NULL), (0, 'y')"));
  EXPECT_EQ(Rows("SELECT a FROM m.t"), "0;2;1;3");
  EXPECT_THAT(Exec("ALTER TABLE m.t WRITE ORDERED BY c"), StatusIs(StatusCode::kNotFound, "no column c"));
}

TEST_F(TableWriterTest, FileAndRowGroupSizeProperties) {
  MEDLAKE_ASSERT_OK(Exec("CREATE TABLE m.t (k VARCHAR, h VARCHAR)"));
  MEDLAKE_ASSERT_OK(Exec("ALTER TABLE m.t SET TBLPROPERTIES ('write.target-file-size-bytes' = '1048576', "
                        "'medlake.write.parquet.row-group-rows' = '4096')"));
  // ~20 MB of incompressible text: rolls over into many files of about 1 MiB, 4,096-row groups.
  MEDLAKE_ASSERT_OK(Exec("INSERT INTO m.t SELECT lpad(CAST(i AS VARCHAR), 8, '0'), sha256(CAST(i AS VARCHAR)) || "
                        "sha256(CAST(-i AS VARCHAR)) FROM range(150000) t(i)"));
  const std::string files = lake_->warehouse_path() + "/m/t/data/*.parquet";
  const std::string count = Rows("SELECT count(*) FROM m.\"t$files\"");
  EXPECT_GT(std::stoi(count), 5) << count;
  EXPECT_EQ(Rows("SELECT max(row_group_num_rows) FROM parquet_metadata('" + files + "')"), "4096");
  EXPECT_EQ(Rows("SELECT count(*), count(DISTINCT k) FROM m.t"), "150000|150000");
  EXPECT_THAT(Exec("ALTER TABLE m.t SET TBLPROPERTIES ('write.target-file-size-bytes' = '1000')"),
              StatusIs(StatusCode::kInvalidArgument, "is not an integer from 1048576"));
  EXPECT_THAT(Exec("ALTER TABLE m.t SET TBLPROPERTIES ('medlake.write.parquet.row-group-rows' = '12x')"),
              StatusIs(StatusCode::kInvalidArgument, "row-group-rows"));
}

// A change scan between two snapshots: the rows added and removed by an upsert, a DELETE, an
// UPDATE and a compaction, read by field id after a rename.
TEST_F(TableWriterTest, ChangedRowsSinceASnapshotAreTheAddedAndTheRemovedOnes) {
  storage::TableIdentifier id{"m", "t"};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto first, ReplaceTableRows(Ctx(), id, "SELECT range AS k, 'v' || range AS v FROM range(10)", {}));
  const int64_t s0 = *first.snapshot_id;
  auto changes = [&](int64_t since) -> std::string {
    auto t = storage::LakeTable::Load(session_->catalog(), session_->file_system(), id);
    if (!t.ok()) return t.status().ToString();
    auto plan = (*t)->PlanChanges(since);
    if (!plan.ok()) return plan.status().ToString();
    if (!plan->has_value()) return "<nullopt>";
    auto sql = BuildChangedRowsSql(**plan, {"k", "w"});
    if (!sql.ok()) return sql.status().ToString();
    auto rows = session_->connection().QueryAll("SELECT * FROM (" + *sql + ") ORDER BY k, " + kRemovedColumn);
    if (!rows.ok()) return rows.status().ToString();
    std::string out;
    for (const auto& r : *rows) out += (out.empty() ? "" : ";") + r[0].ToText() + "|" + r[1].ToText() + "|" + r[2].ToText();
    return out;
  };
  MEDLAKE_ASSERT_OK(UpsertTableRows(Ctx(), id, "SELECT 3::BIGINT AS k, 'new3' AS v UNION ALL SELECT 20, 'v20'", {"k"}, "", {}).status());
  MEDLAKE_ASSERT_OK(Exec("DELETE FROM m.t WHERE k = 5"));
  MEDLAKE_ASSERT_OK(Exec("ALTER TABLE m.t RENAME COLUMN v TO w"));
  MEDLAKE_ASSERT_OK(Exec("UPDATE m.t SET w = 'upd7' WHERE k = 7"));
  const std::string expected = "3|new3|false;3|v3|true;5|v5|true;7|upd7|false;7|v7|true;20|v20|false";
  EXPECT_EQ(changes(s0), expected);
  // The same plan without knowing which files the deletes name (as for a foreign writer): the
  // removed rows are found by comparing the older files' rows with the current ones instead.
  {
    auto t0 = storage::LakeTable::Load(session_->catalog(), session_->file_system(), id);
    MEDLAKE_ASSERT_OK(t0.status());
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto plan, (*t0)->PlanChanges(s0));
    ASSERT_TRUE(plan.has_value());
    ASSERT_FALSE(plan->new_deletes.empty());
    for (auto& d : plan->new_deletes) d.referenced_data_file.clear();
    MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string sql, BuildChangedRowsSql(*plan, {"k", "w"}));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(
        auto rows, session_->connection().QueryAll("SELECT * FROM (" + sql + ") ORDER BY k, " + kRemovedColumn));
    std::string out;
    for (const auto& r : rows) out += (out.empty() ? "" : ";") + r[0].ToText() + "|" + r[1].ToText() + "|" + r[2].ToText();
    EXPECT_EQ(out, expected);
  }
  // Nothing changed since the current snapshot; an unknown snapshot cannot be compared.
  auto t = storage::LakeTable::Load(session_->catalog(), session_->file_system(), id);
  MEDLAKE_ASSERT_OK(t.status());
  const int64_t now = *(*t)->metadata().current_snapshot_id;
  EXPECT_EQ(changes(now), "");
  EXPECT_EQ(changes(123456789), "<nullopt>");
  // A compaction rewrites every row: each shows as removed and added again, with equal values.
  MEDLAKE_ASSERT_OK(Exec("CALL medlake.compact('m.t')"));
  EXPECT_EQ(Rows("SELECT count(*) FROM m.t"), "10");
  std::string after_compaction = changes(now);
  EXPECT_EQ(std::count(after_compaction.begin(), after_compaction.end(), ';') + 1, 20) << after_compaction;
  EXPECT_NE(after_compaction.find("7|upd7|false;7|upd7|true"), std::string::npos) << after_compaction;
  // An unknown column is named.
  auto plan = (*t)->PlanChanges(s0);
  MEDLAKE_ASSERT_OK(plan.status());
  ASSERT_TRUE(plan->has_value());
  EXPECT_THAT(BuildChangedRowsSql(**plan, {"nope"}), StatusIs(StatusCode::kNotFound, "nope"));
}

}  // namespace
}  // namespace medlake::engine
