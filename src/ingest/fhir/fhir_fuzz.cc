// libFuzzer target for FHIR parsing: the input is read as one NDJSON file (through the NDJSON
// reader on an in-memory file, with small chunk and line caps so the buffer logic is exercised),
// each line summarized as a resource and also split as a Bundle. Every outcome must be a value:
// no crash, no sanitizer report.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/file_system.h"
#include "ingest/fhir/bundle_reader.h"
#include "ingest/fhir/fhir_resource.h"
#include "ingest/fhir/ndjson_reader.h"

namespace {

class StringFile : public medlake::RandomAccessFile {
 public:
  explicit StringFile(std::string data) : data_(std::move(data)) {}
  medlake::Status Read(uint64_t offset, size_t n, std::string* out) const override {
    out->clear();
    if (offset < data_.size()) {
      *out = data_.substr(static_cast<size_t>(offset), n);
    }
    return medlake::Status::OK();
  }
  medlake::Result<uint64_t> Size() const override { return uint64_t{data_.size()}; }

 private:
  std::string data_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace medlake::ingest::fhir;  // NOLINT(google-build-using-namespace): fuzzer only
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  FhirResourceSummarizer summarizer;
  (void)summarizer.Summarize(input);
  medlake::Result<FhirBundle> bundle = ReadBundle(input);
  if (bundle.ok()) {
    for (const FhirBundleEntry& entry : bundle->entries) {
      if (entry.has_resource && entry.problem.empty()) {
        // The span must lie inside the input.
        if (entry.resource_offset + entry.resource_json.size() > input.size()) {
          __builtin_trap();
        }
        (void)summarizer.Summarize(entry.resource_json, SummarizeOptions{false});
      }
    }
  }
  (void)ParseFhirDateTime(input);

  NdjsonReaderOptions options;
  options.chunk_bytes = 7;
  options.max_line_bytes = 64;
  auto reader = NdjsonReader::Make(std::make_unique<StringFile>(std::string(input)), options);
  if (!reader.ok()) {
    return 0;
  }
  NdjsonLine line;
  while (true) {
    medlake::Result<bool> more = (*reader)->Next(&line);
    if (!more.ok() || !*more) {
      break;
    }
    if (line.offset + line.bytes.size() > size) {
      __builtin_trap();
    }
    (void)summarizer.Summarize(line.bytes);
  }
  return 0;
}
