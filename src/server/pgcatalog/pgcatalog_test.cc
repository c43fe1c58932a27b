#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/testing/status_matchers.h"
#include "server/pgcatalog/catalog_shim.h"

namespace medlake::server::pgcatalog {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Rows = std::vector<std::vector<std::string>>;

std::vector<ShimTable> SampleTables() {
  ShimTable patient;
  patient.namespace_name = "normalized";
  patient.name = "patient";
  patient.comment = "One row per patient";
  patient.columns = {
      {"person_id", "BIGINT", false, "Person key"},
      {"name", "VARCHAR", true, ""},
      {"birth_date", "DATE", true, ""},
      {"deceased", "BOOLEAN", true, ""},
      {"weight", "DOUBLE", true, ""},
      {"amount", "DECIMAL(18,3)", true, ""},
      {"updated", "TIMESTAMP WITH TIME ZONE", true, ""},
      {"tags", "VARCHAR[]", true, ""},
  };
  ShimTable messages;
  messages.namespace_name = "raw";
  messages.name = "hl7_messages";
  messages.columns = {{"id", "BIGINT", true, ""},
                      {"body", "VARCHAR", true, ""},
                      {"segments", "STRUCT(name VARCHAR, fields VARCHAR[])[]", true, ""},
                      {"received", "TIMESTAMP", true, ""},
                      {"small", "INTEGER", true, ""},
                      {"uid", "UUID", true, ""},
                      {"payload", "BLOB", true, ""}};
  return {patient, messages};
}

ShimOptions SampleOptions() {
  ShimOptions options;
  options.user = "alice";
  options.database = "medlake";
  options.server_version = "15.0 (medlake 0.1.0)";
  options.namespaces = {"curated", "normalized", "raw"};
  return options;
}

std::string Cell(const engine::Value& v) { return v.is_null() ? "NULL" : v.ToText(); }

Result<Rows> RunAll(CatalogShim& shim, std::string_view sql) {
  MEDLAKE_ASSIGN_OR_RETURN(auto result, shim.Run(sql));
  MEDLAKE_ASSIGN_OR_RETURN(auto values, result->FetchAll());
  Rows rows;
  for (const auto& row : values) {
    std::vector<std::string> cells;
    for (const auto& v : row) {
      cells.push_back(Cell(v));
    }
    rows.push_back(std::move(cells));
  }
  return rows;
}

// The queries of testdata/<file>.sql (each after a "-- query" line), with {oid} replaced by `oid`.
std::vector<std::string> TestdataQueries(const std::string& file, uint32_t oid) {
  const char* root = std::getenv("MEDLAKE_SOURCE_DIR");
  std::string path = std::string(root != nullptr ? root : ".") + "/src/server/pgcatalog/testdata/" + file + ".sql";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  for (size_t at = text.find("{oid}"); at != std::string::npos; at = text.find("{oid}")) {
    text.replace(at, 5, std::to_string(oid));
  }
  std::vector<std::string> queries;
  const std::string marker = "-- query ";
  size_t at = text.find(marker);
  while (at != std::string::npos) {
    size_t body = text.find('\n', at) + 1;
    size_t next = text.find(marker, body);
    queries.push_back(
        text.substr(body, next == std::string::npos ? std::string::npos : next - body));
    at = next;
  }
  return queries;
}

// The queries psql 15 sends for one command (testdata/psql15_<name>.sql).
std::vector<std::string> PsqlQueries(const std::string& name, uint32_t oid) {
  return TestdataQueries("psql15_" + name, oid);
}

class CatalogShimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto shim = CatalogShim::Build(SampleTables(), SampleOptions());
    ASSERT_TRUE(shim.ok()) << shim.status().ToString();
    shim_ = std::move(*shim);
    patient_oid_ = shim_->TableOidForTest("normalized", "patient");
    ASSERT_NE(patient_oid_, 0u);
  }

  // Runs every query psql sends for one command; each must succeed. Returns their rows.
  std::vector<Rows> RunPsql(const std::string& name) {
    std::vector<Rows> all;
    for (const std::string& q : PsqlQueries(name, patient_oid_)) {
      EXPECT_TRUE(shim_->IsCatalogQuery(q)) << q;
      auto rows = RunAll(*shim_, q);
      EXPECT_TRUE(rows.ok()) << rows.status().ToString() << "\n"
                             << q << "\nrewritten:\n"
                             << RewriteCatalogQuery(q).value();
      all.push_back(rows.ok() ? *rows : Rows{});
    }
    return all;
  }

  std::unique_ptr<CatalogShim> shim_;
  uint32_t patient_oid_ = 0;
};

// Column i of every row.
std::vector<std::string> Column(const Rows& rows, size_t i) {
  std::vector<std::string> out;
  for (const auto& row : rows) {
    out.push_back(i < row.size() ? row[i] : "<missing>");
  }
  return out;
}

