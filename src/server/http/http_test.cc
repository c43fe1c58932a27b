// Tests of server/http: the request parser, URL decoding, the router, the response writer and
// the connection loop (over an in-memory stream pair).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "core/testing/manual_clock.h"
#include "core/testing/status_matchers.h"
#include "server/http/http_message.h"
#include "server/http/http_server.h"
#include "server/http/http_test_client_internal.h"

namespace medlake::server::http {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::TestConnection;
using testing::TestResponse;

// ---- parser helpers ----

struct ParseOutcome {
  bool complete = false;
  bool failed = false;
  int status = 0;
  std::string message;
  ParsedRequest request;
  size_t consumed = 0;
};

// Feeds `input` in pieces of `piece` bytes (0: all at once) to a fresh parser.
ParseOutcome ParseInPieces(std::string_view input, size_t piece, HttpLimits limits = {}) {
  HttpRequestParser p(limits);
  ParseOutcome out;
  size_t pos = 0;
  while (pos < input.size() && !p.complete() && !p.failed()) {
    size_t n = piece == 0 ? input.size() - pos : std::min(piece, input.size() - pos);
    size_t used = p.Feed(input.substr(pos, n));
    out.consumed += used;
    pos += n;
    if (used < n) {
      break;
    }
  }
  out.complete = p.complete();
  out.failed = p.failed();
  if (p.failed()) {
    out.status = p.error().http_status;
    out.message = p.error().message;
  }
  if (p.complete()) {
    out.request = p.TakeRequest();
  }
  return out;
}

ParseOutcome Parse(std::string_view input, HttpLimits limits = {}) {
  return ParseInPieces(input, 0, limits);
}

int ErrorStatus(std::string_view input, HttpLimits limits = {}) {
  ParseOutcome o = Parse(input, limits);
  return o.failed ? o.status : (o.complete ? 0 : -1);
}

// ---- parser ----

TEST(HttpRequestParserTest, ParsesGetWithHeadersCaseInsensitively) {
  ParseOutcome o = Parse(
      "GET /api/v1/tables?ns=raw&x=1 HTTP/1.1\r\nHost: localhost\r\nX-Trace-Id: abc\r\n"
      "accept:  application/json \r\n\r\n");
  ASSERT_TRUE(o.complete) << o.message;
  EXPECT_EQ(o.request.method, "GET");
  EXPECT_EQ(o.request.raw_path, "/api/v1/tables");
  EXPECT_EQ(o.request.raw_query, "ns=raw&x=1");
  EXPECT_EQ(o.request.target, "/api/v1/tables?ns=raw&x=1");
  EXPECT_EQ(o.request.version_minor, 1);
  EXPECT_EQ(o.request.headers.Get("x-trace-id").value_or(""), "abc");
  EXPECT_EQ(o.request.headers.Get("ACCEPT").value_or(""), "application/json");
  EXPECT_TRUE(o.request.keep_alive);
  EXPECT_TRUE(o.request.body.empty());
}

TEST(HttpRequestParserTest, ReadsContentLengthBody) {
  ParseOutcome o = Parse("POST /q HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
  ASSERT_TRUE(o.complete);
  EXPECT_EQ(o.request.body, "hello");
  EXPECT_FALSE(o.request.chunked);
}

TEST(HttpRequestParserTest, AcceptsIdenticalRepeatedContentLength) {
  ParseOutcome o =
      Parse("POST /q HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc");
  ASSERT_TRUE(o.complete) << o.message;
  EXPECT_EQ(o.request.body, "abc");
}

TEST(HttpRequestParserTest, DecodesChunkedBodyWithExtensionsAndTrailers) {
  ParseOutcome o = Parse(
      "POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value;flag\r\nhello\r\n"
      "6 ; q=\"quoted\"\r\n world\r\n"
      "0000\r\nX-Checksum: 42\r\nX-Other: y\r\n\r\n");
  ASSERT_TRUE(o.complete) << o.message;
  EXPECT_EQ(o.request.body, "hello world");
  EXPECT_TRUE(o.request.chunked);
  EXPECT_EQ(o.request.trailers.Get("x-checksum").value_or(""), "42");
  EXPECT_EQ(o.request.trailers.size(), 2u);
  EXPECT_FALSE(o.request.headers.Has("x-checksum"));
}

TEST(HttpRequestParserTest, SameResultWhenSplitAtEveryByteBoundary) {
  const std::vector<std::string> inputs = {
      "GET /a%20b?x=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
      "POST /q HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n"
      "hello world",
      "PUT /f HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;e=1\r\nabc\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nT: 1\r\n\r\n",
      "\r\nGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
  };
  for (const std::string& in : inputs) {
    ParseOutcome whole = Parse(in);
    ASSERT_TRUE(whole.complete) << in << ": " << whole.message;
    EXPECT_EQ(whole.consumed, in.size());
    for (size_t split = 1; split < in.size(); ++split) {
      HttpRequestParser p;
      size_t used = p.Feed(std::string_view(in).substr(0, split));
      used += p.Feed(std::string_view(in).substr(split));
      ASSERT_TRUE(p.complete()) << "split at " << split << " of " << in;
      EXPECT_EQ(used, in.size());
      ParsedRequest r = p.TakeRequest();
      EXPECT_EQ(r.method, whole.request.method);
      EXPECT_EQ(r.target, whole.request.target);
      EXPECT_EQ(r.body, whole.request.body);
      EXPECT_EQ(r.headers.entries(), whole.request.headers.entries());
      EXPECT_EQ(r.trailers.entries(), whole.request.trailers.entries());
      EXPECT_EQ(r.keep_alive, whole.request.keep_alive);
      EXPECT_EQ(r.expect_continue, whole.request.expect_continue);
    }
    ParseOutcome bytewise = ParseInPieces(in, 1);
    ASSERT_TRUE(bytewise.complete);
    EXPECT_EQ(bytewise.request.body, whole.request.body);
  }
}

TEST(HttpRequestParserTest, StopsAtTheEndOfOneRequestSoPipelinedBytesStay) {
  std::string two =
      "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nxy"
      "GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
  HttpRequestParser p;
  size_t used = p.Feed(two);
  ASSERT_TRUE(p.complete());
  EXPECT_EQ(p.TakeRequest().body, "xy");
  EXPECT_EQ(p.Feed("more"), 0u);  // complete: consumes nothing until Reset()
  p.Reset();
  EXPECT_TRUE(p.idle());
  size_t used2 = p.Feed(std::string_view(two).substr(used));
  ASSERT_TRUE(p.complete());
  EXPECT_EQ(used + used2, two.size());
  EXPECT_EQ(p.TakeRequest().raw_path, "/b");
}

TEST(HttpRequestParserTest, KeepAliveFollowsVersionAndConnectionHeader) {
  EXPECT_TRUE(Parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(
      Parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade, close\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.0\r\n\r\n").request.keep_alive);
  EXPECT_TRUE(Parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").request.keep_alive);
  ParseOutcome later = Parse("GET / HTTP/1.7\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(later.complete);
  EXPECT_EQ(later.request.version_minor, 1);
}

TEST(HttpRequestParserTest, ExpectContinueOnlyForHttp11) {
  ParseOutcome o =
      Parse("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n");
  EXPECT_FALSE(o.complete);
  HttpRequestParser p;
  p.Feed("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n");
  EXPECT_TRUE(p.headers_complete());
  EXPECT_FALSE(p.complete());
  EXPECT_TRUE(p.request().expect_continue);
  EXPECT_EQ(ErrorStatus("GET / HTTP/1.1\r\nHost: h\r\nExpect: something-else\r\n\r\n"), 417);
  ParseOutcome http10 = Parse("GET / HTTP/1.0\r\nExpect: something-else\r\n\r\n");
  ASSERT_TRUE(http10.complete);
  EXPECT_FALSE(http10.request.expect_continue);
}

TEST(HttpRequestParserTest, AcceptsAbsoluteFormAndAsteriskForOptions) {
  ParseOutcome o = Parse("GET http://example.org:8080/a/b?c=d HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(o.complete) << o.message;
  EXPECT_EQ(o.request.raw_path, "/a/b");
  EXPECT_EQ(o.request.raw_query, "c=d");
  ParseOutcome bare = Parse("GET HTTPS://example.org HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(bare.complete);
  EXPECT_EQ(bare.request.raw_path, "/");
  ParseOutcome star = Parse("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(star.complete);
  EXPECT_EQ(star.request.raw_path, "*");
  EXPECT_EQ(ErrorStatus("GET * HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
}

TEST(HttpRequestParserTest, EnforcesSizeLimitsWithTheirStatuses) {
  HttpLimits small;
  small.max_request_line_bytes = 64;
  small.max_header_bytes = 256;
  small.max_header_count = 4;
  small.max_body_bytes = 10;
  const std::string host = "Host: h\r\n";
  EXPECT_EQ(ErrorStatus("GET /" + std::string(100, 'a') + " HTTP/1.1\r\n" + host + "\r\n", small),
            414);
  EXPECT_EQ(
      ErrorStatus("GET / HTTP/1.1\r\n" + host + "X: " + std::string(300, 'v') + "\r\n\r\n", small),
      431);
  std::string many = "GET / HTTP/1.1\r\n" + host;
  for (int i = 0; i < 5; ++i) {
    many += "X" + std::to_string(i) + ": 1\r\n";
  }
  EXPECT_EQ(ErrorStatus(many + "\r\n", small), 431);
  EXPECT_EQ(ErrorStatus("POST / HTTP/1.1\r\n" + host + "Content-Length: 11\r\n\r\n", small), 413);
  EXPECT_EQ(ErrorStatus(
                "POST / HTTP/1.1\r\n" + host + "Content-Length: 99999999999999999999999999\r\n\r\n",
                small),
            413);
  EXPECT_EQ(ErrorStatus("POST / HTTP/1.1\r\n" + host +
                            "Transfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\nabcde\r\n",
                        small),
            413);
  EXPECT_EQ(ErrorStatus("POST / HTTP/1.1\r\n" + host +
                            "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFFFF\r\n",
                        small),
            413);
  EXPECT_EQ(ErrorStatus("POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n0\r\n" +
                            "T: " + std::string(300, 't') + "\r\n\r\n",
                        small),
            431);
  // Exactly at the limits is fine.
  EXPECT_EQ(
      ErrorStatus("POST / HTTP/1.1\r\n" + host + "Content-Length: 10\r\n\r\n0123456789", small), 0);
}

TEST(HttpRequestParserTest, PerRequestBodyLimitNarrowsAndResetRestores) {
  HttpLimits limits;
  limits.max_body_bytes = 100;
  HttpRequestParser p(limits);
  p.Feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 50\r\n\r\n");
  ASSERT_TRUE(p.headers_complete());
  p.SetMaxBodyBytes(10);
  ASSERT_TRUE(p.failed());
  EXPECT_EQ(p.error().http_status, 413);
  p.Reset();
  p.Feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 50\r\n\r\n");
  p.SetMaxBodyBytes(100);
  p.Feed(std::string(50, 'x'));
  EXPECT_TRUE(p.complete());
  p.Reset();
  p.Feed("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
  p.SetMaxBodyBytes(8);
  p.Feed("5\r\nabcde\r\n5\r\n");
  ASSERT_TRUE(p.failed());
  EXPECT_EQ(p.error().http_status, 413);
}

TEST(HttpRequestParserTest, RejectsMalformedInputWithPreciseStatuses) {
  struct Case {
    std::string input;
    int status;
  };
  const std::string h = "Host: h\r\n";
  const std::vector<Case> cases = {
      {"GET / HTTP/1.1\n" + h + "\r\n", 400},                        // bare LF
      {"GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400},              // bare CR
      {"GET / HTTP/1.1\r\n" + h + "X: a\r\n  folded\r\n\r\n", 400},  // obs-fold
      {"GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400},                   // space after start line
      {"GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400},                   // space before colon
      {"GET / HTTP/1.1\r\n" + h + "NoColon\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\n" + h + ": empty-name\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\n" + h +
           "X: a\x01"
           "b\r\n\r\n",
       400},  // control in value
      {std::string("GET / HTTP/1.1\r\n") + h + "X: a" + std::string(1, '\0') + "\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\n\r\n", 400},               // missing Host
      {"GET / HTTP/1.1\r\n" + h + h + "\r\n", 400},  // two Hosts
      {"POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400},
      {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked, gzip\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked, chunked\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501},
      {"POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: ,\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\n" + h + "Content-Length: 3\r\nContent-Length: 4\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\n" + h + "Content-Length: -1\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\n" + h + "Content-Length: 0x10\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\n" + h + "Content-Length: \r\n\r\n", 400},
      {"POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
      {"POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcX", 400},
      {"POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n3 junk\r\n", 400},
      {"POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n-3\r\n", 400},
      {"GET / HTTP/2.0\r\n" + h + "\r\n", 505},
      {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},  // HTTP/2 prior-knowledge preface
      {"GET / HTTP/0.9\r\n\r\n", 505},
      {"GET / HTTP/1\r\n" + h + "\r\n", 400},
      {"GET / http/1.1\r\n" + h + "\r\n", 400},
      {"GET / HTTP/1.1 \r\n" + h + "\r\n", 400},
      {"GET  / HTTP/1.1\r\n" + h + "\r\n", 400},
      {"GET /a b HTTP/1.1\r\n" + h + "\r\n", 400},
      {"GET /a\x7f HTTP/1.1\r\n" + h + "\r\n", 400},
      {"GET /a\xc3\xa9 HTTP/1.1\r\n" + h + "\r\n", 400},  // raw UTF-8 must be encoded
      {"GET /a#frag HTTP/1.1\r\n" + h + "\r\n", 400},
      {"GET example.org:80 HTTP/1.1\r\n" + h + "\r\n", 400},
      {"GET http:///x HTTP/1.1\r\n" + h + "\r\n", 400},
      {"G(T / HTTP/1.1\r\n" + h + "\r\n", 400},
      {" / HTTP/1.1\r\n" + h + "\r\n", 400},
      {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15), 400},  // TLS hello
  };
  for (const Case& c : cases) {
    ParseOutcome o = Parse(c.input);
    EXPECT_TRUE(o.failed) << "accepted: " << ::testing::PrintToString(c.input);
    EXPECT_EQ(o.status, c.status) << ::testing::PrintToString(c.input) << ": " << o.message;
    EXPECT_FALSE(o.message.empty());
  }
}

TEST(HttpRequestParserTest, SurvivesRandomInputWithoutHangingOrGrowing) {
  std::mt19937 rng(20240611);
  std::string alphabet =
      "GET POST/ HTTP/1.01\r\n:Host-Content-Length Transfer-Encoding"
      "chunked0123456789abcdef;=\t\"";
  alphabet += '\0';
  alphabet += '\xff';
  HttpLimits limits;
  limits.max_header_bytes = 512;
  limits.max_body_bytes = 1024;
  for (int round = 0; round < 3000; ++round) {
    std::string input;
    size_t len = rng() % 400;
    // Start from a valid prefix half the time, so deeper states get exercised.
    if (rng() % 2 == 0) {
      input = "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    }
    for (size_t i = 0; i < len; ++i) {
      input += alphabet[rng() % alphabet.size()];
    }
    HttpRequestParser p(limits);
    size_t piece = 1 + rng() % 17;
    size_t pos = 0;
    while (pos < input.size()) {
      size_t n = std::min(piece, input.size() - pos);
      size_t used = p.Feed(std::string_view(input).substr(pos, n));
      ASSERT_LE(used, n);
      pos += used;
      if (p.complete()) {
        ASSERT_LE(p.request().body.size(), limits.max_body_bytes);
        p.Reset();
      } else if (p.failed()) {
        ASSERT_GE(p.error().http_status, 400);
        break;
      } else {
        ASSERT_EQ(used, n);  // needing more bytes means everything was consumed
      }
    }
  }
}

// ---- URL decoding ----

TEST(UrlDecodingTest, PercentDecodesAndRejectsBadEscapes) {
  EXPECT_EQ(PercentDecode("a%20b%2Fc%e2%82%AC", false).value_or("?"), "a b/c\xe2\x82\xac");
  EXPECT_EQ(PercentDecode("a+b", false).value_or("?"), "a+b");
  EXPECT_EQ(PercentDecode("a+b", true).value_or("?"), "a b");
  EXPECT_THAT(PercentDecode("a%2", false), StatusIs(StatusCode::kInvalidArgument, "percent"));
  EXPECT_THAT(PercentDecode("%zz", false), StatusIs(StatusCode::kInvalidArgument, "percent"));
  EXPECT_THAT(PercentDecode("%", true), StatusIs(StatusCode::kInvalidArgument, "percent"));
}

TEST(UrlDecodingTest, ParsesQueryStringsAndFormBodies) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto q, ParseUrlEncoded("a=1&b=x%20y+z&a=2&&flag&=v&e="));
  EXPECT_EQ(q.count("a"), 2u);
  auto range = q.equal_range("a");
  std::vector<std::string> as;
  for (auto it = range.first; it != range.second; ++it) {
    as.push_back(it->second);
  }
  EXPECT_THAT(as, ElementsAre("1", "2"));
  EXPECT_EQ(q.find("b")->second, "x y z");
  EXPECT_EQ(q.find("flag")->second, "");
  EXPECT_EQ(q.find("")->second, "v");
  EXPECT_EQ(q.find("e")->second, "");
  EXPECT_EQ(q.size(), 6u);
  EXPECT_THAT(ParseUrlEncoded("a=%G0"), StatusIs(StatusCode::kInvalidArgument, "percent"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto empty, ParseUrlEncoded(""));
  EXPECT_TRUE(empty.empty());
}

TEST(UrlDecodingTest, SplitsPathsIntoDecodedSegmentsAndRefusesDotSegments) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto s, SplitPath("/a/b%20c/%2F/"));
  EXPECT_THAT(s, ElementsAre("a", "b c", "/", ""));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto root, SplitPath("/"));
  EXPECT_THAT(root, ElementsAre(""));
  EXPECT_THAT(SplitPath("/a/../b"), StatusIs(StatusCode::kInvalidArgument, "dot segment"));
  EXPECT_THAT(SplitPath("/a/%2e%2E/b"), StatusIs(StatusCode::kInvalidArgument, "dot segment"));
  EXPECT_THAT(SplitPath("/./b"), StatusIs(StatusCode::kInvalidArgument, "dot segment"));
  EXPECT_THAT(SplitPath("/a%00"), StatusIs(StatusCode::kInvalidArgument, "NUL"));
  EXPECT_THAT(SplitPath("a"), StatusIs(StatusCode::kInvalidArgument, "start"));
  EXPECT_THAT(SplitPath("/%"), StatusIs(StatusCode::kInvalidArgument, "percent"));
  MEDLAKE_EXPECT_OK(SplitPath("/a/...b/.c"));
}

// ---- router ----

HttpHandler Named(std::string name) {
  return [name](const HttpRequest&, HttpResponseWriter& w) { return w.Send(200, {}, name); };
}

TEST(RouterTest, PrefersLiteralOverParamOverRest) {
  Router r;
  MEDLAKE_ASSERT_OK(r.Add("GET", "/tables/{ns}/{table}", Named("param")));
  MEDLAKE_ASSERT_OK(r.Add("GET", "/tables/raw/{table}", Named("literal")));
  MEDLAKE_ASSERT_OK(r.Add("GET", "/tables/{rest...}", Named("rest")));
  Router::Match m = r.Find("GET", "/tables/raw/hl7");
  ASSERT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(m.pattern, "/tables/raw/{table}");
  EXPECT_EQ(m.params.at("table"), "hl7");
  m = r.Find("GET", "/tables/curated/person%20x");
  EXPECT_EQ(m.pattern, "/tables/{ns}/{table}");
  EXPECT_EQ(m.params.at("ns"), "curated");
  EXPECT_EQ(m.params.at("table"), "person x");
  m = r.Find("GET", "/tables/a/b/c");
  EXPECT_EQ(m.pattern, "/tables/{rest...}");
  EXPECT_EQ(m.params.at("rest"), "a/b/c");
  m = r.Find("GET", "/tables/one");
  EXPECT_EQ(m.pattern, "/tables/{rest...}");
  EXPECT_EQ(m.params.at("rest"), "one");
  EXPECT_EQ(r.Find("GET", "/tables").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(r.Find("GET", "/tables/").params.at("rest"), "");
}

TEST(RouterTest, ParamsDoNotMatchEmptySegmentsAndEncodedSlashesStayInside) {
  Router r;
  MEDLAKE_ASSERT_OK(r.Add("GET", "/fhir/{type}/{id}", Named("read")));
  MEDLAKE_ASSERT_OK(r.Add("GET", "/files/{path...}", Named("files")));
  EXPECT_EQ(r.Find("GET", "/fhir//1").kind, Router::Match::Kind::kNotFound);
  Router::Match m = r.Find("GET", "/fhir/Patient/a%2Fb");
  ASSERT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(m.params.at("id"), "a/b");
  EXPECT_EQ(r.Find("GET", "/files/a%2F..%2Fetc").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(r.Find("GET", "/files/../etc").kind, Router::Match::Kind::kBadPath);
  EXPECT_EQ(r.Find("GET", "/files/a/b").params.at("path"), "a/b");
}

TEST(RouterTest, ReportsAllowedMethodsForAKnownPath) {
  Router r;
  MEDLAKE_ASSERT_OK(r.Add("GET", "/items/{id}", Named("get")));
  MEDLAKE_ASSERT_OK(r.Add("DELETE", "/items/{id}", Named("delete")));
  MEDLAKE_ASSERT_OK(r.Add("POST", "/items", Named("post")));
  Router::Match m = r.Find("PUT", "/items/7");
  ASSERT_EQ(m.kind, Router::Match::Kind::kMethodNotAllowed);
  EXPECT_THAT(m.allowed, ElementsAre("DELETE", "GET", "HEAD", "OPTIONS"));
  m = r.Find("HEAD", "/items/7");
  ASSERT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(m.pattern, "/items/{id}");
  EXPECT_EQ(r.Find("GET", "/nothing").kind, Router::Match::Kind::kNotFound);
}

TEST(RouterTest, RejectsMalformedAndClashingPatterns) {
  Router r;
  EXPECT_THAT(r.Add("GET", "items", Named("x")), StatusIs(StatusCode::kInvalidArgument, "start"));
  EXPECT_THAT(r.Add("GET", "/a/{rest...}/b", Named("x")),
              StatusIs(StatusCode::kInvalidArgument, "last"));
  EXPECT_THAT(r.Add("GET", "/a/{}", Named("x")), StatusIs(StatusCode::kInvalidArgument, ""));
  EXPECT_THAT(r.Add("GET", "/a/{x}/{x}", Named("x")),
              StatusIs(StatusCode::kInvalidArgument, "repeated"));
  EXPECT_THAT(r.Add("GET", "/a/b{x}", Named("x")),
              StatusIs(StatusCode::kInvalidArgument, "braces"));
  EXPECT_THAT(r.Add("G T", "/a", Named("x")), StatusIs(StatusCode::kInvalidArgument, "token"));
  MEDLAKE_ASSERT_OK(r.Add("GET", "/a/{x}", Named("x")));
  EXPECT_THAT(r.Add("GET", "/a/{y}", Named("y")), StatusIs(StatusCode::kAlreadyExists, "/a/{x}"));
  MEDLAKE_EXPECT_OK(r.Add("POST", "/a/{y}", Named("y")));
}

// ---- error mapping ----

TEST(HttpErrorTest, MapsEveryStatusCode) {
  EXPECT_EQ(HttpStatusForCode(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusForCode(StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusForCode(StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusForCode(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusForCode(StatusCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusForCode(StatusCode::kAborted), 409);
  EXPECT_EQ(HttpStatusForCode(StatusCode::kFailedPrecondition), 409);
  EXPECT_EQ(HttpStatusForCode(StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusForCode(StatusCode::kUnimplemented), 501);
  EXPECT_EQ(HttpStatusForCode(StatusCode::kDataLoss), 500);
  EXPECT_EQ(HttpStatusForCode(StatusCode::kIOError), 500);
  EXPECT_EQ(HttpStatusForCode(StatusCode::kInternal), 500);
}

TEST(HttpErrorTest, ErrorJsonEscapesAndRepairsText) {
  EXPECT_EQ(ErrorJson(404, "NotFound", "no \"table\"\n\x01\xff"),
            "{\"error\":{\"code\":404,\"status\":\"NotFound\",\"message\":"
            "\"no \\\"table\\\"\\n\\u0001\xef\xbf\xbd\"}}");
}

// ---- the connection loop ----

const std::string kHost = "Host: test\r\n";

std::string Get(std::string_view target, std::string_view extra = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\n" + kHost + std::string(extra) + "\r\n";
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK(
        router_.Add("GET", "/hello", [](const HttpRequest& req, HttpResponseWriter& w) {
          HttpHeaders h;
          h.Add("Content-Type", "text/plain");
          return w.Send(200, std::move(h),
                        "hello " + std::string(req.QueryParam("name").value_or("?")));
        }));
    MEDLAKE_ASSERT_OK(
        router_.Add("POST", "/echo", [](const HttpRequest& req, HttpResponseWriter& w) {
          return w.Send(200, {}, req.method + " " + req.path + " " + req.body);
        }));
    MEDLAKE_ASSERT_OK(
        router_.Add("GET", "/items/{id}", [](const HttpRequest& req, HttpResponseWriter& w) {
          return w.SendJson(200, "{\"id\":\"" + std::string(req.PathParam("id")) + "\"}");
        }));
    MEDLAKE_ASSERT_OK(
        router_.Add("GET", "/stream", [this](const HttpRequest& req, HttpResponseWriter& w) {
          size_t n = std::stoul(std::string(req.QueryParam("n").value_or("0")));
          MEDLAKE_RETURN_IF_ERROR(w.Begin(200, {}));
          for (size_t i = 0; i < n; ++i) {
            Status st = w.Write("0123456789");
            if (!st.ok()) {
              stream_write_error_ = st;
              return st;
            }
          }
          return w.Finish();
        }));
    MEDLAKE_ASSERT_OK(
        router_.Add("GET", "/fail", [](const HttpRequest& req, HttpResponseWriter& w) {
          std::string code(req.QueryParam("code").value_or(""));
          size_t before = std::stoul(std::string(req.QueryParam("before").value_or("0")));
          if (before > 0) {
            MEDLAKE_RETURN_IF_ERROR(w.Begin(200, {}));
            MEDLAKE_RETURN_IF_ERROR(w.Write(std::string(before, 'x')));
          }
          if (code == "notfound") {
            return NotFound("table raw.x does not exist");
          }
          if (code == "auth") {
            return Unauthenticated("token expired");
          }
          if (code == "denied") {
            return PermissionDenied("no grant on raw.x");
          }
          return Internal("manifest /lake/secret/path.avro is corrupt");
        }));
    MEDLAKE_ASSERT_OK(router_.Add(
        "GET", "/silent", [](const HttpRequest&, HttpResponseWriter&) { return Status::OK(); }));
  }

  Router router_;
  Status stream_write_error_;
};

TEST_F(HttpServerTest, ServesSeveralRequestsOnOneKeepAliveConnection) {
  TestConnection c(router_);
  c.Send(Get("/hello?name=ana%20b"));
  TestResponse r = c.ReadResponse();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello ana b");
  EXPECT_EQ(r.Header("content-type"), "text/plain");
  EXPECT_TRUE(r.HasHeader("date"));
  EXPECT_FALSE(r.HasHeader("connection"));
  c.Send("POST /echo HTTP/1.1\r\n" + kHost + "Content-Length: 4\r\n\r\nbody");
  r = c.ReadResponse();
  EXPECT_EQ(r.body, "POST /echo body");
  c.Send(Get("/items/a%2Fb"));
  r = c.ReadResponse();
  EXPECT_EQ(r.body, "{\"id\":\"a/b\"}");
  EXPECT_EQ(r.Header("content-type"), "application/json");
}

TEST_F(HttpServerTest, AnswersPipelinedRequestsInOrder) {
  TestConnection c(router_);
  c.Send(Get("/hello?name=1") + "POST /echo HTTP/1.1\r\n" + kHost +
         "Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n" + Get("/hello?name=3"));
  EXPECT_EQ(c.ReadResponse().body, "hello 1");
  EXPECT_EQ(c.ReadResponse().body, "POST /echo ab");
  EXPECT_EQ(c.ReadResponse().body, "hello 3");
}

TEST_F(HttpServerTest, StreamsInLargeChunksNotOnePerWrite) {
  TestConnection c(router_);
  c.Send(Get("/stream?n=20000"));  // 200,000 bytes in 20,000 writes
  TestResponse r = c.ReadResponse();
  ASSERT_TRUE(r.complete);
  EXPECT_TRUE(r.chunked);
  EXPECT_EQ(r.body.size(), 200000u);
  EXPECT_EQ(r.body.substr(0, 12), "012345678901");
  EXPECT_LE(r.chunk_sizes.size(), 4u);
  for (size_t i = 0; i + 1 < r.chunk_sizes.size(); ++i) {
    EXPECT_GE(r.chunk_sizes[i], 64u * 1024);
  }
  // The connection stays usable.
  c.Send(Get("/stream?n=3"));
  r = c.ReadResponse();
  EXPECT_EQ(r.body, "012345678901234567890123456789");
  EXPECT_THAT(r.chunk_sizes, ElementsAre(30u));
}

TEST_F(HttpServerTest, EmptyStreamedBodyIsJustTheLastChunk) {
  TestConnection c(router_);
  c.Send(Get("/stream?n=0"));
  TestResponse r = c.ReadResponse();
  ASSERT_TRUE(r.complete);
  EXPECT_TRUE(r.chunked);
  EXPECT_TRUE(r.body.empty());
  EXPECT_TRUE(r.chunk_sizes.empty());
}

TEST_F(HttpServerTest, HeadIsGetWithoutABody) {
  TestConnection c(router_);
  c.Send("HEAD /hello?name=x HTTP/1.1\r\n" + kHost + "\r\n");
  TestResponse r = c.ReadResponse(/*head=*/true);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-length"), "7");
  c.Send("HEAD /stream?n=100 HTTP/1.1\r\n" + kHost + "\r\n");
  r = c.ReadResponse(/*head=*/true);
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.HasHeader("transfer-encoding"));
  // Nothing else was written: the next response starts right away.
  c.Send(Get("/hello?name=y"));
  EXPECT_EQ(c.ReadResponse().body, "hello y");
}

TEST_F(HttpServerTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  TestConnection c(router_);
  c.Send(Get("/nope"));
  TestResponse r = c.ReadResponse();
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_THAT(r.body, HasSubstr("\"code\":404"));
  c.Send("DELETE /hello HTTP/1.1\r\n" + kHost + "\r\n");
  r = c.ReadResponse();
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("allow"), "GET, HEAD, OPTIONS");
  c.Send("OPTIONS /items/1 HTTP/1.1\r\n" + kHost + "\r\n");
  r = c.ReadResponse();
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.Header("allow"), "GET, HEAD, OPTIONS");
  c.Send("BREW /hello HTTP/1.1\r\n" + kHost + "\r\n");
  r = c.ReadResponse();
  EXPECT_EQ(r.status, 501);
  c.Send("OPTIONS * HTTP/1.1\r\n" + kHost + "\r\n");
  EXPECT_EQ(c.ReadResponse().status, 204);
  c.Send(Get("/a/../hello"));
  EXPECT_EQ(c.ReadResponse().status, 400);
  c.Send(Get("/hello?x=%zz"));
  EXPECT_EQ(c.ReadResponse().status, 400);
  // All of these keep the connection open.
  c.Send(Get("/hello?name=z"));
  EXPECT_EQ(c.ReadResponse().body, "hello z");
}

TEST_F(HttpServerTest, ClosesAfterConnectionCloseAndAfterHttp10) {
  {
    TestConnection c(router_);
    c.Send(Get("/hello", "Connection: close\r\n") + Get("/hello"));
    TestResponse r = c.ReadResponse();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.Header("connection"), "close");
    EXPECT_TRUE(c.AtEof());  // the pipelined second request is not answered
  }
  {
    TestConnection c(router_);
    c.Send("GET /hello HTTP/1.0\r\n\r\n");
    TestResponse r = c.ReadResponse();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.Header("connection"), "close");
    EXPECT_TRUE(c.AtEof());
  }
  {
    TestConnection c(router_);
    c.Send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    TestResponse r = c.ReadResponse();
    EXPECT_EQ(r.Header("connection"), "keep-alive");
    c.Send("GET /stream?n=2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    r = c.ReadResponse();  // no chunked coding for HTTP/1.0: ends with the connection
    EXPECT_FALSE(r.chunked);
    EXPECT_EQ(r.Header("connection"), "close");
    EXPECT_EQ(r.body, "01234567890123456789");
  }
}

TEST_F(HttpServerTest, HandlerErrorsBecomeJsonWithMappedStatus) {
  TestConnection c(router_);
  c.Send(Get("/fail?code=notfound"));
  TestResponse r = c.ReadResponse();
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body,
            "{\"error\":{\"code\":404,\"status\":\"NotFound\",\"message\":"
            "\"table raw.x does not exist\"}}");
  c.Send(Get("/fail?code=auth"));
  r = c.ReadResponse();
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.Header("www-authenticate"), HasSubstr("Bearer"));
  c.Send(Get("/fail?code=denied"));
  EXPECT_EQ(c.ReadResponse().status, 403);
  c.Send(Get("/fail"));
  r = c.ReadResponse();
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(r.body, HasSubstr("internal server error"));
  EXPECT_THAT(r.body, ::testing::Not(HasSubstr("secret")));
  // An error after Begin() whose bytes are still buffered is replaced by a clean error.
  c.Send(Get("/fail?code=denied&before=100"));
  r = c.ReadResponse();
  EXPECT_EQ(r.status, 403);
  EXPECT_THAT(r.body, ::testing::StartsWith("{\"error\""));
  // A handler that returns OK without responding is a 500, not a hang.
  c.Send(Get("/silent"));
  EXPECT_EQ(c.ReadResponse().status, 500);
}

TEST_F(HttpServerTest, ErrorAfterBytesWereSentTruncatesTheBodyAndCloses) {
  TestConnection c(router_);
  c.Send(Get("/fail?code=notfound&before=100000"));
  TestResponse r = c.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.chunked);
  EXPECT_FALSE(r.complete);  // no last chunk: the client knows the body is incomplete
  EXPECT_GE(r.body.size(), 64u * 1024);
  EXPECT_TRUE(c.AtEof());
}

TEST_F(HttpServerTest, MalformedRequestGetsJsonErrorAndClose) {
  TestConnection c(router_);
  c.Send("GET / HTTP/1.1\r\nHost : x\r\n\r\n");
  TestResponse r = c.ReadResponse();
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_THAT(r.body, HasSubstr("header name"));
  EXPECT_TRUE(c.AtEof());
}

TEST_F(HttpServerTest, OversizedBodyIs413BeforeTheBodyIsRead) {
  HttpServerOptions options;
  options.limits.max_body_bytes = 100;
  TestConnection c(router_, options);
  c.Send("POST /echo HTTP/1.1\r\n" + kHost + "Content-Length: 1000\r\n\r\n" +
         std::string(1000, 'b'));
  TestResponse r = c.ReadResponse();
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(c.AtEof());
}

TEST_F(HttpServerTest, RoutesCarryTheirOwnBodyLimits) {
  Router::RouteOptions upload;
  upload.max_body_bytes = 1000;
  MEDLAKE_ASSERT_OK(router_.Add(
      "POST", "/upload",
      [](const HttpRequest& req, HttpResponseWriter& w) {
        return w.Send(200, {}, std::to_string(req.body.size()));
      },
      upload));
  EXPECT_EQ(router_.max_route_body_bytes(), 1000u);
  HttpServerOptions options;
  options.limits.max_body_bytes = 100;
  {
    TestConnection c(router_, options);
    c.Send("POST /upload HTTP/1.1\r\n" + kHost + "Content-Length: 500\r\n\r\n" +
           std::string(500, 'u'));
    TestResponse r = c.ReadResponse();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "500");
    c.Send("POST /echo HTTP/1.1\r\n" + kHost + "Content-Length: 500\r\n\r\n" +
           std::string(500, 'e'));
    EXPECT_EQ(c.ReadResponse().status, 413);
    EXPECT_TRUE(c.AtEof());
  }
  {
    TestConnection c(router_, options);
    c.Send("POST /upload HTTP/1.1\r\n" + kHost + "Transfer-Encoding: chunked\r\n\r\n3e8\r\n" +
           std::string(1000, 'u') + "\r\n1\r\nx\r\n0\r\n\r\n");
    EXPECT_EQ(c.ReadResponse().status, 413);
  }
}

TEST_F(HttpServerTest, SendsContinueOnlyForRoutableRequests) {
  TestConnection c(router_);
  c.Send("POST /echo HTTP/1.1\r\n" + kHost + "Expect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  TestResponse interim = c.ReadResponse();
  EXPECT_EQ(interim.status, 100);
  c.Send("hi");
  EXPECT_EQ(c.ReadResponse().body, "POST /echo hi");
  c.Send("POST /missing HTTP/1.1\r\n" + kHost +
         "Expect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  TestResponse r = c.ReadResponse();
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(c.AtEof());
}

TEST_F(HttpServerTest, ProducerSeesAnErrorWhenTheClientGoesAway) {
  auto c = std::make_unique<TestConnection>(router_);
  c->Send(Get("/stream?n=100000000"));  // 1 GB: far more than the client will read
  c->CloseAndJoin();                    // returns only once the handler stopped
  EXPECT_THAT(stream_write_error_, StatusIs(StatusCode::kIOError, "writing the HTTP response"));
}

TEST_F(HttpServerTest, ReportsEachRequestToTheObserver) {
  struct Seen {
    std::string method, route;
    int status;
    double seconds;
    uint64_t bytes;
  };
  std::vector<Seen> seen;
  ManualClock clock;
  HttpServerOptions options;
  options.clock = &clock;
  options.on_request = [&](std::string_view method, std::string_view route, int status,
                           double seconds, uint64_t bytes) {
    seen.push_back({std::string(method), std::string(route), status, seconds, bytes});
  };
  {
    TestConnection c(router_, options);
    c.Send(Get("/items/42"));
    c.ReadResponse();
    c.Send(Get("/missing"));
    c.ReadResponse();
    c.Send("BREW /x HTTP/1.1\r\n" + kHost + "\r\n");
    c.ReadResponse();
    c.Send("GET / HTTP/1.1\r\n\r\n");  // no Host: parse error
    c.ReadResponse();
    EXPECT_TRUE(c.AtEof());
  }
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].route, "/items/{id}");
  EXPECT_EQ(seen[0].status, 200);
  EXPECT_EQ(seen[0].seconds, 0.0);  // the manual clock does not move
  EXPECT_GT(seen[0].bytes, 12u);
  EXPECT_EQ(seen[1].route, "");
  EXPECT_EQ(seen[1].status, 404);
  EXPECT_EQ(seen[2].method, "OTHER");
  EXPECT_EQ(seen[3].status, 400);
}

TEST_F(HttpServerTest, DateHeaderUsesTheGivenClock) {
  ManualClock clock(784111777000000);  // 1994-11-06 08:49:37 UTC
  HttpServerOptions options;
  options.clock = &clock;
  TestConnection c(router_, options);
  c.Send(Get("/hello"));
  EXPECT_EQ(c.ReadResponse().Header("date"), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(HttpShutdownTest, IdleConnectionsCloseAtOnceBusyOnesAfterTheirResponse) {
  HttpShutdownSignal signal;
  std::mutex mu;
  std::condition_variable cv;
  bool in_handler = false;
  bool release = false;
  Router router;
  MEDLAKE_ASSERT_OK(router.Add("GET", "/slow", [&](const HttpRequest&, HttpResponseWriter& w) {
    std::unique_lock<std::mutex> lock(mu);
    in_handler = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    return w.Send(200, {}, "done");
  }));
  HttpServerOptions options;
  options.shutdown = &signal;
  TestConnection idle(router, options);
  TestConnection busy(router, options);
  busy.Send(Get("/slow"));
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return in_handler; });
  }
  signal.RequestStop();
  idle.JoinServer();  // the idle connection's loop ends without any request
  EXPECT_TRUE(idle.AtEof());
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
    cv.notify_all();
  }
  TestResponse r = busy.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "done");
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(busy.AtEof());
  // A connection arriving after the stop closes without reading.
  TestConnection late(router, options);
  late.JoinServer();
  EXPECT_TRUE(late.AtEof());
}

TEST(HttpResponseWriterTest, RefusesHeaderInjectionAndBadStatus) {
  net::MemoryStreamPair pair = net::MakeMemoryStreamPair();
  HttpResponseWriter w(*pair.server, HttpResponseOptions{});
  HttpHeaders bad;
  bad.Add("X-Name", "a\r\nSet-Cookie: x=1");
  EXPECT_THAT(w.Send(200, bad, "x"), StatusIs(StatusCode::kInvalidArgument, "header"));
  EXPECT_THAT(w.Send(99, {}, "x"), StatusIs(StatusCode::kInvalidArgument, "status"));
  EXPECT_FALSE(w.started());
  EXPECT_THAT(w.Write("x"), StatusIs(StatusCode::kFailedPrecondition, "Begin"));
  HttpHeaders framing;
  framing.Add("Content-Length", "999");
  framing.Add("Transfer-Encoding", "gzip");
  MEDLAKE_ASSERT_OK(w.Send(200, framing, "ok"));
  EXPECT_THAT(w.Send(200, {}, "again"), StatusIs(StatusCode::kFailedPrecondition, "already"));
  pair.server->Shutdown();
  std::string got;
  char buf[256];
  while (true) {
    Result<size_t> n = pair.client->Read(buf, sizeof(buf));
    if (!n.ok() || *n == 0) {
      break;
    }
    got.append(buf, *n);
  }
  EXPECT_THAT(got, HasSubstr("Content-Length: 2\r\n"));
  EXPECT_THAT(got, ::testing::Not(HasSubstr("999")));
  EXPECT_THAT(got, ::testing::Not(HasSubstr("gzip")));
}

}  // namespace
}  // namespace medlake::server::http
