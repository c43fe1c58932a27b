#include "pipeline/sof/view_definition.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/testing/status_matchers.h"

namespace medlake::pipeline::sof {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

using Rows = std::vector<std::vector<json>>;

// Synthetic resources only (no real data).
const json& Patient() {
  static const json kPatient = json::parse(R"j({
  "resourceType": "Patient", "id": "p1", "active": true,
  "name": [{"family": "Alpha", "given": ["Ann", "Beth"]}, {"family": "Beta"}],
  "contact": [{"telecom": [{"value": "555-0100"}]}]
})j");
  return kPatient;
}

Rows RunView(const ViewDefinition& view, const json& resource) {
  Rows rows;
  Status s = view.Evaluate(resource, &rows);
  EXPECT_THAT(s, IsOk());
  return rows;
}

TEST(ViewDefinitionTest, ParsesColumnsWithTypes) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ViewDefinition view, ViewDefinition::Parse(R"j({
    "resource": "Patient", "name": "patient_demo",
    "select": [{"column": [
      {"name": "id", "path": "getResourceKey()", "type": "id"},
      {"name": "active", "path": "active", "type": "boolean"},
      {"name": "births", "path": "multipleBirth.ofType(integer)", "type": "integer"},
      {"name": "score", "path": "1.5", "type": "decimal"},
      {"name": "given", "path": "name.given", "type": "string", "collection": true},
      {"name": "has_name", "path": "name.exists()"}
    ]}]})j"));
  EXPECT_EQ(view.resource(), "Patient");
  EXPECT_EQ(view.name(), "patient_demo");
  const std::vector<ViewColumn>& c = view.columns();
  ASSERT_EQ(c.size(), 6u);
  EXPECT_EQ(c[0].sql_type, "VARCHAR");
  EXPECT_EQ(c[1].sql_type, "BOOLEAN");
  EXPECT_EQ(c[2].sql_type, "BIGINT");
  EXPECT_EQ(c[3].sql_type, "DOUBLE");
  EXPECT_TRUE(c[4].collection);
  EXPECT_EQ(c[4].sql_type, "VARCHAR");
  EXPECT_EQ(c[5].fhir_type, "boolean");  // inferred
  EXPECT_EQ(c[5].sql_type, "BOOLEAN");
}

TEST(ViewDefinitionTest, EvaluatesForEachAndCollections) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ViewDefinition view, ViewDefinition::Parse(R"j({
    "resource": "Patient",
    "select": [
      {"column": [{"name": "id", "path": "id"}]},
      {"forEach": "name", "column": [
        {"name": "i", "path": "%rowIndex"},
        {"name": "family", "path": "family"},
        {"name": "given", "path": "given", "collection": true}]}
    ]})j"));
  Rows rows = RunView(view, Patient());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<json>{"p1", 0, "Alpha", json::array({"Ann", "Beth"})}));
  EXPECT_EQ(rows[1], (std::vector<json>{"p1", 1, "Beta", json::array()}));
}

TEST(ViewDefinitionTest, SkipsOtherResourceTypesAndFailedWhere) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ViewDefinition view, ViewDefinition::Parse(R"j({
    "resource": "Patient", "where": [{"path": "active = false"}],
    "select": [{"column": [{"name": "id", "path": "id"}]}]})j"));
  EXPECT_TRUE(RunView(view, Patient()).empty());
  EXPECT_TRUE(
      RunView(view, json::parse(R"j({"resourceType": "Observation", "id": "o1"})j")).empty());
}

TEST(ViewDefinitionTest, ConstantsOfEveryKind) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ViewDefinition view, ViewDefinition::Parse(R"j({
    "resource": "Patient",
    "constant": [{"name": "fam", "valueString": "Beta"}, {"name": "idx", "valueInteger": 0},
                 {"name": "flag", "valueBoolean": true}, {"name": "d", "valueDate": "2020-01"}],
    "select": [{"column": [
      {"name": "hit", "path": "name.where(family = %fam).exists() and %flag"},
      {"name": "first_family", "path": "name[%idx].family"},
      {"name": "later", "path": "%d > @2019"}]}]})j"));
  Rows rows = RunView(view, Patient());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<json>{true, "Alpha", true}));
}

