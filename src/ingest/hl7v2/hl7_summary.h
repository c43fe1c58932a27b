// ingest/hl7v2/hl7_summary.h: the facts the raw layer indexes about each HL7 v2 message.
//
// Part of ingest/hl7v2. Summarize() reads the header (MSH, HL7 v2.5 section 2.14.9) and the
// patient identifiers (PID-3, and MRG-1 for merges such as ADT^A40) of a parsed message into an
// owned struct of UTF-8 strings. It checks what every message needs (MSH-9.1, MSH-10, MSH-12
// present, MSH-7 a valid DTM when given); message-type specific rules belong to later stages.
//
// Thread-safety: pure function; the summary is a plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "ingest/hl7v2/hl7_datetime.h"
#include "ingest/hl7v2/hl7_message.h"
#include "ingest/hl7v2/hl7_rejection.h"

namespace medlake::ingest::hl7v2 {

// One repetition of a CX identifier (PID-3 or MRG-1).
struct Hl7PatientIdentifier {
  std::string id;                             // CX.1
  std::string assigning_authority;            // CX.4.1 (HD namespace id)
  std::string assigning_authority_universal;  // CX.4.2 (HD universal id, e.g. an OID)
  std::string identifier_type_code;           // CX.5 (table 0203: MR, PI, JHN, ...)
  size_t segment_occurrence = 1;              // which PID (or MRG) of the message, 1-based
};

struct Hl7Summary {
  std::string message_type;                 // MSH-9.1, e.g. "ADT"
  std::string trigger_event;                // MSH-9.2, e.g. "A01" (EVN-1 when MSH-9.2 is empty)
  std::string message_structure;            // MSH-9.3, e.g. "ADT_A01" (often empty before v2.5)
  std::string control_id;                   // MSH-10
  std::string processing_id;                // MSH-11.1 (P, T, D)
  std::string version;                      // MSH-12.1, e.g. "2.5.1"
  std::string sending_application;          // MSH-3.1
  std::string sending_facility;             // MSH-4.1
  std::string receiving_application;        // MSH-5.1
  std::string receiving_facility;           // MSH-6.1
  std::optional<Hl7DateTime> message_time;  // MSH-7.1; empty when MSH-7 is empty
  std::string accept_ack_type;              // MSH-15 (AL, NE, ER, SU; empty = original mode)
  std::string application_ack_type;         // MSH-16
  Hl7Charset charset = Hl7Charset::kUtf8;   // from MSH-18
  size_t segment_count = 0;
  // Every non-empty PID-3 repetition of every PID segment, in order.
  std::vector<Hl7PatientIdentifier> patient_identifiers;
  // Every non-empty MRG-1 repetition (prior patient identifiers of merges: A40, A41, A47, ...).
  std::vector<Hl7PatientIdentifier> prior_patient_identifiers;
};

// Summarizes a parsed message. Returns InvalidArgument "hl7.required_field_missing" (MSH-9.1,
// MSH-10 or MSH-12 empty), "hl7.data_type_error" (MSH-7 present but not a DTM) or
// "hl7.invalid_character_encoding" (an escape that decodes to invalid text); when `rejection` is
// not null it also receives the reason and location. The summary owns its strings.
Result<Hl7Summary> Summarize(const Hl7Message& message, Hl7Rejection* rejection = nullptr);

}  // namespace medlake::ingest::hl7v2