TEST_F(CatalogShimTest, PsqlListSchemasShowsLakeNamespacesOnly) {
  std::vector<Rows> dn = RunPsql("dn");
  ASSERT_EQ(dn.size(), 1u);
  EXPECT_THAT(Column(dn[0], 0), ElementsAre("curated", "normalized", "public", "raw"));
  EXPECT_THAT(Column(dn[0], 1), ElementsAre("alice", "alice", "alice", "alice"));
  std::vector<Rows> dn_plus = RunPsql("dn_plus");
  ASSERT_EQ(dn_plus.size(), 1u);
  EXPECT_THAT(Column(dn_plus[0], 3), ElementsAre("NULL", "NULL", "standard public schema", "NULL"));
}

TEST_F(CatalogShimTest, PsqlListTablesShowsEveryLakeTable) {
  // \dt filters with pg_table_is_visible: every lake table counts as visible (there is no
  // search_path over lake namespaces), so \dt and \d without a pattern list them all.
  for (const char* command : {"dt", "d"}) {
    std::vector<Rows> dt = RunPsql(command);
    ASSERT_EQ(dt.size(), 1u);
    EXPECT_THAT(dt[0], ElementsAre(ElementsAre("normalized", "patient", "table", "alice"),
                                   ElementsAre("raw", "hl7_messages", "table", "alice")))
        << command;
  }
  std::vector<Rows> dt_plus = RunPsql("dt_plus");
  ASSERT_EQ(dt_plus.size(), 1u);
  ASSERT_EQ(dt_plus[0].size(), 2u);
  EXPECT_EQ(dt_plus[0][0][7], "One row per patient");
  EXPECT_EQ(dt_plus[0][1][7], "NULL");
  std::vector<Rows> pattern = RunPsql("dt_namespace_pattern");
  ASSERT_EQ(pattern.size(), 1u);
  EXPECT_THAT(pattern[0], ElementsAre(ElementsAre("normalized", "patient", "table", "alice")));
}

TEST_F(CatalogShimTest, PsqlDescribeTableNamesColumnsWithPostgresTypes) {
  std::vector<Rows> d = RunPsql("d_table");
  ASSERT_EQ(d.size(), 8u);
  EXPECT_THAT(d[0],
              ElementsAre(ElementsAre(std::to_string(patient_oid_), "normalized", "patient")));
  ASSERT_EQ(d[1].size(), 1u);
  EXPECT_EQ(d[1][0][1], "r");  // relkind
  EXPECT_EQ(d[1][0][14], "heap");
  EXPECT_THAT(Column(d[2], 0), ElementsAre("person_id", "name", "birth_date", "deceased", "weight",
                                           "amount", "updated", "tags"));
  EXPECT_THAT(Column(d[2], 1), ElementsAre("bigint", "text", "date", "boolean", "double precision",
                                           "numeric(18,3)", "timestamp with time zone", "text[]"));
  EXPECT_THAT(Column(d[2], 3),
              ElementsAre("true", "false", "false", "false", "false", "false", "false", "false"));
  for (size_t i = 3; i < d.size(); ++i) {
    EXPECT_TRUE(d[i].empty()) << "footer query " << i;  // policies, statistics, publications...
  }
  std::vector<Rows> unqualified = RunPsql("d_unqualified_table");
  ASSERT_EQ(unqualified.size(), 1u);
  EXPECT_THAT(Column(unqualified[0], 2), ElementsAre("patient"));
}

TEST_F(CatalogShimTest, PsqlDescribePlusShowsColumnComments) {
  std::vector<Rows> d = RunPsql("d_plus_table");
  ASSERT_EQ(d.size(), 8u);
  ASSERT_EQ(d[2].size(), 8u);
  EXPECT_THAT(Column(d[2], 10),
              ElementsAre("Person key", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL"));
  EXPECT_THAT(Column(d[2], 7), ElementsAre("p", "x", "p", "p", "p", "m", "p", "x"));  // storage
}

TEST_F(CatalogShimTest, PsqlListDatabasesRolesViewsFunctions) {
  std::vector<Rows> l = RunPsql("l");
  ASSERT_EQ(l.size(), 1u);
  ASSERT_EQ(l[0].size(), 1u);
  EXPECT_EQ(l[0][0][0], "medlake");
  EXPECT_EQ(l[0][0][2], "UTF8");
  std::vector<Rows> du = RunPsql("du");
  ASSERT_EQ(du.size(), 1u);
  EXPECT_THAT(Column(du[0], 0), ElementsAre("alice"));
  EXPECT_TRUE(RunPsql("dv")[0].empty());
  EXPECT_TRUE(RunPsql("df")[0].empty());
}

TEST_F(CatalogShimTest, TypesOfOtherShapes) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      Rows rows, RunAll(*shim_,
                        "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), "
                        "a.atttypid FROM pg_catalog.pg_attribute a WHERE a.attrelid = "
                        "'raw.hl7_messages'::pg_catalog.regclass ORDER BY a.attnum"));
  EXPECT_THAT(rows,
              ElementsAre(ElementsAre("id", "bigint", "20"), ElementsAre("body", "text", "25"),
                          ElementsAre("segments", "text[]", "1009"),
                          ElementsAre("received", "timestamp without time zone", "1114"),
                          ElementsAre("small", "integer", "23"), ElementsAre("uid", "uuid", "2950"),
                          ElementsAre("payload", "bytea", "17")));
}

