#include "engine/database.h"

#include <gtest/gtest.h>

#include <latch>
#include <thread>
#include <vector>

#include "core/testing/status_matchers.h"
#include "engine/duckdb_internal.h"

namespace medlake::engine {
namespace {

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(db_, Database::Open());
    MEDLAKE_ASSERT_OK_AND_ASSIGN(conn_, db_->Connect());
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

TEST_F(DatabaseTest, ReportsPinnedVersion) { EXPECT_EQ(Database::LibraryVersion(), "v1.4.4"); }

TEST_F(DatabaseTest, RunsQueryAndReadsColumns) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto result, conn_->Query("select 42 as answer, 'x' as s"));
  ASSERT_EQ(result->columns().size(), 2u);
  EXPECT_EQ(result->columns()[0].name, "answer");
  EXPECT_EQ(result->columns()[0].type, TypeId::kInteger);
  EXPECT_EQ(result->columns()[1].type_name, "VARCHAR");
  EXPECT_TRUE(result->returns_rows());
  EXPECT_EQ(result->statement_kind(), StatementKind::kSelect);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto chunk, result->Next());
  ASSERT_NE(chunk, nullptr);
  EXPECT_EQ(chunk->size(), 1u);
  EXPECT_EQ(chunk->GetInt32(0, 0), 42);
  EXPECT_EQ(chunk->GetString(1, 0), "x");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto end, result->Next());
  EXPECT_EQ(end, nullptr);
}

TEST_F(DatabaseTest, StreamsLargeResultsChunkByChunk) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto result, conn_->Query("select range as i from range(1000000)"));
  EXPECT_TRUE(result->is_streaming());
  int64_t rows = 0, sum = 0;
  size_t chunks = 0;
  while (true) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto chunk, result->Next());
    if (!chunk) break;
    ++chunks;
    EXPECT_LE(chunk->size(), 2048u);
    for (size_t r = 0; r < chunk->size(); ++r) sum += chunk->GetInt64(0, r);
    rows += static_cast<int64_t>(chunk->size());
  }
  EXPECT_EQ(rows, 1000000);
  EXPECT_EQ(sum, 499999500000);
  EXPECT_GT(chunks, 400u);
}

TEST_F(DatabaseTest, ErrorsBecomeStatusesWithCodes) {
  EXPECT_THAT(conn_->Query("selec 1"), StatusIs(StatusCode::kInvalidArgument, "Parser Error"));
  EXPECT_THAT(conn_->Query("select * from no_such_table"),
              StatusIs(StatusCode::kNotFound, "no_such_table"));
  EXPECT_THAT(conn_->Query("select 'a' + 1"), StatusIs(StatusCode::kInvalidArgument, ""));
  MEDLAKE_ASSERT_OK(conn_->Execute("create table t(a int primary key)"));
  EXPECT_THAT(conn_->Execute("create table t(a int)"),
              StatusIs(StatusCode::kAlreadyExists, "already exists"));
  MEDLAKE_ASSERT_OK(conn_->Execute("insert into t values (1)"));
  EXPECT_THAT(conn_->Execute("insert into t values (1)"),
              StatusIs(StatusCode::kFailedPrecondition, "Constraint"));
}

TEST_F(DatabaseTest, ErrorDuringStreamingComesFromNext) {
  // The cast fails only when the bad row is reached, after the first chunks were returned.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto result,
      conn_->Query("select case when range = 500000 then 'x' else range::varchar end::int as v "
                   "from range(1000000)"));
  Status failure;
  while (true) {
    auto chunk = result->Next();
    if (!chunk.ok()) {
      failure = chunk.status();
      break;
    }
    if (!*chunk) break;
  }
  EXPECT_THAT(failure, StatusIs(StatusCode::kInvalidArgument, "Conversion"));
}

TEST_F(DatabaseTest, SplitsAndPreparesStatementsLazily) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto list, conn_->Split("create table s(x int); insert into s values (1),(2); select sum(x) from s"));
  ASSERT_EQ(list->size(), 3u);
  for (size_t i = 0; i < 2; ++i) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto stmt, list->Prepare(i));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto r, stmt->Execute());
    if (i == 1) {
      EXPECT_FALSE(r->returns_rows());
      EXPECT_EQ(r->rows_changed(), 2);
    }
  }
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto last, list->Prepare(2));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto r, last->Execute());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto rows, r->FetchAll());
  EXPECT_EQ(rows[0][0].ToText(), "3");
  EXPECT_THAT(conn_->Split("select 1; selec 2"), StatusIs(StatusCode::kInvalidArgument, "Parser"));
}

