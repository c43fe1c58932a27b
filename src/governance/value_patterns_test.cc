#include "governance/value_patterns.h"

#include <gtest/gtest.h>

namespace medlake::governance {
namespace {

TEST(ValuePatternsTest, DniNeedsTheRightCheckLetter) {
  EXPECT_TRUE(IsDniValue("12345678Z"));
  EXPECT_TRUE(IsDniValue(" 12.345.678-z "));  // separators and case as people type them
  EXPECT_FALSE(IsDniValue("12345678A"));      // wrong letter
  EXPECT_FALSE(IsDniValue("1234567Z"));       // 7 digits
  EXPECT_FALSE(IsDniValue("123456789"));
  EXPECT_FALSE(IsDniValue("X1234567L"));  // a NIE is not a DNI
  EXPECT_FALSE(IsDniValue(""));
}

TEST(ValuePatternsTest, NieReplacesThePrefixBeforeTheCheck) {
  EXPECT_TRUE(IsNieValue("X1234567L"));
  EXPECT_TRUE(IsNieValue("Y1234567X"));
  EXPECT_TRUE(IsNieValue("z-7654321-h"));
  EXPECT_FALSE(IsNieValue("X1234567X"));
  EXPECT_FALSE(IsNieValue("W1234567L"));
  EXPECT_FALSE(IsNieValue("12345678Z"));
}

TEST(ValuePatternsTest, NussControlDigits) {
  EXPECT_TRUE(IsNussValue("281234567840"));
  EXPECT_TRUE(IsNussValue("28/12345678/40"));
  EXPECT_FALSE(IsNussValue("281234567841"));
  EXPECT_FALSE(IsNussValue("001234567840"));  // province 00
  EXPECT_FALSE(IsNussValue("2812345678"));
}

TEST(ValuePatternsTest, CipOfTheSyntheticLayout) {
  EXPECT_TRUE(IsCipValue("GAMA1234567897"));  // synth/spanish_ids.h example
  EXPECT_FALSE(IsCipValue("GAMA1234567890"));
  EXPECT_FALSE(IsCipValue("GA1A1234567897"));
  EXPECT_FALSE(IsCipValue("GAMA123456789"));
}

TEST(ValuePatternsTest, SpanishPhoneNumbers) {
  EXPECT_TRUE(IsSpanishPhoneValue("612345678"));
  EXPECT_TRUE(IsSpanishPhoneValue("+34 612 34 56 78"));
  EXPECT_TRUE(IsSpanishPhoneValue("0034912345678"));
  EXPECT_TRUE(IsSpanishPhoneValue("(+34) 912-345-678"));
  EXPECT_TRUE(IsSpanishPhoneValue("91.234.56.78"));
  EXPECT_FALSE(IsSpanishPhoneValue("512345678"));  // no such prefix
  EXPECT_FALSE(IsSpanishPhoneValue("61234567"));
  EXPECT_FALSE(IsSpanishPhoneValue("+33 612345678"));
  EXPECT_FALSE(IsSpanishPhoneValue("612345678 ext"));
}

TEST(ValuePatternsTest, EmailAddresses) {
  EXPECT_TRUE(IsEmailValue("ana.perez+citas@salud.example.org"));
  EXPECT_FALSE(IsEmailValue("ana@localhost"));
  EXPECT_FALSE(IsEmailValue("ana@example.c"));
  EXPECT_FALSE(IsEmailValue("ana perez@example.org"));
  EXPECT_FALSE(IsEmailValue("a@b@example.org"));
  EXPECT_FALSE(IsEmailValue("@example.org"));
}

TEST(ValuePatternsTest, Icd10ShapesAndSpecialRanges) {
  EXPECT_TRUE(IsIcd10CodeValue("F32.9"));
  EXPECT_TRUE(IsIcd10CodeValue("I10"));
  EXPECT_TRUE(IsIcd10CodeValue("S72.001A"));
  EXPECT_TRUE(IsIcd10CodeValue("e119"));
  EXPECT_FALSE(IsIcd10CodeValue("F"));
  EXPECT_FALSE(IsIcd10CodeValue("F32.99999"));
  EXPECT_FALSE(IsIcd10CodeValue("1234-5"));
  EXPECT_TRUE(IsIcd10CodeValue("F329"));
  EXPECT_TRUE(IsIcd10CodeValue("S72001A"));
  EXPECT_FALSE(IsIcd10CodeValue("N02BE01"));  // ATC
  EXPECT_EQ(Icd10SpecialCategory("F32.9"), SpecialCategory::kMentalHealth);
  EXPECT_EQ(Icd10SpecialCategory("F00"), SpecialCategory::kMentalHealth);
  EXPECT_EQ(Icd10SpecialCategory("B20"), SpecialCategory::kHiv);
  EXPECT_EQ(Icd10SpecialCategory("B24"), SpecialCategory::kHiv);
  EXPECT_EQ(Icd10SpecialCategory("Z21"), SpecialCategory::kHiv);
  EXPECT_EQ(Icd10SpecialCategory("A54.0"), SpecialCategory::kSexual);
  EXPECT_EQ(Icd10SpecialCategory("Z70.1"), SpecialCategory::kSexual);
  EXPECT_EQ(Icd10SpecialCategory("Q90.9"), SpecialCategory::kGenetic);
  EXPECT_EQ(Icd10SpecialCategory("Z15.01"), SpecialCategory::kGenetic);
  EXPECT_EQ(Icd10SpecialCategory("B19"), SpecialCategory::kNone);
  EXPECT_EQ(Icd10SpecialCategory("B25"), SpecialCategory::kNone);
  EXPECT_EQ(Icd10SpecialCategory("E11.9"), SpecialCategory::kNone);
  EXPECT_EQ(Icd10SpecialCategory("Z22"), SpecialCategory::kNone);
  EXPECT_EQ(Icd10SpecialCategory("not a code"), SpecialCategory::kNone);
}

TEST(ValuePatternsTest, ClinicalRecords) {
  EXPECT_TRUE(IsClinicalRecordValue("MSH|^~\\&|HIS|H1|LAB|H1|20240101||ADT^A01|1|P|2.5.1"));
  EXPECT_TRUE(IsClinicalRecordValue(R"({"resourceType":"Patient","id":"p1"})"));
  EXPECT_FALSE(IsClinicalRecordValue("MSHX"));
  EXPECT_FALSE(IsClinicalRecordValue(R"({"a":1})"));
}

}  // namespace
}  // namespace medlake::governance
