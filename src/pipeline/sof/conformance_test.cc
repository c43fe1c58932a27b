// Runs the official SQL on FHIR v2 conformance suite (shared fixtures
// sql-on-fhir/tests/*.json, 22 files, 134 tests; format in the fixtures' README.md) through
// ViewDefinition: every view runs over all of its suite's resources, rows are compared with
// `expect` as an unordered multiset (JSON numbers by value; `expectColumns` fixes the column
// order), and `expectError` views must fail at Parse() or Evaluate().
//
// A test may only fail if it is in kSkipped below, with its reason; README.md lists the same.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/testing/status_matchers.h"
#include "pipeline/sof/view_definition.h"

namespace medlake::pipeline::sof {
namespace {

using nlohmann::json;

const std::string kSuiteDir = std::string(MEDLAKE_FIXTURES_DIR) + "/sql-on-fhir/tests/";

constexpr const char* kSuites[] = {
    "basic.json",
    "collection.json",
    "combinations.json",
    "constant.json",
    "constant_types.json",
    "fhirpath.json",
    "fhirpath_numbers.json",
    "fn_boundary.json",
    "fn_empty.json",
    "fn_extension.json",
    "fn_first.json",
    "fn_join.json",
    "fn_oftype.json",
    "fn_reference_keys.json",
    "foreach.json",
    "logic.json",
    "repeat.json",
    "row_index.json",
    "union.json",
    "validate.json",
    "view_resource.json",
    "where.json",
};
constexpr int kExpectedTests = 134;

// Tests allowed to fail, "<file>: <title>" -> reason. Keep in sync with README.md.
const std::map<std::string, std::string>& Skipped() {
  static const std::map<std::string, std::string> kSkipped = {};
  return kSkipped;
}

// JSON equality with numbers compared by value (1 == 1.0).
bool SameJson(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_number_integer() && b.is_number_integer()) {
      return a == b;
    }
    return a.get<double>() == b.get<double>();
  }
  if (a.type() != b.type()) {
    return false;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) {
      return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
      if (!SameJson(a[i], b[i])) {
        return false;
      }
    }
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) {
      return false;
    }
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !SameJson(it.value(), *other)) {
        return false;
      }
    }
    return true;
  }
  return a == b;
}

struct Outcome {
  bool passed = false;
  std::string detail;  // why it failed
};

// MEDLAKE_SOF_CONFORMANCE_VERBOSE=1 prints the error each expectError view was rejected with.
void ReportExpectedError(const json& test, const Status& status) {
  if (std::getenv("MEDLAKE_SOF_CONFORMANCE_VERBOSE") != nullptr) {
    std::cout << "  expected error for '" << test.value("title", std::string("?"))
              << "': " << status.ToString() << std::endl;
  }
}

Outcome RunOne(const json& test, const json& resources) {
  const bool expect_error = test.value("expectError", false);
  Result<ViewDefinition> view = ViewDefinition::FromJson(test.at("view"));
  if (!view.ok()) {
    if (expect_error) {
      ReportExpectedError(test, view.status());
      return {true, ""};
    }
    return {false, "Parse failed: " + view.status().ToString()};
  }
  std::vector<std::vector<json>> rows;
  for (const json& resource : resources) {
    Status s = view->Evaluate(resource, &rows);
    if (!s.ok()) {
      if (expect_error) {
        ReportExpectedError(test, s);
        return {true, ""};
      }
      return {false, "Evaluate failed: " + s.ToString()};
    }
  }
  if (expect_error) {
    return {false, "expected an error, got " + std::to_string(rows.size()) + " rows"};
  }
  const std::vector<ViewColumn>& columns = view->columns();
  if (test.contains("expectColumns")) {
    std::vector<std::string> names;
    for (const ViewColumn& c : columns) {
      names.push_back(c.name);
    }
    if (json(names) != test["expectColumns"]) {
      return {false,
              "columns " + json(names).dump() + ", expected " + test["expectColumns"].dump()};
    }
  }
  json actual = json::array();
  for (const std::vector<json>& row : rows) {
    json object = json::object();
    for (size_t i = 0; i < columns.size(); ++i) {
      object[columns[i].name] = row[i];
    }
    actual.push_back(std::move(object));
  }
  const json& expected = test.at("expect");
  std::vector<bool> used(actual.size(), false);
  bool ok = expected.size() == actual.size();
  for (size_t e = 0; ok && e < expected.size(); ++e) {
    bool found = false;
    for (size_t a = 0; a < actual.size() && !found; ++a) {
      if (!used[a] && SameJson(expected[e], actual[a])) {
        used[a] = true;
        found = true;
      }
    }
    ok = found;
  }
  if (!ok) {
    return {false, "rows " + actual.dump() + "\n    expected " + expected.dump()};
  }
  return {true, ""};
}

struct SuiteResult {
  int total = 0;
  int passed = 0;
  int skipped = 0;
  std::vector<std::string> failures;  // not in the skip list
};

SuiteResult RunSuite(const std::string& file) {
  SuiteResult result;
  std::ifstream in(kSuiteDir + file);
  std::stringstream buffer;
  buffer << in.rdbuf();
  json suite = json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
  if (suite.is_discarded() || !suite.is_object()) {
    result.failures.push_back(file + ": cannot read the suite");
    return result;
  }
  const json resources = suite.value("resources", json::array());
  for (const json& test : suite.at("tests")) {
    ++result.total;
    const std::string id = file + ": " + test.value("title", std::string("?"));
    Outcome outcome = RunOne(test, resources);
    if (outcome.passed) {
      ++result.passed;
    } else if (Skipped().count(id) != 0) {
      ++result.skipped;
    } else {
      result.failures.push_back(id + "\n    " + outcome.detail);
    }
  }
  return result;
}

class ConformanceSuiteTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ConformanceSuiteTest, PassesAllTestsOutsideTheSkipList) {
  SuiteResult result = RunSuite(GetParam());
  EXPECT_GT(result.total, 0);
  for (const std::string& failure : result.failures) {
    ADD_FAILURE() << failure;
  }
}

INSTANTIATE_TEST_SUITE_P(SqlOnFhir, ConformanceSuiteTest, ::testing::ValuesIn(kSuites),
                         [](const ::testing::TestParamInfo<const char*>& param_info) {
                           std::string name = param_info.param;
                           name = name.substr(0, name.find('.'));
                           for (char& c : name) {
                             if (c == '_') {
                               c = 'X';
                             }
                           }
                           return name;
                         });

TEST(SqlOnFhirConformanceTest, SummaryOverAllSuites) {
  int total = 0;
  int passed = 0;
  int skipped = 0;
  std::vector<std::string> failures;
  for (const char* file : kSuites) {
    SuiteResult r = RunSuite(file);
    total += r.total;
    passed += r.passed;
    skipped += r.skipped;
    failures.insert(failures.end(), r.failures.begin(), r.failures.end());
  }
  std::cout << "SQL-on-FHIR conformance: " << passed << "/" << total << " passed, " << skipped
            << " skipped" << std::endl;
  EXPECT_EQ(total, kExpectedTests) << "the suite in the fixtures changed";
  EXPECT_TRUE(failures.empty()) << failures.size() << " test(s) failed outside the skip list";
  EXPECT_EQ(passed + skipped, total);
}

}  // namespace
}  // namespace medlake::pipeline::sof
