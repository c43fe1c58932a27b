#include "cli/result_writer.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "core/testing/status_matchers.h"

namespace medlake::cli {
namespace {

class ResultWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(db_, engine::Database::Open());
    MEDLAKE_ASSERT_OK_AND_ASSIGN(conn_, db_->Connect());
  }
  std::string Render(const std::string& sql, OutputFormat format, Status* status = nullptr) {
    auto result = conn_->Query(sql);
    EXPECT_THAT(result, IsOk());
    if (!result.ok()) return "";
    char* buf = nullptr;
    size_t len = 0;
    std::FILE* out = open_memstream(&buf, &len);
    Status st = WriteResult(**result, format, out);
    std::fclose(out);
    std::string text(buf, len);
    std::free(buf);
    if (status) {
      *status = st;
    } else {
      EXPECT_THAT(st, IsOk());
    }
    return text;
  }
  std::unique_ptr<engine::Database> db_;
  std::unique_ptr<engine::Connection> conn_;
};

TEST_F(ResultWriterTest, CsvQuotesAndLeavesNullEmpty) {
  EXPECT_EQ(Render("select 42 as answer", OutputFormat::kCsv), "answer\n42\n");
  EXPECT_EQ(Render("select 'a,b' as x, null as y, 'say \"hi\"' as z", OutputFormat::kCsv),
            "x,y,z\n\"a,b\",,\"say \"\"hi\"\"\"\n");
}

TEST_F(ResultWriterTest, JsonArrayAndNdjson) {
  EXPECT_EQ(Render("select 1 as a, 'x' as b union all select 2, null order by a",
                   OutputFormat::kJson),
            "[\n{\"a\":1,\"b\":\"x\"},\n{\"a\":2,\"b\":null}\n]\n");
  EXPECT_EQ(Render("select 1 as a where false", OutputFormat::kJson), "[]\n");
  EXPECT_EQ(Render("select range as i from range(2)", OutputFormat::kNdjson),
            "{\"i\":0}\n{\"i\":1}\n");
}

TEST_F(ResultWriterTest, TableAlignsColumns) {
  std::string t = Render("select 7 as n, 'abc' as name union all select 1234, 'é' order by n",
                         OutputFormat::kTable);
  EXPECT_EQ(t,
            "  n   | name\n"
            "------+------\n"
            "    7 | abc\n"
            " 1234 | é\n"
            "(2 rows)\n\n");
}

TEST_F(ResultWriterTest, TableStreamsPastWidthBuffer) {
  std::string t = Render("select range as i from range(2500)", OutputFormat::kTable);
  EXPECT_NE(t.find("(2500 rows)"), std::string::npos);
  EXPECT_NE(t.find("\n 2499\n"), std::string::npos);
}

TEST_F(ResultWriterTest, StreamingErrorIsReportedAfterPartialOutput) {
  Status st;
  std::string t = Render(
      "select case when range = 900000 then 'x' else range::varchar end::int as v "
      "from range(1000000)",
      OutputFormat::kNdjson, &st);
  EXPECT_THAT(st, StatusIs(StatusCode::kInvalidArgument, "Conversion"));
}

TEST(OutputFormatTest, ParsesNamesAndRejectsOthers) {
  EXPECT_EQ(*ParseOutputFormat("ndjson"), OutputFormat::kNdjson);
  EXPECT_THAT(ParseOutputFormat("xml"), StatusIs(StatusCode::kInvalidArgument, "xml"));
}

}  // namespace
}  // namespace medlake::cli
