#include "pipeline/model.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "pipeline/runner.h"

namespace medlake::pipeline {
namespace {

TEST(ModelConfigTest, ReadsSettingsFromLeadingComments) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto c, ParseSqlModelConfig(
      "-- a model\n-- @materialized: incremental\n--   @unique_key: a, b\n"
      "-- @incremental_sources: raw.x\n-- @delete_column: gone\n-- @description: hi there\n"
      "SELECT 1\n-- @materialized: table\n"));
  EXPECT_TRUE(c.incremental);
  EXPECT_EQ(c.unique_key, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.incremental_sources, (std::vector<std::string>{"raw.x"}));
  EXPECT_EQ(c.delete_column, "gone");
  EXPECT_EQ(c.description, "hi there");
  EXPECT_TRUE(c.write_order.empty());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto ordered, ParseSqlModelConfig("-- @write_order: patient_key , id\nSELECT 1"));
  EXPECT_EQ(ordered.write_order, (std::vector<std::string>{"patient_key", "id"}));
  EXPECT_THAT(ParseSqlModelConfig("-- @write_order: \nSELECT 1"), StatusIs(StatusCode::kInvalidArgument, "write_order"));
  EXPECT_FALSE(ordered.key_index);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto indexed, ParseSqlModelConfig("-- @write_order: k\n-- @key_index: true\nSELECT 1"));
  EXPECT_TRUE(indexed.key_index);
  EXPECT_THAT(ParseSqlModelConfig("-- @write_order: k\n-- @key_index: yes\nSELECT 1"),
              StatusIs(StatusCode::kInvalidArgument, "@key_index must be"));
  EXPECT_THAT(ParseSqlModelConfig("-- @key_index: true\nSELECT 1"), StatusIs(StatusCode::kInvalidArgument, "needs @write_order"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto plain, ParseSqlModelConfig("SELECT 1"));
  EXPECT_FALSE(plain.incremental);
}

TEST(ModelConfigTest, RejectsBadSettingsNamingTheLine) {
  EXPECT_THAT(ParseSqlModelConfig("-- @colour: red\nSELECT 1"), StatusIs(StatusCode::kInvalidArgument, "line 1"));
  EXPECT_THAT(ParseSqlModelConfig("\n-- @materialized: view\n"), StatusIs(StatusCode::kInvalidArgument, "line 2"));
  EXPECT_THAT(ParseSqlModelConfig("-- @materialized\n"), StatusIs(StatusCode::kInvalidArgument, "@key: value"));
  EXPECT_THAT(ParseSqlModelConfig("-- @materialized: incremental\nSELECT 1"),
              StatusIs(StatusCode::kInvalidArgument, "unique_key"));
}

TEST(ModelConfigTest, KeyedIncrementalSettings) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto c, ParseSqlModelConfig("-- @materialized: incremental\n-- @incremental_by: person_id\n"
                                  "-- @key_lookup: Normalized.Person_Link.source_key = normalized.condition.patient_source_key, "
                                  "normalized.patient.source_key\nSELECT 1"));
  EXPECT_TRUE(c.incremental);
  EXPECT_EQ(c.incremental_by, "person_id");
  EXPECT_TRUE(c.unique_key.empty());
  ASSERT_TRUE(c.key_lookup.has_value());
  EXPECT_EQ(c.key_lookup->table, "normalized.person_link");
  EXPECT_EQ(c.key_lookup->column, "source_key");
  EXPECT_EQ(c.key_lookup->sources, (std::map<std::string, std::string>{
                                       {"normalized.condition", "patient_source_key"}, {"normalized.patient", "source_key"}}));
  // Without incremental, with a unique key, a lookup alone, malformed lookups.
  EXPECT_THAT(ParseSqlModelConfig("-- @incremental_by: person_id\nSELECT 1"),
              StatusIs(StatusCode::kInvalidArgument, "@materialized: incremental"));
  EXPECT_THAT(ParseSqlModelConfig("-- @materialized: incremental\n-- @incremental_by: p\n-- @unique_key: k\nSELECT 1"),
              StatusIs(StatusCode::kInvalidArgument, "replaces @unique_key"));
  EXPECT_THAT(ParseSqlModelConfig("-- @materialized: incremental\n-- @unique_key: k\n-- @key_lookup: a.b.c = d.e.f\nSELECT 1"),
              StatusIs(StatusCode::kInvalidArgument, "needs @incremental_by"));
  EXPECT_THAT(ParseSqlModelConfig("-- @incremental_by: a, b\nSELECT 1"), StatusIs(StatusCode::kInvalidArgument, "line 1"));
  for (const char* bad : {"a.b = c.d.e", "a.b.c", "a.b.c = ", "a.b.c = d.e.f-g"}) {
    EXPECT_THAT(ParseSqlModelConfig(std::string("-- @key_lookup: ") + bad + "\nSELECT 1"),
                StatusIs(StatusCode::kInvalidArgument, "@key_lookup: ns.table.column")) << bad;
    EXPECT_THAT(ParseSqlModelConfig(std::string("-- @key_via: ") + bad + "\nSELECT 1"),
                StatusIs(StatusCode::kInvalidArgument, "@key_via: ns.table.column")) << bad;
  }
}

