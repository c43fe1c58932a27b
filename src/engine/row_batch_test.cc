#include "engine/row_batch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "core/testing/status_matchers.h"

namespace medlake::engine {
namespace {

using ::testing::Not;

class RowBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(db_, Database::Open());
    MEDLAKE_ASSERT_OK_AND_ASSIGN(conn_, db_->Connect());
    MEDLAKE_ASSERT_OK(RegisterRowBatchFunction(*conn_));
  }
  // A batch with the columns of `table`.
  std::unique_ptr<RowBatch> BatchFor(const std::string& table) {
    auto result = conn_->Query("SELECT * FROM " + table + " LIMIT 0", false);
    EXPECT_THAT(result, IsOk());
    auto batch = RowBatch::Make((*result)->columns());
    EXPECT_THAT(batch, IsOk());
    return std::move(*batch);
  }
  std::string One(const std::string& sql) {
    auto rows = conn_->QueryAll(sql);
    EXPECT_THAT(rows, IsOk());
    if (!rows.ok() || rows->empty() || rows->front().empty()) return "<none>";
    return rows->front().front().ToText();
  }
  std::unique_ptr<Database> db_;
  std::unique_ptr<Connection> conn_;
};

TEST_F(RowBatchTest, EveryNativeTypeRoundTripsWithNullsAcrossManyChunks) {
  MEDLAKE_ASSERT_OK(conn_->Execute(
      "CREATE TABLE t (n BIGINT, b BOOLEAN, i INTEGER, d DOUBLE, dt DATE, ts TIMESTAMP, "
      "tz TIMESTAMPTZ, s VARCHAR, bl BLOB)"));
  auto batch = BatchFor("t");
  const int kRows = 5000;  // more than two DuckDB vectors
  int64_t sum_i = 0, nulls_s = 0, len_s = 0, sum_days = 0;
  for (int r = 0; r < kRows; ++r) {
    MEDLAKE_ASSERT_OK(batch->AppendInt64(r));
    MEDLAKE_ASSERT_OK(r % 7 == 0 ? batch->AppendNull() : batch->AppendBool(r % 2 == 0));
    MEDLAKE_ASSERT_OK(batch->AppendInt64(r * 3 - 7000));
    sum_i += r * 3 - 7000;
    MEDLAKE_ASSERT_OK(batch->AppendDouble(r * 0.5));
    MEDLAKE_ASSERT_OK(batch->AppendDate(r));
    sum_days += r;
    MEDLAKE_ASSERT_OK(batch->AppendTimestamp(int64_t{r} * 1'000'000));
    MEDLAKE_ASSERT_OK(batch->AppendTimestamp(int64_t{r} * 60'000'000));
    if (r % 5 == 0) {
      MEDLAKE_ASSERT_OK(batch->AppendNull());
      ++nulls_s;
    } else {
      const std::string s = "ñ" + std::to_string(r);  // non-ASCII, and longer than inline strings at times
      MEDLAKE_ASSERT_OK(batch->AppendString(r % 3 == 0 ? s + std::string(20, 'x') : s));
      len_s += static_cast<int64_t>(r % 3 == 0 ? s.size() + 20 : s.size());
    }
    MEDLAKE_ASSERT_OK(batch->AppendBlob(std::string("\0\xff", 2) + std::to_string(r)));
    MEDLAKE_ASSERT_OK(batch->EndRow());
  }
  EXPECT_EQ(batch->rows(), kRows);
  MEDLAKE_ASSERT_OK(conn_->Execute("INSERT INTO t SELECT * FROM " + batch->ScanSql()));
  EXPECT_EQ(One("SELECT count(*) FROM t"), std::to_string(kRows));
  EXPECT_EQ(One("SELECT sum(n) FROM t"), std::to_string(int64_t{kRows} * (kRows - 1) / 2));
  EXPECT_EQ(One("SELECT count(*) FROM t WHERE b IS NULL"), std::to_string((kRows + 6) / 7));
  EXPECT_EQ(One("SELECT count(*) FROM t WHERE b AND n % 7 <> 0"),
            One("SELECT count(*) FROM range(" + std::to_string(kRows) + ") r(x) WHERE x % 2 = 0 AND x % 7 <> 0"));
  EXPECT_EQ(One("SELECT sum(i) FROM t"), std::to_string(sum_i));
  EXPECT_EQ(One("SELECT sum(d) FROM t"), One("SELECT sum(x * 0.5) FROM range(5000) r(x)"));
  EXPECT_EQ(One("SELECT sum(dt - DATE '1970-01-01') FROM t"), std::to_string(sum_days));
  EXPECT_EQ(One("SELECT max(ts) FROM t"), "1970-01-01 01:23:19");
  EXPECT_EQ(One("SELECT count(*) FROM t WHERE epoch_us(tz) = n * 60000000"), std::to_string(kRows));
  EXPECT_EQ(One("SELECT count(*) FROM t WHERE s IS NULL"), std::to_string(nulls_s));
  EXPECT_EQ(One("SELECT sum(strlen(s)) FROM t"), std::to_string(len_s));
  EXPECT_EQ(One("SELECT s FROM t WHERE n = 4999"), "ñ4999");
  EXPECT_EQ(One("SELECT count(*) FROM t WHERE bl = ('\\x00\\xFF' || n::VARCHAR)::BLOB"),
            std::to_string(kRows));
  // Cleared, the batch is empty and takes new rows.
  batch->Clear();
  EXPECT_EQ(batch->rows(), 0);
  EXPECT_EQ(One("SELECT count(*) FROM " + batch->ScanSql()), "0");
}

