#include "engine/scan_sql.h"

#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "engine/database.h"
#include "engine/iceberg_sql_types.h"
#include "engine/parquet_writer.h"

namespace medlake::engine {
namespace {

class ScanSqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(db_, Database::Open());
    MEDLAKE_ASSERT_OK_AND_ASSIGN(conn_, db_->Connect());
  }
  // Writes `query` as one Parquet file with the given field ids; returns its path.
  std::string Write(const std::string& query, const std::vector<ParquetField>& fields,
                    const std::string& dir) {
    ParquetWriteOptions o;
    o.directory = tmp_.Join(dir);
    auto files = WriteParquetFiles(*conn_, query, fields, o);
    EXPECT_THAT(files, IsOk());
    return files.ok() && files->size() == 1 ? (*files)[0].path : "";
  }
  std::string Rows(const storage::ScanPlan& plan, const std::string& order = "1") {
    auto sql = BuildScanSql(plan);
    EXPECT_THAT(sql, IsOk());
    if (!sql.ok()) return "";
    auto rows = conn_->QueryAll("SELECT * FROM (" + *sql + ") ORDER BY " + order);
    EXPECT_THAT(rows, IsOk()) << *sql;
    if (!rows.ok()) return "";
    std::string out;
    for (auto& r : *rows) {
      for (size_t c = 0; c < r.size(); ++c) out += (c ? "," : "") + r[c].ToText();
      out += ";";
    }
    return out;
  }
  TempDir tmp_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Connection> conn_;
};

TEST_F(ScanSqlTest, EmptyTableHasTypedColumns) {
  storage::ScanPlan plan;
  plan.columns = {{1, "id", "\"long\"", true}, {2, "name", "\"string\"", false}};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string sql, BuildScanSql(plan));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto r, conn_->Query(sql));
  EXPECT_EQ(r->columns()[0].type_name, "BIGINT");
  EXPECT_EQ(r->columns()[1].name, "name");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto rows, r->FetchAll());
  EXPECT_TRUE(rows.empty());
}

TEST_F(ScanSqlTest, ProjectsByFieldIdAcrossSchemaEvolution) {
  // File 1 was written when field 1 was an int named "n" and field 3 did not exist.
  std::string f1 = Write("select range::int as n, 'a' || range as s from range(3)",
                         {{"n", 1, {}}, {"s", 2, {}}}, "d1");
  std::string f2 = Write("select (10 + range)::bigint as n, 'b' as s, 7 as added from range(2)",
                         {{"n", 1, {}}, {"s", 2, {}}, {"added", 3, {}}}, "d2");
  storage::ScanPlan plan;
  plan.columns = {{1, "renamed", "\"long\"", false}, {2, "s", "\"string\"", false},
                  {3, "added", "\"int\"", false}};
  plan.data_files = {{f1, f1, 1, 3, 0, 0}, {f2, f2, 2, 2, 0, 0}};
  EXPECT_EQ(Rows(plan), "0,a0,NULL;1,a1,NULL;2,a2,NULL;10,b,7;11,b,7;");
}

TEST_F(ScanSqlTest, AppliesPositionDeletesBySequenceNumber) {
  std::string f1 = Write("select range as id from range(5)", {{"id", 1, {}}}, "d1");
  // Positions 1 and 3 of f1 deleted at sequence 2; a delete at sequence 1 for position 0 does
  // not apply to a file with data sequence 2 (written after it).
  MEDLAKE_ASSERT_OK(conn_->Execute("copy (select '" + f1 + "' as file_path, pos::bigint as pos from "
                                   "(values (1), (3)) v(pos)) to '" + tmp_.Join("pd.parquet") +
                                   "' (format parquet)"));
  MEDLAKE_ASSERT_OK(conn_->Execute("copy (select '" + f1 + "' as file_path, 0::bigint as pos) to '" +
                                   tmp_.Join("pd_old.parquet") + "' (format parquet)"));
  storage::ScanPlan plan;
  plan.columns = {{1, "id", "\"long\"", true}};
  plan.data_files = {{f1, f1, 2, 5, 0, 0}};
  storage::ScanDeleteFile pd;
  pd.path = pd.original_path = tmp_.Join("pd.parquet");
  pd.data_sequence_number = 2;
  storage::ScanDeleteFile old = pd;
  old.path = old.original_path = tmp_.Join("pd_old.parquet");
  old.data_sequence_number = 1;
  plan.delete_files = {pd, old};
  EXPECT_EQ(Rows(plan), "0;2;4;");
}