TEST(PgTypeForDuckDbTypeTest, MapsSpellings) {
  EXPECT_EQ(PgTypeForDuckDbType("BIGINT").oid, 20u);
  EXPECT_EQ(PgTypeForDuckDbType("DECIMAL(18,3)").type_name, "numeric(18,3)");
  EXPECT_EQ(PgTypeForDuckDbType("DECIMAL(18,3)").typmod, (18 << 16 | 3) + 4);
  EXPECT_EQ(PgTypeForDuckDbType("DECIMAL(10,2)[]").oid, 1231u);
  EXPECT_EQ(PgTypeForDuckDbType("TIMESTAMP WITH TIME ZONE").oid, 1184u);
  EXPECT_EQ(PgTypeForDuckDbType("TIMESTAMP").oid, 1114u);
  EXPECT_EQ(PgTypeForDuckDbType("TIME").oid, 1083u);
  EXPECT_EQ(PgTypeForDuckDbType("INTEGER[][]").type_name, "integer[]");
  EXPECT_EQ(PgTypeForDuckDbType("INTEGER[3]").oid, 1007u);
  EXPECT_EQ(PgTypeForDuckDbType("MAP(VARCHAR, INTEGER)").oid, 25u);
  EXPECT_EQ(PgTypeForDuckDbType("STRUCT(a INTEGER)").type_name, "text");
  EXPECT_EQ(PgTypeForDuckDbType("FLOAT").type_name, "real");
  EXPECT_EQ(PgTypeForDuckDbType("HUGEINT").type_name, "numeric");
}

TEST_F(CatalogShimTest, IsCatalogQueryAcceptsCatalogReads) {
  for (const char* sql : {
           "SELECT version()",
           "select current_schema()",
           "SELECT current_setting('server_version_num')",
           "SELECT oid, typname FROM pg_type",
           "SELECT * FROM information_schema.tables WHERE table_schema = 'normalized'",
           "SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname !~ '^pg_';",
           "SELECT current_user",
           "SHOW TRANSACTION ISOLATION LEVEL",
           "show server_version",
           "WITH t AS (SELECT relname FROM pg_class) SELECT * FROM t",
           "SELECT 'normalized.patient'::regclass",
           "SELECT pg_catalog.set_config('search_path', '', false)",
       }) {
    EXPECT_TRUE(shim_->IsCatalogQuery(sql)) << sql;
  }
}

TEST_F(CatalogShimTest, IsCatalogQueryRefusesLakeAndTrivialQueries) {
  for (const char* sql : {
           "SELECT 1",
           "SELECT now()",
           "SELECT * FROM normalized.patient",
           "SELECT count(*) FROM patient",
           // A lake table in a subquery of a catalog query.
           "SELECT relname FROM pg_class WHERE relname IN (SELECT name FROM normalized.patient)",
           "SELECT version(), (SELECT max(person_id) FROM normalized.patient)",
           // 'pg_catalog' only inside a string literal or a comment.
           "SELECT name FROM normalized.patient WHERE name = 'pg_catalog.pg_class'",
           "SELECT * FROM normalized.patient -- pg_catalog.pg_class",
           "SELECT * FROM read_csv('/etc/passwd') WHERE 'a' = current_schema()",
           "SELECT version(); SELECT * FROM normalized.patient",
           "SHOW TABLES",
           "SHOW medlake.purpose",
           "SET search_path = public",
           "INSERT INTO pg_class VALUES (1)",
           "DROP TABLE pg_catalog.pg_class",
           "select pg_catalog.version( from",
       }) {
    EXPECT_FALSE(shim_->IsCatalogQuery(sql)) << sql;
  }
}

TEST_F(CatalogShimTest, RegclassCastsLookUpAndName) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      Rows rows,
      RunAll(*shim_,
             "SELECT 'normalized.patient'::regclass, 'patient'::pg_catalog.regclass, "
             "'\"normalized\".\"patient\"'::regclass, "
             "(SELECT c.oid::pg_catalog.regclass::pg_catalog.text FROM "
             "pg_catalog.pg_class c WHERE c.relname = 'patient'), 'int8'::regtype, "
             "20::regtype::text, 'normalized'::regnamespace::oid, 'pg_class'::regclass"));
  std::string oid = std::to_string(patient_oid_);
  EXPECT_THAT(rows, ElementsAre(ElementsAre(oid, oid, oid, "normalized.patient", "20", "bigint",
                                            "16385", "1259")));
}

