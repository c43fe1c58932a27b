// libFuzzer target: feeds arbitrary bytes to the HL7 v2 batch splitter, then every message span
// to the parser, the summarizer and the ACK builders; the whole buffer also goes to the parser
// under each scan kernel (portable and AVX2) and into a reused message, which must all agree.
// Built only with -DMEDLAKE_BUILD_FUZZERS=ON (the fuzz preset, clang):
//   build/fuzz/src/ingest/hl7v2/medlake_hl7v2_fuzz -max_len=65536 corpus/
// Seed the corpus with MEDLAKE_FIXTURES_DIR/hl7v2/*/*.hl7.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ingest/hl7v2/hl7_ack.h"
#include "ingest/hl7v2/hl7_batch.h"
#include "ingest/hl7v2/hl7_message.h"
#include "ingest/hl7v2/hl7_scan_internal.h"
#include "ingest/hl7v2/hl7_summary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace medlake::ingest::hl7v2;  // NOLINT(google-build-using-namespace): fuzz main
  const std::string_view buffer(reinterpret_cast<const char*>(data), size);
  const Hl7BatchSplit split = SplitHl7Batch(buffer);
  // The spans must cover the buffer exactly, in order.
  size_t pos = 0;
  for (const Hl7Span& span : split.spans) {
    if (span.offset != pos || span.length == 0) {
      std::abort();
    }
    pos += span.length;
  }
  if (pos != size) {
    std::abort();
  }
  Hl7AckOptions options;
  options.control_id = "FUZZ";
  for (const Hl7Span& span : split.spans) {
    if (span.kind != Hl7SpanKind::kMessage) {
      continue;
    }
    const std::string_view bytes = SpanBytes(buffer, span);
    Hl7Rejection rejection;
    auto message = ParseHl7Message(bytes, {}, &rejection);
    if (!message.ok()) {
      (void)BuildHl7AckForUnparsed(bytes, Hl7AckCode::kAR, {AckErrorFromRejection(rejection)},
                                   options);
      continue;
    }
    (void)message->Get("PID-3[2].4.1");
    (void)message->Decoded("OBX(2)-5.1");
    auto summary = Summarize(*message, &rejection);
    (void)PlanAcks(*message, Hl7Outcome::kAccepted);
    auto ack =
        BuildHl7Ack(*message, summary.ok() ? Hl7AckCode::kAA : Hl7AckCode::kAE,
                    summary.ok() ? std::vector<Hl7AckError>{}
                                 : std::vector<Hl7AckError>{AckErrorFromRejection(rejection)},
                    options);
    // Whatever we send back must parse.
    if (ack.ok() && !ParseHl7Message(*ack).ok()) {
      std::abort();
    }
  }
  // The whole buffer as one message, too (the parser must reject, never crash), under each scan
  // kernel and into a message reused across inputs: all must agree on the outcome and structure.
  static Hl7Message reused;
  std::string outcomes[2];
  const internal::ScanKernel kernels[2] = {internal::ScanKernel::kPortable,
                                           internal::ScanKernel::kAvx2};
  const int runs = internal::Avx2ScanAvailable() ? 2 : 1;
  for (int k = 0; k < runs; ++k) {
    internal::SetScanKernelForTesting(kernels[k]);
    Hl7Rejection rejection;
    auto fresh = ParseHl7Message(buffer, {}, &rejection);
    const medlake::Status into = ParseHl7MessageInto(buffer, {}, &reused);
    if (fresh.ok() != into.ok()) {
      std::abort();
    }
    std::string& out = outcomes[k];
    if (!fresh.ok()) {
      out = fresh.status().message() + "@" + std::to_string(rejection.byte_offset);
      continue;
    }
    if (fresh->segment_count() != reused.segment_count()) {
      std::abort();
    }
    for (size_t s = 0; s < fresh->segment_count(); ++s) {
      for (size_t f = 0; f <= fresh->FieldCount(s); ++f) {
        if (fresh->Field(s, f) != reused.Field(s, f)) {
          std::abort();
        }
        out += std::to_string(fresh->Field(s, f).data() - buffer.data()) + ":" +
               std::to_string(fresh->Field(s, f).size()) + ",";
      }
      out += ";";
    }
  }
  internal::SetScanKernelForTesting(internal::ScanKernel::kAuto);
  if (runs == 2 && outcomes[0] != outcomes[1]) {
    std::abort();
  }
  return 0;
}
