#include "ingest/fhir/fhir_resource.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <string>

namespace medlake::ingest::fhir {
namespace {

namespace dom = simdjson::dom;

// FHIR R4 (4.0.1) concrete resource types (code system resource-types without the abstract
// Resource and DomainResource), https://hl7.org/fhir/R4/resourcelist.html. Sorted (ASCII).
constexpr std::array<std::string_view, 146> kResourceTypes = {
    "Account",
    "ActivityDefinition",
    "AdverseEvent",
    "AllergyIntolerance",
    "Appointment",
    "AppointmentResponse",
    "AuditEvent",
    "Basic",
    "Binary",
    "BiologicallyDerivedProduct",
    "BodyStructure",
    "Bundle",
    "CapabilityStatement",
    "CarePlan",
    "CareTeam",
    "CatalogEntry",
    "ChargeItem",
    "ChargeItemDefinition",
    "Claim",
    "ClaimResponse",
    "ClinicalImpression",
    "CodeSystem",
    "Communication",
    "CommunicationRequest",
    "CompartmentDefinition",
    "Composition",
    "ConceptMap",
    "Condition",
    "Consent",
    "Contract",
    "Coverage",
    "CoverageEligibilityRequest",
    "CoverageEligibilityResponse",
    "DetectedIssue",
    "Device",
    "DeviceDefinition",
    "DeviceMetric",
    "DeviceRequest",
    "DeviceUseStatement",
    "DiagnosticReport",
    "DocumentManifest",
    "DocumentReference",
    "EffectEvidenceSynthesis",
    "Encounter",
    "Endpoint",
    "EnrollmentRequest",
    "EnrollmentResponse",
    "EpisodeOfCare",
    "EventDefinition",
    "Evidence",
    "EvidenceVariable",
    "ExampleScenario",
    "ExplanationOfBenefit",
    "FamilyMemberHistory",
    "Flag",
    "Goal",
    "GraphDefinition",
    "Group",
    "GuidanceResponse",
    "HealthcareService",
    "ImagingStudy",
    "Immunization",
    "ImmunizationEvaluation",
    "ImmunizationRecommendation",
    "ImplementationGuide",
    "InsurancePlan",
    "Invoice",
    "Library",
    "Linkage",
    "List",
    "Location",
    "Measure",
    "MeasureReport",
    "Media",
    "Medication",
    "MedicationAdministration",
    "MedicationDispense",
    "MedicationKnowledge",
    "MedicationRequest",
    "MedicationStatement",
    "MedicinalProduct",
    "MedicinalProductAuthorization",
    "MedicinalProductContraindication",
    "MedicinalProductIndication",
    "MedicinalProductIngredient",
    "MedicinalProductInteraction",
    "MedicinalProductManufactured",
    "MedicinalProductPackaged",
    "MedicinalProductPharmaceutical",
    "MedicinalProductUndesirableEffect",
    "MessageDefinition",
    "MessageHeader",
    "MolecularSequence",
    "NamingSystem",
    "NutritionOrder",
    "Observation",
    "ObservationDefinition",
    "OperationDefinition",
    "OperationOutcome",
    "Organization",
    "OrganizationAffiliation",
    "Parameters",
    "Patient",
    "PaymentNotice",
    "PaymentReconciliation",
    "Person",
    "PlanDefinition",
    "Practitioner",
    "PractitionerRole",
    "Procedure",
    "Provenance",
    "Questionnaire",
    "QuestionnaireResponse",
    "RelatedPerson",
    "RequestGroup",
    "ResearchDefinition",
    "ResearchElementDefinition",
    "ResearchStudy",
    "ResearchSubject",
    "RiskAssessment",
    "RiskEvidenceSynthesis",
    "Schedule",
    "SearchParameter",
    "ServiceRequest",
    "Slot",
    "Specimen",
    "SpecimenDefinition",
    "StructureDefinition",
    "StructureMap",
    "Subscription",
    "Substance",
    "SubstanceNucleicAcid",
    "SubstancePolymer",
    "SubstanceProtein",
    "SubstanceReferenceInformation",
    "SubstanceSourceMaterial",
    "SubstanceSpecification",
    "SupplyDelivery",
    "SupplyRequest",
    "Task",
    "TerminologyCapabilities",
    "TestReport",
    "TestScript",
    "ValueSet",
    "VerificationResult",
    "VisionPrescription",
};

// Elements giving the effective time, in the order of preference ("a.b" = element b of a).
constexpr std::array<std::string_view, 12> kEffectivePaths = {
    "effectiveDateTime",
    "effectivePeriod.start",
    "effectiveInstant",
    "issued",
    "period.start",
    "onsetDateTime",
    "authoredOn",
    "occurrenceDateTime",
    "recordedDate",
    "performedDateTime",
    "performedPeriod.start",
    "date",
};

// Elements that may reference the patient, in order of preference.
constexpr std::array<std::string_view, 3> kPatientElements = {"subject", "patient", "beneficiary"};

Status Reject(std::string reason) { return InvalidArgument(std::move(reason)); }

// Looks up `path` ("a" or "a.b"). Returns false when absent (or when "a" is not an object, which
// the caller reports through the element's own type check).
bool Lookup(const dom::object& obj, std::string_view path, dom::element* out, bool* bad_parent) {
  *bad_parent = false;
  const size_t dot = path.find('.');
  dom::element el;
  if (obj.at_key(path.substr(0, dot)).get(el) != simdjson::SUCCESS) {
    return false;
  }
  if (dot == std::string_view::npos) {
    *out = el;
    return true;
  }
  dom::object parent;
  if (el.get_object().get(parent) != simdjson::SUCCESS) {
    *bad_parent = true;
    return true;
  }
  return parent.at_key(path.substr(dot + 1)).get(*out) == simdjson::SUCCESS;
}

// "Patient/x", "http://host/fhir/Patient/x", "Patient/x/_history/2" -> "x"; urn:uuid and
// conditional references as given; anything pointing at another type -> empty.
std::string PatientIdFromReference(std::string_view ref) {
  if (ref.starts_with("urn:uuid:") || ref.starts_with("urn:oid:")) {
    return std::string(ref);
  }
  if (ref.starts_with("Patient?")) {
    return std::string(ref);
  }
  size_t at = std::string_view::npos;
  if (ref.starts_with("Patient/")) {
    at = 0;
  } else {
    const size_t found = ref.find("/Patient/");
    if (found != std::string_view::npos && ref.find("://") != std::string_view::npos) {
      at = found + 1;
    }
  }
  if (at == std::string_view::npos) {
    return "";
  }
  std::string_view rest = ref.substr(at + 8);
  const size_t slash = rest.find('/');
  if (slash != std::string_view::npos) {
    rest = rest.substr(0, slash);
  }
  return IsValidFhirId(rest) ? std::string(rest) : "";
}

// Reads a Reference element (or, for 0..* elements such as Contract.subject, an array of them)
// and returns the patient it points at, or "" when none does.
Result<std::string> PatientFromElement(std::string_view name, const dom::element& el) {
  dom::array items;
  if (el.get_array().get(items) == simdjson::SUCCESS) {
    for (dom::element item : items) {
      MEDLAKE_ASSIGN_OR_RETURN(std::string patient, PatientFromElement(name, item));
      if (!patient.empty()) {
        return patient;
      }
    }
    return std::string();
  }
  dom::object ref_obj;
  if (el.get_object().get(ref_obj) != simdjson::SUCCESS) {
    return Reject(std::string(name) + " is not a Reference object");
  }
  dom::element ref_el;
  if (ref_obj.at_key("reference").get(ref_el) != simdjson::SUCCESS) {
    return std::string();  // identifier-only or display-only reference
  }
  std::string_view ref;
  if (ref_el.get_string().get(ref) != simdjson::SUCCESS) {
    return Reject(std::string(name) + ".reference is not a string");
  }
  return PatientIdFromReference(ref);
}

}  // namespace

std::span<const std::string_view> FhirR4ResourceTypes() { return kResourceTypes; }

bool IsFhirR4ResourceType(std::string_view name) {
  return std::binary_search(kResourceTypes.begin(), kResourceTypes.end(), name);
}

bool IsValidFhirId(std::string_view id) {
  if (id.empty() || id.size() > 64) {
    return false;
  }
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
}

struct FhirResourceSummarizer::Impl {
  dom::parser parser;
};

FhirResourceSummarizer::FhirResourceSummarizer() : impl_(std::make_unique<Impl>()) {}
FhirResourceSummarizer::~FhirResourceSummarizer() = default;

Result<FhirResourceSummary> FhirResourceSummarizer::Summarize(std::string_view json,
                                                              const SummarizeOptions& options) {
  dom::element root;
  const simdjson::error_code parse_error = impl_->parser.parse(json.data(), json.size()).get(root);
  if (parse_error != simdjson::SUCCESS) {
    return Reject(std::string("not valid JSON (") + simdjson::error_message(parse_error) + ")");
  }
  dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) {
    return Reject("not a JSON object");
  }
  FhirResourceSummary out;

