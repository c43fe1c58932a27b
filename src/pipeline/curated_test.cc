// Tests of the built-in curated models (OMOP CDM v5.4 tables, the patient timeline and the
// daily activity mart) on generated data plus a few hand-written records: the OMOP tables
// follow the specification in ../shared/fixtures/omop-cdm (column names, order, types,
// required fields, keys) and their row counts follow from the normalized inputs.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/file_system.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "engine/testing/session_rows.h"
#include "ingest/fhir_loader.h"
#include "ingest/hl7_loader.h"
#include "pipeline/model.h"
#include "pipeline/runner.h"
#include "storage/catalog.h"
#include "storage/table.h"
#include "synth/generator.h"

namespace medlake::pipeline {
namespace {

// One field of the OMOP CDM field-level specification.
struct SpecField {
  std::string name;
  bool required = false;
  std::string datatype;   // integer, float, date, datetime, varchar(n)
  bool primary_key = false;
  std::string fk_table;   // lower-case table name, or empty
};

// Splits CSV text (RFC 4180: quoted fields may hold commas, quotes as "" and line breaks).
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
    } else {
      field += c;
    }
  }
  if (!field.empty() || !row.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// table -> its fields in specification order.
std::map<std::string, std::vector<SpecField>> LoadOmopSpec() {
  std::ifstream in(std::string(MEDLAKE_FIXTURES_DIR) + "/omop-cdm/OMOP_CDMv5.4_Field_Level.csv", std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);  // byte order mark
  auto rows = ParseCsv(text);
  std::map<std::string, std::vector<SpecField>> spec;
  if (rows.empty()) return spec;
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < rows[0].size(); ++i) col[rows[0][i]] = i;
  for (size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (row.size() < rows[0].size()) continue;
    SpecField f;
    f.name = Lower(row[col.at("cdmFieldName")]);
    f.required = row[col.at("isRequired")] == "Yes";
    f.datatype = Lower(row[col.at("cdmDatatype")]);
    f.primary_key = row[col.at("isPrimaryKey")] == "Yes";
    if (row[col.at("isForeignKey")] == "Yes") f.fk_table = Lower(row[col.at("fkTableName")]);
    spec[Lower(row[col.at("cdmTableName")])].push_back(f);
  }
  return spec;
}

// DuckDB types a spec datatype may be stored as.
bool TypeMatches(const std::string& spec_type, const std::string& duckdb_type) {
  if (spec_type == "integer") return duckdb_type == "INTEGER" || duckdb_type == "BIGINT";
  if (spec_type == "float") return duckdb_type == "DOUBLE";
  if (spec_type == "date") return duckdb_type == "DATE";
  if (spec_type == "datetime") return duckdb_type == "TIMESTAMP";
  if (spec_type.rfind("varchar", 0) == 0) return duckdb_type == "VARCHAR";
  return false;
}

const std::vector<std::string>& OmopTables() {
  static const auto* tables = new std::vector<std::string>{
      "person",      "visit_occurrence", "condition_occurrence", "drug_exposure", "measurement", "procedure_occurrence",
      "observation", "death",            "location",             "care_site",     "provider"};
  return *tables;
}

