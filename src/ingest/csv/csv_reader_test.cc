#include "ingest/csv/csv_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/testing/mem_file_system.h"
#include "core/testing/status_matchers.h"

namespace medlake::ingest::csv {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Got {
  uint64_t line;
  uint64_t offset;
  std::string raw;
  std::string rejection;
  std::vector<std::optional<std::string>> values;
  uint64_t duplicate_of = 0;
  bool too_long = false;
};

SourceContract MakeContract(const std::string& format, const std::string& extra = "") {
  Result<SourceContract> c =
      ParseContract("source: S\ndataset: d\nformat:\n" + format +
                    "columns:\n  - {name: ID, type: integer, required: true}\n"
                    "  - {name: NAME, type: string}\n  - {name: AMOUNT, type: decimal}\n"
                    "  - {name: DAY, type: date}\n" +
                    extra);
  EXPECT_THAT(c, IsOk());
  return c.value_or(SourceContract{});
}

const char kSemicolonLatin1[] =
    "  encoding: ISO-8859-1\n  delimiter: ';'\n  decimal_separator: ','\n"
    "  date_format: dd/MM/yyyy\n";

Result<std::vector<Got>> ReadAll(const std::string& content, const SourceContract& contract,
                                 CsvReaderOptions options = {}, uint64_t* blank = nullptr) {
  MemFileSystem fs;
  MEDLAKE_RETURN_IF_ERROR(fs.WriteFileAtomic("/x.csv", content));
  MEDLAKE_ASSIGN_OR_RETURN(auto reader, CsvReader::Open(fs, "/x.csv", contract, options));
  std::vector<Got> out;
  CsvRow row;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool more, reader->Next(&row));
    if (!more) {
      break;
    }
    out.push_back(Got{row.line_number, row.offset, std::string(row.raw), row.rejection, row.values,
                      row.duplicate_of_line, row.too_long});
  }
  EXPECT_EQ(reader->rows_accepted() + reader->rows_rejected(), reader->rows_read());
  EXPECT_EQ(reader->rows_read(), out.size());
  if (blank != nullptr) {
    *blank = reader->blank_lines();
  }
  return out;
}

TEST(CsvReaderTest, ReadsLatin1SemicolonFileWithQuotesAndCrlf) {
  const std::string content =
      "ID;NAME;AMOUNT;DAY\r\n"
      "1;Ib\xE1\xF1"
      "ez;13,9;22/11/2020\r\n"
      "2;\"Quoted; with \"\"quotes\"\"\r\nand a newline\";1.234;\r\n"
      "3;;;01/01/2021";
  for (size_t chunk : {1, 2, 5, 4096}) {
    CsvReaderOptions options;
    options.chunk_bytes = chunk;
    MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<Got> rows,
                                 ReadAll(content, MakeContract(kSemicolonLatin1), options));
    ASSERT_EQ(rows.size(), 3u) << chunk;
    EXPECT_EQ(rows[0].line, 2u);
    EXPECT_EQ(rows[0].offset, 20u);
    EXPECT_EQ(rows[0].raw,
              "1;Ib\xE1\xF1"
              "ez;13,9;22/11/2020");
    EXPECT_EQ(rows[0].rejection, "");
    EXPECT_EQ(rows[0].values, (std::vector<std::optional<std::string>>{"1",
                                                                       "Ib\xC3\xA1\xC3\xB1"
                                                                       "ez",
                                                                       "13.9", "2020-11-22"}));
    EXPECT_EQ(rows[1].line, 3u);
    EXPECT_EQ(rows[1].rejection, "column AMOUNT: not a decimal");
    EXPECT_EQ(rows[2].line, 5u);  // the quoted newline made row 2 span lines 3-4
    EXPECT_EQ(rows[2].rejection, "");
    EXPECT_EQ(rows[2].values[1], std::nullopt);
  }
}

TEST(CsvReaderTest, EmbeddedNewlinesAndQuotesAreOneValue) {
  const SourceContract contract = MakeContract("  decimal_separator: '.'\n");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      std::vector<Got> rows,
      ReadAll("ID,NAME,AMOUNT,DAY\n7,\"a,\"\"b\"\"\nc\",1.50,2024-02-29\n", contract));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].rejection, "");
  EXPECT_EQ(*rows[0].values[1], "a,\"b\"\nc");
  EXPECT_EQ(*rows[0].values[2], "1.50");
}

