#include "pipeline/sof/fhirpath.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/testing/status_matchers.h"
#include "pipeline/sof/fhirpath_internal.h"

namespace medlake::pipeline::sof {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// A synthetic patient (no real data).
const json& Patient() {
  static const json kPatient = json::parse(R"j({
    "resourceType": "Patient", "id": "p1", "active": true, "gender": "female",
    "birthDate": "1970-06",
    "name": [
      {"use": "official", "family": "Alpha", "given": ["Ann", "Beth"]},
      {"use": "usual", "family": "Beta", "given": ["Cat"]}
    ],
    "deceasedBoolean": false,
    "multipleBirthInteger": 2,
    "extension": [
      {"url": "http://example.org/a", "valueCode": "x"},
      {"url": "http://example.org/b", "extension": [{"url": "inner", "valueString": "y"}]}
    ],
    "link": [{"other": {"reference": "Patient/p2"}}]
  })j");
  return kPatient;
}

// Evaluates `expr` on Patient() and returns the result array; fails the test on error.
json Eval(const std::string& expr, const FhirPathCompileOptions& options = {}) {
  Result<FhirPathExpression> compiled = FhirPathExpression::Compile(expr, options);
  EXPECT_THAT(compiled, IsOk()) << expr;
  if (!compiled.ok()) {
    return json();
  }
  Result<json> result = compiled->EvaluateToJson(Patient());
  EXPECT_THAT(result, IsOk()) << expr;
  return result.ok() ? *result : json();
}

Status EvalStatus(const std::string& expr) {
  MEDLAKE_ASSIGN_OR_RETURN(FhirPathExpression compiled, FhirPathExpression::Compile(expr));
  return compiled.EvaluateToJson(Patient()).status();
}

TEST(FhirPathLexerTest, SplitsTokens) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<internal::Token> tokens,
                               internal::Tokenize("name.where(use != 'a\\'b') >= 1.50 @2020-01"));
  ASSERT_EQ(tokens.size(), 12u);
  EXPECT_EQ(tokens[0].kind, internal::TokenKind::kIdentifier);
  EXPECT_EQ(tokens[5].text, "!=");
  EXPECT_EQ(tokens[6].kind, internal::TokenKind::kString);
  EXPECT_EQ(tokens[6].text, "a'b");
  EXPECT_EQ(tokens[9].kind, internal::TokenKind::kNumber);
  EXPECT_EQ(tokens[9].text, "1.50");
  EXPECT_EQ(tokens[10].kind, internal::TokenKind::kDateTime);
  EXPECT_EQ(tokens[10].text, "2020-01");
  EXPECT_EQ(tokens[11].kind, internal::TokenKind::kEnd);
}

TEST(FhirPathLexerTest, ReadsDateTimeTimeAndDelimitedTokens) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      std::vector<internal::Token> tokens,
      internal::Tokenize("@2020-01-02T10:30:00.5+02:00 @T12:00 `div` %'my const' $this // c"));
  ASSERT_EQ(tokens.size(), 6u);
  EXPECT_EQ(tokens[0].text, "2020-01-02T10:30:00.5+02:00");
  EXPECT_EQ(tokens[1].kind, internal::TokenKind::kTime);
  EXPECT_EQ(tokens[1].text, "12:00");
  EXPECT_TRUE(tokens[2].delimited);
  EXPECT_EQ(tokens[2].text, "div");
  EXPECT_EQ(tokens[3].kind, internal::TokenKind::kExternal);
  EXPECT_EQ(tokens[3].text, "my const");
  EXPECT_EQ(tokens[4].kind, internal::TokenKind::kSpecial);
}

TEST(FhirPathLexerTest, RejectsBadInputWithPosition) {
  EXPECT_THAT(internal::Tokenize("name.given = 'abc"),
              StatusIs(StatusCode::kInvalidArgument, "column 14: unterminated string"));
  EXPECT_THAT(internal::Tokenize("a # b"),
              StatusIs(StatusCode::kInvalidArgument, "column 3: unexpected character"));
  EXPECT_THAT(internal::Tokenize("@2020-13-01"),
              StatusIs(StatusCode::kInvalidArgument, "malformed date/time literal"));
  EXPECT_THAT(internal::Tokenize("$that"),
              StatusIs(StatusCode::kInvalidArgument, "unknown special variable"));
}

