#include "synth/fhir_writer.h"

#include <string>
#include <string_view>

#include "synth/json_builder.h"
#include "synth/population.h"
#include "synth/reference_data.h"

namespace medlake::synth {
namespace {

constexpr std::string_view kSid = "https://medlake.example/sid/";

void Coding(JsonBuilder* j, std::string_view system, std::string_view code,
            std::string_view display) {
  j->BeginObject().String("system", system).String("code", code);
  if (!display.empty())
    j->String("display", display);
  j->EndObject();
}

void CodeableConcept(JsonBuilder* j, std::string_view key, std::string_view system,
                     std::string_view code, std::string_view display, std::string_view text = {}) {
  j->BeginObject(key).BeginArray("coding");
  Coding(j, system, code, display);
  j->EndArray();
  if (!text.empty())
    j->String("text", text);
  j->EndObject();
}

void Identifier(JsonBuilder* j, std::string_view system_suffix, std::string_view value) {
  std::string system(kSid);
  system += system_suffix;
  j->BeginObject().String("system", system).String("value", value).EndObject();
}

void HumanName(JsonBuilder* j, std::string_view given, std::string_view surname1,
               std::string_view surname2) {
  // Spanish names: "family" holds both surnames; the standard extensions
  // humanname-fathers-family / humanname-mothers-family on _family keep them apart.
  std::string family(surname1);
  if (!surname2.empty()) {
    family += ' ';
    family += surname2;
  }
  j->BeginObject().String("use", "official").String("family", family);
  j->BeginObject("_family").BeginArray("extension");
  j->BeginObject()
      .String("url", "http://hl7.org/fhir/StructureDefinition/humanname-fathers-family")
      .String("valueString", surname1)
      .EndObject();
  if (!surname2.empty()) {
    j->BeginObject()
        .String("url", "http://hl7.org/fhir/StructureDefinition/humanname-mothers-family")
        .String("valueString", surname2)
        .EndObject();
  }
  j->EndArray().EndObject();
  j->BeginArray("given").String(given).EndArray();
  j->EndObject();
}

void Quantity(JsonBuilder* j, std::string_view key, double value, int decimals,
              std::string_view unit) {
  j->BeginObject(key)
      .Number("value", value, decimals)
      .String("unit", unit)
      .String("system", "http://unitsofmeasure.org")
      .String("code", unit)
      .EndObject();
}

void AddressJson(JsonBuilder* j, const Address& a, std::string_view use, std::optional<Date> end) {
  const auto& m = MadridMunicipalities()[static_cast<size_t>(a.municipality)];
  j->BeginObject().String("use", use).String("type", "physical");
  j->BeginArray("line").String(a.street_line).EndArray();
  j->String("city", m.name).String("state", "Madrid").String("postalCode", a.postal_code);
  j->String("country", "ES");
  j->BeginObject("period").String("start", FormatIsoDate(a.since));
  if (end)
    j->String("end", FormatIsoDate(*end));
  j->EndObject().EndObject();
}

std::string OrganizationId(const Region& region, bool hospital, int index) {
  return hospital ? region.hospitals[static_cast<size_t>(index)].id
                  : region.centres[static_cast<size_t>(index)].id;
}

void Line(BatchOutput* out, std::string_view type, std::string text) {
  Chunk& chunk = out->At("fhir/" + std::string(type) + ".ndjson");
  chunk.text += text;
  chunk.text += '\n';
  ++chunk.records;
  out->Count("fhir/" + std::string(type));
}

// --- fault helpers: each edits one serialized resource in place -----------------------------

// Removes member `key` (a string or a flat object value) with its separating comma.
bool EraseMember(std::string* line, std::string_view key) {
  const std::string needle = "\"" + std::string(key) + "\":";
  const size_t at = line->find(needle);
  if (at == std::string::npos)
    return false;
  size_t end = at + needle.size();
  if ((*line)[end] == '"') {
    end = line->find('"', end + 1) + 1;
  } else if ((*line)[end] == '{') {
    int depth = 0;
    for (; end < line->size(); ++end) {
      if ((*line)[end] == '{')
        ++depth;
      if ((*line)[end] == '}' && --depth == 0)
        break;
    }
    ++end;
  }
  if ((*line)[end] == ',')
    ++end;
  else if ((*line)[at - 1] == ',')
    return line->erase(at - 1, end - at + 1), true;
  line->erase(at, end - at);
  return true;
}

// Replaces the string value of the first `key` found after `after` (if given).
bool ReplaceValue(std::string* line, std::string_view key, std::string_view value,
                  std::string_view after = {}) {
  size_t from = 0;
  if (!after.empty()) {
    from = line->find(after);
    if (from == std::string::npos)
      return false;
  }
  const std::string needle = "\"" + std::string(key) + "\":\"";
  const size_t at = line->find(needle, from);
  if (at == std::string::npos)
    return false;
  const size_t start = at + needle.size();
  const size_t end = line->find('"', start);
  line->replace(start, end - start, value);
  return true;
}

// Makes the first ISO date (YYYY-MM-DD) in the line impossible: 30 February.
bool BreakFirstDate(std::string* line) {
  for (size_t i = 1; i + 10 < line->size(); ++i) {
    const std::string_view s(line->data() + i, 10);
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if ((*line)[i - 1] == '"' && digit(s[0]) && digit(s[1]) && digit(s[2]) && digit(s[3]) &&
        s[4] == '-' && digit(s[5]) && digit(s[6]) && s[7] == '-' && digit(s[8]) && digit(s[9])) {
      line->replace(i + 5, 5, "02-30");
      return true;
    }
  }
  return false;
}

// The base of fullUrl in transaction bundles (a reserved example domain: the server's own base
// replaces it on load).
constexpr std::string_view kBundleBase = "https://fhir.medlake.example/";

// Collects resources as the entries of one transaction Bundle (PUT Type/id each).
class TransactionBundle {
 public:
  void Add(std::string_view type, std::string_view id, std::string_view resource_json) {
    text_ += entries_ == 0 ? "" : ",";
    text_ += "{\"fullUrl\":\"";
    text_ += kBundleBase;
    text_ += type;
    text_ += '/';
    text_ += id;
    text_ += "\",\"resource\":";
    text_ += resource_json;
    text_ += ",\"request\":{\"method\":\"PUT\",\"url\":\"";
    text_ += type;
    text_ += '/';
    text_ += id;
    text_ += "\"}}";
    ++entries_;
  }
  // Writes the bundle as the whole file `path` of `out`.
  void WriteTo(BatchOutput* out, const std::string& path) {
    Chunk& chunk = out->At(path);
    chunk.whole_file = true;
    chunk.line_records = false;
    chunk.records = entries_;
    chunk.text = "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[" + text_ + "]}\n";
    out->Count("fhir-bundles/transactions");
    out->Count("fhir-bundles/entries", entries_);
  }

