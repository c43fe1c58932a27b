#include "cli/lineage_command.h"

#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "engine/lake_session.h"

namespace medlake::cli {
namespace {

TEST(LineageCommandTest, RejectsBadTargets) {
  LineageCommandOptions o;
  o.target = "just_a_table";
  EXPECT_THAT(LineageSql(o), StatusIs(StatusCode::kInvalidArgument, "namespace.table"));
  o.target = "a..b";
  EXPECT_THAT(LineageSql(o), StatusIs(StatusCode::kInvalidArgument, "empty"));
  o.target = "a.b.c.d";
  EXPECT_THAT(LineageSql(o), StatusIs(StatusCode::kInvalidArgument, "namespace.table"));
  o.target = "a.b";
  o.depth = 0;
  EXPECT_THAT(LineageSql(o), StatusIs(StatusCode::kInvalidArgument, "depth"));
}

TEST(LineageCommandTest, WalksUpstreamAndDownstreamOverManyHops) {
  TempDir tmp;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto lake, storage::Lake::Create(tmp.Join("lake")));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto session, engine::LakeSession::Open(*lake));
  auto ignore = [](size_t, engine::StatementOutcome&) { return Status::OK(); };
  ASSERT_THAT(session->Run(
                  "CREATE SCHEMA lineage; CREATE TABLE lineage.edges (from_table VARCHAR, from_column VARCHAR, "
                  "to_table VARCHAR, to_column VARCHAR, level VARCHAR, updated_at TIMESTAMPTZ); "
                  "INSERT INTO lineage.edges VALUES "
                  "('external:hl7', '', 'raw.m', '', 'table', now()), ('raw.m', '', 'n.p', '', 'table', now()), "
                  "('n.p', '', 'c.person', '', 'table', now()), ('raw.m', 'payload', 'n.p', 'sex', 'column', now()), "
                  "('n.p', 'sex', 'c.person', 'gender', 'column', now()), ('n.p', 'age', 'c.person', 'yob', 'column', now())",
                  ignore),
              IsOk());
  auto run = [&](LineageCommandOptions o) {
    auto sql = LineageSql(o);
    EXPECT_THAT(sql, IsOk());
    std::string out;
    EXPECT_THAT(session->Run(*sql, [&](size_t, engine::StatementOutcome& oc) -> Status {
                  if (oc.rows == nullptr) return Status::OK();
                  MEDLAKE_ASSIGN_OR_RETURN(auto rows, oc.rows->FetchAll());
                  for (const auto& r : rows) out += (out.empty() ? "" : ";") + r[0].ToText() + ":" + r[1].ToText() + ">" + r[2].ToText();
                  return Status::OK();
                }),
                IsOk());
    return out;
  };
  LineageCommandOptions up;
  up.target = "c.person";
  EXPECT_EQ(run(up), "1:n.p>c.person;2:raw.m>n.p;3:external:hl7>raw.m");
  up.depth = 2;
  EXPECT_EQ(run(up), "1:n.p>c.person;2:raw.m>n.p");
  LineageCommandOptions col;
  col.target = "c.person.gender";
  EXPECT_EQ(run(col), "1:n.p.sex>c.person.gender;2:raw.m.payload>n.p.sex");
  LineageCommandOptions down;
  down.target = "raw.m.payload";
  down.downstream = true;
  EXPECT_EQ(run(down), "1:raw.m.payload>n.p.sex;2:n.p.sex>c.person.gender");
}

}  // namespace
}  // namespace medlake::cli
