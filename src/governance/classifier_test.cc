#include "governance/classifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "governance/testing/test_lake.h"

namespace medlake::governance {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::IsSupersetOf;
using ::testing::Not;

// 200 synthetic people: valid DNI and NIE check letters, DNI-shaped values with wrong letters,
// e-mail addresses, mobile numbers and surnames (made-up values, no real person).
constexpr const char* kPeopleSql = R"sql(
CREATE SCHEMA s;
CREATE TABLE s.people AS
SELECT
  n AS id,
  lpad(CAST(n AS VARCHAR), 8, '0') || substr('TRWAGMYFPDXBNJZSQVHLCKE', CAST(n % 23 AS INTEGER) + 1, 1) AS doc,
  'X' || lpad(CAST(n % 10000000 AS VARCHAR), 7, '0') ||
    substr('TRWAGMYFPDXBNJZSQVHLCKE', CAST((n % 10000000) % 23 AS INTEGER) + 1, 1) AS foreign_doc,
  lpad(CAST(n AS VARCHAR), 8, '0') || substr('TRWAGMYFPDXBNJZSQVHLCKE', CAST((n + 1) % 23 AS INTEGER) + 1, 1) AS ref_code,
  'user' || CAST(i AS VARCHAR) || '@example.org' AS contact,
  '6' || lpad(CAST(i AS VARCHAR), 8, '0') AS movil,
  'Apellido' || CAST(i AS VARCHAR) AS apellido1,
  'note ' || CAST(i AS VARCHAR) AS notes
FROM (SELECT i, 10000000 + i * 7919 AS n FROM range(200) t(i))
)sql";

class ClassifierTest : public testing::TestLake {
 protected:
  std::set<std::string> Tags(const std::string& table, const std::string& column) {
    auto tags = store_->ObjectTags(ObjectRef::Column("s", table, column));
    EXPECT_THAT(tags, IsOk());
    return tags.ok() ? *tags : std::set<std::string>{};
  }
  std::set<std::string> TableTags(const std::string& table) {
    auto tags = store_->TableTags("s", table);
    EXPECT_THAT(tags, IsOk());
    return tags.ok() ? *tags : std::set<std::string>{};
  }
  void Classify(const std::string& table) {
    MEDLAKE_ASSERT_OK(ClassifyTable(*session_, *store_, {"s", table}).status());
  }
};

TEST_F(ClassifierTest, FindsIdentifiersByValueAndName) {
  Exec(kPeopleSql);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableClassification c,
                               ClassifyTable(*session_, *store_, {"s", "people"}));
  EXPECT_EQ(c.sampled_columns, 7);
  EXPECT_EQ(c.sampled_values, 7 * 200);
  EXPECT_THAT(Tags("people", "doc"), IsSupersetOf({"pii:dni", "direct_identifier", "phi"}));
  EXPECT_THAT(Tags("people", "foreign_doc"), Contains("pii:dni"));  // NIE
  EXPECT_THAT(Tags("people", "ref_code"), IsEmpty());               // wrong check letters
  EXPECT_THAT(Tags("people", "contact"), IsSupersetOf({"pii:email", "direct_identifier"}));
  EXPECT_THAT(Tags("people", "movil"), Contains("pii:phone"));
  EXPECT_THAT(Tags("people", "apellido1"), Contains("pii:name"));
  EXPECT_THAT(Tags("people", "notes"), IsEmpty());
  EXPECT_THAT(Tags("people", "id"), IsEmpty());
  EXPECT_THAT(TableTags("people"), Contains("phi"));
  // The stored reason has counts, never values.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto rows, store_->ObjectTagAssignments(ObjectRef::Column("s", "people", "doc")));
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0].source, TagSource::kClassifier);
  EXPECT_EQ(rows[0].detail, "200 of 200 sampled values are valid DNI/NIE");
}

TEST_F(ClassifierTest, SmallSampleOption) {
  Exec(kPeopleSql);
  ClassifierOptions o;
  o.sample_values = 10;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableClassification c,
                               ClassifyTable(*session_, *store_, {"s", "people"}, o));
  EXPECT_EQ(c.sampled_values, 7 * 10);
  EXPECT_THAT(Tags("people", "doc"), Contains("pii:dni"));
}

