// synth/hl7_writer.h: renders a patient history as the HL7 v2.5 messages its source systems
// send.
//
// Messages (HL7 v2.5, chapters 2, 3, 4, 7): ADT A28/A31 (person add/update, from the primary
// care system and each hospital), A04 (emergency and outpatient registration), A01/A02/A03
// (admission, transfer, discharge), A08 (update during a stay), A40 (merge of a duplicate
// record), ORU^R01 (laboratory results), RDE^O11 (electronic prescriptions), VXU^V04
// (immunizations). Segments end with CR; encoding characters are ^~\&; MSH-18 is UNICODE UTF-8.
// Each source system writes its own files: hl7/<source code>/<file number>.hl7, many messages
// per file, in the order the patient's events happened.
//
// PID conventions (documented in README.md): PID-3 repeats local id (type PI, the source's
// assigning authority), DNI/NIE (MI^NNESP), CIP (SERMAS^JHN) and NUSS (TGSS^SS); PID-5 puts the
// first surname in XPN-1.1 and the second in XPN-1.3 (FN.3 "own surname").
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "synth/faults.h"
#include "synth/model.h"
#include "synth/synth_output.h"

namespace medlake::synth {

// Escapes the delimiters in `value`: | ^ ~ \ & become \F\ \S\ \R\ \E\ \T\ and CR, LF become
// \X0D\ and \X0A\ (HL7 v2.5 section 2.7.4).
std::string Hl7Escape(std::string_view value);
// The inverse of Hl7Escape for the escapes it produces; other escapes are kept as they are.
std::string Hl7Unescape(std::string_view value);

// Appends the messages of `history` to `out` (files numbered `file_number`), injecting faults
// drawn from `faults` and counting messages per type under "hl7/<type>". With
// `file_per_message`, each message is a whole file of its own: Hl7MessagePath.
void RenderHl7(const Region& region, const PatientHistory& history, uint64_t file_number,
               FaultInjector* faults, BatchOutput* out, bool file_per_message = false);

// The file of one message in file-per-message mode: hl7/<SOURCE>/<NNNNNN>/<control id>.hl7.
std::string Hl7MessagePath(const SourceSystem& source, uint64_t file_number, const std::string& control_id);

// The path of source `source`'s HL7 file number `file_number`, relative to the output root.
std::string Hl7FilePath(const SourceSystem& source, uint64_t file_number);

}  // namespace medlake::synth
