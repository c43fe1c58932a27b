#include "ingest/hl7_loader.h"

#include <utility>
#include <vector>

#include "core/crypto.h"
#include "core/file_system.h"
#include "engine/value.h"
#include "ingest/bounded_queue.h"
#include "ingest/hl7v2/hl7_batch.h"
#include "ingest/hl7v2/hl7_message.h"
#include "ingest/hl7v2/hl7_rejection.h"
#include "ingest/hl7v2/hl7_summary.h"

namespace medlake::ingest {
namespace {

namespace h = hl7v2;

constexpr uint64_t kWholeFileLimit = 64ULL << 20;
constexpr size_t kChunkBytes = 16 << 20;

std::string_view CharsetName(h::Hl7Charset c) {
  switch (c) {
    case h::Hl7Charset::kAscii: return "ASCII";
    case h::Hl7Charset::kIso8859_1: return "8859/1";
    default: return "UNICODE UTF-8";
  }
}

std::string IdentifiersJson(const h::Hl7Summary& s) {
  std::string out = "[";
  bool first = true;
  auto add = [&](const h::Hl7PatientIdentifier& id, bool prior) {
    if (!first) out += ",";
    first = false;
    out += "{\"id\":";
    engine::AppendJsonString(id.id, &out);
    out += ",\"authority\":";
    engine::AppendJsonString(id.assigning_authority, &out);
    out += ",\"type\":";
    engine::AppendJsonString(id.identifier_type_code, &out);
    if (prior) out += ",\"prior\":true";
    out += "}";
  };
  for (const auto& id : s.patient_identifiers) add(id, false);
  for (const auto& id : s.prior_patient_identifiers) add(id, true);
  return out + "]";
}

Status AppendString(engine::RowBatch& a, const std::string& v) {
  return v.empty() ? a.AppendNull() : a.AppendString(v);
}

// One span of a buffer, prepared by the reader thread: parsed, summarized and hashed, or
// rejected with a reason.
struct PreparedSpan {
  size_t offset = 0;  // in the buffer
  size_t length = 0;
  bool accepted = false;
  std::string reason_code;  // rejected: stable code, and the reason for people
  std::string reason;
  h::Hl7Summary summary;
  std::string sha256_hex;
};

struct PreparedSpans {
  std::vector<PreparedSpan> spans;
  bool last = false;
};

constexpr size_t kBatchSpans = 1024;
constexpr size_t kQueueBatches = 16;

// Prepares one message span; `message` is the thread's reused parse target.
PreparedSpan PrepareMessage(h::Hl7Message& message, std::string_view bytes) {
  PreparedSpan p;
  h::Hl7Rejection rejection;
  const Status parsed = h::ParseHl7MessageInto(bytes, {}, &message, &rejection);
  if (!parsed.ok()) {
    p.reason_code = std::string(h::Hl7RejectReasonCode(rejection.reason));
    p.reason = parsed.message();
    return p;
  }
  auto summary = h::Summarize(message, &rejection);
  if (!summary.ok()) {
    p.reason_code = std::string(h::Hl7RejectReasonCode(rejection.reason));
    p.reason = summary.status().message();
    return p;
  }
  p.accepted = true;
  p.summary = std::move(*summary);
  p.sha256_hex = HexEncode(Sha256(bytes));
  return p;
}

// The reader thread: splits `buffer` and prepares every message span (and unsplittable chunk).
void PrepareBuffer(std::string_view buffer, BoundedQueue<PreparedSpans>* queue) {
  const h::Hl7BatchSplit split = h::SplitHl7Batch(buffer);
  h::Hl7Message message;
  PreparedSpans batch;
  for (const auto& span : split.spans) {
    if (span.kind != h::Hl7SpanKind::kMessage && span.kind != h::Hl7SpanKind::kRejected) {
      continue;  // envelopes and separators carry no message
    }
    PreparedSpan p;
    if (span.kind == h::Hl7SpanKind::kMessage) {
      p = PrepareMessage(message, h::SpanBytes(buffer, span));
    } else {
      p.reason_code = "hl7.unsplittable";
      p.reason = span.reason;
    }
    p.offset = span.offset;
    p.length = span.length;
    batch.spans.push_back(std::move(p));
    if (batch.spans.size() >= kBatchSpans) {
      if (!queue->Push(std::move(batch))) return;  // the loading thread gave up
      batch = PreparedSpans{};
    }
  }
  batch.last = true;
  (void)queue->Push(std::move(batch));
}

Status AppendPrepared(FileContext& ctx, std::string_view buffer, int64_t base_offset,
                      const PreparedSpan& p) {
  ++ctx.summary->received;
  const std::string_view bytes = buffer.substr(p.offset, p.length);
  const int64_t offset = base_offset + static_cast<int64_t>(p.offset);
  if (!p.accepted) {
    return AppendQuarantine(ctx, "hl7", offset, -1, "offset " + std::to_string(offset), p.reason_code,
                            p.reason, bytes);
  }
  const h::Hl7Summary& s = p.summary;
  auto& a = ctx.accepted->row();
  MEDLAKE_RETURN_IF_ERROR(AppendLineage(ctx, a, offset));
  MEDLAKE_RETURN_IF_ERROR(a.AppendString(p.sha256_hex));
  MEDLAKE_RETURN_IF_ERROR(a.AppendString(s.sending_application + "|" + s.sending_facility + "|" + s.control_id));
  MEDLAKE_RETURN_IF_ERROR(AppendString(a, s.message_type));
  MEDLAKE_RETURN_IF_ERROR(AppendString(a, s.trigger_event));
  MEDLAKE_RETURN_IF_ERROR(AppendString(a, s.message_structure));
  MEDLAKE_RETURN_IF_ERROR(AppendString(a, s.version));
  MEDLAKE_RETURN_IF_ERROR(AppendString(a, s.control_id));
  MEDLAKE_RETURN_IF_ERROR(AppendString(a, s.processing_id));
  MEDLAKE_RETURN_IF_ERROR(AppendString(a, s.sending_application));
  MEDLAKE_RETURN_IF_ERROR(AppendString(a, s.sending_facility));
  MEDLAKE_RETURN_IF_ERROR(AppendString(a, s.receiving_application));
  MEDLAKE_RETURN_IF_ERROR(AppendString(a, s.receiving_facility));
  MEDLAKE_RETURN_IF_ERROR(s.message_time ? a.AppendTimestamp(s.message_time->utc_micros) : a.AppendNull());
  MEDLAKE_RETURN_IF_ERROR(s.patient_identifiers.empty() ? a.AppendNull()
                                                        : a.AppendString(s.patient_identifiers[0].id));
  MEDLAKE_RETURN_IF_ERROR(a.AppendString(IdentifiersJson(s)));
  MEDLAKE_RETURN_IF_ERROR(a.AppendString(std::string(CharsetName(s.charset))));
  MEDLAKE_RETURN_IF_ERROR(a.AppendBlob(bytes));
  ++ctx.summary->accepted;
  return ctx.accepted->EndRow();
}

// End of the last complete message in `buffer`: the position just after the segment terminator
// that precedes the last "MSH" segment start; 0 when there is none after the first byte.
size_t LastMessageStart(std::string_view buffer) {
  for (size_t pos = buffer.size(); pos > 0;) {
    size_t found = buffer.rfind("MSH", pos - 1);
    if (found == std::string_view::npos || found == 0) return 0;
    char before = buffer[found - 1];
    if (before == '\r' || before == '\n') return found;
    pos = found;
  }
  return 0;
}

}  // namespace

Status AppendHl7Buffer(FileContext& ctx, std::string_view buffer, int64_t base_offset) {
  // Splitting, parsing, summarizing and hashing run on a reader thread while this one appends
  // and DuckDB writes Parquet (bounded queue, order kept).
  return ConsumeFromReaderThread<PreparedSpans>(
      kQueueBatches, [buffer](BoundedQueue<PreparedSpans>* queue) { PrepareBuffer(buffer, queue); },
      [&](const PreparedSpans& batch) -> Status {
        for (const PreparedSpan& p : batch.spans) {
          MEDLAKE_RETURN_IF_ERROR(AppendPrepared(ctx, buffer, base_offset, p));
        }
        return Status::OK();
      });
}

Status LoadHl7File(FileContext& ctx) {
  auto& fs = LocalFileSystem::Default();
  MEDLAKE_ASSIGN_OR_RETURN(auto file, fs.OpenForRead(ctx.path));
  MEDLAKE_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  std::string buffer;
  if (size <= kWholeFileLimit) {
    MEDLAKE_RETURN_IF_ERROR(file->Read(0, size, &buffer));
    return AppendHl7Buffer(ctx, buffer, 0);
  }
  // Large file: chunks cut at message starts; the tail after the last start waits for more.
  uint64_t read = 0;
  int64_t buffer_offset = 0;
  std::string chunk;
  while (read < size) {
    MEDLAKE_RETURN_IF_ERROR(file->Read(read, kChunkBytes, &chunk));
    if (chunk.empty()) break;
    read += chunk.size();
    buffer += chunk;
    size_t cut = read < size ? LastMessageStart(buffer) : buffer.size();
    if (cut == 0) continue;  // one message bigger than what we have so far: read more
    MEDLAKE_RETURN_IF_ERROR(AppendHl7Buffer(ctx, std::string_view(buffer).substr(0, cut), buffer_offset));
    buffer.erase(0, cut);
    buffer_offset += static_cast<int64_t>(cut);
  }
  if (!buffer.empty()) MEDLAKE_RETURN_IF_ERROR(AppendHl7Buffer(ctx, buffer, buffer_offset));
  return Status::OK();
}

Result<IngestSummary> IngestHl7Files(engine::LakeSession& session, const std::vector<std::string>& paths,
                                     const IngestOptions& options) {
  return IngestFiles(session, paths, "hl7", "raw.hl7_messages", LoadHl7File, options,
                     {".hl7", ".HL7", ".txt", ".msg", ".dat"});
}

}  // namespace medlake::ingest
