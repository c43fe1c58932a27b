#include "pipeline/hl7_sql_functions.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/file_system.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "engine/testing/session_rows.h"
#include "ingest/hl7_loader.h"
#include "synth/generator.h"

namespace medlake::pipeline {
namespace {

// The native functions against the SQL macros they replaced (kept here as the reference), over
// every message of a generated region: the same value for every field, component and time that
// the built-in models read. The two definitions differ on purpose only where the macros were
// wrong (MSH-1, escapes other than \F\ \S\ \T\ \R\ \E\, malformed times), which this data lacks.
class Hl7SqlFunctionsOnGeneratedData : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, storage::Lake::Create(tmp_.Join("lake")));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(session_, engine::LakeSession::Open(*lake_));
  }
  std::string Rows(const std::string& sql) { return engine::testing::Rows(*session_, sql); }
  // The single row of `sql`, as integers.
  std::vector<int64_t> Counts(const std::string& sql) {
    std::string row = Rows(sql);
    std::vector<int64_t> out;
    if (row.empty() || row.find_first_not_of("0123456789|") != std::string::npos) return out;
    for (size_t at = 0; at != std::string::npos;) {
      size_t bar = row.find('|', at);
      out.push_back(std::stoll(row.substr(at, bar == std::string::npos ? std::string::npos : bar - at)));
      at = bar == std::string::npos ? bar : bar + 1;
    }
    return out;
  }

  TempDir tmp_;
  std::unique_ptr<storage::Lake> lake_;
  std::unique_ptr<engine::LakeSession> session_;
};

constexpr const char* kReferenceMacros = R"sql(
CREATE OR REPLACE TEMP MACRO ref_segment(msg, seg) AS
  nullif(regexp_extract(msg, '(?:^|[\r\n])(' || seg || '\|[^\r\n]*)', 1), '');
CREATE OR REPLACE TEMP MACRO ref_segments(msg, seg) AS
  regexp_extract_all(msg, '(?:^|[\r\n])(' || seg || '\|[^\r\n]*)', 1);
