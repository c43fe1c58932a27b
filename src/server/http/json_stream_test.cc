// Tests of server/http/json_stream: query results streamed as JSON, NDJSON and CSV, read back
// through the HTTP framing.
#include "server/http/json_stream.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/testing/status_matchers.h"
#include "engine/database.h"
#include "server/http/http_test_client_internal.h"

namespace medlake::server::http {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using testing::ResponseReader;
using ::testing::StartsWith;
using testing::TestConnection;
using testing::TestResponse;

class JsonStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine::DatabaseOptions options;
    options.config["threads"] = "1";  // errors surface on a predictable chunk
    MEDLAKE_ASSERT_OK_AND_ASSIGN(db_, engine::Database::Open(options));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(conn_, db_->Connect());
  }

  struct Streamed {
    TestResponse response;
    Result<ResultStreamSummary> summary = Internal("not run");
  };

  // Runs `sql` and streams its result through a writer on a memory stream, then reads the
  // response back. `flush_bytes` small makes bytes leave early (as for a big result).
  Streamed Stream(const std::string& sql, ResultStreamOptions options,
                  HttpResponseOptions writer_options = {}) {
    Streamed out;
    auto result = conn_->Query(sql);
    EXPECT_THAT(result, IsOk());
    if (!result.ok()) {
      return out;
    }
    net::MemoryStreamPair pair = net::MakeMemoryStreamPair();
    {
      HttpResponseWriter w(*pair.server, writer_options);
      out.summary = StreamQueryResult(**result, options, w);
    }
    pair.server->Shutdown();
    ResponseReader reader(*pair.client);
    out.response = reader.ReadResponse(writer_options.head);
    return out;
  }

  Streamed Stream(const std::string& sql, ResultFormat format) {
    ResultStreamOptions o;
    o.format = format;
    return Stream(sql, o);
  }

  std::unique_ptr<engine::Database> db_;
  std::unique_ptr<engine::Connection> conn_;
};

const char* const kMixedQuery =
    "SELECT 1::INTEGER AS i, -2::BIGINT AS b, 1.5::DOUBLE AS d, 'a\"b,c' || chr(10) AS s, "
    "NULL::INTEGER AS n, true AS t, DATE '2024-01-31' AS dt, "
    "TIMESTAMP '2024-01-31 12:00:00.5' AS ts, 12.30::DECIMAL(10,2) AS dec, [1, 2] AS l, "
    "{'x': 1, 'y': 'z'} AS st, 7::TINYINT AS tiny, 'inf'::DOUBLE AS inf, '' AS empty";

TEST_F(JsonStreamTest, WritesJsonWithColumnsTypedValuesAndRowCount) {
  Streamed s = Stream(kMixedQuery, ResultFormat::kJson);
  MEDLAKE_ASSERT_OK(s.summary);
  EXPECT_EQ(s.summary->rows, 1);
  const TestResponse& r = s.response;
  ASSERT_TRUE(r.complete);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_TRUE(r.chunked);
  EXPECT_EQ(
      r.body,
      "{\"columns\":[{\"name\":\"i\",\"type\":\"INTEGER\"},{\"name\":\"b\",\"type\":\"BIGINT\"},"
      "{\"name\":\"d\",\"type\":\"DOUBLE\"},{\"name\":\"s\",\"type\":\"VARCHAR\"},"
      "{\"name\":\"n\",\"type\":\"INTEGER\"},{\"name\":\"t\",\"type\":\"BOOLEAN\"},"
      "{\"name\":\"dt\",\"type\":\"DATE\"},{\"name\":\"ts\",\"type\":\"TIMESTAMP\"},"
      "{\"name\":\"dec\",\"type\":\"DECIMAL(10,2)\"},{\"name\":\"l\",\"type\":\"INTEGER[]\"},"
      "{\"name\":\"st\",\"type\":\"STRUCT(\\\"x\\\" INTEGER, \\\"y\\\" VARCHAR)\"},"
      "{\"name\":\"tiny\",\"type\":\"TINYINT\"},{\"name\":\"inf\",\"type\":\"DOUBLE\"},"
      "{\"name\":\"empty\",\"type\":\"VARCHAR\"}],"
      "\"rows\":[[1,-2,1.5,\"a\\\"b,c\\n\",null,true,\"2024-01-31\",\"2024-01-31 12:00:00.5\","
      "12.30,[1,2],{\"x\":1,\"y\":\"z\"},7,\"inf\",\"\"]],\"row_count\":1}");
}

