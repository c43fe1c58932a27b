// ingest/fhir/ndjson_reader.h: streams the lines of an NDJSON file (FHIR Bulk Data export) in
// bounded memory.
//
// The reader goes through core's FileSystem/RandomAccessFile, reading fixed-size chunks, and
// yields one record per non-blank line with its 1-based line number and byte offset, so that a
// raw table row or a quarantine row can say exactly where it came from. It does not parse JSON:
// each line goes on to fhir_resource.h. Nothing is dropped silently: blank lines are counted,
// an over-long line and an unterminated last line are delivered as records (flagged) so that
// they are rejected or loaded, never lost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/file_system.h"
#include "core/status.h"

namespace medlake::ingest::fhir {

struct NdjsonReaderOptions {
  size_t chunk_bytes = 4 << 20;      // bytes read per RandomAccessFile::Read
  size_t max_line_bytes = 64 << 20;  // longer lines are delivered as one `too_long` record
};

// One line of the file.
struct NdjsonLine {
  // The line without its terminator ("\n" or "\r\n") and without a leading UTF-8 BOM. For a
  // `too_long` line: its first max_line_bytes bytes only. A view into the reader's buffer,
  // valid until the next call to Next() or the reader's destruction.
  std::string_view bytes;
  uint64_t line_number = 0;   // 1-based physical line number
  uint64_t offset = 0;        // byte offset of the line's first byte in the file
  uint64_t length = 0;        // bytes of the line in the file, terminator excluded
  bool too_long = false;      // length > max_line_bytes; reject it (bytes is a prefix)
  bool unterminated = false;  // last line of the file without "\n" (possibly truncated)
};

// Reads one file front to back. Memory: at most max_line_bytes + 2 * chunk_bytes.
// Thread-safety: not thread-safe; one reader per thread. The FileSystem passed to Open must
// outlive the reader.
class NdjsonReader {
 public:
  // Opens `path`. NotFound / IOError from the file system.
  static Result<std::unique_ptr<NdjsonReader>> Open(const FileSystem& fs, const std::string& path,
                                                    const NdjsonReaderOptions& options = {});
  // Reads from an already opened file (takes ownership).
  static Result<std::unique_ptr<NdjsonReader>> Make(std::unique_ptr<RandomAccessFile> file,
                                                    const NdjsonReaderOptions& options = {});

  // Fills `*line` with the next non-blank line and returns true; returns false at the end of
  // the file. IOError when a read fails (the load of this file cannot continue). `line` must be
  // non-null.
  Result<bool> Next(NdjsonLine* line);

  // Lines consisting only of spaces, tabs and "\r" seen so far (skipped, counted).
  uint64_t blank_lines() const { return blank_lines_; }
  // Physical lines seen so far (delivered + blank).
  uint64_t lines_seen() const { return line_number_; }
  // True when the file started with a UTF-8 byte order mark (skipped).
  bool had_bom() const { return had_bom_; }

 private:
  NdjsonReader(std::unique_ptr<RandomAccessFile> file, uint64_t size,
               const NdjsonReaderOptions& options);
  // Appends up to chunk_bytes from the file to buf_. Returns false at end of file.
  Result<bool> Fill();
  // Skips the rest of an over-long line; sets `*length` to its full length and `*terminated`.
  Status SkipLongLine(uint64_t* length, bool* terminated);

  std::unique_ptr<RandomAccessFile> file_;
  uint64_t size_ = 0;
  NdjsonReaderOptions options_;
  std::string buf_;      // file bytes [buf_offset_, buf_offset_ + buf_.size())
  std::string scratch_;  // chunk buffer used while skipping an over-long line
  uint64_t buf_offset_ = 0;
  size_t pos_ = 0;            // next unread byte in buf_
  size_t scan_ = 0;           // bytes after pos_ already known to hold no '\n'
  uint64_t read_offset_ = 0;  // next file offset to read
  uint64_t line_number_ = 0;
  uint64_t blank_lines_ = 0;
  bool had_bom_ = false;
  bool started_ = false;
};

}  // namespace medlake::ingest::fhir