TEST_F(CatalogShimTest, DriverConnectProbes) {
  struct Case {
    const char* sql;
    Rows expected;
  };
  const Case cases[] = {
      {"SHOW TRANSACTION ISOLATION LEVEL", {{"read committed"}}},
      {"select current_setting('server_version_num')", {{"150000"}}},
      {"SHOW server_version", {{"15.0 (medlake 0.1.0)"}}},
      {"SHOW DateStyle", {{"ISO, MDY"}}},
      {"select current_schema()", {{"public"}}},
      {"SELECT current_database(), current_user, session_user", {{"medlake", "alice", "alice"}}},
      {"SELECT oid, typname FROM pg_type WHERE oid IN (20, 1009, 1700) ORDER BY oid",
       {{"20", "int8"}, {"1009", "_text"}, {"1700", "numeric"}}},
      {"SELECT pg_catalog.set_config('search_path', '', false)", {{""}}},
      {"SELECT has_table_privilege('normalized.patient', 'SELECT')", {{"true"}}},
      // pgjdbc's TypeInfoCache lookup by oid.
      {"SELECT typinput='pg_catalog.array_in'::regproc as is_array, typtype, typname, "
       "pg_type.oid FROM pg_catalog.pg_type LEFT JOIN (select ns.oid as nspoid, ns.nspname, r.r "
       "from pg_namespace as ns join ( select s.r, (current_schemas(false))[s.r] as nspname "
       "from generate_series(1, array_upper(current_schemas(false), 1)) as s(r) ) as r using ( "
       "nspname ) ) as sp ON sp.nspoid = typnamespace WHERE pg_type.oid = 1009 ORDER BY sp.r, "
       "pg_type.oid DESC LIMIT 1",
       {{"true", "b", "_text", "1009"}}},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(shim_->IsCatalogQuery(c.sql)) << c.sql;
    auto rows = RunAll(*shim_, c.sql);
    ASSERT_TRUE(rows.ok()) << c.sql << ": " << rows.status().ToString();
    EXPECT_EQ(*rows, c.expected) << c.sql;
  }
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Rows version, RunAll(*shim_, "SELECT version()"));
  EXPECT_THAT(version[0][0], HasSubstr("PostgreSQL 15.0 (medlake 0.1.0)"));
  EXPECT_THAT(shim_->Run("SHOW no_such_setting").status(),
              StatusIs(StatusCode::kNotFound, "unrecognized configuration parameter"));
}

TEST_F(CatalogShimTest, SessionSettingsAreAnswered) {
  MEDLAKE_ASSERT_OK(shim_->SetSetting("application_name", "psql"));
  MEDLAKE_ASSERT_OK(shim_->SetSetting("medlake.purpose", "research"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Rows rows, RunAll(*shim_, "SHOW application_name"));
  EXPECT_EQ(rows, (Rows{{"psql"}}));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(rows, RunAll(*shim_, "SELECT current_setting('medlake.purpose')"));
  EXPECT_EQ(rows, (Rows{{"research"}}));
}

TEST_F(CatalogShimTest, JdbcGetTablesWithRemarks) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      Rows rows,
      RunAll(*shim_,
             "SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM, c.relname AS TABLE_NAME, CASE "
             "n.nspname ~ '^pg_' OR n.nspname = 'information_schema' WHEN true THEN 'SYSTEM' "
             "WHEN false THEN CASE c.relkind WHEN 'r' THEN 'TABLE' WHEN 'v' THEN 'VIEW' ELSE "
             "NULL END ELSE NULL END AS TABLE_TYPE, d.description AS REMARKS FROM "
             "pg_catalog.pg_namespace n, pg_catalog.pg_class c LEFT JOIN "
             "pg_catalog.pg_description d ON (c.oid = d.objoid AND d.objsubid = 0 and "
             "d.classoid = 'pg_class'::regclass) WHERE c.relnamespace = n.oid AND c.relname "
             "LIKE '%' AND (false OR ( c.relkind IN ('r','p') AND n.nspname !~ '^pg_' AND "
             "n.nspname <> 'information_schema' ) ) ORDER BY TABLE_TYPE,TABLE_SCHEM,TABLE_NAME"));
  EXPECT_THAT(rows, ElementsAre(ElementsAre("NULL", "normalized", "patient", "TABLE",
                                            "One row per patient"),
                                ElementsAre("NULL", "raw", "hl7_messages", "TABLE", "NULL")));
}

// Catalog answers name unaliased columns as PostgreSQL does: drivers read `version` and psql's
// describe query yields `format_type`, not DuckDB's "version"() or the call's text.
TEST_F(CatalogShimTest, UnaliasedColumnsHavePostgreSQLNames) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto result, shim_->Run("SELECT version(), current_schema(), 1 + 1"));
  std::string names;
  for (const auto& c : result->columns()) names += c.name + "|";
  EXPECT_EQ(names, "version|current_schema|?column?|");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto described,
      shim_->Run("SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a "
                 "JOIN pg_catalog.pg_class c ON a.attrelid = c.oid WHERE c.relname = 'patient' AND a.attnum > 0 "
                 "ORDER BY a.attnum LIMIT 1"));
  ASSERT_EQ(described->columns().size(), 2u);
  EXPECT_EQ(described->columns()[0].name, "attname");
  EXPECT_EQ(described->columns()[1].name, "format_type");
}

