#include "synth/spanish_ids.h"

#include <gtest/gtest.h>

#include "synth/random.h"

namespace medlake::synth {
namespace {

TEST(DniTest, KnownExampleHasLetterZ) {
  // Ministerio del Interior's worked example: 12345678 % 23 = 14 -> Z.
  EXPECT_EQ(MakeDni(12345678), "12345678Z");
  EXPECT_TRUE(IsValidDniOrNie("12345678Z"));
  EXPECT_FALSE(IsValidDniOrNie("12345678A"));
}

TEST(DniTest, PadsShortNumbers) {
  EXPECT_EQ(MakeDni(1), "00000001R");
  EXPECT_TRUE(IsValidDniOrNie("00000001R"));
}

TEST(NieTest, PrefixCountsAsLeadingDigit) {
  // X -> 0: 01234567 % 23 = 19 -> L.
  EXPECT_EQ(MakeNie(0, 1234567), "X1234567L");
  EXPECT_TRUE(IsValidDniOrNie("X1234567L"));
  // Y -> 1: 11234567 % 23 = 10 -> X.
  EXPECT_EQ(MakeNie(1, 1234567), "Y1234567X");
  EXPECT_FALSE(IsValidDniOrNie("Z1234567L"));
}

TEST(DniTest, RejectsMalformedIds) {
  EXPECT_FALSE(IsValidDniOrNie(""));
  EXPECT_FALSE(IsValidDniOrNie("1234567Z"));
  EXPECT_FALSE(IsValidDniOrNie("A2345678Z"));
  EXPECT_FALSE(IsValidDniOrNie("12345678z"));
}

TEST(NussTest, KnownExampleHasControl40) {
  // 2812345678 mod 97 = 40.
  EXPECT_EQ(NussControl(28, 12345678), 40);
  EXPECT_EQ(MakeNuss(28, 12345678), "281234567840");
  EXPECT_TRUE(IsValidNuss("281234567840"));
  EXPECT_FALSE(IsValidNuss("281234567841"));
  EXPECT_FALSE(IsValidNuss("28123456784"));
  EXPECT_FALSE(IsValidNuss("28123456784X"));
}

TEST(NussTest, OldShortNumbersUseTheSevenDigitRule) {
  // Numbers below 10^7: province * 10^7 + number.
  EXPECT_EQ(NussControl(8, 1234567), static_cast<int>((8ull * 10000000 + 1234567) % 97));
}

TEST(SpanishIdsTest, RandomIdsAreAllValid) {
  Rng rng(9);
  for (int i = 0; i < 2000; ++i) {
    EXPECT_TRUE(IsValidDniOrNie(MakeDni(static_cast<uint32_t>(rng.Below(100000000)))));
    EXPECT_TRUE(IsValidDniOrNie(
        MakeNie(static_cast<int>(rng.Below(3)), static_cast<uint32_t>(rng.Below(10000000)))));
    EXPECT_TRUE(IsValidNuss(MakeNuss(static_cast<int>(rng.Between(1, 52)),
                                     static_cast<uint32_t>(rng.Between(10000000, 99999999)))));
  }
}

TEST(CipTest, UsesSurnameLettersAndLuhnDigit) {
  const std::string cip = MakeCip("Núñez", "García", 123456789);
  EXPECT_EQ(cip.substr(0, 4), "NUGA");
  EXPECT_EQ(cip.size(), 14u);
  EXPECT_TRUE(IsValidCip(cip));
  std::string broken = cip;
  broken[13] = broken[13] == '0' ? '1' : '0';
  EXPECT_FALSE(IsValidCip(broken));
}

TEST(CipTest, FillsMissingSurnameWithX) {
  EXPECT_EQ(MakeCip("Li", "", 5).substr(0, 4), "LIXX");
  EXPECT_TRUE(IsValidCip(MakeCip("Li", "", 5)));
}

TEST(AsciiUpperLettersTest, FoldsSpanishLetters) {
  EXPECT_EQ(AsciiUpperLetters("Íñigo Peña-Álvarez"), "INIGOPENAALVAREZ");
  EXPECT_EQ(AsciiUpperLetters("El Amrani"), "ELAMRANI");
}

}  // namespace
}  // namespace medlake::synth
