// Tests of the Iceberg REST catalog routes: a temporary lake with users, grants and a mask
// policy; requests go through the router and the HTTP connection loop over in-memory streams
// (and, when node and iceberg-js are installed, over TCP from the npm client).
#include "server/iceberg_rest/iceberg_rest.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/crypto.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "engine/testing/session_rows.h"
#include "security/access_controller.h"
#include "server/http/http_test_client_internal.h"
#include "server/iceberg_rest/table_update_internal.h"
#include "server/net/tcp.h"
#include "storage/lake.h"

namespace medlake::server::iceberg_rest {
namespace {

using http::testing::TestConnection;
using http::testing::TestResponse;
using nlohmann::json;

constexpr const char* kAlicePassword = "alice-secret-1";

class IcebergRestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, storage::Lake::Create(dir_.Join("lake")));
    ASSERT_THAT(security::InitializeSecurity(lake_->catalog_path(), "admin"), IsOk());
    engine::LakeSessionOptions so;
    so.threads = 1;
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auth_, Authenticator::Open(*lake_, so));
    pool_ = std::make_unique<SessionPool>(*auth_);
    MEDLAKE_ASSERT_OK_AND_ASSIGN(admin_, auth_->OpenSession("admin", "", "test setup"));
    auto& a = *admin_;
    engine::testing::ExecOk(a, std::string("CREATE USER alice PASSWORD '") + kAlicePassword + "'");
    engine::testing::ExecOk(a, "CREATE USER bob PASSWORD 'bob-secret-1'");
    engine::testing::ExecOk(a, "CREATE SCHEMA s");
    engine::testing::ExecOk(a, "CREATE SCHEMA scratch");
    engine::testing::ExecOk(a, "CREATE SCHEMA hidden");
    engine::testing::ExecOk(
        a, "CREATE TABLE s.t AS SELECT range AS id, 'name' || range AS name FROM range(10)");
    engine::testing::ExecOk(a, "INSERT INTO s.t SELECT range + 10, 'more' FROM range(5)");
    engine::testing::ExecOk(a, "CREATE TABLE s.secret AS SELECT 1 AS a");
    engine::testing::ExecOk(a, "CREATE TABLE s.r AS SELECT 1 AS a");
    engine::testing::ExecOk(a, "GRANT USAGE ON SCHEMA s TO alice, bob");
    engine::testing::ExecOk(a, "GRANT SELECT ON TABLE s.t TO alice, bob");
    engine::testing::ExecOk(a, "GRANT SELECT ON TABLE s.r TO alice");
    engine::testing::ExecOk(a, "GRANT OWNERSHIP ON SCHEMA scratch TO alice");
    engine::testing::ExecOk(
        a, "CREATE POLICY hide_names ON TABLE s.t MASK COLUMN name USING REDACT TO bob");
    admin_token_ = Token("admin");
    alice_token_ = Token("alice");
    bob_token_ = Token("bob");
    context_.auth = auth_.get();
    context_.sessions = pool_.get();
    ASSERT_THAT(RegisterIcebergRestRoutes(router_, context_), IsOk());
  }

  // A new token of `user` (the second column of CREATE TOKEN's row).
  std::string Token(const std::string& user) {
    std::string token;
    Status st =
        admin_->Run("CREATE TOKEN FOR " + user, [&](size_t, engine::StatementOutcome& o) -> Status {
          if (o.rows == nullptr)
            return Status::OK();
          MEDLAKE_ASSIGN_OR_RETURN(auto rows, o.rows->FetchAll());
          if (!rows.empty())
            token = rows[0][1].ToText();
          return Status::OK();
        });
    EXPECT_THAT(st, IsOk());
    return token;
  }

  TestResponse Request(const std::string& method, const std::string& path, const std::string& token,
                       const std::string& body = "",
                       const std::string& content_type = "application/json") {
    TestConnection conn(router_);
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n";
    if (!token.empty())
      req += "Authorization: Bearer " + token + "\r\n";
    if (!body.empty())
      req += "Content-Type: " + content_type + "\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    conn.Send(req);
    return conn.ReadResponse(method == "HEAD");
  }
  static json Body(const TestResponse& r) { return json::parse(r.body, nullptr, false); }
  static std::string ErrorType(const TestResponse& r) {
    json j = Body(r);
    if (!j.is_object() || !j.contains("error") || !j["error"].is_object())
      return "(no error body) " + r.body;
    EXPECT_EQ(j["error"]["code"], r.status);
    return j["error"]["type"].get<std::string>();
  }

  json LoadMetadata(const std::string& table, const std::string& token) {
    TestResponse r = Request("GET", "/iceberg/v1/namespaces/s/tables/" + table, token);
    EXPECT_EQ(r.status, 200) << r.body;
    return Body(r)["metadata"];
  }
  TestResponse Commit(const std::string& table, const std::string& token, const json& requirements,
                      const json& updates, const std::string& ns = "s") {
    json body = {{"requirements", requirements}, {"updates", updates}};
    return Request("POST", "/iceberg/v1/namespaces/" + ns + "/tables/" + table, token, body.dump());
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
  std::unique_ptr<SessionPool> pool_;
  std::unique_ptr<engine::LakeSession> admin_;
  std::string admin_token_, alice_token_, bob_token_;
  http::Router router_;
  IcebergRestContext context_;
};

