// Tests of `medlake serve`'s HTTP side through a real Server on a temporary lake: a tiny HTTP/1.1
// client over TCP checks health, readiness, metrics, authentication, the REST API (SQL in three
// formats, catalog, audit, ingestion) and that the security layer applies to every request.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/crypto.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "engine/testing/session_rows.h"
#include "security/access_controller.h"
#include "server/rest/openapi.h"
#include "server/server.h"
#include "storage/lake.h"

namespace medlake::server {
namespace {

struct Response {
  int status = 0;
  std::string headers;
  std::string body;
};

// A TCP connection to 127.0.0.1:`port`; -1 when it fails.
int ConnectLocal(int port) {
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

// One request on a fresh connection (Connection: close); chunked bodies are decoded.
Response Http(int port, const std::string& method, const std::string& target, const std::string& auth = "",
              const std::string& body = "", const std::string& content_type = "", const std::string& extra = "") {
  Response r;
  int fd = ConnectLocal(port);
  if (fd < 0) return r;
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
  if (!auth.empty()) req += "Authorization: " + auth + "\r\n";
  if (!content_type.empty()) req += "Content-Type: " + content_type + "\r\n";
  req += extra;
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string raw;
  char buf[65536];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) raw.append(buf, static_cast<size_t>(n));
  ::close(fd);
  size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos || raw.size() < 12) return r;
  r.status = std::stoi(raw.substr(9, 3));
  r.headers = raw.substr(0, end);
  std::string rest = raw.substr(end + 4);
  std::string lower = r.headers;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("transfer-encoding: chunked") != std::string::npos) {
    size_t pos = 0;
    while (pos < rest.size()) {
      size_t eol = rest.find("\r\n", pos);
      if (eol == std::string::npos) break;
      size_t len = std::stoul(rest.substr(pos, eol - pos), nullptr, 16);
      if (len == 0) break;
      r.body += rest.substr(eol + 2, len);
      pos = eol + 2 + len + 2;
    }
  } else {
    r.body = rest;
  }
  return r;
}

std::string Basic(const std::string& user, const std::string& password) {
  return "Basic " + Base64Encode(user + ":" + password);
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, storage::Lake::Create(dir_.Join("lake")));
    ASSERT_THAT(security::InitializeSecurity(lake_->catalog_path(), "admin"), IsOk());
    ServerOptions options;
    options.pg_port = 0;
    options.http_port = 0;
    options.session.threads = 1;
    options.version = "test";
    MEDLAKE_ASSERT_OK_AND_ASSIGN(server_, Server::Start(*lake_, options));
    // Set-up as the owner, in a session of its own.
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto auth, Authenticator::Open(*lake_, options.session));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto admin, auth->OpenSession("admin", "", "test setup"));
    for (const char* sql : {
             "CREATE USER alice PASSWORD 'alice-secret-1'",
             "CREATE USER bob PASSWORD 'bob-secret-1'",
             "CREATE USER ops PASSWORD 'ops-secret-1'",
             "ALTER USER ops ADMIN",
             "CREATE USER dpo PASSWORD 'dpo-secret-1'",
             "ALTER USER dpo AUDITOR",
             "CREATE SCHEMA s",
             "CREATE TABLE s.t AS SELECT range AS id, 'name' || range AS name FROM range(100)",
             "CREATE TABLE s.hidden AS SELECT 1 AS a",
             "GRANT USAGE ON SCHEMA s TO alice, bob",
             "GRANT SELECT ON TABLE s.t TO alice, bob",
             "CREATE POLICY hide_names ON TABLE s.t MASK COLUMN name USING REDACT TO bob",
         }) {
      engine::testing::ExecOk(*admin, sql);
    }
    admin_ = std::move(admin);
    auth_ = std::move(auth);
  }

  int port() const { return server_->http_port(); }

  TempDir dir_;
  std::unique_ptr<storage::Lake> lake_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<engine::LakeSession> admin_;
};

