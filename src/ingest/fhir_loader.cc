#include "ingest/fhir_loader.h"

#include <utility>
#include <vector>

#include "core/crypto.h"
#include "core/file_system.h"
#include "ingest/bounded_queue.h"
#include "ingest/fhir/bundle_reader.h"
#include "ingest/fhir/fhir_resource.h"
#include "ingest/fhir/ndjson_reader.h"

namespace medlake::ingest {
namespace {

constexpr uint64_t kMaxDocumentBytes = 1ULL << 30;

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Reason code from the summarizer's message: a stable prefix for machines, the text for people.
std::string ReasonCode(const Status& st) {
  const std::string& m = st.message();
  if (m.find("JSON") != std::string::npos || m.find("json") != std::string::npos) return "fhir.invalid_json";
  if (m.find("resourceType") != std::string::npos) return "fhir.bad_resource_type";
  if (m.find("id") != std::string::npos) return "fhir.bad_id";
  return "fhir.invalid_resource";
}

// Appends one accepted resource whose summary and SHA-256 (hex) are already computed.
Status AppendSummarized(FileContext& ctx, std::string_view json, const fhir::FhirResourceSummary& summary,
                        const std::string& sha256_hex, int64_t offset, int64_t line, int64_t entry_index) {
  auto& a = ctx.accepted->row();
  MEDLAKE_RETURN_IF_ERROR(AppendLineage(ctx, a, offset));
  MEDLAKE_RETURN_IF_ERROR(line >= 0 ? a.AppendInt64(line) : a.AppendNull());
  MEDLAKE_RETURN_IF_ERROR(entry_index >= 0 ? a.AppendInt64(entry_index) : a.AppendNull());
  MEDLAKE_RETURN_IF_ERROR(a.AppendString(sha256_hex));
  MEDLAKE_RETURN_IF_ERROR(a.AppendString(summary.resource_type));
  MEDLAKE_RETURN_IF_ERROR(summary.id.empty() ? a.AppendNull() : a.AppendString(summary.id));
  MEDLAKE_RETURN_IF_ERROR(summary.version_id.empty() ? a.AppendNull() : a.AppendString(summary.version_id));
  MEDLAKE_RETURN_IF_ERROR(summary.last_updated_micros ? a.AppendTimestamp(*summary.last_updated_micros)
                                                      : a.AppendNull());
  MEDLAKE_RETURN_IF_ERROR(summary.patient_reference.empty() ? a.AppendNull()
                                                            : a.AppendString(summary.patient_reference));
  MEDLAKE_RETURN_IF_ERROR(summary.effective ? a.AppendTimestamp(summary.effective->utc_micros) : a.AppendNull());
  MEDLAKE_RETURN_IF_ERROR(a.AppendString(json));
  ++ctx.summary->accepted;
  return ctx.accepted->EndRow();
}

Status AppendResource(FileContext& ctx, fhir::FhirResourceSummarizer& summarizer, std::string_view json,
                      int64_t offset, int64_t line, int64_t entry_index, const std::string& location,
                      bool require_id = true) {
  ++ctx.summary->received;
  auto summary = summarizer.Summarize(json, fhir::SummarizeOptions{require_id});
  if (!summary.ok()) {
    return AppendQuarantine(ctx, "fhir", offset, line, location, ReasonCode(summary.status()),
                            summary.status().message(), json);
  }
  return AppendSummarized(ctx, json, *summary, HexEncode(Sha256(json)), offset, line, entry_index);
}

// --- NDJSON: reading and summarizing on a second thread -------------------------------------
//
// The loading thread's time goes mostly to DuckDB (appends, and the Parquet write of each
// micro-batch); reading, JSON checks and hashing run meanwhile on a reader thread, which hands
// over batches of prepared lines through a bounded queue (memory: kQueueBatches x kBatchLines
// lines). Order is kept: one producer, one consumer, FIFO.

constexpr size_t kBatchLines = 1024;
constexpr size_t kQueueBatches = 16;

// One NDJSON line, summarized and hashed by the reader thread.
struct PreparedLine {
  size_t begin = 0;  // the line's bytes in the batch's arena
  size_t size = 0;
  fhir::NdjsonLine where;   // line number, offset, length, too_long (its `bytes` is not used)
  Status problem;           // why the summarizer rejected it (not OK: quarantine)
  fhir::FhirResourceSummary summary;
  std::string sha256_hex;
};

struct PreparedBatch {
  std::string arena;  // the bytes of every line of the batch, back to back
  std::vector<PreparedLine> lines;
  bool last = false;  // the file's last batch; `end` says how the reading ended
  Status end;
};

using BatchQueue = BoundedQueue<PreparedBatch>;

// The reader thread: reads `path` line by line, summarizes and hashes, pushes batches; the last
// batch carries how the reading ended (OK, or the I/O error that stops this file's load).
void ReadAndPrepare(const std::string& path, BatchQueue* queue) {
  fhir::FhirResourceSummarizer summarizer;
  PreparedBatch batch;
  auto finish = [&](Status end) {
    batch.last = true;
    batch.end = std::move(end);
    (void)queue->Push(std::move(batch));
  };
  auto reader = fhir::NdjsonReader::Open(LocalFileSystem::Default(), path);
  if (!reader.ok()) return finish(reader.status());
  fhir::NdjsonLine line;
  while (true) {
    Result<bool> more = (*reader)->Next(&line);
    if (!more.ok()) return finish(more.status());
    if (!*more) break;
    PreparedLine p;
    p.begin = batch.arena.size();
    p.size = line.bytes.size();
    batch.arena.append(line.bytes);
    p.where = line;
    p.where.bytes = {};
    if (!line.too_long) {
      auto summary = summarizer.Summarize(line.bytes, fhir::SummarizeOptions{/*require_id=*/true});
      if (summary.ok()) {
        p.summary = std::move(*summary);
        p.sha256_hex = HexEncode(Sha256(line.bytes));
      } else {
        p.problem = summary.status();
      }
    }
    batch.lines.push_back(std::move(p));
    if (batch.lines.size() >= kBatchLines) {
      if (!queue->Push(std::move(batch))) return;  // the loading thread gave up
      batch = PreparedBatch{};
    }
  }
  finish(Status::OK());
}

Status AppendPrepared(FileContext& ctx, const PreparedBatch& batch, const PreparedLine& p) {
  ++ctx.summary->received;
  const std::string_view bytes(batch.arena.data() + p.begin, p.size);
  const auto offset = static_cast<int64_t>(p.where.offset);
  const auto line_number = static_cast<int64_t>(p.where.line_number);
  const std::string location = "line " + std::to_string(p.where.line_number);
  if (p.where.too_long) {
    return AppendQuarantine(ctx, "fhir", offset, line_number, location, "fhir.line_too_long",
                            "line of " + std::to_string(p.where.length) +
                                " bytes exceeds the limit (first bytes kept)",
                            bytes);
  }
  if (!p.problem.ok()) {
    return AppendQuarantine(ctx, "fhir", offset, line_number, location, ReasonCode(p.problem),
                            p.problem.message(), bytes);
  }
  return AppendSummarized(ctx, bytes, p.summary, p.sha256_hex, offset, line_number, -1);
}

Status LoadNdjson(FileContext& ctx) {
  return ConsumeFromReaderThread<PreparedBatch>(
      kQueueBatches, [path = ctx.path](BatchQueue* queue) { ReadAndPrepare(path, queue); },
      [&ctx](const PreparedBatch& batch) -> Status {
        for (const PreparedLine& p : batch.lines) MEDLAKE_RETURN_IF_ERROR(AppendPrepared(ctx, batch, p));
        return batch.last ? batch.end : Status::OK();
      });
}

Status LoadDocument(FileContext& ctx, fhir::FhirResourceSummarizer& summarizer) {
  auto& fs = LocalFileSystem::Default();
  MEDLAKE_ASSIGN_OR_RETURN(uint64_t size, fs.FileSize(ctx.path));
  if (size > kMaxDocumentBytes) {
    ++ctx.summary->received;
    return AppendQuarantine(ctx, "fhir", 0, -1, "whole file", "fhir.document_too_large",
                            "JSON document of " + std::to_string(size) + " bytes exceeds 1 GiB", "");
  }
  MEDLAKE_ASSIGN_OR_RETURN(std::string text, fs.ReadFile(ctx.path));
  size_t start = 0;
  if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) start = 3;
  std::string_view doc(text.data() + start, text.size() - start);
  // A Bundle is split into its entries; anything else is one resource.
  auto probe = summarizer.Summarize(doc, fhir::SummarizeOptions{/*require_id=*/false});
  if (!probe.ok() || probe->resource_type != "Bundle") {
    return AppendResource(ctx, summarizer, doc, static_cast<int64_t>(start), -1, -1, "whole file");
  }
  auto bundle = fhir::ReadBundle(doc);
  if (!bundle.ok()) {
    ++ctx.summary->received;
    return AppendQuarantine(ctx, "fhir", static_cast<int64_t>(start), -1, "whole file", "fhir.bad_bundle",
                            bundle.status().message(), doc);
  }
  for (const auto& entry : bundle->entries) {
    std::string location = "entry " + std::to_string(entry.index);
    int64_t offset = static_cast<int64_t>(start + entry.resource_offset);
    if (!entry.has_resource) {
      ++ctx.summary->received;
      MEDLAKE_RETURN_IF_ERROR(AppendQuarantine(
          ctx, "fhir", static_cast<int64_t>(start), -1, location, "fhir.entry_without_resource",
          entry.problem.empty() ? "Bundle entry " + std::to_string(entry.index) + " has no resource"
                                : entry.problem,
          entry.request_method + " " + entry.request_url));
      continue;
    }
    // Resources to be created by a transaction or batch (POST) get their id from the server:
    // they may come without one.
    bool require_id = entry.request_method != "POST";
    MEDLAKE_RETURN_IF_ERROR(AppendResource(ctx, summarizer, entry.resource_json, offset, -1,
                                           static_cast<int64_t>(entry.index), location, require_id));
  }
  return Status::OK();
}

}  // namespace

Status LoadFhirFile(FileContext& ctx) {
  if (EndsWith(ctx.path, ".ndjson") || EndsWith(ctx.path, ".jsonl")) return LoadNdjson(ctx);
  fhir::FhirResourceSummarizer summarizer;
  return LoadDocument(ctx, summarizer);
}

Result<IngestSummary> IngestFhirFiles(engine::LakeSession& session, const std::vector<std::string>& paths,
                                      const IngestOptions& options) {
  return IngestFiles(session, paths, "fhir", "raw.fhir_resources", LoadFhirFile, options,
                     {".json", ".ndjson", ".jsonl"});
}

}  // namespace medlake::ingest