 private:
  std::string text_;
  uint64_t entries_ = 0;
};

class FhirRenderer {
 public:
  FhirRenderer(const Region& region, const PatientHistory& h, FhirOutputs outputs,
               uint64_t file_number, FaultInjector* faults, BatchOutput* out)
      : region_(region),
        h_(h),
        outputs_(outputs),
        file_number_(file_number),
        faults_(faults),
        out_(out),
        patient_id_(h.records[0].local_id) {}

  void Render() {
    RenderPatient();
    for (const Encounter& e : h_.encounters)
      RenderEncounter(e);
    for (const Condition& c : h_.conditions)
      RenderCondition(c);
    for (const Observation& o : h_.observations)
      RenderObservation(o);
    for (const MedicationRequest& m : h_.medications)
      RenderMedication(m);
    for (const Immunization& im : h_.immunizations)
      RenderImmunization(im);
    for (const Allergy& a : h_.allergies)
      RenderAllergy(a);
    for (const Procedure& p : h_.procedures)
      RenderProcedure(p);
    for (const ImagingStudy& st : h_.imaging)
      RenderImagingStudy(st);
    for (const MedicationRequest& m : h_.medications) {
      if (m.dispensed)
        RenderDispense(m);
    }
    if (outputs_.bundles) {
      char dir[16];
      std::snprintf(dir, sizeof dir, "%06llu", static_cast<unsigned long long>(file_number_));
      bundle_.WriteTo(out_, "fhir-bundles/" + std::string(dir) + "/" + patient_id_ + ".json");
    }
  }

