#include "governance/metadata_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "governance/testing/test_lake.h"

namespace medlake::governance {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

class MetadataStoreTest : public testing::TestLake {
 protected:
  void SetUp() override {
    TestLake::SetUp();
    Exec("CREATE SCHEMA s; CREATE TABLE s.p AS SELECT 1 AS id, 'x' AS dni, 'y' AS email");
  }
  ObjectRef Col(const std::string& c) { return ObjectRef::Column("s", "p", c); }
};

TEST_F(MetadataStoreTest, DescriptiveMetadataRoundTrips) {
  MEDLAKE_ASSERT_OK(store_->SetDescription(ObjectRef::Namespace("s"), "Staging area", "ana"));
  MEDLAKE_ASSERT_OK(store_->SetOwner(ObjectRef::Table("s", "p"), "team-admissions", "ana"));
  MEDLAKE_ASSERT_OK(store_->SetSteward(ObjectRef::Table("s", "p"), "luis", "ana"));
  MEDLAKE_ASSERT_OK(store_->SetDescription(Col("dni"), "National id, it's \"checked\"", "ana"));
  MEDLAKE_ASSERT_OK(
      store_->SetGlossaryTerms(Col("dni"), {"Identificación", " DNI ", "DNI", "a\"b\\c"}, "ana"));

  auto reopened = Reopen();  // persisted in catalog.db
  ASSERT_NE(reopened, nullptr);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ObjectMetadata ns, reopened->GetMetadata(ObjectRef::Namespace("s")));
  EXPECT_EQ(ns.description, "Staging area");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ObjectMetadata t, reopened->GetMetadata(ObjectRef::Table("s", "p")));
  EXPECT_EQ(t.owner, "team-admissions");
  EXPECT_EQ(t.steward, "luis");
  EXPECT_EQ(t.description, std::nullopt);
  EXPECT_EQ(t.updated_by, "ana");
  EXPECT_EQ(t.updated_at_micros, clock_.NowMicros());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ObjectMetadata c, reopened->GetMetadata(Col("dni")));
  EXPECT_EQ(c.description, "National id, it's \"checked\"");
  EXPECT_THAT(c.glossary_terms, ElementsAre("Identificación", "DNI", "a\"b\\c"));

  // Clearing everything leaves no trace.
  MEDLAKE_ASSERT_OK(store_->SetDescription(Col("dni"), std::nullopt, "ana"));
  MEDLAKE_ASSERT_OK(store_->SetGlossaryTerms(Col("dni"), {}, "ana"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(c, store_->GetMetadata(Col("dni")));
  EXPECT_EQ(c.description, std::nullopt);
  EXPECT_THAT(c.glossary_terms, IsEmpty());
  EXPECT_EQ(c.updated_at_micros, 0);
}

TEST_F(MetadataStoreTest, OpenCatalogSeesTheSameMetadata) {
  MEDLAKE_ASSERT_OK(store_->AddTag(Col("dni"), "pii:dni", "ana"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto other,
                               MetadataStore::OpenCatalog(lake_->catalog_path(), clock_));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto cols, other->ColumnTags("s", "p"));
  EXPECT_THAT(cols, ElementsAre(Pair("dni", std::set<std::string>{"pii:dni"})));
  EXPECT_THAT(MetadataStore::OpenCatalog(tmp_.Join("nowhere/catalog.db")),
              StatusIs(StatusCode::kIOError, "nowhere"));
}

TEST_F(MetadataStoreTest, UnknownObjectsAreNotFound) {
  EXPECT_THAT(store_->SetDescription(ObjectRef::Namespace("nope"), "x", "a"),
              StatusIs(StatusCode::kNotFound, "namespace nope does not exist"));
  EXPECT_THAT(store_->SetOwner(ObjectRef::Table("s", "nope"), "x", "a"),
              StatusIs(StatusCode::kNotFound, "table s.nope does not exist"));
  EXPECT_THAT(store_->AddTag(Col("nope"), "phi", "a"),
              StatusIs(StatusCode::kNotFound, "column nope does not exist in table s.p"));
  EXPECT_THAT(store_->ColumnTags("s", "nope"), StatusIs(StatusCode::kNotFound, "s.nope"));
}

TEST_F(MetadataStoreTest, BadTagNamesAndTermsAreRejected) {
  EXPECT_THAT(store_->AddTag(Col("dni"), "PHI", "a"),
              StatusIs(StatusCode::kInvalidArgument, "lowercase"));
  EXPECT_THAT(store_->AddTag(Col("dni"), "pii dni", "a"),
              StatusIs(StatusCode::kInvalidArgument, "pii dni"));
  EXPECT_THAT(store_->AddTag(Col("dni"), "", "a"), StatusIs(StatusCode::kInvalidArgument, "empty"));
  EXPECT_THAT(store_->SetGlossaryTerms(Col("dni"), {"  "}, "a"),
              StatusIs(StatusCode::kInvalidArgument, "empty glossary term"));
  EXPECT_THAT(ParseObjectRef("s..c"), StatusIs(StatusCode::kInvalidArgument, "s..c"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ObjectRef nested, ParseObjectRef("s.p.address.city"));
  EXPECT_EQ(nested.column, "address.city");
}

TEST_F(MetadataStoreTest, TagsPerObjectColumnAndNamespace) {
  MEDLAKE_ASSERT_OK(store_->AddTag(Col("dni"), "phi", "ana"));
  MEDLAKE_ASSERT_OK(store_->AddTag(Col("dni"), "pii:dni", "ana"));
  MEDLAKE_ASSERT_OK(store_->AddTag(Col("dni"), "phi", "ana"));  // idempotent
  MEDLAKE_ASSERT_OK(store_->AddTag(Col("email"), "pii:email", "ana"));
  MEDLAKE_ASSERT_OK(store_->AddTag(ObjectRef::Table("s", "p"), "phi", "ana"));
  MEDLAKE_ASSERT_OK(store_->AddTag(ObjectRef::Namespace("s"), "layer:staging", "ana"));

  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto cols, store_->ColumnTags("s", "p"));
  EXPECT_THAT(cols, UnorderedElementsAre(Pair("dni", std::set<std::string>{"phi", "pii:dni"}),
                                         Pair("email", std::set<std::string>{"pii:email"})));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto all, store_->TableAndColumnTags("s", "p"));
  EXPECT_EQ(all[""], (std::set<std::string>{"layer:staging", "phi"}));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto table, store_->TableTags("s", "p"));
  EXPECT_EQ(table, std::set<std::string>{"phi"});
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto ns, store_->NamespaceTags("s"));
  EXPECT_EQ(ns, std::set<std::string>{"layer:staging"});
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto phi, store_->ObjectsWithTag("phi"));
  EXPECT_THAT(phi, ElementsAre(ObjectRef::Table("s", "p"), Col("dni")));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto in_ns, store_->TagsInNamespace("s"));
  ASSERT_EQ(in_ns.size(), 5u);
  EXPECT_EQ(in_ns[0].object, ObjectRef::Namespace("s"));
  EXPECT_EQ(in_ns[0].source, TagSource::kManual);
  EXPECT_EQ(in_ns[0].created_by, "ana");

  MEDLAKE_ASSERT_OK(store_->RemoveTag(Col("dni"), "phi", "ana"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto dni, store_->ObjectTags(Col("dni")));
  EXPECT_EQ(dni, std::set<std::string>{"pii:dni"});
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto suppressed, store_->SuppressedTags(Col("dni")));
  EXPECT_EQ(suppressed, std::set<std::string>{"phi"});
}

