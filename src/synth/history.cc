#include "synth/history.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>
#include <string_view>

#include "synth/reference_data.h"

namespace medlake::synth {
namespace {

using SV = std::string_view;

// ---------------------------------------------------------------------------------------------
// Tables of the clinical model.

enum DrugId {
  kMetformin,
  kInsulinGlargine,
  kEnalapril,
  kAmlodipine,
  kAtorvastatin,
  kTiotropium,
  kSalbutamol,
  kBudesonide,
  kSertraline,
  kLevothyroxine,
  kAcenocoumarol,
  kFurosemide,
  kBisoprolol,
  kParacetamol,
  kAmoxicillin,
  kAmoxiClav,
  kFosfomycin,
  kIbuprofen,
  kOmeprazole,
  kAlprazolam,
  kAspirin,
  kNoDrug
};

// ATC codes (WHO Collaborating Centre for Drug Statistics Methodology).
const std::array<Drug, 21> kDrugs = {{
    {"A10BA02", "Metformina 850 mg", "1 comprimido cada 12 h", "comprimido"},
    {"A10AE04", "Insulina glargina 100 U/ml", "20 U cada 24 h subcutánea", "solución inyectable"},
    {"C09AA02", "Enalapril 20 mg", "1 comprimido cada 24 h", "comprimido"},
    {"C08CA01", "Amlodipino 5 mg", "1 comprimido cada 24 h", "comprimido"},
    {"C10AA05", "Atorvastatina 20 mg", "1 comprimido cada 24 h por la noche", "comprimido"},
    {"R03BB04", "Tiotropio 18 microgramos", "1 inhalación cada 24 h", "polvo para inhalación"},
    {"R03AC02", "Salbutamol 100 microgramos/dosis", "2 inhalaciones si precisa",
     "suspensión para inhalación"},
    {"R03BA02", "Budesonida 200 microgramos/dosis", "1 inhalación cada 12 h",
     "polvo para inhalación"},
    {"N06AB06", "Sertralina 50 mg", "1 comprimido cada 24 h", "comprimido"},
    {"H03AA01", "Levotiroxina 50 microgramos", "1 comprimido cada 24 h en ayunas", "comprimido"},
    {"B01AA07", "Acenocumarol 4 mg", "según pauta de control de INR", "comprimido"},
    {"C03CA01", "Furosemida 40 mg", "1 comprimido cada 24 h", "comprimido"},
    {"C07AB07", "Bisoprolol 2,5 mg", "1 comprimido cada 24 h", "comprimido"},
    {"N02BE01", "Paracetamol 1 g", "1 comprimido cada 8 h si dolor o fiebre", "comprimido"},
    {"J01CA04", "Amoxicilina 500 mg", "1 cápsula cada 8 h durante 7 días", "cápsula"},
    {"J01CR02", "Amoxicilina/ácido clavulánico 875/125 mg", "1 comprimido cada 8 h 7 días",
     "comprimido"},
    {"J01XX01", "Fosfomicina 3 g", "1 sobre en dosis única", "granulado"},
    {"M01AE01", "Ibuprofeno 600 mg", "1 comprimido cada 8 h con comida", "comprimido"},
    {"A02BC01", "Omeprazol 20 mg", "1 cápsula cada 24 h", "cápsula"},
    {"N05BA12", "Alprazolam 0,5 mg", "1 comprimido por la noche", "comprimido"},
    {"B01AC06", "Ácido acetilsalicílico 100 mg", "1 comprimido cada 24 h", "comprimido"},
}};

enum ChronicId {
  kHypertension,
  kDiabetes,
  kDyslipidaemia,
  kCopd,
  kAsthma,
  kDepression,
  kHypothyroidism,
  kAtrialFibrillation,
  kHeartFailure,
  kCkd,
  kObesity,
  kReflux,
  kChronicCount
};

struct ChronicDef {
  SV icd10;
  SV display;
  int min_age;
  std::array<double, 4> prevalence;  // at ages <45, 45-64, 65-79, 80+ (for the minimum age up)
  double female_factor;
  DrugId drug1;
  DrugId drug2;
  int referral_specialty;  // index into the hospital specialty list, -1 none
};

// ICD-10 (WHO 2019). Prevalences are rounded shapes of Spanish primary care registries.
const std::array<ChronicDef, kChronicCount> kChronic = {{
    {"I10",
     "Essential (primary) hypertension",
     25,
     {0.05, 0.30, 0.55, 0.65},
     0.95,
     kEnalapril,
     kNoDrug,
     -1},
    {"E11.9",
     "Type 2 diabetes mellitus without complications",
     30,
     {0.02, 0.09, 0.19, 0.22},
     0.8,
     kMetformin,
     kNoDrug,
     7},
    {"E78.5",
     "Hyperlipidaemia, unspecified",
     25,
     {0.08, 0.28, 0.45, 0.40},
     1.0,
     kAtorvastatin,
     kNoDrug,
     -1},
    {"J44.9",
     "Chronic obstructive pulmonary disease, unspecified",
     40,
     {0.01, 0.04, 0.10, 0.12},
     0.5,
     kTiotropium,
     kNoDrug,
     6},
    {"J45.9",
     "Asthma, unspecified",
     3,
     {0.05, 0.05, 0.05, 0.04},
     1.2,
     kSalbutamol,
     kBudesonide,
     -1},
    {"F32.9",
     "Depressive episode, unspecified",
     16,
     {0.04, 0.06, 0.07, 0.07},
     1.8,
     kSertraline,
     kNoDrug,
     -1},
    {"E03.9",
     "Hypothyroidism, unspecified",
     18,
     {0.02, 0.04, 0.06, 0.06},
     3.0,
     kLevothyroxine,
     kNoDrug,
     -1},
    {"I48.9",
     "Atrial fibrillation and atrial flutter, unspecified",
     50,
     {0.0, 0.01, 0.06, 0.12},
     0.8,
     kAcenocoumarol,
     kBisoprolol,
     2},
    {"I50.9",
     "Heart failure, unspecified",
     60,
     {0.0, 0.005, 0.03, 0.08},
     1.0,
     kFurosemide,
     kBisoprolol,
     2},
    {"N18.9",
     "Chronic kidney disease, unspecified",
     50,
     {0.0, 0.02, 0.08, 0.15},
     1.0,
     kNoDrug,
     kNoDrug,
     -1},
    {"E66.9", "Obesity, unspecified", 18, {0.12, 0.18, 0.20, 0.14}, 1.0, kNoDrug, kNoDrug, -1},
    {"K21.9",
     "Gastro-oesophageal reflux disease without oesophagitis",
     18,
     {0.04, 0.07, 0.08, 0.08},
     1.1,
     kOmeprazole,
     kNoDrug,
     -1},
}};

struct AcuteDef {
  SV icd10;
  SV display;
  std::array<double, 4> weight;  // for children <15, adults <65, 65-79, 80+
  DrugId drug;
  double drug_probability;
  int min_year;  // first calendar year it can happen (COVID-19)
};

const std::array<AcuteDef, 12> kPrimaryCareAcute = {{
    {"J06.9", "Acute upper respiratory infection, unspecified", {5, 3, 2, 2}, kParacetamol, 0.5, 0},
    {"J02.9", "Acute pharyngitis, unspecified", {3, 1.5, 0.5, 0.3}, kAmoxicillin, 0.4, 0},
    {"H66.9", "Otitis media, unspecified", {3, 0.3, 0.2, 0.2}, kAmoxicillin, 0.6, 0},
    {"J20.9", "Acute bronchitis, unspecified", {1, 1, 1.5, 2}, kParacetamol, 0.3, 0},
    {"N39.0",
     "Urinary tract infection, site not specified",
     {0.3, 1.2, 1.5, 2},
     kFosfomycin,
     0.8,
     0},
    {"M54.5", "Low back pain", {0.1, 2.5, 2, 1.5}, kIbuprofen, 0.7, 0},
    {"K52.9",
     "Noninfective gastroenteritis and colitis, unspecified",
     {2, 1, 0.8, 0.8},
     kNoDrug,
     0,
     0},
    {"R51", "Headache", {0.5, 1.2, 0.6, 0.4}, kParacetamol, 0.5, 0},
    {"F41.1", "Generalized anxiety disorder", {0.1, 1, 0.6, 0.4}, kAlprazolam, 0.4, 0},
    {"L30.9", "Dermatitis, unspecified", {1.5, 1, 0.8, 0.8}, kNoDrug, 0, 0},
    {"Z00.0", "General medical examination", {1, 1.5, 1.5, 1}, kNoDrug, 0, 0},
    {"U07.1", "COVID-19, virus identified", {0.5, 1.5, 1.2, 1.2}, kParacetamol, 0.5, 2020},
}};

// Hospital specialties, in the order BuildRegion creates their practitioners (3 each).
enum Specialty {
  kUrgencias,
  kInterna,
  kCardio,
  kNeuro,
  kCirugia,
  kTrauma,
  kNeumo,
  kEndocrino,
  kIntensiva,
  kPediatria
};

struct WardDef {
  SV code;
  Specialty specialty;
};
const std::array<WardDef, 8> kWards = {{{"MIN", kInterna},
                                        {"CAR", kCardio},
                                        {"NEU", kNeuro},
                                        {"CIR", kCirugia},
                                        {"TRA", kTrauma},
                                        {"NML", kNeumo},
                                        {"UCI", kIntensiva},
                                        {"NEO", kPediatria}}};
enum WardId { kWardMin, kWardCar, kWardNeu, kWardCir, kWardTra, kWardNml, kWardUci, kWardNeo };

struct EmergencyDef {
  SV icd10;
  SV display;
  std::array<double, 4> weight;  // children, adults <65, 65-79, 80+
  double admit;                  // probability of admission
  WardId ward;
  double stay_days;      // mean length of stay when admitted
  int requires_chronic;  // ChronicId, or -1
  int min_year;
  bool infection;  // raises leukocytes and CRP
};

const std::array<EmergencyDef, 16> kEmergencies = {{
    {"R07.4", "Chest pain, unspecified", {0.1, 1, 1.2, 1}, 0.10, kWardCar, 2, -1, 0, false},
    {"R10.4",
     "Other and unspecified abdominal pain",
     {1, 1.2, 1, 1},
     0.08,
     kWardCir,
     2,
     -1,
     0,
     false},
    {"S93.4", "Sprain and strain of ankle", {1, 1, 0.3, 0.1}, 0.0, kWardTra, 0, -1, 0, false},
    {"S52.5",
     "Fracture of lower end of radius",
     {0.4, 0.3, 0.5, 0.6},
     0.05,
     kWardTra,
     2,
     -1,
     0,
     false},
    {"S72.0", "Fracture of neck of femur", {0, 0.01, 0.3, 0.9}, 0.95, kWardTra, 8, -1, 0, false},
    {"J18.9", "Pneumonia, unspecified", {0.3, 0.3, 0.8, 1.2}, 0.5, kWardNml, 6, -1, 0, true},
    {"I21.9",
     "Acute myocardial infarction, unspecified",
     {0, 0.1, 0.25, 0.25},
     1.0,
     kWardUci,
     6,
     -1,
     0,
     false},
    {"I63.9",
     "Cerebral infarction, unspecified",
     {0, 0.05, 0.25, 0.35},
     1.0,
     kWardNeu,
     8,
     -1,
     0,
     false},
    {"K35.8",
     "Acute appendicitis, other and unspecified",
     {0.3, 0.15, 0.05, 0.03},
     1.0,
     kWardCir,
     3,
     -1,
     0,
     true},
    {"N20.0", "Calculus of kidney", {0, 0.4, 0.3, 0.2}, 0.1, kWardCir, 2, -1, 0, false},
    {"J06.9",
     "Acute upper respiratory infection, unspecified",
     {1.5, 0.8, 0.4, 0.3},
     0.0,
     kWardMin,
     0,
     -1,
     0,
     true},
    {"K52.9",
     "Noninfective gastroenteritis and colitis, unspecified",
     {1, 0.6, 0.6, 0.8},
     0.03,
     kWardMin,
     3,
     -1,
     0,
     false},
    {"T78.4", "Allergy, unspecified", {0.3, 0.2, 0.1, 0.1}, 0.0, kWardMin, 0, -1, 0, false},
    {"I50.9",
     "Heart failure, unspecified",
     {0, 2, 2, 2},
     0.7,
     kWardMin,
     7,
     kHeartFailure,
     0,
     false},
    {"J44.1",
     "Chronic obstructive pulmonary disease with acute lower respiratory infection",
     {0, 2, 2, 2},
     0.5,
     kWardNml,
     6,
     kCopd,
     0,
     true},
    {"U07.1", "COVID-19, virus identified", {0.2, 0.5, 0.8, 1}, 0.25, kWardNml, 8, -1, 2020, true},
}};

struct TerminalDef {
  SV icd10;
  SV display;
  WardId ward;
};
const std::array<TerminalDef, 5> kTerminal = {{
    {"J18.9", "Pneumonia, unspecified", kWardNml},
    {"I50.9", "Heart failure, unspecified", kWardMin},
    {"I63.9", "Cerebral infarction, unspecified", kWardNeu},
    {"C34.9", "Malignant neoplasm of bronchus or lung, unspecified", kWardMin},
    {"C18.9", "Malignant neoplasm of colon, unspecified", kWardMin},
}};

int AgeBand4(int age) { return age < 15 ? 0 : age < 65 ? 1 : age < 80 ? 2 : 3; }

std::string Num(uint64_t v) { return std::to_string(v); }

// ---------------------------------------------------------------------------------------------
// The builder: holds the patient under construction and the state of their chronic diseases.

class HistoryBuilder {
 public:
  HistoryBuilder(const Region& region, const Window& window, uint64_t seed, uint64_t index)
      : region_(region),
        window_(window),
        index_(index),
        rng_(DeriveSeed(seed, "patient", index)),
        id_rng_(DeriveSeed(seed, "patient-ids", index)),
        procedure_rng_(DeriveSeed(seed, "patient-procedures", index)) {
    h_.person = GeneratePerson(region, window, index, &rng_);
    first_day_ = h_.person.addresses[0].since;
    last_day_ = h_.person.death.value_or(window.end);
  }