TEST_F(DatabaseTest, PreparedStatementBindsTypedParameters) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto stmt, conn_->Prepare("select $1::bigint + 1, $2 || '!', $3::double * 2, $4 is null, "
                                "$5::date, $6::timestamp, $7::boolean, octet_length($8::blob)"));
  EXPECT_EQ(stmt->parameter_count(), 8u);
  MEDLAKE_ASSERT_OK(stmt->BindInt64(1, 41));
  MEDLAKE_ASSERT_OK(stmt->BindString(2, "hi"));
  MEDLAKE_ASSERT_OK(stmt->BindDouble(3, 1.25));
  MEDLAKE_ASSERT_OK(stmt->BindNull(4));
  MEDLAKE_ASSERT_OK(stmt->BindDate(5, 19723));                 // 2024-01-01
  MEDLAKE_ASSERT_OK(stmt->BindTimestamp(6, 1704067200000000));  // 2024-01-01 00:00:00
  MEDLAKE_ASSERT_OK(stmt->BindBool(7, true));
  MEDLAKE_ASSERT_OK(stmt->BindBlob(8, std::string("\0\1\2", 3)));
  EXPECT_THAT(stmt->BindInt64(9, 1), StatusIs(StatusCode::kInvalidArgument, "parameter 9"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto r, stmt->Execute());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto rows, r->FetchAll());
  ASSERT_EQ(rows.size(), 1u);
  std::vector<std::string> got;
  for (const auto& v : rows[0]) got.push_back(v.ToText());
  EXPECT_EQ(got, (std::vector<std::string>{"42", "hi!", "2.5", "true", "2024-01-01",
                                            "2024-01-01 00:00:00", "true", "3"}));
}

TEST_F(DatabaseTest, AppenderInsertsRowsAndReportsErrors) {
  MEDLAKE_ASSERT_OK(conn_->Execute("create table a(i bigint, s varchar, d double, t timestamp)"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto app, conn_->CreateAppender("", "a"));
  for (int i = 0; i < 5000; ++i) {
    MEDLAKE_ASSERT_OK(app->AppendInt64(i));
    MEDLAKE_ASSERT_OK(i % 2 ? app->AppendNull() : app->AppendString("v" + std::to_string(i)));
    MEDLAKE_ASSERT_OK(app->AppendDouble(i / 2.0));
    MEDLAKE_ASSERT_OK(app->AppendTimestamp(int64_t{i} * 1000000));
    MEDLAKE_ASSERT_OK(app->EndRow());
  }
  MEDLAKE_ASSERT_OK(app->Close());
  EXPECT_EQ(One("select count(*) || '/' || count(s) || '/' || sum(i) from a"), "5000/2500/12497500");
  EXPECT_THAT(conn_->CreateAppender("", "missing"), StatusIs(StatusCode::kNotFound, ""));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto short_row, conn_->CreateAppender("", "a"));
  MEDLAKE_ASSERT_OK(short_row->AppendInt64(1));
  EXPECT_FALSE(short_row->EndRow().ok());  // too few columns
}

TEST_F(DatabaseTest, ValuesRenderLikeDuckDb) {
  EXPECT_EQ(One("select 1.5::double"), "1.5");
  EXPECT_EQ(One("select 2::double"), "2.0");
  EXPECT_EQ(One("select 0.1::float"), "0.1");
  EXPECT_EQ(One("select 'inf'::double"), "inf");
  EXPECT_EQ(One("select 12.340::decimal(10,3)"), "12.340");
  EXPECT_EQ(One("select -0.05::decimal(4,2)"), "-0.05");
  EXPECT_EQ(One("select 123456789012345678901234567890.5::decimal(38,1)"),
            "123456789012345678901234567890.5");
  EXPECT_EQ(One("select 170141183460469231731687303715884105727::hugeint"),
            "170141183460469231731687303715884105727");
  EXPECT_EQ(One("select (-170141183460469231731687303715884105727)::hugeint - 1"),
            "-170141183460469231731687303715884105728");
  EXPECT_EQ(One("select date '2024-02-29'"), "2024-02-29");
  EXPECT_EQ(One("select timestamp '2024-02-29 13:04:05.120'"), "2024-02-29 13:04:05.12");
  EXPECT_EQ(One("select timestamptz '2024-02-29 13:04:05+02'"), "2024-02-29 11:04:05+00");
  EXPECT_EQ(One("select time '23:59:59.000001'"), "23:59:59.000001");
  EXPECT_EQ(One("select interval '1 year 2 months 3 days 04:05:06'"),
            "1 year 2 months 3 days 04:05:06");
  EXPECT_EQ(One("select 'f79c3e09-677c-4d38-a3e2-6d2d5e4b5c1a'::uuid"),
            "f79c3e09-677c-4d38-a3e2-6d2d5e4b5c1a");
  EXPECT_EQ(One("select '\\x00AB\\xFF'::blob"), "\\x00AB\\xFF");
  EXPECT_EQ(One("select [1, 2, null]"), "[1, 2, NULL]");
  EXPECT_EQ(One("select {'a': 1, 'b': 'x'}"), "{'a': 1, 'b': 'x'}");
  EXPECT_EQ(One("select map {'k': 2}"), "{k=2}");
  EXPECT_EQ(One("select null::int"), "NULL");
  EXPECT_EQ(One("select 'hello'::enum('hello', 'world')"), "hello");
  EXPECT_EQ(One("select [1,2]::int[2]"), "[1, 2]");
  EXPECT_EQ(One("select true"), "true");
  EXPECT_EQ(One("select 255::utinyint"), "255");
}