TEST_F(IcebergRestTest, ConfigNeedsAToken) {
  TestResponse r = Request("GET", "/iceberg/v1/config", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorType(r), "NotAuthorizedException");
  r = Request("GET", "/iceberg/v1/config", "mlk_bogus_token");
  EXPECT_EQ(r.status, 401);
  r = Request("GET", "/iceberg/v1/config", alice_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  json j = Body(r);
  EXPECT_TRUE(j["defaults"].is_object());
  EXPECT_TRUE(j["overrides"].is_object());
  EXPECT_FALSE(j["endpoints"].empty());
}

TEST_F(IcebergRestTest, NamespacesFollowUsage) {
  TestResponse r = Request("GET", "/iceberg/v1/namespaces", alice_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["namespaces"], json::parse(R"([["s"],["scratch"]])"));
  r = Request("GET", "/iceberg/v1/namespaces", bob_token_);
  EXPECT_EQ(Body(r)["namespaces"], json::parse(R"([["s"]])"));
  // Paging.
  r = Request("GET", "/iceberg/v1/namespaces?pageSize=1", alice_token_);
  EXPECT_EQ(Body(r)["namespaces"], json::parse(R"([["s"]])"));
  ASSERT_EQ(Body(r)["next-page-token"], "s");
  r = Request("GET", "/iceberg/v1/namespaces?pageSize=1&pageToken=s", alice_token_);
  EXPECT_EQ(Body(r)["namespaces"], json::parse(R"([["scratch"]])"));
  EXPECT_FALSE(Body(r).contains("next-page-token"));

  r = Request("GET", "/iceberg/v1/namespaces/s", alice_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["namespace"], json::parse(R"(["s"])"));
  EXPECT_FALSE(Body(r)["properties"].contains("exists"));
  EXPECT_EQ(Request("HEAD", "/iceberg/v1/namespaces/s", alice_token_).status, 204);
  // Missing and not usable answer alike.
  r = Request("GET", "/iceberg/v1/namespaces/hidden", alice_token_);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorType(r), "NoSuchNamespaceException");
  EXPECT_EQ(Request("HEAD", "/iceberg/v1/namespaces/nope", alice_token_).status, 404);
  r = Request("GET", "/iceberg/v1/namespaces/s%1Fdeeper", alice_token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("multi-level"), std::string::npos);
}

TEST_F(IcebergRestTest, CreateAndDropNamespace) {
  const std::string body = R"({"namespace": ["lab"], "properties": {"owner": "team"}})";
  TestResponse r = Request("POST", "/iceberg/v1/namespaces", alice_token_, body);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ErrorType(r), "ForbiddenException");
  r = Request("POST", "/iceberg/v1/namespaces", admin_token_, body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["properties"]["owner"], "team");
  r = Request("POST", "/iceberg/v1/namespaces", admin_token_, body);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(ErrorType(r), "AlreadyExistsException");
  r = Request("POST", "/iceberg/v1/namespaces", admin_token_, R"({"namespace": ["a", "b"]})");
  EXPECT_EQ(r.status, 400);
  r = Request("GET", "/iceberg/v1/namespaces/lab", admin_token_);
  EXPECT_EQ(Body(r)["properties"]["owner"], "team");
  r = Request("POST", "/iceberg/v1/namespaces/lab/properties", admin_token_,
              R"({"updates": {"x": "y"}})");
  EXPECT_EQ(r.status, 406);
  EXPECT_EQ(Request("DELETE", "/iceberg/v1/namespaces/lab", alice_token_).status, 403);
  EXPECT_EQ(Request("DELETE", "/iceberg/v1/namespaces/lab", admin_token_).status, 204);
  EXPECT_EQ(Request("HEAD", "/iceberg/v1/namespaces/lab", admin_token_).status, 404);
  r = Request("DELETE", "/iceberg/v1/namespaces/s", admin_token_);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(ErrorType(r), "NamespaceNotEmptyException");
}

