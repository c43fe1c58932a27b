// Tests of the pgwire front end: the codec and helpers in isolation, then a real server on a
// temporary lake driven by libpq (PostgreSQL's own client library).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "core/tls.h"
#include "engine/testing/session_rows.h"
#include "security/access_controller.h"
#include "server/auth/auth.h"
#include "server/net/stream.h"
#include "server/pgwire/protocol.h"
#include "server/pgwire/server.h"
#include "server/pgwire/session.h"
#include "server/pgwire/types.h"
#include "storage/lake.h"

namespace medlake::server::pgwire {
namespace {

// ---------------------------------------------------------------------------------------------
// Codec and helpers

std::string Int32Bytes(int32_t v) {
  auto u = static_cast<uint32_t>(v);
  return {static_cast<char>(u >> 24), static_cast<char>(u >> 16), static_cast<char>(u >> 8), static_cast<char>(u)};
}
std::string Int16Bytes(int16_t v) {
  auto u = static_cast<uint16_t>(v);
  return {static_cast<char>(u >> 8), static_cast<char>(u)};
}

TEST(PgwireCodecTest, StartupPackets) {
  std::string body = Int32Bytes(kProtocolVersion3) + std::string("user\0alice\0database\0medlake\0\0", 29);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(StartupPacket p, ParseStartupBody(body));
  EXPECT_EQ(p.kind, StartupPacket::Kind::kStartup);
  EXPECT_EQ(p.parameters["user"], "alice");
  EXPECT_EQ(p.parameters["database"], "medlake");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(p, ParseStartupBody(Int32Bytes(kSslRequestCode)));
  EXPECT_EQ(p.kind, StartupPacket::Kind::kSsl);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(p, ParseStartupBody(Int32Bytes(kCancelRequestCode) + Int32Bytes(42) + Int32Bytes(7)));
  EXPECT_EQ(p.kind, StartupPacket::Kind::kCancel);
  EXPECT_EQ(p.cancel_pid, 42);
  EXPECT_EQ(p.cancel_secret, 7);
  // Protocol 2, an unterminated parameter, a short cancel: clear errors.
  EXPECT_THAT(ParseStartupBody(Int32Bytes(2 << 16)), StatusIs(StatusCode::kInvalidArgument, "protocol 2.0"));
  EXPECT_THAT(ParseStartupBody(Int32Bytes(kProtocolVersion3) + "user"), StatusIs(StatusCode::kInvalidArgument, ""));
  EXPECT_THAT(ParseStartupBody(Int32Bytes(kCancelRequestCode) + Int32Bytes(1)), StatusIs(StatusCode::kInvalidArgument, ""));
}

TEST(PgwireCodecTest, BindMessages) {
  std::string body = std::string("p1\0s1\0", 6) + Int16Bytes(1) + Int16Bytes(1) + Int16Bytes(3) + Int32Bytes(4) +
                     Int32Bytes(7) + Int32Bytes(-1) + Int32Bytes(2) + "ab" + Int16Bytes(1) + Int16Bytes(1);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(BindMessage b, DecodeBind(body));
  EXPECT_EQ(b.portal, "p1");
  EXPECT_EQ(b.statement, "s1");
  ASSERT_EQ(b.parameters.size(), 3u);
  EXPECT_EQ(*b.parameters[0], Int32Bytes(7));
  EXPECT_FALSE(b.parameters[1].has_value());
  EXPECT_EQ(*b.parameters[2], "ab");
  EXPECT_EQ(b.result_formats, std::vector<int16_t>{1});
  // Every truncation of a valid message is refused, never read past its end.
  for (size_t n = 0; n < body.size(); ++n) {
    EXPECT_THAT(DecodeBind(body.substr(0, n)), StatusIs(StatusCode::kInvalidArgument, "")) << n;
  }
  // A negative length other than -1, a format code of 2.
  std::string bad = std::string("\0\0", 2) + Int16Bytes(0) + Int16Bytes(1) + Int32Bytes(-2) + Int16Bytes(0);
  EXPECT_THAT(DecodeBind(bad), StatusIs(StatusCode::kInvalidArgument, ""));
  bad = std::string("\0\0", 2) + Int16Bytes(1) + Int16Bytes(2) + Int16Bytes(0) + Int16Bytes(0);
  EXPECT_THAT(DecodeBind(bad), StatusIs(StatusCode::kInvalidArgument, ""));
}

TEST(PgwireCodecTest, ParseDescribeExecute) {
  std::string parse = std::string("s\0select $1\0", 12) + Int16Bytes(1) + Int32Bytes(oid::kInt8);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ParseMessage p, DecodeParse(parse));
  EXPECT_EQ(p.query, "select $1");
  EXPECT_EQ(p.parameter_types, std::vector<int32_t>{oid::kInt8});
  EXPECT_THAT(DecodeParse(parse + "x"), StatusIs(StatusCode::kInvalidArgument, ""));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(DescribeMessage d, DecodeDescribe(std::string("Pname\0", 6)));
  EXPECT_EQ(d.what, 'P');
  EXPECT_EQ(d.name, "name");
  EXPECT_THAT(DecodeDescribe(std::string("Xname\0", 6)), StatusIs(StatusCode::kInvalidArgument, ""));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ExecuteMessage e, DecodeExecute(std::string("\0", 1) + Int32Bytes(10)));
  EXPECT_EQ(e.max_rows, 10);
}

TEST(PgwireCodecTest, WriterFramesMessages) {
  auto pair = net::MakeMemoryStreamPair();
  MessageWriter w(*pair.server);
  w.CommandComplete("SELECT 3");
  w.BeginDataRow(2);
  w.Cell("ab");
  w.NullCell();
  w.EndDataRow();
  ErrorFields e;
  e.sqlstate = "42P01";
  e.message = "no such table";
  w.Error(e);
  ASSERT_THAT(w.Flush(), IsOk());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Message m, ReadMessage(*pair.client));
  EXPECT_EQ(m.type, 'C');
  EXPECT_EQ(m.body, std::string("SELECT 3\0", 9));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(m, ReadMessage(*pair.client));
  EXPECT_EQ(m.type, 'D');
  EXPECT_EQ(m.body, Int16Bytes(2) + Int32Bytes(2) + "ab" + Int32Bytes(-1));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(m, ReadMessage(*pair.client));
  EXPECT_EQ(m.type, 'E');
  EXPECT_NE(m.body.find(std::string("C42P01\0", 7)), std::string::npos);
  EXPECT_NE(m.body.find("Mno such table"), std::string::npos);
}

TEST(PgwireCodecTest, OversizedMessageIsRefused) {
  auto pair = net::MakeMemoryStreamPair();
  ASSERT_THAT(pair.client->Write("Q" + Int32Bytes(static_cast<int32_t>(kMaxMessageBytes + 100))), IsOk());
  EXPECT_THAT(ReadMessage(*pair.server), StatusIs(StatusCode::kResourceExhausted, ""));
  ASSERT_THAT(pair.client->Write("Q" + Int32Bytes(2)), IsOk());
  EXPECT_THAT(ReadMessage(*pair.server), StatusIs(StatusCode::kInvalidArgument, ""));
}

