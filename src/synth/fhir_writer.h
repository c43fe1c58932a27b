// synth/fhir_writer.h: renders the region and patient histories as FHIR R4 resources, one JSON
// object per line, one NDJSON file per resource type (the FHIR Bulk Data export layout):
// fhir/<ResourceType>.ndjson.
//
// Resources: Organization, Practitioner (once, for the region), and per patient Patient,
// Encounter, Condition, Observation, MedicationRequest, Immunization, AllergyIntolerance. Every
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

// Appends Organization and Practitioner resources for `region` to `out`.
void RenderFhirRegion(const Region& region, BatchOutput* out);

// Appends the resources of one patient to `out`, injecting faults drawn from `faults` and
// counting resources per type under "fhir/<Type>".
void RenderFhir(const Region& region, const PatientHistory& history, FaultInjector* faults,
                BatchOutput* out);

}  // namespace medlake::synth