TEST_F(IcebergRestTest, ListAndLoadTables) {
  TestResponse r = Request("GET", "/iceberg/v1/namespaces/s/tables", alice_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["identifiers"],
            json::parse(R"([{"namespace":["s"],"name":"r"},{"namespace":["s"],"name":"t"}])"));

  r = Request("GET", "/iceberg/v1/namespaces/s/tables/t", alice_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  json j = Body(r);
  const std::string location = j["metadata-location"];
  std::ifstream in(location);
  std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(j["metadata"], json::parse(file));  // the file as storage wrote it
  EXPECT_NE(r.body.find(file.substr(0, file.size() - 1)), std::string::npos);
  EXPECT_EQ(j["metadata"]["snapshots"].size(), 2u);
  EXPECT_TRUE(j["config"].is_object());
  EXPECT_EQ(Request("HEAD", "/iceberg/v1/namespaces/s/tables/t", alice_token_).status, 204);

  // bob reads s.t through a mask: its files would bypass it.
  r = Request("GET", "/iceberg/v1/namespaces/s/tables/t", bob_token_);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("column mask"), std::string::npos) << r.body;
  // No SELECT: refused before existence is told.
  r = Request("GET", "/iceberg/v1/namespaces/s/tables/secret", alice_token_);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Request("GET", "/iceberg/v1/namespaces/s/tables/nope", alice_token_).status, 403);
  r = Request("GET", "/iceberg/v1/namespaces/s/tables/nope", admin_token_);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorType(r), "NoSuchTableException");
  r = Request("GET", "/iceberg/v1/namespaces/nope/tables/t", admin_token_);
  EXPECT_EQ(ErrorType(r), "NoSuchNamespaceException");

  // A revoke reaches pooled sessions at their next request.
  engine::testing::ExecOk(*admin_, "REVOKE SELECT ON TABLE s.t FROM alice");
  EXPECT_EQ(Request("GET", "/iceberg/v1/namespaces/s/tables/t", alice_token_).status, 403);

  std::string audit = AuditText();
  EXPECT_NE(audit.find("ICEBERG REST load table"), std::string::npos);
  EXPECT_NE(audit.find("iceberg-rest"), std::string::npos);
}

TEST_F(IcebergRestTest, CreateTableInOwnNamespaceThenWriteWithSql) {
  const std::string body = R"({
    "name": "notes",
    "schema": {"type": "struct", "schema-id": 0, "fields": [
      {"id": 1, "name": "id", "type": "long", "required": true},
      {"id": 2, "name": "note", "type": "string", "required": false}]},
    "partition-spec": {"spec-id": 0, "fields": [{"source-id": 1, "name": "id_bucket", "transform": "bucket[4]"}]},
    "write-order": {"order-id": 1, "fields": [
      {"source-id": 1, "transform": "identity", "direction": "desc", "null-order": "nulls-last"}]},
    "properties": {"owner": "alice"}})";
  EXPECT_EQ(Request("POST", "/iceberg/v1/namespaces/scratch/tables", bob_token_, body).status, 403);
  TestResponse r = Request("POST", "/iceberg/v1/namespaces/scratch/tables", alice_token_, body);
  ASSERT_EQ(r.status, 200) << r.body;
  json m = Body(r)["metadata"];
  EXPECT_EQ(m["properties"]["owner"], "alice");
  EXPECT_EQ(m["partition-specs"][0]["fields"][0]["field-id"], 1000);
  EXPECT_EQ(m["partition-specs"][0]["fields"][0]["transform"], "bucket[4]");
  EXPECT_EQ(m["default-sort-order-id"], 1);
  EXPECT_EQ(Request("POST", "/iceberg/v1/namespaces/scratch/tables", alice_token_, body).status,
            409);
  r = Request("POST", "/iceberg/v1/namespaces/scratch/tables", alice_token_,
              R"({"name": "x", "stage-create": true, "schema": {"type": "struct", "fields": []}})");
  EXPECT_EQ(r.status, 406);

  // The creator owns the table: she may commit to it and write it with SQL.
  r = Commit("notes", alice_token_, json::array(),
             json::parse(R"([{"action": "set-properties", "updates": {"k": "v"}}])"), "scratch");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["metadata"]["properties"]["k"], "v");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto alice, auth_->OpenSession("alice", "", "test"));
  engine::testing::ExecOk(*alice, "INSERT INTO scratch.notes VALUES (1, 'a'), (2, NULL)");
  EXPECT_EQ(engine::testing::Rows(*alice, "SELECT count(*), max(id) FROM scratch.notes"), "2|2");
}

