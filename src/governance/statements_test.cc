#include "governance/statements.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "governance/testing/test_lake.h"

namespace medlake::governance {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

GovernanceStatement MustParse(const std::string& sql) {
  auto parsed = ParseGovernanceStatement(sql);
  EXPECT_THAT(parsed, IsOk()) << sql;
  EXPECT_TRUE(parsed.ok() && parsed->has_value()) << sql;
  return parsed.ok() && parsed->has_value() ? **parsed : GovernanceStatement{};
}

bool NotOurs(const std::string& sql) {
  auto parsed = ParseGovernanceStatement(sql);
  return parsed.ok() && !parsed->has_value();
}

TEST(ParseGovernanceStatementTest, EveryForm) {
  GovernanceStatement st = MustParse("COMMENT ON SCHEMA raw IS 'Raw layer'");
  EXPECT_EQ(st.kind, GovernanceStatement::Kind::kComment);
  EXPECT_EQ(st.object, ObjectRef::Namespace("raw"));
  EXPECT_EQ(st.text, "Raw layer");

  st = MustParse("comment on table raw.\"Hl7 Messages\" is 'it''s raw';");
  EXPECT_EQ(st.object, ObjectRef::Table("raw", "Hl7 Messages"));
  EXPECT_EQ(st.text, "it's raw");

  st = MustParse("COMMENT ON COLUMN s.t.c IS NULL");
  EXPECT_EQ(st.object, ObjectRef::Column("s", "t", "c"));
  EXPECT_EQ(st.text, std::nullopt);

  st = MustParse("ALTER SCHEMA s SET OWNER 'team-a'");
  EXPECT_EQ(st.kind, GovernanceStatement::Kind::kSetOwner);
  EXPECT_EQ(st.object, ObjectRef::Namespace("s"));
  EXPECT_EQ(st.text, "team-a");

  st = MustParse("ALTER TABLE s.t SET STEWARD NULL");
  EXPECT_EQ(st.kind, GovernanceStatement::Kind::kSetSteward);
  EXPECT_EQ(st.text, std::nullopt);

  st = MustParse("ALTER TABLE s.t ALTER COLUMN c SET TAGS ('phi', 'pii:dni')");
  EXPECT_EQ(st.kind, GovernanceStatement::Kind::kSetTags);
  EXPECT_EQ(st.object, ObjectRef::Column("s", "t", "c"));
  EXPECT_THAT(st.values, ElementsAre("phi", "pii:dni"));

  st = MustParse("ALTER TABLE s.t ALTER c UNSET TAG ('phi')");
  EXPECT_EQ(st.kind, GovernanceStatement::Kind::kUnsetTags);
  EXPECT_THAT(st.values, ElementsAre("phi"));

  st = MustParse("ALTER SCHEMA s SET TAGS ('layer:raw')");
  EXPECT_EQ(st.object, ObjectRef::Namespace("s"));

  st = MustParse("ALTER TABLE s.t SET GLOSSARY ('Episodio', 'Encounter')");
  EXPECT_EQ(st.kind, GovernanceStatement::Kind::kSetGlossary);
  EXPECT_THAT(st.values, ElementsAre("Episodio", "Encounter"));
  st = MustParse("ALTER TABLE s.t SET GLOSSARY ()");
  EXPECT_TRUE(st.values.empty());
}

TEST(ParseGovernanceStatementTest, OtherStatementsAreNotOurs) {
  EXPECT_TRUE(NotOurs("SELECT 1"));
  EXPECT_TRUE(NotOurs("ALTER TABLE s.t ADD COLUMN x INTEGER"));
  EXPECT_TRUE(NotOurs("ALTER TABLE s.t RENAME TO u"));
  EXPECT_TRUE(NotOurs("ALTER TABLE s.t ALTER COLUMN c SET DATA TYPE BIGINT"));
  EXPECT_TRUE(NotOurs("ALTER TABLE s.t ALTER COLUMN c SET DEFAULT 1"));
  EXPECT_TRUE(NotOurs("COMMENT ON TABLE t IS 'a DuckDB temp table'"));
  EXPECT_TRUE(NotOurs("COMMENT ON VIEW s.v IS 'x'"));
  EXPECT_TRUE(NotOurs("COMMENT ON COLUMN t.c IS 'x'"));
  EXPECT_TRUE(NotOurs("ALTER VIEW s.v SET TAGS ('phi')"));
  EXPECT_TRUE(NotOurs(""));
}

TEST(ParseGovernanceStatementTest, MalformedStatementsExplainThemselves) {
  auto error = [](const std::string& sql) { return ParseGovernanceStatement(sql).status(); };
  EXPECT_THAT(
      error("ALTER TABLE s.t SET TAGS 'phi'"),
      StatusIs(StatusCode::kInvalidArgument,
               "expected a parenthesized list of quoted strings after SET TAGS, found 'phi'"));
  EXPECT_THAT(error("ALTER TABLE s.t SET TAGS ('PHI')"),
              StatusIs(StatusCode::kInvalidArgument, "invalid tag name 'PHI'"));
  EXPECT_THAT(error("ALTER TABLE s.t SET TAGS ()"),
              StatusIs(StatusCode::kInvalidArgument, "empty list"));
  EXPECT_THAT(error("ALTER TABLE s.t SET TAGS (phi)"),
              StatusIs(StatusCode::kInvalidArgument, "expected a quoted string in the list"));
  EXPECT_THAT(error("ALTER TABLE s.t SET TAGS ('a' 'b')"),
              StatusIs(StatusCode::kInvalidArgument, "expected ',' or ')'"));
  EXPECT_THAT(error("ALTER TABLE t SET TAGS ('phi')"),
              StatusIs(StatusCode::kInvalidArgument, "namespace.table"));
  EXPECT_THAT(error("ALTER SCHEMA a.b SET OWNER 'x'"),
              StatusIs(StatusCode::kInvalidArgument, "without dots"));
  EXPECT_THAT(
      error("ALTER TABLE s.t SET OWNER bob"),
      StatusIs(StatusCode::kInvalidArgument, "expected a quoted string or NULL after SET OWNER"));
  EXPECT_THAT(error("COMMENT ON TABLE s.t IS 42"),
              StatusIs(StatusCode::kInvalidArgument, "expected a quoted string or NULL after IS"));
  EXPECT_THAT(error("COMMENT ON TABLE s.t 'x'"),
              StatusIs(StatusCode::kInvalidArgument, "expected IS"));
  EXPECT_THAT(error("COMMENT ON TABLE s.t IS 'x' CASCADE"),
              StatusIs(StatusCode::kInvalidArgument, "unexpected 'CASCADE'"));
}

class StatementsTest : public testing::TestLake {
 protected:
  void SetUp() override {
    TestLake::SetUp();
    Exec("CREATE SCHEMA s; CREATE TABLE s.t AS SELECT 1 AS id, 'x' AS c");
  }
  Result<std::string> Run(const std::string& sql) {
    MEDLAKE_ASSIGN_OR_RETURN(auto parsed, ParseGovernanceStatement(sql));
    if (!parsed) return InvalidArgument("not a governance statement");
    return ExecuteGovernanceStatement(*parsed, *store_, "ana");
  }
};

TEST_F(StatementsTest, EveryFormExecutes) {
  EXPECT_EQ(Run("COMMENT ON SCHEMA s IS 'Staging'").value_or(""), "COMMENT ON SCHEMA s");
  EXPECT_EQ(Run("COMMENT ON TABLE s.t IS 'Things'").value_or(""), "COMMENT ON TABLE s.t");
  EXPECT_EQ(Run("COMMENT ON COLUMN s.t.c IS 'A column'").value_or(""), "COMMENT ON COLUMN s.t.c");
  EXPECT_EQ(Run("ALTER SCHEMA s SET OWNER 'team'").value_or(""), "ALTER SCHEMA s SET OWNER");
  EXPECT_EQ(Run("ALTER TABLE s.t SET STEWARD 'luis'").value_or(""), "ALTER TABLE s.t SET STEWARD");
  EXPECT_EQ(Run("ALTER TABLE s.t ALTER COLUMN c SET TAGS ('phi', 'pii:dni')").value_or(""),
            "ALTER TABLE s.t ALTER COLUMN c SET TAGS (2)");
  EXPECT_EQ(Run("ALTER TABLE s.t SET TAGS ('phi')").value_or(""), "ALTER TABLE s.t SET TAGS (1)");
  EXPECT_EQ(Run("ALTER TABLE s.t SET GLOSSARY ('Cosa')").value_or(""),
            "ALTER TABLE s.t SET GLOSSARY (1)");
  EXPECT_EQ(Run("ALTER TABLE s.t ALTER COLUMN c UNSET TAGS ('phi')").value_or(""),
            "ALTER TABLE s.t ALTER COLUMN c UNSET TAGS (1)");

  MEDLAKE_ASSERT_OK_AND_ASSIGN(ObjectMetadata ns, store_->GetMetadata(ObjectRef::Namespace("s")));
  EXPECT_EQ(ns.description, "Staging");
  EXPECT_EQ(ns.owner, "team");
  EXPECT_EQ(ns.updated_by, "ana");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ObjectMetadata t, store_->GetMetadata(ObjectRef::Table("s", "t")));
  EXPECT_EQ(t.description, "Things");
  EXPECT_EQ(t.steward, "luis");
  EXPECT_THAT(t.glossary_terms, ElementsAre("Cosa"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto cols, store_->ColumnTags("s", "t"));
  EXPECT_EQ(cols["c"], std::set<std::string>{"pii:dni"});
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto sup, store_->SuppressedTags(ObjectRef::Column("s", "t", "c")));
  EXPECT_EQ(sup, std::set<std::string>{"phi"});
}

