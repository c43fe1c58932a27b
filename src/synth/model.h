// synth/model.h: the plain data of the synthetic health service.
//
// The generator first builds these values (the region once, then one `PatientHistory` at a
// time) and then renders them into the formats the source systems send (HL7 v2, FHIR, CSV).
// The structs mirror the clinical notions, not any one wire format. Field values are synthetic;
// still, never log them (STYLE.md section 1.6).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "synth/calendar.h"

namespace medlake::synth {

enum class Sex { kMale, kFemale };

enum class OrganizationKind { kHospital, kPrimaryCareCentre };

struct Organization {
  std::string id;    // "H01", "CS0042": also the FHIR Organization id suffix
  std::string name;  // invented name ("Hospital Universitario Madrid Sur")
  OrganizationKind kind = OrganizationKind::kHospital;
  int municipality = 0;  // index into MadridMunicipalities()
  std::string postal_code;
  std::string street;
  std::string phone;
  int referral_hospital = -1;      // for centres: index into Region::hospitals
  std::vector<int> practitioners;  // indexes into Region::practitioners
};

struct Practitioner {
  std::string id;  // "PRA000123"
  std::string given;
  std::string surname1;
  std::string surname2;
  Sex sex = Sex::kFemale;
  std::string specialty;       // "Medicina Familiar y Comunitaria", ...
  std::string licence_number;  // synthetic medical college number
  bool hospital = false;       // works in a hospital (else in a primary care centre)
  int organization = 0;        // index into hospitals or centres, by `hospital`
};

// The systems that send data, each with its own patient ids (see population.h).
enum class SourceKind {
  kHospitalHis,   // one per hospital: ADT
  kPrimaryCare,   // regional primary care EHR: A28/A31, VXU
  kLaboratory,    // central laboratory: ORU^R01
  kPrescription,  // electronic prescription: RDE^O11
  kFhirGateway,   // regional FHIR bulk export
  kLegacyLabCsv,  // a hospital's old laboratory application: CSV extracts
};

struct SourceSystem {
  std::string code;         // "HIS_H01", "AP", "LAB", "RECETA", "FHIR", "LABLEG": truth files
  std::string application;  // HL7 MSH-3 / MSH-5
  std::string facility;     // HL7 MSH-4 / MSH-6
  std::string id_prefix;    // prefix of its local patient ids
  std::string assigning_authority;  // HL7 CX-4 for its local ids
  SourceKind kind = SourceKind::kHospitalHis;
  int hospital = -1;           // for kHospitalHis / kLegacyLabCsv
  uint64_t id_multiplier = 1;  // local ids are an affine permutation of the person index
  uint64_t id_offset = 0;
};

struct Region {
  std::vector<Organization> hospitals;
  std::vector<Organization> centres;
  std::vector<Practitioner> practitioners;
  std::vector<SourceSystem> sources;
  // For each municipality, each of its postal codes' primary care centre (parallel to
  // Municipality::postal_codes).
  std::vector<std::vector<int>> centre_by_postal_code;
  // Index into `sources` of the fixed systems.
  int primary_care_source = 0;
  int lab_source = 0;
  int prescription_source = 0;
  int fhir_source = 0;
  int legacy_lab_source = 0;
  int legacy_lab_hospital = 0;  // the hospital whose lab extract is CSV
};

struct Address {
  std::string street_line;  // "Calle Mayor 12, 3º B"
  std::string postal_code;
  int municipality = 0;
  int centre = 0;  // primary care centre for this address
  Date since = 0;
};

struct Person {
  uint64_t index = 0;
  std::string person_id;  // truth id "PER0000000042"
  std::string given;
  std::string surname1;
  std::string surname2;  // empty for many foreign residents
  Sex sex = Sex::kFemale;
  Date birth = 0;
  std::optional<Date> death;
  int nationality = 0;      // index into Nationalities()
  std::string national_id;  // DNI or NIE; empty when the person has none
  std::string cip;
  std::string nuss;  // empty when none
  std::string phone;
  std::vector<Address> addresses;  // chronological; addresses[0] is the one at window start
  int gp = 0;                      // practitioner index of the family doctor (at the first address)
};

// How one source system knows a person: its own id and its (possibly stale or mistyped) copy
// of the demographics. A person may have two records in one hospital (a duplicate later merged).
struct SourceRecord {
  int source = 0;
  std::string local_id;
  std::string given;
  std::string surname1;
  std::string surname2;
  Date birth = 0;
  std::string national_id;             // may be missing although the person has one
  bool follows_moves = true;           // false: keeps the first address forever
  bool duplicate = false;              // a second registration of the same person in this source
  std::optional<LocalTime> merged_at;  // for duplicates: when the A40 merge happened
  std::string discrepancy;             // truth label: "", "typo_given", "swapped_surnames", ...
  LocalTime first_seen = 0;
};

enum class EncounterClass { kPrimaryCare, kEmergency, kInpatient, kOutpatient };

struct BedStay {
  std::string ward;  // "MIN", "CAR", ...
  std::string room;
  std::string bed;
  LocalTime from = 0;
};

struct Encounter {
  std::string id;  // FHIR id, also the HL7 visit number (PV1-19)
  EncounterClass cls = EncounterClass::kPrimaryCare;
  bool hospital = false;
  int organization = 0;  // hospital or centre index, by `hospital`
  int practitioner = 0;
  LocalTime start = 0;
  LocalTime end = 0;
  std::vector<BedStay> stays;  // inpatient only; more than one means transfers (A02)
  std::string reason_icd10;
  std::string reason_display;
  bool died = false;
  int admitted_from = -1;  // for inpatient stays: the emergency encounter index
  int record = -1;         // hospital encounters: index into PatientHistory::records (the MRN used)
  std::string discharge_disposition;  // HL7 table 0112 style: "01" home, "20" died, ...
};

struct Condition {
  std::string id;
  std::string icd10;
  std::string display;
  Date onset = 0;
  std::optional<Date> abatement;
  LocalTime recorded = 0;
  int encounter = -1;
  bool chronic = false;
};

struct Observation {
  std::string id;
  std::string loinc;
  std::string display;
  std::string unit;
  std::string local_code;  // legacy lab code, labs only
  std::string local_name;
  double value = 0;
  int decimals = 0;
  std::optional<double> low;
  std::optional<double> high;
  std::string flag;  // "", "H", "L"
  LocalTime effective = 0;
  int encounter = -1;
  int order = -1;  // index into PatientHistory::lab_orders; -1 for vital signs
};

struct LabOrder {
  std::string placer_number;  // ORC-2 / OBR-2
  std::string filler_number;  // ORC-3 / OBR-3
  LocalTime collected = 0;
  LocalTime reported = 0;
  int encounter = -1;
  int practitioner = 0;
  std::vector<int> observations;
  bool corrected_later = false;  // the legacy CSV extract carries a late correction
};

struct MedicationRequest {
  std::string id;
  std::string atc;
  std::string name;
  std::string dose;
  std::string form;
  LocalTime authored = 0;
  int duration_days = 30;
  int encounter = -1;
  int practitioner = 0;
  int condition = -1;
  std::optional<LocalTime> dispensed;  // handed over at a pharmacy (RDS^O13, MedicationDispense)
};

// A procedure done during a hospital stay (SNOMED CT coded).
struct Procedure {
  std::string id;
  std::string snomed;
  std::string display;
  LocalTime performed = 0;
  int encounter = -1;
  int practitioner = 0;
};

// An imaging study of an emergency visit, with DICOM-style UIDs ("2.25." + a 128-bit number, the
// UUID-derived form of DICOM PS3.5 B.2).
struct ImagingStudy {
  std::string id;
  std::string study_uid;
  std::string series_uid;
  std::string modality;  // DICOM code: DX, CT, US
  std::string snomed;    // the procedure
  std::string display;
  int instances = 1;
  LocalTime started = 0;
  int encounter = -1;
};

struct Immunization {
  std::string id;
  std::string cvx;
  std::string display;
  LocalTime when = 0;
  std::string lot;
  int encounter = -1;
  int practitioner = 0;
};

struct Allergy {
  std::string id;
  std::string snomed;
  std::string display;
  std::string category;
  std::string criticality;  // low | high
  Date recorded = 0;
  int encounter = -1;
};

struct PatientHistory {
  Person person;
  std::vector<SourceRecord> records;
  std::vector<Encounter> encounters;
  std::vector<Condition> conditions;
  std::vector<Observation> observations;
  std::vector<LabOrder> lab_orders;
  std::vector<MedicationRequest> medications;
  std::vector<Immunization> immunizations;
  std::vector<Allergy> allergies;
  std::vector<Procedure> procedures;
  std::vector<ImagingStudy> imaging;
};

}  // namespace medlake::synth
