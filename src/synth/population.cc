#include "synth/population.h"

#include <array>
#include <cstdio>
#include <string_view>

#include "synth/reference_data.h"
#include "synth/spanish_ids.h"

namespace medlake::synth {
namespace {

template <typename T>
const T& Pick(std::span<const T> items, Rng* rng) {
  return items[rng->Below(items.size())];
}

int FindMunicipality(std::string_view name) {
  const auto all = MadridMunicipalities();
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].name == name)
      return static_cast<int>(i);
  }
  return 0;
}

struct HospitalPlan {
  const char* id;
  const char* name;
  const char* municipality;
  std::array<const char*, 6> catchment;  // municipalities other than Madrid city
  int madrid_city_share;                 // which of Madrid city's kCityHospitals shares of postal codes, or -1
};

// 37 hospitals, as the region has: 19 serving Madrid city (each a share of its postal codes,
// named after a district) and 18 serving the other municipalities. Invented names; the
// catchments follow the region's real geography loosely.
constexpr size_t kCityHospitals = 19;
const std::array<HospitalPlan, 37> kHospitals = {{
    {"H01", "Hospital Universitario Centro", "Madrid", {}, 0},
    {"H02", "Hospital Universitario Arganzuela", "Madrid", {}, 1},
    {"H03", "Hospital Universitario Retiro", "Madrid", {}, 2},
    {"H04", "Hospital Universitario Salamanca", "Madrid", {}, 3},
    {"H05", "Hospital Universitario Chamartín", "Madrid", {}, 4},
    {"H06", "Hospital Universitario Tetuán", "Madrid", {}, 5},
    {"H07", "Hospital Universitario Chamberí", "Madrid", {}, 6},
    {"H08", "Hospital Universitario Fuencarral", "Madrid", {}, 7},
    {"H09", "Hospital Universitario Moncloa", "Madrid", {}, 8},
    {"H10", "Hospital Universitario Latina", "Madrid", {}, 9},
    {"H11", "Hospital Universitario Carabanchel", "Madrid", {}, 10},
    {"H12", "Hospital Universitario Usera", "Madrid", {}, 11},
    {"H13", "Hospital Universitario Puente de Vallecas", "Madrid", {}, 12},
    {"H14", "Hospital Universitario Moratalaz", "Madrid", {}, 13},
    {"H15", "Hospital Universitario Ciudad Lineal", "Madrid", {}, 14},
    {"H16", "Hospital Universitario Hortaleza", "Madrid", {}, 15},
    {"H17", "Hospital Universitario Villaverde", "Madrid", {}, 16},
    {"H18", "Hospital Universitario Vicálvaro", "Madrid", {}, 17},
    {"H19", "Hospital Universitario San Blas", "Madrid", {}, 18},
    {"H20", "Hospital Universitario de Móstoles", "Móstoles", {"Móstoles", "Arroyomolinos", "Navalcarnero"}, -1},
    {"H21", "Hospital Universitario de Fuenlabrada", "Fuenlabrada", {"Fuenlabrada", "Humanes de Madrid"}, -1},
    {"H22", "Hospital Universitario de Alcorcón", "Alcorcón", {"Alcorcón"}, -1},
    {"H23", "Hospital Universitario de Leganés", "Leganés", {"Leganés"}, -1},
    {"H24", "Hospital Universitario de Getafe", "Getafe", {"Getafe"}, -1},
    {"H25", "Hospital Universitario de Parla", "Parla", {"Parla", "Pinto"}, -1},
    {"H26", "Hospital Universitario de Valdemoro", "Valdemoro", {"Valdemoro", "Ciempozuelos"}, -1},
    {"H27", "Hospital Universitario de Aranjuez", "Aranjuez", {"Aranjuez"}, -1},
    {"H28", "Hospital Universitario de Alcalá de Henares", "Alcalá de Henares", {"Alcalá de Henares", "Meco", "Villalbilla"}, -1},
    {"H29", "Hospital Universitario de Torrejón de Ardoz", "Torrejón de Ardoz", {"Torrejón de Ardoz", "Paracuellos de Jarama", "Algete"}, -1},
    {"H30", "Hospital Universitario de Coslada", "Coslada", {"Coslada", "San Fernando de Henares", "Mejorada del Campo"}, -1},
    {"H31", "Hospital Universitario de Arganda del Rey", "Arganda del Rey", {"Arganda del Rey", "Rivas-Vaciamadrid"}, -1},
    {"H32", "Hospital Universitario de Majadahonda", "Majadahonda", {"Majadahonda", "Las Rozas de Madrid", "Pozuelo de Alarcón", "Boadilla del Monte", "Villaviciosa de Odón", "Villanueva de la Cañada"}, -1},
    {"H33", "Hospital Universitario de Collado Villalba", "Collado Villalba", {"Collado Villalba", "Galapagar", "Torrelodones", "Guadarrama"}, -1},
    {"H34", "Hospital Universitario de San Lorenzo de El Escorial", "San Lorenzo de El Escorial", {"San Lorenzo de El Escorial", "El Escorial"}, -1},
    {"H35", "Hospital Universitario de San Sebastián de los Reyes", "San Sebastián de los Reyes", {"San Sebastián de los Reyes"}, -1},
    {"H36", "Hospital Universitario de Alcobendas", "Alcobendas", {"Alcobendas", "Tres Cantos"}, -1},
    {"H37", "Hospital Universitario de Colmenar Viejo", "Colmenar Viejo", {"Colmenar Viejo", "Buitrago del Lozoya"}, -1},
}};