  std::string_view type;
  dom::element el;
  if (obj.at_key("resourceType").get(el) != simdjson::SUCCESS) {
    return Reject("resourceType missing");
  }
  if (el.get_string().get(type) != simdjson::SUCCESS) {
    return Reject("resourceType is not a string");
  }
  if (!IsFhirR4ResourceType(type)) {
    return Reject("resourceType is not a FHIR R4 resource type");
  }
  out.resource_type = std::string(type);

  if (obj.at_key("id").get(el) == simdjson::SUCCESS) {
    std::string_view id;
    if (el.get_string().get(id) != simdjson::SUCCESS) {
      return Reject("id is not a string");
    }
    if (!IsValidFhirId(id)) {
      return Reject("id does not match [A-Za-z0-9\\-.]{1,64}");
    }
    out.id = std::string(id);
  } else if (options.require_id) {
    return Reject("id missing");
  }

  if (obj.at_key("meta").get(el) == simdjson::SUCCESS) {
    dom::object meta;
    if (el.get_object().get(meta) != simdjson::SUCCESS) {
      return Reject("meta is not an object");
    }
    if (meta.at_key("versionId").get(el) == simdjson::SUCCESS) {
      std::string_view version;
      if (el.get_string().get(version) != simdjson::SUCCESS || !IsValidFhirId(version)) {
        return Reject("meta.versionId is not a valid FHIR id");
      }
      out.version_id = std::string(version);
    }
    if (meta.at_key("lastUpdated").get(el) == simdjson::SUCCESS) {
      std::string_view text;
      if (el.get_string().get(text) != simdjson::SUCCESS) {
        return Reject("meta.lastUpdated is not a string");
      }
      Result<FhirDateTime> instant = ParseFhirInstant(text);
      if (!instant.ok()) {
        return Reject("meta.lastUpdated is not a valid FHIR instant");
      }
      out.last_updated_micros = instant->utc_micros;
    }
  }