 private:
  void Emit(std::string_view type, std::string_view id) {
    std::string line = j_.Take();
    j_.Clear();
    if (outputs_.bundles)
      bundle_.Add(type, id, line);
    if (!outputs_.ndjson)
      return;
    Chunk& chunk = out_->At("fhir/" + std::string(type) + ".ndjson");
    if (faults_->Roll()) {
      PendingMark mark;
      mark.record = chunk.records + 1;
      mark.record_id = std::string(type) + "/" + std::string(id);
      const bool patient = type == "Patient";
      // Resources whose `status` is required (erasing it or giving it an unknown code breaks them).
      const bool has_status = type == "Encounter" || type == "Observation" ||
                              type == "MedicationRequest" || type == "Immunization" ||
                              type == "Procedure" || type == "ImagingStudy" ||
                              type == "MedicationDispense";
      switch (faults_->Pick(5)) {
        case 0:
          if (has_status) {
            EraseMember(&line, "status");
            mark.detail = "status";
          } else if (patient) {
            ReplaceValue(&line, "gender", "not-a-gender");
            mark.detail = "gender";
          } else {
            EraseMember(&line, type == "Condition" ? "subject" : "patient");
            mark.detail = type == "Condition" ? "subject" : "patient";
          }
          mark.kind = patient ? "fhir_invalid_code" : "fhir_missing_required";
          break;
        case 1:
          if (patient) {
            ReplaceValue(&line, "gender", "not-a-gender");
            mark.detail = "gender";
          } else if (has_status) {
            ReplaceValue(&line, "status", "not-a-status");
            mark.detail = "status";
          } else {
            ReplaceValue(&line, "code", "not-a-status", "\"clinicalStatus\"");
            mark.detail = "clinicalStatus";
          }
          mark.kind = "fhir_invalid_code";
          break;
        case 2:
          BreakFirstDate(&line);
          mark.kind = "fhir_bad_date";
          mark.detail = "first date";
          break;
        case 3: {
          const size_t at = line.find("\"reference\":\"");
          const size_t slash = line.find('/', at);
          line.insert(slash + 1, "missing-");
          mark.kind = "fhir_broken_reference";
          mark.detail = "first reference";
          break;
        }
        default:
          line.resize(line.size() / 2);
          mark.kind = "fhir_malformed_json";
          mark.detail = "truncated";
          break;
      }
      chunk.faults.push_back(std::move(mark));
    }
    Line(out_, type, std::move(line));
  }

  void RenderPatient() {
    const Person& p = h_.person;
    j_.BeginObject().String("resourceType", "Patient").String("id", patient_id_);
    j_.BeginArray("identifier");
    if (!p.national_id.empty()) {
      const bool nie = p.national_id[0] >= 'X';
      Identifier(&j_, nie ? "nie" : "dni", p.national_id);
    }
    Identifier(&j_, "cip", p.cip);
    if (!p.nuss.empty())
      Identifier(&j_, "nuss", p.nuss);
    j_.EndArray();
    j_.Bool("active", true);
    j_.BeginArray("name");
    HumanName(&j_, p.given, p.surname1, p.surname2);
    j_.EndArray();
    j_.BeginArray("telecom")
        .BeginObject()
        .String("system", "phone")
        .String("value", p.phone)
        .String("use", p.phone[0] == '9' ? "home" : "mobile")
        .EndObject()
        .EndArray();
    j_.String("gender", p.sex == Sex::kFemale ? "female" : "male");
    j_.String("birthDate", FormatIsoDate(p.birth));
    if (p.death)
      j_.String("deceasedDateTime", FormatIsoDate(*p.death));
    j_.BeginArray("address");
    for (size_t i = 0; i < p.addresses.size(); ++i) {
      const bool current = i + 1 == p.addresses.size();
      AddressJson(&j_, p.addresses[i], current ? "home" : "old",
                  current ? std::nullopt : std::optional<Date>(p.addresses[i + 1].since - 1));
    }
    j_.EndArray();
    const Address& now = p.addresses.back();
    j_.BeginArray("generalPractitioner")
        .Reference({}, "Practitioner", region_.practitioners[static_cast<size_t>(p.gp)].id)
        .EndArray();
    j_.Reference("managingOrganization", "Organization",
                 region_.centres[static_cast<size_t>(now.centre)].id);
    const auto& nat = Nationalities()[static_cast<size_t>(p.nationality)];
    j_.BeginArray("extension")
        .BeginObject()
        .String("url", "http://hl7.org/fhir/StructureDefinition/patient-nationality")
        .BeginArray("extension")
        .BeginObject()
        .String("url", "code");
    j_.BeginObject("valueCodeableConcept").BeginArray("coding");
    Coding(&j_, "urn:iso:std:iso:3166", nat.iso3166_alpha2, nat.name_es);
    j_.EndArray().EndObject();
    j_.EndObject().EndArray().EndObject().EndArray();
    j_.EndObject();
    Emit("Patient", patient_id_);
  }

