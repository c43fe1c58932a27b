#include "pipeline/patient_index.h"

namespace medlake::pipeline {

Result<PatientIndexReport> UpdatePatientIndex(engine::LakeSession&, const PatientIndexOptions&) {
  return Unimplemented("the patient index is not built yet");
}

}  // namespace medlake::pipeline