TEST(FhirPathParserTest, RejectsSyntaxErrorsWithPosition) {
  EXPECT_THAT(FhirPathExpression::Compile("@@"),
              StatusIs(StatusCode::kInvalidArgument, "FHIRPath syntax error at column 1"));
  EXPECT_THAT(FhirPathExpression::Compile(""),
              StatusIs(StatusCode::kInvalidArgument, "unexpected end of expression"));
  EXPECT_THAT(FhirPathExpression::Compile("name.where(use = 'a'"),
              StatusIs(StatusCode::kInvalidArgument, "column 21: expected ')'"));
  EXPECT_THAT(FhirPathExpression::Compile("name."),
              StatusIs(StatusCode::kInvalidArgument, "expected a name after '.'"));
  EXPECT_THAT(FhirPathExpression::Compile("a b"),
              StatusIs(StatusCode::kInvalidArgument, "column 3: unexpected token"));
  EXPECT_THAT(FhirPathExpression::Compile("name[0"),
              StatusIs(StatusCode::kInvalidArgument, "expected ']'"));
  EXPECT_THAT(FhirPathExpression::Compile(std::string(500, '(') + "1" + std::string(500, ')')),
              StatusIs(StatusCode::kInvalidArgument, "nested too deeply"));
}

TEST(FhirPathParserTest, RejectsUnknownFunctionsArityAndConstants) {
  EXPECT_THAT(FhirPathExpression::Compile("name.frobnicate()"),
              StatusIs(StatusCode::kInvalidArgument, "unknown function 'frobnicate'"));
  EXPECT_THAT(FhirPathExpression::Compile("name.first(1)"),
              StatusIs(StatusCode::kInvalidArgument, "function 'first' takes 0 argument(s)"));
  EXPECT_THAT(FhirPathExpression::Compile("name.where()"),
              StatusIs(StatusCode::kInvalidArgument, "function 'where' takes 1"));
  EXPECT_THAT(FhirPathExpression::Compile("value.ofType('Quantity')"),
              StatusIs(StatusCode::kInvalidArgument, "expects a type name"));
  EXPECT_THAT(FhirPathExpression::Compile("name.where(use = %missing)"),
              StatusIs(StatusCode::kInvalidArgument, "unknown constant %missing"));
  EXPECT_THAT(FhirPathExpression::Compile("$total"),
              StatusIs(StatusCode::kInvalidArgument, "$total is not supported"));
}

TEST(FhirPathParserTest, OperatorPrecedence) {
  EXPECT_EQ(Eval("1 + 2 * 3"), json::array({7}));
  EXPECT_EQ(Eval("(1 + 2) * 3"), json::array({9}));
  EXPECT_EQ(Eval("-2 + 5"), json::array({3}));
  EXPECT_EQ(Eval("1 + 1 = 2 and 2 > 1"), json::array({true}));
  EXPECT_EQ(Eval("false and true or true"), json::array({true}));
  EXPECT_EQ(Eval("true or false implies false"), json::array({false}));
  EXPECT_EQ(Eval("'a' & 'b' + 'c'"), json::array({"abc"}));
  EXPECT_EQ(Eval("7 div 2 + 7 mod 2"), json::array({4}));
}

TEST(FhirPathParserTest, InfersStaticTypes) {
  auto type_of = [](const std::string& expr) {
    Result<FhirPathExpression> e = FhirPathExpression::Compile(expr);
    return e.ok() ? std::string(e->StaticType()) : "<error>";
  };
  EXPECT_EQ(type_of("name.exists()"), "boolean");
  EXPECT_EQ(type_of("name.count()"), "integer");
  EXPECT_EQ(type_of("%rowIndex"), "integer");
  EXPECT_EQ(type_of("name.given.join(',')"), "string");
  EXPECT_EQ(type_of("value.ofType(Quantity)"), "Quantity");
  EXPECT_EQ(type_of("name.family"), "");
}