TEST(PgwireHelpersTest, ParametersOutsideLiteralsAndComments) {
  EXPECT_EQ(MaxParameterNumber("select $1, $2 where a = $10"), 10);
  EXPECT_EQ(MaxParameterNumber("select '$3', \"$4\", $$ $5 $$, $tag$ $6 $tag$ -- $7\n /* $8 */ from t"), 0);
  EXPECT_EQ(MaxParameterNumber("select a$1 from t"), 0);  // part of an identifier
  EXPECT_EQ(MaxParameterNumber("select $a, $2 from t"), 2);  // a named parameter has no number
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string s, SubstituteParameters("select $1, '$1', $2", {"'x'", "NULL"}));
  EXPECT_EQ(s, "select 'x', '$1', NULL");
  EXPECT_THAT(SubstituteParameters("select $3", {"1"}), StatusIs(StatusCode::kInvalidArgument, "$3"));
}

TEST(PgwireHelpersTest, ATextBoundAgainGetsItsNewValuesEveryTime) {
  // The parameters' places are found once per text and kept: later bindings of the same text
  // must still take their own values, and report their own errors.
  const std::string sql = "select $2 || '$1' || $1 from t -- $3\nwhere k = $2";
  for (int i = 0; i < 3; ++i) {
    const std::string a = "'a" + std::to_string(i) + "'";
    const std::string b = std::to_string(i);
    MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string s, SubstituteParameters(sql, {a, b}));
    EXPECT_EQ(s, "select " + b + " || '$1' || " + a + " from t -- $3\nwhere k = " + b);
    EXPECT_THAT(SubstituteParameters(sql, {a}), StatusIs(StatusCode::kInvalidArgument, "no value for parameter $2"));
    EXPECT_THAT(SubstituteParameters(sql, {a, "1; drop table t"}), StatusIs(StatusCode::kInvalidArgument, "$2"));
  }
  // A text longer than what is kept goes the same way.
  const std::string longer = "select $1" + std::string(5000, ' ') + ", $2";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string s, SubstituteParameters(longer, {"1", "2"}));
  EXPECT_EQ(s, "select 1" + std::string(5000, ' ') + ", 2");
  EXPECT_THAT(SubstituteParameters(longer, {"1"}), StatusIs(StatusCode::kInvalidArgument, "$2"));
}

TEST(PgwireHelpersTest, OnlyLiteralsAreSubstituted) {
  for (std::string ok : {"'it''s'", "''", "''''", "'a\nb'", "-12", "0", "12345678901234567890", "1.5", "-2.5e3",
                         "NULL", "true", "CAST('1' AS BIGINT)", "from_hex('00')", "E'\\n'"}) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string s, SubstituteParameters("select $1", {ok}));
    EXPECT_EQ(s, "select " + ok);
  }
  for (std::string bad : {"'a' || 'b'", "'a'b'", "'''", "'", "'a'--'", "-", "--1", "1 2", "1;select 2", "a",
                          "'x' x'", "CAST(x AS INT)", ""}) {
    EXPECT_THAT(SubstituteParameters("select $1", {bad}), StatusIs(StatusCode::kInvalidArgument, "not a SQL literal"))
        << bad;
  }
}

TEST(PgwireHelpersTest, ParameterLiteralsAreQuotedAndTyped) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string l, ParameterLiteral(std::string("it's"), 0, 0));
  EXPECT_EQ(l, "'it''s'");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(l, ParameterLiteral(std::nullopt, oid::kInt4, 0));
  EXPECT_EQ(l, "NULL");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(l, ParameterLiteral(std::string("42"), oid::kInt8, 0));
  EXPECT_EQ(l, "CAST('42' AS BIGINT)");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(l, ParameterLiteral(Int32Bytes(-5), oid::kInt4, 1));
  EXPECT_EQ(l, "CAST('-5' AS INTEGER)");
  // Binary date: days since 2000-01-01.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(l, ParameterLiteral(Int32Bytes(31), oid::kDate, 1));
  EXPECT_EQ(l, "CAST('2000-02-01' AS DATE)");
  EXPECT_THAT(ParameterLiteral(std::string("abc"), oid::kInt4, 1), StatusIs(StatusCode::kInvalidArgument, "bytes"));
  EXPECT_THAT(ParameterLiteral(std::string("a\0b", 3), 0, 0), StatusIs(StatusCode::kInvalidArgument, "0x00"));
  EXPECT_THAT(ParameterLiteral(std::string("x"), 600, 1), StatusIs(StatusCode::kInvalidArgument, "text format"));
}

