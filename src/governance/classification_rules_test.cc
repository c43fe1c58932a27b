#include "governance/classification_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace medlake::governance {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::IsSupersetOf;
using ::testing::Not;

ColumnSample Named(std::string name) { return ColumnSample{std::move(name), false, {}}; }
ColumnSample Sampled(std::string name, std::vector<std::string> values) {
  return ColumnSample{std::move(name), true, std::move(values)};
}

// The tags found for `column` (empty when the column got none).
std::set<std::string> TagsOf(const TableFindings& f, const std::string& column) {
  for (const auto& c : f.columns) {
    if (c.column == column) return c.tags;
  }
  return {};
}

TEST(NameWordsTest, SplitsCaseDigitsAndAccents) {
  EXPECT_THAT(NameWords("birthDate"), ElementsAre("birth", "date"));
  EXPECT_THAT(NameWords("apellido1"), ElementsAre("apellido"));
  EXPECT_THAT(NameWords("HL7Message"), ElementsAre("hl", "message"));
  EXPECT_THAT(NameWords("PATIENT_ID"), ElementsAre("patient", "id"));
  EXPECT_THAT(NameWords("dirección postal"), ElementsAre("direccion", "postal"));
  EXPECT_THAT(NameWords("FECHA_NACIMIENTO"), ElementsAre("fecha", "nacimiento"));
  EXPECT_THAT(NameWords(""), IsEmpty());
}

TEST(ClassificationRulesTest, NamesInSpanishAndEnglish) {
  ClassifierOptions o;
  auto f = ClassifyColumns(
      "normalized", "patient",
      {Named("family_name"), Named("given_name"), Named("apellido1"), Named("nombre"),
       Named("fecha_nacimiento"), Named("birth_date"), Named("codigo_postal"), Named("telefono"),
       Named("correo_electronico"), Named("sex"), Named("municipality"), Named("national_id"),
       Named("health_card_id"), Named("social_security_id"), Named("nhc"), Named("direccion"),
       Named("record_time"), Named("local_id")},
      o);
  for (const char* c : {"family_name", "given_name", "apellido1", "nombre"}) {
    EXPECT_THAT(TagsOf(f, c), IsSupersetOf({"pii:name", "direct_identifier", "phi"})) << c;
  }
  EXPECT_THAT(TagsOf(f, "fecha_nacimiento"),
              IsSupersetOf({"pii:birth_date", "quasi_identifier", "phi"}));
  EXPECT_THAT(TagsOf(f, "birth_date"), Not(Contains("direct_identifier")));
  EXPECT_THAT(TagsOf(f, "codigo_postal"), Contains("pii:postal_code"));
  EXPECT_THAT(TagsOf(f, "telefono"), IsSupersetOf({"pii:phone", "direct_identifier"}));
  EXPECT_THAT(TagsOf(f, "correo_electronico"), Contains("pii:email"));
  EXPECT_THAT(TagsOf(f, "sex"), IsSupersetOf({"pii:sex", "quasi_identifier"}));
  EXPECT_THAT(TagsOf(f, "municipality"), Contains("pii:location"));
  EXPECT_THAT(TagsOf(f, "national_id"), Contains("pii:dni"));
  EXPECT_THAT(TagsOf(f, "health_card_id"), Contains("pii:cip"));
  EXPECT_THAT(TagsOf(f, "social_security_id"), Contains("pii:nuss"));
  EXPECT_THAT(TagsOf(f, "nhc"), Contains("pii:mrn"));
  EXPECT_THAT(TagsOf(f, "direccion"), Contains("pii:address"));
  EXPECT_THAT(TagsOf(f, "record_time"), IsEmpty());
  EXPECT_THAT(TagsOf(f, "local_id"), Contains("pii:mrn"));
  EXPECT_THAT(TagsOf(ClassifyColumns("s", "encounter", {Named("local_id")}, {}), "local_id"),
              IsEmpty());
  EXPECT_THAT(f.table_tags, Contains("phi"));
}

TEST(ClassificationRulesTest, BareNameOnlyInPersonTables) {
  ClassifierOptions o;
  EXPECT_THAT(TagsOf(ClassifyColumns("curated", "care_site", {Named("name")}, o), "name"),
              IsEmpty());
  EXPECT_THAT(
      TagsOf(ClassifyColumns("curated", "concept", {Named("concept_name")}, o), "concept_name"),
      IsEmpty());
  EXPECT_THAT(TagsOf(ClassifyColumns("raw", "pacientes", {Named("nombre")}, o), "nombre"),
              Contains("pii:name"));
}

TEST(ClassificationRulesTest, PatientLinksArePhiButNotIdentifiers) {
  auto f = ClassifyColumns("normalized", "encounter",
                           {Named("patient_source_key"), Named("person_id")}, {});
  EXPECT_THAT(TagsOf(f, "patient_source_key"), IsSupersetOf({"pii:patient_link", "phi"}));
  EXPECT_THAT(TagsOf(f, "patient_source_key"), Not(Contains("direct_identifier")));
  EXPECT_THAT(TagsOf(f, "person_id"), Contains("pii:patient_link"));
}

TEST(ClassificationRulesTest, ValuesMustMostlyMatch) {
  ClassifierOptions o;
  std::vector<std::string> mostly(19, "12345678Z");
  mostly.push_back("unknown");
  std::vector<std::string> half(10, "12345678Z");
  half.resize(20, "unknown");
  auto f = ClassifyColumns("s", "t", {Sampled("a", mostly), Sampled("b", half)}, o);
  EXPECT_THAT(TagsOf(f, "a"), IsSupersetOf({"pii:dni", "direct_identifier", "phi"}));  // 95%
  EXPECT_THAT(TagsOf(f, "b"), IsEmpty());                                              // 50%
  ASSERT_EQ(f.columns.size(), 1u);
  EXPECT_THAT(f.columns[0].reasons, Contains("19 of 20 sampled values are valid DNI/NIE"));
}