TEST_F(JsonStreamTest, WritesNdjsonOneObjectPerRow) {
  Streamed s =
      Stream("SELECT i AS id, 'v' || i AS \"na\"\"me\" FROM range(3) t(i)", ResultFormat::kNdjson);
  MEDLAKE_ASSERT_OK(s.summary);
  EXPECT_EQ(s.response.Header("content-type"), "application/x-ndjson");
  EXPECT_EQ(s.response.body,
            "{\"id\":0,\"na\\\"me\":\"v0\"}\n{\"id\":1,\"na\\\"me\":\"v1\"}\n"
            "{\"id\":2,\"na\\\"me\":\"v2\"}\n");
}

TEST_F(JsonStreamTest, WritesRfc4180CsvWithHeaderQuotingAndNulls) {
  Streamed s = Stream(kMixedQuery, ResultFormat::kCsv);
  MEDLAKE_ASSERT_OK(s.summary);
  EXPECT_THAT(s.response.Header("content-type"), StartsWith("text/csv"));
  EXPECT_EQ(s.response.body,
            "i,b,d,s,n,t,dt,ts,dec,l,st,tiny,inf,empty\r\n"
            "1,-2,1.5,\"a\"\"b,c\n\",,true,2024-01-31,2024-01-31 12:00:00.5,12.30,\"[1, 2]\","
            "\"{'x': 1, 'y': 'z'}\",7,inf,\"\"\r\n");
}

TEST_F(JsonStreamTest, TypedDateAndTimestampTextMatchesDuckDb) {
  // The fast paths must print exactly what DuckDB's own cast to VARCHAR prints.
  const std::string sql =
      "SELECT d, ts, d::VARCHAR AS d_text, ts::VARCHAR AS ts_text FROM (VALUES "
      "(DATE '1970-01-01', TIMESTAMP '1970-01-01 00:00:00'), "
      "(DATE '1969-12-31', TIMESTAMP '1969-12-31 23:59:59.999999'), "
      "(DATE '0001-01-01', TIMESTAMP '0001-01-01 00:00:00.000001'), "
      "(DATE '9999-12-31', TIMESTAMP '9999-12-31 23:59:59.12'), "
      "(DATE '2000-02-29', TIMESTAMP '2000-02-29 13:14:15.1'), "
      "('infinity'::DATE, 'infinity'::TIMESTAMP), "
      "('-infinity'::DATE, '-infinity'::TIMESTAMP)) t(d, ts)";
  Streamed s = Stream(sql, ResultFormat::kCsv);
  MEDLAKE_ASSERT_OK(s.summary);
  EXPECT_EQ(s.summary->rows, 7);
  std::string body = s.response.body;
  size_t pos = body.find("\r\n") + 2;  // skip the header
  int rows = 0;
  while (pos < body.size()) {
    size_t end = body.find("\r\n", pos);
    std::string line = body.substr(pos, end - pos);
    pos = end + 2;
    std::vector<std::string> f;
    size_t start = 0;
    for (size_t comma; (comma = line.find(',', start)) != std::string::npos; start = comma + 1) {
      f.push_back(line.substr(start, comma - start));
    }
    f.push_back(line.substr(start));
    ASSERT_EQ(f.size(), 4u) << line;
    EXPECT_EQ(f[0], f[2]);
    EXPECT_EQ(f[1], f[3]);
    ++rows;
  }
  EXPECT_EQ(rows, 7);
}