// Binary parameters of the types drivers such as Npgsql send in binary: numeric (kept as an
// exact literal, not rounded to one DECIMAL scale), time, interval.
TEST(PgwireHelpersTest, BinaryNumericTimeAndIntervalParameters) {
  auto hex = [](const std::string& h) {
    std::string out;
    for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
    return out;
  };
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string l, ParameterLiteral(hex("0003000140000003000109291a7c"), oid::kNumeric, 1));
  EXPECT_EQ(l, "-12345.678");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(l, ParameterLiteral(hex("0001ffff000000040001"), oid::kNumeric, 1));
  EXPECT_EQ(l, "0.0001");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(l, ParameterLiteral(hex("00010002000000000001"), oid::kNumeric, 1));
  EXPECT_EQ(l, "100000000");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(l, ParameterLiteral(hex("0000000000000002"), oid::kNumeric, 1));
  EXPECT_EQ(l, "0.00");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(l, ParameterLiteral(std::string("0.123456789012345"), oid::kNumeric, 0));
  EXPECT_EQ(l, "0.123456789012345");  // all 15 decimals kept
  MEDLAKE_ASSERT_OK_AND_ASSIGN(l, ParameterLiteral(hex("00000000c0000000"), oid::kNumeric, 1));
  EXPECT_EQ(l, "CAST('NaN' AS DECIMAL(38,10))");  // DuckDB refuses it with a conversion error
  EXPECT_THAT(ParameterLiteral(hex("000200000000000000"), oid::kNumeric, 1), StatusIs(StatusCode::kInvalidArgument, "malformed"));
  EXPECT_THAT(ParameterLiteral(hex("0001000000000000ffff"), oid::kNumeric, 1), StatusIs(StatusCode::kInvalidArgument, "malformed"));
  EXPECT_THAT(ParameterLiteral(hex("0001"), oid::kNumeric, 1), StatusIs(StatusCode::kInvalidArgument, "header"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(l, ParameterLiteral(hex("000000036c966ee0"), oid::kTime, 1));
  EXPECT_EQ(l, "CAST('04:05:06.7' AS TIME)");
  EXPECT_THAT(ParameterLiteral(hex("ffffffffffffffff"), oid::kTime, 1), StatusIs(StatusCode::kInvalidArgument, "range"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(l, ParameterLiteral(hex("ffffffff296c5c00" "00000001" "0000000e"), oid::kInterval, 1));
  EXPECT_EQ(l, "CAST('14 months 1 days -3600000000 microseconds' AS INTERVAL)");
}

TEST(PgwireHelpersTest, CommandTagsAndSqlStates) {
  EXPECT_EQ(CommandTagOf("  create or replace table x as select 1"), "CREATE TABLE");
  EXPECT_EQ(CommandTagOf("with a as (select 1) select * from a"), "SELECT");
  EXPECT_EQ(CommandTagOf("-- c\n insert into t values (1)"), "INSERT");
  EXPECT_EQ(CommandTagOf("GRANT SELECT ON s.t TO x"), "GRANT");
  EXPECT_EQ(SqlStateFor(InvalidArgument("Parser Error: syntax error at or near \"x\"")), "42601");
  EXPECT_EQ(SqlStateFor(NotFound("table s.nope does not exist")), "42P01");
  EXPECT_EQ(SqlStateFor(PermissionDenied("permission denied")), "42501");
  EXPECT_EQ(SqlStateFor(Status(StatusCode::kAborted, "INTERRUPT Error: Interrupted!")), "57014");
}

// ---------------------------------------------------------------------------------------------
// A server on a temporary lake, driven by libpq

constexpr const char* kAlicePassword = "alice-secret-1";

class PgwireServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Boot({}); }

  void Boot(PgServerOptions options) {
    server_.reset();
    if (!lake_) {
      MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, storage::Lake::Create(dir_.Join("lake")));
      ASSERT_THAT(security::InitializeSecurity(lake_->catalog_path(), "admin"), IsOk());
      engine::LakeSessionOptions so;
      so.threads = 1;
      MEDLAKE_ASSERT_OK_AND_ASSIGN(auth_, Authenticator::Open(*lake_, so));
      MEDLAKE_ASSERT_OK_AND_ASSIGN(auto admin, auth_->OpenSession("admin", "", "test setup"));
      engine::testing::ExecOk(*admin, std::string("CREATE USER alice PASSWORD '") + kAlicePassword + "'");
      engine::testing::ExecOk(*admin, "CREATE USER bob PASSWORD 'bob-secret-1'");
      engine::testing::ExecOk(*admin, "CREATE SCHEMA s");
      engine::testing::ExecOk(*admin,
                              "CREATE TABLE s.t AS SELECT range AS id, 'name' || range AS name, "
                              "DATE '2020-01-01' + range::INTEGER AS d, range % 2 = 0 AS even, "
                              "TIMESTAMPTZ '2024-03-01 10:00:00+00' + to_microseconds(range) AS ts, "
                              "range / 4.0 AS x FROM range(3000)");
      engine::testing::ExecOk(*admin, "CREATE TABLE s.secret AS SELECT 1 AS a");
      engine::testing::ExecOk(*admin, "GRANT USAGE ON SCHEMA s TO alice, bob");
      engine::testing::ExecOk(*admin, "GRANT SELECT ON TABLE s.t TO alice, bob");
      engine::testing::ExecOk(*admin, "CREATE POLICY hide_names ON TABLE s.t MASK COLUMN name USING REDACT TO bob");
    }
    options.listener.port = 0;
    MEDLAKE_ASSERT_OK_AND_ASSIGN(server_, PgServer::Start(*auth_, options));
  }

  std::string Conninfo(const std::string& user, const std::string& password, const std::string& extra = "") {
    return "host=127.0.0.1 port=" + std::to_string(server_->port()) + " user=" + user + " password=" + password +
           " dbname=medlake connect_timeout=10 " + (extra.empty() ? "sslmode=disable" : extra);
  }

  struct Conn {
    PGconn* c = nullptr;
    ~Conn() {
      if (c) PQfinish(c);
    }
  };
  struct Res {
    PGresult* r = nullptr;
    ~Res() {
      if (r) PQclear(r);
    }
    std::string get(int row, int col) const { return PQgetvalue(r, row, col); }
    std::string state() const {
      const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      return s ? s : "";
    }
  };
  // Runs `sql` (one row) in text format and expects its cells to read `want`; returns the
  // column type OIDs.
  static std::vector<Oid> ExpectTextRow(PGconn* c, const std::string& sql, const std::vector<std::string>& want) {
    Res text{PQexec(c, sql.c_str())};
    std::vector<Oid> types;
    EXPECT_EQ(PQresultStatus(text.r), PGRES_TUPLES_OK) << PQresultErrorMessage(text.r);
    EXPECT_EQ(PQnfields(text.r), static_cast<int>(want.size()));
    if (PQntuples(text.r) != 1 || PQnfields(text.r) != static_cast<int>(want.size())) return types;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(text.get(0, static_cast<int>(i)), want[i]) << "column " << i;
      types.push_back(PQftype(text.r, static_cast<int>(i)));
    }
    return types;
  }
  // Runs `sql` (one row) asking for binary results: each cell's bytes in hex.
  static std::vector<std::string> BinaryRowHex(PGconn* c, const std::string& sql) {
    Res bin{PQexecParams(c, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 1)};
    std::vector<std::string> out;
    EXPECT_EQ(PQresultStatus(bin.r), PGRES_TUPLES_OK) << PQresultErrorMessage(bin.r);
    if (PQntuples(bin.r) != 1) return out;
    for (int col = 0; col < PQnfields(bin.r); ++col) {
      const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(bin.r, 0, col));
      std::string hex;
      char b[4];
      for (int i = 0; i < PQgetlength(bin.r, 0, col); ++i) {
        std::snprintf(b, sizeof b, "%02x", p[i]);
        hex += b;
      }
      out.push_back(hex);
    }
    return out;
  }

  PGconn* Connect(const std::string& user = "alice", const std::string& password = kAlicePassword,
                  const std::string& extra = "") {
    PGconn* c = PQconnectdb(Conninfo(user, password, extra).c_str());
    EXPECT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
    return c;
  }

  std::string AuditText() {
    std::string all;
    for (const auto& e : std::filesystem::directory_iterator(lake_->root() + "/audit")) {
      std::ifstream in(e.path());
      all += std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }
    return all;
  }

  TempDir dir_;
  std::unique_ptr<storage::Lake> lake_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<PgServer> server_;
};

TEST_F(PgwireServerTest, SimpleQueryReturnsTypedText) {
  Conn conn{Connect()};
  Res r{PQexec(conn.c, "SELECT id, name, d, even, ts, x, NULL::VARCHAR AS n FROM s.t WHERE id IN (2, 3) ORDER BY id")};
  ASSERT_EQ(PQresultStatus(r.r), PGRES_TUPLES_OK) << PQresultErrorMessage(r.r);
  ASSERT_EQ(PQntuples(r.r), 2);
  EXPECT_EQ(PQftype(r.r, 0), static_cast<Oid>(oid::kInt8));
  EXPECT_EQ(PQftype(r.r, 2), static_cast<Oid>(oid::kDate));
  EXPECT_EQ(PQftype(r.r, 4), static_cast<Oid>(oid::kTimestampTz));
  EXPECT_EQ(std::string(PQfname(r.r, 1)), "name");
  EXPECT_EQ(r.get(0, 0), "2");
  EXPECT_EQ(r.get(0, 1), "name2");
  EXPECT_EQ(r.get(0, 2), "2020-01-03");
  EXPECT_EQ(r.get(0, 3), "t");
  EXPECT_EQ(r.get(1, 3), "f");
  EXPECT_EQ(r.get(0, 4), "2024-03-01 10:00:00.000002+00");
  EXPECT_EQ(r.get(1, 5), "0.75");
  EXPECT_TRUE(PQgetisnull(r.r, 0, 6));
  EXPECT_EQ(std::string(PQcmdStatus(r.r)), "SELECT 2");
  EXPECT_EQ(std::string(PQparameterStatus(conn.c, "server_version")), "15.0");
  EXPECT_EQ(std::string(PQparameterStatus(conn.c, "TimeZone")), "UTC");
  // Several statements in one Query message: one result each, the last one kept by PQexec.
  Res multi{PQexec(conn.c, "SELECT 1; SELECT count(*) FROM s.t")};
  EXPECT_EQ(multi.get(0, 0), "3000");
  Res empty{PQexec(conn.c, "  ;  ")};
  EXPECT_EQ(PQresultStatus(empty.r), PGRES_EMPTY_QUERY);
}

