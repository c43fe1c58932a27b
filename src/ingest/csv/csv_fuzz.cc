// libFuzzer target for CSV reading: the input is read as a semicolon/Latin-1 extract (and as a
// UTF-8 comma one) under a fixed contract with every column type, through the streaming reader
// with tiny chunk and row caps; the first bytes also go through the contract parser. Every
// outcome must be a value: no crash, no sanitizer report, and accepted + rejected = read.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/file_system.h"
#include "ingest/csv/contract.h"
#include "ingest/csv/csv_reader.h"

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

constexpr const char* kContracts[] = {
    R"yaml(
source: FUZZ
dataset: latin1
format:
  encoding: ISO-8859-1
  delimiter: ";"
  decimal_separator: ","
  thousands_separator: "."
  date_formats: ["dd/MM/yyyy", "%Y-%m-%d"]
  time_format: "HH:mm"
  timestamp_format: "dd/MM/yyyy HH:mm:ss.SSS"
  null_values: ["", "NULL"]
keys:
  record: [A]
versioning:
  duplicates: reject_duplicate_keys
columns:
  - {name: A, type: integer, required: true}
  - {name: B, type: "decimal(6,2)"}
  - {name: C, type: date}
  - {name: D, type: time}
  - {name: E, type: datetime}
  - {name: F, type: code, values: {H: male, M: female}}
)yaml",
    R"yaml(
source: FUZZ
dataset: utf8
format:
  encoding: UTF-8
  escape: "\\"
  header: false
versioning:
  duplicates: exact_rows_may_repeat
columns:
  - {name: A, type: string, pattern: "[A-Z]{1,4}[0-9]*"}
  - {name: B, type: double}
  - {name: C, type: boolean}
)yaml",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  (void)medlake::ingest::csv::ParseContract(input.substr(0, 512));
  for (const char* yaml : kContracts) {
    medlake::Result<medlake::ingest::csv::SourceContract> contract =
        medlake::ingest::csv::ParseContract(yaml);
    if (!contract.ok()) {
      __builtin_trap();  // the fixed contracts are valid
    }
    std::string content = "A;B;C;D;E;F\n" + input;
    medlake::ingest::csv::CsvReaderOptions options;
    options.chunk_bytes = 5;
    options.max_row_bytes = 128;
    auto reader = medlake::ingest::csv::CsvReader::Make(std::make_unique<StringFile>(content),
                                                        *contract, options);
    if (!reader.ok()) {
      continue;  // schema drift cannot happen with this header, but stay a value
    }
    medlake::ingest::csv::CsvRow row;
    while (true) {
      medlake::Result<bool> more = (*reader)->Next(&row);
      if (!more.ok() || !*more) {
        break;
      }
      if (row.offset + row.raw.size() > content.size()) {
        __builtin_trap();
      }
    }
    if ((*reader)->rows_accepted() + (*reader)->rows_rejected() != (*reader)->rows_read()) {
      __builtin_trap();
    }
  }
  return 0;
}