int HospitalFor(int municipality, size_t postal_index) {
  const auto all = MadridMunicipalities();
  if (municipality == FindMunicipality("Madrid")) {
    const size_t n = all[static_cast<size_t>(municipality)].postal_codes.size();
    return static_cast<int>(postal_index * kCityHospitals / n);
  }
  for (size_t h = kCityHospitals; h < kHospitals.size(); ++h) {
    for (const char* m : kHospitals[h].catchment) {
      if (m != nullptr && all[static_cast<size_t>(municipality)].name == m) {
        return static_cast<int>(h);
      }
    }
  }
  return 0;
}

std::string Digits(uint64_t value, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llu", width, static_cast<unsigned long long>(value));
  return buf;
}

std::string StreetLine(Rng* rng, bool with_flat) {
  std::string line(Pick(StreetTypes(), rng));
  line += ' ';
  line += Pick(StreetNames(), rng);
  line += ' ';
  line += std::to_string(rng->Between(1, 120));
  if (with_flat) {
    line += ", ";
    line += std::to_string(rng->Between(1, 9));
    line += "º ";
    line += static_cast<char>('A' + rng->Below(4));
  }
  return line;
}

std::string Phone(Rng* rng) {
  // Spanish numbering plan: mobiles start with 6 or 7, Madrid landlines with 91.
  if (rng->Chance(0.75)) {
    return (rng->Chance(0.85) ? "6" : "7") + Digits(rng->Below(100000000), 8);
  }
  return "91" + Digits(rng->Below(10000000), 7);
}

Practitioner MakePractitioner(size_t index, std::string specialty, bool hospital, int org,
                              Rng* rng) {
  Practitioner p;
  p.id = "PRA" + Digits(index + 1, 6);
  p.sex = rng->Chance(0.58) ? Sex::kFemale : Sex::kMale;
  p.given =
      std::string(Pick(p.sex == Sex::kFemale ? SpanishFemaleNames() : SpanishMaleNames(), rng));
  p.surname1 = std::string(Pick(SpanishSurnames(), rng));
  p.surname2 = std::string(Pick(SpanishSurnames(), rng));
  p.specialty = std::move(specialty);
  p.licence_number = "2828" + Digits(rng->Below(100000), 5);  // synthetic college number
  p.hospital = hospital;
  p.organization = org;
  return p;
}

// Sex-specific population pyramid of the region at the window start: relative weights of
// 5-year age bands 0-4 .. 95-99 (rounded public census shape).
constexpr std::array<double, 20> kAgeBandWeights = {4.2, 4.9, 5.2, 5.0, 5.0, 5.6, 6.3,
                                                    7.4, 8.4, 8.3, 7.6, 6.9, 6.0, 5.1,
                                                    4.5, 3.8, 2.8, 2.0, 1.1, 0.4};

double AnnualDeathProbability(int age) {
  if (age < 1)
    return 0.003;
  if (age < 50)
    return 0.0008;
  if (age < 65)
    return 0.004;
  if (age < 75)
    return 0.012;
  if (age < 85)
    return 0.04;
  return 0.13;
}

}  // namespace

std::string PersonId(uint64_t index) { return "PER" + Digits(index, 10); }