  PatientHistory Build() {
    AddFixedRecords();
    PlanChronicDiseases();
    PlanAllergies();
    if (h_.person.birth >= window_.start)
      AddBirthStay();
    GeneratePrimaryCare();
    GenerateEmergencies();
    if (h_.person.death && rng_.Chance(0.45))
      AddTerminalAdmission();
    GenerateImmunizations();
    // Added after everything else, from their own stream, so that they change nothing above.
    AddProceduresAndImaging();
    AddDispensations();
    return std::move(h_);
  }

 private:
  struct ChronicState {
    bool present = false;
    Date onset = 0;
    bool recorded = false;
    int condition = -1;
    std::optional<LocalTime> treated_since;
    int last_renewal_year = -1;
  };

  int AgeOn(Date d) const { return AgeInYears(h_.person.birth, d); }

  // A DICOM UID of the UUID-derived form: "2.25." and a 128-bit number in decimal.
  std::string DicomUid() {
    __extension__ using U128 = unsigned __int128;  // GCC/Clang extension, fine on x86-64/arm64
    U128 v = (static_cast<U128>(procedure_rng_.Next()) << 64) | procedure_rng_.Next();
    std::string digits;
    do {
      digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
      v /= 10;
    } while (v != 0);
    return "2.25." + digits;
  }

