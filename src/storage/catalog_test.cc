#include "storage/catalog.h"

#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "storage/lake.h"

namespace medlake::storage {
namespace {

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, Lake::Create(tmp_.Join("lake")));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(catalog_, Catalog::Open(lake_->catalog_path()));
  }
  TempDir tmp_;
  std::unique_ptr<Lake> lake_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(CatalogTest, NamespacesLifecycle) {
  MEDLAKE_ASSERT_OK(catalog_->CreateNamespace("raw", {{"owner", "data-office"}}));
  MEDLAKE_ASSERT_OK(catalog_->CreateNamespace("curated"));
  EXPECT_THAT(catalog_->CreateNamespace("raw"), StatusIs(StatusCode::kAlreadyExists, "raw"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto names, catalog_->ListNamespaces());
  EXPECT_EQ(names, (std::vector<std::string>{"curated", "raw"}));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto props, catalog_->NamespaceProperties("raw"));
  EXPECT_EQ(props["owner"], "data-office");
  EXPECT_EQ(props["exists"], "true");
  MEDLAKE_ASSERT_OK(catalog_->DropNamespace("curated"));
  EXPECT_THAT(catalog_->DropNamespace("curated"), StatusIs(StatusCode::kNotFound, "curated"));
  EXPECT_THAT(catalog_->CreateNamespace(""), StatusIs(StatusCode::kInvalidArgument, "empty"));
  EXPECT_THAT(catalog_->CreateNamespace("a/b"), StatusIs(StatusCode::kInvalidArgument, "slash"));
  EXPECT_THAT(catalog_->CreateNamespace("a.b"), StatusIs(StatusCode::kInvalidArgument, "nested"));
}

TEST_F(CatalogTest, TablesLifecycle) {
  TableIdentifier t{"raw", "hl7_messages"};
  EXPECT_THAT(catalog_->CreateTable(t, "/m/v1.json"), StatusIs(StatusCode::kNotFound, "namespace"));
  MEDLAKE_ASSERT_OK(catalog_->CreateNamespace("raw"));
  MEDLAKE_ASSERT_OK(catalog_->CreateTable(t, "/m/v1.json"));
  EXPECT_THAT(catalog_->CreateTable(t, "/m/other.json"),
              StatusIs(StatusCode::kAlreadyExists, "raw.hl7_messages"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto entry, catalog_->LoadTable(t));
  EXPECT_EQ(entry.metadata_location, "/m/v1.json");
  EXPECT_FALSE(entry.previous_metadata_location.has_value());
  EXPECT_THAT(catalog_->DropNamespace("raw"), StatusIs(StatusCode::kFailedPrecondition, "1 table"));

  MEDLAKE_ASSERT_OK(catalog_->RenameTable(t, {"raw", "hl7"}));
  EXPECT_THAT(catalog_->LoadTable(t), StatusIs(StatusCode::kNotFound, "raw.hl7_messages"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto tables, catalog_->ListTables("raw"));
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].name, "hl7");
  MEDLAKE_ASSERT_OK(catalog_->DropTable({"raw", "hl7"}));
  EXPECT_THAT(catalog_->DropTable({"raw", "hl7"}), StatusIs(StatusCode::kNotFound, ""));
}

TEST_F(CatalogTest, CommitIsCompareAndSwap) {
  TableIdentifier t{"raw", "x"};
  MEDLAKE_ASSERT_OK(catalog_->CreateNamespace("raw"));
  MEDLAKE_ASSERT_OK(catalog_->CreateTable(t, "v1"));
  MEDLAKE_ASSERT_OK(catalog_->CommitTable(t, "v1", "v2"));
  // A second writer that also started from v1 loses.
  EXPECT_THAT(catalog_->CommitTable(t, "v1", "v2b"), StatusIs(StatusCode::kAborted, "conflict"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto entry, catalog_->LoadTable(t));
  EXPECT_EQ(entry.metadata_location, "v2");
  EXPECT_EQ(entry.previous_metadata_location.value_or(""), "v1");
  MEDLAKE_ASSERT_OK(catalog_->DropTable(t));
  EXPECT_THAT(catalog_->CommitTable(t, "v2", "v3"), StatusIs(StatusCode::kNotFound, "dropped"));
}

TEST_F(CatalogTest, TwoCatalogObjectsRaceOneWins) {
  TableIdentifier t{"raw", "race"};
  MEDLAKE_ASSERT_OK(catalog_->CreateNamespace("raw"));
  MEDLAKE_ASSERT_OK(catalog_->CreateTable(t, "v1"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto other, Catalog::Open(lake_->catalog_path()));
  Status a = catalog_->CommitTable(t, "v1", "a");
  Status b = other->CommitTable(t, "v1", "b");
  EXPECT_TRUE(a.ok() != b.ok()) << a.ToString() << " / " << b.ToString();
  EXPECT_THAT(b, StatusIs(StatusCode::kAborted, "conflict"));
}

TEST(TableIdentifierTest, Parses) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto id, ParseTableIdentifier("raw.hl7_messages"));
  EXPECT_EQ(id.ns, "raw");
  EXPECT_EQ(id.name, "hl7_messages");
  EXPECT_FALSE(ParseTableIdentifier("nodot").ok());
  EXPECT_FALSE(ParseTableIdentifier("a.b.c").ok());
  EXPECT_FALSE(ParseTableIdentifier(".b").ok());
}

}  // namespace
}  // namespace medlake::storage