TEST_F(MetadataStoreTest, ManualTagsSurviveTheClassifierAndSuppressionsStick) {
  MEDLAKE_ASSERT_OK(store_->AddTag(Col("dni"), "phi", "ana"));
  std::vector<DerivedTag> found = {{Col("dni"), "phi", "column name"},
                                   {Col("dni"), "pii:dni", "column name"},
                                   {Col("email"), "pii:email", "values"}};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(DerivedTagWrite w,
                               store_->ReplaceClassifierTags({"s", "p"}, found, "classifier"));
  EXPECT_EQ(w.added, 3);

  // A classifier run that finds nothing removes its own tags only.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(w, store_->ReplaceClassifierTags({"s", "p"}, {}, "classifier"));
  EXPECT_EQ(w.removed, 3);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto cols, store_->ColumnTags("s", "p"));
  EXPECT_THAT(cols, ElementsAre(Pair("dni", std::set<std::string>{"phi"})));

  // Untagging a classifier tag by hand sticks across re-classification...
  MEDLAKE_ASSERT_OK(store_->ReplaceClassifierTags({"s", "p"}, found, "classifier").status());
  MEDLAKE_ASSERT_OK(store_->RemoveTag(Col("email"), "pii:email", "ana"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(w, store_->ReplaceClassifierTags({"s", "p"}, found, "classifier"));
  ASSERT_EQ(w.suppressed.size(), 1u);
  EXPECT_EQ(w.suppressed[0].object, Col("email"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(cols, store_->ColumnTags("s", "p"));
  EXPECT_EQ(cols.count("email"), 0u);
  // ...until someone tags it by hand again.
  MEDLAKE_ASSERT_OK(store_->AddTag(Col("email"), "pii:email", "ana"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto sup, store_->SuppressedTags(Col("email")));
  EXPECT_THAT(sup, IsEmpty());

  // Both sources of the same tag are listed.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto rows, store_->ObjectTagAssignments(Col("dni")));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].tag, "phi");
  EXPECT_EQ(rows[0].source, TagSource::kClassifier);
  EXPECT_EQ(rows[1].tag, "phi");
  EXPECT_EQ(rows[1].source, TagSource::kManual);

  EXPECT_THAT(
      store_->ReplaceClassifierTags({"s", "p"}, {{ObjectRef::Table("s", "q"), "phi", ""}}, "c"),
      StatusIs(StatusCode::kInvalidArgument, "not on table s.p"));
}

TEST_F(MetadataStoreTest, LineageTagsReplaceIdempotently) {
  std::vector<DerivedTag> tags = {{Col("dni"), "phi", "s.src.a"}, {Col("email"), "phi", "s.src.b"}};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(DerivedTagWrite w, store_->ReplaceLineageTags(tags, "lineage"));
  EXPECT_EQ(w.added, 2);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(w, store_->ReplaceLineageTags(tags, "lineage"));
  EXPECT_EQ(w.added, 0);
  EXPECT_EQ(w.removed, 0);
  EXPECT_EQ(w.kept, 2);
  // Objects that vanished are skipped, not errors.
  tags.push_back({ObjectRef::Column("s", "gone", "x"), "phi", "s.src.a"});
  tags.erase(tags.begin());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(w, store_->ReplaceLineageTags(tags, "lineage"));
  EXPECT_EQ(w.removed, 1);
  EXPECT_EQ(w.kept, 1);
}

TEST_F(MetadataStoreTest, MetadataFollowsRenamedColumnsAndTables) {
  MEDLAKE_ASSERT_OK(store_->AddTag(Col("dni"), "pii:dni", "ana"));
  MEDLAKE_ASSERT_OK(store_->SetDescription(Col("dni"), "doc", "ana"));
  Exec("ALTER TABLE s.p RENAME COLUMN dni TO documento");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto cols, store_->ColumnTags("s", "p"));
  EXPECT_THAT(cols, ElementsAre(Pair("documento", std::set<std::string>{"pii:dni"})));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ObjectMetadata m, store_->GetMetadata(Col("documento")));
  EXPECT_EQ(m.description, "doc");

  // A new column under the old name is a new object.
  Exec("ALTER TABLE s.p ADD COLUMN dni VARCHAR");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto tags, store_->ObjectTags(Col("dni")));
  EXPECT_THAT(tags, IsEmpty());

  Exec("ALTER TABLE s.p RENAME TO q");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto objects, store_->ObjectsWithTag("pii:dni"));
  EXPECT_THAT(objects, ElementsAre(ObjectRef::Column("s", "q", "documento")));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ReconcileReport r, store_->Reconcile());
  EXPECT_EQ(r.removed, 0);
  EXPECT_EQ(r.renamed, 2);  // the tag row and the metadata row
  MEDLAKE_ASSERT_OK_AND_ASSIGN(r, store_->Reconcile());
  EXPECT_EQ(r.renamed, 0);
}

