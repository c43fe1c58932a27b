#include "pipeline/patient_index.h"

#include <gtest/gtest.h>

namespace medlake::pipeline {
namespace {

TEST(PatientIndexPlaceholder, IsNotBuiltYet) {
  PatientIndexOptions options;
  EXPECT_FALSE(options.full_rebuild);
}

}  // namespace
}  // namespace medlake::pipeline