TEST(ClassificationRulesTest, WrongCheckLettersAreNotDni) {
  auto f =
      ClassifyColumns("s", "t", {Sampled("code", {"12345678A", "87654321B", "11111111C"})}, {});
  EXPECT_THAT(TagsOf(f, "code"), IsEmpty());
}

TEST(ClassificationRulesTest, MixedIdentifierColumnsGetEachKind) {
  std::vector<std::string> v;
  for (int i = 0; i < 10; ++i) v.push_back("12345678Z");
  for (int i = 0; i < 9; ++i) v.push_back("281234567840");
  v.push_back("GAMA1234567897");
  auto f = ClassifyColumns("normalized", "patient_identifier", {Sampled("value", v)}, {});
  EXPECT_THAT(TagsOf(f, "value"),
              IsSupersetOf({"pii:dni", "pii:nuss", "pii:cip", "direct_identifier", "phi"}));
}

TEST(ClassificationRulesTest, WholeRecordsAreDirectIdentifiers) {
  auto f = ClassifyColumns("raw", "hl7_messages",
                           {Sampled("payload", {"MSH|^~\\&|A|B", "MSH|^~\\&|C|D"})}, {});
  EXPECT_THAT(TagsOf(f, "payload"), IsSupersetOf({"pii:record", "direct_identifier", "phi"}));
}

TEST(ClassificationRulesTest, MentalHealthCodesMakeTheTableSpecialCategory) {
  auto f = ClassifyColumns(
      "normalized", "condition",
      {Named("patient_source_key"), Sampled("code", {"E11.9", "I10", "F32.9", "J45"}),
       Sampled("display", {"a", "b", "c", "d"})},
      {});
  EXPECT_THAT(TagsOf(f, "code"),
              IsSupersetOf({"special_category", "special:mental_health", "phi"}));
  EXPECT_THAT(f.table_tags, IsSupersetOf({"special_category", "special:mental_health", "phi"}));
  EXPECT_THAT(TagsOf(f, "display"), IsEmpty());
}

TEST(ClassificationRulesTest, IcdShapedColumnsAnywhereAndHivCodes) {
  // No diagnosis word in the names: the shape of the values is enough.
  auto f = ClassifyColumns("s", "visits", {Sampled("reason", {"B20", "E11.9", "I10"})}, {});
  EXPECT_THAT(TagsOf(f, "reason"), IsSupersetOf({"special_category", "special:hiv"}));
  // Diagnosis codes of identified persons are phi even without special codes.
  auto g = ClassifyColumns("s", "condition", {Named("person_id"), Sampled("code", {"E11.9"})}, {});
  EXPECT_THAT(TagsOf(g, "code"), ElementsAre("phi"));
  // LOINC codes are not diagnoses.
  auto h = ClassifyColumns("s", "observation", {Sampled("code", {"1234-5", "718-7"})}, {});
  EXPECT_THAT(TagsOf(h, "code"), IsEmpty());
}

TEST(ClassificationRulesTest, CodeLookalikesAreNotDiagnoses) {
  // HL7 trigger events and lot numbers look like ICD-10 codes ("A60" would be sexual health).
  auto f = ClassifyColumns("raw", "hl7_messages",
                           {Named("patient_id"), Sampled("trigger_event", {"A60", "A01", "A04"}),
                            Sampled("lot_number", {"A54000", "F12345", "B20111"})},
                           {});
  EXPECT_THAT(TagsOf(f, "trigger_event"), IsEmpty());
  EXPECT_THAT(TagsOf(f, "lot_number"), IsEmpty());
  EXPECT_THAT(f.table_tags, Not(Contains("special_category")));
  // ATC drug codes in a code column.
  auto g = ClassifyColumns("s", "medication",
                           {Named("person_id"), Sampled("code", {"N06AB06", "B01AC06"})}, {});
  EXPECT_THAT(TagsOf(g, "code"), IsEmpty());
  // A status column named like a condition code without ICD-10 values.
  auto h = ClassifyColumns(
      "s", "condition_occurrence",
      {Named("person_id"), Sampled("condition_status_source_value", {"active"})}, {});
  EXPECT_THAT(TagsOf(h, "condition_status_source_value"), IsEmpty());
}

TEST(ClassificationRulesTest, OrganizationsHaveNoPersonalIdentifiers) {
  auto f =
      ClassifyColumns("normalized", "organization",
                      {Named("address_line"), Sampled("phone", {"912345678", "934567890"})}, {});
  EXPECT_THAT(f.columns, IsEmpty());
  EXPECT_THAT(f.table_tags, IsEmpty());
}

TEST(ClassificationRulesTest, GeneticTablesAndColumns) {
  auto f = ClassifyColumns("genomics", "calls", {Named("sample_id"), Named("genotype")}, {});
  EXPECT_THAT(f.table_tags, IsSupersetOf({"special_category", "special:genetic", "phi"}));
  EXPECT_THAT(TagsOf(f, "genotype"), IsSupersetOf({"special:genetic", "special_category", "phi"}));
  auto g = ClassifyColumns("raw", "vcf_records", {Named("chrom")}, {});
  EXPECT_THAT(g.table_tags, Contains("special:genetic"));
}

}  // namespace
}  // namespace medlake::governance
