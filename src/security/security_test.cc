#include <gtest/gtest.h>

#include <fstream>

#include "core/crypto.h"
#include "core/testing/manual_clock.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "engine/lake_session.h"
#include "engine/testing/session_rows.h"
#include "security/access_controller.h"
#include "security/scram.h"
#include "security/statements.h"
#include "security/store.h"
#include "storage/lake.h"

namespace medlake::security {
namespace {

using engine::testing::ExecOk;
using engine::testing::Rows;

// ---------------------------------------------------------------------------------------------
// SCRAM verifiers

TEST(ScramTest, VerifierChecksThePasswordAndNothingElse) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string v, MakeScramVerifier("correct horse"));
  EXPECT_EQ(v.rfind("SCRAM-SHA-256$4096:", 0), 0u) << v;
  EXPECT_EQ(v.find("correct horse"), std::string::npos);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(bool ok, CheckScramPassword(v, "correct horse"));
  EXPECT_TRUE(ok);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ok, CheckScramPassword(v, "correct horsf"));
  EXPECT_FALSE(ok);
  // Two verifiers of one password differ (random salt).
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string v2, MakeScramVerifier("correct horse"));
  EXPECT_NE(v, v2);
  EXPECT_THAT(MakeScramVerifier("short"), StatusIs(StatusCode::kInvalidArgument, "8 characters"));
  EXPECT_THAT(CheckScramPassword("SCRAM-SHA-256$x", "p"), StatusIs(StatusCode::kInvalidArgument, "verifier"));
}

TEST(ScramTest, MatchesTheRfc7677Exchange) {
  // RFC 7677 section 3: user "user", password "pencil".
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string salt, Base64Decode("W22ZaJ0SNY7soEsUEjb6gQ=="));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ScramVerifier v, DeriveScramVerifier("pencil", salt, 4096));
  const std::string auth =
      "n=user,r=rOprNGfwEbeRWgbNEkqO,"
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string proof, Base64Decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="));
  EXPECT_TRUE(VerifyScramClientProof(v, auth, proof));
  EXPECT_EQ(Base64Encode(ScramServerSignature(v, auth)), "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  proof[0] = static_cast<char>(proof[0] ^ 1);
  EXPECT_FALSE(VerifyScramClientProof(v, auth, proof));
}

// ---------------------------------------------------------------------------------------------
// Statements

TEST(SecurityStatementTest, ParsesEveryForm) {
  auto parse = [](const std::string& sql) {
    auto r = ParseSecurityStatement(sql);
    EXPECT_THAT(r, IsOk()) << sql;
    EXPECT_TRUE(r.ok() && r->has_value()) << sql;
    return r.ok() && r->has_value() ? **r : SecurityStatement{};
  };
  auto st = parse("CREATE USER Alice WITH PASSWORD 'secret123' ATTRIBUTES (hospitals = ('H01', 'H02'), category = 'nurse') AUDITOR");
  EXPECT_EQ(st.kind, SecurityStatement::Kind::kCreatePrincipal);
  EXPECT_EQ(st.name, "alice");
  EXPECT_EQ(*st.password, "secret123");
  EXPECT_EQ((*st.attributes)["hospitals"], (std::vector<std::string>{"H01", "H02"}));
  EXPECT_EQ((*st.attributes)["category"], (std::vector<std::string>{"nurse"}));
  EXPECT_TRUE(*st.auditor);
  EXPECT_EQ(parse("create service account etl").principal_kind, PrincipalKind::kService);
  st = parse("GRANT SELECT (a, b) ON TABLE s.t TO alice, doctors WITH GRANT OPTION");
  EXPECT_EQ(st.kind, SecurityStatement::Kind::kGrant);
  EXPECT_EQ(st.columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(st.principals, (std::vector<std::string>{"alice", "doctors"}));
  EXPECT_TRUE(st.grant_option);
  st = parse("REVOKE GRANT OPTION FOR ALL PRIVILEGES ON SCHEMA s FROM bob");
  EXPECT_TRUE(st.grant_option_only);
  EXPECT_EQ(st.privileges.size(), 4u);
  st = parse("CREATE POLICY scope ON TABLE s.t ROW FILTER (list_contains(user.hospitals, hospital_id)) TO doctors EXCEPT chief");
  EXPECT_EQ(st.policy.expression, "list_contains(user.hospitals, hospital_id)");
  EXPECT_EQ(st.policy.except, (std::vector<std::string>{"chief"}));
  st = parse("CREATE POLICY m ON TAG 'pii:dni' MASK USING PARTIAL(3) FOR PURPOSE (research)");
  EXPECT_EQ(st.policy.mask, MaskKind::kPartial);
  EXPECT_EQ(st.policy.mask_arg, 3);
  EXPECT_EQ(st.policy.tag, "pii:dni");
  EXPECT_EQ(st.policy.purposes, (std::vector<std::string>{"research"}));
  EXPECT_EQ(parse("SET medlake.purpose = 'research'").text, "research");
  EXPECT_EQ(parse("RESET medlake.purpose").text, "");
  EXPECT_EQ(parse("BREAK GLASS REASON 'patient unconscious in ER' FOR 30 MINUTES").minutes, 30);
  EXPECT_EQ(parse("SHOW GRANTS FOR alice").name, "alice");
  EXPECT_EQ(parse("CREATE TOKEN FOR etl EXPIRES IN 30 DAYS COMMENT 'nightly'").days, 30);

  // Not ours: left to the rest of the session.
  for (const char* other : {"SELECT 1", "SET threads = 1", "CREATE TABLE s.t (a INT)", "DROP TABLE s.t",
                            "SHOW TABLES", "ALTER TABLE s.t ADD COLUMN b INT"}) {
    auto r = ParseSecurityStatement(other);
    ASSERT_THAT(r, IsOk()) << other;
    EXPECT_FALSE(r->has_value()) << other;
  }
  // Ours but malformed: a clear error.
  EXPECT_THAT(ParseSecurityStatement("GRANT SELECT ON s.t"), StatusIs(StatusCode::kInvalidArgument, "expected TO"));
  EXPECT_THAT(ParseSecurityStatement("GRANT DANCE ON s.t TO a"), StatusIs(StatusCode::kInvalidArgument, "unknown privilege"));
  EXPECT_THAT(ParseSecurityStatement("CREATE POLICY p ON TABLE s.t MASK USING REDACT"),
              StatusIs(StatusCode::kInvalidArgument, "COLUMN"));
  EXPECT_THAT(ParseSecurityStatement("CREATE USER x PASSWORD"), StatusIs(StatusCode::kInvalidArgument, "quoted string"));
  EXPECT_THAT(ParseSecurityStatement("SET medlake.flavour = 'x'"), StatusIs(StatusCode::kInvalidArgument, "medlake.flavour"));
}

// ---------------------------------------------------------------------------------------------
// Store

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, storage::Lake::Create(tmp_.Join("lake")));
    clock_.SetMicros(1'800'000'000'000'000);
    MEDLAKE_ASSERT_OK_AND_ASSIGN(store_, SecurityStore::Open(lake_->catalog_path(), &clock_));
  }
  PrincipalRecord User(const std::string& name, PrincipalKind kind = PrincipalKind::kUser) {
    PrincipalRecord p;
    p.name = name;
    p.kind = kind;
    p.created_by = "test";
    return p;
  }
  TempDir tmp_;
  ManualClock clock_;
  std::unique_ptr<storage::Lake> lake_;
  std::unique_ptr<SecurityStore> store_;
};