  // Surgery for the admissions whose cause calls for it; imaging for the emergency visits whose
  // cause calls for it (some of them).
  void AddProceduresAndImaging() {
    struct Surgery {
      SV reason_prefix;
      SV snomed;
      SV display;
      double chance;
    };
    static constexpr Surgery kSurgery[] = {
        {"K35", "80146002", "Appendectomy", 0.95},
        {"S72", "52734007", "Total replacement of hip", 0.85},
        {"I21", "415070008", "Percutaneous coronary intervention", 0.7},
    };
    struct Imaging {
      SV reason_prefix;
      SV snomed;
      SV display;
      SV modality;
      double chance;
    };
    static constexpr Imaging kImaging[] = {
        {"R07", "399208008", "Plain chest X-ray", "DX", 0.8},
        {"J18", "399208008", "Plain chest X-ray", "DX", 0.9},
        {"I21", "399208008", "Plain chest X-ray", "DX", 0.6},
        {"S93", "363680008", "Radiographic imaging procedure", "DX", 0.5},
        {"S52", "363680008", "Radiographic imaging procedure", "DX", 0.95},
        {"S72", "363680008", "Radiographic imaging procedure", "DX", 0.95},
        {"I63", "303653007", "Computed tomography of head", "CT", 0.95},
        {"R10", "45036003", "Ultrasonography of abdomen", "US", 0.4},
        {"K35", "45036003", "Ultrasonography of abdomen", "US", 0.7},
        {"N20", "45036003", "Ultrasonography of abdomen", "US", 0.6},
    };
    for (size_t e = 0; e < h_.encounters.size(); ++e) {
      const Encounter& enc = h_.encounters[e];
      if (!enc.hospital)
        continue;
      const SV reason = enc.reason_icd10;
      if (enc.cls == EncounterClass::kInpatient) {
        for (const Surgery& s : kSurgery) {
          if (reason.substr(0, 3) == s.reason_prefix && procedure_rng_.Chance(s.chance)) {
            Procedure p;
            p.id = NextId("proc");
            p.snomed = std::string(s.snomed);
            p.display = std::string(s.display);
            const LocalTime latest = std::max(enc.start + 3600, enc.end - 3600);
            p.performed = std::min(enc.start + 2 * 3600 + static_cast<LocalTime>(procedure_rng_.Below(20 * 3600)), latest);
            p.encounter = static_cast<int>(e);
            p.practitioner = enc.practitioner;
            h_.procedures.push_back(std::move(p));
          }
        }
      } else if (enc.cls == EncounterClass::kEmergency) {
        for (const Imaging& im : kImaging) {
          if (reason.substr(0, 3) == im.reason_prefix && procedure_rng_.Chance(im.chance)) {
            ImagingStudy st;
            st.id = NextId("img");
            st.study_uid = DicomUid();
            st.series_uid = DicomUid();
            st.modality = std::string(im.modality);
            st.snomed = std::string(im.snomed);
            st.display = std::string(im.display);
            st.instances = im.modality == "CT" ? 120 + static_cast<int>(procedure_rng_.Below(200))
                                               : 1 + static_cast<int>(procedure_rng_.Below(3));
            st.started = std::min(enc.start + 1800 + static_cast<LocalTime>(procedure_rng_.Below(5400)),
                                  std::max(enc.start, enc.end - 600));
            st.encounter = static_cast<int>(e);
            h_.imaging.push_back(std::move(st));
            break;
          }
        }
      }
    }
  }

  // Nine prescriptions in ten are handed over at a pharmacy one to three days after they are
  // written; the rest never are.
  void AddDispensations() {
    for (size_t m = 0; m < h_.medications.size(); ++m) {
      const uint64_t k = m * 7 + h_.person.index;
      if (k % 10 == 0)
        continue;
      const auto days = static_cast<LocalTime>(1 + k % 3);
      h_.medications[m].dispensed =
          h_.medications[m].authored + days * 86400 + 3600 * static_cast<LocalTime>(k % 8);
    }
  }


  std::string NextId(SV kind) {
    return std::string(kind) + "-" + Num(index_) + "-" + Num(++id_counter_);
  }

  // A weekday time between 08:00 and 20:00.
  LocalTime OfficeTime(Date d) {
    while (Weekday(d) >= 5)
      ++d;
    return AtTime(d, static_cast<int>(rng_.Between(8, 19)), static_cast<int>(rng_.Below(12)) * 5);
  }

  // -------------------------------------------------------------------------------------------
  // Source records.

  void ApplyDiscrepancy(SourceRecord* r) {
    const double x = id_rng_.Uniform();
    if (x < 0.025 && r->given.size() > 3) {
      // A typo: one ASCII letter replaced (multi-byte characters are left alone).
      for (int tries = 0; tries < 8; ++tries) {
        const size_t pos = 1 + id_rng_.Below(r->given.size() - 1);
        const char c = r->given[pos];
        if (c >= 'a' && c <= 'z') {
          r->given[pos] = static_cast<char>('a' + (c - 'a' + 1 + id_rng_.Below(25)) % 26);
          r->discrepancy = "typo_given";
          return;
        }
      }
    } else if (x < 0.045 && !r->surname2.empty()) {
      std::swap(r->surname1, r->surname2);
      r->discrepancy = "swapped_surnames";
    } else if (x < 0.09 && !r->national_id.empty()) {
      r->national_id.clear();
      r->discrepancy = "missing_national_id";
    } else if (x < 0.10) {
      // Day and month transposed (only when that still is a date), a classic keying error.
      const Ymd b = YmdFromDate(r->birth);
      if (b.day <= 12 && b.day != b.month) {
        r->birth = DateFromYmd(b.year, b.day, b.month);
        r->discrepancy = "birth_day_month_swapped";
      }
    }
  }

  SourceRecord BaseRecord(int source, bool duplicate, LocalTime first_seen) {
    const Person& p = h_.person;
    SourceRecord r;
    r.source = source;
    r.local_id = LocalPatientId(region_.sources[static_cast<size_t>(source)], index_, duplicate);
    r.given = p.given;
    r.surname1 = p.surname1;
    r.surname2 = p.surname2;
    r.birth = p.birth;
    r.national_id = p.national_id;
    r.duplicate = duplicate;
    r.first_seen = first_seen;
    return r;
  }

  void AddFixedRecords() {
    const LocalTime t0 = AtTime(first_day_, 9, 0);
    // The FHIR gateway serves the regional master record: clean demographics.
    h_.records.push_back(BaseRecord(region_.fhir_source, false, t0));
    SourceRecord ap = BaseRecord(region_.primary_care_source, false, t0);
    ApplyDiscrepancy(&ap);
    h_.records.push_back(std::move(ap));
  }