std::string LocalPatientId(const SourceSystem& source, uint64_t index, bool duplicate) {
  // 7 is coprime with 5*10^8, so the duplicate half is a bijection too.
  const uint64_t n = duplicate ? kMaxPatients + (index * 7 + 3) % kMaxPatients : index;
  const uint64_t permuted = (n * source.id_multiplier + source.id_offset) % 1000000000ull;
  return source.id_prefix + Digits(permuted, 9);
}

Region BuildRegion(uint64_t seed) {
  Rng rng(DeriveSeed(seed, "region", 0));
  Region region;
  const auto municipalities = MadridMunicipalities();
  for (const auto& plan : kHospitals) {
    Organization h;
    h.id = plan.id;
    h.name = plan.name;
    h.kind = OrganizationKind::kHospital;
    h.municipality = FindMunicipality(plan.municipality);
    const auto& m = municipalities[static_cast<size_t>(h.municipality)];
    h.postal_code = std::string(m.postal_codes[rng.Below(m.postal_codes.size())]);
    h.street = StreetLine(&rng, false);
    h.phone = "91" + Digits(rng.Below(10000000), 7);
    region.hospitals.push_back(std::move(h));
  }
  // Primary care centres: about one per 14,500 residents (about 430 in all, as the region has),
  // at least one per municipality and at most six per postal code; each postal code is served by
  // one centre of its municipality (round robin).
  region.centre_by_postal_code.resize(municipalities.size());
  for (size_t mi = 0; mi < municipalities.size(); ++mi) {
    const auto& m = municipalities[mi];
    size_t count = static_cast<size_t>(m.population_weight / 14.5 + 0.5);
    if (count < 1)
      count = 1;
    if (count > m.postal_codes.size() * 6)
      count = m.postal_codes.size() * 6;
    const size_t first = region.centres.size();
    for (size_t c = 0; c < count; ++c) {
      Organization centre;
      centre.id = "CS" + Digits(region.centres.size() + 1, 4);
      centre.kind = OrganizationKind::kPrimaryCareCentre;
      centre.municipality = static_cast<int>(mi);
      const size_t pc = c % m.postal_codes.size();
      centre.postal_code = std::string(m.postal_codes[pc]);
      centre.name = "Centro de Salud " + std::string(m.name) +
                    (count > 1 ? " " + std::to_string(c + 1) : std::string());
      centre.street = StreetLine(&rng, false);
      centre.phone = "91" + Digits(rng.Below(10000000), 7);
      centre.referral_hospital = HospitalFor(static_cast<int>(mi), pc);
      region.centres.push_back(std::move(centre));
    }
    for (size_t pc = 0; pc < m.postal_codes.size(); ++pc) {
      // Prefer a centre sitting in this postal code; else spread codes over the centres.
      int chosen = static_cast<int>(first + pc % count);
      for (size_t c = first; c < first + count; ++c) {
        if (region.centres[c].postal_code == m.postal_codes[pc])
          chosen = static_cast<int>(c);
      }
      region.centre_by_postal_code[mi].push_back(chosen);
    }
  }
  // Practitioners: family doctors, a paediatrician and nurses per centre; specialists per
  // hospital.
  for (size_t c = 0; c < region.centres.size(); ++c) {
    const int doctors = 4 + static_cast<int>(rng.Below(5));
    for (int d = 0; d < doctors; ++d) {
      region.centres[c].practitioners.push_back(static_cast<int>(region.practitioners.size()));
      region.practitioners.push_back(MakePractitioner(region.practitioners.size(),
                                                      "Medicina Familiar y Comunitaria", false,
                                                      static_cast<int>(c), &rng));
    }
    region.centres[c].practitioners.push_back(static_cast<int>(region.practitioners.size()));
    region.practitioners.push_back(MakePractitioner(region.practitioners.size(), "Pediatría", false,
                                                    static_cast<int>(c), &rng));
    for (int n = 0; n < 2; ++n) {
      region.centres[c].practitioners.push_back(static_cast<int>(region.practitioners.size()));
      region.practitioners.push_back(MakePractitioner(region.practitioners.size(), "Enfermería",
                                                      false, static_cast<int>(c), &rng));
    }
  }
  static constexpr std::array<const char*, 10> kSpecialties = {
      "Medicina de Urgencias", "Medicina Interna", "Cardiología", "Neurología",
      "Cirugía General",       "Traumatología",    "Neumología",  "Endocrinología",
      "Medicina Intensiva",    "Pediatría"};
  for (size_t h = 0; h < region.hospitals.size(); ++h) {
    for (const char* specialty : kSpecialties) {
      for (int k = 0; k < 3; ++k) {
        region.hospitals[h].practitioners.push_back(static_cast<int>(region.practitioners.size()));
        region.practitioners.push_back(MakePractitioner(region.practitioners.size(), specialty,
                                                        true, static_cast<int>(h), &rng));
      }
    }
  }
  // Source systems. Multipliers are odd and not multiples of 5, so the permutation of
  // LocalPatientId is a bijection on [0, 10^9).
  auto add_source = [&](std::string code, std::string app, std::string facility, std::string prefix,
                        std::string authority, SourceKind kind, int hospital) {
    SourceSystem s;
    s.code = std::move(code);
    s.application = std::move(app);
    s.facility = std::move(facility);
    s.id_prefix = std::move(prefix);
    s.assigning_authority = std::move(authority);
    s.kind = kind;
    s.hospital = hospital;
    static constexpr std::array<uint64_t, 8> kMultipliers = {
        7919, 104729, 15485863, 32452843, 49979687, 86028121, 122949829, 179424673};
    s.id_multiplier = kMultipliers[region.sources.size() % kMultipliers.size()] +
                      2 * 10 * (region.sources.size() / kMultipliers.size());
    s.id_offset = rng.Below(1000000000ull);
    region.sources.push_back(std::move(s));
    return static_cast<int>(region.sources.size() - 1);
  };
  for (size_t h = 0; h < region.hospitals.size(); ++h) {
    const std::string& id = region.hospitals[h].id;
    // Different hospitals run different HIS products; their MRNs look different.
    const std::string prefix = h % 2 == 0 ? "" : "NHC";
    add_source("HIS_" + id, h % 2 == 0 ? "HCIS" : "SELENE", id, prefix + id.substr(1), "HIS_" + id,
               SourceKind::kHospitalHis, static_cast<int>(h));
  }
  region.primary_care_source =
      add_source("AP", "APMADRID", "SERMAS_AP", "AP", "AP", SourceKind::kPrimaryCare, -1);
  region.lab_source =
      add_source("LAB", "LABCENTRAL", "LAB_REGIONAL", "L", "LAB", SourceKind::kLaboratory, -1);
  region.prescription_source = add_source("RECETA", "RECETA_E", "SERMAS_FARMACIA", "RX", "RECETA",
                                          SourceKind::kPrescription, -1);
  region.fhir_source =
      add_source("FHIR", "FHIR_GW", "SERMAS", "pat-", "FHIR", SourceKind::kFhirGateway, -1);
  region.legacy_lab_hospital = 0;
  region.legacy_lab_source = add_source("LABLEG", "LABLEG", "H01", "", "LABLEG",
                                        SourceKind::kLegacyLabCsv, region.legacy_lab_hospital);
  return region;
}