// Hand-written records on top of the generated ones: one person known to the regional FHIR
// server and to a hospital (HL7 v2), whose admission and appendectomy arrive from both and must
// be merged; an allergy only in HL7 (AL1); and a person without a birth date, who is left out of
// the OMOP tables with her facts.
constexpr char kExtraFhir[] =
    R"({"resourceType":"Patient","id":"t-1","identifier":[{"system":"https://medlake.example/sid/cip","value":"PRAN700506001"}],"name":[{"family":"Prueba","given":["Ana"]}],"gender":"other","birthDate":"1970-05-06","address":[{"city":"Getafe","postalCode":"28901"}]})"
    "\n"
    R"({"resourceType":"Patient","id":"t-2","identifier":[{"system":"https://medlake.example/sid/cip","value":"SINF000000002"}],"name":[{"family":"Sinfecha","given":["Eva"]}],"gender":"female"})"
    "\n"
    R"({"resourceType":"Encounter","id":"t-enc-1","status":"finished","class":{"code":"IMP"},"subject":{"reference":"Patient/t-1"},"period":{"start":"2024-03-01T10:00:00+01:00","end":"2024-03-04T12:00:00+01:00"},"serviceProvider":{"reference":"Organization/TESTH"}})"
    "\n"
    R"({"resourceType":"Procedure","id":"t-proc-1","status":"completed","code":{"coding":[{"system":"http://snomed.info/sct","code":"80146002","display":"Appendectomy"}]},"subject":{"reference":"Patient/t-1"},"encounter":{"reference":"Encounter/t-enc-1"},"performedDateTime":"2024-03-01T15:30:00+01:00"})"
    "\n"
    R"({"resourceType":"Encounter","id":"t-enc-2","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/t-2"},"period":{"start":"2024-03-02T09:00:00+01:00","end":"2024-03-02T09:20:00+01:00"},"serviceProvider":{"reference":"Organization/TESTH"}})"
    "\n"
    R"({"resourceType":"Condition","id":"t-cond-2","clinicalStatus":{"coding":[{"code":"active"}]},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"J45"}]},"subject":{"reference":"Patient/t-2"},"onsetDateTime":"2024-03-02"})"
    "\n";

// An HL7 v2 segment from its fields (index 1 = first field after the segment id).
std::string Segment(const std::string& id, const std::map<int, std::string>& fields) {
  std::string s = id;
  int last = fields.empty() ? 0 : fields.rbegin()->first;
  for (int i = 1; i <= last; ++i) {
    s += "|";
    auto it = fields.find(i);
    if (it != fields.end()) s += it->second;
  }
  return s + "\r";
}

std::string ExtraHl7() {
  std::string msg = "MSH|^~\\&|TESTHIS|TESTH|MEDLAKE|SERMAS|20240304120000+0100||ADT^A03^ADT_A03|T0001|P|2.5\r";
  msg += Segment("EVN", {{1, "A03"}, {2, "20240304120000+0100"}});
  msg += Segment("PID", {{1, "1"}, {3, "L77^^^TESTH^PI~PRAN700506001^^^SERMAS^JHN"}, {5, "Prueba^Ana"}, {7, "19700506"}, {8, "O"}});
  msg += Segment("PV1", {{1, "1"}, {2, "I"}, {3, "W1^101^A^TESTH"}, {19, "t-enc-1^^^TESTH^VN"}, {36, "01"},
                         {44, "20240301100000+0100"}, {45, "20240304120000+0100"}});
  msg += Segment("PR1", {{1, "1"}, {3, "80146002^Appendectomy^SCT"}, {5, "20240301153000+0100"}});
  msg += Segment("AL1", {{1, "1"}, {2, "DA"}, {3, "91936005^Allergy to penicillin^SCT"}, {4, "SV"}, {6, "20240301"}});
  return msg;
}

class CuratedTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    auto lake = storage::Lake::Create(tmp_->Join("lake"));
    ASSERT_THAT(lake, IsOk());
    lake_ = lake->release();
    auto session = engine::LakeSession::Open(*lake_);
    ASSERT_THAT(session, IsOk());
    session_ = session->release();

    synth::SynthOptions o;
    o.patients = 40;
    o.seed = 11;
    o.out_dir = tmp_->Join("synth");
    o.formats.csv = false;
    o.start = "2022-01-01";
    o.end = "2024-12-31";
    o.threads = 1;
    ASSERT_THAT(synth::RunSynth(o, &LocalFileSystem::Default()), IsOk());
    std::filesystem::create_directories(tmp_->Join("extra/hl7"));
    std::filesystem::create_directories(tmp_->Join("extra/fhir"));
    std::ofstream(tmp_->Join("extra/fhir/extra.ndjson"), std::ios::binary) << kExtraFhir;
    std::ofstream(tmp_->Join("extra/hl7/extra.hl7"), std::ios::binary) << ExtraHl7();
    ingest::IngestOptions io;
    io.progress = false;
    for (const char* dir : {"synth", "extra"}) {
      ASSERT_THAT(ingest::IngestHl7Files(*session_, {tmp_->Join(std::string(dir) + "/hl7")}, io), IsOk());
      ASSERT_THAT(ingest::IngestFhirFiles(*session_, {tmp_->Join(std::string(dir) + "/fhir")}, io), IsOk());
    }

    auto models = LoadModels(tmp_->Join("no-project"));
    ASSERT_THAT(models, IsOk());
    std::vector<Model> normalized;
    for (const auto& m : *models) {
      if (m.ns == "normalized") normalized.push_back(m);
      if (m.ns == "curated") curated_->push_back(m);
    }
    ASSERT_FALSE(curated_->empty());
    auto runs = RunModels(*session_, normalized, {});
    ASSERT_THAT(runs, IsOk());
    for (const auto& r : *runs) {
      if (r.model == "normalized.person_link") continue;  // the patient index: patient_index_test.cc
      ASSERT_EQ(r.outcome, ModelRun::Outcome::kBuilt) << r.model << ": " << r.reason;
    }
    // Until the patient index writes normalized.person_link, a stand-in: one person per health card.
    auto linked = session_->catalog().TableExists(storage::TableIdentifier{"normalized", "person_link"});
    ASSERT_THAT(linked, IsOk());
    if (!*linked) {
      Exec("CREATE TABLE normalized.person_link AS SELECT source_key, "
           "dense_rank() OVER (ORDER BY health_card_id) AS person_id, 'test' AS method, 1.0 AS score, "
           "now() AS updated_at FROM normalized.patient");
    }
    first_run_ = new std::map<std::string, ModelRun>(RunCurated(false));
    for (const auto& m : *curated_) {
      ASSERT_EQ((*first_run_)[m.name()].outcome, ModelRun::Outcome::kBuilt) << m.name() << ": " << (*first_run_)[m.name()].reason;
    }
  }
  void SetUp() override { ASSERT_NE(first_run_, nullptr) << "the lake could not be built"; }
  static void TearDownTestSuite() {
    delete first_run_;
    delete session_;
    delete lake_;
    delete tmp_;
    curated_->clear();
  }

  static std::map<std::string, ModelRun> RunCurated(bool full_refresh) {
    RunOptions options;
    options.full_refresh = full_refresh;
    auto runs = RunModels(*session_, *curated_, options);
    EXPECT_THAT(runs, IsOk());
    std::map<std::string, ModelRun> out;
    if (runs.ok()) {
      for (auto& r : *runs) out[r.model] = r;
    }
    return out;
  }
  static void Exec(const std::string& sql) { engine::testing::ExecOk(*session_, sql); }
  static std::string Rows(const std::string& sql) { return engine::testing::Rows(*session_, sql); }
  static int64_t Count(const std::string& sql) {
    std::string v = Rows(sql);
    return v.empty() || v == "NULL" ? -1 : std::stoll(v);
  }
  static int64_t CurrentSnapshot(const std::string& ns, const std::string& name) {
    auto t = storage::LakeTable::Load(session_->catalog(), session_->file_system(), {ns, name});
    EXPECT_THAT(t, IsOk());
    return t.ok() && (*t)->metadata().current_snapshot_id ? *(*t)->metadata().current_snapshot_id : -1;
  }

  // Linked records of the persons in curated.person (source_key -> person_id).
  static constexpr char kPersons[] =
      "persons AS (SELECT l.source_key, l.person_id FROM normalized.person_link l "
      "WHERE l.person_id IN (SELECT person_id FROM curated.person))";

  static TempDir* tmp_;
  static storage::Lake* lake_;
  static engine::LakeSession* session_;
  static std::vector<Model>* curated_;
  static std::map<std::string, ModelRun>* first_run_;
};

TempDir* CuratedTest::tmp_ = nullptr;
storage::Lake* CuratedTest::lake_ = nullptr;
engine::LakeSession* CuratedTest::session_ = nullptr;
std::vector<Model>* CuratedTest::curated_ = new std::vector<Model>();
std::map<std::string, ModelRun>* CuratedTest::first_run_ = nullptr;