CREATE OR REPLACE TEMP MACRO ref_unescape(v) AS
  replace(replace(replace(replace(replace(v, '\F\', '|'), '\S\', '^'), '\T\', '&'), '\R\', '~'), '\E\', '\');
CREATE OR REPLACE TEMP MACRO ref_field(segment, n) AS
  nullif(CASE WHEN starts_with(segment, 'MSH|') THEN split_part(segment, '|', n) ELSE split_part(segment, '|', n + 1) END, '');
CREATE OR REPLACE TEMP MACRO ref_component(field, k) AS
  nullif(ref_unescape(split_part(split_part(field, '~', 1), '^', k)), '');
CREATE OR REPLACE TEMP MACRO ref_subcomponent(field, k, n) AS
  nullif(ref_unescape(split_part(split_part(split_part(field, '~', 1), '^', k), '&', n)), '');
CREATE OR REPLACE TEMP MACRO ref_ts(v) AS
  CASE WHEN v IS NULL OR length(regexp_extract(v, '^[0-9]+')) < 8 THEN NULL
       ELSE try(strptime(rpad(regexp_extract(v, '^[0-9]+'), 14, '0'), '%Y%m%d%H%M%S')
                - to_minutes(CAST(coalesce(nullif(regexp_extract(v, '([+-])[0-9]{4}$', 1), ''), '+') || '1' AS INTEGER)
                  * (CAST(coalesce(nullif(regexp_extract(v, '[+-]([0-9]{2})[0-9]{2}$', 1), ''), '0') AS INTEGER) * 60
                     + CAST(coalesce(nullif(regexp_extract(v, '[+-][0-9]{2}([0-9]{2})$', 1), ''), '0') AS INTEGER))))::TIMESTAMPTZ END;
CREATE OR REPLACE TEMP MACRO ref_date(v) AS
  CASE WHEN v IS NULL OR length(regexp_extract(v, '^[0-9]+')) < 8 THEN NULL
       ELSE try(strptime(substr(v, 1, 8), '%Y%m%d'))::DATE END;
)sql";

TEST_F(Hl7SqlFunctionsOnGeneratedData, NativeFunctionsGiveTheReferenceMacrosResults) {
  synth::SynthOptions o;
  o.patients = 25;
  o.seed = 11;
  o.out_dir = tmp_.Join("gen");
  o.formats.csv = false;
  o.formats.fhir = false;
  o.start = "2024-01-01";
  o.end = "2024-12-31";
  o.threads = 1;
  ASSERT_THAT(synth::RunSynth(o, &LocalFileSystem::Default()), IsOk());
  ingest::IngestOptions io;
  io.progress = false;
  ASSERT_THAT(ingest::IngestHl7Files(*session_, std::vector<std::string>{tmp_.Join("gen/hl7")}, io), IsOk());
  ASSERT_THAT(RegisterHl7SqlFunctions(session_->connection()), IsOk());
  ASSERT_THAT(RegisterHl7SqlFunctions(session_->connection()), IsOk());  // a second time: no-op
  ASSERT_THAT(session_->connection().Execute(kReferenceMacros), IsOk());
  // The messages as text, as the models read them.
  const std::string msgs =
      "(SELECT coalesce(try(decode(payload)), CAST(payload AS VARCHAR)) AS msg FROM raw.hl7_messages) m";
  // Every (segment id, field number) of the segments the models read.
  std::string pairs =
      "SELECT msg, s.id, f.n, hl7_segment(msg, s.id) AS seg, ref_segment(msg, s.id) AS ref_seg "
      "FROM " + msgs + ", (VALUES ('MSH'), ('EVN'), ('PID'), ('PV1'), ('ORC'), ('OBR'), ('OBX'), ('RXE'), ('RXD'), "
      "('RXA'), ('DG1'), ('AL1'), ('PR1'), ('MRG')) s(id), range(0, 46) f(n) "
      "WHERE hl7_segment(msg, s.id) IS NOT NULL OR ref_segment(msg, s.id) IS NOT NULL";
  std::string diff =
      "SELECT count(*) FILTER (WHERE seg IS NOT NULL), "
      "count(*) FILTER (WHERE seg IS DISTINCT FROM ref_seg), "
      "count(*) FILTER (WHERE hl7_field(seg, n) IS NOT NULL), "
      "count(*) FILTER (WHERE hl7_field(seg, n) IS DISTINCT FROM ref_field(ref_seg, n)), "
      "count(*) FILTER (WHERE hl7_component(hl7_field(seg, n), 1) IS NOT NULL AND hl7_component(hl7_field(seg, n), 2) IS NOT NULL), "
      "count(*) FILTER (WHERE list_reduce([hl7_component(hl7_field(seg, n), k) IS DISTINCT FROM ref_component(ref_field(ref_seg, n), k) "
      "                                     FOR k IN range(0, 8)], (a, b) -> a OR b)), "
      "count(*) FILTER (WHERE list_reduce([hl7_subcomponent(hl7_field(seg, n), i // 3 + 1, i % 3 + 1) IS DISTINCT FROM "
      "                                      ref_subcomponent(ref_field(ref_seg, n), i // 3 + 1, i % 3 + 1) "
      "                                     FOR i IN range(0, 15)], (a, b) -> a OR b)) "
      "FROM (" + pairs + ") WHERE id <> 'MSH' OR n >= 2";
  auto c = Counts(diff);
  ASSERT_EQ(c.size(), 7u);
  EXPECT_GT(c[0], 10000);  // (segment, field number) pairs of segments found
  EXPECT_EQ(c[1], 0) << "segments differ";
  EXPECT_GT(c[2], 2000);  // fields present
  EXPECT_EQ(c[3], 0) << "fields differ";
  EXPECT_GT(c[4], 300);  // fields with components
  EXPECT_EQ(c[5], 0) << "components differ";
  EXPECT_EQ(c[6], 0) << "subcomponents differ";

  // Times and dates of the fields the models read as such.
  std::string times =
      "SELECT count(hl7_ts(v)), count(*) FILTER (WHERE hl7_ts(v) IS DISTINCT FROM ref_ts(v)), "
      "count(hl7_date(v)), count(*) FILTER (WHERE hl7_date(v) IS DISTINCT FROM ref_date(v)) "
      "FROM (SELECT hl7_field(hl7_segment(msg, t.id), t.n) AS v FROM " + msgs + ", (VALUES ('MSH', 7), ('EVN', 2), "
      "('PID', 7), ('PID', 29), ('PV1', 44), ('PV1', 45), ('OBX', 14), ('ORC', 9), ('RXA', 3), ('DG1', 5), "
      "('PR1', 5), ('AL1', 6)) t(id, n))";
  auto t = Counts(times);
  ASSERT_EQ(t.size(), 4u);
  EXPECT_GT(t[0], 300);  // times read
  EXPECT_EQ(t[1], 0) << "times differ";
  EXPECT_GT(t[2], 300);  // dates read
  EXPECT_EQ(t[3], 0) << "dates differ";
  // Repeated segments: the same lists.
  auto lists = Counts("SELECT count(*) FILTER (WHERE len(hl7_segments(msg, id)) > 1), "
                      "count(*) FILTER (WHERE hl7_segments(msg, id) IS DISTINCT FROM ref_segments(msg, id)) "
                      "FROM " + msgs + ", (VALUES ('OBX'), ('DG1'), ('AL1'), ('PR1'), ('RXA'), ('ZZZ')) s(id)");
  ASSERT_EQ(lists.size(), 2u);
  EXPECT_GT(lists[0], 10);  // messages with repeated segments
  EXPECT_EQ(lists[1], 0) << "segment lists differ";
  // The comparison can tell them apart: MSH-1 is where the macro was wrong.
  EXPECT_EQ(Rows("SELECT DISTINCT hl7_field(hl7_segment(msg, 'MSH'), 1) || ' ' || ref_field(ref_segment(msg, 'MSH'), 1) FROM " + msgs),
            "| MSH");
  // NULL in, NULL out; a list of nothing is empty, not NULL.
  EXPECT_EQ(Rows("SELECT hl7_field(NULL, 3) IS NULL, hl7_segment('MSH|^~\\&', NULL) IS NULL, "
                 "hl7_ts(NULL) IS NULL, len(hl7_segments('MSH|^~\\&', 'OBX')), hl7_segments(NULL, 'OBX') IS NULL"),
            "true|true|true|0|true");
}

}  // namespace
}  // namespace medlake::pipeline