const Address& AddressOn(const Person& person, Date day) {
  size_t chosen = 0;
  for (size_t i = 0; i < person.addresses.size(); ++i) {
    if (person.addresses[i].since <= day)
      chosen = i;
  }
  return person.addresses[chosen];
}

namespace {

Address MakeAddress(const Region& region, Date since, Rng* rng) {
  const auto municipalities = MadridMunicipalities();
  std::array<double, 64> weights{};
  for (size_t i = 0; i < municipalities.size(); ++i) {
    weights[i] = municipalities[i].population_weight;
  }
  Address a;
  a.municipality = static_cast<int>(
      rng->Weighted(std::span<const double>(weights.data(), municipalities.size())));
  const auto& m = municipalities[static_cast<size_t>(a.municipality)];
  const size_t pc = rng->Below(m.postal_codes.size());
  a.postal_code = std::string(m.postal_codes[pc]);
  a.centre = region.centre_by_postal_code[static_cast<size_t>(a.municipality)][pc];
  a.street_line = StreetLine(rng, rng->Chance(0.8));
  a.since = since;
  return a;
}

}  // namespace

Person GeneratePerson(const Region& region, const Window& window, uint64_t index, Rng* rng) {
  Person p;
  p.index = index;
  p.person_id = PersonId(index);
  p.sex = rng->Chance(0.52) ? Sex::kFemale : Sex::kMale;
  const int window_years = YmdFromDate(window.end).year - YmdFromDate(window.start).year + 1;
  const double born_inside = 0.0075 * window_years;
  if (rng->Chance(born_inside)) {
    p.birth = static_cast<Date>(rng->Between(window.start, window.end));
  } else {
    const size_t band = rng->Weighted(kAgeBandWeights);
    const int64_t age_days = static_cast<int64_t>(band) * 5 * 365 + rng->Between(0, 5 * 365 - 1);
    p.birth = static_cast<Date>(window.start - age_days - 1);
  }
  // Nationality and names.
  const auto nationalities = Nationalities();
  std::array<double, 16> nat_weights{};
  for (size_t i = 0; i < nationalities.size(); ++i)
    nat_weights[i] = nationalities[i].weight;
  p.nationality = static_cast<int>(
      rng->Weighted(std::span<const double>(nat_weights.data(), nationalities.size())));
  const Nationality& nat = nationalities[static_cast<size_t>(p.nationality)];
  const bool female = p.sex == Sex::kFemale;
  if (nat.name_pool < 0) {
    p.given = std::string(Pick(female ? SpanishFemaleNames() : SpanishMaleNames(), rng));
    p.surname1 = std::string(Pick(SpanishSurnames(), rng));
    p.surname2 = std::string(Pick(SpanishSurnames(), rng));
  } else {
    const ForeignNames pool = ForeignNamePool(nat.name_pool);
    p.given = std::string(Pick(female ? pool.female : pool.male, rng));
    p.surname1 = std::string(Pick(pool.surnames, rng));
    // Residents with one surname often register the second as empty.
    if (pool.two_surnames || rng->Chance(0.2))
      p.surname2 = std::string(Pick(pool.surnames, rng));
  }
  // Identity documents: Spaniards get a DNI (children under 14 often have none yet); foreign
  // residents an NIE (a few have neither, e.g. recently arrived).
  const int age_at_end = AgeInYears(p.birth, window.end);
  if (nat.iso3166_alpha2 == "ES") {
    if (age_at_end >= 14 || rng->Chance(0.4)) {
      p.national_id = MakeDni(static_cast<uint32_t>(rng->Between(1000000, 79999999)));
    }
  } else if (rng->Chance(0.9)) {
    p.national_id =
        MakeNie(static_cast<int>(rng->Below(3)), static_cast<uint32_t>(rng->Below(10000000)));
  }
  p.cip = MakeCip(p.surname1, p.surname2, static_cast<uint32_t>(rng->Below(1000000000)));
  if (age_at_end >= 16 || rng->Chance(0.7)) {
    // Province 28 (Madrid) mostly; people who first worked elsewhere carry another province.
    const int province = rng->Chance(0.8) ? 28 : static_cast<int>(rng->Between(1, 52));
    p.nuss = MakeNuss(province, static_cast<uint32_t>(rng->Between(10000000, 99999999)));
  }
  p.phone = Phone(rng);
  // Address history: moves at about 4% a year.
  const Date first_day = p.birth > window.start ? p.birth : window.start;
  p.addresses.push_back(MakeAddress(region, first_day, rng));
  for (Date y = first_day; y <= window.end; y += 365) {
    if (rng->Chance(0.04)) {
      const Date when = static_cast<Date>(y + rng->Below(365));
      if (when > window.end || when <= p.addresses.back().since)
        continue;
      p.addresses.push_back(MakeAddress(region, when, rng));
    }
  }
  const auto& centre = region.centres[static_cast<size_t>(p.addresses[0].centre)];
  // The first practitioners of a centre are its family doctors; children see the paediatrician.
  const size_t n_doctors = centre.practitioners.size() - 3;
  p.gp = AgeInYears(p.birth, first_day) < 14 ? centre.practitioners[n_doctors]
                                             : centre.practitioners[rng->Below(n_doctors)];
  // Death: yearly hazard by age.
  for (Date y = first_day; y <= window.end; y += 365) {
    if (rng->Chance(AnnualDeathProbability(AgeInYears(p.birth, y)))) {
      const Date when = static_cast<Date>(y + rng->Below(365));
      if (when <= window.end)
        p.death = when;
      break;
    }
  }
  if (p.death) {
    // Nobody moves after dying.
    while (p.addresses.size() > 1 && p.addresses.back().since >= *p.death)
      p.addresses.pop_back();
  }
  return p;
}

}  // namespace medlake::synth
