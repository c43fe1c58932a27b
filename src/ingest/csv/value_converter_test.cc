#include "ingest/csv/value_converter.h"

#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"

namespace medlake::ingest::csv {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

SourceContract Contract(const std::string& format, const std::string& columns) {
  Result<SourceContract> c =
      ParseContract("source: S\ndataset: d\nformat:\n" + format + "columns:\n" + columns +
                    "code_maps:\n  M:\n    map: {GLU: '2345-7'}\n");
  EXPECT_THAT(c, IsOk());
  return c.value_or(SourceContract{});
}

std::string Conv(const ValueConverter& vc, size_t column, std::string_view text) {
  Result<std::optional<std::string>> r = vc.Convert(column, text);
  if (!r.ok()) {
    return "ERR " + r.status().message();
  }
  return r->has_value() ? **r : "NULL";
}

TEST(ValueConverterTest, NumbersWithDecimalCommaAndThousands) {
  const SourceContract c =
      Contract("  delimiter: ';'\n  decimal_separator: ','\n  thousands_separator: '.'\n",
               "  - {name: I, type: integer}\n  - {name: D, type: decimal}\n"
               "  - {name: P, type: 'decimal(5,2)'}\n  - {name: F, type: double}\n");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ValueConverter vc, ValueConverter::Make(c));
  EXPECT_EQ(Conv(vc, 0, "1.234.567"), "1234567");
  EXPECT_EQ(Conv(vc, 0, "-0042"), "-42");
  EXPECT_EQ(Conv(vc, 0, "+7"), "7");
  EXPECT_EQ(Conv(vc, 0, "12,5"), "ERR column I: not an integer");
  EXPECT_EQ(Conv(vc, 0, "1.23"), "ERR column I: not an integer");
  EXPECT_EQ(Conv(vc, 0, "99999999999999999999"), "ERR column I: integer out of range");
  EXPECT_EQ(Conv(vc, 1, "13,9"), "13.9");
  EXPECT_EQ(Conv(vc, 1, "1.234,50"), "1234.50");
  EXPECT_EQ(Conv(vc, 1, "0,96"), "0.96");
  EXPECT_EQ(Conv(vc, 1, ",5"), "0.5");
  EXPECT_EQ(Conv(vc, 1, "-0,00"), "0.00");
  EXPECT_EQ(Conv(vc, 1, "14,3,,5"), "ERR column D: not a decimal");
  EXPECT_EQ(Conv(vc, 1, "12.5"), "ERR column D: not a decimal");
  EXPECT_EQ(Conv(vc, 1, "1,"), "ERR column D: not a decimal");
  EXPECT_EQ(Conv(vc, 1, "12 "), "ERR column D: not a decimal");
  EXPECT_EQ(Conv(vc, 1, "abc"), "ERR column D: not a decimal");
  EXPECT_EQ(Conv(vc, 2, "12,5"), "12.50");
  EXPECT_EQ(Conv(vc, 2, "999,99"), "999.99");
  EXPECT_EQ(Conv(vc, 2, "1.000,00"), "ERR column P: more digits than the precision");
  EXPECT_EQ(Conv(vc, 2, "1,234"), "ERR column P: more fraction digits than the scale");
  EXPECT_EQ(Conv(vc, 3, "1,5e3"), "1500");
  EXPECT_EQ(Conv(vc, 3, "-0,25"), "-0.25");
  EXPECT_EQ(Conv(vc, 3, "1e999"), "ERR column F: number out of range");
  EXPECT_EQ(Conv(vc, 3, "nan"), "ERR column F: not a number");
}