TEST_F(CuratedTest, OmopTablesFollowTheSpecification) {
  auto spec = LoadOmopSpec();
  ASSERT_EQ(spec.size(), 39u) << "OMOP_CDMv5.4_Field_Level.csv not read from " MEDLAKE_FIXTURES_DIR;
  std::set<std::string> built(OmopTables().begin(), OmopTables().end());
  for (const auto& table : OmopTables()) {
    SCOPED_TRACE(table);
    ASSERT_TRUE(spec.count(table));
    const auto& fields = spec[table];
    // Column names, order and types.
    std::string expected, actual;
    for (const auto& f : fields) expected += (expected.empty() ? "" : ",") + f.name;
    std::string described = Rows("SELECT column_name, column_type FROM (DESCRIBE curated." + table + ")");
    std::map<std::string, std::string> types;
    std::stringstream rows(described);
    for (std::string row; std::getline(rows, row, ';');) {
      auto bar = row.find('|');
      actual += (actual.empty() ? "" : ",") + row.substr(0, bar);
      types[row.substr(0, bar)] = row.substr(bar + 1);
    }
    EXPECT_EQ(actual, expected);
    for (const auto& f : fields) {
      EXPECT_TRUE(TypeMatches(f.datatype, types[f.name])) << f.name << ": " << f.datatype << " stored as " << types[f.name];
      // Required fields are never NULL.
      if (f.required) {
        EXPECT_EQ(Count("SELECT count(*) FROM curated." + table + " WHERE " + f.name + " IS NULL"), 0) << f.name;
      }
      // Primary keys are unique.
      if (f.primary_key) {
        EXPECT_EQ(Count("SELECT count(*) - count(DISTINCT " + f.name + ") FROM curated." + table), 0) << f.name;
      }
      // Foreign keys to the tables built here point at existing rows (the CONCEPT table is not in the lake).
      if (built.count(f.fk_table)) {
        std::string pk;
        for (const auto& g : spec[f.fk_table]) {
          if (g.primary_key) pk = g.name;
        }
        ASSERT_FALSE(pk.empty()) << f.fk_table;
        EXPECT_EQ(Count("SELECT count(*) FROM curated." + table + " WHERE " + f.name + " IS NOT NULL AND " + f.name +
                        " NOT IN (SELECT " + pk + " FROM curated." + f.fk_table + ")"),
                  0)
            << f.name << " -> " << f.fk_table << "." << pk;
      }
      if (f.fk_table == "visit_detail") {
        EXPECT_EQ(Count("SELECT count(" + f.name + ") FROM curated." + table), 0) << f.name;
      }
      // Every record's provenance is "EHR".
      if (f.name.size() > 16 && f.name.substr(f.name.size() - 16) == "_type_concept_id") {
        EXPECT_EQ(Count("SELECT count(*) FROM curated." + table + " WHERE " + f.name + " <> 32817"), 0) << f.name;
      }
    }
  }
  // Concept ids with fixed public values.
  EXPECT_EQ(Count("SELECT count(*) FROM curated.person WHERE gender_concept_id NOT IN (8507, 8532, 0)"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM curated.provider WHERE gender_concept_id NOT IN (8507, 8532, 0)"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM curated.person WHERE gender_concept_id <> CASE gender_source_value "
                  "WHEN 'male' THEN 8507 WHEN 'female' THEN 8532 ELSE 0 END"),
            0);
  EXPECT_GT(Count("SELECT count(*) FROM curated.person WHERE gender_concept_id = 8507"), 0);
  EXPECT_GT(Count("SELECT count(*) FROM curated.person WHERE gender_concept_id = 8532"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM curated.visit_occurrence WHERE visit_concept_id NOT IN (9201, 9202, 9203)"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM curated.visit_occurrence v JOIN curated.visit_source s USING (visit_occurrence_id) "
                  "JOIN normalized.encounter e ON e.source_key = s.source_key AND s.is_primary "
                  "WHERE v.visit_concept_id <> CASE e.class WHEN 'IMP' THEN 9201 WHEN 'AMB' THEN 9202 WHEN 'EMER' THEN 9203 END"),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM curated.visit_occurrence WHERE visit_end_date < visit_start_date"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM curated.drug_exposure WHERE drug_exposure_end_date < drug_exposure_start_date"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM curated.death d WHERE death_date < (SELECT make_date(year_of_birth, 1, 1) "
                  "FROM curated.person p WHERE p.person_id = d.person_id)"),
            0);
  EXPECT_EQ(Count("SELECT count(*) - count(DISTINCT person_id) FROM curated.death"), 0);
}