// The sample is the first sample_rows live rows of the oldest files: deleted rows are never
// sampled, newer files are not read once the oldest hold enough rows.
TEST_F(ClassifierTest, SampleReadsTheLiveRowsOfTheOldestFiles) {
  Exec("CREATE SCHEMA s; CREATE TABLE s.t (doc VARCHAR, notes VARCHAR)");
  Exec("INSERT INTO s.t SELECT 'x' || i, 'n' FROM range(10) t(i)");     // oldest file: 10 rows
  Exec("INSERT INTO s.t SELECT 'y' || i, 'n' FROM range(20) t(i)");     // second file
  Exec("DELETE FROM s.t WHERE doc IN ('x1', 'x2', 'x3')");              // 7 live rows left in the first
  ClassifierOptions o;
  o.sample_rows = 8;  // the first file holds enough rows: its 7 live ones are the sample
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableClassification c, ClassifyTable(*session_, *store_, {"s", "t"}, o));
  EXPECT_EQ(c.sampled_values, 2 * 7);
  o.sample_rows = 11;  // both files, cut at 11 rows
  MEDLAKE_ASSERT_OK_AND_ASSIGN(c, ClassifyTable(*session_, *store_, {"s", "t"}, o));
  EXPECT_EQ(c.sampled_values, 2 * 11);
  o.sample_rows = 100;  // every live row
  MEDLAKE_ASSERT_OK_AND_ASSIGN(c, ClassifyTable(*session_, *store_, {"s", "t"}, o));
  EXPECT_EQ(c.sampled_values, 2 * 27);
  // An empty table samples nothing and fails nothing.
  Exec("CREATE TABLE s.empty (doc VARCHAR)");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(c, ClassifyTable(*session_, *store_, {"s", "empty"}, o));
  EXPECT_EQ(c.sampled_values, 0);
}

TEST_F(ClassifierTest, ManualTagsSurviveAndUntagSticks) {
  Exec(kPeopleSql);
  MEDLAKE_ASSERT_OK(store_->AddTag(ObjectRef::Column("s", "people", "notes"), "phi", "ana"));
  Classify("people");
  MEDLAKE_ASSERT_OK(
      store_->RemoveTag(ObjectRef::Column("s", "people", "contact"), "pii:email", "ana"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableClassification c,
                               ClassifyTable(*session_, *store_, {"s", "people"}));
  EXPECT_EQ(c.write.added, 0);
  ASSERT_EQ(c.write.suppressed.size(), 1u);
  EXPECT_EQ(c.write.suppressed[0].tag, "pii:email");
  EXPECT_THAT(Tags("people", "notes"), Contains("phi"));
  EXPECT_THAT(Tags("people", "contact"), Not(Contains("pii:email")));
  EXPECT_THAT(Tags("people", "contact"), Contains("direct_identifier"));
}

TEST_F(ClassifierTest, DiagnosisCodesMakeSpecialCategory) {
  Exec(
      "CREATE SCHEMA s; CREATE TABLE s.condition AS SELECT * FROM (VALUES "
      "('p1', 'E11.9'), ('p2', 'I10'), ('p3', 'F32.9'), ('p4', NULL)) t(patient_id, code);"
      "CREATE TABLE s.hiv_followup AS SELECT * FROM (VALUES ('B20'), ('Z21'), ('I10')) t(dx);"
      "CREATE TABLE s.other AS SELECT * FROM (VALUES ('p1', 'E11.9')) t(patient_id, code)");
  Classify("condition");
  Classify("hiv_followup");
  Classify("other");
  EXPECT_THAT(TableTags("condition"),
              IsSupersetOf({"special_category", "special:mental_health", "phi"}));
  EXPECT_THAT(Tags("condition", "code"),
              IsSupersetOf({"special_category", "special:mental_health", "phi"}));
  EXPECT_THAT(Tags("condition", "patient_id"), Contains("pii:patient_link"));
  EXPECT_THAT(TableTags("hiv_followup"), Contains("special:hiv"));
  EXPECT_THAT(TableTags("other"), Not(Contains("special_category")));
}

TEST_F(ClassifierTest, BinaryPayloadsAreSampled) {
  Exec(
      "CREATE SCHEMA s; CREATE TABLE s.messages AS SELECT encode('MSH|^~\\&|HIS|H1|' || CAST(i AS "
      "VARCHAR)) "
      "AS payload FROM range(5) t(i)");
  Classify("messages");
  EXPECT_THAT(Tags("messages", "payload"),
              IsSupersetOf({"pii:record", "direct_identifier", "phi"}));
}

TEST_F(ClassifierTest, UnknownTableIsNotFound) {
  Exec("CREATE SCHEMA s");
  EXPECT_THAT(ClassifyTable(*session_, *store_, {"s", "missing"}),
              StatusIs(StatusCode::kNotFound, "s.missing"));
}

class PropagationTest : public ClassifierTest {
 protected:
  void SetUp() override {
    ClassifierTest::SetUp();
    Exec(kPeopleSql);
    Exec(
        "CREATE TABLE s.mid AS SELECT doc AS document, notes FROM s.people;"
        "CREATE TABLE s.mart AS SELECT document AS doc_hash FROM s.mid;"
        "CREATE SCHEMA lineage;"
        "CREATE TABLE lineage.edges AS SELECT * FROM (VALUES "
        "('s.people', 'doc', 's.mid', 'document', 'column'),"
        "('s.people', 'notes', 's.mid', 'notes', 'column'),"
        "('s.mid', 'document', 's.mart', 'doc_hash', 'column'),"
        "('s.people', '', 's.mart', '', 'table'),"
        "('external:hl7', 'payload', 's.people', 'doc', 'column'),"
        "('s.dropped', 'x', 's.mart', 'doc_hash', 'column')"
        ") e(from_table, from_column, to_table, to_column, level)");
    Classify("people");
  }
};

TEST_F(PropagationTest, TagsFlowDownstreamTransitivelyAndIdempotently) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(PropagationReport r, PropagateTags(*session_, *store_));
  EXPECT_EQ(r.edges, 5);
  EXPECT_EQ(r.unresolved_edges, 2);
  EXPECT_GT(r.write.added, 0);
  EXPECT_THAT(Tags("mid", "document"), IsSupersetOf({"pii:dni", "direct_identifier", "phi"}));
  EXPECT_THAT(Tags("mart", "doc_hash"), IsSupersetOf({"pii:dni", "direct_identifier", "phi"}));
  EXPECT_THAT(Tags("mid", "notes"), IsEmpty());
  EXPECT_THAT(TableTags("mart"), Contains("phi"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto rows, store_->ObjectTagAssignments(ObjectRef::Column("s", "mart", "doc_hash")));
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0].source, TagSource::kLineage);
  EXPECT_EQ(rows[0].detail, "s.mid.document");

  MEDLAKE_ASSERT_OK_AND_ASSIGN(PropagationReport again, PropagateTags(*session_, *store_));
  EXPECT_EQ(again.write.added, 0);
  EXPECT_EQ(again.write.removed, 0);
  EXPECT_EQ(again.write.kept, r.write.added);
}