TEST_F(RowBatchTest, TextIsCastByTheReadingStatementButNotMixedWithTypedValues) {
  MEDLAKE_ASSERT_OK(conn_->Execute("CREATE TABLE c (amount DECIMAL(9,2), t TIME, n BIGINT)"));
  auto batch = BatchFor("c");
  MEDLAKE_ASSERT_OK(batch->AppendString("12.50"));
  MEDLAKE_ASSERT_OK(batch->AppendString("08:21:00"));
  MEDLAKE_ASSERT_OK(batch->AppendString("-42"));
  MEDLAKE_ASSERT_OK(batch->EndRow());
  MEDLAKE_ASSERT_OK(batch->AppendNull());
  MEDLAKE_ASSERT_OK(batch->AppendString("23:59:59"));
  // This batch gave column n text: a typed value now is refused, and the row dropped.
  EXPECT_THAT(batch->AppendInt64(7), Not(IsOk()));
  EXPECT_EQ(batch->rows(), 1);
  MEDLAKE_ASSERT_OK(conn_->Execute("INSERT INTO c SELECT * FROM " + batch->ScanSql()));
  EXPECT_EQ(One("SELECT amount * 2 FROM c"), "25.00");
  EXPECT_EQ(One("SELECT t FROM c"), "08:21:00");
  EXPECT_EQ(One("SELECT n + 1 FROM c"), "-41");
  // A text value that does not cast fails the statement, not silently.
  batch->Clear();
  MEDLAKE_ASSERT_OK(batch->AppendString("twelve"));
  MEDLAKE_ASSERT_OK(batch->AppendNull());
  MEDLAKE_ASSERT_OK(batch->AppendInt64(1));
  MEDLAKE_ASSERT_OK(batch->EndRow());
  EXPECT_THAT(conn_->Execute("INSERT INTO c SELECT * FROM " + batch->ScanSql()), Not(IsOk()));
  EXPECT_EQ(One("SELECT count(*) FROM c"), "1");
}

TEST_F(RowBatchTest, BadRowsAreRefusedAndDiscardedWithoutHarmingTheOthers) {
  MEDLAKE_ASSERT_OK(conn_->Execute("CREATE TABLE e (i INTEGER, s VARCHAR, b BLOB)"));
  auto batch = BatchFor("e");
  auto good = [&](int i) {
    MEDLAKE_ASSERT_OK(batch->AppendInt64(i));
    MEDLAKE_ASSERT_OK(batch->AppendString("row" + std::to_string(i)));
    MEDLAKE_ASSERT_OK(batch->AppendBlob("b"));
    MEDLAKE_ASSERT_OK(batch->EndRow());
  };
  good(1);
  // Too few values.
  MEDLAKE_ASSERT_OK(batch->AppendInt64(2));
  EXPECT_THAT(batch->EndRow(), StatusIs(StatusCode::kInvalidArgument, "1 values for 3"));
  // An INTEGER out of range.
  EXPECT_THAT(batch->AppendInt64(int64_t{1} << 40), StatusIs(StatusCode::kInvalidArgument, "INTEGER"));
  // Invalid UTF-8 for a VARCHAR column (but fine for a BLOB one).
  MEDLAKE_ASSERT_OK(batch->AppendInt64(3));
  EXPECT_THAT(batch->AppendString("\xC3\x28"), StatusIs(StatusCode::kInvalidArgument, "UTF-8"));
  // A blob for a VARCHAR column, a bool for an INTEGER one.
  MEDLAKE_ASSERT_OK(batch->AppendInt64(4));
  EXPECT_THAT(batch->AppendBlob("x"), Not(IsOk()));
  EXPECT_THAT(batch->AppendBool(true), Not(IsOk()));
  // Too many values.
  MEDLAKE_ASSERT_OK(batch->AppendInt64(5));
  MEDLAKE_ASSERT_OK(batch->AppendString("x"));
  MEDLAKE_ASSERT_OK(batch->AppendString("\xC3\x28"));  // BLOB: any bytes
  EXPECT_THAT(batch->AppendNull(), StatusIs(StatusCode::kInvalidArgument, "more values"));
  good(6);
  EXPECT_EQ(batch->rows(), 2);
  MEDLAKE_ASSERT_OK(conn_->Execute("INSERT INTO e SELECT * FROM " + batch->ScanSql()));
  EXPECT_EQ(One("SELECT string_agg(i::VARCHAR || ':' || s, ',' ORDER BY i) FROM e"), "1:row1,6:row6");
  EXPECT_EQ(batch->string_bytes(), 4 + 1 + 4 + 1);
}

TEST_F(RowBatchTest, AGoneBatchCannotBeRead) {
  MEDLAKE_ASSERT_OK(conn_->Execute("CREATE TABLE g (i BIGINT)"));
  std::string scan;
  {
    auto batch = BatchFor("g");
    scan = batch->ScanSql();
    EXPECT_EQ(One("SELECT count(*) FROM " + scan), "0");
  }
  EXPECT_THAT(conn_->Execute("SELECT * FROM " + scan), StatusIs(StatusCode::kInvalidArgument, "no such batch"));
  EXPECT_THAT(conn_->Execute("SELECT * FROM medlake_row_batch(-1)"), Not(IsOk()));
}

}  // namespace
}  // namespace medlake::engine
