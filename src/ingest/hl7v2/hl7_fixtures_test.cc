// Checks the parser against the real third-party sample messages in
// MEDLAKE_FIXTURES_DIR/hl7v2 (README.md there): the facts of MANIFEST.tsv, the totals of the
// README, and rejections of invalid variants made from them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/testing/status_matchers.h"
#include "ingest/hl7v2/hl7_ack.h"
#include "ingest/hl7v2/hl7_batch.h"
#include "ingest/hl7v2/hl7_message.h"
#include "ingest/hl7v2/hl7_summary.h"

#ifndef MEDLAKE_FIXTURES_DIR
#error "MEDLAKE_FIXTURES_DIR must name the shared fixtures directory"
#endif

namespace medlake::ingest::hl7v2 {
namespace {

using ::testing::HasSubstr;

const std::string kDir = std::string(MEDLAKE_FIXTURES_DIR) + "/hl7v2/";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct Row {
  std::map<std::string, std::string> cells;
  const std::string& operator[](const std::string& k) const { return cells.at(k); }
  size_t Count(const std::string& k) const { return std::stoul(cells.at(k)); }
};

std::vector<Row> Manifest() {
  std::ifstream in(kDir + "MANIFEST.tsv");
  std::string line;
  std::vector<std::string> header;
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, '\t')) {
      cells.push_back(cell);
    }
    if (header.empty()) {
      header = cells;
      continue;
    }
    Row row;
    for (size_t i = 0; i < header.size() && i < cells.size(); ++i) {
      row.cells[header[i]] = cells[i];
    }
    rows.push_back(row);
  }
  return rows;
}

TEST(Hl7FixturesTest, EveryFixtureMatchesTheManifest) {
  const std::vector<Row> rows = Manifest();
  ASSERT_EQ(rows.size(), 76u);
  std::map<std::string, size_t> totals;
  for (const Row& row : rows) {
    SCOPED_TRACE(row["file"]);
    const std::string bytes = ReadAll(kDir + row["file"]);
    ASSERT_FALSE(bytes.empty());
    MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message m, ParseHl7Message(bytes));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Summary s, Summarize(m));
    std::string type = s.message_type;
    if (!s.trigger_event.empty()) {
      type += "^" + s.trigger_event;
    }
    if (!s.message_structure.empty()) {
      type += "^" + s.message_structure;
    }
    EXPECT_EQ(type, row["MSH-9"]);
    EXPECT_EQ(s.version, row["MSH-12"]);
    EXPECT_EQ(s.control_id, row["MSH-10"]);
    EXPECT_EQ(m.had_bom(), row["utf8_bom"] == "yes");
    EXPECT_EQ(m.segment_count(), row.Count("segments"));
    for (const char* id : {"PID", "PV1", "OBR", "OBX", "DG1", "AL1", "IN1", "MRG"}) {
      EXPECT_EQ(m.CountSegments(id), row.Count(id)) << id;
    }
    EXPECT_EQ(m.CountSegments("RXE") + m.CountSegments("RXO") + m.CountSegments("RXA"),
              row.Count("RXE+RXO+RXA"));
    for (const char* id : {"OBX", "OBR", "PV1", "DG1", "AL1", "IN1", "ORC", "SPM", "MRG", "RXE",
                           "RXO", "RXA", "MSA"}) {
      totals[id] += m.CountSegments(id);
    }
    // Each file is one message for the splitter too, with nothing rejected.
    const Hl7BatchSplit split = SplitHl7Batch(bytes);
    EXPECT_EQ(split.message_count, 1u);
    EXPECT_EQ(split.rejected_count, 0u);
    EXPECT_TRUE(split.issues.empty());
    // Every field of every segment decodes to valid UTF-8.
    for (size_t seg = 0; seg < m.segment_count(); ++seg) {
      for (size_t f = 1; f <= m.FieldCount(seg); ++f) {
        MEDLAKE_ASSERT_OK(m.Decode(m.Field(seg, f)));
      }
    }
    // And every one can be acknowledged.
    Hl7AckOptions options;
    options.control_id = "ACK-1";
    MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string ack, BuildHl7Ack(m, Hl7AckCode::kAA, {}, options));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message parsed_ack, ParseHl7Message(ack));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string msa2, parsed_ack.Decoded("MSA-2"));
    EXPECT_EQ(msa2, row["MSH-10"]);
  }
  // Totals stated in the fixtures' README.
  const std::map<std::string, size_t> expected = {
      {"OBX", 208}, {"OBR", 44}, {"PV1", 58}, {"DG1", 31}, {"AL1", 20}, {"IN1", 29}, {"ORC", 48},
      {"SPM", 10},  {"MRG", 6},  {"RXE", 3},  {"RXO", 3},  {"RXA", 5},  {"MSA", 1}};
  EXPECT_EQ(totals, expected);
}