  // The record of `source` to use at time `t`, created on first use. Hospital systems sometimes
  // register a known patient a second time; the duplicate is used until it is merged (A40).
  int RecordFor(int source, LocalTime t) {
    int primary = -1;
    int open_duplicate = -1;
    for (size_t i = 0; i < h_.records.size(); ++i) {
      const SourceRecord& r = h_.records[i];
      if (r.source != source)
        continue;
      if (!r.duplicate)
        primary = static_cast<int>(i);
      if (r.duplicate && r.first_seen <= t && (!r.merged_at || *r.merged_at > t)) {
        open_duplicate = static_cast<int>(i);
      }
    }
    if (open_duplicate >= 0)
      return open_duplicate;
    const SourceSystem& sys = region_.sources[static_cast<size_t>(source)];
    if (primary < 0) {
      SourceRecord r = BaseRecord(source, false, t);
      ApplyDiscrepancy(&r);
      r.follows_moves = sys.kind != SourceKind::kHospitalHis || id_rng_.Chance(0.6);
      h_.records.push_back(std::move(r));
      return static_cast<int>(h_.records.size() - 1);
    }
    const bool has_duplicate = std::any_of(h_.records.begin(), h_.records.end(), [&](auto& r) {
      return r.source == source && r.duplicate;
    });
    if (sys.kind == SourceKind::kHospitalHis && !has_duplicate && id_rng_.Chance(0.04)) {
      SourceRecord r = BaseRecord(source, true, t);
      ApplyDiscrepancy(&r);
      if (r.discrepancy.empty()) {
        r.national_id.clear();
        r.discrepancy = "missing_national_id";
      }
      r.follows_moves = false;
      const LocalTime merge = t + static_cast<LocalTime>(id_rng_.Between(2, 200)) * 86400 + 3600;
      if (DateOf(merge) <= window_.end)
        r.merged_at = merge;
      h_.records.push_back(std::move(r));
      return static_cast<int>(h_.records.size() - 1);
    }
    return primary;
  }

  // -------------------------------------------------------------------------------------------
  // Observations.

  int AddObservation(const LabTest& test, double value, LocalTime t, int encounter, int order) {
    Observation o;
    o.id = NextId("obs");
    o.loinc = std::string(test.loinc);
    o.display = std::string(test.display);
    o.unit = std::string(test.ucum);
    o.local_code = std::string(test.local_code);
    o.local_name = std::string(test.local_name_es);
    double scale = 1;
    for (int i = 0; i < test.decimals; ++i)
      scale *= 10;
    if (value < 0)
      value = 0;
    // Round half up to the test's precision, with integer arithmetic on the scaled value.
    o.value = static_cast<double>(static_cast<int64_t>(value * scale + 0.5)) / scale;
    o.decimals = test.decimals;
    o.low = test.low;
    o.high = test.high;
    o.flag = o.value > test.high ? "H" : o.value < test.low ? "L" : "";
    o.effective = t;
    o.encounter = encounter;
    o.order = order;
    h_.observations.push_back(std::move(o));
    return static_cast<int>(h_.observations.size() - 1);
  }

  void AddVital(const VitalSign& vital, double value, int decimals, LocalTime t, int encounter) {
    Observation o;
    o.id = NextId("obs");
    o.loinc = std::string(vital.loinc);
    o.display = std::string(vital.display);
    o.unit = std::string(vital.ucum);
    double scale = decimals == 1 ? 10 : 1;
    o.value = static_cast<double>(static_cast<int64_t>(value * scale + 0.5)) / scale;
    o.decimals = decimals;
    o.effective = t;
    o.encounter = encounter;
    h_.observations.push_back(std::move(o));
  }

  double Hba1cAt(LocalTime t) {
    const ChronicState& dm = chronic_[kDiabetes];
    const double years = static_cast<double>(DateOf(t) - dm.onset) / 365.25;
    double value = dm_initial_a1c_ + 0.04 * years;
    if (dm.treated_since && t >= *dm.treated_since) {
      const double months = static_cast<double>(t - *dm.treated_since) / (30.4 * 86400);
      const double target = dm_poorly_controlled_ ? 8.3 : 6.8;
      value = target + (dm_initial_a1c_ - target) * DeterministicExp(-months / 5.0) + 0.04 * years;
    }
    return rng_.Normal(value, 0.3);
  }

  double LabValue(const LabTest& test, LocalTime t, bool infection) {
    if (&test == &LabHba1c()) {
      return chronic_[kDiabetes].present && DateOf(t) >= chronic_[kDiabetes].onset
                 ? Hba1cAt(t)
                 : rng_.Normal(test.healthy_mean, test.healthy_sd);
    }
    if (&test == &LabGlucose() && chronic_[kDiabetes].present &&
        DateOf(t) >= chronic_[kDiabetes].onset) {
      // Estimated average glucose from HbA1c (ADAG study): 28.7 * A1c - 46.7 mg/dL.
      return rng_.Normal(28.7 * Hba1cAt(t) - 46.7, 15);
    }
    if (&test == &LabCreatinine() && chronic_[kCkd].present)
      return rng_.Normal(1.7, 0.3);
    if (&test == &LabTsh() && chronic_[kHypothyroidism].present) {
      const bool treated =
          chronic_[kHypothyroidism].treated_since && t >= *chronic_[kHypothyroidism].treated_since;
      return treated ? rng_.Normal(2.4, 0.9) : rng_.Normal(7.5, 2.0);
    }
    if ((&test == &LabLdl() || &test == &LabCholesterol()) && chronic_[kDyslipidaemia].present) {
      const bool treated =
          chronic_[kDyslipidaemia].treated_since && t >= *chronic_[kDyslipidaemia].treated_since;
      const double ldl = treated ? rng_.Normal(100, 18) : rng_.Normal(168, 20);
      return &test == &LabLdl() ? ldl : ldl + rng_.Normal(75, 10);
    }
    if (infection && &test == &LabLeukocytes())
      return rng_.Normal(14, 3);
    if (infection && &test == &LabCrp())
      return rng_.Normal(85, 35);
    return rng_.Normal(test.healthy_mean, test.healthy_sd);
  }

  void AddLabOrder(std::span<const LabTest* const> tests, LocalTime t, int encounter,
                   int practitioner, bool infection) {
    LabOrder order;
    order.placer_number = "PET" + Num(index_) + "-" + Num(h_.lab_orders.size() + 1);
    order.filler_number = "LAB" + Num(index_) + "-" + Num(h_.lab_orders.size() + 1);
    order.collected = t + 600;
    order.reported =
        order.collected + (encounter >= 0 && h_.encounters[static_cast<size_t>(encounter)].hospital
                               ? 3600 * 2
                               : 86400 + 3600 * static_cast<int>(rng_.Between(0, 6)));
    order.encounter = encounter;
    order.practitioner = practitioner;
    const int order_index = static_cast<int>(h_.lab_orders.size());
    for (const LabTest* test : tests) {
      order.observations.push_back(AddObservation(*test, LabValue(*test, t, infection),
                                                  order.collected, encounter, order_index));
    }
    order.corrected_later = rng_.Chance(0.01);
    h_.lab_orders.push_back(std::move(order));
    RecordFor(region_.lab_source, h_.lab_orders.back().reported);
    if (InLegacyLabArea(encounter))
      RecordFor(region_.legacy_lab_source, t);
  }

