// governance/testing/test_lake.h: a temporary lake with a session and a metadata store, for the
// governance tests (test-only, header-only).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/testing/manual_clock.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "engine/lake_session.h"
#include "engine/testing/session_rows.h"
#include "governance/metadata_store.h"
#include "storage/lake.h"

namespace medlake::governance::testing {

class TestLake : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, storage::Lake::Create(tmp_.Join("lake")));
    engine::LakeSessionOptions options;
    options.threads = 1;
    MEDLAKE_ASSERT_OK_AND_ASSIGN(session_, engine::LakeSession::Open(*lake_, options));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(store_,
                                 MetadataStore::Open(*lake_, session_->file_system(), clock_));
  }

  void Exec(const std::string& sql) { engine::testing::ExecOk(*session_, sql); }
  std::string Rows(const std::string& sql) { return engine::testing::Rows(*session_, sql); }

  // A second store on the same lake (another process, or a reopen).
  std::unique_ptr<MetadataStore> Reopen() {
    auto store = MetadataStore::Open(*lake_, session_->file_system(), clock_);
    EXPECT_THAT(store, IsOk());
    return store.ok() ? std::move(*store) : nullptr;
  }

  TempDir tmp_;
  ManualClock clock_;
  std::unique_ptr<storage::Lake> lake_;
  std::unique_ptr<engine::LakeSession> session_;
  std::unique_ptr<MetadataStore> store_;
};

}  // namespace medlake::governance::testing