// Columns without an alias carry PostgreSQL's names over the wire, in both protocols, so that
// clients reading by name find `count`, `max` or `id`.
TEST_F(PgwireServerTest, ResultColumnsWithoutAnAliasHavePostgreSQLNames) {
  Conn conn{Connect()};
  auto names = [](PGresult* r) {
    std::string out;
    for (int i = 0; i < PQnfields(r); ++i) out += std::string(PQfname(r, i)) + "|";
    return out;
  };
  Res simple{PQexec(conn.c, "SELECT count(*), max(id), id::text, id + 1, name AS n FROM s.t WHERE id = 2 GROUP BY id, name")};
  ASSERT_EQ(PQresultStatus(simple.r), PGRES_TUPLES_OK) << PQresultErrorMessage(simple.r);
  EXPECT_EQ(names(simple.r), "count|max|id|?column?|n|");
  const char* values[] = {"2"};
  Res extended{PQexecParams(conn.c, "SELECT count(*), upper(name) FROM s.t WHERE id = $1 GROUP BY name", 1, nullptr,
                            values, nullptr, nullptr, 0)};
  ASSERT_EQ(PQresultStatus(extended.r), PGRES_TUPLES_OK) << PQresultErrorMessage(extended.r);
  EXPECT_EQ(names(extended.r), "count|upper|");
  EXPECT_EQ(extended.get(0, 1), "NAME2");
}

TEST_F(PgwireServerTest, WrongPasswordAndUnknownUserFailAlikeAndAreAudited) {
  PGconn* bad = PQconnectdb(Conninfo("alice", "wrong-password").c_str());
  EXPECT_EQ(PQstatus(bad), CONNECTION_BAD);
  std::string m1 = PQerrorMessage(bad);
  PQfinish(bad);
  PGconn* unknown = PQconnectdb(Conninfo("mallory", "whatever-1").c_str());
  EXPECT_EQ(PQstatus(unknown), CONNECTION_BAD);
  std::string m2 = PQerrorMessage(unknown);
  PQfinish(unknown);
  EXPECT_NE(m1.find("password authentication failed for user \"alice\""), std::string::npos) << m1;
  EXPECT_NE(m2.find("password authentication failed for user \"mallory\""), std::string::npos) << m2;
  // The admin has no password: no way in over the network.
  PGconn* admin = PQconnectdb(Conninfo("admin", "").c_str());
  EXPECT_EQ(PQstatus(admin), CONNECTION_BAD);
  PQfinish(admin);
  std::string audit = AuditText();
  EXPECT_NE(audit.find("\"actor\":\"mallory\""), std::string::npos);
  EXPECT_NE(audit.find("\"outcome\":\"denied\""), std::string::npos);
  EXPECT_EQ(audit.find("wrong-password"), std::string::npos);  // never the secret
  EXPECT_EQ(server_->stats().auth_failures, 3u);
}

