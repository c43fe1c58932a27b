#include "engine/lake_statement.h"

#include <gtest/gtest.h>

#include <map>

#include "core/testing/status_matchers.h"
#include "engine/sql_lexer.h"

namespace medlake::engine {
namespace {

using Kind = LakeStatement::Kind;

TEST(SqlLexerTest, HandlesQuotesCommentsAndDollarStrings) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto t, TokenizeSql("select \"a\"\"b\", 'it''s', E'x\\'y', $$a;b$$, $tag$q$tag$ -- c\n"
                          "/* block /* nested */ */ from x.y where v >= 1.5e-3 and p = $1"));
  std::vector<std::string> texts;
  for (const auto& tok : t) texts.push_back(tok.text);
  EXPECT_EQ(texts, (std::vector<std::string>{"select", "a\"b", ",", "it's", ",", "x'y", ",", "a;b",
                                             ",", "q", "from", "x", ".", "y", "where", "v", ">=",
                                             "1.5e-3", "and", "p", "=", "$1"}));
  EXPECT_EQ(t[1].kind, SqlToken::Kind::kQuotedIdentifier);
  EXPECT_EQ(t[3].kind, SqlToken::Kind::kString);
  EXPECT_TRUE(t[0].IsKeyword("SELECT"));
}

TEST(SqlLexerTest, RejectsUnterminatedTokens) {
  EXPECT_THAT(TokenizeSql("select 'abc"), StatusIs(StatusCode::kInvalidArgument, "string"));
  // A string literal read on its own (parameter values).
  size_t end = 0;
  EXPECT_EQ(ReadStringLiteral("'it''s' AS x", &end), "it's");
  EXPECT_EQ(end, 7u);
  EXPECT_EQ(ReadStringLiteral("''", &end), "");
  EXPECT_EQ(end, 2u);
  EXPECT_EQ(ReadStringLiteral("'open", &end), std::nullopt);
  EXPECT_EQ(ReadStringLiteral("x'a'", &end), std::nullopt);
  EXPECT_EQ(ReadStringLiteral("", &end), std::nullopt);
  // Parameter values' literal forms.
  using K = SimpleLiteral::Kind;
  auto kind = [](std::string_view l) { auto r = ReadSimpleLiteral(l); return r ? static_cast<int>(r->kind) : -1; };
  EXPECT_EQ(kind(" NULL "), static_cast<int>(K::kNull));
  EXPECT_EQ(kind("'a''b'"), static_cast<int>(K::kString));
  EXPECT_EQ(ReadSimpleLiteral("'a''b'")->text, "a'b");
  EXPECT_EQ(kind("-42"), static_cast<int>(K::kInteger));
  EXPECT_EQ(ReadSimpleLiteral("CAST( '7' as BIGINT )")->type, "bigint");
  EXPECT_EQ(ReadSimpleLiteral("CAST('7' AS BIGINT)")->text, "7");
  for (std::string_view bad : {"-", "1.5", "TRUE", "'a' || 'b'", "CAST('7' AS x;y)", "CAST(7 AS INT)", "from_hex('00')"}) {
    EXPECT_EQ(kind(bad), -1) << bad;
  }
  EXPECT_THAT(TokenizeSql("select \"abc"), StatusIs(StatusCode::kInvalidArgument, "identifier"));
  EXPECT_THAT(TokenizeSql("select /* x"), StatusIs(StatusCode::kInvalidArgument, "comment"));
  EXPECT_THAT(TokenizeSql("select $$x"), StatusIs(StatusCode::kInvalidArgument, "dollar"));
}

TEST(SqlLexerTest, Quoting) {
  EXPECT_EQ(QuoteIdentifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(QuoteString("it's"), "'it''s'");
}

TEST(SqlLexerTest, PlainIntegerTokens) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t, TokenizeSql("0 42 999999999999999999 1000000000000000000 1.5 1e3 '7' x"));
  ASSERT_EQ(t.size(), 8u);
  EXPECT_EQ(PlainIntegerToken(t[0]), 0);
  EXPECT_EQ(PlainIntegerToken(t[1]), 42);
  EXPECT_EQ(PlainIntegerToken(t[2]), 999999999999999999);  // 18 digits: the most that is read
  EXPECT_EQ(PlainIntegerToken(t[3]), std::nullopt);        // 19 digits
  EXPECT_EQ(PlainIntegerToken(t[4]), std::nullopt);
  EXPECT_EQ(PlainIntegerToken(t[5]), std::nullopt);
  EXPECT_EQ(PlainIntegerToken(t[6]), std::nullopt);  // a string
  EXPECT_EQ(PlainIntegerToken(t[7]), std::nullopt);  // a word
}