TEST_F(CuratedTest, RowCountsFollowFromTheNormalizedTables) {
  std::string with = std::string("WITH ") + kPersons + ", ";
  // Persons: every linked person with a year of birth.
  int64_t persons = Count("SELECT count(DISTINCT l.person_id) FROM normalized.person_link l "
                          "JOIN normalized.patient p ON p.source_key = l.source_key WHERE p.birth_date IS NOT NULL");
  EXPECT_GT(persons, 30);
  EXPECT_EQ(Count("SELECT count(*) FROM curated.person"), persons);
  EXPECT_EQ(Count("SELECT count(*) FROM curated.death"),
            Count(with + "x AS (SELECT 1) SELECT count(DISTINCT p.person_id) FROM normalized.patient r "
                         "JOIN persons p ON p.source_key = r.source_key WHERE r.death_date IS NOT NULL"));

  // Visits: a person's encounters with the same class, start and organization are one visit.
  std::string encounters = with +
      "enc AS (SELECT e.*, p.person_id, (p.person_id, e.class, e.start_time, regexp_replace(e.organization, '^Organization/', '')) AS visit "
      "FROM normalized.encounter e JOIN persons p ON p.source_key = e.patient_source_key "
      "WHERE e.start_time IS NOT NULL AND coalesce(e.status, '') NOT IN ('cancelled', 'entered-in-error')) ";
  int64_t visits = Count(encounters + "SELECT count(DISTINCT visit) FROM enc");
  EXPECT_GT(visits, 100);
  EXPECT_EQ(Count("SELECT count(*) FROM curated.visit_occurrence"), visits);
  EXPECT_EQ(Count("SELECT count(*) FROM curated.visit_source"), Count(encounters + "SELECT count(*) FROM enc"));
  // Hospital encounters come from both the HIS (HL7 v2) and the regional FHIR server: merged.
  EXPECT_GT(Count(encounters + "SELECT count(*) FROM enc WHERE source_kind = 'hl7'"), 0);
  EXPECT_EQ(visits, Count(encounters + "SELECT count(*) FROM enc WHERE source_kind = 'fhir'"));
  EXPECT_EQ(Count("SELECT count(*) FROM curated.visit_source WHERE is_primary"), visits);

  // Conditions: one per person, code and visit (or onset date when there is no visit).
  int64_t conditions = Count(encounters +
      "SELECT count(DISTINCT (p.person_id, c.code_system, c.code, coalesce(CAST(enc.visit AS VARCHAR), 'onset ' || c.onset_date, c.source_key))) "
      "FROM normalized.condition c JOIN persons p ON p.source_key = c.patient_source_key "
      "LEFT JOIN enc ON enc.source_key = c.encounter_source_key AND enc.person_id = p.person_id "
      "WHERE coalesce(c.clinical_status, '') <> 'entered-in-error'");
  EXPECT_GT(conditions, 50);
  EXPECT_EQ(Count("SELECT count(*) FROM curated.condition_occurrence"), conditions);
  EXPECT_GT(Count("SELECT count(*) FROM curated.condition_occurrence WHERE visit_occurrence_id IS NOT NULL"), 0);

  // Measurements: one per person, code, time and value.
  int64_t measurements = Count(with +
      "x AS (SELECT 1) SELECT count(DISTINCT (p.person_id, o.code_system, o.code, o.effective_time, o.value_number)) "
      "FROM normalized.observation o JOIN persons p ON p.source_key = o.patient_source_key "
      "WHERE (o.value_number IS NOT NULL OR o.value_text IS NULL) AND coalesce(o.status, '') NOT IN ('cancelled', 'entered-in-error')");
  EXPECT_GT(measurements, 100);
  EXPECT_EQ(Count("SELECT count(*) FROM curated.measurement"), measurements);

  // Drug exposures: medication orders (code, order time) and vaccinations (code, time).
  int64_t drugs = Count(with +
      "x AS (SELECT 1) SELECT (SELECT count(DISTINCT (p.person_id, m.code_system, m.code, m.authored_time)) "
      "  FROM normalized.medication_request m JOIN persons p ON p.source_key = m.patient_source_key "
      "  WHERE coalesce(m.status, '') NOT IN ('cancelled', 'entered-in-error', 'draft')) + "
      "(SELECT count(DISTINCT (p.person_id, i.code_system, i.code, i.occurrence_time)) "
      "  FROM normalized.immunization i JOIN persons p ON p.source_key = i.patient_source_key "
      "  WHERE coalesce(i.status, '') NOT IN ('not-done', 'entered-in-error'))");
  EXPECT_GT(drugs, 50);
  EXPECT_EQ(Count("SELECT count(*) FROM curated.drug_exposure"), drugs);
  EXPECT_GT(Count("SELECT count(*) FROM curated.drug_exposure WHERE lot_number IS NOT NULL"), 0);
  EXPECT_GT(Count("SELECT count(*) FROM curated.drug_exposure WHERE days_supply > 0 AND sig IS NOT NULL"), 0);

  // Observations: allergies (code) and text-valued observations.
  int64_t observations = Count(with +
      "x AS (SELECT 1) SELECT (SELECT count(DISTINCT (p.person_id, a.code_system, a.code)) "
      "  FROM normalized.allergy_intolerance a JOIN persons p ON p.source_key = a.patient_source_key) + "
      "(SELECT count(DISTINCT (p.person_id, o.code_system, o.code, o.effective_time, o.value_text)) "
      "  FROM normalized.observation o JOIN persons p ON p.source_key = o.patient_source_key "
      "  WHERE o.value_number IS NULL AND o.value_text IS NOT NULL)");
  EXPECT_GT(observations, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM curated.observation"), observations);

  int64_t procedures = Count(with +
      "x AS (SELECT 1) SELECT count(DISTINCT (p.person_id, r.code_system, r.code, r.start_time)) "
      "FROM normalized.procedure r JOIN persons p ON p.source_key = r.patient_source_key");
  EXPECT_EQ(Count("SELECT count(*) FROM curated.procedure_occurrence"), procedures);

  // Every linked source record of a fact lands in exactly one curated event.
  for (const auto& [domain, table] : std::vector<std::pair<std::string, std::string>>{
           {"'condition'", "normalized.condition"},
           {"'measurement', 'observation'", "normalized.observation"},
           {"'drug'", "normalized.medication_request"},
           {"'vaccine'", "normalized.immunization"},
           {"'allergy'", "normalized.allergy_intolerance"},
           {"'procedure'", "normalized.procedure"}}) {
    EXPECT_EQ(Count("SELECT coalesce(sum(source_records), 0) FROM curated.clinical_event WHERE domain IN (" + domain + ")"),
              Count(with + "x AS (SELECT 1) SELECT count(*) FROM " + table + " t JOIN persons p ON p.source_key = t.patient_source_key"))
        << table;
    EXPECT_EQ(Count("SELECT count(*) FROM (SELECT k FROM (SELECT unnest(source_keys) AS k FROM curated.clinical_event "
                    "WHERE domain IN (" + domain + ")) GROUP BY k HAVING count(*) > 1)"),
              0)
        << table << ": a source record in two events";
  }
  // Facts of persons left out (no birth date) are left out too.
  EXPECT_EQ(Count("SELECT count(*) FROM curated.clinical_event WHERE person_id NOT IN (SELECT person_id FROM curated.person)"), 0);
}

TEST_F(CuratedTest, CopiesFromSeveralSystemsAreMerged) {
  // The hand-written person: FHIR and HL7 records linked to one person, sex "other".
  std::string person = Rows("SELECT DISTINCT l.person_id FROM normalized.person_link l WHERE l.source_key IN "
                            "('fhir|Patient/t-1', 'hl7|TESTH|L77')");
  ASSERT_EQ(person.find(';'), std::string::npos) << "the patient index did not link the two records: " << person;
  ASSERT_FALSE(person.empty());
  EXPECT_EQ(Rows("SELECT gender_concept_id, year_of_birth, month_of_birth, day_of_birth, gender_source_value "
                 "FROM curated.person WHERE person_id = " + person),
            "0|1970|5|6|other");
  // One admission (FHIR + ADT A03), at a hospital missing from the directory.
  EXPECT_EQ(Rows("SELECT v.visit_concept_id, v.visit_start_datetime, v.visit_end_datetime, v.visit_end_date, "
                 "c.care_site_source_value, c.care_site_name IS NULL, s.n "
                 "FROM curated.visit_occurrence v JOIN curated.care_site c USING (care_site_id) "
                 "JOIN (SELECT visit_occurrence_id, count(*) AS n FROM curated.visit_source GROUP BY ALL) s USING (visit_occurrence_id) "
                 "WHERE v.person_id = " + person),
            "9201|2024-03-01 09:00:00|2024-03-04 11:00:00|2024-03-04|TESTH|true|2");
  // One appendectomy (FHIR Procedure + PR1) attached to that visit.
  EXPECT_EQ(Rows("SELECT p.procedure_source_value, p.procedure_datetime, p.visit_occurrence_id = v.visit_occurrence_id, e.source_records "
                 "FROM curated.procedure_occurrence p JOIN curated.visit_occurrence v USING (person_id) "
                 "JOIN curated.clinical_event e ON e.event_id = p.procedure_occurrence_id WHERE p.person_id = " + person),
            "80146002|2024-03-01 14:30:00|true|2");
  // The allergy sent only in AL1.
  EXPECT_EQ(Rows("SELECT observation_source_value, value_as_string, qualifier_source_value, observation_date "
                 "FROM curated.observation WHERE person_id = " + person),
            "91936005|Allergy to penicillin|medication|2024-03-01");
  // The person without a birth date is not in the OMOP tables, nor are her visit and condition.
  EXPECT_EQ(Count("SELECT count(*) FROM curated.person p JOIN normalized.person_link l USING (person_id) "
                  "WHERE l.source_key = 'fhir|Patient/t-2'"),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM curated.visit_source WHERE source_key = 'fhir|Encounter/t-enc-2'"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM curated.clinical_event WHERE source_key = 'fhir|Condition/t-cond-2'"), 0);
}