 public:
  // True when the order's encounter is at the hospital whose old laboratory application
  // exports CSV, or at a primary care centre that sends its samples there.
  static bool InLegacyLabArea(const Region& region, const PatientHistory& h, int encounter) {
    if (encounter < 0)
      return false;
    const Encounter& e = h.encounters[static_cast<size_t>(encounter)];
    const int hospital =
        e.hospital ? e.organization
                   : region.centres[static_cast<size_t>(e.organization)].referral_hospital;
    return hospital == region.legacy_lab_hospital;
  }

 private:
  bool InLegacyLabArea(int encounter) const { return InLegacyLabArea(region_, h_, encounter); }

  void AddBloodPressure(LocalTime t, int encounter) {
    const int age = AgeOn(DateOf(t));
    double sys = 112 + 0.45 * std::max(0, age - 20);
    double dia = 70 + 0.15 * std::max(0, age - 20);
    const ChronicState& htn = chronic_[kHypertension];
    if (htn.present && DateOf(t) >= htn.onset) {
      const bool treated = htn.treated_since && t >= *htn.treated_since;
      sys = treated ? 134 : 154;
      dia = treated ? 81 : 93;
    }
    AddVital(VitalSystolic(), rng_.Normal(sys, 9), 0, t, encounter);
    AddVital(VitalDiastolic(), rng_.Normal(dia, 6), 0, t, encounter);
  }

  // -------------------------------------------------------------------------------------------
  // Medication, conditions, encounters.

  void Prescribe(DrugId drug, LocalTime t, int encounter, int practitioner, int condition,
                 int duration_days) {
    if (drug == kNoDrug)
      return;
    const Drug& d = kDrugs[static_cast<size_t>(drug)];
    MedicationRequest m;
    m.id = NextId("med");
    m.atc = std::string(d.atc);
    m.name = std::string(d.name);
    m.dose = std::string(d.dose);
    m.form = std::string(d.form);
    m.authored = t;
    m.duration_days = duration_days;
    m.encounter = encounter;
    m.practitioner = practitioner;
    m.condition = condition;
    h_.medications.push_back(std::move(m));
    RecordFor(region_.prescription_source, t);
  }

  int AddCondition(SV icd10, SV display, Date onset, LocalTime recorded, int encounter,
                   bool chronic, std::optional<Date> abatement) {
    Condition c;
    c.id = NextId("cond");
    c.icd10 = std::string(icd10);
    c.display = std::string(display);
    c.onset = onset;
    c.abatement = abatement;
    c.recorded = recorded;
    c.encounter = encounter;
    c.chronic = chronic;
    h_.conditions.push_back(std::move(c));
    return static_cast<int>(h_.conditions.size() - 1);
  }

  int GpOn(Date d) {
    const Address& a = AddressOn(h_.person, d);
    const auto& centre = region_.centres[static_cast<size_t>(a.centre)];
    if (a.since == h_.person.addresses[0].since)
      return h_.person.gp;
    // After a move the patient gets a doctor of the new centre (stable per address).
    const size_t n_doctors = centre.practitioners.size() - 3;
    return centre
        .practitioners[AgeOn(d) < 14 ? n_doctors
                                     : (index_ + static_cast<uint64_t>(a.since)) % n_doctors];
  }

  int HospitalPractitioner(int hospital, Specialty s) {
    const auto& hosp = region_.hospitals[static_cast<size_t>(hospital)];
    return hosp.practitioners[static_cast<size_t>(s) * 3 + rng_.Below(3)];
  }

  int AddEncounter(EncounterClass cls, bool hospital, int organization, int practitioner,
                   LocalTime start, LocalTime end, SV icd10, SV display) {
    Encounter e;
    e.id = NextId("enc");
    e.cls = cls;
    e.hospital = hospital;
    e.organization = organization;
    e.practitioner = practitioner;
    e.start = start;
    e.end = end;
    e.reason_icd10 = std::string(icd10);
    e.reason_display = std::string(display);
    e.discharge_disposition = "01";
    if (hospital) {
      int his = 0;
      for (size_t s = 0; s < region_.sources.size(); ++s) {
        if (region_.sources[s].kind == SourceKind::kHospitalHis &&
            region_.sources[s].hospital == organization) {
          his = static_cast<int>(s);
        }
      }
      e.record = RecordFor(his, start);
    }
    h_.encounters.push_back(std::move(e));
    return static_cast<int>(h_.encounters.size() - 1);
  }

  // -------------------------------------------------------------------------------------------
  // The plan.

  void PlanChronicDiseases() {
    const bool female = h_.person.sex == Sex::kFemale;
    for (int c = 0; c < kChronicCount; ++c) {
      const ChronicDef& def = kChronic[static_cast<size_t>(c)];
      const int age = AgeOn(last_day_);
      if (age < def.min_age)
        continue;
      double p = def.prevalence[static_cast<size_t>(age < 45   ? 0
                                                    : age < 65 ? 1
                                                    : age < 80 ? 2
                                                               : 3)];
      if (female)
        p *= def.female_factor;
      if (!rng_.Chance(p))
        continue;
      ChronicState& s = chronic_[static_cast<size_t>(c)];
      s.present = true;
      // Onset: anywhere from the minimum age (or 15 years before the window) to the last day.
      const Date earliest =
          std::max<Date>(h_.person.birth + def.min_age * 365, window_.start - 15 * 365);
      s.onset = static_cast<Date>(rng_.Between(std::min(earliest, last_day_), last_day_));
    }
    if (chronic_[kDiabetes].present) {
      dm_initial_a1c_ = rng_.Normal(7.9, 0.7);
      dm_poorly_controlled_ = rng_.Chance(0.25);
    }
  }

  void PlanAllergies() {
    if (!rng_.Chance(0.08))
      return;
    const auto concepts = AllergyConcepts();
    const AllergyConcept& a = concepts[rng_.Below(concepts.size())];
    Allergy al;
    al.id = NextId("alg");
    al.snomed = std::string(a.snomed);
    al.display = std::string(a.display);
    al.category = std::string(a.category);
    al.criticality = rng_.Chance(0.2) ? "high" : "low";
    al.recorded = static_cast<Date>(rng_.Between(first_day_, last_day_));
    h_.allergies.push_back(std::move(al));
  }

  void AddBirthStay() {
    const Address& a = h_.person.addresses[0];
    const int hospital = region_.centres[static_cast<size_t>(a.centre)].referral_hospital;
    const LocalTime start = AtTime(h_.person.birth, static_cast<int>(rng_.Between(0, 23)),
                                   static_cast<int>(rng_.Below(60)));
    const LocalTime end = AtTime(h_.person.birth + static_cast<Date>(rng_.Between(2, 3)), 12, 0);
    const int e = AddEncounter(EncounterClass::kInpatient, true, hospital,
                               HospitalPractitioner(hospital, kPediatria), start, end, "Z38.0",
                               "Singleton, born in hospital");
    h_.encounters[static_cast<size_t>(e)].stays.push_back(
        {"NEO", Num(100 + rng_.Below(20)), "1", start});
    AddCondition("Z38.0", "Singleton, born in hospital", h_.person.birth, start, e, false,
                 h_.person.birth);
  }

  double PrimaryCareRate(int age, int active_chronic) const {
    const bool female = h_.person.sex == Sex::kFemale;
    // Visits that leave coded content (diagnosis, result or prescription); administrative and
    // nursing contacts are not modelled.
    double base = age < 2    ? 3
                  : age < 5  ? 1.5
                  : age < 15 ? 0.8
                  : age < 45 ? (female ? 1.0 : 0.7)
                  : age < 65 ? 1.2
                  : age < 80 ? 2.0
                             : 2.5;
    return base + 0.35 * active_chronic;
  }

