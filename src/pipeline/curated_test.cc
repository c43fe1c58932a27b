// Tests of the built-in curated models (OMOP CDM v5.4, timeline, activity marts).
#include <gtest/gtest.h>

#include "pipeline/model.h"

namespace medlake::pipeline {
namespace {

TEST(CuratedModelsPlaceholder, BuiltinModelsExist) { EXPECT_FALSE(BuiltinModelFiles().empty()); }

}  // namespace
}  // namespace medlake::pipeline
