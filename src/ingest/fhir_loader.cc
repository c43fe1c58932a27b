#include "ingest/fhir_loader.h"

#include "core/crypto.h"
#include "core/file_system.h"
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

Status AppendResource(FileContext& ctx, fhir::FhirResourceSummarizer& summarizer, std::string_view json,
                      int64_t offset, int64_t line, int64_t entry_index, const std::string& location,
                      bool require_id = true) {
  ++ctx.summary->received;
  auto summary = summarizer.Summarize(json, fhir::SummarizeOptions{require_id});
  if (!summary.ok()) {
    return AppendQuarantine(ctx, "fhir", offset, line, location, ReasonCode(summary.status()),
                            summary.status().message(), json);
  }
  auto& a = ctx.accepted->row();
  MEDLAKE_RETURN_IF_ERROR(AppendLineage(ctx, a, offset));
  MEDLAKE_RETURN_IF_ERROR(line >= 0 ? a.AppendInt64(line) : a.AppendNull());
  MEDLAKE_RETURN_IF_ERROR(entry_index >= 0 ? a.AppendInt64(entry_index) : a.AppendNull());
  MEDLAKE_RETURN_IF_ERROR(a.AppendString(HexEncode(Sha256(json))));
  MEDLAKE_RETURN_IF_ERROR(a.AppendString(summary->resource_type));
  MEDLAKE_RETURN_IF_ERROR(summary->id.empty() ? a.AppendNull() : a.AppendString(summary->id));
  MEDLAKE_RETURN_IF_ERROR(summary->version_id.empty() ? a.AppendNull() : a.AppendString(summary->version_id));
  MEDLAKE_RETURN_IF_ERROR(summary->last_updated_micros ? a.AppendTimestamp(*summary->last_updated_micros)
                                                       : a.AppendNull());
  MEDLAKE_RETURN_IF_ERROR(summary->patient_reference.empty() ? a.AppendNull()
                                                             : a.AppendString(summary->patient_reference));
  MEDLAKE_RETURN_IF_ERROR(summary->effective ? a.AppendTimestamp(summary->effective->utc_micros) : a.AppendNull());
  MEDLAKE_RETURN_IF_ERROR(a.AppendString(json));
  ++ctx.summary->accepted;
  return ctx.accepted->EndRow();
}

Status LoadNdjson(FileContext& ctx, fhir::FhirResourceSummarizer& summarizer) {
  MEDLAKE_ASSIGN_OR_RETURN(auto reader, fhir::NdjsonReader::Open(LocalFileSystem::Default(), ctx.path));
  fhir::NdjsonLine line;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool more, reader->Next(&line));
    if (!more) break;
    std::string location = "line " + std::to_string(line.line_number);
    if (line.too_long) {
      ++ctx.summary->received;
      MEDLAKE_RETURN_IF_ERROR(AppendQuarantine(ctx, "fhir", static_cast<int64_t>(line.offset),
                                               static_cast<int64_t>(line.line_number), location,
                                               "fhir.line_too_long",
                                               "line of " + std::to_string(line.length) +
                                                   " bytes exceeds the limit (first bytes kept)",
                                               line.bytes));
      continue;
    }
    MEDLAKE_RETURN_IF_ERROR(AppendResource(ctx, summarizer, line.bytes, static_cast<int64_t>(line.offset),
                                           static_cast<int64_t>(line.line_number), -1, location));
  }
  return Status::OK();
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
  fhir::FhirResourceSummarizer summarizer;
  if (EndsWith(ctx.path, ".ndjson") || EndsWith(ctx.path, ".jsonl")) return LoadNdjson(ctx, summarizer);
  return LoadDocument(ctx, summarizer);
}

Result<IngestSummary> IngestFhirFiles(engine::LakeSession& session, const std::vector<std::string>& paths,
                                      const IngestOptions& options) {
  return IngestFiles(session, paths, "fhir", "raw.fhir_resources", LoadFhirFile, options,
                     {".json", ".ndjson", ".jsonl"});
}

}  // namespace medlake::ingest