TEST(FhirPathEvalTest, NavigatesAndFlattens) {
  EXPECT_EQ(Eval("id"), json::array({"p1"}));
  EXPECT_EQ(Eval("Patient.id"), json::array({"p1"}));
  EXPECT_EQ(Eval("name.family"), json::array({"Alpha", "Beta"}));
  EXPECT_EQ(Eval("name.given"), json::array({"Ann", "Beth", "Cat"}));
  EXPECT_EQ(Eval("name[1].family"), json::array({"Beta"}));
  EXPECT_EQ(Eval("name[5].family"), json::array());
  EXPECT_EQ(Eval("missing.element"), json::array());
  EXPECT_EQ(Eval("name.given[2]"), json::array({"Cat"}));
  EXPECT_EQ(Eval("{}"), json::array());
}

TEST(FhirPathEvalTest, ChoiceElementsAndOfType) {
  EXPECT_EQ(Eval("deceased"), json::array({false}));
  EXPECT_EQ(Eval("deceased.ofType(boolean)"), json::array({false}));
  EXPECT_EQ(Eval("deceased.ofType(dateTime)"), json::array());
  EXPECT_EQ(Eval("multipleBirth.ofType(integer) + 1"), json::array({3}));
  EXPECT_EQ(Eval("multipleBirth is integer"), json::array({true}));
  EXPECT_EQ(Eval("multipleBirth is FHIR.boolean"), json::array({false}));
  EXPECT_EQ(Eval("(multipleBirth as integer) = 2"), json::array({true}));
  EXPECT_EQ(Eval("gender.ofType(code)"), json::array({"female"}));
  EXPECT_EQ(Eval("name.ofType(HumanName).count()"), json::array({2}));
}

TEST(FhirPathEvalTest, FunctionsOnCollections) {
  EXPECT_EQ(Eval("name.where(use = 'usual').family"), json::array({"Beta"}));
  EXPECT_EQ(Eval("name.select(given.first())"), json::array({"Ann", "Cat"}));
  EXPECT_EQ(Eval("name.exists()"), json::array({true}));
  EXPECT_EQ(Eval("name.exists(use = 'old')"), json::array({false}));
  EXPECT_EQ(Eval("name.all(family.exists())"), json::array({true}));
  EXPECT_EQ(Eval("telecom.empty()"), json::array({true}));
  EXPECT_EQ(Eval("name.given.count()"), json::array({3}));
  EXPECT_EQ(Eval("name.given.first()"), json::array({"Ann"}));
  EXPECT_EQ(Eval("name.given.last()"), json::array({"Cat"}));
  EXPECT_EQ(Eval("name.given.tail()"), json::array({"Beth", "Cat"}));
  EXPECT_EQ(Eval("name.given.skip(1).take(1)"), json::array({"Beth"}));
  EXPECT_EQ(Eval("name.given.join(', ')"), json::array({"Ann, Beth, Cat"}));
  EXPECT_EQ(Eval("telecom.value.join()"), json::array({""}));
  EXPECT_EQ(Eval("(1 | 2 | 1).count()"), json::array({2}));
  EXPECT_EQ(Eval("(1 | 2 | 1).distinct().count()"), json::array({2}));
  EXPECT_EQ(Eval("name.where(use = 'usual').select($index)"), json::array({0}));
  EXPECT_EQ(Eval("'Ann' in name.given"), json::array({true}));
  EXPECT_EQ(Eval("name.given contains 'Zed'"), json::array({false}));
  EXPECT_EQ(Eval("iif(active, 'yes', 'no')"), json::array({"yes"}));
  EXPECT_EQ(Eval("iif(gender = 'male', 'yes')"), json::array());
}

TEST(FhirPathEvalTest, StringFunctions) {
  EXPECT_EQ(Eval("id.upper() & gender.substring(1, 3)"), json::array({"P1ema"}));
  EXPECT_EQ(Eval("gender.startsWith('fe') and gender.endsWith('ale')"), json::array({true}));
  EXPECT_EQ(Eval("gender.contains('mal')"), json::array({true}));
  EXPECT_EQ(Eval("gender.length()"), json::array({6}));
  EXPECT_EQ(Eval("'12'.toInteger() + '0.5'.toDecimal()"), json::array({12.5}));
  EXPECT_EQ(Eval("1.5.toString()"), json::array({"1.5"}));
  EXPECT_EQ(Eval("'ABC' ~ 'abc'"), json::array({true}));
}

