// synth/history.h: one resident's clinical history over the window.
//
// `GeneratePatientHistory` is the generator's unit of work: from (seed, index) alone it builds
// the person, the source systems that know them (with local ids, discrepancies, duplicates and
// merges) and their encounters, diagnoses, results, prescriptions, immunizations and allergies.
// Nothing depends on other patients, so any thread may generate any patient and the bytes are
// the same.
//
// The epidemiology is deliberately simple but shaped like a real population: chronic diseases
// by age and sex (hypertension, type 2 diabetes, dyslipidaemia, COPD, asthma, ...) with their
// treatments and follow-up (HbA1c every ~6 months for diabetics, blood pressure at visits for
// hypertensives, both improving after treatment starts), primary care visits whose rate grows
// with age and comorbidity, acute problems by age, emergencies some of which become admissions
// with ward transfers, childhood and adult vaccination schedules, births and deaths.
//
// Thread-safety: pure function of its arguments; `region` is only read.
#pragma once

#include <cstdint>

#include "synth/model.h"
#include "synth/population.h"

namespace medlake::synth {

PatientHistory GeneratePatientHistory(const Region& region, const Window& window, uint64_t seed,
                                      uint64_t index);

// True when lab orders of `encounter` (an index into history.encounters; -1 gives false) are
// processed by the hospital whose legacy laboratory application exports CSV
// (Region::legacy_lab_hospital): its own encounters and those of the centres it serves.
bool InLegacyLabArea(const Region& region, const PatientHistory& history, int encounter);

}  // namespace medlake::synth