TEST_F(MetadataStoreTest, DroppedTablesDoNotLendTheirMetadata) {
  MEDLAKE_ASSERT_OK(store_->AddTag(Col("dni"), "pii:dni", "ana"));
  MEDLAKE_ASSERT_OK(store_->SetOwner(ObjectRef::Table("s", "p"), "ana", "ana"));
  Exec("DROP TABLE s.p; CREATE TABLE s.p AS SELECT 'x' AS dni");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto cols, store_->ColumnTags("s", "p"));
  EXPECT_THAT(cols, IsEmpty());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ObjectMetadata m, store_->GetMetadata(ObjectRef::Table("s", "p")));
  EXPECT_EQ(m.owner, std::nullopt);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto objects, store_->ObjectsWithTag("pii:dni"));
  EXPECT_THAT(objects, IsEmpty());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ReconcileReport r, store_->Reconcile());
  EXPECT_EQ(r.removed, 2);
}

TEST_F(MetadataStoreTest, DescribeTableListsColumnsInSchemaOrder) {
  MEDLAKE_ASSERT_OK(store_->SetDescription(Col("email"), "contact", "ana"));
  MEDLAKE_ASSERT_OK(store_->AddTag(Col("email"), "pii:email", "ana"));
  MEDLAKE_ASSERT_OK(store_->RemoveTag(Col("dni"), "phi", "ana"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableCatalogEntry t, store_->DescribeTable({"s", "p"}));
  ASSERT_EQ(t.columns.size(), 3u);
  EXPECT_EQ(t.columns[0].metadata.object.column, "id");
  EXPECT_EQ(t.columns[0].type, "INTEGER");
  EXPECT_EQ(t.columns[1].suppressed, std::vector<std::string>{"phi"});
  EXPECT_EQ(t.columns[2].metadata.description, "contact");
  EXPECT_EQ(t.columns[2].TagNames(), std::vector<std::string>{"pii:email"});
  EXPECT_FALSE(t.table_uuid.empty());
}

}  // namespace
}  // namespace medlake::governance