TEST_F(CuratedTest, TimelineAndDailyActivity) {
  // The timeline: every visit, fact and death once, pointing at its OMOP row.
  EXPECT_EQ(Count("SELECT count(*) FROM curated.patient_timeline"),
            Count("SELECT (SELECT count(*) FROM curated.visit_occurrence) + (SELECT count(*) FROM curated.clinical_event) + "
                  "(SELECT count(*) FROM curated.death)"));
  EXPECT_EQ(Count("SELECT count(*) FROM curated.patient_timeline WHERE event_time IS NULL OR event_kind IS NULL "
                  "OR source_key IS NULL OR person_id NOT IN (SELECT person_id FROM curated.person)"),
            0);
  for (const auto& [table, key] : std::vector<std::pair<std::string, std::string>>{
           {"visit_occurrence", "visit_occurrence_id"},
           {"condition_occurrence", "condition_occurrence_id"},
           {"measurement", "measurement_id"},
           {"drug_exposure", "drug_exposure_id"},
           {"procedure_occurrence", "procedure_occurrence_id"},
           {"observation", "observation_id"},
           {"death", "person_id"}}) {
    int64_t rows = Count("SELECT count(*) FROM curated." + table);
    EXPECT_EQ(Count("SELECT count(*) FROM curated.patient_timeline WHERE omop_table = '" + table + "'"), rows) << table;
    EXPECT_EQ(Count("SELECT count(*) FROM curated.patient_timeline WHERE omop_table = '" + table + "' AND omop_id NOT IN "
                    "(SELECT " + key + " FROM curated." + table + ")"),
              0)
        << table;
  }
  EXPECT_EQ(Count("SELECT count(*) FROM curated.patient_timeline t JOIN normalized.encounter e ON e.source_key = t.source_key "
                  "WHERE t.event_kind = 'visit'"),
            Count("SELECT count(*) FROM curated.visit_occurrence"));

  // Daily activity: one row per day and care site; its sums equal the visits and facts.
  EXPECT_EQ(Count("SELECT count(*) - count(DISTINCT (activity_date, care_site_id)) FROM curated.daily_activity"), 0);
  EXPECT_EQ(Count("SELECT sum(encounters) FROM curated.daily_activity"),
            Count("SELECT count(*) FROM curated.visit_occurrence WHERE care_site_id IS NOT NULL"));
  EXPECT_EQ(Count("SELECT sum(inpatient_encounters) + sum(outpatient_encounters) + sum(emergency_encounters) + sum(other_encounters) "
                  "FROM curated.daily_activity"),
            Count("SELECT sum(encounters) FROM curated.daily_activity"));
  EXPECT_EQ(Count("SELECT sum(admissions) FROM curated.daily_activity"),
            Count("SELECT count(*) FROM curated.visit_occurrence WHERE visit_concept_id = 9201 AND care_site_id IS NOT NULL"));
  EXPECT_EQ(Count("SELECT sum(discharges) FROM curated.daily_activity"),
            Count("SELECT count(*) FROM curated.visit_occurrence WHERE visit_concept_id = 9201 AND care_site_id IS NOT NULL "
                  "AND visit_end_datetime IS NOT NULL"));
  EXPECT_EQ(Count("SELECT sum(inpatients_in_bed) FROM curated.daily_activity"),
            Count("SELECT coalesce(sum(visit_end_date - visit_start_date), 0) FROM curated.visit_occurrence "
                  "WHERE visit_concept_id = 9201 AND care_site_id IS NOT NULL"));
  EXPECT_EQ(Count("SELECT sum(vaccinations) FROM curated.daily_activity"),
            Count("SELECT count(*) FROM curated.clinical_event WHERE domain = 'vaccine' AND care_site_id IS NOT NULL"));
  EXPECT_GT(Count("SELECT sum(vaccinations) FROM curated.daily_activity"), 0);
  EXPECT_GT(Count("SELECT count(DISTINCT organization_type) FROM curated.daily_activity"), 1);
  // The hand-written admission: in on 1 March, three nights, out on 4 March, with its procedure.
  EXPECT_EQ(Rows("SELECT activity_date, encounters, admissions, discharges, inpatients_in_bed, procedures "
                 "FROM curated.daily_activity WHERE organization_id = 'TESTH' ORDER BY 1"),
            "2024-03-01|1|1|0|1|1;2024-03-02|0|0|0|1|0;2024-03-03|0|0|0|1|0;2024-03-04|0|0|1|0|0");
}

TEST_F(CuratedTest, RebuildsGiveTheSameRowsAndKeys) {
  std::map<std::string, int64_t> before;
  for (const auto& m : *curated_) before[m.name()] = CurrentSnapshot(m.ns, m.table);
  auto again = RunCurated(true);
  for (const auto& m : *curated_) {
    ASSERT_EQ(again[m.name()].outcome, ModelRun::Outcome::kBuilt) << m.name() << ": " << again[m.name()].reason;
    int64_t after = CurrentSnapshot(m.ns, m.table);
    ASSERT_NE(after, before[m.name()]) << m.name();
    std::string a = m.name() + " AT (VERSION => " + std::to_string(before[m.name()]) + ")";
    std::string b = m.name() + " AT (VERSION => " + std::to_string(after) + ")";
    EXPECT_EQ(Count("SELECT (SELECT count(*) FROM (SELECT * FROM " + a + " EXCEPT ALL SELECT * FROM " + b + ")) + "
                    "(SELECT count(*) FROM (SELECT * FROM " + b + " EXCEPT ALL SELECT * FROM " + a + "))"),
              0)
        << m.name();
  }
}

}  // namespace
}  // namespace medlake::pipeline