// Npgsql (the .NET driver of Power BI and other tools) loads the server's types in one batch
// when it connects: every query of it runs, and the base types come with PostgreSQL's oids.
TEST_F(CatalogShimTest, NpgsqlTypeLoadingBatchRuns) {
  std::vector<std::string> queries = TestdataQueries("npgsql_load_types", 0);
  ASSERT_EQ(queries.size(), 4u);
  std::vector<Rows> results;
  for (std::string q : queries) {
    while (!q.empty() && (q.back() == '\n' || q.back() == ' ' || q.back() == ';')) q.pop_back();
    EXPECT_TRUE(shim_->IsCatalogQuery(q)) << q;
    auto rows = RunAll(*shim_, q);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString() << "\n" << q;
    results.push_back(*rows);
  }
  ASSERT_EQ(results[0].size(), 1u);
  EXPECT_THAT(results[0][0][0], ::testing::StartsWith("PostgreSQL 15.0"));
  std::set<std::string> types;
  for (const auto& row : results[1]) types.insert(row[0] + "." + row[2] + "=" + row[1] + ":" + row[3]);
  for (const char* expected : {"pg_catalog.int4=23:b", "pg_catalog.int8=20:b", "pg_catalog.text=25:b",
                               "pg_catalog.bool=16:b", "pg_catalog.numeric=1700:b", "pg_catalog.timestamptz=1184:b",
                               "pg_catalog.date=1082:b", "pg_catalog.varchar=1043:b", "pg_catalog.uuid=2950:b"}) {
    EXPECT_TRUE(types.count(expected)) << expected;
  }
  EXPECT_TRUE(results[2].empty());  // no free-standing composite types
  EXPECT_TRUE(results[3].empty());  // no enums
}

// pgjdbc's getColumns (DBeaver, Metabase): the table's columns in order, with PostgreSQL type
// oids, NOT NULL and comments.
TEST_F(CatalogShimTest, JdbcGetColumnsListsATablesColumns) {
  std::vector<std::string> queries = TestdataQueries("pgjdbc_get_columns", 0);
  ASSERT_EQ(queries.size(), 1u);
  EXPECT_TRUE(shim_->IsCatalogQuery(queries[0]));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Rows rows, RunAll(*shim_, queries[0]));
  ASSERT_EQ(rows.size(), 8u);
  // nspname, relname, attname, atttypid, attnotnull, atttypmod, attlen, attnum, adsrc, description
  EXPECT_THAT(rows[0], ::testing::ElementsAre("normalized", "patient", "person_id", "20", "true", "-1", "8", "1",
                                              "NULL", "Person key", "0", "b"));
  EXPECT_THAT(Column(rows, 2), ::testing::ElementsAre("person_id", "name", "birth_date", "deceased", "weight",
                                                      "amount", "updated", "tags"));
  EXPECT_THAT(Column(rows, 3), ::testing::ElementsAre("20", "25", "1082", "16", "701", "1700", "1184", "1009"));
  EXPECT_THAT(Column(rows, 7), ::testing::ElementsAre("1", "2", "3", "4", "5", "6", "7", "8"));
}

// pgjdbc's getPrimaryKeys (DBeaver, Metabase) expands pg_index's keys with
// information_schema._pg_expandarray: it runs (no table has a primary key), and the function
// gives one (x, n) row per element.
TEST_F(CatalogShimTest, JdbcGetPrimaryKeysRuns) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      Rows keys,
      RunAll(*shim_,
             "SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM, ct.relname AS TABLE_NAME, a.attname AS COLUMN_NAME, "
             "(information_schema._pg_expandarray(i.indkey)).n AS KEY_SEQ, ci.relname AS PK_NAME, "
             "information_schema._pg_expandarray(i.indkey) AS KEYS, a.attnum AS A_ATTNUM FROM pg_catalog.pg_class ct "
             "JOIN pg_catalog.pg_attribute a ON (ct.oid = a.attrelid) JOIN pg_catalog.pg_namespace n ON "
             "(ct.relnamespace = n.oid) JOIN pg_catalog.pg_index i ON ( a.attrelid = i.indrelid) JOIN "
             "pg_catalog.pg_class ci ON (ci.oid = i.indexrelid) WHERE true AND n.nspname = E'normalized' AND "
             "ct.relname = E'patient' AND i.indisprimary"));
  EXPECT_TRUE(keys.empty());
  EXPECT_TRUE(shim_->IsCatalogQuery("SELECT information_schema._pg_expandarray(i.indkey) FROM pg_catalog.pg_index i"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      Rows expanded, RunAll(*shim_, "SELECT (information_schema._pg_expandarray([7, 9])).x AS x, "
                                    "(information_schema._pg_expandarray([7, 9])).n AS n"));
  EXPECT_THAT(expanded, ElementsAre(ElementsAre("7", "1"), ElementsAre("9", "2")));
}

// Grafana lists tables with quote_ident(table_name) from information_schema.tables.
TEST_F(CatalogShimTest, QuoteIdentAndQuoteLiteral) {
  const std::string grafana =
      "SELECT quote_ident(table_name) FROM information_schema.tables WHERE table_schema = 'normalized'";
  EXPECT_TRUE(shim_->IsCatalogQuery(grafana));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Rows tables, RunAll(*shim_, grafana));
  EXPECT_THAT(tables, ElementsAre(ElementsAre("patient")));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      Rows quoted, RunAll(*shim_, "SELECT quote_ident('Mixed Case'), quote_ident('a\"b'), quote_ident('_x1'), "
                                  "quote_literal('it''s')"));
  EXPECT_THAT(quoted, ElementsAre(ElementsAre("\"Mixed Case\"", "\"a\"\"b\"", "_x1", "'it''s'")));
}