TEST_F(ScanSqlTest, PositionDeletesMatchOriginalPaths) {
  std::string f1 = Write("select range as id from range(3)", {{"id", 1, {}}}, "d1");
  MEDLAKE_ASSERT_OK(conn_->Execute("copy (select 's3://elsewhere/t/data/f1.parquet' as file_path, "
                                   "1::bigint as pos) to '" + tmp_.Join("pd.parquet") +
                                   "' (format parquet)"));
  storage::ScanPlan plan;
  plan.columns = {{1, "id", "\"long\"", true}};
  plan.data_files = {{f1, "s3://elsewhere/t/data/f1.parquet", 1, 3, 0, 0}};
  storage::ScanDeleteFile pd;
  pd.path = tmp_.Join("pd.parquet");
  pd.original_path = "s3://elsewhere/t/metadata/pd.parquet";
  pd.data_sequence_number = 1;
  plan.delete_files = {pd};
  EXPECT_EQ(Rows(plan), "0;2;");
}

TEST_F(ScanSqlTest, AppliesEqualityDeletesToOlderDataOnly) {
  std::string old_file = Write("select * from (values (1, 'a'), (2, 'b'), (3, null)) v(id, name)",
                               {{"id", 1, {}}, {"name", 2, {}}}, "d1");
  std::string new_file = Write("select 4 as id, 'b' as name", {{"id", 1, {}}, {"name", 2, {}}}, "d2");
  std::string eq = Write("select * from (values ('b'), (null)) v(name)", {{"name", 2, {}}}, "eq");
  storage::ScanPlan plan;
  plan.columns = {{1, "id", "\"int\"", false}, {2, "name", "\"string\"", false}};
  plan.data_files = {{old_file, old_file, 1, 3, 0, 0}, {new_file, new_file, 3, 1, 0, 0}};
  storage::ScanDeleteFile d;
  d.content = storage::ScanDeleteFile::Content::kEquality;
  d.path = d.original_path = eq;
  d.data_sequence_number = 2;
  d.equality_ids = {2};
  plan.delete_files = {d};
  // 'b' and NULL rows of the old file are gone; the newer file's 'b' stays.
  EXPECT_EQ(Rows(plan), "1,a;4,b;");
}

