// synth/reference_data.h: the public facts the generator draws from.
//
// Everything here is either a public statistical or administrative fact (Madrid municipalities
// and their postal codes, common Spanish given names and surnames, standard code systems) or an
// invented label (hospital and street names). No row describes a real person.
//
// Code systems: ICD-10 (WHO), LOINC with UCUM units, ATC (WHO Collaborating Centre), CVX (CDC)
// for vaccines, SNOMED CT for allergy concepts. Displays are short English or Spanish labels.
//
// Thread-safety: immutable tables with static storage; safe from any thread.
#pragma once

#include <span>
#include <string_view>

namespace medlake::synth {

struct Municipality {
  std::string_view name;
  double population_weight;  // relative size (thousands of residents, rounded)
  std::span<const std::string_view> postal_codes;
};

struct Nationality {
  std::string_view iso3166_alpha2;  // "ES", "RO", ...
  std::string_view name_es;
  double weight;  // share of residents, in percent (approximate public figure)
  int name_pool;  // index into ForeignNamePool(); -1 for the Spanish lists
};

struct ForeignNames {
  std::span<const std::string_view> male;
  std::span<const std::string_view> female;
  std::span<const std::string_view> surnames;
  bool two_surnames;  // Latin American naming custom: two surnames like Spanish residents
};

struct CodedConcept {
  std::string_view code;
  std::string_view display;
};

struct LabTest {
  std::string_view loinc;
  std::string_view display;        // LOINC short name style
  std::string_view local_code;     // the legacy laboratory application's own code
  std::string_view local_name_es;  // and its Spanish label
  std::string_view ucum;           // UCUM unit
  double low;                      // reference range
  double high;
  double healthy_mean;  // for synthetic values of people without a related disease
  double healthy_sd;
  int decimals;
};

struct Drug {
  std::string_view atc;
  std::string_view name;  // generic name and strength
  std::string_view dose;  // sig, e.g. "1 comp cada 12 h"
  std::string_view form;  // dose form
};

std::span<const Municipality> MadridMunicipalities();
std::span<const Nationality> Nationalities();
ForeignNames ForeignNamePool(int index);
std::span<const std::string_view> SpanishMaleNames();
std::span<const std::string_view> SpanishFemaleNames();
std::span<const std::string_view> SpanishSurnames();
std::span<const std::string_view> StreetTypes();
std::span<const std::string_view> StreetNames();

// Lab tests by role; see clinical_model.cc for how they are used.
const LabTest& LabHba1c();
const LabTest& LabGlucose();
const LabTest& LabCreatinine();
const LabTest& LabCholesterol();
const LabTest& LabLdl();
const LabTest& LabHdl();
const LabTest& LabTriglycerides();
const LabTest& LabHemoglobin();
const LabTest& LabLeukocytes();
const LabTest& LabPlatelets();
const LabTest& LabSodium();
const LabTest& LabPotassium();
const LabTest& LabTsh();
const LabTest& LabAlt();
const LabTest& LabCrp();
std::span<const LabTest> AllLabTests();

// Vital signs (LOINC + UCUM), used for Observation category vital-signs and HL7 OBX in A04/A08.
struct VitalSign {
  std::string_view loinc;
  std::string_view display;
  std::string_view ucum;
};
const VitalSign& VitalSystolic();
const VitalSign& VitalDiastolic();
const VitalSign& VitalBodyWeight();
const VitalSign& VitalHeartRate();
const VitalSign& VitalBodyTemperature();

// A vaccine: CVX code and display.
std::span<const CodedConcept> Vaccines();
// Allergy concepts (SNOMED CT "allergy to X" disorders) with FHIR category.
struct AllergyConcept {
  std::string_view snomed;
  std::string_view display;
  std::string_view category;  // food | medication | environment
};
std::span<const AllergyConcept> AllergyConcepts();

}  // namespace medlake::synth