// A reader of normalized.patient, a writer of raw.hl7_messages with grant option on SELECT, and
// column grants on curated.visit; namespace curated owned.
class CatalogPrivilegesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<ShimTable> tables = SampleTables();
    tables[0].privileges = ReadOnlyPrivileges();
    engine::ObjectPrivileges writer;
    writer.usage = true;
    writer.select = true;
    writer.select_grantable = true;
    writer.insert = true;
    writer.modify = true;
    tables[1].privileges = writer;
    ShimTable visit;
    visit.namespace_name = "curated";
    visit.name = "visit";
    visit.columns = {{"visit_id", "BIGINT", true, ""}, {"ward", "VARCHAR", true, ""}};
    visit.privileges.select = false;
    visit.privileges.select_columns = {"ward"};
    tables.push_back(visit);
    ShimOptions options = SampleOptions();
    engine::ObjectPrivileges owned;
    owned.usage = true;
    owned.ownership = true;
    options.namespace_privileges["curated"] = owned;
    engine::ObjectPrivileges unusable;
    options.namespace_privileges["normalized"] = unusable;  // still listed, not usable
    auto shim = CatalogShim::Build(tables, options);
    ASSERT_TRUE(shim.ok()) << shim.status().ToString();
    shim_ = std::move(*shim);
  }

  std::string One(const std::string& sql) {
    EXPECT_TRUE(shim_->IsCatalogQuery(sql)) << sql;
    auto rows = RunAll(*shim_, sql);
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().ToString();
    if (!rows.ok() || rows->size() != 1 || (*rows)[0].size() != 1) return "<no single value>";
    return (*rows)[0][0];
  }

  std::unique_ptr<CatalogShim> shim_;
};

TEST_F(CatalogPrivilegesTest, TablePrivilegesFollowTheUsersGrants) {
  EXPECT_EQ(One("SELECT has_table_privilege('normalized.patient', 'SELECT')"), "true");
  EXPECT_EQ(One("SELECT has_table_privilege('normalized.patient', 'INSERT')"), "false");
  EXPECT_EQ(One("SELECT has_table_privilege('normalized.patient', 'UPDATE')"), "false");
  EXPECT_EQ(One("SELECT has_table_privilege('normalized.patient', 'delete')"), "false");
  EXPECT_EQ(One("SELECT has_table_privilege('normalized.patient', 'insert, select')"), "true");
  EXPECT_EQ(One("SELECT has_table_privilege('normalized.patient', 'SELECT WITH GRANT OPTION')"), "false");
  EXPECT_EQ(One("SELECT has_table_privilege('raw.hl7_messages', 'INSERT')"), "true");
  EXPECT_EQ(One("SELECT has_table_privilege('raw.hl7_messages', 'UPDATE')"), "true");
  EXPECT_EQ(One("SELECT has_table_privilege('raw.hl7_messages', 'DELETE')"), "true");
  EXPECT_EQ(One("SELECT has_table_privilege('raw.hl7_messages', 'TRUNCATE')"), "false");
  EXPECT_EQ(One("SELECT has_table_privilege('raw.hl7_messages', 'select with  grant option')"), "true");
  EXPECT_EQ(One("SELECT has_table_privilege('raw.hl7_messages', 'INSERT WITH GRANT OPTION')"), "false");
  // Column grants alone give no table privilege.
  EXPECT_EQ(One("SELECT has_table_privilege('curated.visit', 'SELECT')"), "false");
  // By oid, quoted, through pg_catalog, and for the session user by name and by oid.
  const std::string oid = std::to_string(shim_->TableOidForTest("raw", "hl7_messages"));
  EXPECT_EQ(One("SELECT has_table_privilege(" + oid + ", 'INSERT')"), "true");
  EXPECT_EQ(One("SELECT pg_catalog.has_table_privilege('\"raw\".\"hl7_messages\"', 'INSERT')"), "true");
  EXPECT_EQ(One("SELECT has_table_privilege(current_user, 'raw.hl7_messages', 'DELETE')"), "true");
  EXPECT_EQ(One("SELECT has_table_privilege('alice', 'normalized.patient', 'INSERT')"), "false");
  EXPECT_EQ(One("SELECT has_table_privilege(10, 'normalized.patient', 'SELECT')"), "true");
  // Another user's privileges are not known to the session.
  EXPECT_EQ(One("SELECT has_table_privilege('bob', 'normalized.patient', 'SELECT')"), "NULL");
  // PostgreSQL's own catalogs are readable.
  EXPECT_EQ(One("SELECT has_table_privilege('pg_catalog.pg_class', 'SELECT')"), "true");
}

