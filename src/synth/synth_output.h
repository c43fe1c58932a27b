// synth/synth_output.h: how rendered records travel from generator threads to the files.
//
// Worker threads render a batch of patients into a `BatchOutput`: per output file (a path
// relative to the output directory) the bytes to append, how many records they hold, and the
// faults and quirks injected into them, located relative to the batch. `OutputWriter` appends
// batches in patient order, turns relative locations into absolute ones (message or line number
// in the file), writes the truth files and keeps the counts for manifest.json.
//
// Memory: a BatchOutput holds one batch only; OutputWriter keeps a fixed-size write buffer per
// open file and closes rolling files (HL7 batches, CSV extracts) when the next file starts.
//
// Thread-safety: a BatchOutput is filled by one thread and then handed over. OutputWriter is
// not thread-safe; one thread owns it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/file_system.h"
#include "core/status.h"

namespace medlake::synth {

// A fault or quirk in one record of a chunk. `record` is 1-based within the chunk.
struct PendingMark {
  uint64_t record = 0;
  std::string record_id;  // HL7 MSH-10, FHIR "Type/id", CSV request number
  std::string kind;       // see README.md "Faults"
  std::string detail;     // where in the record (segment-field, JSON element, column)
};

struct Chunk {
  std::string text;
  uint64_t records = 0;
  std::vector<PendingMark> faults;
  std::vector<PendingMark> quirks;
  // For CSV files: the header line(s), written once when the file is created.
  std::string header;
  // Lines per record (CSV rows, NDJSON lines): 1. HL7 messages count as records, not lines.
  bool line_records = true;
  // Files that roll over (HL7 batches, CSV extracts) are closed when a batch with a later
  // file number arrives.
  bool rolling = false;
  // A complete file (a FHIR transaction Bundle): written and closed when the batch is appended.
  bool whole_file = false;
};

struct BatchOutput {
  uint64_t first_patient = 0;
  uint64_t patients = 0;
  // Rolling files of earlier file numbers are complete once a batch of a later one arrives.
  uint64_t file_number = 0;
  std::map<std::string, Chunk> chunks;     // by relative path
  std::map<std::string, uint64_t> counts;  // manifest counters, e.g. "hl7/ADT^A01"
  std::string source_records;              // truth/source_records.csv rows
  uint64_t source_record_rows = 0;

  Chunk& At(const std::string& path) { return chunks[path]; }
  void Count(const std::string& key, uint64_t n = 1) { counts[key] += n; }
};

struct FileStats {
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t faults = 0;
};

class OutputWriter {
 public:
  // Writes below `root` (created if missing) through `fs`, which must outlive the writer.
  static Result<std::unique_ptr<OutputWriter>> Open(FileSystem* fs, std::string root);
  ~OutputWriter();
  OutputWriter(const OutputWriter&) = delete;
  OutputWriter& operator=(const OutputWriter&) = delete;

  // Appends one batch. Batches must come in patient order. IOError on write failures.
  Status Append(BatchOutput batch);
  // Writes a whole file at once (region files, contracts, README of the output).
  Status WriteWholeFile(const std::string& relative_path, std::string_view data);
  // Flushes and closes everything and writes manifest.json with `extra_json` members (already
  // serialized, e.g. "\"seed\":42,...") at the top. IOError on failure.
  Status Finish(std::string_view extra_json);

  const std::map<std::string, FileStats>& files() const { return files_; }
  const std::map<std::string, uint64_t>& counts() const { return counts_; }
  uint64_t faults() const { return fault_rows_; }

 private:
  class BufferedFile;
  OutputWriter(FileSystem* fs, std::string root);
  Result<BufferedFile*> FileFor(const std::string& relative_path, const Chunk& chunk,
                                uint64_t file_number);

  FileSystem* fs_;
  std::string root_;
  std::map<std::string, std::unique_ptr<BufferedFile>> open_;
  std::map<std::string, FileStats> files_;
  std::map<std::string, uint64_t> counts_;
  std::unique_ptr<BufferedFile> faults_file_;
  std::unique_ptr<BufferedFile> quirks_file_;
  std::unique_ptr<BufferedFile> records_file_;
  uint64_t fault_rows_ = 0;
  uint64_t quirk_rows_ = 0;
  uint64_t source_record_rows_ = 0;
};

// Appends `value` to `out` as one CSV field (RFC 4180 quoting when it holds , " or newlines).
void AppendCsvField(std::string* out, std::string_view value);

}  // namespace medlake::synth