TEST_F(StoreTest, RolesAreTransitiveAndCyclesRefused) {
  MEDLAKE_ASSERT_OK(store_->CreatePrincipal(User("ana")));
  MEDLAKE_ASSERT_OK(store_->CreatePrincipal(User("nurses", PrincipalKind::kRole)));
  MEDLAKE_ASSERT_OK(store_->CreatePrincipal(User("staff", PrincipalKind::kGroup)));
  EXPECT_THAT(store_->CreatePrincipal(User("ana")), StatusIs(StatusCode::kAlreadyExists, "ana"));
  EXPECT_THAT(store_->CreatePrincipal(User("Bad Name")), StatusIs(StatusCode::kInvalidArgument, "lowercase"));
  MEDLAKE_ASSERT_OK(store_->AddMember("nurses", "ana"));
  MEDLAKE_ASSERT_OK(store_->AddMember("staff", "nurses"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto roles, store_->EffectiveRoles("ana"));
  EXPECT_EQ(roles, (std::set<std::string>{"ana", "nurses", "staff", "public"}));
  EXPECT_THAT(store_->AddMember("nurses", "staff"), StatusIs(StatusCode::kInvalidArgument, "cycle"));
  EXPECT_THAT(store_->AddMember("ana", "nurses"), StatusIs(StatusCode::kInvalidArgument, "not a role"));
  MEDLAKE_ASSERT_OK(store_->DropPrincipal("nurses"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(roles, store_->EffectiveRoles("ana"));
  EXPECT_EQ(roles, (std::set<std::string>{"ana", "public"}));
}

TEST_F(StoreTest, TokensAreHashedExpireAndRevoke) {
  MEDLAKE_ASSERT_OK(store_->CreatePrincipal(User("etl", PrincipalKind::kService)));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string token, store_->CreateToken("etl", 2, "nightly"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string who, store_->VerifyToken(token));
  EXPECT_EQ(who, "etl");
  std::string tampered = token;
  tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
  EXPECT_THAT(store_->VerifyToken(tampered), StatusIs(StatusCode::kPermissionDenied, "invalid"));
  EXPECT_THAT(store_->VerifyToken("mlk_nonsense"), StatusIs(StatusCode::kPermissionDenied, "invalid"));
  clock_.AdvanceMicros(3LL * 86'400'000'000);
  EXPECT_THAT(store_->VerifyToken(token), StatusIs(StatusCode::kPermissionDenied, "expired"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string second, store_->CreateToken("etl", 30, ""));
  MEDLAKE_ASSERT_OK(store_->VerifyToken(second).status());
  MEDLAKE_ASSERT_OK(store_->RevokeToken(second.substr(4, 16)));
  EXPECT_THAT(store_->VerifyToken(second), StatusIs(StatusCode::kPermissionDenied, "revoked"));
  EXPECT_THAT(store_->RevokeToken(second.substr(4, 16)), StatusIs(StatusCode::kNotFound, "no active token"));
}

TEST_F(StoreTest, BreakGlassIsTimeLimited) {
  MEDLAKE_ASSERT_OK(store_->CreatePrincipal(User("doc")));
  MEDLAKE_ASSERT_OK(store_->StartBreakGlass("doc", "emergency admission", 30).status());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto active, store_->ActiveBreakGlass("doc"));
  EXPECT_TRUE(active.has_value());
  clock_.AdvanceMicros(31LL * 60'000'000);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(active, store_->ActiveBreakGlass("doc"));
  EXPECT_FALSE(active.has_value());
  EXPECT_THAT(store_->StartBreakGlass("doc", "x", 100000), StatusIs(StatusCode::kInvalidArgument, "minutes"));
}

// ---------------------------------------------------------------------------------------------
// Enforcement through the SQL path

class EnforcementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, storage::Lake::Create(tmp_.Join("lake")));
    MEDLAKE_ASSERT_OK(InitializeSecurity(lake_->catalog_path(), "owner"));
    admin_ = Session("owner");
    ASSERT_NE(admin_, nullptr);
    ExecOk(*admin_,
           "CREATE SCHEMA clin; "
           "CREATE TABLE clin.patient AS SELECT * FROM (VALUES "
           "(1, 'H01', 'Ana', 'Garcia', '12345678Z', DATE '1980-05-17', 'F'), "
           "(2, 'H01', 'Luis', 'Perez', '87654321X', DATE '1975-11-02', 'M'), "
           "(3, 'H02', 'Marta', 'Lopez', '11111111H', DATE '1990-01-30', 'F'), "
           "(4, 'H03', 'Juan', 'Ruiz', '22222222J', DATE '2001-07-07', 'M')) "
           "AS t(id, hospital_id, given, family, dni, birth_date, sex); "
           "CREATE USER alice ATTRIBUTES (hospitals = ('H01', 'H02')); "
           "CREATE USER bob ATTRIBUTES (hospitals = ('H03')); "
           "CREATE ROLE clinicians; GRANT ROLE clinicians TO alice, bob; "
           "GRANT USAGE ON SCHEMA clin TO clinicians; "
           "GRANT SELECT ON TABLE clin.patient TO clinicians; "
           "CREATE POLICY hospital_scope ON TABLE clin.patient "
           "  ROW FILTER (list_contains(user.hospitals, hospital_id)) TO clinicians; "
           "CREATE POLICY dni_mask ON TABLE clin.patient MASK COLUMN dni USING REDACT; "
           "CREATE POLICY birth_year ON TABLE clin.patient MASK COLUMN birth_date USING YEAR");
  }

  std::unique_ptr<engine::LakeSession> Session(const std::string& user, const std::string& purpose = "",
                                               const std::string& actor = "owner",
                                               std::shared_ptr<AuditLog> audit = nullptr) {
    SecurityControllerOptions o;
    o.lake_root = lake_->root();
    o.catalog_path = lake_->catalog_path();
    o.audit = std::move(audit);
    auto controller = SecurityController::Open(o, SessionIdentity{actor, user, "test", purpose});
    EXPECT_THAT(controller, IsOk());
    if (!controller.ok()) return nullptr;
    engine::LakeSessionOptions so;
    so.access = *controller;
    auto session = engine::LakeSession::Open(*lake_, so);
    EXPECT_THAT(session, IsOk());
    return session.ok() ? std::move(*session) : nullptr;
  }

  Status Run(engine::LakeSession& s, const std::string& sql) {
    return s.Run(sql, [](size_t, engine::StatementOutcome& o) -> Status {
      if (o.rows) return o.rows->FetchAll().status();
      return Status::OK();
    });
  }

  TempDir tmp_;
  std::unique_ptr<storage::Lake> lake_;
  std::unique_ptr<engine::LakeSession> admin_;
};

TEST_F(EnforcementTest, RowFilterUsesTheUsersAttributes) {
  auto alice = Session("alice");
  EXPECT_EQ(Rows(*alice, "SELECT id FROM clin.patient ORDER BY id"), "1;2;3");
  auto bob = Session("bob");
  EXPECT_EQ(Rows(*bob, "SELECT id FROM clin.patient ORDER BY id"), "4");
  EXPECT_EQ(Rows(*bob, "SELECT count(*) FROM clin.patient"), "1");
  // `col IN user.attr` is the same filter as a constant list; an empty attribute matches nothing.
  ExecOk(*admin_, "CREATE USER carl; GRANT ROLE clinicians TO carl; "
                  "CREATE POLICY in_form ON TABLE clin.patient ROW FILTER (hospital_id IN user.hospitals) TO alice, carl");
  alice = Session("alice");
  EXPECT_EQ(Rows(*alice, "SELECT id FROM clin.patient ORDER BY id"), "1;2;3");
  auto carl = Session("carl");
  EXPECT_EQ(Rows(*carl, "SELECT count(*) FROM clin.patient"), "0");
  // The owner (an admin) is not bound by policies that do not name it.
  EXPECT_EQ(Rows(*admin_, "SELECT count(*), min(dni) FROM clin.patient"), "4|11111111H");
}

TEST_F(EnforcementTest, MasksHoldInsideExpressions) {
  auto alice = Session("alice");
  EXPECT_EQ(Rows(*alice, "SELECT dni, birth_date FROM clin.patient WHERE id = 1"), "****|1980-01-01");
  EXPECT_EQ(Rows(*alice, "SELECT count(*) FROM clin.patient WHERE dni = '12345678Z'"), "0");
  EXPECT_EQ(Rows(*alice, "SELECT count(*) FROM clin.patient WHERE dni LIKE '1%'"), "0");
  EXPECT_EQ(Rows(*alice, "SELECT min(dni), max(length(dni)) FROM clin.patient"), "****|4");
  EXPECT_EQ(Rows(*alice, "SELECT count(*) FROM clin.patient WHERE birth_date = DATE '1980-05-17'"), "0");
  EXPECT_EQ(Rows(*alice, "SELECT count(*) FROM clin.patient p JOIN clin.patient q ON p.dni = q.dni"), "9");
  EXPECT_EQ(Rows(*alice, "SELECT DISTINCT month(birth_date) FROM clin.patient"), "1");
  // Errors see masked values only.
  Status st = Run(*alice, "SELECT CAST(dni AS INTEGER) FROM clin.patient");
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.message().find("12345678"), std::string::npos) << st.message();
}

TEST_F(EnforcementTest, HiddenRowsCannotBeObservedThroughErrors) {
  auto bob = Session("bob");
  // Row 1 (H01) is hidden from bob: a predicate that fails only on its values must not fire.
  Status st = Run(*bob, "SELECT id FROM clin.patient WHERE CASE WHEN given = 'Ana' THEN error('found Ana') ELSE true END");
  EXPECT_THAT(st, IsOk());
  st = Run(*bob, "SELECT id FROM clin.patient WHERE CAST(given AS INTEGER) > 0");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message().find("Ana"), std::string::npos) << st.message();
}

