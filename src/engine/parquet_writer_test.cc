#include "engine/parquet_writer.h"

#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"

namespace medlake::engine {
namespace {

class ParquetWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(db_, Database::Open());
    MEDLAKE_ASSERT_OK_AND_ASSIGN(conn_, db_->Connect());
  }
  std::string One(const std::string& sql) {
    auto rows = conn_->QueryAll(sql);
    EXPECT_THAT(rows, IsOk());
    return rows.ok() && !rows->empty() ? (*rows)[0][0].ToText() : "";
  }
  TempDir tmp_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Connection> conn_;
};

TEST_F(ParquetWriterTest, WritesFieldIdsAndReturnsStats) {
  std::vector<ParquetField> fields = {
      {"id", 1, {}},
      {"name", 2, {}},
      {"codes", 3, {{"element", 5, {}}}},
      {"addr", 4, {{"city", 6, {}}, {"zip", 7, {}}}},
  };
  ParquetWriteOptions options;
  options.directory = tmp_.Join("data");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto files,
      WriteParquetFiles(*conn_,
                        "select range::bigint as id, case when range % 2 = 0 then 'n' || range end "
                        "as name, ['E11', 'I10'] as codes, {'city': 'Madrid', 'zip': '28001'} as addr "
                        "from range(10)",
                        fields, options));
  ASSERT_EQ(files.size(), 1u);
  const WrittenFile& f = files[0];
  EXPECT_EQ(f.record_count, 10);
  EXPECT_GT(f.file_size_bytes, 0);
  EXPECT_EQ(f.path.rfind(tmp_.Join("data/data-"), 0), 0u) << f.path;
  EXPECT_EQ(f.stats.at(1).min.value_or(""), "0");
  EXPECT_EQ(f.stats.at(1).max.value_or(""), "9");
  EXPECT_EQ(f.stats.at(2).null_count.value_or(-1), 5);
  EXPECT_EQ(f.stats.at(5).min.value_or(""), "E11");
  EXPECT_EQ(f.stats.at(6).max.value_or(""), "Madrid");
  // The ids are in the file: read back by field id under new names.
  EXPECT_EQ(One("select sum(ident) from read_parquet('" + f.path +
                "', schema = map {1: {name: 'ident', type: 'BIGINT', default_value: NULL}})"),
            "45");
}

TEST_F(ParquetWriterTest, PartitionedWriteReportsKeys) {
  ParquetWriteOptions options;
  options.directory = tmp_.Join("p");
  options.partition_columns = {"__p0"};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto files, WriteParquetFiles(*conn_, "select range as v, range % 3 as __p0 from range(9)",
                                    {{"v", 1, {}}}, options));
  ASSERT_EQ(files.size(), 3u);
  int64_t total = 0;
  for (const auto& f : files) {
    total += f.record_count;
    ASSERT_EQ(f.partition_keys.count("__p0"), 1u);
    EXPECT_NE(f.path.find("__p0=" + f.partition_keys.at("__p0")), std::string::npos);
  }
  EXPECT_EQ(total, 9);
}

TEST_F(ParquetWriterTest, EmptyResultWritesNoFileAndErrorsPropagate) {
  ParquetWriteOptions options;
  options.directory = tmp_.Join("e");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto none, WriteParquetFiles(*conn_, "select 1 as a where false",
                                                            {{"a", 1, {}}}, options));
  EXPECT_TRUE(none.empty());
  EXPECT_THAT(WriteParquetFiles(*conn_, "select 'x'::int as a", {{"a", 1, {}}}, options),
              StatusIs(StatusCode::kInvalidArgument, "Conversion"));
}

TEST(FieldIdsLiteralTest, QuotesNamesAndNests) {
  EXPECT_EQ(FieldIdsLiteral({{"a\"b", 1, {}}, {"m", 2, {{"key", 3, {}}, {"value", 4, {}}}}}),
            "{\"a\"\"b\": 1, \"m\": {__duckdb_field_id: 2, \"key\": 3, \"value\": 4}}");
}

}  // namespace
}  // namespace medlake::engine