  void GeneratePrimaryCare() {
    std::vector<LocalTime> visits;
    for (Date y = first_day_; y <= last_day_; y += 365) {
      int active = 0;
      for (const auto& s : chronic_)
        active += s.present && s.onset <= y ? 1 : 0;
      const int n = rng_.Poisson(PrimaryCareRate(AgeOn(y), active));
      for (int i = 0; i < n; ++i) {
        const Date d = static_cast<Date>(y + rng_.Below(365));
        if (d <= last_day_)
          visits.push_back(OfficeTime(d));
      }
    }
    // Every chronic disease with an onset inside the window gets a diagnosing visit.
    for (auto& s : chronic_) {
      if (s.present && s.onset >= first_day_) {
        visits.push_back(OfficeTime(std::min<Date>(s.onset + 7, last_day_)));
      }
    }
    std::sort(visits.begin(), visits.end());
    visits.erase(std::unique(visits.begin(), visits.end()), visits.end());
    LocalTime last_a1c = 0;
    LocalTime last_general_lab = 0;
    for (LocalTime t : visits) {
      if (DateOf(t) > last_day_)
        break;
      PrimaryCareVisit(t, &last_a1c, &last_general_lab);
    }
  }

  void PrimaryCareVisit(LocalTime t, LocalTime* last_a1c, LocalTime* last_general_lab) {
    const Date d = DateOf(t);
    const int age = AgeOn(d);
    const int gp = GpOn(d);
    const int centre = AddressOn(h_.person, d).centre;
    const LocalTime end = t + 60 * static_cast<LocalTime>(rng_.Between(8, 20));
    // Record the chronic diseases known by now that are not yet recorded (prevalent ones at the
    // first visit, new ones at the visit after onset).
    std::vector<int> newly;
    for (int c = 0; c < kChronicCount; ++c) {
      ChronicState& s = chronic_[static_cast<size_t>(c)];
      if (s.present && !s.recorded && s.onset <= d)
        newly.push_back(c);
    }
    SV reason_code;
    SV reason_display;
    int acute = -1;
    if (!newly.empty()) {
      reason_code = kChronic[static_cast<size_t>(newly[0])].icd10;
      reason_display = kChronic[static_cast<size_t>(newly[0])].display;
    } else {
      std::array<double, kPrimaryCareAcute.size()> w{};
      for (size_t i = 0; i < kPrimaryCareAcute.size(); ++i) {
        w[i] = YmdFromDate(d).year >= kPrimaryCareAcute[i].min_year
                   ? kPrimaryCareAcute[i].weight[static_cast<size_t>(AgeBand4(age))]
                   : 0;
      }
      // Follow-up visits of chronic patients are a large share of primary care.
      int active = 0;
      for (const auto& s : chronic_)
        active += s.recorded ? 1 : 0;
      if (active > 0 && rng_.Chance(0.5)) {
        for (int c = 0; c < kChronicCount; ++c) {
          if (chronic_[static_cast<size_t>(c)].recorded) {
            reason_code = kChronic[static_cast<size_t>(c)].icd10;
            reason_display = kChronic[static_cast<size_t>(c)].display;
            if (rng_.Chance(0.5))
              break;
          }
        }
      } else {
        acute = static_cast<int>(rng_.Weighted(w));
        reason_code = kPrimaryCareAcute[static_cast<size_t>(acute)].icd10;
        reason_display = kPrimaryCareAcute[static_cast<size_t>(acute)].display;
      }
    }
    const int e = AddEncounter(EncounterClass::kPrimaryCare, false, centre, gp, t, end, reason_code,
                               reason_display);
    for (int c : newly) {
      ChronicState& s = chronic_[static_cast<size_t>(c)];
      const ChronicDef& def = kChronic[static_cast<size_t>(c)];
      s.recorded = true;
      s.condition = AddCondition(def.icd10, def.display, s.onset, t, e, true, std::nullopt);
      if (def.drug1 != kNoDrug) {
        // Prevalent diseases are already treated; new ones start treatment now (most of them).
        const bool prevalent = s.onset < first_day_;
        if (prevalent || rng_.Chance(0.85)) {
          s.treated_since = prevalent ? AtTime(s.onset + 30, 9, 0) : t;
          Prescribe(def.drug1, t, e, gp, s.condition, 365);
          if (def.drug2 != kNoDrug)
            Prescribe(def.drug2, t, e, gp, s.condition, 365);
          s.last_renewal_year = YmdFromDate(d).year;
        }
      }
      if (def.referral_specialty >= 0 && s.onset >= first_day_ && rng_.Chance(0.5)) {
        AddOutpatientVisit(t, def.referral_specialty, def.icd10, def.display);
      }
    }
    if (acute >= 0) {
      const AcuteDef& a = kPrimaryCareAcute[static_cast<size_t>(acute)];
      if (a.icd10 != "Z00.0") {
        const int cond = AddCondition(a.icd10, a.display, d, t, e, false,
                                      static_cast<Date>(d + rng_.Between(5, 21)));
        if (rng_.Chance(a.drug_probability))
          Prescribe(a.drug, t, e, gp, cond, 7);
      }
    }
    // Yearly renewal of chronic treatments.
    for (int c = 0; c < kChronicCount; ++c) {
      ChronicState& s = chronic_[static_cast<size_t>(c)];
      const ChronicDef& def = kChronic[static_cast<size_t>(c)];
      if (s.recorded && s.treated_since && s.last_renewal_year < YmdFromDate(d).year) {
        Prescribe(def.drug1, t, e, gp, s.condition, 365);
        if (def.drug2 != kNoDrug)
          Prescribe(def.drug2, t, e, gp, s.condition, 365);
        s.last_renewal_year = YmdFromDate(d).year;
      }
    }
    // Poorly controlled diabetes moves on to insulin once.
    if (chronic_[kDiabetes].recorded && dm_poorly_controlled_ && !insulin_started_ &&
        chronic_[kDiabetes].treated_since &&
        t > *chronic_[kDiabetes].treated_since + 2 * 31536000) {
      insulin_started_ = true;
      Prescribe(kInsulinGlargine, t, e, gp, chronic_[kDiabetes].condition, 365);
    }
    // Vital signs.
    if (chronic_[kHypertension].recorded || (age >= 40 && rng_.Chance(0.3))) {
      AddBloodPressure(t + 300, e);
    }
    if (age >= 18 && rng_.Chance(0.2)) {
      const double base = h_.person.sex == Sex::kFemale ? 66 : 80;
      AddVital(VitalBodyWeight(), rng_.Normal(base + (chronic_[kObesity].recorded ? 25 : 0), 8), 1,
               t + 300, e);
    }
    // Laboratory: HbA1c follow-up for diabetics every ~6 months, general analyses otherwise.
    static const LabTest* const kDiabetesPanel[] = {&LabHba1c(), &LabGlucose(), &LabCreatinine()};
    static const LabTest* const kGeneralPanel[] = {
        &LabHemoglobin(), &LabGlucose(), &LabCreatinine(), &LabCholesterol(), &LabLdl(), &LabAlt()};
    static const LabTest* const kLipidPanel[] = {&LabCholesterol(), &LabHdl(), &LabLdl(),
                                                 &LabTriglycerides()};
    static const LabTest* const kThyroidPanel[] = {&LabTsh()};
    if (chronic_[kDiabetes].recorded && t - *last_a1c > 150 * 86400) {
      *last_a1c = t;
      AddLabOrder(kDiabetesPanel, t, e, gp, false);
    }
    const bool general_due =
        reason_code == "Z00.0" || (age >= 18 && t - *last_general_lab > 365 * 86400 &&
                                   rng_.Chance(chronic_[kDyslipidaemia].recorded ? 0.6 : 0.1));
    if (general_due) {
      *last_general_lab = t;
      if (chronic_[kDyslipidaemia].recorded) {
        AddLabOrder(kLipidPanel, t, e, gp, false);
      } else {
        AddLabOrder(kGeneralPanel, t, e, gp, false);
      }
    }
    if (chronic_[kHypothyroidism].recorded && rng_.Chance(0.25)) {
      AddLabOrder(kThyroidPanel, t, e, gp, false);
    }
    // Allergies are recorded at the first visit after their recorded date.
    for (Allergy& al : h_.allergies) {
      if (al.encounter < 0 && al.recorded <= d) {
        al.encounter = e;
        al.recorded = d;
      }
    }
  }