TEST_F(EnforcementTest, PrivilegesAreRequired) {
  ExecOk(*admin_, "CREATE USER carol");
  auto carol = Session("carol");
  EXPECT_THAT(Run(*carol, "SELECT * FROM clin.patient"), StatusIs(StatusCode::kPermissionDenied, "clin.patient does not exist or may not be read"));
  EXPECT_THAT(Run(*carol, "SELECT * FROM clin.\"patient$snapshots\""), StatusIs(StatusCode::kPermissionDenied, "may not be read"));
  EXPECT_THAT(Run(*carol, "INSERT INTO clin.patient SELECT * FROM clin.patient"), StatusIs(StatusCode::kPermissionDenied, "INSERT"));
  EXPECT_THAT(Run(*carol, "DROP TABLE clin.patient"), StatusIs(StatusCode::kPermissionDenied, "OWNERSHIP"));
  EXPECT_THAT(Run(*carol, "CREATE SCHEMA mine"), StatusIs(StatusCode::kPermissionDenied, "admins only"));
  EXPECT_THAT(Run(*carol, "CREATE USER dave"), StatusIs(StatusCode::kPermissionDenied, "admins only"));
  EXPECT_THAT(Run(*carol, "GRANT SELECT ON TABLE clin.patient TO carol"), StatusIs(StatusCode::kPermissionDenied, "granting"));
  EXPECT_THAT(Run(*carol, "CALL medlake.expire_snapshots('clin.patient')"), StatusIs(StatusCode::kPermissionDenied, "admins only"));
  // Column privileges: other columns are left out.
  ExecOk(*admin_, "GRANT USAGE ON SCHEMA clin TO carol; GRANT SELECT (id, sex) ON TABLE clin.patient TO carol");
  carol = Session("carol");
  EXPECT_EQ(Rows(*carol, "SELECT * FROM clin.patient ORDER BY id LIMIT 1"), "1|F");
  EXPECT_THAT(Run(*carol, "SELECT dni FROM clin.patient"), StatusIs(StatusCode::kInvalidArgument, "dni"));
}

TEST_F(EnforcementTest, WritesUnderPoliciesAreRefusedAndOwnersGrant) {
  auto alice = Session("alice");
  ExecOk(*admin_, "GRANT MODIFY ON TABLE clin.patient TO alice");
  EXPECT_THAT(Run(*alice, "DELETE FROM clin.patient WHERE id = 4"),
              StatusIs(StatusCode::kPermissionDenied, "row filter or column mask"));
  // An owner of a namespace creates tables, owns them and grants on them.
  ExecOk(*admin_, "CREATE SCHEMA team; GRANT OWNERSHIP ON SCHEMA team TO alice");
  alice = Session("alice");
  ExecOk(*alice, "CREATE TABLE team.notes AS SELECT 1 AS id, 'x' AS note");
  ExecOk(*alice, "GRANT USAGE ON SCHEMA team TO bob; GRANT SELECT ON TABLE team.notes TO bob");
  auto bob = Session("bob");
  EXPECT_EQ(Rows(*bob, "SELECT note FROM team.notes"), "x");
  EXPECT_THAT(Run(*bob, "INSERT INTO team.notes VALUES (2, 'y')"), StatusIs(StatusCode::kPermissionDenied, "INSERT"));
  // Data from a masked table stays masked when copied.
  ExecOk(*alice, "CREATE TABLE team.copy AS SELECT id, dni FROM clin.patient");
  EXPECT_EQ(Rows(*admin_, "SELECT DISTINCT dni FROM team.copy"), "****");
}

TEST_F(EnforcementTest, PrivilegesOnAnswersAsStatementsWould) {
  ExecOk(*admin_, "CREATE USER carol; GRANT USAGE ON SCHEMA clin TO carol; "
                  "GRANT SELECT (id, sex) ON TABLE clin.patient TO carol; "
                  "CREATE SCHEMA team; GRANT OWNERSHIP ON SCHEMA team TO alice; "
                  "GRANT MODIFY ON TABLE clin.patient TO alice");
  auto alice = Session("alice");
  ExecOk(*alice, "CREATE TABLE team.notes AS SELECT 1 AS id; GRANT USAGE ON SCHEMA team TO bob; "
                 "GRANT SELECT ON TABLE team.notes TO bob WITH GRANT OPTION; "
                 "GRANT INSERT ON TABLE team.notes TO bob");
  auto privileges = [](engine::LakeSession& s, const std::string& ns, const std::string& table) {
    auto p = s.access()->PrivilegesOn(ns, table);
    EXPECT_THAT(p, IsOk());
    return p.ok() ? *p : engine::ObjectPrivileges{};
  };
  // alice reads clin.patient under a row filter and masks: her MODIFY grant does not let her
  // write it (CheckWrite refuses), so it is not reported.
  engine::ObjectPrivileges p = privileges(*alice, "clin", "patient");
  EXPECT_TRUE(p.usage && p.select);
  EXPECT_FALSE(p.insert || p.modify || p.ownership || p.select_grantable);
  p = privileges(*alice, "team", "");
  EXPECT_TRUE(p.usage && p.ownership);
  p = privileges(*alice, "team", "notes");
  EXPECT_TRUE(p.select && p.insert && p.modify && p.ownership && p.select_grantable && p.modify_grantable);
  EXPECT_FALSE(privileges(*alice, "", "").ownership);  // not an admin: no CREATE SCHEMA
  auto bob = Session("bob");
  p = privileges(*bob, "team", "notes");
  EXPECT_TRUE(p.select && p.select_grantable && p.insert);
  EXPECT_FALSE(p.modify || p.ownership || p.insert_grantable);
  EXPECT_FALSE(privileges(*bob, "team", "").ownership);
  auto carol = Session("carol");
  p = privileges(*carol, "clin", "patient");
  EXPECT_TRUE(p.usage);
  EXPECT_FALSE(p.select);
  EXPECT_THAT(p.select_columns, ::testing::UnorderedElementsAre("id", "sex"));
  p = privileges(*carol, "team", "notes");
  EXPECT_FALSE(p.usage || p.select || p.insert);
  EXPECT_TRUE(privileges(*admin_, "", "").ownership);
  p = privileges(*admin_, "clin", "patient");
  EXPECT_TRUE(p.select && p.insert && p.modify && p.ownership);
  // What it says agrees with what statements do.
  EXPECT_THAT(Run(*bob, "INSERT INTO team.notes VALUES (2)"), IsOk());
  EXPECT_THAT(Run(*bob, "DELETE FROM team.notes WHERE id = 2"), StatusIs(StatusCode::kPermissionDenied, "MODIFY"));
  EXPECT_THAT(Run(*alice, "DELETE FROM clin.patient WHERE id = 4"),
              StatusIs(StatusCode::kPermissionDenied, "row filter or column mask"));
}

TEST_F(EnforcementTest, PurposeOfUseAndBreakTheGlass) {
  ExecOk(*admin_, "CREATE POLICY care_only ON TABLE clin.patient REQUIRE PURPOSE (treatment) TO clinicians");
  auto alice = Session("alice");
  EXPECT_THAT(Run(*alice, "SELECT count(*) FROM clin.patient"), StatusIs(StatusCode::kPermissionDenied, "purpose"));
  ExecOk(*alice, "SET medlake.purpose = 'treatment'");
  EXPECT_EQ(Rows(*alice, "SELECT count(*) FROM clin.patient"), "3");
  EXPECT_THAT(Run(*alice, "SET medlake.purpose = 'fun'"), StatusIs(StatusCode::kInvalidArgument, "unknown purpose"));
  EXPECT_THAT(Run(*alice, "BREAK GLASS REASON 'short'"), StatusIs(StatusCode::kInvalidArgument, "reason"));
  ExecOk(*alice, "BREAK GLASS REASON 'unconscious patient from H03 in our ER' FOR 15 MINUTES");
  EXPECT_EQ(Rows(*alice, "SELECT count(*), min(dni) FROM clin.patient"), "4|****");
  // Her other sessions keep their row filter unless their purpose is treatment too.
  ExecOk(*admin_, "DROP POLICY care_only");
  auto other = Session("alice", "management");
  EXPECT_EQ(Rows(*other, "SELECT count(*) FROM clin.patient"), "3");
  auto unspecified = Session("alice");
  EXPECT_EQ(Rows(*unspecified, "SELECT count(*) FROM clin.patient"), "3");
  auto treating = Session("alice", "treatment");
  EXPECT_EQ(Rows(*treating, "SELECT count(*) FROM clin.patient"), "4");
  // Research sessions never break the glass.
  auto research = Session("bob", "research");
  EXPECT_THAT(Run(*research, "BREAK GLASS REASON 'I would like to see everything'"),
              StatusIs(StatusCode::kPermissionDenied, "treatment"));
}

TEST_F(EnforcementTest, TheStatementGuardBlocksTheWaysAround) {
  auto alice = Session("alice", "treatment");
  const char* attempts[] = {
      "SELECT * FROM read_parquet('warehouse/**/*.parquet')",
      "SELECT * FROM read_text('/etc/passwd')",
      "SELECT * FROM query('SELECT 1')",
      "SELECT * FROM 'data.parquet'",
      "COPY (SELECT 1) TO '/tmp/x.csv'",
      "ATTACH '/tmp/x.db' AS x",
      "SET enable_external_access = true",
      "PRAGMA database_list",
      "INSTALL httpfs",
      "LOAD httpfs",
      "SELECT medlake_keyed_hash('12345678Z')",
      "SELECT * FROM duckdb_settings()",
      "EXPLAIN SELECT * FROM clin.patient",
      "CREATE MACRO m() AS 1",
      "CREATE TEMP TABLE t AS SELECT * FROM read_text('/etc/passwd')",
      "CREATE TEMP TABLE t (a VARCHAR DEFAULT (SELECT content FROM read_text('/etc/passwd')))",
      "INSERT INTO t SELECT * FROM read_blob('/etc/passwd')",
  };
  for (const char* sql : attempts) {
    Status st = Run(*alice, sql);
    EXPECT_FALSE(st.ok()) << sql;
    EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << sql << ": " << st.ToString();
  }
}