TEST_F(PgwireServerTest, AnAddressWithTooManyFailedLoginsIsThrottled) {
  auth_->SetLoginThrottle(3, 60'000);
  PGconn* ok = PQconnectdb(Conninfo("alice", kAlicePassword).c_str());
  EXPECT_EQ(PQstatus(ok), CONNECTION_OK);
  PQfinish(ok);
  for (int i = 0; i < 3; ++i) {
    PGconn* bad = PQconnectdb(Conninfo(i == 1 ? "nobody" : "alice", "guess-" + std::to_string(i)).c_str());
    EXPECT_EQ(PQstatus(bad), CONNECTION_BAD);
    PQfinish(bad);
  }
  // Now even the right password is refused from this address, before any SCRAM exchange.
  PGconn* refused = PQconnectdb(Conninfo("alice", kAlicePassword).c_str());
  EXPECT_EQ(PQstatus(refused), CONNECTION_BAD);
  std::string message = PQerrorMessage(refused);
  PQfinish(refused);
  EXPECT_NE(message.find("too many failed logins"), std::string::npos) << message;
  EXPECT_THAT(auth_->AdmitLogin("rest 127.0.0.1:1234"), StatusIs(StatusCode::kResourceExhausted, "try again in"));
  // Other addresses are not affected; the window passing lets the address in again.
  EXPECT_THAT(auth_->AdmitLogin("rest 10.1.2.3:1234"), IsOk());
  auth_->SetLoginThrottle(3, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  PGconn* again = PQconnectdb(Conninfo("alice", kAlicePassword).c_str());
  EXPECT_EQ(PQstatus(again), CONNECTION_OK) << PQerrorMessage(again);
  PQfinish(again);
}

// Values whose DuckDB text clients cannot read are sent as PostgreSQL writes them: float
// NaN/Infinity (JDBC's Float.parseFloat refuses "inf"), infinite and BC dates and timestamps, and
// the binary infinities (the type's maximum and minimum, not shifted to the 2000 epoch).
TEST_F(PgwireServerTest, FloatsInfinitiesAndEraAsPostgresWritesThem) {
  Conn conn{Connect()};
  const std::string sql =
      "SELECT 'nan'::REAL, 'inf'::REAL, '-inf'::REAL, 0.1::REAL, 'nan'::DOUBLE, '-inf'::DOUBLE, 'infinity'::DATE, "
      "'-infinity'::DATE, 'infinity'::TIMESTAMP, '-infinity'::TIMESTAMPTZ, 'infinity'::TIMESTAMPTZ, "
      "DATE '0001-01-01' - 1, TIMESTAMPTZ '0001-01-01 00:00:00+00' - INTERVAL 1 day, DATE '9999-12-31' + 1, "
      "TIMESTAMP '9999-12-31 23:59:59.5' + INTERVAL 1 second";
  const std::vector<Oid> types = ExpectTextRow(
      conn.c, sql,
      {"NaN", "Infinity", "-Infinity", "0.1", "NaN", "-Infinity", "infinity", "-infinity", "infinity", "-infinity",
       "infinity", "0001-12-31 BC", "0001-12-31 00:00:00+00 BC", "10000-01-01", "10000-01-01 00:00:00.5"});
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types[0], 700u);  // float4

  const std::vector<std::string> bin = BinaryRowHex(conn.c, sql);
  ASSERT_EQ(bin.size(), 15u);
  EXPECT_EQ(bin[3], "3dcccccd");  // 0.1f
  EXPECT_EQ(bin[6], "7fffffff");  // date infinity: INT32_MAX
  EXPECT_EQ(bin[7], "80000000");  // -infinity: INT32_MIN
  EXPECT_EQ(bin[8], "7fffffffffffffff");
  EXPECT_EQ(bin[9], "8000000000000000");

  // And the binary infinities as parameters.
  const std::string max_ts(std::string("\x7f\xff\xff\xff\xff\xff\xff\xff", 8));
  const std::string min_date(std::string("\x80\x00\x00\x00", 4));
  const char* values[2] = {max_ts.data(), min_date.data()};
  const int lengths[2] = {8, 4};
  const int formats[2] = {1, 1};
  const Oid param_types[2] = {1114, 1082};  // timestamp, date
  Res params{PQexecParams(conn.c, "SELECT $1::TIMESTAMP = 'infinity'::TIMESTAMP, $2::DATE = '-infinity'::DATE", 2,
                          param_types, values, lengths, formats, 0)};
  ASSERT_EQ(PQresultStatus(params.r), PGRES_TUPLES_OK) << PQresultErrorMessage(params.r);
  EXPECT_EQ(params.get(0, 0), "t");
  EXPECT_EQ(params.get(0, 1), "t");

  // Binary numeric, time and interval parameters, read back as text.
  const std::string numeric("\x00\x03\x00\x01\x40\x00\x00\x03\x00\x01\x09\x29\x1a\x7c", 14);
  const std::string time("\x00\x00\x00\x03\x6c\x96\x6e\xe0", 8);
  const std::string interval("\xff\xff\xff\xff\x29\x6c\x5c\x00\x00\x00\x00\x01\x00\x00\x00\x0e", 16);
  const char* more[3] = {numeric.data(), time.data(), interval.data()};
  const int more_lengths[3] = {14, 8, 16};
  const int more_formats[3] = {1, 1, 1};
  const Oid more_types[3] = {1700, 1083, 1186};
  Res round{PQexecParams(conn.c, "SELECT $1 * 2, $2, $3", 3, more_types, more, more_lengths, more_formats, 0)};
  ASSERT_EQ(PQresultStatus(round.r), PGRES_TUPLES_OK) << PQresultErrorMessage(round.r);
  EXPECT_EQ(round.get(0, 0), "-24691.356");
  EXPECT_EQ(round.get(0, 1), "04:05:06.7");
  EXPECT_EQ(round.get(0, 2), "1 year 2 mons 1 day -01:00:00");
}

// Numerics, intervals, UUIDs and the small integer types in both formats: binary as PostgreSQL
// sends them (drivers such as Npgsql ask for binary results of every column), intervals in
// PostgreSQL's text style ("mons", "-1 days").
TEST_F(PgwireServerTest, NumericIntervalUuidAndSmallIntegersInBothFormats) {
  Conn conn{Connect()};
  const std::string sql =
      "SELECT -12345.678::DECIMAL(10,3), 0.0001::DECIMAL(6,4), 0::DECIMAL(4,0), 100000000::DECIMAL(12,0), "
      "INTERVAL '1 year 2 months 3 days 04:05:06.7', INTERVAL '-1 day', to_days(1) - INTERVAL 1 hour, "
      "INTERVAL 0 SECOND, UUID '12345678-9abc-def0-1234-56789abcdef0', 7::SMALLINT, 200::UTINYINT, "
      "65535::USMALLINT, 4000000000::UINTEGER, -3::TINYINT";
  const std::vector<Oid> types = ExpectTextRow(
      conn.c, sql,
      {"-12345.678", "0.0001", "0", "100000000", "1 year 2 mons 3 days 04:05:06.7", "-1 days", "1 day -01:00:00",
       "00:00:00", "12345678-9abc-def0-1234-56789abcdef0", "7", "200", "65535", "4000000000", "-3"});
  ASSERT_EQ(types.size(), 14u);
  EXPECT_EQ(types[0], 1700u);  // numeric
  EXPECT_EQ(types[4], 1186u);  // interval
  EXPECT_EQ(types[8], 2950u);  // uuid
  EXPECT_EQ(types[9], 21u);    // int2
  const std::vector<std::string> bin = BinaryRowHex(conn.c, sql);
  ASSERT_EQ(bin.size(), 14u);
  auto bytes = [&](int col) { return bin[static_cast<size_t>(col)]; };
  // NUMERIC: ndigits, weight, sign, dscale, then base-10000 digits (1 2345 6780).
  EXPECT_EQ(bytes(0), "0003000140000003000109291a7c");
  EXPECT_EQ(bytes(1), "0001ffff000000040001");
  EXPECT_EQ(bytes(2), "0000000000000000");
  EXPECT_EQ(bytes(3), "00010002000000000001");
  // INTERVAL: microseconds, days, months.
  EXPECT_EQ(bytes(4), "000000036c966ee0" "00000003" "0000000e");
  EXPECT_EQ(bytes(6), "ffffffff296c5c00" "00000001" "00000000");
  EXPECT_EQ(bytes(8), "123456789abcdef0123456789abcdef0");
  EXPECT_EQ(bytes(9), "0007");
  EXPECT_EQ(bytes(10), "00c8");
  EXPECT_EQ(bytes(11), "0000ffff");
  EXPECT_EQ(bytes(12), "00000000ee6b2800");
  EXPECT_EQ(bytes(13), "fffd");
}

TEST_F(PgwireServerTest, ExtendedQueryWithParametersAndBinaryResults) {
  Conn conn{Connect()};
  const char* values[1] = {"7"};
  Res text{PQexecParams(conn.c, "SELECT name, id FROM s.t WHERE id = $1", 1, nullptr, values, nullptr, nullptr, 0)};
  ASSERT_EQ(PQresultStatus(text.r), PGRES_TUPLES_OK) << PQresultErrorMessage(text.r);
  EXPECT_EQ(text.get(0, 0), "name7");
  // Binary results: int8 big-endian, float8 IEEE, date as days since 2000-01-01.
  Res bin{PQexecParams(conn.c, "SELECT id, x, d FROM s.t WHERE id = $1", 1, nullptr, values, nullptr, nullptr, 1)};
  ASSERT_EQ(PQresultStatus(bin.r), PGRES_TUPLES_OK) << PQresultErrorMessage(bin.r);
  ASSERT_EQ(PQgetlength(bin.r, 0, 0), 8);
  const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(bin.r, 0, 0));
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  EXPECT_EQ(v, 7u);
  p = reinterpret_cast<const unsigned char*>(PQgetvalue(bin.r, 0, 1));
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits = (bits << 8) | p[i];
  double x = 0;
  std::memcpy(&x, &bits, 8);
  EXPECT_DOUBLE_EQ(x, 1.75);
  p = reinterpret_cast<const unsigned char*>(PQgetvalue(bin.r, 0, 2));
  int32_t days = static_cast<int32_t>((uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3]);
  EXPECT_EQ(days, 7305 + 7);  // 2020-01-01 is 20 * 365 + 5 leap days after 2000-01-01
  // Prepared once, run many times with different parameters; described before any run.
  Res prep{PQprepare(conn.c, "by_id", "SELECT id, name FROM s.t WHERE id = $1 OR id = $2 ORDER BY id", 2, nullptr)};
  ASSERT_EQ(PQresultStatus(prep.r), PGRES_COMMAND_OK) << PQresultErrorMessage(prep.r);
  Res desc{PQdescribePrepared(conn.c, "by_id")};
  ASSERT_EQ(PQresultStatus(desc.r), PGRES_COMMAND_OK) << PQresultErrorMessage(desc.r);
  EXPECT_EQ(PQnparams(desc.r), 2);
  EXPECT_EQ(PQnfields(desc.r), 2);
  EXPECT_EQ(std::string(PQfname(desc.r, 1)), "name");
  for (int i = 0; i < 5; ++i) {
    std::string a = std::to_string(i * 10);
    std::string b = std::to_string(i * 10 + 1);
    const char* params[2] = {a.c_str(), b.c_str()};
    Res run{PQexecPrepared(conn.c, "by_id", 2, params, nullptr, nullptr, 0)};
    ASSERT_EQ(PQresultStatus(run.r), PGRES_TUPLES_OK) << PQresultErrorMessage(run.r);
    ASSERT_EQ(PQntuples(run.r), 2);
    EXPECT_EQ(run.get(1, 1), "name" + b);
  }
  // A quote in a parameter is data, not SQL.
  const char* evil[1] = {"x' OR '1'='1"};
  Res inj{PQexecParams(conn.c, "SELECT count(*) FROM s.t WHERE name = $1", 1, nullptr, evil, nullptr, nullptr, 0)};
  EXPECT_EQ(inj.get(0, 0), "0");
}