TEST_F(IcebergRestTest, CommitRequirementsAndSqlSeesTheResult) {
  json m = LoadMetadata("t", admin_token_);
  const int64_t current = m["current-snapshot-id"];
  const int64_t first = m["snapshots"][0]["snapshot-id"] == current
                            ? m["snapshots"][1]["snapshot-id"].get<int64_t>()
                            : m["snapshots"][0]["snapshot-id"].get<int64_t>();
  const std::string uuid = m["table-uuid"];

  // alice may read but not change the table.
  TestResponse r = Commit("t", alice_token_, json::array(),
                          json::parse(R"([{"action": "set-properties", "updates": {"k": "v"}}])"));
  EXPECT_EQ(r.status, 403);

  // Roll main back to the first snapshot and tag the second.
  json requirements = {
      {{"type", "assert-table-uuid"}, {"uuid", uuid}},
      {{"type", "assert-ref-snapshot-id"}, {"ref", "main"}, {"snapshot-id", current}},
      {{"type", "assert-current-schema-id"}, {"current-schema-id", 0}}};
  json updates = {{{"action", "set-snapshot-ref"},
                   {"ref-name", "main"},
                   {"type", "branch"},
                   {"snapshot-id", first}},
                  {{"action", "set-snapshot-ref"},
                   {"ref-name", "before"},
                   {"type", "tag"},
                   {"snapshot-id", current}},
                  {{"action", "set-properties"}, {"updates", {{"comment", "rolled back"}}}}};
  r = Commit("t", admin_token_, requirements, updates);
  ASSERT_EQ(r.status, 200) << r.body;
  json after = Body(r)["metadata"];
  EXPECT_EQ(after["current-snapshot-id"], first);
  EXPECT_EQ(after["refs"]["before"]["type"], "tag");
  EXPECT_EQ(after["metadata-log"].size(), m["metadata-log"].size() + 1);
  EXPECT_NE(Body(r)["metadata-location"], m["metadata-location"]);
  EXPECT_EQ(engine::testing::Rows(*admin_, "SELECT count(*) FROM s.t"), "10");

  // The same requirements again: main moved, so the commit fails with 409.
  r = Commit("t", admin_token_, requirements, updates);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(ErrorType(r), "CommitFailedException");
  EXPECT_NE(r.body.find("assert-ref-snapshot-id"), std::string::npos);
  r = Commit(
      "t", admin_token_,
      json::parse(
          R"([{"type": "assert-table-uuid", "uuid": "00000000-0000-4000-8000-000000000000"}])"),
      json::array());
  EXPECT_EQ(r.status, 409);
  r = Commit(
      "t", admin_token_,
      json::parse(R"([{"type": "assert-last-assigned-field-id", "last-assigned-field-id": 99}])"),
      json::array());
  EXPECT_EQ(r.status, 409);
  r = Commit(
      "t", admin_token_,
      json::parse(R"([{"type": "assert-ref-snapshot-id", "ref": "nope", "snapshot-id": null}])"),
      json::array());
  EXPECT_EQ(r.status, 200) << r.body;

  // Unsupported updates are named.
  r = Commit(
      "t", admin_token_, json::array(),
      json::parse(
          R"([{"action": "set-statistics", "snapshot-id": 1}, {"action": "add-view-version"}])"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("set-statistics, add-view-version"), std::string::npos) << r.body;
  r = Commit("t", admin_token_, json::array(),
             json::parse(R"([{"action": "set-location", "location": "/elsewhere"}])"));
  EXPECT_EQ(r.status, 400);

  // add-snapshot: a new snapshot reusing the first one's manifest list, then made current.
  json latest = LoadMetadata("t", admin_token_);
  json snapshot;
  for (const auto& s : latest["snapshots"]) {
    if (s["snapshot-id"] == first)
      snapshot = s;
  }
  snapshot["snapshot-id"] = 4242;
  snapshot["parent-snapshot-id"] = first;
  snapshot["sequence-number"] = latest["last-sequence-number"].get<int64_t>() + 1;
  snapshot["summary"] = {{"operation", "append"}};
  updates = {{{"action", "add-snapshot"}, {"snapshot", snapshot}},
             {{"action", "set-snapshot-ref"},
              {"ref-name", "main"},
              {"type", "branch"},
              {"snapshot-id", 4242}}};
  r = Commit("t", admin_token_, json::array(), updates);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["metadata"]["current-snapshot-id"], 4242);
  EXPECT_EQ(engine::testing::Rows(*admin_, "SELECT count(*) FROM s.t"), "10");

  // A snapshot naming another table's files is refused.
  json other = LoadMetadata("secret", admin_token_);
  snapshot["snapshot-id"] = 4343;
  snapshot["parent-snapshot-id"] = 4242;
  snapshot["sequence-number"] = snapshot["sequence-number"].get<int64_t>() + 1;
  snapshot["manifest-list"] = other["snapshots"][0]["manifest-list"];
  r = Commit("t", admin_token_, json::array(),
             json::array({{{"action", "add-snapshot"}, {"snapshot", snapshot}}}));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("not inside the table's location"), std::string::npos) << r.body;

  EXPECT_NE(AuditText().find("ICEBERG REST commit"), std::string::npos);
}