TEST_F(CatalogPrivilegesTest, ColumnSchemaAndDatabasePrivileges) {
  EXPECT_EQ(One("SELECT has_column_privilege('curated.visit', 'ward', 'SELECT')"), "true");
  EXPECT_EQ(One("SELECT has_column_privilege('curated.visit', 'visit_id', 'SELECT')"), "false");
  EXPECT_EQ(One("SELECT has_column_privilege('curated.visit', 2, 'SELECT')"), "true");
  EXPECT_EQ(One("SELECT has_column_privilege('normalized.patient', 'name', 'SELECT')"), "true");
  EXPECT_EQ(One("SELECT has_column_privilege('normalized.patient', 'name', 'UPDATE')"), "false");
  EXPECT_EQ(One("SELECT has_column_privilege(current_user, 'raw.hl7_messages', 'body', 'UPDATE')"), "true");
  EXPECT_EQ(One("SELECT has_any_column_privilege('curated.visit', 'SELECT')"), "true");
  EXPECT_EQ(One("SELECT has_any_column_privilege('curated.visit', 'INSERT')"), "false");
  EXPECT_EQ(One("SELECT has_schema_privilege('curated', 'CREATE')"), "true");
  EXPECT_EQ(One("SELECT has_schema_privilege('raw', 'USAGE')"), "true");
  EXPECT_EQ(One("SELECT has_schema_privilege('raw', 'CREATE')"), "false");
  EXPECT_EQ(One("SELECT has_schema_privilege('normalized', 'USAGE')"), "false");
  EXPECT_EQ(One("SELECT has_schema_privilege(current_user, 'curated', 'usage')"), "true");
  EXPECT_EQ(One("SELECT has_database_privilege('medlake', 'CONNECT')"), "true");
  EXPECT_EQ(One("SELECT has_database_privilege(current_database(), 'TEMP')"), "true");
  EXPECT_EQ(One("SELECT has_database_privilege('medlake', 'CREATE')"), "false");
}

TEST_F(CatalogPrivilegesTest, UnknownPrivilegesAndObjectsAreErrors) {
  auto bad_type = RunAll(*shim_, "SELECT has_table_privilege('normalized.patient', 'SELECT, FLY')");
  ASSERT_FALSE(bad_type.ok());
  EXPECT_THAT(bad_type.status().message(), HasSubstr("unrecognized privilege type: \"fly\""));
  auto schema_priv_on_table = RunAll(*shim_, "SELECT has_schema_privilege('raw', 'SELECT')");
  ASSERT_FALSE(schema_priv_on_table.ok());
  EXPECT_THAT(schema_priv_on_table.status().message(), HasSubstr("unrecognized privilege type"));
  auto no_table = RunAll(*shim_, "SELECT has_table_privilege('raw.nothing', 'SELECT')");
  ASSERT_FALSE(no_table.ok());
  EXPECT_THAT(no_table.status().message(), HasSubstr("relation \"raw.nothing\" does not exist"));
  auto no_schema = RunAll(*shim_, "SELECT has_schema_privilege('nothing', 'USAGE')");
  ASSERT_FALSE(no_schema.ok());
  EXPECT_THAT(no_schema.status().message(), HasSubstr("schema \"nothing\" does not exist"));
  // A NULL object or privilege answers NULL.
  EXPECT_EQ(One("SELECT has_table_privilege(NULL, 'SELECT')"), "NULL");
  EXPECT_EQ(One("SELECT has_table_privilege('normalized.patient', NULL)"), "NULL");
}

TEST_F(CatalogPrivilegesTest, InformationSchemaTablePrivilegesListsTheUsersPrivileges) {
  auto rows = RunAll(*shim_,
                     "SELECT table_schema, table_name, privilege_type, is_grantable FROM "
                     "information_schema.table_privileges ORDER BY 1, 2, 3");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, (Rows{{"normalized", "patient", "SELECT", "NO"},
                         {"raw", "hl7_messages", "DELETE", "NO"},
                         {"raw", "hl7_messages", "INSERT", "NO"},
                         {"raw", "hl7_messages", "SELECT", "YES"},
                         {"raw", "hl7_messages", "UPDATE", "NO"}}));
}

TEST_F(CatalogPrivilegesTest, AccessPrivilegesAreShownAsPostgreSQLAclItems) {
  auto rows = RunAll(*shim_, "SELECT relname, relacl FROM pg_class ORDER BY relname");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, (Rows{{"hl7_messages", "[alice=ar*wd/alice]"},
                         {"patient", "[alice=r/alice]"},
                         {"visit", "NULL"}}));
  auto columns = RunAll(*shim_, "SELECT attname, attacl FROM pg_attribute WHERE attacl IS NOT NULL");
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  EXPECT_EQ(*columns, (Rows{{"ward", "[alice=r/alice]"}}));
  EXPECT_EQ(One("SELECT nspacl FROM pg_namespace WHERE nspname = 'curated'"), "[alice=UC/alice]");
  EXPECT_EQ(One("SELECT nspacl FROM pg_namespace WHERE nspname = 'normalized'"), "NULL");
  EXPECT_EQ(One("SELECT datacl FROM pg_database"), "[alice=Tc/alice]");
  // psql's \dp shows them.
  const std::vector<std::string> dp = TestdataQueries("psql15_dp", 0);
  ASSERT_EQ(dp.size(), 1u);
  auto listed = RunAll(*shim_, dp[0]);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0][1], "visit");
  EXPECT_EQ((*listed)[0][4], "ward:\n  alice=r/alice");
  EXPECT_EQ((*listed)[2][1], "hl7_messages");
  EXPECT_EQ((*listed)[2][3], "alice=ar*wd/alice");
}