TEST_F(PgwireServerTest, ErrorsCarrySqlStateAndTheSessionGoesOn) {
  Conn conn{Connect()};
  Res syntax{PQexec(conn.c, "SELEC 1")};
  EXPECT_EQ(PQresultStatus(syntax.r), PGRES_FATAL_ERROR);
  EXPECT_EQ(syntax.state(), "42601");
  Res missing{PQexec(conn.c, "SELECT * FROM no_such_table")};
  EXPECT_EQ(missing.state(), "42P01");
  // A lake table one may not read and one that does not exist answer alike (no probing).
  Res denied{PQexec(conn.c, "SELECT * FROM s.secret")};
  Res absent{PQexec(conn.c, "SELECT * FROM s.nope")};
  EXPECT_EQ(denied.state(), "42501");
  EXPECT_EQ(absent.state(), "42501");
  Res file{PQexec(conn.c, "SELECT * FROM read_csv('/etc/passwd')")};
  EXPECT_EQ(PQresultStatus(file.r), PGRES_FATAL_ERROR);
  // Extended protocol: the error ends the pipeline until Sync; the next query works.
  const char* values[1] = {"abc"};
  Res conv{PQexecParams(conn.c, "SELECT $1::INTEGER", 1, nullptr, values, nullptr, nullptr, 0)};
  EXPECT_EQ(PQresultStatus(conv.r), PGRES_FATAL_ERROR);
  Res ok{PQexec(conn.c, "SELECT 40 + 2")};
  EXPECT_EQ(ok.get(0, 0), "42");
  EXPECT_GE(server_->stats().query_errors, 5u);
}

TEST_F(PgwireServerTest, SessionsFromEnginesStartedAheadAreLockedAndKeepPolicies) {
  // The set-up's first session started the spare engines; wait for them to be ready.
  for (int i = 0; i < 500 && auth_->spare_engines_ready() < Authenticator::kSpareEngines; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(auth_->spare_engines_ready(), Authenticator::kSpareEngines);
  const int64_t before = auth_->sessions_from_spares();
  Conn bob{Connect("bob", "bob-secret-1")};
  Conn alice{Connect()};
  EXPECT_EQ(auth_->sessions_from_spares(), before + 2);
  // The mask holds for bob, and alice reads the name.
  Res masked{PQexec(bob.c, "SELECT name FROM s.t WHERE id = 1")};
  ASSERT_EQ(PQresultStatus(masked.r), PGRES_TUPLES_OK) << PQresultErrorMessage(masked.r);
  EXPECT_NE(masked.get(0, 0), "name1");
  Res plain{PQexec(alice.c, "SELECT name FROM s.t WHERE id = 1")};
  ASSERT_EQ(PQresultStatus(plain.r), PGRES_TUPLES_OK) << PQresultErrorMessage(plain.r);
  EXPECT_EQ(plain.get(0, 0), "name1");
  // Below the statement guard, the DuckDB of a session from a spare engine is locked as any
  // session's: no files outside the lake, no configuration change.
  for (int i = 0; i < 500 && auth_->spare_engines_ready() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto direct, auth_->OpenSession("alice", "", "test"));
  EXPECT_EQ(auth_->sessions_from_spares(), before + 3);
  EXPECT_FALSE(direct->connection().Execute("SELECT * FROM read_text('/etc/passwd')").ok());
  EXPECT_FALSE(direct->connection().Execute("SET enable_external_access = true").ok());
  EXPECT_FALSE(direct->connection().Execute("SET lock_configuration = false").ok());
  EXPECT_FALSE(direct->connection().Execute("SET allowed_directories = ['/']").ok());
  // Its lake data is readable through its own session.
  EXPECT_EQ(engine::testing::Rows(*direct, "SELECT name FROM s.t WHERE id = 2"), "name2");
}

TEST_F(PgwireServerTest, PoliciesApplyToNetworkSessions) {
  Conn bob{Connect("bob", "bob-secret-1")};
  Res r{PQexec(bob.c, "SELECT name FROM s.t WHERE id = 1")};
  ASSERT_EQ(PQresultStatus(r.r), PGRES_TUPLES_OK) << PQresultErrorMessage(r.r);
  EXPECT_NE(r.get(0, 0), "name1");
  Conn alice{Connect()};
  Res a{PQexec(alice.c, "SELECT name FROM s.t WHERE id = 1")};
  EXPECT_EQ(a.get(0, 0), "name1");
  // Every statement is in the audit, with the client's address.
  std::string audit = AuditText();
  EXPECT_NE(audit.find("\"client\":\"pgwire 127.0.0.1:"), std::string::npos);
  EXPECT_NE(audit.find("\"decisions\":[\"mask redact hide_names on s.t.name"), std::string::npos);
}

// Savepoints, which ODBC drivers set around each statement of a transaction, are accepted like
// BEGIN; ROLLBACK TO warns that nothing was undone and leaves the transaction block open.
TEST_F(PgwireServerTest, SavepointsAreAcceptedAndRollbackToUndoesNothing) {
  Conn conn{Connect()};
  std::vector<std::string> notices;
  PQsetNoticeProcessor(
      conn.c, [](void* arg, const char* message) { static_cast<std::vector<std::string>*>(arg)->push_back(message); },
      &notices);
  Res begin{PQexec(conn.c, "BEGIN")};
  Res savepoint{PQexec(conn.c, "SAVEPOINT _exec_svp_1")};
  EXPECT_EQ(PQresultStatus(savepoint.r), PGRES_COMMAND_OK) << PQresultErrorMessage(savepoint.r);
  EXPECT_EQ(std::string(PQcmdStatus(savepoint.r)), "SAVEPOINT");
  Res row{PQexec(conn.c, "SELECT name FROM s.t WHERE id = 2")};
  EXPECT_EQ(row.get(0, 0), "name2");
  Res release{PQexec(conn.c, "RELEASE SAVEPOINT _exec_svp_1")};
  EXPECT_EQ(std::string(PQcmdStatus(release.r)), "RELEASE");
  Res again{PQexec(conn.c, "SAVEPOINT b")};
  EXPECT_TRUE(notices.empty());
  Res rollback_to{PQexec(conn.c, "ROLLBACK TO SAVEPOINT b")};
  EXPECT_EQ(PQresultStatus(rollback_to.r), PGRES_COMMAND_OK) << PQresultErrorMessage(rollback_to.r);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("nothing was rolled back"), std::string::npos) << notices[0];
  EXPECT_EQ(PQtransactionStatus(conn.c), PQTRANS_INTRANS);  // still in the block
  // The extended protocol, as ODBC sends them.
  Res extended{PQexecParams(conn.c, "SAVEPOINT c", 0, nullptr, nullptr, nullptr, nullptr, 0)};
  EXPECT_EQ(PQresultStatus(extended.r), PGRES_COMMAND_OK) << PQresultErrorMessage(extended.r);
  Res commit{PQexec(conn.c, "COMMIT")};
  EXPECT_EQ(PQtransactionStatus(conn.c), PQTRANS_IDLE);
  // Outside a transaction block they are errors (SQLSTATE 25P01), as in PostgreSQL.
  for (const char* sql : {"SAVEPOINT d", "RELEASE SAVEPOINT d", "ROLLBACK TO SAVEPOINT d"}) {
    Res outside{PQexec(conn.c, sql)};
    EXPECT_EQ(PQresultStatus(outside.r), PGRES_FATAL_ERROR) << sql;
    EXPECT_STREQ(PQresultErrorField(outside.r, PG_DIAG_SQLSTATE), "25P01") << sql;
    EXPECT_NE(std::string(PQresultErrorMessage(outside.r)).find("can only be used in transaction blocks"),
              std::string::npos)
        << PQresultErrorMessage(outside.r);
  }
  Res after{PQexec(conn.c, "SELECT name FROM s.t WHERE id = 3")};
  EXPECT_EQ(after.get(0, 0), "name3");
}