TEST_F(EnforcementTest, TemporaryTablesHoldOnlyWhatThePrincipalSees) {
  auto bob = Session("bob");
  ExecOk(*bob, "CREATE TEMP TABLE mine AS SELECT id, dni FROM clin.patient");
  ExecOk(*bob, "INSERT INTO mine SELECT id, dni FROM clin.patient");
  EXPECT_EQ(Rows(*bob, "SELECT count(*), min(dni) FROM mine"), "2|****");
  ExecOk(*bob, "DROP TABLE mine");
  EXPECT_THAT(Run(*bob, "SELECT * FROM mine"), StatusIs(StatusCode::kNotFound, "mine"));
}

TEST_F(EnforcementTest, RowFiltersOnAUserAttributesValuesAreDecidedPerDataFile) {
  // One file per hospital (a partitioned table). The audit says when the filter was decided by
  // the files alone; the rows are the same either way.
  ExecOk(*admin_,
         "CREATE TABLE clin.visit (id INTEGER, hospital_id VARCHAR, kind VARCHAR) PARTITIONED BY (hospital_id); "
         "INSERT INTO clin.visit VALUES (1, 'H01', 'a'), (2, 'H02', 'b'), (3, 'H03', 'c'), (4, NULL, 'd'); "
         "CREATE TABLE clin.other AS SELECT * FROM clin.visit; "
         "GRANT SELECT ON TABLE clin.visit TO clinicians; GRANT SELECT ON TABLE clin.other TO clinicians");
  auto per_file = [&](const std::string& table) {
    auto log = AuditLog::Open(lake_->root() + "/audit");
    EXPECT_THAT(log, IsOk());
    if (!log.ok()) return false;
    auto records = (*log)->Read();
    EXPECT_THAT(records, IsOk());
    if (!records.ok() || records->empty()) return false;
    for (const auto& d : records->back().decisions) {
      if (d.find("row_filter on clin." + table + " decided per data file") != std::string::npos) return true;
    }
    return false;
  };
  struct Case {
    std::string filter;
    bool decided;
  };
  const std::vector<Case> cases = {
      {"hospital_id IN user.hospitals", true},
      {"(list_contains(user.hospitals, hospital_id))", true},
      {"\"hospital_id\" IN user.hospitals", true},
      {"hospital_id IN user.hospitals OR kind = 'd'", false},
      {"NOT hospital_id IN user.hospitals", false},
      {"list_contains(user.hospitals, hospital_id) AND id < 3", false},
      {"(hospital_id IN user.hospitals) OR (kind = 'c')", false},
      {"current_user IN user.hospitals", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.filter);
    ExecOk(*admin_, "CREATE POLICY vs ON TABLE clin.visit ROW FILTER (" + c.filter + ") TO clinicians; "
                    "CREATE POLICY os ON TABLE clin.other ROW FILTER (" + c.filter + ") TO clinicians");
    auto alice = Session("alice");
    std::string expected = Rows(*alice, "SELECT id FROM clin.other ORDER BY id");  // one file: per row
    EXPECT_FALSE(per_file("other"));
    EXPECT_EQ(Rows(*alice, "SELECT id FROM clin.visit ORDER BY id"), expected);
    EXPECT_EQ(per_file("visit"), c.decided);
    ExecOk(*admin_, "DROP POLICY vs; DROP POLICY os");
  }
  // Two row filters, both value sets: every file fails the second (kinds are no hospitals), so
  // none is read; then one that is not a value set brings the per-row filter back.
  ExecOk(*admin_, "CREATE POLICY v1 ON TABLE clin.visit ROW FILTER (hospital_id IN user.hospitals) TO clinicians; "
                  "CREATE POLICY v2 ON TABLE clin.visit ROW FILTER (kind IN user.hospitals) TO clinicians");
  auto alice = Session("alice");
  EXPECT_EQ(Rows(*alice, "SELECT count(*) FROM clin.visit"), "0");
  EXPECT_TRUE(per_file("visit"));
  ExecOk(*admin_, "DROP POLICY v2; CREATE POLICY v3 ON TABLE clin.visit ROW FILTER (id < 2) TO clinicians");
  alice = Session("alice");
  EXPECT_EQ(Rows(*alice, "SELECT id FROM clin.visit"), "1");
  EXPECT_FALSE(per_file("visit"));
}

TEST_F(EnforcementTest, UnderAnAuditSyncIntervalReadsWaitForTheSyncAndChangesDoNot) {
  AuditLogOptions audit_options;
  audit_options.sync_interval_ms = 600'000;  // the background sync never comes in this test
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::shared_ptr<AuditLog> log,
                               AuditLog::Open(lake_->root() + "/audit", audit_options));
  // HEAD's seq: the last record known to be on disk.
  auto head_seq = [&] {
    std::ifstream in(lake_->root() + "/audit/HEAD");
    std::string magic;
    int version = 0;
    int64_t seq = -1;
    in >> magic >> version >> seq;
    return seq;
  };
  auto last_seq = [&] {
    auto records = log->Read();
    EXPECT_THAT(records, IsOk());
    return records.ok() && !records->empty() ? records->back().seq : int64_t{-1};
  };
  auto alice = Session("alice", "treatment", "owner", log);
  auto owner = Session("owner", "treatment", "owner", log);
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(owner, nullptr);
  EXPECT_EQ(Rows(*alice, "SELECT count(*) FROM clin.patient"), "3");
  const int64_t durable = head_seq();
  EXPECT_GT(last_seq(), durable);  // the read's record is written, not yet synced

  ExecOk(*owner, "INSERT INTO clin.patient VALUES (5, 'H01', 'Eva', 'Sanz', '33333333P', DATE '1999-03-03', 'F')");
  EXPECT_EQ(head_seq(), last_seq());  // a change's record is synced before it returns, with all before it
  EXPECT_EQ(Rows(*alice, "SELECT count(*) FROM clin.patient"), "4");
  EXPECT_GT(last_seq(), head_seq());
  ExecOk(*owner, "GRANT SELECT ON TABLE clin.patient TO bob");
  EXPECT_EQ(head_seq(), last_seq());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify());
  EXPECT_TRUE(report.ok());
}

TEST_F(EnforcementTest, EveryStatementIsAudited) {
  auto alice = Session("alice");
  EXPECT_EQ(Rows(*alice, "SELECT id, dni FROM clin.patient ORDER BY id"), "1|****;2|****;3|****");
  (void)Run(*alice, "SELECT * FROM read_text('/etc/passwd')");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto log, AuditLog::Open(lake_->root() + "/audit"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto records, log->Read());
  ASSERT_GE(records.size(), 3u);
  const AuditRecord& denied = records.back();
  EXPECT_EQ(denied.outcome, "denied");
  EXPECT_EQ(denied.actor, "owner");
  EXPECT_EQ(denied.acting_as, "alice");
  const AuditRecord& read = records[records.size() - 2];
  EXPECT_EQ(read.action, "statement");
  EXPECT_EQ(read.rows, 3);
  EXPECT_EQ(read.tables, (std::vector<std::string>{"clin.patient"}));
  EXPECT_EQ(read.columns, (std::vector<std::string>{"clin.patient.dni", "clin.patient.id"}));
  bool masked = false, filtered = false;
  for (const auto& d : read.decisions) {
    masked = masked || d.find("mask redact dni_mask") != std::string::npos;
    filtered = filtered || d.find("row_filter hospital_scope") != std::string::npos;
  }
  EXPECT_TRUE(masked && filtered);
  // Text that does not even tokenize is audited too.
  EXPECT_FALSE(Run(*alice, "SELECT 'unterminated").ok());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(records, log->Read());
  EXPECT_EQ(records.back().outcome, "error");
  EXPECT_EQ(records.back().statement, "SELECT 'unterminated");
  // Passwords never reach the audit log, not even from a failing statement.
  EXPECT_FALSE(Run(*alice, "ALTER USER alice SET PASSWORD = 'another secret pw'").ok());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(records, log->Read());
  for (const auto& r : records) {
    EXPECT_EQ(r.statement.find("another secret"), std::string::npos) << r.statement;
    EXPECT_EQ(r.error.find("another secret"), std::string::npos) << r.error;
  }
  ExecOk(*admin_, "CREATE USER erin WITH PASSWORD 'very secret pw'");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(records, log->Read());
  EXPECT_EQ(records.back().statement.find("very secret"), std::string::npos);
  EXPECT_NE(records.back().statement.find("'***'"), std::string::npos);
  // In any case of the keyword.
  ExecOk(*admin_, "create user frank with PassWord 'mixed case secret'");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(records, log->Read());
  EXPECT_EQ(records.back().statement.find("mixed case secret"), std::string::npos) << records.back().statement;
  EXPECT_NE(records.back().statement.find("'***'"), std::string::npos);
  // Only auditors read the audit.
  EXPECT_THAT(Run(*alice, "SELECT count(*) FROM audit.log"), StatusIs(StatusCode::kPermissionDenied, "auditors"));
  EXPECT_NE(Rows(*admin_, "SELECT count(*) > 5 FROM audit.log WHERE actor = 'owner'"), "false");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify());
  EXPECT_TRUE(report.ok());
}