TEST(ValueConverterTest, DatesTimesTimestampsBooleansCodes) {
  const SourceContract c = Contract(
      "  date_formats: ['dd/MM/yyyy', '%Y-%m-%d']\n  time_format: 'HH:mm'\n"
      "  timestamp_format: 'dd/MM/yyyy HH:mm:ss'\n  true_values: [S, si]\n"
      "  false_values: [N]\n",
      "  - {name: D, type: date}\n  - {name: T, type: time}\n  - {name: TS, type: datetime}\n"
      "  - {name: B, type: boolean}\n  - {name: C, type: code, values: {H: male}, code_map: M}\n");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ValueConverter vc, ValueConverter::Make(c));
  EXPECT_EQ(Conv(vc, 0, "01/03/2024"), "2024-03-01");
  EXPECT_EQ(Conv(vc, 0, "2024-03-01"), "2024-03-01");
  EXPECT_EQ(Conv(vc, 0, "31/02/2015"),
            "ERR column D: not a valid date in the contract's date formats");
  EXPECT_EQ(Conv(vc, 1, "06:21"), "06:21:00");
  EXPECT_EQ(Conv(vc, 1, "6:21"), "ERR column T: not a valid time in the contract's time formats");
  EXPECT_EQ(Conv(vc, 2, "22/11/2020 08:21:05"), "2020-11-22T08:21:05");
  EXPECT_EQ(Conv(vc, 2, "22/11/2020"),
            "ERR column TS: not a valid timestamp in the contract's "
            "timestamp formats");
  EXPECT_EQ(Conv(vc, 3, "s"), "true");
  EXPECT_EQ(Conv(vc, 3, "SI"), "true");
  EXPECT_EQ(Conv(vc, 3, "n"), "false");
  EXPECT_EQ(Conv(vc, 3, "true"), "ERR column B: not a boolean in the contract's true/false values");
  EXPECT_EQ(Conv(vc, 4, "H"), "H");
  EXPECT_EQ(Conv(vc, 4, "GLU"), "GLU");
  EXPECT_EQ(Conv(vc, 4, "glu"), "ERR column C: code not in the contract's values or code_map");
}

TEST(ValueConverterTest, NullMarkersRequiredAndPatterns) {
  const SourceContract c =
      Contract("  null_values: ['', 'NULL']\n",
               "  - {name: R, type: string, required: true}\n  - {name: O, type: integer}\n"
               "  - {name: P, type: string, pattern: '[0-9]{8}[A-Z]'}\n");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ValueConverter vc, ValueConverter::Make(c));
  EXPECT_EQ(Conv(vc, 0, ""), "ERR column R: required value missing");
  EXPECT_EQ(Conv(vc, 0, "NULL"), "ERR column R: required value missing");
  EXPECT_EQ(Conv(vc, 0, "x"), "x");
  EXPECT_EQ(Conv(vc, 1, "NULL"), "NULL");
  EXPECT_EQ(Conv(vc, 1, ""), "NULL");
  EXPECT_EQ(Conv(vc, 2, "12345678Z"), "12345678Z");
  EXPECT_EQ(Conv(vc, 2, "12345678Z0"), "ERR column P: does not match pattern");
  EXPECT_EQ(Conv(vc, 2, std::string(kMaxPatternInput + 1, '1')),
            "ERR column P: too long for pattern");
}

TEST(ValueConverterTest, RowReasonsNameColumnsNeverValues) {
  const SourceContract c =
      Contract("  delimiter: ';'\n  decimal_separator: ','\n",
               "  - {name: NAME, type: string, required: true}\n  - {name: AMOUNT, type: decimal}\n"
               "  - {name: WHEN, type: date}\n");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ValueConverter vc, ValueConverter::Make(c));
  std::vector<std::optional<std::string>> values;
  const std::string reasons = vc.ConvertRow({"", "SECRET1", "SECRET2"}, &values);
  EXPECT_EQ(reasons,
            "column NAME: required value missing; column AMOUNT: not a decimal; column WHEN: not "
            "a valid date in the contract's date formats");
  EXPECT_THAT(reasons, Not(HasSubstr("SECRET")));
  EXPECT_EQ(vc.ConvertRow({"a", "1,5", "2024-01-31"}, &values), "");
  ASSERT_EQ(values.size(), 3u);
  EXPECT_EQ(*values[1], "1.5");
}

}  // namespace
}  // namespace medlake::ingest::csv
