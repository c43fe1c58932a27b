// libFuzzer target: feeds arbitrary bytes to the HL7 v2 batch splitter, then every message span
// to the parser, the summarizer and the ACK builders; the whole buffer also goes to the parser
// under each scan kernel (portable and AVX2) and into a reused message, which must all agree,
// and to the text-path readers (hl7_text_path.h), whose views must stay inside it.
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
#include "ingest/hl7v2/hl7_text_path.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// The text-path readers on the buffer read as message text: every view lies inside the input
// and holds no delimiter of its level; nothing crashes.
void CheckTextPaths(std::string_view buffer) {
  using namespace medlake::ingest::hl7v2;  // NOLINT(google-build-using-namespace): fuzz helper
  auto inside = [&](std::string_view v) {
    if (v.data() < buffer.data() || v.data() + v.size() > buffer.data() + buffer.size()) {
      std::abort();
    }
  };
  std::string scratch;
  for (std::string_view id : {std::string_view("MSH"), std::string_view("PID"), buffer.substr(0, 3)}) {
    ForEachHl7Segment(buffer, id, [&](std::string_view segment) {
      inside(segment);
      if (segment.substr(0, id.size()) != id || segment.size() <= id.size() || segment[id.size()] != '|' ||
          segment.find_first_of("\r\n") != std::string_view::npos) {
        std::abort();
      }
      const bool msh = segment.substr(0, 4) == "MSH|";
      for (int64_t n = -1; n < 30; ++n) {
        auto field = Hl7FieldOf(segment, n);
        if (!field) {
          continue;
        }
        inside(*field);
        if (field->find('|') != std::string_view::npos && !(msh && n == 1)) {
          std::abort();
        }
        for (int64_t k = 0; k < 6; ++k) {
          auto component = Hl7ComponentOf(*field, k);
          if (component) {
            inside(*component);
            if (component->find_first_of("^~") != std::string_view::npos) {
              std::abort();
            }
            (void)Hl7UnescapeText(*component, scratch);
          }
          auto sub = Hl7SubcomponentOf(*field, k, 2);
          if (sub && (sub->find_first_of("^~&") != std::string_view::npos)) {
            std::abort();
          }
        }
        (void)Hl7TimestampMicros(*field);
        (void)Hl7DateDays(*field);
      }
    });
  }
  // The first segment is the first one ForEachHl7Segment gives.
  auto first = Hl7SegmentOf(buffer, "PID");
  std::string_view seen;
  ForEachHl7Segment(buffer, "PID", [&](std::string_view s) {
    if (seen.empty()) {
      seen = s;
    }
  });
  if (first.has_value() != !seen.empty() || (first && first->data() != seen.data())) {
    std::abort();
  }
}

}  // namespace

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
  // The text-path readers (hl7_text_path.h) read it as well.
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
  CheckTextPaths(buffer);
  if (runs == 2 && outcomes[0] != outcomes[1]) {
    std::abort();
  }
  return 0;
}