TEST_F(ScanSqlTest, PositionAndEqualityDeletesApplyTogetherWithRowIds) {
  std::string f1 = Write("select * from (values (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')) v(id, name)",
                         {{"id", 1, {}}, {"name", 2, {}}}, "d1");
  std::string f2 = Write("select * from (values (5, 'a'), (6, 'e')) v(id, name)",
                         {{"id", 1, {}}, {"name", 2, {}}}, "d2");
  // Position 0 of f1 and position 1 of f2; the delete file names no single data file.
  MEDLAKE_ASSERT_OK(conn_->Execute("copy (select * from (values ('" + f1 + "', 0::bigint), ('" + f2 +
                                   "', 1::bigint)) v(file_path, pos)) to '" + tmp_.Join("pd.parquet") +
                                   "' (format parquet)"));
  // A delete file of another data file, outside this plan: it must not remove row 3 of f1.
  MEDLAKE_ASSERT_OK(conn_->Execute("copy (select '/elsewhere/other.parquet' as file_path, 2::bigint as pos) to '" +
                                   tmp_.Join("pd_other.parquet") + "' (format parquet)"));
  std::string eq_id = Write("select 2 as id", {{"id", 1, {}}}, "eq1");
  std::string eq_name = Write("select 'a' as name", {{"name", 2, {}}}, "eq2");
  storage::ScanPlan plan;
  plan.columns = {{1, "id", "\"int\"", false}, {2, "name", "\"string\"", false}};
  plan.data_files = {{f1, f1, 1, 4, 0, 0}, {f2, f2, 3, 2, 0, 0}};
  storage::ScanDeleteFile pd;
  pd.path = pd.original_path = tmp_.Join("pd.parquet");
  pd.data_sequence_number = 3;
  storage::ScanDeleteFile other = pd;
  other.path = other.original_path = tmp_.Join("pd_other.parquet");
  other.referenced_data_file = "/elsewhere/other.parquet";
  storage::ScanDeleteFile by_id;
  by_id.content = storage::ScanDeleteFile::Content::kEquality;
  by_id.path = by_id.original_path = eq_id;
  by_id.data_sequence_number = 2;
  by_id.equality_ids = {1};
  storage::ScanDeleteFile by_name = by_id;
  by_name.path = by_name.original_path = eq_name;
  by_name.equality_ids = {2};
  plan.delete_files = {pd, other, by_id, by_name};
  // f1 loses position 0 (id 1, also 'a') and id 2; f2 (sequence 3) keeps its 'a' but loses position 1.
  EXPECT_EQ(Rows(plan), "3,c;4,d;5,a;");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string sql, BuildScanSql(plan, /*with_row_ids=*/true));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto rows, conn_->QueryAll("SELECT id, " + std::string(kRowFileColumn) + ", " +
                                                          kRowPositionColumn + " FROM (" + sql + ") ORDER BY id"));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][1].ToText(), f1);
  EXPECT_EQ(rows[0][2].ToText(), "2");
  EXPECT_EQ(rows[2][1].ToText(), f2);
  EXPECT_EQ(rows[2][2].ToText(), "0");
}

TEST_F(ScanSqlTest, OneLargeFileIsReadOnEveryThreadWithTheSameRows) {
  std::string f = Write("select range as id, range % 7 as g from range(100000)", {{"id", 1, {}}, {"g", 2, {}}}, "big");
  storage::ScanPlan plan;
  plan.columns = {{1, "id", "\"long\"", false}, {2, "g", "\"long\"", false}};
  plan.data_files = {{f, f, 1, 100000, 0, 0}};
  auto sums = [&](const storage::ScanPlan& p, bool row_ids) {
    auto sql = BuildScanSql(p, row_ids);
    EXPECT_THAT(sql, IsOk());
    if (!sql.ok()) return std::string();
    auto rows = conn_->QueryAll("SELECT count(*), sum(id), sum(g) FROM (" + *sql + ")");
    EXPECT_THAT(rows, IsOk()) << *sql;
    return rows.ok() ? (*rows)[0][0].ToText() + "," + (*rows)[0][1].ToText() + "," + (*rows)[0][2].ToText() : "";
  };
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string sql, BuildScanSql(plan));
  EXPECT_NE(sql.find("file_index = 0"), std::string::npos) << sql;
  EXPECT_EQ(sums(plan, false), "100000,4999950000,299995");
  EXPECT_EQ(sums(plan, true), "100000,4999950000,299995");
  // A small file is listed once.
  storage::ScanPlan small = plan;
  small.data_files[0].record_count = kParallelScanRows - 1;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string small_sql, BuildScanSql(small));
  EXPECT_EQ(small_sql.find("file_index"), std::string::npos) << small_sql;
  EXPECT_EQ(sums(small, false), "100000,4999950000,299995");
  // With position deletes (positions 0-9) and row ids: each row once, at its position.
  MEDLAKE_ASSERT_OK(conn_->Execute("copy (select '" + f + "' as file_path, range::bigint as pos from range(10)) to '" +
                                   tmp_.Join("pd_big.parquet") + "' (format parquet)"));
  storage::ScanDeleteFile pd;
  pd.path = pd.original_path = tmp_.Join("pd_big.parquet");
  pd.data_sequence_number = 2;
  plan.delete_files = {pd};
  EXPECT_EQ(sums(plan, false), "99990,4999949955,299971");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string with_ids, BuildScanSql(plan, /*with_row_ids=*/true));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto rows, conn_->QueryAll("SELECT min(id), min(" + std::string(kRowPositionColumn) +
                                                          "), count(DISTINCT " + kRowPositionColumn + ") FROM (" +
                                                          with_ids + ")"));
  EXPECT_EQ(rows[0][0].ToText(), "10");
  EXPECT_EQ(rows[0][1].ToText(), "10");
  EXPECT_EQ(rows[0][2].ToText(), "99990");
}