TEST_F(PropagationTest, SuppressionsStopTheFlowAndManualTagsFlowToo) {
  MEDLAKE_ASSERT_OK(PropagateTags(*session_, *store_).status());
  // Someone decides the middle column is not PHI (it was hashed, say): phi stops there.
  MEDLAKE_ASSERT_OK(store_->RemoveTag(ObjectRef::Column("s", "mid", "document"), "phi", "ana"));
  MEDLAKE_ASSERT_OK(
      store_->AddTag(ObjectRef::Column("s", "people", "notes"), "special:mental_health", "ana"));
  MEDLAKE_ASSERT_OK(PropagateTags(*session_, *store_).status());
  EXPECT_THAT(Tags("mid", "document"), Not(Contains("phi")));
  EXPECT_THAT(Tags("mid", "document"), Contains("pii:dni"));
  EXPECT_THAT(Tags("mart", "doc_hash"), Not(Contains("phi")));
  EXPECT_THAT(Tags("mid", "notes"), Contains("special:mental_health"));
  EXPECT_THAT(TableTags("mid"), Contains("special:mental_health"));
}

TEST_F(PropagationTest, FieldsOfWholeRecordsGetPhiButNotTheRecordsIdentifierTags) {
  Exec(
      "CREATE TABLE s.raw AS SELECT '{\"resourceType\":\"Patient\",\"gender\":\"female\"}' AS "
      "payload;"
      "CREATE TABLE s.parsed AS SELECT 'female' AS gender_code;"
      "INSERT INTO lineage.edges VALUES ('s.raw', 'payload', 's.parsed', 'gender_code', 'column')");
  Classify("raw");
  EXPECT_THAT(Tags("raw", "payload"), IsSupersetOf({"pii:record", "direct_identifier", "phi"}));
  MEDLAKE_ASSERT_OK(PropagateTags(*session_, *store_).status());
  EXPECT_EQ(Tags("parsed", "gender_code"), std::set<std::string>{"phi"});
  EXPECT_THAT(TableTags("parsed"), Contains("phi"));
}

TEST_F(PropagationTest, NoLineageTableMeansNoLineageTags) {
  MEDLAKE_ASSERT_OK(PropagateTags(*session_, *store_).status());
  Exec("DROP TABLE lineage.edges");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(PropagationReport r, PropagateTags(*session_, *store_));
  EXPECT_EQ(r.edges, 0);
  EXPECT_GT(r.write.removed, 0);
  EXPECT_THAT(Tags("mart", "doc_hash"), IsEmpty());
}

}  // namespace
}  // namespace medlake::governance