TEST_F(EnforcementTest, TagBoundMasksFollowTheTags) {
  SecurityControllerOptions o;
  o.lake_root = lake_->root();
  o.catalog_path = lake_->catalog_path();
  o.tags = [](const std::string& ns, const std::string& table) -> Result<std::map<std::string, std::set<std::string>>> {
    std::map<std::string, std::set<std::string>> out;
    if (ns == "clin" && table == "patient") out["family"] = {"pii:name"};
    return out;
  };
  ExecOk(*admin_, "CREATE POLICY names_hashed ON TAG 'pii:name' MASK USING HASH FOR PURPOSE (research)");
  auto open = [&](const std::string& purpose) {
    auto c = SecurityController::Open(o, SessionIdentity{"owner", "alice", "test", purpose});
    EXPECT_THAT(c, IsOk());
    engine::LakeSessionOptions so;
    so.access = *c;
    return std::move(*engine::LakeSession::Open(*lake_, so));
  };
  auto research = open("research");
  std::string hashed = Rows(*research, "SELECT family FROM clin.patient WHERE id = 1");
  EXPECT_EQ(hashed.size(), 24u) << hashed;
  EXPECT_NE(hashed, "Garcia");
  // Deterministic: the same person gets the same pseudonym in another session.
  auto again = open("research");
  EXPECT_EQ(Rows(*again, "SELECT family FROM clin.patient WHERE id = 1"), hashed);
  auto care = open("treatment");
  EXPECT_EQ(Rows(*care, "SELECT family FROM clin.patient WHERE id = 1"), "Garcia");
}

TEST_F(EnforcementTest, OnlyAdminsActAsOthersAndUnknownUsersAreRefused) {
  SecurityControllerOptions o;
  o.lake_root = lake_->root();
  o.catalog_path = lake_->catalog_path();
  EXPECT_THAT(SecurityController::Open(o, SessionIdentity{"alice", "bob", "test", ""}),
              StatusIs(StatusCode::kPermissionDenied, "only an admin"));
  EXPECT_THAT(SecurityController::Open(o, SessionIdentity{"owner", "nobody", "test", ""}),
              StatusIs(StatusCode::kPermissionDenied, "does not exist"));
  EXPECT_THAT(SecurityController::Open(o, SessionIdentity{"owner", "clinicians", "test", ""}),
              StatusIs(StatusCode::kPermissionDenied, "cannot log in"));
  ExecOk(*admin_, "ALTER USER bob DISABLE");
  EXPECT_THAT(SecurityController::Open(o, SessionIdentity{"owner", "bob", "test", ""}),
              StatusIs(StatusCode::kPermissionDenied, "cannot log in"));
}

}  // namespace
}  // namespace medlake::security

namespace medlake::security {
namespace {

// Rows of a prepared query run, like Rows().
std::string PreparedRows(engine::LakeSession& s, engine::LakeSession::PreparedQuery& q,
                         const std::vector<std::string>& literals, Status* status = nullptr) {
  std::string out;
  Status st = s.RunPrepared(q, literals, [&](size_t, engine::StatementOutcome& o) -> Status {
    if (!o.rows) return Status::OK();
    MEDLAKE_ASSIGN_OR_RETURN(auto rows, o.rows->FetchAll());
    for (const auto& r : rows) {
      if (!out.empty()) out += ";";
      for (size_t i = 0; i < r.size(); ++i) out += (i ? "|" : "") + r[i].ToText();
    }
    return Status::OK();
  });
  if (status) *status = st;
  return out;
}

TEST_F(EnforcementTest, PreparedQueriesKeepPoliciesAndFollowChanges) {
  auto alice = Session("alice");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto q, alice->PrepareQuery("SELECT id, dni FROM clin.patient WHERE id >= $1 ORDER BY id"));
  ASSERT_NE(q, nullptr);
  // Policies hold in the reused rewrite: the row filter (H01, H02) and the mask.
  EXPECT_EQ(PreparedRows(*alice, *q, {"2"}), "2|****;3|****");
  EXPECT_EQ(PreparedRows(*alice, *q, {"3"}), "3|****");
  const std::string epoch = q->epoch;
  // A value is data, never SQL.
  Status st;
  EXPECT_EQ(PreparedRows(*alice, *q, {"'1' OR 1=1"}, &st), "");
  EXPECT_FALSE(st.ok());
  // Another session's commit moves the snapshot: the next run sees the new row.
  ExecOk(*admin_, "INSERT INTO clin.patient VALUES (5, 'H02', 'Eva', 'Diaz', '33333333P', DATE '1999-09-09', 'F')");
  EXPECT_EQ(PreparedRows(*alice, *q, {"3"}), "3|****;5|****");
  EXPECT_NE(q->epoch, epoch);
  // A revoked privilege takes effect at the next run.
  ExecOk(*admin_, "REVOKE SELECT ON TABLE clin.patient FROM clinicians");
  EXPECT_EQ(PreparedRows(*alice, *q, {"1"}, &st), "");
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.ToString();
  // A scalar function that shares its name with a table function is fine in a CTAS select list;
  // the table function stays refused where a table stands.
  ExecOk(*admin_, "CREATE TABLE clin.pad AS SELECT id, repeat('x', 3) AS f FROM clin.patient");
  EXPECT_THAT(Run(*admin_, "CREATE TABLE clin.rows AS SELECT * FROM repeat(1, 3)"),
              StatusIs(StatusCode::kPermissionDenied, "repeat"));
  // Only plain queries are prepared.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto ddl, alice->PrepareQuery("INSERT INTO clin.patient SELECT * FROM clin.patient"));
  EXPECT_EQ(ddl, nullptr);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto two, alice->PrepareQuery("SELECT 1; SELECT 2"));
  EXPECT_EQ(two, nullptr);
  // Every run is audited with its values.
  auto records = AuditLog::Open(lake_->root() + "/audit");
  ASSERT_THAT(records, IsOk());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto all, (*records)->Read());
  int runs = 0;
  for (const auto& r : all) {
    if (r.statement == "SELECT id, dni FROM clin.patient WHERE id >= 3 ORDER BY id" && r.actor == "owner" &&
        r.acting_as == "alice") {
      ++runs;
      EXPECT_EQ(r.tables, std::vector<std::string>{"clin.patient"});
    }
  }
  EXPECT_EQ(runs, 2);
}

TEST_F(EnforcementTest, StatementsOfOneShapeShareARewriteThroughKeyIndexesUnderPolicies) {
  ExecOk(*admin_, "ALTER TABLE clin.patient WRITE ORDERED BY id; "
                  "ALTER TABLE clin.patient SET TBLPROPERTIES ('medlake.key-index' = 'true'); "
                  "CALL medlake.build_key_index('clin.patient')");
  auto alice = Session("alice");
  // The first statement of a shape is rewritten with its literals as parameters and run so;
  // later ones reuse the rewrite with their own literals, and the row filter and mask hold in
  // them: row 4 (H03) stays hidden, dni masked.
  EXPECT_EQ(Rows(*alice, "SELECT id, dni FROM clin.patient WHERE id = 1"), "1|****");
  EXPECT_EQ(Rows(*alice, "SELECT id, dni FROM clin.patient WHERE id = 4"), "");
  EXPECT_EQ(Rows(*alice, "SELECT id, dni FROM clin.patient WHERE id = 3"), "3|****");
  EXPECT_EQ(Rows(*alice, "SELECT id FROM clin.patient WHERE id IN (2, 4) ORDER BY id"), "2");
  EXPECT_EQ(Rows(*alice, "SELECT id FROM clin.patient WHERE id IN (3, 1) ORDER BY id"), "1;3");
  EXPECT_EQ(alice->statements_by_shape(), 5);
  // Each ran on DuckDB's kept plan of its shape's rewrite, the values bound.
  EXPECT_EQ(alice->executions_of_kept_plans(), 5);
  // A value of another kind is a statement of another shape (a string literal on an integer
  // key does not take the key index path): it runs as usual.
  EXPECT_EQ(Rows(*alice, "SELECT id FROM clin.patient WHERE id = '2'"), "2");
  EXPECT_EQ(Rows(*alice, "SELECT id FROM clin.patient WHERE id = '3'"), "3");
  EXPECT_EQ(alice->statements_by_shape(), 5);
  // Shapes whose rewrite reads Parquet (here: a predicate on a column that is not the key) are
  // never reused: the literals decide which files are read.
  EXPECT_EQ(Rows(*alice, "SELECT id FROM clin.patient WHERE hospital_id = 'H01' ORDER BY id"), "1;2");
  EXPECT_EQ(Rows(*alice, "SELECT id FROM clin.patient WHERE hospital_id = 'H02' ORDER BY id"), "3");
  EXPECT_EQ(alice->statements_by_shape(), 5);
  // A revoked privilege holds for the reused rewrite too.
  ExecOk(*admin_, "REVOKE SELECT ON TABLE clin.patient FROM clinicians");
  EXPECT_THAT(Run(*alice, "SELECT id, dni FROM clin.patient WHERE id = 2"), StatusIs(StatusCode::kPermissionDenied, ""));
  // Every statement is audited as sent.
  auto records = AuditLog::Open(lake_->root() + "/audit");
  ASSERT_THAT(records, IsOk());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto all, (*records)->Read());
  int seen = 0;
  for (const auto& r : all) {
    if (r.statement == "SELECT id, dni FROM clin.patient WHERE id = 3" && r.acting_as == "alice") ++seen;
  }
  EXPECT_EQ(seen, 1);
}