TEST(ModelConfigTest, KeyViaLinesNameDimensionTables) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto c, ParseSqlModelConfig("-- @materialized: incremental\n-- @incremental_by: person_id\n"
                                  "-- @key_via: Curated.Provider.provider_source_value = normalized.procedure.performer, "
                                  "normalized.immunization.performer\n"
                                  "-- @key_via: curated.care_site.care_site_id = curated.visit_occurrence.care_site_id\nSELECT 1"));
  ASSERT_EQ(c.key_via.size(), 2u);
  EXPECT_EQ(c.key_via[0].table, "curated.provider");
  EXPECT_EQ(c.key_via[0].column, "provider_source_value");
  EXPECT_EQ(c.key_via[0].sources, (std::map<std::string, std::string>{{"normalized.immunization", "performer"},
                                                                       {"normalized.procedure", "performer"}}));
  EXPECT_EQ(c.key_via[1].table, "curated.care_site");
  EXPECT_FALSE(c.key_lookup.has_value());
  // One line per dimension table; only with @incremental_by.
  EXPECT_THAT(ParseSqlModelConfig("-- @materialized: incremental\n-- @incremental_by: p\n-- @key_via: a.b.c = d.e.f\n"
                                  "-- @key_via: a.b.x = d.e.g\nSELECT 1"),
              StatusIs(StatusCode::kInvalidArgument, "line 4: a second @key_via for a.b"));
  EXPECT_THAT(ParseSqlModelConfig("-- @materialized: incremental\n-- @unique_key: k\n-- @key_via: a.b.c = d.e.f\nSELECT 1"),
              StatusIs(StatusCode::kInvalidArgument, "@key_via needs @incremental_by"));
}

TEST(ModelFileTest, NamesComeFromThePath) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto m, ModelFromFile("normalized/patient.sql", "SELECT 1", "x"));
  EXPECT_EQ(m.name(), "normalized.patient");
  EXPECT_EQ(m.kind, Model::Kind::kSql);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto v, ModelFromFile("fhir_views/obs.view.json", "{}", "x"));
  EXPECT_EQ(v.kind, Model::Kind::kView);
  EXPECT_TRUE(v.config.incremental);
  EXPECT_EQ(v.config.unique_key, (std::vector<std::string>{"_resource_key"}));
  EXPECT_THAT(ModelFromFile("normalized/patient.txt", "", "x"), StatusIs(StatusCode::kInvalidArgument, "model file"));
  EXPECT_THAT(ModelFromFile("a/b/c.sql", "", "x"), StatusIs(StatusCode::kInvalidArgument, "model file"));
  EXPECT_THAT(ModelFromFile("x/bad-name.sql", "", "x"), StatusIs(StatusCode::kInvalidArgument, "model file"));
  EXPECT_THAT(ModelFromFile("raw/mine.sql", "SELECT 1", "x"), StatusIs(StatusCode::kInvalidArgument, "raw"));
}

TEST(ModelFileTest, ProjectFilesReplaceBuiltinsOfTheSameName) {
  ASSERT_FALSE(BuiltinModelFiles().empty());
  ASSERT_TRUE(BuiltinModelFiles().count("normalized/patient.sql"));
  TempDir tmp;
  std::filesystem::create_directories(tmp.Join("models/normalized"));
  std::filesystem::create_directories(tmp.Join("models/mart"));
  std::ofstream(tmp.Join("models/normalized/patient.sql")) << "SELECT 42 AS mine";
  std::ofstream(tmp.Join("models/mart/daily.sql")) << "SELECT 1 AS one";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto models, LoadModels(tmp.path()));
  std::map<std::string, const Model*> by;
  for (const auto& m : models) by[m.name()] = &m;
  ASSERT_TRUE(by.count("normalized.patient"));
  EXPECT_EQ(by["normalized.patient"]->text, "SELECT 42 AS mine");
  EXPECT_EQ(by["normalized.patient"]->origin, tmp.Join("models/normalized/patient.sql"));
  ASSERT_TRUE(by.count("mart.daily"));
  EXPECT_TRUE(by.count("normalized.observation"));
  EXPECT_EQ(by["normalized.observation"]->origin, "builtin:normalized/observation.sql");
  // A missing project folder only gives the built-ins.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto builtins, LoadModels(tmp.Join("nowhere")));
  size_t model_files = 0;
  for (const auto& [path, text] : BuiltinModelFiles()) model_files += path.find(".quality.yaml") == std::string::npos;
  EXPECT_EQ(builtins.size(), model_files);
  // Rules files attach to their model.
  for (const auto& m : builtins) {
    if (m.name() == "normalized.observation") {
      EXPECT_FALSE(m.rules.empty());
    }
  }
  std::ofstream(tmp.Join("models/mart/orphan.quality.yaml")) << "rules: []";
  EXPECT_THAT(LoadModels(tmp.path()), StatusIs(StatusCode::kInvalidArgument, "no model mart.orphan"));
  std::filesystem::remove(tmp.Join("models/mart/orphan.quality.yaml"));
  // A broken project file is an error naming it.
  std::ofstream(tmp.Join("models/mart/broken.sql")) << "-- @materialized: sometimes\nSELECT 1";
  EXPECT_THAT(LoadModels(tmp.path()), StatusIs(StatusCode::kInvalidArgument, "mart.broken"));
}

TEST(GraphTest, OrdersByDependenciesAndNamesCycles) {
  std::vector<Model> models(3);
  models[0].ns = "m"; models[0].table = "c";
  models[1].ns = "m"; models[1].table = "a";
  models[2].ns = "m"; models[2].table = "b";
  // c reads b, b reads a and an outside table.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto order, TopologicalOrder(models, {{"m.b"}, {}, {"m.a", "raw.x"}}));
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(models[order[0]].name(), "m.a");
  EXPECT_EQ(models[order[1]].name(), "m.b");
  EXPECT_EQ(models[order[2]].name(), "m.c");
  EXPECT_THAT(TopologicalOrder(models, {{"m.b"}, {"m.c"}, {"m.a"}}),
              StatusIs(StatusCode::kInvalidArgument, "cycle"));
}

}  // namespace
}  // namespace medlake::pipeline