TEST(LakeStatementTest, CreateSchemaAndDrop) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto s, RecognizeLakeStatement("create schema if not exists raw;"));
  EXPECT_EQ(s.kind, Kind::kCreateSchema);
  EXPECT_TRUE(s.if_not_exists);
  EXPECT_EQ(s.schema, "raw");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto d, RecognizeLakeStatement("DROP SCHEMA raw CASCADE"));
  EXPECT_EQ(d.kind, Kind::kDropSchema);
  EXPECT_TRUE(d.cascade);
}

TEST(LakeStatementTest, CreateTableWithPartitions) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto s, RecognizeLakeStatement(
                  "CREATE TABLE raw.obs (id BIGINT NOT NULL, code VARCHAR, v DECIMAL(9,2), "
                  "ts TIMESTAMPTZ) PARTITIONED BY (days(ts), bucket(16, id), truncate(3, code), code)"));
  EXPECT_EQ(s.kind, Kind::kCreateTable);
  EXPECT_EQ(s.table.ns, "raw");
  EXPECT_EQ(s.table.name, "obs");
  EXPECT_EQ(s.column_definitions,
            "id BIGINT NOT NULL, code VARCHAR, v DECIMAL(9,2), ts TIMESTAMPTZ");
  ASSERT_EQ(s.partition_by.size(), 4u);
  EXPECT_EQ(s.partition_by[0].transform, "day");
  EXPECT_EQ(s.partition_by[0].column, "ts");
  EXPECT_EQ(s.partition_by[1].transform, "bucket[16]");
  EXPECT_EQ(s.partition_by[2].transform, "truncate[3]");
  EXPECT_EQ(s.partition_by[3].transform, "identity");
}

TEST(LakeStatementTest, CreateTableAs) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto s, RecognizeLakeStatement("create or replace table c.t partitioned by (year(d)) as "
                                     "select * from raw.x where y = 'a;b'"));
  EXPECT_EQ(s.kind, Kind::kCreateTableAs);
  EXPECT_TRUE(s.or_replace);
  EXPECT_EQ(s.query, "select * from raw.x where y = 'a;b'");
  ASSERT_EQ(s.partition_by.size(), 1u);
}

TEST(LakeStatementTest, BadPartitionClausesAreErrors) {
  EXPECT_THAT(RecognizeLakeStatement("create table a.b (x int) partitioned by (bucket(x))"),
              StatusIs(StatusCode::kInvalidArgument, "number"));
  EXPECT_THAT(RecognizeLakeStatement("create table a.b (x int) partitioned by (weird(x))"),
              StatusIs(StatusCode::kInvalidArgument, "unknown partition transform"));
  EXPECT_THAT(RecognizeLakeStatement("create table a.b"),
              StatusIs(StatusCode::kInvalidArgument, "column list"));
}

TEST(LakeStatementTest, InsertForms) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto a,
                               RecognizeLakeStatement("insert into raw.t values (1, 'x'), (2, 'y')"));
  EXPECT_EQ(a.kind, Kind::kInsert);
  EXPECT_EQ(a.query, "values (1, 'x'), (2, 'y')");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto b,
                               RecognizeLakeStatement("INSERT INTO raw.t (b, a) SELECT 1, 2"));
  EXPECT_EQ(b.insert_columns, (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(b.query, "SELECT 1, 2");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto c, RecognizeLakeStatement("insert into raw.t (select 1)"));
  EXPECT_TRUE(c.insert_columns.empty());
  EXPECT_EQ(c.query, "(select 1)");
  EXPECT_THAT(RecognizeLakeStatement("insert into raw.t select 1 returning *"),
              StatusIs(StatusCode::kUnimplemented, "RETURNING"));
}