TEST_F(CatalogPrivilegesTest, MetabasePrivilegeQueryRuns) {
  std::vector<std::string> queries = TestdataQueries("metabase_table_privileges", 0);
  ASSERT_EQ(queries.size(), 1u);
  std::string query = queries[0];
  while (!query.empty() && (query.back() == '\n' || query.back() == ';')) query.pop_back();
  EXPECT_TRUE(shim_->IsCatalogQuery(query));
  auto rows = RunAll(*shim_, query + " ORDER BY 2, 3");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  // role, schema, table, update, select, insert, delete; normalized is not usable.
  EXPECT_EQ(*rows, (Rows{{"NULL", "curated", "visit", "false", "false", "false", "false"},
                         {"NULL", "raw", "hl7_messages", "true", "true", "true", "true"}}));
}

TEST_F(CatalogShimTest, InformationSchemaColumnsUsePostgresTypeNames) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      Rows rows, RunAll(*shim_,
                        "SELECT column_name, data_type, udt_name, is_nullable, numeric_precision, "
                        "numeric_scale FROM information_schema.columns WHERE table_schema = "
                        "'normalized' AND table_name = 'patient' ORDER BY ordinal_position"));
  EXPECT_THAT(rows,
              ElementsAre(ElementsAre("person_id", "bigint", "int8", "NO", "64", "0"),
                          ElementsAre("name", "text", "text", "YES", "NULL", "NULL"),
                          ElementsAre("birth_date", "date", "date", "YES", "NULL", "NULL"),
                          ElementsAre("deceased", "boolean", "bool", "YES", "NULL", "NULL"),
                          ElementsAre("weight", "double precision", "float8", "YES", "53", "NULL"),
                          ElementsAre("amount", "numeric", "numeric", "YES", "18", "3"),
                          ElementsAre("updated", "timestamp with time zone", "timestamptz", "YES",
                                      "NULL", "NULL"),
                          ElementsAre("tags", "ARRAY", "_text", "YES", "NULL", "NULL")));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      rows, RunAll(*shim_,
                   "SELECT table_schema, table_name, table_type FROM information_schema.tables "
                   "ORDER BY 1, 2"));
  EXPECT_THAT(rows, ElementsAre(ElementsAre("normalized", "patient", "BASE TABLE"),
                                ElementsAre("raw", "hl7_messages", "BASE TABLE")));
}

TEST_F(CatalogShimTest, RefusesFilesAndWrites) {
  EXPECT_FALSE(shim_->Run("SELECT * FROM read_csv('/etc/passwd')").ok());
  EXPECT_FALSE(shim_->Run("SELECT * FROM '/etc/passwd'").ok());
  EXPECT_FALSE(shim_->Run("COPY pg_class TO '/tmp/medlake_pgcatalog_leak.csv'").ok());
  EXPECT_FALSE(shim_->Run("DELETE FROM pg_class").ok());
  EXPECT_FALSE(shim_->Run("SET enable_external_access = true").ok());
  EXPECT_FALSE(shim_->Run("SELECT * FROM normalized.patient").ok());
  // The catalog is intact after the refusals.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Rows rows, RunAll(*shim_, "SELECT count(*) FROM pg_class"));
  EXPECT_EQ(rows, (Rows{{"2"}}));
}

TEST(CatalogShimBuildTest, RejectsDuplicatesAndEmptyNames) {
  std::vector<ShimTable> tables = SampleTables();
  tables.push_back(tables[0]);
  EXPECT_THAT(CatalogShim::Build(tables, SampleOptions()).status(),
              StatusIs(StatusCode::kInvalidArgument, "duplicate table normalized.patient"));
  tables = SampleTables();
  tables[0].name.clear();
  EXPECT_THAT(CatalogShim::Build(tables, SampleOptions()).status(),
              StatusIs(StatusCode::kInvalidArgument, "has no name"));
}

TEST(CatalogShimBuildTest, BuildsHundredTablesQuickly) {
  std::vector<ShimTable> tables;
  for (int t = 0; t < 100; ++t) {
    ShimTable table;
    table.namespace_name = "ns" + std::to_string(t % 5);
    table.name = "table_" + std::to_string(t);
    table.comment = "synthetic table " + std::to_string(t);
    for (int c = 0; c < 20; ++c) {
      table.columns.push_back({"col_" + std::to_string(c), c % 2 ? "VARCHAR" : "DECIMAL(12,2)",
                               true, c == 0 ? "first column" : ""});
    }
    tables.push_back(std::move(table));
  }
  auto start = std::chrono::steady_clock::now();
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto shim, CatalogShim::Build(tables, SampleOptions()));
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  std::cerr << "Build of 100 tables x 20 columns: " << elapsed.count() << " ms\n";
  // Generous bound: sanitizer builds are several times slower than release ones.
  EXPECT_LT(elapsed.count(), 1000);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Rows rows, RunAll(*shim, "SELECT count(*) FROM pg_attribute"));
  EXPECT_EQ(rows, (Rows{{"2000"}}));
}

}  // namespace
}  // namespace medlake::server::pgcatalog