TEST_F(JsonStreamTest, StreamsLargeResultsInChunks) {
  Streamed s =
      Stream("SELECT i, 'row ' || i AS label FROM range(100000) t(i)", ResultFormat::kNdjson);
  MEDLAKE_ASSERT_OK(s.summary);
  EXPECT_EQ(s.summary->rows, 100000);
  EXPECT_FALSE(s.summary->truncated);
  ASSERT_TRUE(s.response.complete);
  EXPECT_GT(s.response.chunk_sizes.size(), 10u);
  for (size_t i = 0; i + 1 < s.response.chunk_sizes.size(); ++i) {
    EXPECT_GE(s.response.chunk_sizes[i], 64u * 1024);
  }
  EXPECT_THAT(s.response.body, StartsWith("{\"i\":0,\"label\":\"row 0\"}\n"));
  EXPECT_THAT(s.response.body, EndsWith("{\"i\":99999,\"label\":\"row 99999\"}\n"));
}

TEST_F(JsonStreamTest, MaxRowsStopsAndSaysTruncated) {
  ResultStreamOptions o;
  o.max_rows = 3;
  Streamed s = Stream("SELECT i FROM range(100) t(i)", o);
  MEDLAKE_ASSERT_OK(s.summary);
  EXPECT_EQ(s.summary->rows, 3);
  EXPECT_TRUE(s.summary->truncated);
  EXPECT_THAT(s.response.body,
              EndsWith("\"rows\":[[0],[1],[2]],\"row_count\":3,\"truncated\":true}"));
  o.max_rows = 2048;  // exactly one DuckDB chunk
  s = Stream("SELECT i FROM range(4096) t(i)", o);
  MEDLAKE_ASSERT_OK(s.summary);
  EXPECT_TRUE(s.summary->truncated);
  s = Stream("SELECT i FROM range(2048) t(i)", o);
  MEDLAKE_ASSERT_OK(s.summary);
  EXPECT_EQ(s.summary->rows, 2048);
  EXPECT_FALSE(s.summary->truncated);
  EXPECT_THAT(s.response.body, EndsWith("\"row_count\":2048}"));
}

TEST_F(JsonStreamTest, EmptyResultAndStatementsWithoutRows) {
  Streamed s = Stream("SELECT 1 AS x WHERE false", ResultFormat::kJson);
  MEDLAKE_ASSERT_OK(s.summary);
  EXPECT_EQ(s.response.body,
            "{\"columns\":[{\"name\":\"x\",\"type\":\"INTEGER\"}],\"rows\":[],\"row_count\":0}");
  s = Stream("SELECT 1 AS x WHERE false", ResultFormat::kCsv);
  EXPECT_EQ(s.response.body, "x\r\n");
  MEDLAKE_ASSERT_OK(conn_->Execute("CREATE TABLE t (a INTEGER)"));
  s = Stream("INSERT INTO t VALUES (1), (2)", ResultFormat::kJson);
  MEDLAKE_ASSERT_OK(s.summary);
  EXPECT_THAT(s.response.body, HasSubstr("\"rows_changed\":2"));
}

TEST_F(JsonStreamTest, HeadSendsHeadersOnly) {
  ResultStreamOptions o;
  HttpResponseOptions w;
  w.head = true;
  Streamed s = Stream("SELECT i FROM range(10) t(i)", o, w);
  MEDLAKE_ASSERT_OK(s.summary);
  EXPECT_EQ(s.summary->rows, 0);
  EXPECT_EQ(s.response.status, 200);
  EXPECT_EQ(s.response.Header("content-type"), "application/json");
  EXPECT_TRUE(s.response.body.empty());
}

// Fails on row 150,000: DuckDB computes a few chunks ahead, so the error surfaces after some
// thousands of rows were handed out, not at the first Next().
const char* const kFailingQuery =
    "SELECT CASE WHEN i < 150000 THEN i ELSE error('stop here') END AS v FROM range(200000) t(i)";

// The last `n` bytes of a (possibly large) body, so failures print little.
std::string Tail(const std::string& body, size_t n = 200) {
  return body.size() <= n ? body : body.substr(body.size() - n);
}