TEST_F(PgwireServerTest, SessionSettingsTransactionsAndPurpose) {
  Conn conn{Connect("alice", kAlicePassword, "sslmode=disable options='-c medlake.purpose=research'")};
  Res begin{PQexec(conn.c, "BEGIN")};
  EXPECT_EQ(PQresultStatus(begin.r), PGRES_COMMAND_OK);
  EXPECT_EQ(PQtransactionStatus(conn.c), PQTRANS_INTRANS);
  Res commit{PQexec(conn.c, "COMMIT")};
  EXPECT_EQ(PQtransactionStatus(conn.c), PQTRANS_IDLE);
  Res set{PQexec(conn.c, "SET application_name = 'report-tool'")};
  EXPECT_EQ(PQresultStatus(set.r), PGRES_COMMAND_OK);
  EXPECT_EQ(std::string(PQparameterStatus(conn.c, "application_name")), "report-tool");
  Res show{PQexec(conn.c, "SHOW transaction_isolation")};
  EXPECT_EQ(show.get(0, 0), "read committed");
  Res purpose{PQexec(conn.c, "SHOW medlake.purpose")};
  EXPECT_EQ(purpose.get(0, 0), "research");
  Res who{PQexec(conn.c, "SHOW CURRENT USER")};  // a security statement, not a client setting
  ASSERT_EQ(PQresultStatus(who.r), PGRES_TUPLES_OK) << PQresultErrorMessage(who.r);
  EXPECT_EQ(who.get(0, 0), "alice");
  Res enc{PQexec(conn.c, "SET client_encoding = 'LATIN1'")};
  EXPECT_EQ(enc.state(), "0A000");
  EXPECT_NE(AuditText().find("\"purpose\":\"research\""), std::string::npos);
  Conn bad{PQconnectdb(Conninfo("alice", kAlicePassword, "sslmode=disable options='-c medlake.purpose=fun'").c_str())};
  EXPECT_EQ(PQstatus(bad.c), CONNECTION_BAD);
}