TEST(FhirPathEvalTest, ThreeValuedLogic) {
  EXPECT_EQ(Eval("missing and true"), json::array());
  EXPECT_EQ(Eval("missing and false"), json::array({false}));
  EXPECT_EQ(Eval("missing or true"), json::array({true}));
  EXPECT_EQ(Eval("missing or false"), json::array());
  EXPECT_EQ(Eval("true xor true"), json::array({false}));
  EXPECT_EQ(Eval("false implies missing"), json::array({true}));
  EXPECT_EQ(Eval("missing implies true"), json::array({true}));
  EXPECT_EQ(Eval("(gender = 'male').not()"), json::array({true}));
  EXPECT_EQ(Eval("missing.not()"), json::array());
  EXPECT_EQ(Eval("missing = 1"), json::array());
}

TEST(FhirPathEvalTest, ArithmeticAndComparison) {
  EXPECT_EQ(Eval("3 / 2"), json::array({1.5}));
  EXPECT_EQ(Eval("3 - 5"), json::array({-2}));
  EXPECT_EQ(Eval("2.5 * 2 = 5"), json::array({true}));
  EXPECT_EQ(Eval("1 / 0"), json::array());
  EXPECT_EQ(Eval("9223372036854775807 + 1"), json::array());
  EXPECT_EQ(Eval("'b' > 'a'"), json::array({true}));
  EXPECT_EQ(Eval("1 != 1.0"), json::array({false}));
  EXPECT_EQ(Eval("5 'mg' > 4 'mg'"), json::array({true}));
}

TEST(FhirPathEvalTest, DatesCompareByPrecision) {
  EXPECT_EQ(Eval("birthDate = @1970-06"), json::array({true}));
  EXPECT_EQ(Eval("birthDate < @1971-01-01"), json::array({true}));
  EXPECT_EQ(Eval("birthDate = @1970-06-01"), json::array());  // precision differs
  EXPECT_EQ(Eval("birthDate > @1969"), json::array({true}));
  EXPECT_EQ(Eval("@2020-01-01T10:00:00Z = @2020-01-01T12:00:00+02:00"), json::array({true}));
  EXPECT_EQ(Eval("@T10:00 < @T10:30"), json::array({true}));
}

TEST(FhirPathEvalTest, Boundaries) {
  EXPECT_EQ(Eval("birthDate.lowBoundary()"), json::array({"1970-06-01"}));
  EXPECT_EQ(Eval("birthDate.highBoundary()"), json::array({"1970-06-30"}));
  EXPECT_EQ(Eval("@2024-02.highBoundary()"), json::array({"2024-02-29"}));
  EXPECT_EQ(Eval("@2010-10-10T.lowBoundary()"), json::array({"2010-10-10T00:00:00.000+14:00"}));
  EXPECT_EQ(Eval("@2010-10-10T10:30Z.highBoundary()"), json::array({"2010-10-10T10:30:59.999Z"}));
  EXPECT_EQ(Eval("@T12:34.highBoundary()"), json::array({"12:34:59.999"}));
  EXPECT_EQ(Eval("1.0.lowBoundary()"), json::array({0.95}));
  EXPECT_EQ(Eval("1.587.highBoundary()"), json::array({1.5875}));
  EXPECT_EQ(Eval("1.587.lowBoundary(2)"), json::array({1.58}));
  EXPECT_EQ(Eval("@2014-03.lowBoundary(4)"), json::array({"2014"}));
  EXPECT_EQ(Eval("gender.lowBoundary()"), json::array());
}