TEST_F(IcebergRestTest, GzipMetadataIsServedAsJson) {
  json m = LoadMetadata("t", admin_token_);
  const std::string rows = engine::testing::Rows(*admin_, "SELECT count(*) FROM s.t");
  TestResponse r = Commit("t", admin_token_, json::array(),
                          json::parse(R"([{"action": "set-properties",
                                           "updates": {"write.metadata.compression-codec": "gzip"}}])"));
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string location = Body(r)["metadata-location"];
  EXPECT_NE(location.find(".gz.metadata.json"), std::string::npos) << location;
  EXPECT_EQ(Body(r)["metadata"]["properties"]["write.metadata.compression-codec"], "gzip");
  json loaded = LoadMetadata("t", admin_token_);
  EXPECT_EQ(loaded["current-snapshot-id"], m["current-snapshot-id"]);
  EXPECT_EQ(loaded["snapshots"].size(), m["snapshots"].size());
  EXPECT_EQ(engine::testing::Rows(*admin_, "SELECT count(*) FROM s.t"), rows);
  r = Commit("t", admin_token_, json::array(),
             json::parse(R"([{"action": "set-properties",
                              "updates": {"write.metadata.compression-codec": "brotli"}}])"));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("not a metadata codec"), std::string::npos) << r.body;
}

TEST_F(IcebergRestTest, RenameCarriesGrantsAndDropPurges) {
  const std::string rename =
      R"({"source": {"namespace": ["s"], "name": "r"}, "destination": {"namespace": ["s"], "name": "r2"}})";
  EXPECT_EQ(Request("POST", "/iceberg/v1/tables/rename", alice_token_, rename).status, 403);
  TestResponse r = Request(
      "POST", "/iceberg/v1/tables/rename", admin_token_,
      R"({"source": {"namespace": ["s"], "name": "r"}, "destination": {"namespace": ["scratch"], "name": "r2"}})");
  EXPECT_EQ(r.status, 400);
  r = Request("POST", "/iceberg/v1/tables/rename", admin_token_, rename);
  ASSERT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(Request("GET", "/iceberg/v1/namespaces/s/tables/r2", alice_token_).status, 200);
  EXPECT_EQ(Request("GET", "/iceberg/v1/namespaces/s/tables/r", admin_token_).status, 404);
  EXPECT_EQ(Request("POST", "/iceberg/v1/tables/rename", admin_token_, rename).status, 404);

  json m = LoadMetadata("r2", admin_token_);
  const std::string root = std::filesystem::path(m["location"].get<std::string>()).string();
  EXPECT_TRUE(std::filesystem::exists(root));
  EXPECT_EQ(Request("DELETE", "/iceberg/v1/namespaces/s/tables/r2", alice_token_).status, 403);
  EXPECT_EQ(
      Request("DELETE", "/iceberg/v1/namespaces/s/tables/r2?purgeRequested=true", admin_token_)
          .status,
      204);
  EXPECT_FALSE(std::filesystem::exists(root));
  EXPECT_EQ(Request("DELETE", "/iceberg/v1/namespaces/s/tables/r2", admin_token_).status, 404);
  EXPECT_EQ(Request("POST", "/iceberg/v1/namespaces/s/tables/t/metrics", alice_token_,
                    R"({"report-type": "scan-report"})")
                .status,
            204);
}

