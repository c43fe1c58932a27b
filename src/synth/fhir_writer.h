// synth/fhir_writer.h: renders the region and patient histories as FHIR R4 resources, one JSON
// object per line, one NDJSON file per resource type (the FHIR Bulk Data export layout):
// fhir/<ResourceType>.ndjson.
//
// Resources: Organization, Practitioner (once, for the region), and per patient Patient,
// Encounter, Condition, Observation, MedicationRequest, MedicationDispense, Immunization,
// AllergyIntolerance, Procedure (SNOMED CT), ImagingStudy (DICOM UIDs). Every
// reference ("Patient/<id>", "Encounter/<id>", ...) points at a resource in the same output,
// except where a fault deliberately breaks it. Codes carry their systems: ICD-10
// http://hl7.org/fhir/sid/icd-10, LOINC http://loinc.org, UCUM http://unitsofmeasure.org, ATC
// http://www.whocc.no/atc, CVX http://hl7.org/fhir/sid/cvx, SNOMED CT http://snomed.info/sct.
// Identifier systems of Spanish ids are synthetic URLs under https://medlake.example/sid/.
//
// Thread-safety: pure functions.
#pragma once

#include "synth/faults.h"
#include "synth/model.h"
#include "synth/synth_output.h"

namespace medlake::synth {

// Where resources go: bulk NDJSON (fhir/<Type>.ndjson) and/or FHIR transaction Bundles
// (fhir-bundles/region.json for the region, fhir-bundles/<NNNNNN>/<patient id>.json per patient:
// every entry a PUT of Type/id, so the references "Type/id" resolve to entries of the bundle or of
// the region bundle). Faults are injected into NDJSON lines only; bundles carry clean resources
// and draw no random numbers, so adding them changes no other output.
struct FhirOutputs {
  bool ndjson = true;
  bool bundles = false;
};

// Appends Organization and Practitioner resources for `region` to `out`.
void RenderFhirRegion(const Region& region, FhirOutputs outputs, BatchOutput* out);

// Appends the resources of one patient to `out`, injecting faults drawn from `faults` (NDJSON
// only) and counting resources per type under "fhir/<Type>" and bundles under
// "fhir-bundles/transactions" and "fhir-bundles/entries".
void RenderFhir(const Region& region, const PatientHistory& history, FhirOutputs outputs,
                uint64_t file_number, FaultInjector* faults, BatchOutput* out);

}  // namespace medlake::synth