TEST(CsvReaderTest, EscapeCharacterInsideQuotes) {
  const SourceContract contract = MakeContract("  escape: '\\'\n");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<Got> rows,
                               ReadAll("ID,NAME,AMOUNT,DAY\n1,\"x\\\"y\\\\\",,\n", contract));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].rejection, "");
  EXPECT_EQ(*rows[0].values[1], "x\"y\\");
}

TEST(CsvReaderTest, RejectsBrokenRowsWithReasonsAndKeepsGoing) {
  const SourceContract contract = MakeContract(kSemicolonLatin1);
  const std::string content =
      "ID;NAME;AMOUNT;DAY\n"
      "1;a;1;01/01/2020\n"
      "2;a\n"                     // missing columns
      "3,a,1,01/01/2020\n"        // wrong delimiter
      "4;a;1;31/02/2020\n"        // impossible date
      "5;a;14,3,,5;01/01/2020\n"  // bad number
      ";a;1;01/01/2020\n"         // required
      "7;\"a\"b;1;01/01/2020\n"   // text after closing quote
      "8;a\"b;1;01/01/2020\n"     // quote inside unquoted field
      "\n"                        // blank line: skipped, counted
      "9;a;1;01/01/2020\n"
      "10;\"never closed;1;01/01/2020\n";
  uint64_t blank = 0;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<Got> rows, ReadAll(content, contract, {}, &blank));
  ASSERT_EQ(rows.size(), 10u);
  EXPECT_EQ(blank, 1u);
  EXPECT_EQ(rows[0].rejection, "");
  EXPECT_EQ(rows[1].rejection, "row has 2 fields, contract has 4 columns");
  EXPECT_EQ(rows[1].raw, "2;a");
  EXPECT_EQ(rows[2].rejection, "row has 1 fields, contract has 4 columns");
  EXPECT_EQ(rows[3].rejection, "column DAY: not a valid date in the contract's date formats");
  EXPECT_EQ(rows[4].rejection, "column AMOUNT: not a decimal");
  EXPECT_EQ(rows[5].rejection, "column ID: required value missing");
  EXPECT_EQ(rows[6].rejection, "field 2: text after closing quote");
  EXPECT_EQ(rows[7].rejection, "field 2: quote character inside unquoted field");
  EXPECT_EQ(rows[8].rejection, "");
  EXPECT_EQ(rows[8].line, 11u);
  EXPECT_EQ(rows[9].rejection, "unterminated quoted field at end of file");
  EXPECT_EQ(rows[9].line, 12u);
  for (const Got& g : rows) {
    EXPECT_THAT(g.rejection, Not(HasSubstr("a;")));
  }
}

TEST(CsvReaderTest, InvalidUtf8RejectsTheRow) {
  const SourceContract contract = MakeContract("  encoding: UTF-8\n");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      std::vector<Got> rows,
      ReadAll("\xEF\xBB\xBFID,NAME,AMOUNT,DAY\n1,\xC3\xA9,,\n2,\xE9,,\n", contract));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].rejection, "");
  EXPECT_EQ(*rows[0].values[1], "\xC3\xA9");
  EXPECT_EQ(rows[1].rejection, "column NAME: invalid UTF-8");
  EXPECT_EQ(rows[1].raw, "2,\xE9,,");
}

TEST(CsvReaderTest, HeaderDifferencesAreSchemaDrift) {
  const SourceContract contract = MakeContract("");
  struct Case {
    const char* content;
    const char* message;
  };
  const Case cases[] = {
      {"", "no header line"},
      {"ID,NAME,AMOUNT\n", "missing columns: DAY"},
      {"ID,NAME,AMOUNT,DAY,EXTRA\n", "unexpected columns at positions: 5"},
      {"ID,NAME,AMOUNT,FECHA\n", "missing columns: DAY; unexpected columns at positions: 4"},
      {"ID,AMOUNT,NAME,DAY\n", "out of order: NAME, AMOUNT"},
      {"ID,NAME,AMOUNT,DAY,DAY\n", "unexpected columns at positions: 5"},
      {"id,name,amount,day\n", "missing columns: ID, NAME, AMOUNT, DAY"},
      {"ID,\"NAME,AMOUNT,DAY\n", "header line: field 2: unterminated quoted field"},
      {"ID;NAME;AMOUNT;DAY\n", "unexpected columns at positions: 1"},
  };
  for (const Case& c : cases) {
    Result<std::vector<Got>> r = ReadAll(c.content, contract);
    EXPECT_THAT(r, StatusIs(StatusCode::kFailedPrecondition, "schema drift")) << c.content;
    EXPECT_THAT(r, StatusIs(StatusCode::kFailedPrecondition, c.message)) << c.content;
  }
  // A data row where the header should be: positions only, no values in the message.
  Result<std::vector<Got>> r = ReadAll("614180111,Ibanez,1,2020-01-01\n", contract);
  EXPECT_THAT(r.status().message(), Not(HasSubstr("Ibanez")));
  EXPECT_THAT(r.status().message(), Not(HasSubstr("614180111")));
}