TEST(LakeStatementTest, DeleteAndUpdate) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto d, RecognizeLakeStatement("delete from raw.t where a in (1,2)"));
  EXPECT_EQ(d.kind, Kind::kDelete);
  EXPECT_EQ(d.where, "a in (1,2)");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto all, RecognizeLakeStatement("delete from raw.t"));
  EXPECT_EQ(all.where, "");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto u, RecognizeLakeStatement("update raw.t set a = coalesce(a, 0) + 1, b = 'x,y' "
                                     "where c = (select max(c) from raw.t)"));
  EXPECT_EQ(u.kind, Kind::kUpdate);
  ASSERT_EQ(u.assignments.size(), 2u);
  EXPECT_EQ(u.assignments[0].first, "a");
  EXPECT_EQ(u.assignments[0].second, "coalesce(a, 0) + 1");
  EXPECT_EQ(u.assignments[1].second, "'x,y'");
  EXPECT_EQ(u.where, "c = (select max(c) from raw.t)");
}

TEST(LakeStatementTest, AlterTable) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto a,
                               RecognizeLakeStatement("alter table raw.t add column n decimal(9, 2)"));
  ASSERT_TRUE(a.alter.has_value());
  EXPECT_EQ(a.alter->kind, AlterAction::Kind::kAddColumn);
  EXPECT_EQ(a.alter->type, "decimal(9, 2)");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto r,
                               RecognizeLakeStatement("alter table raw.t rename column a to b"));
  EXPECT_EQ(r.alter->kind, AlterAction::Kind::kRenameColumn);
  EXPECT_EQ(r.alter->new_name, "b");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto w,
                               RecognizeLakeStatement("ALTER TABLE raw.t ALTER COLUMN a TYPE BIGINT"));
  EXPECT_EQ(w.alter->kind, AlterAction::Kind::kAlterColumnType);
  EXPECT_EQ(w.alter->type, "BIGINT");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t, RecognizeLakeStatement("alter table raw.t rename to u"));
  EXPECT_EQ(t.alter->kind, AlterAction::Kind::kRenameTable);
  EXPECT_EQ(t.alter->new_name, "u");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto p, RecognizeLakeStatement("ALTER TABLE raw.t SET TBLPROPERTIES ('write.parquet.compression-codec' = 'lz4', "
                                     "'write.parquet.compression-level' = 3, 'note' = 'it''s')"));
  EXPECT_EQ(p.alter->kind, AlterAction::Kind::kSetProperties);
  EXPECT_EQ(p.alter->properties, (std::map<std::string, std::string>{{"write.parquet.compression-codec", "lz4"},
                                                                      {"write.parquet.compression-level", "3"},
                                                                      {"note", "it's"}}));
  for (const char* bad : {"ALTER TABLE raw.t SET TBLPROPERTIES", "ALTER TABLE raw.t SET TBLPROPERTIES ('a')",
                          "ALTER TABLE raw.t SET TBLPROPERTIES (a = 'b')",
                          "ALTER TABLE raw.t SET TBLPROPERTIES ('a' = 'b'", "ALTER TABLE raw.t SET TBLPROPERTIES ('a' = 'b') x"}) {
    EXPECT_THAT(RecognizeLakeStatement(bad), StatusIs(StatusCode::kInvalidArgument, "")) << bad;
  }
}

TEST(LakeStatementTest, OtherStatementsPassThrough) {
  for (const char* sql : {"select 1", "with a as (select 1) select * from a",
                          "create view v as select 1", "pragma version", "drop view v"}) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto s, RecognizeLakeStatement(sql));
    EXPECT_EQ(s.kind, Kind::kOther) << sql;
  }
  // Temporary tables are recognised (so untrusted sessions can check their queries) and marked.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto temp, RecognizeLakeStatement("create temp table x(a int)"));
  EXPECT_TRUE(temp.temporary);
  EXPECT_EQ(temp.kind, Kind::kCreateTable);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(temp, RecognizeLakeStatement("CREATE TEMPORARY TABLE x AS SELECT 1"));
  EXPECT_TRUE(temp.temporary);
  EXPECT_EQ(temp.kind, Kind::kCreateTableAs);
  EXPECT_EQ(temp.query, "SELECT 1");
}

}  // namespace
}  // namespace medlake::engine
