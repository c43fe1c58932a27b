// synth/population.h: the organisations and residents of the synthetic health service.
//
// `BuildRegion` lays out hospitals, primary care centres (with catchment areas over real Madrid
// municipalities and postal codes), practitioners and the source systems with their id schemes.
// `GeneratePerson` makes one resident: names, sex, birth date, nationality, DNI/NIE (valid check
// letter, or none), CIP, NUSS (valid control digits), phone, address history (moves) and death.
//
// Local ids: each source system numbers patients with an affine permutation of the person index
// (`LocalPatientId`), so ids look unrelated across systems, are unique within one, and can be
// computed by any thread without coordination.
//
// Thread-safety: pure functions; the Region is immutable after BuildRegion.
#pragma once

#include <cstdint>
#include <string>

#include "synth/calendar.h"
#include "synth/model.h"
#include "synth/random.h"

namespace medlake::synth {

// The period whose events are generated, inclusive.
struct Window {
  Date start = 0;
  Date end = 0;
};

// The fixed region for `seed`: 37 hospitals, 428 centres, their practitioners and the
// source systems. Deterministic; depends only on `seed`.
Region BuildRegion(uint64_t seed);

// One resident for person `index`, drawn from `rng`. About 8 per 1000 per year of the window are
// born inside it; everyone else is alive at the window start. Deaths and moves fall inside it.
Person GeneratePerson(const Region& region, const Window& window, uint64_t index, Rng* rng);

// Source system `source`'s id for person `index`; `duplicate` gives the id of a second record
// of the same person (from the other half of the id space, scrambled so that it does not look
// like the first one). Requires index < 5*10^8.
std::string LocalPatientId(const SourceSystem& source, uint64_t index, bool duplicate);

// The truth id of person `index`: "PER" + 10 digits.
std::string PersonId(uint64_t index);

// The address in force on `day` (the last one whose `since` <= day).
const Address& AddressOn(const Person& person, Date day);

// Largest supported --patients value (local id space, see LocalPatientId).
inline constexpr uint64_t kMaxPatients = 500'000'000;

}  // namespace medlake::synth