TEST(CsvReaderTest, NoHeaderContractReadsFromLineOne) {
  const SourceContract contract = MakeContract("  header: false\n");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<Got> rows, ReadAll("1,a,,\n2,b,,", contract));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].line, 1u);
  EXPECT_EQ(rows[1].line, 2u);
  EXPECT_EQ(rows[1].offset, 6u);
}

TEST(CsvReaderTest, OverLongRowIsOneRejectedRecord) {
  const SourceContract contract = MakeContract("");
  const std::string big = "5," + std::string(100, 'x') + ",,";
  for (size_t chunk : {1, 7, 4096}) {
    CsvReaderOptions options;
    options.chunk_bytes = chunk;
    options.max_row_bytes = 32;
    MEDLAKE_ASSERT_OK_AND_ASSIGN(
        std::vector<Got> rows,
        ReadAll("ID,NAME,AMOUNT,DAY\n1,a,,\n" + big + "\n\"2\",\"b\nc\",,\n", contract, options));
    ASSERT_EQ(rows.size(), 3u) << chunk;
    EXPECT_TRUE(rows[1].too_long);
    EXPECT_EQ(rows[1].raw.size(), 32u);
    EXPECT_EQ(rows[1].rejection, "row longer than 32 bytes");
    EXPECT_EQ(rows[1].line, 3u);
    EXPECT_EQ(rows[2].rejection, "");
    EXPECT_EQ(rows[2].line, 4u);
    EXPECT_EQ(*rows[2].values[1], "b\nc");
  }
}

TEST(CsvReaderTest, DuplicatePolicies) {
  const std::string content = "ID,NAME,AMOUNT,DAY\n1,a,,\n2,b,,\n1,a,,\n1,c,,\n";
  {
    const SourceContract c = MakeContract("", "versioning:\n  duplicates: exact_rows_may_repeat\n");
    MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<Got> rows, ReadAll(content, c));
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[2].duplicate_of, 2u);
    EXPECT_EQ(rows[2].rejection, "");
    EXPECT_EQ(rows[3].duplicate_of, 0u);
  }
  {
    const SourceContract c = MakeContract(
        "", "keys:\n  record: [ID]\nversioning:\n  duplicates: reject_duplicate_keys\n");
    MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<Got> rows, ReadAll(content, c));
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[2].rejection, "duplicate record key (ID) of line 2");
    EXPECT_EQ(rows[3].rejection, "duplicate record key (ID) of line 2");
    EXPECT_EQ(rows[1].rejection, "");
  }
}

TEST(CsvReaderTest, SplitCsvRowEdgeCases) {
  CsvFormat f;
  std::vector<std::string> fields;
  MEDLAKE_ASSERT_OK(SplitCsvRow("", f, &fields));
  EXPECT_EQ(fields, std::vector<std::string>{""});
  MEDLAKE_ASSERT_OK(SplitCsvRow("a,", f, &fields));
  EXPECT_EQ(fields, (std::vector<std::string>{"a", ""}));
  MEDLAKE_ASSERT_OK(SplitCsvRow("\"\",\"x\"", f, &fields));
  EXPECT_EQ(fields, (std::vector<std::string>{"", "x"}));
  EXPECT_THAT(SplitCsvRow("\"abc", f, &fields),
              StatusIs(StatusCode::kInvalidArgument, "field 1: unterminated"));
}

}  // namespace
}  // namespace medlake::ingest::csv