TEST_F(IcebergRestTest, OAuthClientCredentials) {
  auto form = [](const std::string& id, const std::string& secret) {
    return "grant_type=client_credentials&client_id=" + id + "&client_secret=" + secret +
           "&scope=catalog";
  };
  const std::string ct = "application/x-www-form-urlencoded";
  TestResponse r =
      Request("POST", "/iceberg/v1/oauth/tokens", "", form("alice", kAlicePassword), ct);
  ASSERT_EQ(r.status, 200) << r.body;
  json j = Body(r);
  EXPECT_EQ(j["token_type"], "bearer");
  const std::string token = j["access_token"];
  EXPECT_EQ(Request("GET", "/iceberg/v1/namespaces", token).status, 200);
  r = Request("POST", "/iceberg/v1/oauth/tokens", "", form("alice", alice_token_), ct);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["access_token"], alice_token_);
  r = Request("POST", "/iceberg/v1/oauth/tokens", "", form("bob", alice_token_), ct);
  EXPECT_EQ(r.status, 401);
  r = Request("POST", "/iceberg/v1/oauth/tokens", "", form("alice", "wrong"), ct);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Body(r)["error"], "invalid_client");
  r = Request("POST", "/iceberg/v1/oauth/tokens", "", "grant_type=password", ct);
  EXPECT_EQ(r.status, 400);
}

TEST(IcebergRestUpdatesTest, SchemaSpecAndOrderEvolution) {
  storage::iceberg::TableMetadata m;
  m.table_uuid = "u";
  m.location = "/lake/t";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      m.schemas.emplace_back(),
      internal::ParseRestSchema(json::parse(
          R"({"type":"struct","schema-id":0,"fields":[{"id":1,"name":"a","type":"int","required":false}]})")));
  m.last_column_id = 1;
  m.partition_specs.emplace_back();
  m.sort_orders.emplace_back();
  json updates = json::parse(R"([
    {"action": "add-schema", "schema": {"type":"struct","fields":[
      {"id":1,"name":"a","type":"int","required":false},{"id":2,"name":"b","type":"string","required":false}]}},
    {"action": "set-current-schema", "schema-id": -1},
    {"action": "add-spec", "spec": {"fields": [{"source-id": 2, "name": "b_trunc", "transform": "truncate[3]"}]}},
    {"action": "set-default-spec", "spec-id": -1},
    {"action": "add-sort-order", "sort-order": {"fields": [
      {"source-id": 1, "transform": "identity", "direction": "asc", "null-order": "nulls-first"}]}},
    {"action": "set-default-sort-order", "sort-order-id": -1},
    {"action": "upgrade-format-version", "format-version": 2},
    {"action": "assign-uuid", "uuid": "u"},
    {"action": "remove-properties", "removals": ["nope"]}])");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto summary, internal::SummarizeUpdates(updates));
  EXPECT_TRUE(summary.alters_table);
  EXPECT_FALSE(summary.adds_snapshots);
  ASSERT_THAT(internal::ApplyUpdates(&m, updates, 1000, nullptr), IsOk());
  EXPECT_EQ(m.current_schema_id, 1);
  EXPECT_EQ(m.last_column_id, 2);
  EXPECT_EQ(m.default_spec_id, 1);
  EXPECT_EQ(m.last_partition_id, 1000);
  EXPECT_EQ(m.default_sort_order_id, 1);
  EXPECT_THAT(
      internal::CheckRequirements(m, json::parse(R"([{"type":"assert-last-assigned-partition-id",
                                                               "last-assigned-partition-id": 1000},
                                                              {"type":"assert-default-spec-id","default-spec-id":1},
                                                              {"type":"assert-default-sort-order-id",
                                                               "default-sort-order-id":1}])")),
      IsOk());
  EXPECT_THAT(internal::CheckRequirements(
                  m, json::parse(R"([{"type":"assert-default-spec-id","default-spec-id":0}])")),
              StatusIs(StatusCode::kAborted, "assert-default-spec-id"));
  EXPECT_THAT(internal::CheckRequirements(m, json::parse(R"([{"type":"assert-create"}])")),
              StatusIs(StatusCode::kAborted, "already exists"));
  EXPECT_THAT(internal::CheckRequirements(m, json::parse(R"([{"type":"assert-magic"}])")),
              StatusIs(StatusCode::kInvalidArgument, "assert-magic"));
  // A spec on a missing column, a downgrade, a foreign uuid.
  EXPECT_THAT(internal::ApplyUpdates(&m, json::parse(R"([{"action":"add-spec","spec":{"fields":[
                                                          {"source-id":9,"name":"x","transform":"identity"}]}}])"),
                                     0, nullptr),
              StatusIs(StatusCode::kInvalidArgument, ""));
  EXPECT_THAT(internal::ApplyUpdates(
                  &m, json::parse(R"([{"action":"upgrade-format-version","format-version":1}])"), 0,
                  nullptr),
              StatusIs(StatusCode::kInvalidArgument, "downgrade"));
  EXPECT_THAT(internal::ApplyUpdates(&m, json::parse(R"([{"action":"assign-uuid","uuid":"v"}])"), 0,
                                     nullptr),
              StatusIs(StatusCode::kInvalidArgument, "uuid"));
}