TEST_F(PgwireServerTest, CancelRequestInterruptsTheQuery) {
  Conn conn{Connect()};
  std::atomic<bool> done{false};
  std::string state;
  std::thread runner([&] {
    Res r{PQexec(conn.c, "SELECT count(*) FROM range(20000000000) t(a) WHERE a % 7 = 3")};
    state = r.state();
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  PGcancel* cancel = PQgetCancel(conn.c);
  char err[256];
  EXPECT_EQ(PQcancel(cancel, err, sizeof err), 1) << err;
  PQfreeCancel(cancel);
  runner.join();
  EXPECT_EQ(state, "57014");
  Res after{PQexec(conn.c, "SELECT 1")};
  EXPECT_EQ(after.get(0, 0), "1");
  EXPECT_EQ(server_->stats().cancels, 1u);
}

TEST_F(PgwireServerTest, ClientKilledMidResultLeavesTheServerHealthy) {
  for (int round = 0; round < 3; ++round) {
    PGconn* c = Connect();
    ASSERT_EQ(PQsendQuery(c, "SELECT a, repeat('x', 200) FROM range(5000000) a"), 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    // The socket goes away without a Terminate message, mid-stream.
    ::shutdown(PQsocket(c), SHUT_RDWR);
    PQfinish(c);
  }
  Conn conn{Connect()};
  Res r{PQexec(conn.c, "SELECT count(*) FROM s.t")};
  EXPECT_EQ(r.get(0, 0), "3000");
  // The abandoned sessions end (their threads return) soon after.
  for (int i = 0; i < 100 && server_->stats().active_sessions > 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(server_->stats().active_sessions, 1u);
}

TEST_F(PgwireServerTest, ManyConcurrentSessions) {
  constexpr int kClients = 200;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  std::vector<PGconn*> conns(kClients, nullptr);
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      conns[static_cast<size_t>(i)] = PQconnectdb(Conninfo("alice", kAlicePassword, "sslmode=disable connect_timeout=120").c_str());
      PGconn* c = conns[static_cast<size_t>(i)];
      if (PQstatus(c) != CONNECTION_OK) {
        ADD_FAILURE() << PQerrorMessage(c);
        return;
      }
      std::string sql = "SELECT name FROM s.t WHERE id = " + std::to_string(i);
      PGresult* r = PQexec(c, sql.c_str());
      if (PQresultStatus(r) == PGRES_TUPLES_OK && std::string(PQgetvalue(r, 0, 0)) == "name" + std::to_string(i)) {
        ++ok;
      }
      PQclear(r);
    });
  }
  for (auto& t : threads) t.join();
  // All 200 were connected at once before any was closed.
  EXPECT_EQ(ok.load(), kClients);
  EXPECT_EQ(server_->stats().active_sessions, static_cast<uint64_t>(kClients));
  for (PGconn* c : conns) PQfinish(c);
}

// A raw TCP connection to the server (no libpq), for clients that misbehave.
int RawConnect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads until the server closes the connection; false if it is still open after `limit`.
bool ClosedWithin(int fd, std::chrono::milliseconds limit) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(limit.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((limit.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[4096];
  while (true) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) return true;
    if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
  }
}

TEST_F(PgwireServerTest, SilentAndGreedyClientsDoNotHoldTheServer) {
  PgServerOptions options;
  options.startup_timeout = std::chrono::milliseconds(800);
  Boot(options);
  // Connects and says nothing: closed at the startup deadline.
  int silent = RawConnect(server_->port());
  ASSERT_GE(silent, 0);
  EXPECT_TRUE(ClosedWithin(silent, std::chrono::seconds(5)));
  ::close(silent);
  // Announces a 60 MiB SASL message before logging in: refused at once, nothing reserved.
  int greedy = RawConnect(server_->port());
  ASSERT_GE(greedy, 0);
  std::string startup = Int32Bytes(kProtocolVersion3) + std::string("user\0alice\0\0", 12);
  startup = Int32Bytes(static_cast<int32_t>(startup.size() + 4)) + startup;
  ASSERT_EQ(::send(greedy, startup.data(), startup.size(), 0), static_cast<ssize_t>(startup.size()));
  std::string sasl = "p" + Int32Bytes(60 << 20);
  ASSERT_EQ(::send(greedy, sasl.data(), sasl.size(), 0), static_cast<ssize_t>(sasl.size()));
  EXPECT_TRUE(ClosedWithin(greedy, std::chrono::seconds(5)));
  ::close(greedy);
  Conn ok{Connect()};
  Res r{PQexec(ok.c, "SELECT 1")};
  EXPECT_EQ(r.get(0, 0), "1");
}

TEST(BufferedReaderTest, SmallReadsShareOneReadOfTheTarget) {
  auto pair = net::MakeMemoryStreamPair();
  // Counts the reads that reach the target.
  struct Counting final : net::Stream {
    explicit Counting(net::Stream& t) : target(t) {}
    Result<size_t> Read(char* buf, size_t n) override {
      ++reads;
      return target.Read(buf, n);
    }
    Status Write(std::string_view d) override { return target.Write(d); }
    void Shutdown() override { target.Shutdown(); }
    bool is_tls() const override { return false; }
    std::string peer() const override { return "counting"; }
    net::Stream& target;
    int reads = 0;
  } counting(*pair.server);
  net::BufferedReader in(counting, 16);
  ASSERT_THAT(pair.client->Write("abcdefghij"), IsOk());
  char buf[64] = {};
  ASSERT_THAT(net::ReadExactly(in, buf, 3), IsOk());
  EXPECT_EQ(std::string(buf, 3), "abc");
  EXPECT_EQ(in.buffered(), 7u);
  ASSERT_THAT(net::ReadExactly(in, buf, 7), IsOk());
  EXPECT_EQ(std::string(buf, 7), "defghij");
  EXPECT_EQ(counting.reads, 1);
  // A read across the buffer's end takes what is buffered, then reads on.
  ASSERT_THAT(pair.client->Write("klm"), IsOk());
  ASSERT_THAT(net::ReadExactly(in, buf, 2), IsOk());
  ASSERT_THAT(pair.client->Write("nopqrstuvwxyz0123456789"), IsOk());
  ASSERT_THAT(net::ReadExactly(in, buf, 5), IsOk());
  EXPECT_EQ(std::string(buf, 5), "mnopq");
  // A read of the buffer's size or more, with nothing buffered, goes straight to the target.
  ASSERT_THAT(net::ReadExactly(in, buf, 19), IsOk());  // the rest of what was written
  EXPECT_EQ(std::string(buf, 19), "rstuvwxyz0123456789");
  EXPECT_EQ(in.buffered(), 0u);
  const int before = counting.reads;
  ASSERT_THAT(pair.client->Write(std::string(20, 'x')), IsOk());
  ASSERT_THAT(net::ReadExactly(in, buf, 20), IsOk());
  EXPECT_EQ(std::string(buf, 20), std::string(20, 'x'));
  EXPECT_EQ(counting.reads, before + 1);
  EXPECT_EQ(in.buffered(), 0u);
  // The peer's close is a read of 0 bytes, and ReadExactly's error.
  pair.client->Shutdown();
  MEDLAKE_ASSERT_OK_AND_ASSIGN(size_t k, in.Read(buf, 4));
  EXPECT_EQ(k, 0u);
  EXPECT_THAT(net::ReadExactly(in, buf, 1), StatusIs(StatusCode::kIOError, "closed"));
}

// Options with TLS from a fresh self-signed certificate (its file in *cert).
PgServerOptions TlsOptions(const TempDir& dir, std::string* cert) {
  *cert = dir.Join("server.crt");
  const std::string key = dir.Join("server.key");
  PgServerOptions options;
  EXPECT_THAT(GenerateSelfSignedCertificate(*cert, key, "localhost"), IsOk());
  auto context = TlsServerContext::FromFiles(*cert, key);
  EXPECT_THAT(context.status(), IsOk());
  if (context.ok()) options.tls = std::move(*context);
  return options;
}

TEST_F(PgwireServerTest, BytesSentBeforeTheTlsAnswerAreRefused) {
  std::string cert;
  PgServerOptions options = TlsOptions(dir_, &cert);
  ASSERT_NE(options.tls, nullptr);
  Boot(options);
  // SSLRequest and, without waiting for 'S', a plain startup packet: the server must not take the
  // startup as if it had come through TLS.
  int fd = RawConnect(server_->port());
  ASSERT_GE(fd, 0);
  std::string startup = Int32Bytes(kProtocolVersion3) + std::string("user\0alice\0\0", 12);
  startup = Int32Bytes(static_cast<int32_t>(startup.size() + 4)) + startup;
  const std::string both = Int32Bytes(8) + Int32Bytes(kSslRequestCode) + startup;
  ASSERT_EQ(::send(fd, both.data(), both.size(), 0), static_cast<ssize_t>(both.size()));
  std::string reply;
  char buf[512];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) reply.append(buf, static_cast<size_t>(n));
  ::close(fd);
  ASSERT_FALSE(reply.empty());
  EXPECT_EQ(reply[0], 'E') << "the server answered " << reply.substr(0, 1);
  EXPECT_NE(reply.find("unencrypted data after SSL request"), std::string::npos);
  // A client that waits for the answer is served.
  Conn tls{Connect("alice", kAlicePassword, "sslmode=require")};
  EXPECT_EQ(PQsslInUse(tls.c), 1);
}

TEST_F(PgwireServerTest, ConnectionsOverTheLimitAreRefusedPolitely) {
  PgServerOptions options;
  options.listener.max_connections = 2;
  Boot(options);
  Conn a{Connect()};
  Conn b{Connect()};
  PGconn* c = PQconnectdb(Conninfo("alice", kAlicePassword).c_str());
  EXPECT_EQ(PQstatus(c), CONNECTION_BAD);
  EXPECT_NE(std::string(PQerrorMessage(c)).find("too many clients"), std::string::npos) << PQerrorMessage(c);
  PQfinish(c);
}

TEST_F(PgwireServerTest, TlsWithSelfSignedCertificate) {
  std::string cert;
  PgServerOptions options = TlsOptions(dir_, &cert);
  ASSERT_NE(options.tls, nullptr);
  options.require_tls = true;
  Boot(options);
  Conn tls{Connect("alice", kAlicePassword, "sslmode=verify-full sslrootcert=" + cert)};
  EXPECT_EQ(PQsslInUse(tls.c), 1);
  Res r{PQexec(tls.c, "SELECT count(*) FROM s.t")};
  EXPECT_EQ(r.get(0, 0), "3000");
  PGconn* plain = PQconnectdb(Conninfo("alice", kAlicePassword, "sslmode=disable").c_str());
  EXPECT_EQ(PQstatus(plain), CONNECTION_BAD);
  EXPECT_NE(std::string(PQerrorMessage(plain)).find("requires TLS"), std::string::npos) << PQerrorMessage(plain);
  PQfinish(plain);
  // Mismatched key and certificate are refused at start, naming the file.
  std::string other_cert = dir_.Join("other.crt");
  std::string other_key = dir_.Join("other.key");
  ASSERT_THAT(GenerateSelfSignedCertificate(other_cert, other_key, "localhost"), IsOk());
  EXPECT_THAT(TlsServerContext::FromFiles(cert, other_key), StatusIs(StatusCode::kInvalidArgument, "other.key"));
}

}  // namespace
}  // namespace medlake::server::pgwire