  void AddOutpatientVisit(LocalTime after, int specialty, SV icd10, SV display) {
    const Date d = DateOf(after) + static_cast<Date>(rng_.Between(20, 90));
    if (d > last_day_)
      return;
    const int hospital =
        region_.centres[static_cast<size_t>(AddressOn(h_.person, d).centre)].referral_hospital;
    const LocalTime t = OfficeTime(d);
    AddEncounter(EncounterClass::kOutpatient, true, hospital,
                 HospitalPractitioner(hospital, static_cast<Specialty>(specialty)), t,
                 t + 60 * static_cast<LocalTime>(rng_.Between(15, 30)), icd10, display);
  }

  void GenerateEmergencies() {
    std::vector<LocalTime> visits;
    for (Date y = first_day_; y <= last_day_; y += 365) {
      const int age = AgeOn(y);
      const double rate = age < 5 ? 0.5 : age < 65 ? 0.25 : age < 80 ? 0.4 : 0.6;
      const int n = rng_.Poisson(rate);
      for (int i = 0; i < n; ++i) {
        const Date d = static_cast<Date>(y + rng_.Below(365));
        if (d <= last_day_) {
          visits.push_back(
              AtTime(d, static_cast<int>(rng_.Between(0, 23)), static_cast<int>(rng_.Below(60))));
        }
      }
    }
    std::sort(visits.begin(), visits.end());
    for (LocalTime t : visits)
      EmergencyVisit(t);
  }

  int PickEmergency(Date d) {
    const int band = AgeBand4(AgeOn(d));
    std::array<double, kEmergencies.size()> w{};
    for (size_t i = 0; i < kEmergencies.size(); ++i) {
      const EmergencyDef& def = kEmergencies[i];
      w[i] = def.weight[static_cast<size_t>(band)];
      if (def.requires_chronic >= 0) {
        const ChronicState& s = chronic_[static_cast<size_t>(def.requires_chronic)];
        if (!s.present || s.onset > d)
          w[i] = 0;
      }
      if (YmdFromDate(d).year < def.min_year)
        w[i] = 0;
    }
    return static_cast<int>(rng_.Weighted(w));
  }

  void EmergencyVisit(LocalTime t) {
    const Date d = DateOf(t);
    const EmergencyDef& def = kEmergencies[static_cast<size_t>(PickEmergency(d))];
    const int referral =
        region_.centres[static_cast<size_t>(AddressOn(h_.person, d).centre)].referral_hospital;
    // Most people go to their area's hospital; some to another one (work, holidays, choice).
    const int hospital =
        rng_.Chance(0.9) ? referral : static_cast<int>(rng_.Below(region_.hospitals.size()));
    const int doctor = HospitalPractitioner(hospital, AgeOn(d) < 15 ? kPediatria : kUrgencias);
    const LocalTime end = t + 60 * static_cast<LocalTime>(rng_.Between(60, 480));
    const int e = AddEncounter(EncounterClass::kEmergency, true, hospital, doctor, t, end,
                               def.icd10, def.display);
    AddVital(VitalHeartRate(), rng_.Normal(def.infection ? 98 : 82, 10), 0, t + 600, e);
    AddVital(VitalBodyTemperature(), rng_.Normal(def.infection ? 38.3 : 36.6, 0.4), 1, t + 600, e);
    AddBloodPressure(t + 600, e);
    static const LabTest* const kEmergencyPanel[] = {&LabHemoglobin(), &LabLeukocytes(),
                                                     &LabGlucose(),    &LabCreatinine(),
                                                     &LabPotassium(),  &LabCrp()};
    if (rng_.Chance(def.admit > 0.3 ? 0.95 : 0.5)) {
      AddLabOrder(kEmergencyPanel, t + 1800, e, doctor, def.infection);
    }
    const int cond = AddCondition(def.icd10, def.display, d, end, e, false,
                                  static_cast<Date>(d + rng_.Between(7, 30)));
    const bool elderly = AgeOn(d) >= 75;
    const bool admitted = rng_.Chance(std::min(1.0, def.admit * (elderly ? 1.4 : 1.0)));
    if (!admitted) {
      if (def.infection && rng_.Chance(0.5))
        Prescribe(kAmoxiClav, end, e, doctor, cond, 7);
      if (!def.infection && rng_.Chance(0.4))
        Prescribe(kIbuprofen, end, e, doctor, cond, 5);
      return;
    }
    Admit(hospital, e, end, def.icd10, def.display, def.ward, def.stay_days, false);
  }

  void Admit(int hospital, int from_encounter, LocalTime start, SV icd10, SV display, WardId ward,
             double stay_days, bool terminal) {
    int days = 1 + rng_.Poisson(std::max(0.5, stay_days - 1));
    LocalTime end = AtTime(DateOf(start) + days, static_cast<int>(rng_.Between(10, 14)),
                           static_cast<int>(rng_.Below(60)));
    bool died = terminal;
    if (h_.person.death && DateOf(end) >= *h_.person.death) {
      died = true;
    }
    if (died) {
      const Date death_day = *h_.person.death;
      end = AtTime(death_day, static_cast<int>(rng_.Between(0, 23)),
                   static_cast<int>(rng_.Below(60)));
      if (end <= start)
        end = start + 3600;
    }
    if (DateOf(end) > window_.end)
      end = AtTime(window_.end, 23, 0);
    const WardDef& w = kWards[static_cast<size_t>(ward)];
    const int doctor = HospitalPractitioner(hospital, w.specialty);
    const int e = AddEncounter(EncounterClass::kInpatient, true, hospital, doctor, start, end,
                               icd10, display);
    Encounter& enc = h_.encounters[static_cast<size_t>(e)];
    enc.admitted_from = from_encounter;
    enc.died = died;
    enc.discharge_disposition = died ? "20" : "01";
    enc.stays.push_back(
        {std::string(w.code), Num(100 + rng_.Below(400)), Num(1 + rng_.Below(2)), start});
    // Transfers: intensive care patients step down to the specialty ward; some others move ward
    // or bed during the stay.
    const LocalTime span = end - start;
    if (ward == kWardUci && span > 2 * 86400) {
      enc.stays.push_back(
          {"CAR", Num(200 + rng_.Below(100)), Num(1 + rng_.Below(2)), start + span / 3});
    } else if (span > 3 * 86400 && rng_.Chance(0.25)) {
      const WardDef& other = kWards[rng_.Below(6)];
      enc.stays.push_back({std::string(other.code), Num(100 + rng_.Below(400)),
                           Num(1 + rng_.Below(2)), start + span / 2});
    }
    static const LabTest* const kInpatientPanel[] = {&LabHemoglobin(), &LabLeukocytes(),
                                                     &LabCreatinine(), &LabSodium(),
                                                     &LabPotassium(),  &LabCrp()};
    for (LocalTime lt = start + 86400; lt < end; lt += 3 * 86400) {
      AddLabOrder(kInpatientPanel, AtTime(DateOf(lt), 7, 0), e, doctor, false);
    }
    const int cond = AddCondition(icd10, display, DateOf(start), start, e, false,
                                  died ? std::nullopt : std::optional<Date>(DateOf(end)));
    if (!died && rng_.Chance(0.5))
      Prescribe(kParacetamol, end, e, doctor, cond, 10);
    if (!died && icd10 == "I21.9")
      Prescribe(kAspirin, end, e, doctor, cond, 365);
  }

