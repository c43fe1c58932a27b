#include "server/fhir/fhir_resources_internal.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "core/civil_date.h"
#include "server/fhir/fhir_ids.h"

namespace medlake::server::fhir::internal {
namespace {

constexpr std::string_view kAbsentReasonUrl = "http://hl7.org/fhir/StructureDefinition/data-absent-reason";
constexpr std::string_view kAbsentReasonSystem = "http://terminology.hl7.org/CodeSystem/data-absent-reason";
constexpr std::string_view kOrganizationSystem = "urn:medlake:organization";
constexpr std::string_view kPractitionerSystem = "urn:medlake:practitioner";
constexpr std::string_view kLocationSystem = "urn:medlake:location";

// HL7 v2 table 0396 names the HL7 side may store, and their FHIR URIs.
const std::vector<std::pair<std::string_view, std::string_view>>& KnownSystems() {
  static const auto* systems = new std::vector<std::pair<std::string_view, std::string_view>>{
      {"LN", "http://loinc.org"},          {"SCT", "http://snomed.info/sct"},
      {"SNM", "http://snomed.info/sct"},   {"I10", "http://hl7.org/fhir/sid/icd-10"},
      {"CVX", "http://hl7.org/fhir/sid/cvx"}, {"WHOATC", "http://www.whocc.no/atc"},
      {"UCUM", "http://unitsofmeasure.org"},
  };
  return *systems;
}

bool Digits(std::string_view s, size_t from, size_t n) {
  if (from + n > s.size()) return false;
  for (size_t i = from; i < from + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

bool IsDateText(std::string_view s) {
  return s.size() == 10 && Digits(s, 0, 4) && s[4] == '-' && Digits(s, 5, 2) && s[7] == '-' && Digits(s, 8, 2);
}

std::optional<std::string> Text(const Row& row, std::string_view column) {
  auto t = row.Text(column);
  if (t && t->empty()) return std::nullopt;
  return t;
}

// `value` when it is one of `allowed`, else `fallback` (which may be empty: leave it out).
std::string OneOf(const std::optional<std::string>& value, std::initializer_list<std::string_view> allowed,
                  std::string_view fallback) {
  if (value) {
    for (auto a : allowed) {
      if (*value == a) return *value;
    }
  }
  return std::string(fallback);
}

void SetIf(Json* j, const char* key, const std::optional<std::string>& v) {
  if (v) (*j)[key] = *v;
}

// A CodeableConcept; nullopt when there is nothing to say (and `required` is false).
std::optional<Json> Concept(const std::optional<std::string>& system, const std::optional<std::string>& code,
                            const std::optional<std::string>& display, bool required) {
  if (!code && !display) {
    if (!required) return std::nullopt;
    return Json{{"coding", Json::array({Json{{"system", kAbsentReasonSystem}, {"code", "unknown"}}})}};
  }
  Json coding = Json::object();
  if (system && code) coding["system"] = CodeSystemUri(*system);
  if (code) coding["code"] = *code;
  if (display) coding["display"] = *display;
  Json cc = Json::object();
  if (code) {
    cc["coding"] = Json::array({coding});
    if (display) cc["text"] = *display;
  } else {
    cc["text"] = *display;
  }
  return cc;
}

// A CodeableConcept with one coding of a fixed system (status-like codes).
Json FixedConcept(std::string_view system, const std::string& code) {
  return Json{{"coding", Json::array({Json{{"system", system}, {"code", code}}})}};
}

Json LogicalReference(std::string_view system, const std::string& value) {
  return Json{{"identifier", Json{{"system", system}, {"value", value}}}};
}

// The subject/patient reference of a clinical row: the enterprise person when the record is
// linked (and the link readable), else the source record by identifier.
std::optional<Json> PatientReference(const Row& row) {
  auto person = row.Text("_person_id");
  if (person) return Json{{"reference", "Patient/" + *person}};
  auto key = Text(row, "patient_source_key");
  if (key) return LogicalReference(kSourceRecordSystem, *key);
  return std::nullopt;
}

std::optional<Json> EncounterReference(const Row& row) {
  auto key = Text(row, "encounter_source_key");
  if (!key) return std::nullopt;
  return Json{{"reference", "Encounter/" + EncodeSourceKey(*key)}};
}

std::string StripPrefix(std::string value, std::string_view prefix) {
  if (value.compare(0, prefix.size(), prefix) == 0) value.erase(0, prefix.size());
  return value;
}

// id, meta: the start of every clinical resource.
Json Start(std::string_view type, const Row& row) {
  Json j = ObjectWithRoom(16);
  j["resourceType"] = type;
  j["id"] = EncodeSourceKey(row.Text("source_key").value_or(""));
  auto updated = FhirDateTime(row.Get("record_time"), false);
  if (updated) j["meta"] = Json{{"lastUpdated", *updated}};
  return j;
}

void SetSubject(Json* j, const char* element, const Row& row, bool required) {
  auto ref = PatientReference(row);
  if (ref) {
    (*j)[element] = *ref;
  } else if (required) {
    (*j)[element] = Json{{"display", "unknown"}};
  }
}

void SetDateTime(Json* j, const char* key, const Row& row, std::string_view column) {
  auto v = FhirDateTime(row.Get(column), true);
  if (v) (*j)[key] = *v;
}

std::optional<Json> Number(const engine::Value& v) {
  switch (v.kind) {
    case engine::Value::Kind::kDouble:
      if (!std::isfinite(v.d)) return std::nullopt;
      return Json(v.d);
    case engine::Value::Kind::kInt: return Json(v.i);
    case engine::Value::Kind::kUInt: return Json(v.u);
    default: return std::nullopt;
  }
}

Json BuildObservation(const Row& row) {
  Json j = Start("Observation", row);
  j["status"] = OneOf(Text(row, "status"),
                      {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error",
                       "unknown"},
                      "unknown");
  j["code"] = *Concept(Text(row, "code_system"), Text(row, "code"), Text(row, "display"), true);
  SetSubject(&j, "subject", row, false);
  SetDateTime(&j, "effectiveDateTime", row, "effective_time");
  auto unit = Text(row, "unit");
  auto number = Number(row.Get("value_number"));
  if (number) {
    Json q{{"value", *number}};
    if (unit) {
      q["unit"] = *unit;
      q["system"] = "http://unitsofmeasure.org";
      q["code"] = *unit;
    }
    j["valueQuantity"] = std::move(q);
  } else if (auto text = Text(row, "value_text")) {
    j["valueString"] = *text;
  }
  auto interpretation = Text(row, "interpretation");
  if (interpretation) {
    j["interpretation"] = Json::array(
        {FixedConcept("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", *interpretation)});
  }
  auto low = Number(row.Get("reference_low"));
  auto high = Number(row.Get("reference_high"));
  if (low || high) {
    Json range = Json::object();
    auto quantity = [&](const Json& value) {
      Json q{{"value", value}};
      if (unit) {
        q["unit"] = *unit;
        q["system"] = "http://unitsofmeasure.org";
        q["code"] = *unit;
      }
      return q;
    };
    if (low) range["low"] = quantity(*low);
    if (high) range["high"] = quantity(*high);
    j["referenceRange"] = Json::array({range});
  }
  return j;
}

Json BuildCondition(const Row& row) {
  Json j = Start("Condition", row);
  std::string clinical =
      OneOf(Text(row, "clinical_status"), {"active", "recurrence", "relapse", "inactive", "remission", "resolved"}, "");
  if (!clinical.empty()) {
    j["clinicalStatus"] = FixedConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", clinical);
  }
  std::string category = OneOf(Text(row, "category"), {"problem-list-item", "encounter-diagnosis"}, "");
  if (!category.empty()) {
    j["category"] =
        Json::array({FixedConcept("http://terminology.hl7.org/CodeSystem/condition-category", category)});
  }
  auto code = Concept(Text(row, "code_system"), Text(row, "code"), Text(row, "display"), false);
  if (code) j["code"] = *code;
  SetSubject(&j, "subject", row, true);
  if (auto e = EncounterReference(row)) j["encounter"] = *e;
  SetDateTime(&j, "onsetDateTime", row, "onset_date");
  // con-4: an abatement only goes with a clinical status that allows it.
  if (clinical == "inactive" || clinical == "resolved" || clinical == "remission") {
    SetDateTime(&j, "abatementDateTime", row, "abatement_date");
  }
  return j;
}

Json BuildEncounter(const Row& row) {
  Json j = Start("Encounter", row);
  j["status"] = OneOf(Text(row, "status"),
                      {"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled",
                       "entered-in-error", "unknown"},
                      "unknown");
  auto cls = Text(row, "class");
  j["class"] = cls ? Json{{"system", "http://terminology.hl7.org/CodeSystem/v3-ActCode"}, {"code", *cls}}
                   : Json{{"system", "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"}, {"code", "UNK"}};
  SetSubject(&j, "subject", row, false);
  Json period = Json::object();
  if (auto s = FhirDateTime(row.Get("start_time"), true)) period["start"] = *s;
  if (auto e = FhirDateTime(row.Get("end_time"), true)) period["end"] = *e;
  if (!period.empty()) j["period"] = period;
  if (auto reason = Text(row, "reason_code")) j["reasonCode"] = Json::array({Json{{"coding", Json::array({Json{{"code", *reason}}})}}});
  if (auto disposition = Text(row, "discharge_disposition")) {
    j["hospitalization"] =
        Json{{"dischargeDisposition", Json{{"coding", Json::array({Json{{"code", *disposition}}})}}}};
  }
  if (auto org = Text(row, "organization")) {
    j["serviceProvider"] = LogicalReference(kOrganizationSystem, StripPrefix(*org, "Organization/"));
  }
  return j;
}

Json BuildMedicationRequest(const Row& row) {
  Json j = Start("MedicationRequest", row);
  j["status"] = OneOf(Text(row, "status"),
                      {"active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped", "draft", "unknown"},
                      "unknown");
  j["intent"] = OneOf(Text(row, "intent"),
                      {"proposal", "plan", "order", "original-order", "reflex-order", "filler-order", "instance-order",
                       "option"},
                      "order");
  j["medicationCodeableConcept"] = *Concept(Text(row, "code_system"), Text(row, "code"), Text(row, "display"), true);
  SetSubject(&j, "subject", row, true);
  if (auto e = EncounterReference(row)) j["encounter"] = *e;
  SetDateTime(&j, "authoredOn", row, "authored_time");
  if (auto requester = Text(row, "requester")) j["requester"] = LogicalReference(kPractitionerSystem, *requester);
  Json dosage = Json::object();
  if (auto text = Text(row, "dosage_text")) dosage["text"] = *text;
  if (auto route = Text(row, "route_code")) dosage["route"] = Json{{"coding", Json::array({Json{{"code", *route}}})}};
  if (!dosage.empty()) j["dosageInstruction"] = Json::array({dosage});
  Json validity = Json::object();
  if (auto s = FhirDate(row.Get("validity_start"))) validity["start"] = *s;
  if (auto e = FhirDate(row.Get("validity_end"))) validity["end"] = *e;
  if (!validity.empty()) j["dispenseRequest"] = Json{{"validityPeriod", validity}};
  return j;
}

Json BuildProcedure(const Row& row) {
  Json j = Start("Procedure", row);
  j["status"] = OneOf(Text(row, "status"),
                      {"preparation", "in-progress", "not-done", "on-hold", "stopped", "completed", "entered-in-error",
                       "unknown"},
                      "unknown");
  auto code = Concept(Text(row, "code_system"), Text(row, "code"), Text(row, "display"), false);
  if (code) j["code"] = *code;
  SetSubject(&j, "subject", row, true);
  if (auto e = EncounterReference(row)) j["encounter"] = *e;
  auto start = FhirDateTime(row.Get("start_time"), true);
  auto end = FhirDateTime(row.Get("end_time"), true);
  if (end) {
    Json period = Json::object();
    if (start) period["start"] = *start;
    period["end"] = *end;
    j["performedPeriod"] = period;
  } else if (start) {
    j["performedDateTime"] = *start;
  }
  if (auto performer = Text(row, "performer")) {
    j["performer"] = Json::array({Json{{"actor", LogicalReference(kPractitionerSystem, *performer)}}});
  }
  return j;
}

Json BuildAllergyIntolerance(const Row& row) {
  Json j = Start("AllergyIntolerance", row);
  std::string clinical = OneOf(Text(row, "clinical_status"), {"active", "inactive", "resolved"}, "");
  std::string verification =
      OneOf(Text(row, "verification_status"), {"unconfirmed", "confirmed", "refuted", "entered-in-error"}, "");
  if (!clinical.empty() && verification != "entered-in-error") {  // ait-1, ait-2
    j["clinicalStatus"] =
        FixedConcept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", clinical);
  }
  if (!verification.empty()) {
    j["verificationStatus"] =
        FixedConcept("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", verification);
  }
  std::string type = OneOf(Text(row, "type"), {"allergy", "intolerance"}, "");
  if (!type.empty()) j["type"] = type;
  std::string category = OneOf(Text(row, "category"), {"food", "medication", "environment", "biologic"}, "");
  if (!category.empty()) j["category"] = Json::array({category});
  std::string criticality = OneOf(Text(row, "criticality"), {"low", "high", "unable-to-assess"}, "");
  if (!criticality.empty()) j["criticality"] = criticality;
  auto code = Concept(Text(row, "code_system"), Text(row, "code"), Text(row, "display"), false);
  if (code) j["code"] = *code;
  SetSubject(&j, "patient", row, true);
  if (auto e = EncounterReference(row)) j["encounter"] = *e;
  SetDateTime(&j, "recordedDate", row, "recorded_date");
  return j;
}

Json BuildImmunization(const Row& row) {
  Json j = Start("Immunization", row);
  j["status"] = OneOf(Text(row, "status"), {"completed", "entered-in-error", "not-done"}, "completed");
  j["vaccineCode"] = *Concept(Text(row, "code_system"), Text(row, "code"), Text(row, "display"), true);
  SetSubject(&j, "patient", row, true);
  if (auto e = EncounterReference(row)) j["encounter"] = *e;
  auto when = FhirDateTime(row.Get("occurrence_time"), true);
  if (when) {
    j["occurrenceDateTime"] = *when;
  } else {
    j["occurrenceString"] = "unknown";  // occurrence[x] is 1..1
  }
  if (auto location = Text(row, "location")) j["location"] = LogicalReference(kLocationSystem, *location);
  if (auto lot = Text(row, "lot_number")) j["lotNumber"] = *lot;
  if (auto performer = Text(row, "performer")) {
    j["performer"] = Json::array({Json{{"actor", LogicalReference(kPractitionerSystem, *performer)}}});
  }
  return j;
}

ParamSpec Patient(std::string name) {
  return {std::move(name), ParamKind::kPatient, "patient_source_key",
          "Patient/{id} or {id}: the enterprise person; matches the records of every linked source record"};
}

// urn:medlake:hl7:<authority>: letters, digits and -._ kept; other bytes %XX (RFC 8141 NSS).
std::string AuthoritySystem(std::string_view authority) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out(kHl7AuthorityPrefix);
  for (char c : authority) {
    bool plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
                 c == '.' || c == '_';
    if (plain) {
      out += c;
    } else {
      auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    }
  }
  return out;
}

}  // namespace

const std::vector<ResourceSpec>& ClinicalSpecs() {
  static const auto* specs = new std::vector<ResourceSpec>{
      {"Encounter",
       "normalized.encounter",
       "start_time",
       {Patient("patient"), Patient("subject"),
        {"date", ParamKind::kDate, "start_time", "Encounter.period.start (the lake keeps the period's start and end)"},
        {"class", ParamKind::kToken, "class", "Encounter.class code (AMB, EMER, IMP, ...)"},
        {"status", ParamKind::kToken, "status", "Encounter.status"},
        {"reason-code", ParamKind::kToken, "reason_code", "Encounter.reasonCode code"}},
       &BuildEncounter},
      {"Observation",
       "normalized.observation",
       "effective_time",
       {Patient("patient"), Patient("subject"), {"code", ParamKind::kCode, "code", "Observation.code: system|code"},
        {"date", ParamKind::kDate, "effective_time", "Observation.effectiveDateTime"},
        {"status", ParamKind::kToken, "status", "Observation.status"}},
       &BuildObservation},
      {"Condition",
       "normalized.condition",
       "onset_date",
       {Patient("patient"), Patient("subject"), {"code", ParamKind::kCode, "code", "Condition.code: system|code"},
        {"onset-date", ParamKind::kDate, "onset_date", "Condition.onsetDateTime"},
        {"date", ParamKind::kDate, "onset_date", "alias of onset-date (R4 Condition has no date parameter)"},
        {"clinical-status", ParamKind::kToken, "clinical_status", "Condition.clinicalStatus code"}},
       &BuildCondition},
      {"MedicationRequest",
       "normalized.medication_request",
       "authored_time",
       {Patient("patient"), Patient("subject"),
        {"code", ParamKind::kCode, "code", "MedicationRequest.medicationCodeableConcept: system|code"},
        {"authoredon", ParamKind::kDate, "authored_time", "MedicationRequest.authoredOn"},
        {"date", ParamKind::kDate, "authored_time",
         "MedicationRequest.authoredOn (the lake keeps no dosage timing events)"},
        {"status", ParamKind::kToken, "status", "MedicationRequest.status"},
        {"intent", ParamKind::kToken, "intent", "MedicationRequest.intent"}},
       &BuildMedicationRequest},
      {"Procedure",
       "normalized.procedure",
       "start_time",
       {Patient("patient"), Patient("subject"), {"code", ParamKind::kCode, "code", "Procedure.code: system|code"},
        {"date", ParamKind::kDate, "start_time", "Procedure.performed (start)"},
        {"status", ParamKind::kToken, "status", "Procedure.status"}},
       &BuildProcedure},
      {"AllergyIntolerance",
       "normalized.allergy_intolerance",
       "recorded_date",
       {Patient("patient"), {"code", ParamKind::kCode, "code", "AllergyIntolerance.code: system|code"},
        {"date", ParamKind::kDate, "recorded_date", "AllergyIntolerance.recordedDate"},
        {"clinical-status", ParamKind::kToken, "clinical_status", "AllergyIntolerance.clinicalStatus code"}},
       &BuildAllergyIntolerance},
      {"Immunization",
       "normalized.immunization",
       "occurrence_time",
       {Patient("patient"), {"vaccine-code", ParamKind::kCode, "code", "Immunization.vaccineCode: system|code"},
        {"date", ParamKind::kDate, "occurrence_time", "Immunization.occurrenceDateTime"},
        {"status", ParamKind::kToken, "status", "Immunization.status"}},
       &BuildImmunization},
  };
  return *specs;
}

const ResourceSpec* FindClinicalSpec(std::string_view resource) {
  for (const auto& s : ClinicalSpecs()) {
    if (s.resource == resource) return &s;
  }
  return nullptr;
}

std::optional<std::string> FhirDate(const engine::Value& v) {
  if (v.kind != engine::Value::Kind::kText) return std::nullopt;
  if (IsDateText(v.s)) return v.s;
  return std::nullopt;
}

std::optional<std::string> FhirDateTime(const engine::Value& v, bool allow_date) {
  if (v.kind != engine::Value::Kind::kText) return std::nullopt;
  const std::string& s = v.s;
  if (IsDateText(s)) {
    if (allow_date) return s;
    return std::nullopt;
  }
  // DuckDB's TIMESTAMPTZ text: YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM]
  if (s.size() < 22 || !IsDateText(s.substr(0, 10)) || s[10] != ' ' || !Digits(s, 11, 2) || s[13] != ':' ||
      !Digits(s, 14, 2) || s[16] != ':' || !Digits(s, 17, 2)) {
    return std::nullopt;
  }
  size_t pos = 19;
  std::string out = s.substr(0, 10) + "T" + s.substr(11, 8);
  if (pos < s.size() && s[pos] == '.') {
    size_t end = pos + 1;
    while (end < s.size() && s[end] >= '0' && s[end] <= '9') ++end;
    if (end == pos + 1) return std::nullopt;
    out += s.substr(pos, end - pos);
    pos = end;
  }
  if (pos >= s.size() || (s[pos] != '+' && s[pos] != '-') || !Digits(s, pos + 1, 2)) return std::nullopt;
  std::string hours = s.substr(pos + 1, 2);
  std::string minutes = "00";
  size_t end = pos + 3;
  if (end < s.size()) {
    if (s[end] != ':' || !Digits(s, end + 1, 2) || end + 3 != s.size()) return std::nullopt;
    minutes = s.substr(end + 1, 2);
  }
  if (hours == "00" && minutes == "00") return out + "Z";
  return out + s[pos] + hours + ":" + minutes;
}

std::optional<int64_t> InstantMicros(const engine::Value& v) {
  if (v.kind != engine::Value::Kind::kText) return std::nullopt;
  std::string_view s = v.s;
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadFixedDigits(s, &pos, 4, &year) || pos >= s.size() || s[pos++] != '-' ||
      !ReadFixedDigits(s, &pos, 2, &month) || pos >= s.size() || s[pos++] != '-' ||
      !ReadFixedDigits(s, &pos, 2, &day) || pos >= s.size() || s[pos++] != ' ' ||
      !ReadFixedDigits(s, &pos, 2, &hour) || pos >= s.size() || s[pos++] != ':' ||
      !ReadFixedDigits(s, &pos, 2, &minute) || pos >= s.size() || s[pos++] != ':' ||
      !ReadFixedDigits(s, &pos, 2, &second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 || minute > 59 ||
      second > 59) {
    return std::nullopt;
  }
  int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    int digits = 0;
    for (++pos; pos < s.size() && IsAsciiDigit(s[pos]); ++pos, ++digits) {
      if (digits < 6) micros = micros * 10 + (s[pos] - '0');
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 6; ++digits) micros *= 10;
  }
  int offset_hours = 0, offset_minutes = 0;
  if (pos >= s.size() || (s[pos] != '+' && s[pos] != '-')) return std::nullopt;
  const int sign = s[pos++] == '-' ? -1 : 1;
  if (!ReadFixedDigits(s, &pos, 2, &offset_hours)) return std::nullopt;
  if (pos < s.size() && (s[pos++] != ':' || !ReadFixedDigits(s, &pos, 2, &offset_minutes))) return std::nullopt;
  if (pos != s.size() || offset_minutes > 59) return std::nullopt;
  const int64_t local_seconds = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  const int64_t offset_seconds = sign * (offset_hours * 3600 + offset_minutes * 60);
  return (local_seconds - offset_seconds) * 1000000 + micros;
}

std::string CodeSystemUri(std::string_view stored) {
  if (stored.find(':') != std::string_view::npos) return std::string(stored);
  for (const auto& [name, uri] : KnownSystems()) {
    if (stored == name) return std::string(uri);
  }
  std::string out(kCodeSystemPrefix);
  for (char c : stored) {
    bool plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '.';
    out += plain ? c : '_';
  }
  return out;
}

std::vector<std::string> StoredCodeSystems(std::string_view uri) {
  std::vector<std::string> out{std::string(uri)};
  for (const auto& [name, known] : KnownSystems()) {
    if (uri == known) out.emplace_back(name);
  }
  if (uri.substr(0, kCodeSystemPrefix.size()) == kCodeSystemPrefix) {
    out.emplace_back(uri.substr(kCodeSystemPrefix.size()));
  }
  return out;
}

std::string CodeTokenSql(const TokenValue& token) {
  std::string cond;
  if (token.system_given) {
    if (token.system.empty()) {
      cond = "t.code_system IS NULL";
    } else {
      std::string list;
      for (const auto& s : StoredCodeSystems(token.system)) list += (list.empty() ? "" : ", ") + SqlLiteral(s);
      cond = "t.code_system IN (" + list + ")";
    }
  }
  if (!token.code.empty()) {
    cond += (cond.empty() ? "" : " AND ") + std::string("t.code = ") + SqlLiteral(token.code);
  }
  return cond.empty() ? "TRUE" : "(" + cond + ")";
}

Json BuildPatient(int64_t person_id, const std::vector<Row>& records) {
  Json j = ObjectWithRoom(16);
  j["resourceType"] = "Patient";
  j["id"] = std::to_string(person_id);
  // The newest record's time, compared as instants: as text, "10:00:00.5Z" would sort before
  // "10:00:00Z", and two offsets would not compare at all.
  std::string last_updated;
  std::optional<int64_t> newest;
  for (const auto& r : records) {
    const engine::Value& time = r.Get("record_time");
    auto at = InstantMicros(time);
    if (!at || (newest && *at <= *newest)) continue;
    auto t = FhirDateTime(time, false);
    if (!t) continue;
    newest = at;
    last_updated = std::move(*t);
  }
  if (!last_updated.empty()) j["meta"] = Json{{"lastUpdated", last_updated}};

  Json identifiers = Json::array();
  std::set<std::pair<std::string, std::string>> seen;
  // use: national identifiers "official", the source systems' record numbers "usual", the lake's
  // source record keys "secondary".
  auto add_identifier = [&](std::string system, const std::optional<std::string>& value, std::string_view type) {
    if (!value) return;
    if (!seen.insert({system, *value}).second) return;
    std::string_view use = type.empty() ? "secondary" : type == "MR" ? "usual" : "official";
    Json id{{"use", use}};
    if (!type.empty()) {
      id["type"] = FixedConcept("http://terminology.hl7.org/CodeSystem/v2-0203", std::string(type));
    }
    id["system"] = std::move(system);
    id["value"] = *value;
    identifiers.push_back(std::move(id));
  };
  for (const auto& r : records) {
    auto key = Text(r, "source_key");
    add_identifier(std::string(kSourceRecordSystem), key, "");
    auto local = Text(r, "local_id");
    if (Text(r, "source_kind").value_or("") == "fhir") {
      add_identifier(std::string(kFhirPatientSystem), local, "MR");
    } else if (local) {
      auto authority = Text(r, "assigning_authority");
      if (!authority) authority = Text(r, "source_system");
      if (authority) add_identifier(AuthoritySystem(*authority), local, "MR");
    }
    auto national = Text(r, "national_id");
    if (national) {
      char first = (*national)[0];
      bool nie = first == 'X' || first == 'Y' || first == 'Z';
      add_identifier(std::string(nie ? kNieSystem : kDniSystem), national, "NI");
    }
    add_identifier(std::string(kCipSystem), Text(r, "health_card_id"), "JHN");
    add_identifier(std::string(kNussSystem), Text(r, "social_security_id"), "SS");
  }
  if (!identifiers.empty()) j["identifier"] = std::move(identifiers);
  j["active"] = true;

  Json names = Json::array();
  Json telecom = Json::array();
  Json addresses = Json::array();
  std::set<std::pair<std::string, std::string>> seen_names, seen_addresses;
  std::set<std::string> seen_phones;
  std::optional<std::string> gender, birth, death;
  bool birth_masked = false;
  for (const auto& r : records) {
    auto family = Text(r, "family_name");
    auto given = Text(r, "given_name");
    if ((family || given) && seen_names.insert({family.value_or(""), given.value_or("")}).second) {
      Json name = Json::object();
      if (names.empty()) name["use"] = "official";
      if (family) name["family"] = *family;
      if (given) name["given"] = Json::array({*given});
      names.push_back(std::move(name));
    }
    auto phone = Text(r, "phone");
    if (phone && seen_phones.insert(*phone).second) telecom.push_back(Json{{"system", "phone"}, {"value", *phone}});
    auto city = Text(r, "municipality");
    auto postal = Text(r, "postal_code");
    if ((city || postal) && seen_addresses.insert({city.value_or(""), postal.value_or("")}).second) {
      Json address = Json::object();
      SetIf(&address, "city", city);
      SetIf(&address, "postalCode", postal);
      addresses.push_back(std::move(address));
    }
    if (!gender) {
      std::string g = OneOf(Text(r, "sex"), {"male", "female", "other", "unknown"}, "");
      if (!g.empty()) gender = g;
    }
    if (!birth) {
      const engine::Value& b = r.Get("birth_date");
      birth = FhirDate(b);
      if (!birth && !b.is_null()) birth_masked = true;
    }
    if (!death) death = FhirDate(r.Get("death_date"));
  }
  // The newest record's name is the official one; the other records' spellings follow.
  if (!names.empty()) j["name"] = std::move(names);
  if (!telecom.empty()) j["telecom"] = std::move(telecom);
  if (gender) j["gender"] = *gender;
  if (birth) {
    j["birthDate"] = *birth;
  } else if (birth_masked) {
    j["_birthDate"] =
        Json{{"extension", Json::array({Json{{"url", kAbsentReasonUrl}, {"valueCode", "masked"}}})}};
  }
  if (death) j["deceasedDateTime"] = *death;
  if (!addresses.empty()) j["address"] = std::move(addresses);
  return j;
}

Json ObjectWithRoom(size_t keys) {
  Json j = Json::object();
  j.get_ref<Json::object_t&>().reserve(keys);
  return j;
}

Json BuildRetiredPatient(int64_t retired_id, int64_t survivor) {
  Json j;
  j["resourceType"] = "Patient";
  j["id"] = std::to_string(retired_id);
  j["active"] = false;
  j["link"] = Json::array(
      {Json{{"other", Json{{"reference", "Patient/" + std::to_string(survivor)}}}, {"type", "replaced-by"}}});
  return j;
}

Json OperationOutcome(std::string_view severity, std::string_view code, std::string_view text) {
  Json j;
  j["resourceType"] = "OperationOutcome";
  j["issue"] = Json::array({Json{{"severity", severity}, {"code", code}, {"diagnostics", text}}});
  return j;
}

}  // namespace medlake::server::fhir::internal