TEST(ViewDefinitionTest, RejectsInvalidViews) {
  auto parse_error = [](const std::string& text) { return ViewDefinition::Parse(text).status(); };
  EXPECT_THAT(parse_error("{"), StatusIs(StatusCode::kInvalidArgument, "not valid JSON"));
  EXPECT_THAT(parse_error(R"j({"select": [{"column": [{"name": "id", "path": "id"}]}]})j"),
              StatusIs(StatusCode::kInvalidArgument, "resource is required"));
  EXPECT_THAT(parse_error(R"j({"resource": "Patient"})j"),
              StatusIs(StatusCode::kInvalidArgument, "select is required"));
  EXPECT_THAT(parse_error(R"j({"resource": "Patient", "select": [{"forEach": 1}]})j"),
              StatusIs(StatusCode::kInvalidArgument, "select[0].forEach must be a string"));
  EXPECT_THAT(parse_error(R"j({"resource": "Patient", "select": [{"forEach": "@@"}]})j"),
              StatusIs(StatusCode::kInvalidArgument, "select[0].forEach: FHIRPath syntax error"));
  EXPECT_THAT(parse_error(R"j({"resource": "Patient", "select": [
                  {"forEach": "name", "repeat": ["item"]}]})j"),
              StatusIs(StatusCode::kInvalidArgument, "only one of forEach"));
  EXPECT_THAT(parse_error(R"j({"resource": "Patient", "select": [
                  {"column": [{"name": "id", "path": "id"}]},
                  {"column": [{"name": "id", "path": "name.family"}]}]})j"),
              StatusIs(StatusCode::kInvalidArgument, "'id' is defined more than once"));
  EXPECT_THAT(parse_error(R"j({"resource": "Patient", "select": [
                  {"column": [{"name": "bad name", "path": "id"}]}]})j"),
              StatusIs(StatusCode::kInvalidArgument, "not a valid column name"));
  EXPECT_THAT(parse_error(R"j({"resource": "Patient", "select": [
                  {"column": [{"name": "id", "path": "id.nope()"}]}]})j"),
              StatusIs(StatusCode::kInvalidArgument,
                       "select[0].column[0] 'id': path: FHIRPath error at column 4: unknown "
                       "function 'nope'"));
  EXPECT_THAT(parse_error(R"j({"resource": "Patient", "select": [{"unionAll": [
                  {"column": [{"name": "a", "path": "id"}]},
                  {"column": [{"name": "b", "path": "id"}]}]}]})j"),
              StatusIs(StatusCode::kInvalidArgument, "same columns in the same order"));
  EXPECT_THAT(parse_error(R"j({"resource": "Patient", "constant": [{"name": "c"}],
                  "select": [{"column": [{"name": "id", "path": "%c"}]}]})j"),
              StatusIs(StatusCode::kInvalidArgument, "has no value[x]"));
  EXPECT_THAT(parse_error(R"j({"resource": "Patient", "constant": [{"name": "c",
                  "valueInteger": "1"}], "select": [{"column": [{"name": "id", "path": "%c"}]}]})j"),
              StatusIs(StatusCode::kInvalidArgument, "wrong JSON type"));
  EXPECT_THAT(parse_error(R"j({"resource": "Patient", "where": [{"path": "name.count()"}],
                  "select": [{"column": [{"name": "id", "path": "id"}]}]})j"),
              StatusIs(StatusCode::kInvalidArgument, "of type integer, not boolean"));
}

TEST(ViewDefinitionTest, EvaluationErrorsNameTheColumnNotTheValue) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ViewDefinition view, ViewDefinition::Parse(R"j({
    "resource": "Patient", "select": [{"column": [{"name": "family", "path": "name.family"}]}]})j"));
  Rows rows;
  Status s = view.Evaluate(Patient(), &rows);
  EXPECT_THAT(s, StatusIs(StatusCode::kInvalidArgument, "column 'family' got 2 values"));
  EXPECT_THAT(s.message(), Not(HasSubstr("Alpha")));

  MEDLAKE_ASSERT_OK_AND_ASSIGN(ViewDefinition where_view, ViewDefinition::Parse(R"j({
    "resource": "Patient", "where": [{"path": "name.family.first()"}],
    "select": [{"column": [{"name": "id", "path": "id"}]}]})j"));
  EXPECT_THAT(where_view.Evaluate(Patient(), &rows),
              StatusIs(StatusCode::kInvalidArgument,
                       "where[0] path must evaluate to a single "
                       "boolean"));
  EXPECT_THAT(view.Evaluate(json::array(), &rows),
              StatusIs(StatusCode::kInvalidArgument, "not a JSON object"));
}

TEST(ViewDefinitionTest, RepeatWalksDepthFirst) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ViewDefinition view, ViewDefinition::Parse(R"j({
    "resource": "QuestionnaireResponse",
    "select": [{"repeat": ["item"], "column": [
      {"name": "i", "path": "%rowIndex"}, {"name": "link", "path": "linkId"}]}]})j"));
  const json qr = json::parse(R"j({"resourceType": "QuestionnaireResponse", "item": [
    {"linkId": "1", "item": [{"linkId": "1.1"}]}, {"linkId": "2"}]})j");
  Rows rows = RunView(view, qr);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<json>{0, "1"}));
  EXPECT_EQ(rows[1], (std::vector<json>{1, "1.1"}));
  EXPECT_EQ(rows[2], (std::vector<json>{2, "2"}));
}

TEST(ViewDefinitionTest, CopiesShareTheCompiledView) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ViewDefinition view, ViewDefinition::Parse(R"j({
    "resource": "Patient", "constant": [{"name": "x", "valueString": "Alpha"}],
    "select": [{"column": [{"name": "hit", "path": "name.family contains %x"}]}]})j"));
  ViewDefinition copy = view;
  { ViewDefinition moved = std::move(view); }
  Rows rows = RunView(copy, Patient());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], true);
}

}  // namespace
}  // namespace medlake::pipeline::sof