TEST_F(JsonStreamTest, ErrorMidStreamEndsEachFormatWithAMarker) {
  HttpResponseOptions early;
  early.flush_bytes = 16;  // bytes leave at once, so the marker must follow them
  ResultStreamOptions o;
  o.format = ResultFormat::kJson;
  Streamed s = Stream(kFailingQuery, o, early);
  EXPECT_THAT(s.summary, StatusIs(StatusCode::kInvalidArgument, "stop here"));
  EXPECT_EQ(s.response.body.rfind("{\"columns\":[{\"name\":\"v\"", 0), 0u);
  EXPECT_THAT(Tail(s.response.body),
              ::testing::MatchesRegex(
                  ".*\\],\"row_count\":[0-9]+,\"error\":\\{\"code\":400,"
                  "\"status\":\"InvalidArgument\",\"message\":\"[^\"]*stop here\"\\}\\}"));
  o.format = ResultFormat::kNdjson;
  s = Stream(kFailingQuery, o, early);
  EXPECT_FALSE(s.summary.ok());
  EXPECT_THAT(Tail(s.response.body),
              ::testing::MatchesRegex(".*\\}\n\\{\"error\":\\{\"code\":400,.*\\}\\}\n"));
  o.format = ResultFormat::kCsv;
  s = Stream(kFailingQuery, o, early);
  EXPECT_FALSE(s.summary.ok());
  EXPECT_THAT(Tail(s.response.body),
              ::testing::MatchesRegex(
                  ".*\r\n[0-9]+\r\n#error,400,InvalidArgument,\"[^\"]*stop here\"\r\n"));
}

TEST_F(JsonStreamTest, ThroughTheServerAnEarlyErrorIsACleanErrorResponse) {
  Router router;
  engine::Connection* conn = conn_.get();
  MEDLAKE_ASSERT_OK(
      router.Add("GET", "/sql", [conn](const HttpRequest& req, HttpResponseWriter& w) -> Status {
        MEDLAKE_ASSIGN_OR_RETURN(auto result, conn->Query(std::string(*req.QueryParam("q"))));
        ResultStreamOptions o;
        MEDLAKE_ASSIGN_OR_RETURN(o.format,
                                 ResultFormatFromName(req.QueryParam("f").value_or("json")));
        return StreamQueryResult(*result, o, w).status();
      }));
  TestConnection c(router);
  // Small result failing before 64 KiB were produced: nothing was sent, so a plain error.
  c.Send("GET /sql?q=" + std::string("SELECT+error('boom')") + " HTTP/1.1\r\nHost: t\r\n\r\n");
  TestResponse r = c.ReadResponse();
  EXPECT_GE(r.status, 400);
  EXPECT_THAT(r.body, StartsWith("{\"error\":{\"code\":"));
  // A big result failing late: a 200 whose body is cut short, ending in the marker.
  c.Send(
      "GET /sql?f=ndjson&q=SELECT+CASE+WHEN+i+<+150000+THEN+i+ELSE+error('late')+END+AS+v+"
      "FROM+range(200000)+t(i) HTTP/1.1\r\nHost: t\r\n\r\n");
  r = c.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.complete);
  EXPECT_THAT(
      Tail(r.body),
      ::testing::EndsWith("}\n{\"error\":{\"code\":400,\"status\":"
                          "\"InvalidArgument\",\"message\":\"Invalid Input Error: late\"}}\n"));
  EXPECT_TRUE(c.AtEof());
}

TEST(ResultFormatTest, ParsesNamesAndAcceptHeaders) {
  EXPECT_EQ(ResultFormatFromName("JSON").value_or(ResultFormat::kCsv), ResultFormat::kJson);
  EXPECT_EQ(ResultFormatFromName("ndjson").value_or(ResultFormat::kCsv), ResultFormat::kNdjson);
  EXPECT_EQ(ResultFormatFromName("csv").value_or(ResultFormat::kJson), ResultFormat::kCsv);
  EXPECT_THAT(ResultFormatFromName("xml"), StatusIs(StatusCode::kInvalidArgument, "format"));
  EXPECT_EQ(ResultFormatFromAccept("text/html, text/csv;q=0.9"), ResultFormat::kCsv);
  EXPECT_EQ(ResultFormatFromAccept("application/x-ndjson"), ResultFormat::kNdjson);
  EXPECT_EQ(ResultFormatFromAccept(" Application/JSON ; charset=utf-8"), ResultFormat::kJson);
  EXPECT_EQ(ResultFormatFromAccept("*/*"), std::nullopt);
  EXPECT_EQ(ResultFormatFromAccept(""), std::nullopt);
}

}  // namespace
}  // namespace medlake::server::http