TEST_F(StatementsTest, UnknownObjectsAreNotFound) {
  EXPECT_THAT(Run("COMMENT ON TABLE s.nope IS 'x'"),
              StatusIs(StatusCode::kNotFound, "table s.nope does not exist"));
  EXPECT_THAT(Run("COMMENT ON SCHEMA nope IS 'x'"),
              StatusIs(StatusCode::kNotFound, "namespace nope"));
  EXPECT_THAT(Run("ALTER TABLE s.t ALTER COLUMN nope SET TAGS ('phi')"),
              StatusIs(StatusCode::kNotFound, "column nope does not exist in table s.t"));
  EXPECT_THAT(Run("COMMENT ON COLUMN s.t.nope IS 'x'"),
              StatusIs(StatusCode::kNotFound, "column nope"));
}

TEST_F(StatementsTest, CatalogViewsAreQueryable) {
  MEDLAKE_ASSERT_OK(Run("COMMENT ON COLUMN s.t.c IS 'it''s c'").status());
  MEDLAKE_ASSERT_OK(Run("ALTER TABLE s.t ALTER COLUMN c SET TAGS ('phi', 'pii:dni')").status());
  MEDLAKE_ASSERT_OK(Run("ALTER TABLE s.t SET OWNER 'team'").status());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string columns, CatalogTableSql(*store_, "columns"));
  EXPECT_EQ(Rows("SELECT ns, table_name, column_name, field_id, type, description, tags FROM (" +
                 columns + ") ORDER BY field_id"),
            "s|t|id|1|INTEGER|NULL|[];s|t|c|2|VARCHAR|it's c|[phi, pii:dni]");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string tables, CatalogTableSql(*store_, "tables"));
  EXPECT_EQ(Rows("SELECT ns, table_name, owner, tags FROM (" + tables + ")"), "s|t|team|[]");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string schemas, CatalogTableSql(*store_, "schemas"));
  EXPECT_EQ(Rows("SELECT ns, description FROM (" + schemas + ")"), "s|NULL");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string tags, CatalogTableSql(*store_, "tags"));
  EXPECT_EQ(Rows("SELECT column_name, tag, source, created_by, created_at IS NOT NULL FROM (" +
                 tags + ") ORDER BY tag"),
            "c|phi|manual|ana|true;c|pii:dni|manual|ana|true");
  // Hidden tables leave the views; an empty view still has its columns.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      std::string hidden,
      CatalogTableSql(*store_, "columns",
                      [](const storage::TableIdentifier& id) { return id.name.empty(); }));
  EXPECT_EQ(Rows("SELECT count(*), count(tags) FROM (" + hidden + ")"), "0|0");
  EXPECT_THAT(CatalogTableSql(*store_, "nope"),
              StatusIs(StatusCode::kInvalidArgument, "unknown catalog view catalog.nope"));
}

}  // namespace
}  // namespace medlake::governance