TEST_F(ServerTest, HealthReadyAndMetrics) {
  EXPECT_EQ(Http(port(), "GET", "/health").status, 200);
  Response ready = Http(port(), "GET", "/ready");
  EXPECT_EQ(ready.status, 200);
  EXPECT_NE(ready.body.find("\"ready\""), std::string::npos);
  EXPECT_EQ(Http(port(), "GET", "/nope").status, 404);
  EXPECT_EQ(Http(port(), "DELETE", "/health").status, 405);
  Response m = Http(port(), "GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.headers.find("text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(m.body.find("medlake_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 1"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("route=\"unmatched\",status=\"404\""), std::string::npos);
  EXPECT_NE(m.body.find("medlake_pgwire_sessions_active 0"), std::string::npos);
  EXPECT_NE(m.body.find("medlake_http_request_duration_seconds_bucket{route=\"/health\",le=\"+Inf\"} 1"),
            std::string::npos);
  server_->Stop();
  EXPECT_EQ(Http(port(), "GET", "/health").status, 0);  // no longer listening
}

TEST_F(ServerTest, SqlInEveryFormatWithBasicAndTokenAuth) {
  const std::string alice = Basic("alice", "alice-secret-1");
  Response json = Http(port(), "POST", "/api/v1/sql", alice, "{\"sql\": \"SELECT id, name FROM s.t WHERE id < 3 ORDER BY id\"}",
                       "application/json");
  ASSERT_EQ(json.status, 200) << json.body;
  auto j = nlohmann::json::parse(json.body);
  EXPECT_EQ(j["row_count"], 3);
  EXPECT_EQ(j["rows"][2][1], "name2");
  EXPECT_EQ(j["columns"][0]["type"], "BIGINT");
  Response nd = Http(port(), "POST", "/api/v1/sql?format=ndjson", alice, "SELECT id FROM s.t WHERE id IN (4, 5) ORDER BY id",
                     "text/plain");
  EXPECT_EQ(nd.body, "{\"id\":4}\n{\"id\":5}\n");
  Response csv = Http(port(), "POST", "/api/v1/sql", alice, "SELECT id, name FROM s.t WHERE id = 6", "text/plain",
                      "Accept: text/csv\r\n");
  EXPECT_EQ(csv.body, "id,name\r\n6,name6\r\n");
  // A token made in SQL works as a bearer credential; a made-up one does not.
  std::string token;
  ASSERT_THAT(admin_->Run("CREATE TOKEN FOR alice", [&](size_t, engine::StatementOutcome& o) -> Status {
    if (!o.rows) return Status::OK();
    MEDLAKE_ASSIGN_OR_RETURN(auto rows, o.rows->FetchAll());
    token = rows[0][1].ToText();
    return Status::OK();
  }),
              IsOk());
  ASSERT_EQ(token.rfind("mlk_", 0), 0u);
  Response with_token = Http(port(), "POST", "/api/v1/sql", "Bearer " + token, "SELECT count(*) AS n FROM s.t", "text/plain");
  EXPECT_EQ(with_token.status, 200);
  EXPECT_NE(with_token.body.find("[[100]]"), std::string::npos) << with_token.body;
  EXPECT_EQ(Http(port(), "POST", "/api/v1/sql", "Bearer mlk_nope_nope", "SELECT 1", "text/plain").status, 401);
  EXPECT_EQ(Http(port(), "POST", "/api/v1/sql", Basic("alice", "wrong-one"), "SELECT 1", "text/plain").status, 401);
  EXPECT_EQ(Http(port(), "POST", "/api/v1/sql", "", "SELECT 1", "text/plain").status, 401);
  // A browser's cross-site POST (Origin of another host) is refused; the same host is fine.
  EXPECT_EQ(Http(port(), "POST", "/api/v1/sql", alice, "SELECT 1", "text/plain", "Origin: https://evil.example\r\n").status,
            403);
  EXPECT_EQ(Http(port(), "POST", "/api/v1/sql", alice, "SELECT 1", "text/plain", "Origin: http://localhost\r\n").status,
            200);
  Response challenge = Http(port(), "GET", "/api/v1/namespaces");
  EXPECT_NE(challenge.headers.find("WWW-Authenticate: Bearer"), std::string::npos);
  EXPECT_EQ(challenge.headers.find("Basic"), std::string::npos);
  // Errors: bad SQL 400, unreadable table 403, with the JSON error shape.
  Response bad = Http(port(), "POST", "/api/v1/sql", alice, "SELEC 1", "text/plain");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("\"error\""), std::string::npos);
  EXPECT_EQ(Http(port(), "POST", "/api/v1/sql", alice, "SELECT * FROM s.hidden", "text/plain").status, 403);
  EXPECT_EQ(Http(port(), "POST", "/api/v1/sql", alice, "SELECT * FROM read_csv('/etc/passwd')", "text/plain").status / 100, 4);
}

TEST_F(ServerTest, TooManyFailedLoginsFromOneAddressGet429) {
  ServerOptions options;
  options.http_port = 0;
  options.session.threads = 1;
  options.max_failed_logins = 2;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto strict, Server::Start(*lake_, options));
  const std::string alice = Basic("alice", "alice-secret-1");
  EXPECT_EQ(Http(strict->http_port(), "POST", "/api/v1/sql", alice, "SELECT 1", "text/plain").status, 200);
  EXPECT_EQ(Http(strict->http_port(), "POST", "/api/v1/sql", Basic("alice", "guess-1"), "SELECT 1", "text/plain").status, 401);
  EXPECT_EQ(Http(strict->http_port(), "GET", "/fhir/Patient/1", "Bearer mlk_nope_nope").status, 401);
  Response refused = Http(strict->http_port(), "POST", "/api/v1/sql", alice, "SELECT 1", "text/plain");
  EXPECT_EQ(refused.status, 429);
  EXPECT_NE(refused.body.find("too many failed logins"), std::string::npos) << refused.body;
  // The other server (its own throttle) still lets alice in.
  EXPECT_EQ(Http(port(), "POST", "/api/v1/sql", alice, "SELECT 1", "text/plain").status, 200);
  strict->Stop();
}