  void RenderEncounter(const Encounter& e) {
    j_.BeginObject().String("resourceType", "Encounter").String("id", e.id);
    j_.String("status", "finished");
    const char* cls = e.cls == EncounterClass::kEmergency   ? "EMER"
                      : e.cls == EncounterClass::kInpatient ? "IMP"
                                                            : "AMB";
    const char* cls_display = e.cls == EncounterClass::kEmergency   ? "emergency"
                              : e.cls == EncounterClass::kInpatient ? "inpatient encounter"
                                                                    : "ambulatory";
    j_.BeginObject("class")
        .String("system", "http://terminology.hl7.org/CodeSystem/v3-ActCode")
        .String("code", cls)
        .String("display", cls_display)
        .EndObject();
    const Practitioner& pr = region_.practitioners[static_cast<size_t>(e.practitioner)];
    j_.BeginObject("serviceType").String("text", pr.specialty).EndObject();
    j_.Reference("subject", "Patient", patient_id_);
    j_.BeginArray("participant")
        .BeginObject()
        .Reference("individual", "Practitioner", pr.id)
        .EndObject()
        .EndArray();
    j_.BeginObject("period")
        .String("start", FormatFhirDateTime(e.start))
        .String("end", FormatFhirDateTime(e.end))
        .EndObject();
    j_.BeginArray("reasonCode");
    CodeableConcept(&j_, {}, "http://hl7.org/fhir/sid/icd-10", e.reason_icd10, e.reason_display);
    j_.EndArray();
    if (e.cls == EncounterClass::kInpatient) {
      j_.BeginObject("hospitalization");
      if (e.admitted_from >= 0) {
        CodeableConcept(&j_, "admitSource", "http://terminology.hl7.org/CodeSystem/admit-source",
                        "emd", "From accident/emergency department");
      }
      CodeableConcept(&j_, "dischargeDisposition",
                      "http://terminology.hl7.org/CodeSystem/discharge-disposition",
                      e.died ? "exp" : "home", e.died ? "Expired" : "Home");
      j_.EndObject();
      j_.BeginArray("location");
      for (size_t s = 0; s < e.stays.size(); ++s) {
        const BedStay& st = e.stays[s];
        j_.BeginObject();
        j_.BeginObject("location")
            .String("display", st.ward + " " + st.room + "-" + st.bed)
            .EndObject();
        j_.String("status", "completed");
        j_.BeginObject("period").String("start", FormatFhirDateTime(st.from));
        j_.String("end", FormatFhirDateTime(s + 1 < e.stays.size() ? e.stays[s + 1].from : e.end));
        j_.EndObject().EndObject();
      }
      j_.EndArray();
    }
    j_.Reference("serviceProvider", "Organization",
                 OrganizationId(region_, e.hospital, e.organization));
    j_.EndObject();
    Emit("Encounter", e.id);
  }