TEST_F(DatabaseTest, ValuesRenderAsJson) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto rows, conn_->QueryAll("select {'n': 1, 's': 'a\"b', 'l': [1.5, null], "
                                 "'d': 3.10::decimal(5,2), 'b': false, 't': date '2024-01-01'}"));
  std::string json;
  rows[0][0].AppendJson(&json);
  EXPECT_EQ(json, R"({"n":1,"s":"a\"b","l":[1.5,null],"d":3.10,"b":false,"t":"2024-01-01"})");
}

TEST_F(DatabaseTest, InterruptStopsALongQuery) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto stmt,
                               conn_->Prepare("select count(*) from range(1000000000000) a"));
  std::thread stopper([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    conn_->Interrupt();
  });
  auto result = stmt->Execute(/*streaming=*/false);
  stopper.join();
  EXPECT_THAT(result, StatusIs(StatusCode::kAborted, "Interrupt"));
}

TEST(DatabaseOpenTest, RejectsUnknownOption) {
  DatabaseOptions options;
  options.config["no_such_option"] = "1";
  EXPECT_THAT(Database::Open(options), StatusIs(StatusCode::kInvalidArgument, "no_such_option"));
}

TEST(DatabaseOpenTest, ConnectionsWorkFromManyThreads) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto db, Database::Open());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&db, &ok, t] {
      auto conn = db->Connect();
      if (!conn.ok()) return;
      auto rows = (*conn)->QueryAll("select " + std::to_string(t) + " + 1");
      if (rows.ok() && (*rows)[0][0].i == t + 1) ++ok;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 4);
}

// Chunks built outside DuckDB (key lookups) are kept as spares when freed: a thread reuses the
// chunk of a record's wide table, keeps none over the per-chunk bound and at most its own bound,
// and all threads together stay within the process's bound, giving their share back at exit.
TEST(SpareChunkTest, WideChunksAreReusedWithinEveryBound) {
  using internal::NewBuiltChunk;
  using internal::SpareChunkBytesNow;
  constexpr size_t kMiB = size_t{1} << 20;
  const std::vector<duckdb_type> wide(20, DUCKDB_TYPE_VARCHAR);  // 640 KB of vectors
  const size_t wide_bytes = 20 * 16 * duckdb_vector_size();
  duckdb_data_chunk first = nullptr;
  {
    auto impl = NewBuiltChunk(wide);
    first = impl->chunk;
    DataChunk chunk(std::move(impl));
  }
  EXPECT_GE(SpareChunkBytesNow().thread, wide_bytes);
  {
    auto again = NewBuiltChunk(wide);
    EXPECT_EQ(again->chunk, first);
    DataChunk chunk(std::move(again));
  }
  const size_t before = SpareChunkBytesNow().thread;
  { DataChunk huge(NewBuiltChunk(std::vector<duckdb_type>(70, DUCKDB_TYPE_VARCHAR))); }  // 2.2 MB
  EXPECT_EQ(SpareChunkBytesNow().thread, before);

  // Twelve distinct wide chunks per thread (7.5 MB), 24 threads: 180 MB wanted, 128 MB allowed.
  const size_t process_before = SpareChunkBytesNow().process;
  constexpr int kThreads = 24;
  std::latch filled(kThreads);
  std::latch checked(1);
  std::vector<size_t> thread_bytes(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::unique_ptr<DataChunk>> chunks;
      for (int i = 0; i < 12; ++i) {
        std::vector<duckdb_type> types = wide;
        types[static_cast<size_t>(i)] = DUCKDB_TYPE_BIGINT;  // distinct lists: no reuse among them
        chunks.push_back(std::make_unique<DataChunk>(NewBuiltChunk(types)));
      }
      chunks.clear();
      // And past the thread's bound: the oldest spares make room.
      for (int i = 12; i < 20; ++i) {
        std::vector<duckdb_type> types = wide;
        types[static_cast<size_t>(i)] = DUCKDB_TYPE_DOUBLE;
        DataChunk more(NewBuiltChunk(types));
      }
      thread_bytes[static_cast<size_t>(t)] = SpareChunkBytesNow().thread;
      filled.count_down();
      checked.wait();
    });
  }
  filled.wait();
  const size_t process = SpareChunkBytesNow().process;
  EXPECT_LE(process, 128 * kMiB);
  EXPECT_GT(process, 120 * kMiB);  // the bound, not a lost count, stopped them
  for (size_t bytes : thread_bytes) EXPECT_LE(bytes, 8 * kMiB);
  checked.count_down();
  for (auto& th : threads) th.join();
  EXPECT_EQ(SpareChunkBytesNow().process, process_before);
}

}  // namespace
}  // namespace medlake::engine