// A prepared run's rows, and its columns as "name:TYPE" (what a client is told).
std::pair<std::string, std::string> PreparedRowsAndColumns(engine::LakeSession& s, engine::LakeSession::PreparedQuery& q,
                                                           const std::vector<std::string>& literals) {
  std::string rows, columns;
  Status st = s.RunPrepared(q, literals, [&](size_t, engine::StatementOutcome& o) -> Status {
    if (!o.rows) return Status::OK();
    for (const auto& c : o.rows->columns()) columns += c.name + ":" + c.type_name + ",";
    MEDLAKE_ASSIGN_OR_RETURN(auto all, o.rows->FetchAll());
    for (const auto& r : all) {
      if (!rows.empty()) rows += ";";
      for (size_t i = 0; i < r.size(); ++i) rows += (i ? "|" : "") + r[i].ToText();
    }
    return Status::OK();
  });
  EXPECT_THAT(st, IsOk()) << q.text;
  return {rows, columns};
}

// A plain lookup by key is answered from the key indexes without running DuckDB's plan; it
// must give exactly what the plan gives: the same columns, rows, order, NULLs and values, in
// every file (a column added later is NULL in older files), for integer and text keys. Anything
// more than a plain lookup, a policy on the table, or a key value that is not bound as the
// comparison reads it runs the plan.
TEST_F(EnforcementTest, PlainKeyLookupsSkipThePlanAndGiveItsRows) {
  ExecOk(*admin_,
         "CREATE TABLE clin.kv (k BIGINT, s VARCHAR, n INTEGER, b BOOLEAN, d DATE, ts TIMESTAMP, tz TIMESTAMPTZ, "
         "f FLOAT, v DOUBLE, raw BLOB); "
         "ALTER TABLE clin.kv WRITE ORDERED BY k; "
         "ALTER TABLE clin.kv SET TBLPROPERTIES ('medlake.key-index' = 'true'); "
         "INSERT INTO clin.kv SELECT i % 40, CASE WHEN i % 9 = 0 THEN NULL ELSE 'v' || i END, CAST(i AS INTEGER), "
         "i % 2 = 0, DATE '2020-02-29' + CAST(i AS INTEGER), TIMESTAMP '1969-12-31 23:59:59.5' + to_seconds(i), "
         "TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_minutes(i), CAST(i AS FLOAT) / 4, "
         "CASE WHEN i % 7 = 0 THEN NULL ELSE i / 3.0 END, CAST('b' || i AS BLOB) FROM range(200) t(i); "
         "ALTER TABLE clin.kv ADD COLUMN late VARCHAR; "
         "INSERT INTO clin.kv SELECT i % 40 + 20, 'w' || i, CAST(i AS INTEGER), NULL, NULL, NULL, NULL, NULL, 1.5, "
         "NULL, 'late' || i FROM range(100) t(i); "
         "CREATE TABLE clin.by_text AS SELECT s AS code, k, v FROM clin.kv WHERE s IS NOT NULL; "
         "ALTER TABLE clin.by_text WRITE ORDERED BY code; "
         "ALTER TABLE clin.by_text SET TBLPROPERTIES ('medlake.key-index' = 'true'); "
         "CALL medlake.build_key_index('clin.by_text'); "
         "CREATE TABLE clin.no_rows (k BIGINT, s VARCHAR, d DATE); GRANT SELECT ON TABLE clin.no_rows TO clinicians; "
         // Keys with more rows than one chunk holds (2048), NULLs among them.
         "CREATE TABLE clin.many (k BIGINT, s VARCHAR, n INTEGER); ALTER TABLE clin.many WRITE ORDERED BY k; "
         "ALTER TABLE clin.many SET TBLPROPERTIES ('medlake.key-index' = 'true'); "
         "INSERT INTO clin.many SELECT i % 2, CASE WHEN i % 1000 = 7 THEN NULL ELSE 's' || i END, "
         "CASE WHEN i % 3 = 0 THEN NULL ELSE CAST(i AS INTEGER) END FROM range(9000) t(i); "
         "GRANT SELECT ON TABLE clin.many TO clinicians; "
         "GRANT SELECT ON TABLE clin.kv TO clinicians; GRANT SELECT ON TABLE clin.by_text TO clinicians");
  auto alice = Session("alice");
  struct Values {
    std::vector<std::string> literals;
    bool direct = true;  // whether they take the direct way
  };
  struct Pair {
    std::string direct, plan;
    std::vector<Values> values;
  };
  const std::vector<Pair> pairs = {
      {"SELECT * FROM clin.kv WHERE k = $1",
       "SELECT * FROM clin.kv WHERE k = $1 LIMIT 100000 OFFSET 0",
       // Numbers (a cast to an integer type or a plain number in a string is one) and strings
       // for a text key go the direct way; a string the plan does not bind as a number (' 23')
       // runs with the value in the text, where DuckDB's cast decides.
       {{{"25"}},
        {{"3"}},
        {{"39"}},
        {{"55"}},
        {{"1000"}},
        {{"-1"}},
        {{"CAST('21' AS BIGINT)"}},
        {{"'22'"}},
        {{"' 23'"}, false}}},
      {"select late, K, s, v, k, raw from clin.kv as t where k = $1;",
       "select late, K, s, v, k, raw from clin.kv as t where k = $1 and true",
       {{{"25"}}, {{"0"}}, {{"59"}}}},
      {"SELECT v, k FROM clin.by_text WHERE code = $1",
       "SELECT v, k FROM clin.by_text WHERE code = $1 OR false",
       {{{"'v1'"}}, {{"'w5'"}}, {{"'nobody'"}}, {{"''"}}}},
      // IN lists (a key given twice is looked up once; NULL equals nothing and runs the plan).
      {"SELECT * FROM clin.kv WHERE k IN ($1, $2, $3)",
       "SELECT * FROM clin.kv WHERE k IN ($1, $2, $3) LIMIT 100000 OFFSET 0",
       {{{"25", "3", "39"}},
        {{"55", "3", "3"}},
        {{"1000", "-1", "0"}},
        {{"CAST('21' AS BIGINT)", "'22'", "20"}},
        {{"' 23'", "1", "2"}, false},
        {{"NULL", "1", "2"}, false}}},
      // Qualified names, aliases, a value item, ORDER BY over strings with NULLs first.
      {"SELECT t.*, $4 AS tag FROM clin.kv t WHERE t.k IN ($1, $2, $3) ORDER BY t.s DESC NULLS FIRST, n",
       "SELECT t.*, $4 AS tag FROM clin.kv t WHERE t.k IN ($1, $2, $3) ORDER BY t.s DESC NULLS FIRST, n LIMIT 100000 OFFSET 0",
       {{{"25", "3", "45", "'x'"}},
        {{"27", "9", "0", "7"}},
        {{"27", "9", "0", "5000000000"}},
        {{"27", "9", "0", "CAST('8' AS INTEGER)"}},
        {{"27", "9", "0", "NULL"}, false},
        {{"27", "9", "0", "CAST('2020-01-01' AS DATE)"}, false},
        {{"27", "9", "0", "'back'"}}}},  // each plan is matched: a text value takes the direct way again
      // Default NULL order (last, also for DESC), dates, timestamps, booleans, blobs.
      {"select $3 as person, s AS name, late, k AS key from clin.kv as t where k in ($1, $2) "
       "order by late nulls first, d desc, ts, tz DESC, b, n;",
       "select $3 as person, s AS name, late, k AS key from clin.kv as t where k in ($1, $2) "
       "order by late nulls first, d desc, ts, tz DESC, b, n limit 100000 offset 0;",
       {{{"25", "5", "'p'"}}, {{"30", "21", "'q'"}}, {{"59", "1", "'r'"}}}},
      {"SELECT k, n, raw FROM clin.kv WHERE k IN ($1, $2) ORDER BY d DESC, raw, n",
       "SELECT k, n, raw FROM clin.kv WHERE k IN ($1, $2) ORDER BY d DESC, raw, n LIMIT 100000 OFFSET 0",
       {{{"25", "45"}}, {{"26", "3"}}}},
      {"SELECT b, n FROM clin.kv WHERE k = $1 ORDER BY b DESC, ts ASC NULLS LAST, n DESC",
       "SELECT b, n FROM clin.kv WHERE k = $1 ORDER BY b DESC, ts ASC NULLS LAST, n DESC LIMIT 100000 OFFSET 0",
       {{{"25"}}, {{"50"}}}},
      // A table without rows: any string, int or long column is a key (nothing is read).
      {"SELECT t.*, $2 AS tag FROM clin.no_rows t WHERE t.s IN ($1) ORDER BY t.k",
       "SELECT t.*, $2 AS tag FROM clin.no_rows t WHERE t.s IN ($1) ORDER BY t.k LIMIT 100000 OFFSET 0",
       {{{"'a'", "7"}}, {{"'b'", "'x'"}}}},
      // LIMIT: after the sort, or, without ORDER BY, where it does not bind (which rows a binding
      // LIMIT keeps is then up to each side); LIMIT 0.
      {"SELECT k, n, late FROM clin.kv WHERE k IN ($1, $2) ORDER BY n DESC, late NULLS FIRST LIMIT 3",
       "SELECT k, n, late FROM clin.kv WHERE k IN ($1, $2) ORDER BY n DESC, late NULLS FIRST LIMIT 3 OFFSET 0",
       {{{"25", "45"}}, {{"26", "3"}}, {{"1000", "-1"}}}},
      {"SELECT * FROM clin.kv WHERE k = $1 LIMIT 1000;",
       "SELECT * FROM clin.kv WHERE k = $1 LIMIT 1000 OFFSET 0;",
       {{{"25"}}, {{"3"}}}},
      {"SELECT s FROM clin.many WHERE k = $1 ORDER BY s LIMIT 2100",
       "SELECT s FROM clin.many WHERE k = $1 ORDER BY s LIMIT 2100 OFFSET 0",
       {{{"1"}}, {{"0"}}}},
      {"SELECT * FROM clin.kv WHERE k = $1 LIMIT 0", "SELECT * FROM clin.kv WHERE k = $1 LIMIT 0 OFFSET 0", {{{"25"}}}},
      {"SELECT * FROM clin.many WHERE k = $1",
       "SELECT * FROM clin.many WHERE k = $1 LIMIT 100000 OFFSET 0",
       {{{"1"}}, {{"0"}}, {{"5"}}, {{"1"}}}},
      {"SELECT code AS c, v FROM clin.by_text AS bt WHERE bt.code IN ($1, $2, $3) ORDER BY code DESC",
       "SELECT code AS c, v FROM clin.by_text AS bt WHERE bt.code IN ($1, $2, $3) ORDER BY code DESC LIMIT 100000 OFFSET 0",
       {{{"'v1'", "'w5'", "'v10'"}}, {{"'nobody'", "''", "'v2'"}}}},
  };
  for (const auto& p : pairs) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto direct, alice->PrepareQuery(p.direct));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto plan, alice->PrepareQuery(p.plan));
    ASSERT_NE(direct, nullptr);
    ASSERT_NE(plan, nullptr);
    for (const auto& values : p.values) {
      const std::string with = p.direct + " with " + values.literals[0] + ", ...";
      const int64_t before = alice->direct_lookups();
      auto got = PreparedRowsAndColumns(*alice, *direct, values.literals);
      EXPECT_EQ(alice->direct_lookups(), before + (values.direct ? 1 : 0)) << with;
      auto want = PreparedRowsAndColumns(*alice, *plan, values.literals);
      EXPECT_EQ(alice->direct_lookups(), before + (values.direct ? 1 : 0)) << with;
      EXPECT_EQ(got.first, want.first) << with;
      EXPECT_EQ(got.second, want.second) << with;
      EXPECT_FALSE(want.second.empty());
    }
    EXPECT_TRUE(direct->direct.has_value()) << p.direct;
    EXPECT_FALSE(plan->direct.has_value()) << p.plan;
  }
  // Statements sent as text with their literals go the same way (QueryShapeOf makes $n of the
  // select-list constant and of the keys), and give what the plan gives.
  for (const std::string text : {"SELECT 7 AS person, t.* FROM clin.kv t WHERE t.k IN (3, 25) ORDER BY t.n DESC",
                                 "SELECT n, s FROM clin.kv WHERE k = 21 ORDER BY s"}) {
    const int64_t before = alice->direct_lookups();
    std::string got = Rows(*alice, text);
    EXPECT_EQ(alice->direct_lookups(), before + 1) << text;
    std::string want = Rows(*alice, text + " LIMIT 100000 OFFSET 0");
    EXPECT_EQ(alice->direct_lookups(), before + 1) << text;
    EXPECT_EQ(got, want) << text;
    EXPECT_GE(std::count(got.begin(), got.end(), ';'), 4) << got;
  }
  // The rows are really there (not two empty answers agreeing).
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto count, alice->PrepareQuery("SELECT n FROM clin.kv WHERE k = $1"));
  ASSERT_NE(count, nullptr);
  std::string n = PreparedRowsAndColumns(*alice, *count, {"25"}).first;  // in file order
  std::vector<int> ns;
  for (size_t at = 0; at < n.size();) {
    size_t end = n.find(';', at);
    ns.push_back(std::stoi(n.substr(at, end == std::string::npos ? std::string::npos : end - at)));
    at = end == std::string::npos ? n.size() : end + 1;
  }
  std::sort(ns.begin(), ns.end());
  EXPECT_EQ(ns, (std::vector<int>{5, 25, 45, 65, 85, 105, 145, 185}));
  // A policy on the table: the plan runs, and the policy holds.
  ExecOk(*admin_, "CREATE POLICY kv_mask ON TABLE clin.kv MASK COLUMN s USING REDACT");
  auto alice2 = Session("alice");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto masked, alice2->PrepareQuery("SELECT k, s FROM clin.kv WHERE k = $1"));
  ASSERT_NE(masked, nullptr);
  EXPECT_EQ(PreparedRowsAndColumns(*alice2, *masked, {"1"}).first, "1|****;1|****;1|NULL;1|****;1|****");
  EXPECT_EQ(alice2->direct_lookups(), 0);
  // Other shapes are not plain lookups.
  for (const std::string other :
       {"SELECT k + 1 FROM clin.kv WHERE k = $1", "SELECT k FROM clin.kv WHERE k = $1 AND n > 3",
        "SELECT k FROM clin.kv WHERE $1 = k", "SELECT DISTINCT k FROM clin.kv WHERE k = $1",
        // a float or double order, a position, an alias of another column, a value item
        "SELECT k FROM clin.kv WHERE k = $1 ORDER BY v", "SELECT k FROM clin.kv WHERE k = $1 ORDER BY f DESC",
        "SELECT k FROM clin.kv WHERE k = $1 ORDER BY 1", "SELECT s AS n, n FROM clin.kv WHERE k = $1 ORDER BY n",
        "SELECT $2 AS tag, k FROM clin.kv WHERE k = $1 ORDER BY tag", "SELECT $1 AS tag, k FROM clin.kv WHERE k = $1",
        "SELECT k FROM clin.kv WHERE k IN ($1, 3)", "SELECT k FROM clin.kv WHERE k = $1 ORDER BY lower(s)",
        "SELECT x.k FROM clin.kv t WHERE k = $1", "SELECT *, * FROM clin.kv WHERE k = $1",
        "SELECT k FROM clin.kv WHERE k = $1 ORDER BY k LIMIT 3"}) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto q, alice2->PrepareQuery(other));
    ASSERT_NE(q, nullptr);
    EXPECT_FALSE(q->direct.has_value()) << other;
  }
}