  void RenderCondition(const Condition& c) {
    j_.BeginObject().String("resourceType", "Condition").String("id", c.id);
    const bool resolved = c.abatement.has_value();
    CodeableConcept(&j_, "clinicalStatus",
                    "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    resolved ? "resolved" : "active", {});
    j_.BeginArray("category");
    CodeableConcept(&j_, {}, "http://terminology.hl7.org/CodeSystem/condition-category",
                    c.chronic ? "problem-list-item" : "encounter-diagnosis", {});
    j_.EndArray();
    CodeableConcept(&j_, "code", "http://hl7.org/fhir/sid/icd-10", c.icd10, c.display);
    j_.Reference("subject", "Patient", patient_id_);
    if (c.encounter >= 0) {
      j_.Reference("encounter", "Encounter", h_.encounters[static_cast<size_t>(c.encounter)].id);
    }
    j_.String("onsetDateTime", FormatIsoDate(c.onset));
    if (c.abatement)
      j_.String("abatementDateTime", FormatIsoDate(*c.abatement));
    j_.String("recordedDate", FormatFhirDateTime(c.recorded));
    j_.EndObject();
    Emit("Condition", c.id);
  }

  void RenderObservation(const Observation& o) {
    const bool lab = o.order >= 0;
    j_.BeginObject().String("resourceType", "Observation").String("id", o.id);
    j_.String("status", "final");
    j_.BeginArray("category");
    CodeableConcept(&j_, {}, "http://terminology.hl7.org/CodeSystem/observation-category",
                    lab ? "laboratory" : "vital-signs", {});
    j_.EndArray();
    CodeableConcept(&j_, "code", "http://loinc.org", o.loinc, o.display);
    j_.Reference("subject", "Patient", patient_id_);
    if (o.encounter >= 0) {
      j_.Reference("encounter", "Encounter", h_.encounters[static_cast<size_t>(o.encounter)].id);
    }
    j_.String("effectiveDateTime", FormatFhirDateTime(o.effective));
    Quantity(&j_, "valueQuantity", o.value, o.decimals, o.unit);
    if (!o.flag.empty()) {
      j_.BeginArray("interpretation");
      CodeableConcept(&j_, {}, "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                      o.flag, o.flag == "H" ? "High" : "Low");
      j_.EndArray();
    }
    if (o.low && o.high) {
      // SimpleQuantity with value and unit only: the UCUM code is on valueQuantity already.
      j_.BeginArray("referenceRange").BeginObject();
      j_.BeginObject("low").Number("value", *o.low, o.decimals).String("unit", o.unit).EndObject();
      j_.BeginObject("high").Number("value", *o.high, o.decimals).String("unit", o.unit);
      j_.EndObject().EndObject().EndArray();
    }
    j_.EndObject();
    Emit("Observation", o.id);
  }

  void RenderMedication(const MedicationRequest& m) {
    j_.BeginObject().String("resourceType", "MedicationRequest").String("id", m.id);
    const Date end = DateOf(m.authored) + m.duration_days;
    const Date last = h_.person.death.value_or(end);
    j_.String("status", end < last ? "completed" : (h_.person.death ? "stopped" : "active"));
    j_.String("intent", "order");
    CodeableConcept(&j_, "medicationCodeableConcept", "http://www.whocc.no/atc", m.atc, m.name,
                    m.name);
    j_.Reference("subject", "Patient", patient_id_);
    if (m.encounter >= 0) {
      j_.Reference("encounter", "Encounter", h_.encounters[static_cast<size_t>(m.encounter)].id);
    }
    j_.String("authoredOn", FormatFhirDateTime(m.authored));
    j_.Reference("requester", "Practitioner",
                 region_.practitioners[static_cast<size_t>(m.practitioner)].id);
    if (m.condition >= 0) {
      j_.BeginArray("reasonReference")
          .Reference({}, "Condition", h_.conditions[static_cast<size_t>(m.condition)].id)
          .EndArray();
    }
    j_.BeginArray("dosageInstruction").BeginObject().String("text", m.dose).EndObject().EndArray();
    j_.BeginObject("dispenseRequest").BeginObject("validityPeriod");
    j_.String("start", FormatIsoDate(DateOf(m.authored))).String("end", FormatIsoDate(end));
    j_.EndObject().EndObject();
    j_.EndObject();
    Emit("MedicationRequest", m.id);
  }

  void RenderProcedure(const Procedure& p) {
    j_.BeginObject().String("resourceType", "Procedure").String("id", p.id);
    j_.String("status", "completed");
    CodeableConcept(&j_, "code", "http://snomed.info/sct", p.snomed, p.display);
    j_.Reference("subject", "Patient", patient_id_);
    j_.Reference("encounter", "Encounter", h_.encounters[static_cast<size_t>(p.encounter)].id);
    j_.String("performedDateTime", FormatFhirDateTime(p.performed));
    j_.BeginArray("performer")
        .BeginObject()
        .Reference("actor", "Practitioner",
                   region_.practitioners[static_cast<size_t>(p.practitioner)].id)
        .EndObject()
        .EndArray();
    j_.EndObject();
    Emit("Procedure", p.id);
  }

  void RenderImagingStudy(const ImagingStudy& st) {
    const Encounter& e = h_.encounters[static_cast<size_t>(st.encounter)];
    j_.BeginObject().String("resourceType", "ImagingStudy").String("id", st.id);
    j_.BeginArray("identifier")
        .BeginObject()
        .String("system", "urn:dicom:uid")
        .String("value", "urn:oid:" + st.study_uid)
        .EndObject()
        .EndArray();
    j_.String("status", "available");
    j_.BeginArray("modality");
    Coding(&j_, "http://dicom.nema.org/resources/ontology/DCM", st.modality, {});
    j_.EndArray();
    j_.Reference("subject", "Patient", patient_id_);
    j_.Reference("encounter", "Encounter", e.id);
    j_.String("started", FormatFhirDateTime(st.started));
    j_.Number("numberOfSeries", 1, 0).Number("numberOfInstances", st.instances, 0);
    j_.BeginArray("procedureCode");
    CodeableConcept(&j_, {}, "http://snomed.info/sct", st.snomed, st.display);
    j_.EndArray();
    j_.BeginArray("series").BeginObject().String("uid", st.series_uid).Number("number", 1, 0);
    j_.BeginObject("modality")
        .String("system", "http://dicom.nema.org/resources/ontology/DCM")
        .String("code", st.modality)
        .EndObject();
    j_.Number("numberOfInstances", st.instances, 0);
    j_.String("started", FormatFhirDateTime(st.started));
    j_.EndObject().EndArray();
    j_.EndObject();
    Emit("ImagingStudy", st.id);
  }

  void RenderDispense(const MedicationRequest& m) {
    const std::string id = m.id + "-d";
    j_.BeginObject().String("resourceType", "MedicationDispense").String("id", id);
    j_.String("status", "completed");
    CodeableConcept(&j_, "medicationCodeableConcept", "http://www.whocc.no/atc", m.atc, m.name,
                    m.name);
    j_.Reference("subject", "Patient", patient_id_);
    j_.BeginArray("authorizingPrescription").Reference({}, "MedicationRequest", m.id).EndArray();
    j_.BeginObject("quantity").Number("value", 1, 0).String("unit", m.form).EndObject();
    j_.String("whenHandedOver", FormatFhirDateTime(*m.dispensed));
    j_.EndObject();
    Emit("MedicationDispense", id);
  }

  void RenderImmunization(const Immunization& im) {
    j_.BeginObject().String("resourceType", "Immunization").String("id", im.id);
    j_.String("status", "completed");
    CodeableConcept(&j_, "vaccineCode", "http://hl7.org/fhir/sid/cvx", im.cvx, im.display);
    j_.Reference("patient", "Patient", patient_id_);
    j_.String("occurrenceDateTime", FormatFhirDateTime(im.when));
    j_.Bool("primarySource", true);
    j_.String("lotNumber", im.lot);
    j_.BeginArray("performer")
        .BeginObject()
        .Reference("actor", "Practitioner",
                   region_.practitioners[static_cast<size_t>(im.practitioner)].id)
        .EndObject()
        .EndArray();
    j_.EndObject();
    Emit("Immunization", im.id);
  }

  void RenderAllergy(const Allergy& a) {
    j_.BeginObject().String("resourceType", "AllergyIntolerance").String("id", a.id);
    CodeableConcept(&j_, "clinicalStatus",
                    "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active",
                    {});
    CodeableConcept(&j_, "verificationStatus",
                    "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                    "confirmed", {});
    j_.String("type", "allergy");
    j_.BeginArray("category").String(a.category).EndArray();
    j_.String("criticality", a.criticality);
    CodeableConcept(&j_, "code", "http://snomed.info/sct", a.snomed, a.display);
    j_.Reference("patient", "Patient", patient_id_);
    if (a.encounter >= 0) {
      j_.Reference("encounter", "Encounter", h_.encounters[static_cast<size_t>(a.encounter)].id);
    }
    j_.String("recordedDate", FormatIsoDate(a.recorded));
    j_.EndObject();
    Emit("AllergyIntolerance", a.id);
  }

  const Region& region_;
  const PatientHistory& h_;
  FhirOutputs outputs_;
  uint64_t file_number_;
  FaultInjector* faults_;
  BatchOutput* out_;
  std::string patient_id_;
  JsonBuilder j_;
  TransactionBundle bundle_;
};

}  // namespace

void RenderFhirRegion(const Region& region, FhirOutputs outputs, BatchOutput* out) {
  JsonBuilder j;
  TransactionBundle bundle;
  auto emit = [&](std::string_view type, std::string_view id) {
    std::string text = j.Take();
    j.Clear();
    if (outputs.bundles)
      bundle.Add(type, id, text);
    if (outputs.ndjson)
      Line(out, type, std::move(text));
  };
  auto org = [&](const Organization& o) {
    const bool hospital = o.kind == OrganizationKind::kHospital;
    j.BeginObject().String("resourceType", "Organization").String("id", o.id);
    j.BeginArray("identifier");
    Identifier(&j, "organization", o.id);
    j.EndArray();
    j.Bool("active", true);
    j.BeginArray("type");
    CodeableConcept(&j, {}, "http://terminology.hl7.org/CodeSystem/organization-type", "prov",
                    "Healthcare Provider", hospital ? "Hospital" : "Centro de Salud");
    j.EndArray();
    j.String("name", o.name);
    j.BeginArray("telecom")
        .BeginObject()
        .String("system", "phone")
        .String("value", o.phone)
        .String("use", "work")
        .EndObject()
        .EndArray();
    const auto& m = MadridMunicipalities()[static_cast<size_t>(o.municipality)];
    j.BeginArray("address").BeginObject().String("use", "work");
    j.BeginArray("line").String(o.street).EndArray();
    j.String("city", m.name).String("state", "Madrid").String("postalCode", o.postal_code);
    j.String("country", "ES").EndObject().EndArray();
    j.EndObject();
    emit("Organization", o.id);
  };
  for (const Organization& o : region.hospitals)
    org(o);
  for (const Organization& o : region.centres)
    org(o);
  for (const Practitioner& p : region.practitioners) {
    j.BeginObject().String("resourceType", "Practitioner").String("id", p.id);
    j.BeginArray("identifier");
    Identifier(&j, "licence", p.licence_number);
    j.EndArray();
    j.Bool("active", true);
    j.BeginArray("name");
    HumanName(&j, p.given, p.surname1, p.surname2);
    j.EndArray();
    j.String("gender", p.sex == Sex::kFemale ? "female" : "male");
    j.BeginArray("qualification").BeginObject().BeginObject("code").String("text", p.specialty);
    j.EndObject().EndObject().EndArray();
    j.EndObject();
    emit("Practitioner", p.id);
  }
  if (outputs.bundles)
    bundle.WriteTo(out, "fhir-bundles/region.json");
}

void RenderFhir(const Region& region, const PatientHistory& history, FhirOutputs outputs,
                uint64_t file_number, FaultInjector* faults, BatchOutput* out) {
  FhirRenderer(region, history, outputs, file_number, faults, out).Render();
}

}  // namespace medlake::synth