TEST_F(ServerTest, UploadsWithoutValidCredentialsAreRefusedBeforeTheirBody) {
  // Headers announcing a 50 MB upload, then nothing: the answer must come without the body.
  for (const std::string auth : {"", "Authorization: Bearer mlk_0123456789abcdef_nope\r\n"}) {
    int fd = ConnectLocal(port());
    ASSERT_GE(fd, 0);
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::string req = "POST /api/v1/ingest/fhir HTTP/1.1\r\nHost: localhost\r\n" + auth +
                      "Content-Type: application/fhir+json\r\nContent-Length: 50000000\r\n\r\n";
    (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ::close(fd);
    ASSERT_GT(n, 12) << "no answer before the body (auth: " << auth << ")";
    EXPECT_EQ(std::string(buf, 12), "HTTP/1.1 401") << std::string(buf, static_cast<size_t>(n));
  }
}

TEST_F(ServerTest, PoliciesAndPurposeApplyPerRequest) {
  Response bob = Http(port(), "POST", "/api/v1/sql?format=ndjson", Basic("bob", "bob-secret-1"),
                      "SELECT name FROM s.t WHERE id = 1", "text/plain");
  ASSERT_EQ(bob.status, 200);
  EXPECT_EQ(bob.body.find("name1"), std::string::npos) << bob.body;
  Response alice = Http(port(), "POST", "/api/v1/sql?format=ndjson", Basic("alice", "alice-secret-1"),
                        "SELECT name FROM s.t WHERE id = 1", "text/plain");
  EXPECT_EQ(alice.body, "{\"name\":\"name1\"}\n");
  // An unknown purpose is refused; a known one is recorded in the audit.
  EXPECT_EQ(Http(port(), "GET", "/api/v1/namespaces", Basic("alice", "alice-secret-1"), "", "",
                 "X-Medlake-Purpose: fun\r\n").status / 100, 4);
  EXPECT_EQ(Http(port(), "GET", "/api/v1/namespaces", Basic("alice", "alice-secret-1"), "", "",
                 "X-Medlake-Purpose: research\r\n").status, 200);
}

TEST_F(ServerTest, CatalogAndAuditEndpointsShowOnlyWhatTheUserMaySee) {
  const std::string alice = Basic("alice", "alice-secret-1");
  Response ns = Http(port(), "GET", "/api/v1/namespaces", alice);
  ASSERT_EQ(ns.status, 200);
  EXPECT_EQ(nlohmann::json::parse(ns.body)["namespaces"].size(), 1u);
  Response tables = Http(port(), "GET", "/api/v1/namespaces/s/tables", alice);
  auto t = nlohmann::json::parse(tables.body)["tables"];
  ASSERT_EQ(t.size(), 1u) << tables.body;  // s.hidden is not listed
  EXPECT_EQ(t[0]["table_name"], "t");
  Response one = Http(port(), "GET", "/api/v1/tables/s/t", alice);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(nlohmann::json::parse(one.body)["columns"].size(), 2u);
  EXPECT_EQ(Http(port(), "GET", "/api/v1/tables/s/hidden", alice).status, 404);
  Response snaps = Http(port(), "GET", "/api/v1/tables/s/t/snapshots", alice);
  EXPECT_EQ(snaps.status, 200) << snaps.body;
  EXPECT_EQ(nlohmann::json::parse(snaps.body)["snapshots"].size(), 1u);
  // The audit is for auditors.
  EXPECT_EQ(Http(port(), "GET", "/api/v1/audit", alice).status, 403);
  Response audit = Http(port(), "GET", "/api/v1/audit?limit=5000", Basic("dpo", "dpo-secret-1"));
  ASSERT_EQ(audit.status, 200) << audit.body;
  auto records = nlohmann::json::parse(audit.body)["records"];
  bool saw_http_client = false;
  for (const auto& rec : records) {
    if (rec["client"].get<std::string>().rfind("http 127.0.0.1:", 0) == 0) saw_http_client = true;
  }
  EXPECT_TRUE(saw_http_client);
  EXPECT_EQ(Http(port(), "GET", "/api/v1/audit?limit=abc", Basic("dpo", "dpo-secret-1")).status, 400);
}

TEST_F(ServerTest, IngestionNeedsTheRightAndLandsInRaw) {
  const std::string bundle =
      R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"p1","gender":"female"}},)"
      R"({"resource":{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"}}}]})";
  EXPECT_EQ(Http(port(), "POST", "/api/v1/ingest/fhir", Basic("alice", "alice-secret-1"), bundle, "application/fhir+json").status,
            403);
  Response ok = Http(port(), "POST", "/api/v1/ingest/fhir", Basic("ops", "ops-secret-1"), bundle, "application/fhir+json");
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto j = nlohmann::json::parse(ok.body);
  EXPECT_EQ(j["accepted"], 2);
  EXPECT_EQ(j["quarantined"], 0);
  EXPECT_EQ(engine::testing::Rows(*admin_, "SELECT count(*) FROM raw.fhir_resources"), "2");
  // Garbage is quarantined, not lost, and the call still succeeds.
  Response junk = Http(port(), "POST", "/api/v1/ingest/fhir", Basic("ops", "ops-secret-1"), "{\"not fhir\n", "application/fhir+json");
  ASSERT_EQ(junk.status, 200) << junk.body;
  EXPECT_EQ(nlohmann::json::parse(junk.body)["quarantined"], 1);
  EXPECT_EQ(Http(port(), "POST", "/api/v1/ingest/dicom", Basic("ops", "ops-secret-1"), "x").status, 404);
}

