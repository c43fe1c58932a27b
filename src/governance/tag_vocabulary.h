// governance/tag_vocabulary.h: tag names and the classification vocabulary of the catalog.
//
// A tag is a short lowercase name attached to a namespace, table or column
// (governance/metadata_store.h). Any name of 1..64 characters from [a-z0-9_:.-] that starts with
// a letter is a valid tag; medlake gives meaning to the classification tags below
// (docs/formats/catalog_metadata.md, "Vocabulary"), which the classifier writes, lineage
// propagates and the security module binds masking policies to:
//
//   phi                 protected health information: identifies a person or is health data
//                       about an identified person
//   direct_identifier   identifies a person on its own (DNI, CIP, NUSS, name, phone, e-mail, ...)
//   quasi_identifier    identifies a person in combination (birth date, postal code, sex, town)
//   special_category    GDPR art. 9 data: mental health, HIV, sexual life, genetic data
//   pii:<kind>          what identifier it is (pii:dni, pii:cip, pii:birth_date, ...)
//   special:<kind>      which special category (special:mental_health, special:hiv, ...)
//
// Thread-safety: pure functions and constants.
#pragma once

#include <span>
#include <string_view>

#include "core/status.h"

namespace medlake::governance {

inline constexpr std::string_view kTagPhi = "phi";
inline constexpr std::string_view kTagDirectIdentifier = "direct_identifier";
inline constexpr std::string_view kTagQuasiIdentifier = "quasi_identifier";
inline constexpr std::string_view kTagSpecialCategory = "special_category";

// Detail tags of identifiers. Direct identifiers:
inline constexpr std::string_view kTagPiiDni = "pii:dni";  // DNI, NIF or NIE
inline constexpr std::string_view kTagPiiCip = "pii:cip";  // regional health card (CIP/TSI)
inline constexpr std::string_view kTagPiiNuss =
    "pii:nuss";                                            // social security number (NUSS/NAF/SSN)
inline constexpr std::string_view kTagPiiMrn = "pii:mrn";  // medical record number (NHC)
inline constexpr std::string_view kTagPiiName = "pii:name";  // given name, surname
inline constexpr std::string_view kTagPiiPhone = "pii:phone";
inline constexpr std::string_view kTagPiiEmail = "pii:email";
inline constexpr std::string_view kTagPiiAddress = "pii:address";  // street address
inline constexpr std::string_view kTagPiiRecord =
    "pii:record";  // whole HL7 v2 message / FHIR resource
// Quasi-identifiers:
inline constexpr std::string_view kTagPiiBirthDate = "pii:birth_date";
inline constexpr std::string_view kTagPiiPostalCode = "pii:postal_code";
inline constexpr std::string_view kTagPiiSex = "pii:sex";
inline constexpr std::string_view kTagPiiLocation = "pii:location";  // town, municipality
// Neither: a pseudonymous key that links the row to a patient (patient_id, person_source_value).
inline constexpr std::string_view kTagPiiPatientLink = "pii:patient_link";

// Special categories (GDPR art. 9(1)).
inline constexpr std::string_view kTagSpecialMentalHealth = "special:mental_health";
inline constexpr std::string_view kTagSpecialHiv = "special:hiv";
inline constexpr std::string_view kTagSpecialSexual = "special:sexual";
inline constexpr std::string_view kTagSpecialGenetic = "special:genetic";

// OK for a valid tag name (see the file comment); InvalidArgument saying what is wrong otherwise.
Status ValidateTagName(std::string_view tag);

// True for the tags that classification manages and lineage propagates: phi, direct_identifier,
// quasi_identifier, special_category and every pii:* or special:* tag.
bool IsClassificationTag(std::string_view tag);

// True for the classification tags that also hold for a whole table when one of its columns
// carries them: phi, special_category and special:*.
bool IsTableLevelClassificationTag(std::string_view tag);

// The documented vocabulary (the constants above), for help texts and tests.
std::span<const std::string_view> ClassificationVocabulary();

}  // namespace medlake::governance