TEST(Hl7FixturesTest, MergeMessageCarriesPriorIdentifier) {
  const std::string bytes = ReadAll(kDir + "ms-fhir-converter/ADT-A40-01.hl7");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message m, ParseHl7Message(bytes));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Summary s, Summarize(m));
  ASSERT_EQ(s.patient_identifiers.size(), 1u);
  EXPECT_EQ(s.patient_identifiers[0].id, "12345");
  EXPECT_EQ(s.patient_identifiers[0].assigning_authority, "BCBS");
  EXPECT_EQ(s.patient_identifiers[0].identifier_type_code, "MR");
  ASSERT_EQ(s.prior_patient_identifiers.size(), 1u);
  EXPECT_EQ(s.prior_patient_identifiers[0].id, "56789");
  EXPECT_EQ(s.prior_patient_identifiers[0].assigning_authority, "BCBS");
  EXPECT_EQ(s.prior_patient_identifiers[0].identifier_type_code, "MR");
  // MSH-7 20190423150137+0215 = 12:46:37Z; MSH-15/16 NE.
  ASSERT_TRUE(s.message_time.has_value());
  EXPECT_EQ(s.message_time->utc_micros, int64_t{1556023597} * 1'000'000);
  EXPECT_EQ(s.accept_ack_type, "NE");
  EXPECT_EQ(AckModeOf(m), Hl7AckMode::kEnhanced);
  const Hl7AckPlan plan = PlanAcks(m, Hl7Outcome::kAccepted);
  EXPECT_FALSE(plan.accept_ack.has_value());
  EXPECT_FALSE(plan.application_ack.has_value());
}

TEST(Hl7FixturesTest, RepeatingPatientsAndAck) {
  const std::string bar_bytes = ReadAll(kDir + "ms-fhir-converter/BAR-P02-01.hl7");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message bar, ParseHl7Message(bar_bytes));
  EXPECT_EQ(bar.CountSegments("PID"), 2u);

  const std::string ack_bytes = ReadAll(kDir + "cdc-trusted-intermediary/Natus_001_Natus_ACK.hl7");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message ack, ParseHl7Message(ack_bytes));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto msa1, ack.Get("MSA-1"));
  EXPECT_EQ(msa1, "AA");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto msa2, ack.Get("MSA-2"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto msh10, ack.Get("MSH-10"));
  EXPECT_EQ(msa2, msh10.substr(1));  // the fixture's MSA-2 is MSH-10 without its leading "A"
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Summary s, Summarize(ack));
  EXPECT_FALSE(s.message_time.has_value());
}

TEST(Hl7FixturesTest, DecodesTheEscapesFoundInFixtures) {
  const std::string bytes = ReadAll(kDir + "ms-fhir-converter/ADT-A01-01.hl7");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message m, ParseHl7Message(bytes));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto raw, m.Get("PV1-14"));
  EXPECT_EQ(raw, "NHS Provider-General (inc.A\\T\\E-this Hosp)");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string text, m.Decoded("PV1-14"));
  EXPECT_EQ(text, "NHS Provider-General (inc.A&E-this Hosp)");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(raw, m.Get("PV1-3.1.2"));
  EXPECT_EQ(raw, "9.8");
}

TEST(Hl7FixturesTest, SplitsAllFixturesConcatenated) {
  std::string all;
  for (const Row& row : Manifest()) {
    std::string bytes = ReadAll(kDir + row["file"]);
    if (!bytes.empty() && bytes.back() != '\n' && bytes.back() != '\r') {
      bytes += '\n';
    }
    all += bytes;
  }
  const Hl7BatchSplit split = SplitHl7Batch(all);
  EXPECT_EQ(split.message_count, 76u);
  EXPECT_EQ(split.rejected_count, 0u);
  size_t parsed = 0;
  for (const Hl7Span& span : split.spans) {
    if (span.kind == Hl7SpanKind::kMessage) {
      MEDLAKE_ASSERT_OK(ParseHl7Message(SpanBytes(all, span)));
      ++parsed;
    }
  }
  EXPECT_EQ(parsed, 76u);
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  const size_t pos = s.find(from);
  if (pos != std::string::npos) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

TEST(Hl7FixturesTest, RejectsInvalidVariantsWithAReason) {
  const std::string good = ReadAll(kDir + "ms-fhir-converter/ORU-R01-01.hl7");
  MEDLAKE_ASSERT_OK(ParseHl7Message(good));
  struct Case {
    std::string bytes;
    Hl7RejectReason reason;
    const char* text;
  };
  const std::vector<Case> cases = {
      {good.substr(good.find('\n') + 1), Hl7RejectReason::kMshMissing, "MSH segment missing"},
      {Replace(good, "MSH|^~\\&|", "MSH|^~|"), Hl7RejectReason::kInvalidEncodingCharacters,
       "MSH-2 encoding characters invalid"},
      {good.substr(0, 6), Hl7RejectReason::kInvalidEncodingCharacters, "MSH-2"},
      {Replace(good, "\nPID|", "\nPID^"), Hl7RejectReason::kFieldSeparatorMismatch,
       "field separator mismatch"},
      {Replace(good, "\nOBX|", "\nobx|"), Hl7RejectReason::kInvalidSegmentId, "invalid id"},
      {Replace(good, "\nPID|", "\nPID|\xFF"), Hl7RejectReason::kInvalidCharacterEncoding,
       "invalid UTF-8"},
      {Replace(good, "|AL|NE|", "|AL|NE||ISO IR87|"), Hl7RejectReason::kUnsupportedCharacterSet,
       "unsupported character set"},
      {good + "\n" + good, Hl7RejectReason::kUnexpectedSegment, "inside a message"},
  };
  for (const Case& c : cases) {
    Hl7Rejection r;
    auto m = ParseHl7Message(c.bytes, {}, &r);
    ASSERT_FALSE(m.ok()) << c.text;
    EXPECT_EQ(r.reason, c.reason) << c.text;
    EXPECT_THAT(m.status(), StatusIs(StatusCode::kInvalidArgument, c.text));
  }
}

}  // namespace
}  // namespace medlake::ingest::hl7v2
