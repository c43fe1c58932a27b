// ingest/mllp/mllp_triage.h: what the MLLP listener does with one received message.
//
// Part of ingest/mllp (see README.md). TriageMessage() parses just enough of a message (the HL7
// v2 parser and its header summary) to decide its fate and prepares both possible replies, so
// that the server only has to append the WAL record and pick one:
//   accepted                       -> WAL kAccepted; AA (original mode) / CA (enhanced mode)
//   required parts missing or bad  -> WAL kRejected; AE / CE with ERR (e.g. no MSH-10)
//   unparseable or unsupported     -> WAL kRejected; AR / CR with ERR (no MSH, bad charset,
//                                     version not 2.x)
// Every message is logged in the WAL, rejected ones too (they land in raw.quarantine), so
// nothing received is lost. If the WAL append fails, `ack_on_storage_failure` (AR / CR, ERR 207)
// is sent instead and nothing is promised.
//
// Thread-safety: pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"
#include "ingest/hl7v2/hl7_ack.h"
#include "ingest/mllp/staging_wal.h"

namespace medlake::ingest::mllp {

struct TriageResult {
  WalRecord record;  // owns the payload
  hl7v2::Hl7Outcome outcome = hl7v2::Hl7Outcome::kAccepted;
  hl7v2::Hl7AckMode mode = hl7v2::Hl7AckMode::kOriginal;
  // The reply once the record is durable; empty when the sender asked for none (MSH-15 NE, or
  // ER on success / SU on error in enhanced mode).
  std::optional<std::string> ack_when_durable;
  // The reply when the WAL append failed (always sent).
  std::string ack_on_storage_failure;
  std::string control_id;  // MSH-10 of the message, when readable (an identifier, loggable)
};

// Triages `payload` received from `peer` at `received_micros`. `ack_control_id_prefix` makes the
// control ids of the ACKs (prefix + "A" / "F"); it must be unique per message.
// Never fails for bad input (that is a rejection); returns Internal only if an ACK cannot be
// built, which would be a bug.
Result<TriageResult> TriageMessage(std::string payload, std::string peer, int64_t received_micros,
                                   const std::string& ack_control_id);

}  // namespace medlake::ingest::mllp
