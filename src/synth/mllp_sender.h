// synth/mllp_sender.h: sends generated HL7 v2 messages to an MLLP listener, one at a time,
// waiting for each acknowledgment (`medlake synth --send-mllp HOST:PORT`).
//
// Messages are read from the .hl7 files under a folder (sorted), split at "MSH" segment starts,
// framed (0x0B ... 0x1C 0x0D) and sent over one TCP connection; the reply's MSA-1 decides the
// outcome: AA/CA accepted, AE/CE and AR/CR counted apart. Loopback or the project's own test
// hosts only (it connects where it is told).
//
// Thread-safety: a function; no shared state.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace medlake::synth {

struct MllpSendSummary {
  uint64_t sent = 0;
  uint64_t accepted = 0;  // AA or CA
  uint64_t errors = 0;    // AE or CE
  uint64_t rejected = 0;  // AR or CR, or an unreadable ACK
};

// Parses "host:port" (IPv4 or a name). InvalidArgument otherwise.
Status ParseHostPort(const std::string& text, std::string* host, int* port);

// Sends every message under `folder` to host:port. IOError when the connection fails or the
// listener closes it; a negative ACK is counted, not an error. `timeout_ms` bounds each wait.
Result<MllpSendSummary> SendHl7Folder(const std::string& folder, const std::string& host, int port,
                                      int timeout_ms = 30'000);

}  // namespace medlake::synth