  void AddTerminalAdmission() {
    const Date death = *h_.person.death;
    const int days = static_cast<int>(rng_.Between(2, 15));
    const Date start_day = std::max<Date>(death - days, first_day_);
    if (start_day >= death)
      return;
    // Skip when the death already happened inside an admission.
    for (const Encounter& e : h_.encounters) {
      if (e.died)
        return;
    }
    const TerminalDef& def = kTerminal[rng_.Below(kTerminal.size())];
    const int hospital =
        region_.centres[static_cast<size_t>(AddressOn(h_.person, start_day).centre)]
            .referral_hospital;
    const LocalTime t =
        AtTime(start_day, static_cast<int>(rng_.Between(0, 23)), static_cast<int>(rng_.Below(60)));
    const int doctor = HospitalPractitioner(hospital, kUrgencias);
    const int er = AddEncounter(EncounterClass::kEmergency, true, hospital, doctor, t, t + 3 * 3600,
                                def.icd10, def.display);
    Admit(hospital, er, t + 3 * 3600, def.icd10, def.display, def.ward, days, true);
  }

  void AddImmunization(SV cvx, SV display, LocalTime t) {
    if (DateOf(t) < first_day_ || DateOf(t) > last_day_)
      return;
    Immunization im;
    im.id = NextId("imm");
    im.cvx = std::string(cvx);
    im.display = std::string(display);
    im.when = t;
    im.lot =
        std::string(1, static_cast<char>('A' + rng_.Below(26))) + Num(10000 + rng_.Below(90000));
    const auto& centre =
        region_.centres[static_cast<size_t>(AddressOn(h_.person, DateOf(t)).centre)];
    im.practitioner = centre.practitioners[centre.practitioners.size() - 1];  // a nurse
    h_.immunizations.push_back(std::move(im));
  }

  void GenerateImmunizations() {
    const auto vaccines = Vaccines();
    auto vac = [&](SV cvx) -> const CodedConcept& {
      for (const auto& v : vaccines) {
        if (v.code == cvx)
          return v;
      }
      return vaccines[0];
    };
    const Date birth = h_.person.birth;
    auto at_months = [&](int months) {
      const Ymd b = YmdFromDate(birth);
      int m = b.month - 1 + months;
      const int y = b.year + m / 12;
      m = m % 12 + 1;
      const int day = std::min(b.day, DaysInMonth(y, m));
      return OfficeTime(DateFromYmd(y, m, day) + static_cast<Date>(rng_.Below(14)));
    };
    // Childhood schedule (Comunidad de Madrid calendar, simplified), 95% coverage per dose.
    struct Dose {
      SV cvx;
      int months;
    };
    static constexpr Dose kChild[] = {{"146", 2},  {"133", 2},  {"146", 4},  {"133", 4},
                                      {"146", 11}, {"133", 11}, {"03", 12},  {"21", 15},
                                      {"03", 48},  {"21", 48},  {"115", 168}};
    for (const Dose& dose : kChild) {
      if (rng_.Chance(0.95))
        AddImmunization(dose.cvx, vac(dose.cvx).display, at_months(dose.months));
    }
    const bool girl = h_.person.sex == Sex::kFemale;
    if (girl || YmdFromDate(birth).year >= 2011) {
      if (rng_.Chance(0.85))
        AddImmunization("165", vac("165").display, at_months(144));
    }
    // Adults: seasonal influenza for the elderly and chronic patients, COVID-19 from 2021,
    // pneumococcal at 65.
    int chronic_count = 0;
    for (const auto& s : chronic_)
      chronic_count += s.present ? 1 : 0;
    for (int year = YmdFromDate(first_day_).year; year <= YmdFromDate(last_day_).year; ++year) {
      const int age = year - YmdFromDate(birth).year;
      const double p = age >= 65 ? 0.6 : chronic_count > 0 && age >= 18 ? 0.3 : 0.03;
      if (age >= 1 && rng_.Chance(p)) {
        AddImmunization("141", vac("141").display,
                        OfficeTime(DateFromYmd(year, 10, 15) + static_cast<Date>(rng_.Below(60))));
      }
    }
    const int age_2021 = 2021 - YmdFromDate(birth).year;
    if (age_2021 >= 12 && rng_.Chance(0.85)) {
      const Date first = DateFromYmd(2021, 1, 15) +
                         static_cast<Date>(age_2021 >= 70 ? rng_.Below(60) : 60 + rng_.Below(180));
      AddImmunization("208", vac("208").display, OfficeTime(first));
      AddImmunization("208", vac("208").display,
                      OfficeTime(first + 21 + static_cast<Date>(rng_.Below(8))));
      if (age_2021 >= 40 && rng_.Chance(0.6)) {
        AddImmunization("208", vac("208").display,
                        OfficeTime(DateFromYmd(2021, 11, 15) + static_cast<Date>(rng_.Below(90))));
      }
    }
    if (rng_.Chance(0.5)) {
      AddImmunization("33", vac("33").display, at_months(65 * 12 + 1));
    }
    if (!h_.immunizations.empty()) {
      std::stable_sort(
          h_.immunizations.begin(), h_.immunizations.end(),
          [](const Immunization& a, const Immunization& b) { return a.when < b.when; });
      RecordFor(region_.primary_care_source, h_.immunizations[0].when);
    }
  }

  const Region& region_;
  const Window window_;
  const uint64_t index_;
  Rng rng_;
  Rng id_rng_;  // discrepancies and duplicates: a separate stream
  Rng procedure_rng_;  // procedures and imaging studies
  PatientHistory h_;
  Date first_day_ = 0;
  Date last_day_ = 0;
  uint64_t id_counter_ = 0;
  std::array<ChronicState, kChronicCount> chronic_{};
  double dm_initial_a1c_ = 7.5;
  bool dm_poorly_controlled_ = false;
  bool insulin_started_ = false;
};

}  // namespace

PatientHistory GeneratePatientHistory(const Region& region, const Window& window, uint64_t seed,
                                      uint64_t index) {
  return HistoryBuilder(region, window, seed, index).Build();
}

bool InLegacyLabArea(const Region& region, const PatientHistory& history, int encounter) {
  return HistoryBuilder::InLegacyLabArea(region, history, encounter);
}

}  // namespace medlake::synth