  if (out.resource_type == "Patient") {
    out.patient_reference = out.id;
  } else {
    for (std::string_view name : kPatientElements) {
      if (obj.at_key(name).get(el) != simdjson::SUCCESS) {
        continue;
      }
      MEDLAKE_ASSIGN_OR_RETURN(out.patient_reference, PatientFromElement(name, el));
      if (!out.patient_reference.empty()) {
        break;
      }
    }
  }

  // Every present effective-time element must parse; the first one present is extracted.
  for (std::string_view path : kEffectivePaths) {
    bool bad_parent = false;
    if (!Lookup(obj, path, &el, &bad_parent)) {
      continue;
    }
    if (bad_parent) {
      return Reject(std::string(path.substr(0, path.find('.'))) + " is not an object");
    }
    std::string_view text;
    if (el.get_string().get(text) != simdjson::SUCCESS) {
      return Reject(std::string(path) + " is not a string");
    }
    Result<FhirDateTime> parsed = ParseFhirDateTime(text);
    if (!parsed.ok()) {
      return Reject(std::string(path) + " is not a valid FHIR dateTime");
    }
    if (!out.effective.has_value()) {
      out.effective = *parsed;
      out.effective_path = std::string(path);
    }
  }
  return out;
}

Result<FhirResourceSummary> SummarizeResource(std::string_view json,
                                              const SummarizeOptions& options) {
  FhirResourceSummarizer summarizer;
  return summarizer.Summarize(json, options);
}

}  // namespace medlake::ingest::fhir