TEST(FhirPathEvalTest, FhirFunctions) {
  EXPECT_EQ(Eval("extension('http://example.org/a').value.ofType(code)"), json::array({"x"}));
  EXPECT_EQ(Eval("extension('http://example.org/b').extension('inner').value"), json::array({"y"}));
  EXPECT_EQ(Eval("getResourceKey()"), json::array({"p1"}));
  EXPECT_EQ(Eval("link.other.getReferenceKey()"), json::array({"p2"}));
  EXPECT_EQ(Eval("link.other.getReferenceKey(Patient)"), json::array({"p2"}));
  EXPECT_EQ(Eval("link.other.getReferenceKey(Observation)"), json::array());
  EXPECT_EQ(Eval("%resource.id"), json::array({"p1"}));
}

TEST(FhirPathEvalTest, ConstantsAndRowIndex) {
  FhirPathCompileOptions options;
  options.constant_names = {"use", "n"};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      FhirPathExpression expr,
      FhirPathExpression::Compile("name.where(use = %use).given[%n] & %rowIndex.toString()",
                                  options));
  const json use = "official";
  const json n = 1;
  const std::vector<FhirPathItem> constants = {{&use, "code"}, {&n, "integer"}};
  FhirPathContext context;
  context.set_resource(&Patient());
  context.set_constants(constants);
  context.set_row_index(7);
  FhirPathCollection out;
  MEDLAKE_ASSERT_OK(expr.Evaluate({{&Patient(), ""}}, &context, &out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(*out[0].node, "Beth7");
}

TEST(FhirPathEvalTest, RunTimeErrorsNameTheOperationNotTheData) {
  EXPECT_THAT(EvalStatus("name.family > 1"),
              StatusIs(StatusCode::kInvalidArgument, "comparison expects a single item, got 2"));
  EXPECT_THAT(EvalStatus("gender > 1"),
              StatusIs(StatusCode::kInvalidArgument, "cannot compare string with integer"));
  EXPECT_THAT(EvalStatus("name.given.single()"),
              StatusIs(StatusCode::kInvalidArgument, "single() got 3 items"));
  EXPECT_THAT(EvalStatus("name.where(given)"),
              StatusIs(StatusCode::kInvalidArgument, "where() expects a single boolean"));
  EXPECT_THAT(EvalStatus("name.join()"),
              StatusIs(StatusCode::kInvalidArgument, "join() expects strings"));
  Status s = EvalStatus("gender + 1");
  EXPECT_THAT(s, StatusIs(StatusCode::kInvalidArgument, "arithmetic"));
  EXPECT_THAT(s.message(), ::testing::Not(HasSubstr("female")));
}

TEST(FhirPathTypesTest, CanonicalNames) {
  EXPECT_EQ(CanonicalFhirTypeName("String"), "string");
  EXPECT_EQ(CanonicalFhirTypeName("DateTime"), "dateTime");
  EXPECT_EQ(CanonicalFhirTypeName("FHIR.Quantity"), "Quantity");
  EXPECT_EQ(CanonicalFhirTypeName("System.Integer"), "integer");
  EXPECT_EQ(CanonicalFhirTypeName("Patient"), "");
  EXPECT_EQ(CanonicalFhirTypeName("Set"), "");
}

TEST(FhirPathTemporalTest, ParsesAndRejects) {
  EXPECT_TRUE(internal::ParseTemporal("2020-02-29", internal::TemporalKind::kDate));
  EXPECT_FALSE(internal::ParseTemporal("2021-02-29", internal::TemporalKind::kDate));
  EXPECT_FALSE(internal::ParseTemporal("2021-02-01T10", internal::TemporalKind::kDate));
  EXPECT_TRUE(
      internal::ParseTemporal("2021-02-01T10:00:00-05:00", internal::TemporalKind::kDateTime));
  EXPECT_FALSE(internal::ParseTemporal("25:00", internal::TemporalKind::kTime));
  auto t =
      internal::ParseTemporal("2015-02-07T13:28:17.239+02:00", internal::TemporalKind::kDateTime);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->precision, 7);
  EXPECT_EQ(t->millisecond, 239);
  EXPECT_EQ(internal::FormatTemporal(*t), "2015-02-07T13:28:17.239+02:00");
}

}  // namespace
}  // namespace medlake::pipeline::sof