TEST_F(ServerTest, HostileBodiesAndLeftoversDoNotReachOtherRequests) {
  const std::string alice = Basic("alice", "alice-secret-1");
  // Deep nesting is refused before any JSON library sees it (it would recurse out of stack).
  std::string deep = "{\"sql\":" + std::string(200000, '[') + std::string(200000, ']') + "}";
  EXPECT_EQ(Http(port(), "POST", "/api/v1/sql", alice, deep, "application/json").status, 400);
  std::string table = R"({"name":"deep","schema":{"type":"struct","schema-id":0,"fields":)" + std::string(100000, '[') +
                      std::string(100000, ']') + "}}";
  EXPECT_EQ(Http(port(), "POST", "/iceberg/v1/namespaces/s/tables", alice, table, "application/json").status / 100, 4);
  EXPECT_EQ(Http(port(), "GET", "/health").status, 200);  // still alive
  // A temporary table made by one request is not there for the next one (the session that
  // holds it is not pooled).
  EXPECT_EQ(Http(port(), "POST", "/api/v1/sql", alice, "CREATE TEMP TABLE leftover AS SELECT 42 AS x", "text/plain").status,
            200);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(Http(port(), "POST", "/api/v1/sql", alice, "SELECT * FROM leftover", "text/plain").status, 200);
  }
}

TEST_F(ServerTest, OpenApiDescribesEveryRestRoute) {
  Response doc = Http(port(), "GET", "/api/v1/openapi.json");
  ASSERT_EQ(doc.status, 200);
  auto j = nlohmann::json::parse(doc.body);
  EXPECT_EQ(j["openapi"], "3.0.3");
  const std::string ops = Basic("ops", "ops-secret-1");
  for (auto it = j["paths"].begin(); it != j["paths"].end(); ++it) {
    std::string path = it.key();
    for (auto [from, to] : {std::pair<std::string, std::string>{"{ns}", "s"}, {"{table}", "t"}, {"{kind}", "hl7"}}) {
      size_t at = path.find(from);
      if (at != std::string::npos) path.replace(at, from.size(), to);
    }
    for (auto m = it.value().begin(); m != it.value().end(); ++m) {
      std::string method = m.key();
      for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      Response r = Http(port(), method, path, ops, method == "POST" ? "SELECT 1" : "", "text/plain");
      EXPECT_NE(r.status, 404) << method << " " << path << " " << r.body;
      EXPECT_NE(r.status, 405) << method << " " << path;
    }
  }
}

}  // namespace
}  // namespace medlake::server