TEST_F(EnforcementTest, PreparedKeyLookupsKeepTheirPlanAndTheirPolicies) {
  ExecOk(*admin_, "ALTER TABLE clin.patient WRITE ORDERED BY id; "
                  "ALTER TABLE clin.patient SET TBLPROPERTIES ('medlake.key-index' = 'true'); "
                  "CALL medlake.build_key_index('clin.patient')");
  auto alice = Session("alice");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto q, alice->PrepareQuery("SELECT $2 AS tag, id, dni FROM clin.patient WHERE id = $1"));
  ASSERT_NE(q, nullptr);
  // A client's values in each literal form; the row filter (row 4 is H03) and mask hold.
  EXPECT_EQ(PreparedRows(*alice, *q, {"CAST('1' AS INTEGER)", "'a'"}), "a|1|****");
  EXPECT_EQ(PreparedRows(*alice, *q, {"CAST('3' AS INTEGER)", "'b'"}), "b|3|****");
  EXPECT_EQ(PreparedRows(*alice, *q, {"CAST('4' AS INTEGER)", "'c'"}), "");
  EXPECT_EQ(PreparedRows(*alice, *q, {"'2'", "'d'"}), "d|2|****");
  EXPECT_EQ(PreparedRows(*alice, *q, {"2", "7"}), "7|2|****");
  EXPECT_EQ(PreparedRows(*alice, *q, {"NULL", "'e'"}), "");
  EXPECT_FALSE(q->reads_parquet);
  EXPECT_EQ(q->key_parameters, (std::vector<engine::KeyParameter>{{1, true}}));
  // Values of a form without a binding (NULL) run with the value in the text.
  EXPECT_EQ(alice->executions_of_kept_plans(), 5);
  // A value that is no key runs with the value in its text: DuckDB's own cast decides.
  Status st;
  EXPECT_EQ(PreparedRows(*alice, *q, {"'x'", "'f'"}, &st), "");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("x"), std::string::npos) << st.ToString();
  // A text key: string values use the key index; a value of another type compares as DuckDB
  // compares it (the column cast), with the value in the text.
  ExecOk(*admin_, "CREATE TABLE clin.by_dni AS SELECT dni, id FROM clin.patient; "
                  "ALTER TABLE clin.by_dni WRITE ORDERED BY dni; "
                  "ALTER TABLE clin.by_dni SET TBLPROPERTIES ('medlake.key-index' = 'true'); "
                  "CALL medlake.build_key_index('clin.by_dni'); GRANT SELECT ON TABLE clin.by_dni TO clinicians");
  auto alice2 = Session("alice");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto by_dni, alice2->PrepareQuery("SELECT id FROM clin.by_dni WHERE dni = $1"));
  ASSERT_NE(by_dni, nullptr);
  EXPECT_EQ(PreparedRows(*alice2, *by_dni, {"'11111111H'"}), "3");
  EXPECT_EQ(by_dni->key_parameters, (std::vector<engine::KeyParameter>{{1, false}}));
  EXPECT_EQ(PreparedRows(*alice2, *by_dni, {"'nobody'"}), "");
  EXPECT_EQ(alice2->executions_of_kept_plans(), 2);
  PreparedRows(*alice2, *by_dni, {"CAST('5' AS INTEGER)"}, &st);
  EXPECT_EQ(alice2->executions_of_kept_plans(), 2);
  // A commit moves the access epoch: rewritten and planned again, the new row seen.
  ExecOk(*admin_, "INSERT INTO clin.patient VALUES (5, 'H02', 'Eva', 'Diaz', '33333333P', DATE '1999-09-09', 'F')");
  EXPECT_EQ(PreparedRows(*alice, *q, {"CAST('5' AS INTEGER)", "'g'"}), "g|5|****");
  EXPECT_EQ(alice->executions_of_kept_plans(), 6);
  // A revoked privilege takes effect at the next run.
  ExecOk(*admin_, "REVOKE SELECT ON TABLE clin.patient FROM clinicians");
  EXPECT_EQ(PreparedRows(*alice, *q, {"CAST('1' AS INTEGER)", "'h'"}, &st), "");
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.ToString();
  // Each run is audited with its values.
  auto records = AuditLog::Open(lake_->root() + "/audit");
  ASSERT_THAT(records, IsOk());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto all, (*records)->Read());
  int seen = 0;
  for (const auto& r : all) {
    if (r.statement == "SELECT 'b' AS tag, id, dni FROM clin.patient WHERE id = CAST('3' AS INTEGER)" &&
        r.acting_as == "alice" && r.outcome == "ok") {
      ++seen;
    }
  }
  EXPECT_EQ(seen, 1);
}