TEST(IcebergSqlTypesTest, IcebergToDuckDb) {
  EXPECT_EQ(*IcebergTypeToDuckDb("\"decimal(9, 2)\""), "DECIMAL(9,2)");
  EXPECT_EQ(*IcebergTypeToDuckDb("long"), "BIGINT");
  EXPECT_EQ(*IcebergTypeToDuckDb(R"({"type":"list","element-id":3,"element-required":false,"element":"string"})"),
            "VARCHAR[]");
  EXPECT_EQ(*IcebergTypeToDuckDb(
                R"({"type":"struct","fields":[{"id":4,"name":"a b","required":false,"type":"timestamptz"}]})"),
            "STRUCT(\"a b\" TIMESTAMP WITH TIME ZONE)");
  EXPECT_EQ(*IcebergTypeToDuckDb(
                R"({"type":"map","key-id":5,"key":"string","value-id":6,"value-required":false,"value":"int"})"),
            "MAP(VARCHAR, INTEGER)");
  EXPECT_THAT(IcebergTypeToDuckDb("\"nonsense\""), StatusIs(StatusCode::kDataLoss, "nonsense"));
  EXPECT_THAT(IcebergTypeToDuckDb(R"({"type":"list"})"), StatusIs(StatusCode::kDataLoss, "element"));
}

TEST(IcebergSqlTypesTest, DuckDbToIcebergAssignsNestedIds) {
  int next = 10;
  EXPECT_EQ(*DuckDbTypeToIceberg("DECIMAL(18,3)", &next), "\"decimal(18, 3)\"");
  EXPECT_EQ(*DuckDbTypeToIceberg("TIMESTAMP WITH TIME ZONE", &next), "\"timestamptz\"");
  EXPECT_EQ(*DuckDbTypeToIceberg("VARCHAR[]", &next),
            R"({"element":"string","element-id":10,"element-required":false,"type":"list"})");
  EXPECT_EQ(next, 11);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string s,
                               DuckDbTypeToIceberg("STRUCT(\"x y\" INTEGER, z MAP(VARCHAR, DOUBLE))", &next));
  EXPECT_NE(s.find(R"("id":11,"name":"x y")"), std::string::npos) << s;
  EXPECT_NE(s.find(R"("key-id":13)"), std::string::npos) << s;
  EXPECT_EQ(next, 15);
  // 128-bit integers (DuckDB's sums of BIGINT) become the widest decimal.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string huge, DuckDbTypeToIceberg("HUGEINT", &next));
  EXPECT_EQ(huge, "\"decimal(38, 0)\"");
  EXPECT_THAT(DuckDbTypeToIceberg("BIT", &next), StatusIs(StatusCode::kInvalidArgument, "BIT"));
  EXPECT_THAT(DuckDbTypeToIceberg("INTEGER[3]", &next), StatusIs(StatusCode::kInvalidArgument, ""));
  EXPECT_THAT(DuckDbTypeToIceberg("INTERVAL", &next), StatusIs(StatusCode::kInvalidArgument, ""));
}

}  // namespace
}  // namespace medlake::engine