// The npm client (iceberg-js) against the routes over TCP. Skipped when node or the package is
// not installed (scripts/npm-test-packages), except under CI, where that fails.
class ForwardingStream final : public net::Stream {
 public:
  explicit ForwardingStream(net::Stream& s) : s_(s) {}
  Result<size_t> Read(char* buf, size_t n) override { return s_.Read(buf, n); }
  Status Write(std::string_view data) override { return s_.Write(data); }
  void Shutdown() override { s_.Shutdown(); }
  bool is_tls() const override { return s_.is_tls(); }
  std::string peer() const override { return s_.peer(); }

 private:
  net::Stream& s_;
};

TEST_F(IcebergRestTest, NpmIcebergJsClient) {
  const char* env = std::getenv("MEDLAKE_SOURCE_DIR");
  const std::string source = env ? env : MEDLAKE_SOURCE_DIR_FOR_TEST;
  const std::string script = source + "/test/e2e/npm/iceberg_rest_client.mjs";
  if (std::system("node --version > /dev/null 2>&1") != 0 ||
      !std::filesystem::exists(source + "/test/e2e/npm/node_modules/iceberg-js/package.json")) {
    // CI runs `make test`, which installs them first: there, a skip would hide a missing check.
    if (std::getenv("CI") != nullptr) FAIL() << "node or iceberg-js is missing (scripts/npm-test-packages)";
    GTEST_SKIP() << "node or iceberg-js is missing: run scripts/npm-test-packages";
  }
  http::HttpServerOptions options;
  net::ListenerOptions lo;
  lo.name = "http";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto listener, net::TcpListener::Start(lo, [&](net::TcpStream& stream) {
        http::ServeHttpConnection(std::make_unique<ForwardingStream>(stream), router_, options);
      }));
  const std::string out = dir_.Join("npm.out");
  // alice owns scratch but it has no table yet: give it one to load.
  engine::testing::ExecOk(*admin_, "CREATE TABLE scratch.seen AS SELECT 1 AS a");
  engine::testing::ExecOk(*admin_, "GRANT SELECT ON TABLE scratch.seen TO alice");
  const std::string full = "node " + script + " " + std::to_string(listener->port()) + " " +
                           alice_token_ + " scratch seen > " + out + " 2>&1";
  int rc = std::system(full.c_str());
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  listener->Stop();
  EXPECT_EQ(rc, 0) << text;
  EXPECT_EQ(text.find("FAIL"), std::string::npos) << text;
  EXPECT_NE(text.find("ok load table"), std::string::npos) << text;
  EXPECT_NE(text.find("ok create table"), std::string::npos) << text;
}

}  // namespace
}  // namespace medlake::server::iceberg_rest