TEST_F(EnforcementTest, AGroupOfStatementsIsAuditedTogetherWhenItEnds) {
  auto alice = Session("alice");
  auto records_of = [&](const std::string& statement) {
    std::vector<AuditRecord> out;
    auto log = AuditLog::Open(lake_->root() + "/audit");
    EXPECT_THAT(log, IsOk());
    if (!log.ok()) return out;
    auto all = (*log)->Read();
    EXPECT_THAT(all, IsOk());
    if (!all.ok()) return out;
    for (const auto& r : *all) {
      if (r.statement == statement && r.acting_as == "alice") out.push_back(r);
    }
    return out;
  };
  const std::string one = "SELECT id FROM clin.patient WHERE id = 1";
  const std::string two = "SELECT id FROM clin.patient WHERE id = 2";
  {
    engine::AuditGroup group(alice->access());
    EXPECT_EQ(Rows(*alice, one), "1");
    EXPECT_EQ(Rows(*alice, two), "2");
    EXPECT_TRUE(records_of(one).empty());  // held until the group ends
    MEDLAKE_ASSERT_OK(group.End());
  }
  auto first = records_of(one);
  auto second = records_of(two);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].seq, first[0].seq + 1);
  EXPECT_EQ(second[0].prev_hash, first[0].hash);
  EXPECT_EQ(first[0].tables, std::vector<std::string>{"clin.patient"});
  // A group left without End() is written when it goes (e.g. an early error return).
  const std::string three = "SELECT id FROM clin.patient WHERE id = 3";
  {
    engine::AuditGroup group(alice->access());
    EXPECT_EQ(Rows(*alice, three), "3");
  }
  EXPECT_EQ(records_of(three).size(), 1u);
  // Outside a group, each statement's record is written before it returns.
  EXPECT_EQ(Rows(*alice, "SELECT id FROM clin.patient WHERE id = 4"), "");
  EXPECT_EQ(records_of("SELECT id FROM clin.patient WHERE id = 4").size(), 1u);
}

TEST_F(EnforcementTest, SessionsTellWhetherTheyRanMoreThanQueries) {
  auto alice = Session("alice");
  EXPECT_FALSE(alice->ran_other_than_queries());
  EXPECT_EQ(Rows(*alice, "SELECT id FROM clin.patient WHERE id = 1"), "1");
  EXPECT_EQ(Rows(*alice, "(SELECT 1)"), "1");
  EXPECT_FALSE(alice->ran_other_than_queries());
  // WITH may lead other statements: counted, as a temporary table is.
  EXPECT_EQ(Rows(*alice, "WITH x AS (SELECT 2 AS v) SELECT v FROM x"), "2");
  EXPECT_TRUE(alice->ran_other_than_queries());
  alice->ForgetStatementKinds();
  EXPECT_FALSE(alice->ran_other_than_queries());
  (void)Run(*alice, "CREATE TEMP TABLE t AS SELECT 1 AS x");
  EXPECT_TRUE(alice->ran_other_than_queries());
}

TEST(QueryShapeTest, TakesOutTheLiteralsOfKeyComparisonsOnly) {
  auto shape = engine::QueryShapeOf("SELECT * FROM n.t WHERE k = 'a' AND n IN (1, 2) ORDER BY 1 LIMIT 5");
  ASSERT_TRUE(shape.has_value());
  EXPECT_EQ(shape->text, "SELECT * FROM n.t WHERE k = $1 AND n IN ($2, $3) ORDER BY 1 LIMIT 5");
  EXPECT_EQ(shape->literals, (std::vector<std::string>{"'a'", "1", "2"}));
  ASSERT_EQ(shape->kinds.size(), 3u);
  EXPECT_EQ(shape->kinds[0], engine::ColumnPredicate::Kind::kString);
  EXPECT_EQ(shape->kinds[1], engine::ColumnPredicate::Kind::kInteger);
  // Literals bound to anything else stay.
  for (const std::string sql : {"SELECT * FROM t WHERE k = 'a' || 'b'", "SELECT * FROM t WHERE d = '2024-01-01'::DATE",
                                "SELECT * FROM t WHERE k = -5", "SELECT * FROM t WHERE k = 1.5",
                                "SELECT CASE WHEN k = 1 THEN 2 END FROM t", "SELECT * FROM t LIMIT 5",
                                "SELECT * FROM t WHERE k = $1", "INSERT INTO t VALUES (1)", "SELECT 'a' = k FROM t",
                                "SELECT * FROM t WHERE k IN (1, 2 + 3)"}) {
    auto other = engine::QueryShapeOf(sql);
    EXPECT_TRUE(!other.has_value() || other->text.find("$") == std::string::npos ||
                sql == "SELECT * FROM t WHERE k IN (1, 2 + 3)")
        << sql << " -> " << (other ? other->text : "");
  }
  auto aliased = engine::QueryShapeOf("SELECT 7 AS person, t.* FROM t WHERE k = 'a'");
  ASSERT_TRUE(aliased.has_value());
  EXPECT_EQ(aliased->text, "SELECT $1 AS person, t.* FROM t WHERE k = $2");
  auto partial = engine::QueryShapeOf("SELECT * FROM t WHERE k IN (1, 2 + 3)");
  ASSERT_TRUE(partial.has_value());
  EXPECT_EQ(partial->text, "SELECT * FROM t WHERE k IN ($1, 2 + 3)");
}

}  // namespace
}  // namespace medlake::security
