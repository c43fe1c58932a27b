// ingest/csv/csv_reader.h: streams a CSV extract through its source contract.
//
// The reader reads the file in fixed-size chunks through core's FileSystem (bounded memory),
// finds row boundaries with RFC 4180 quoting (the contract's delimiter, quote and escape;
// newlines inside quoted fields; LF or CRLF), checks the header against the contract's columns
// (any difference is schema drift for the whole file, never guessed around), decodes each
// field to UTF-8 and converts it with value_converter.h. Each row comes out accepted (typed
// canonical values) or rejected (a reason naming columns and rules, never values), always with
// its line number, byte offset and raw bytes, so that accepted + rejected = rows read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/file_system.h"
#include "core/status.h"
#include "ingest/csv/contract.h"
#include "ingest/csv/value_converter.h"

namespace medlake::ingest::csv {

struct CsvReaderOptions {
  size_t chunk_bytes = 4 << 20;     // bytes per RandomAccessFile::Read
  size_t max_row_bytes = 16 << 20;  // longer rows are rejected as one record (prefix kept)
};

// Differences between the contract's columns and a file's header.
struct HeaderDiff {
  std::vector<std::string> missing;    // contract columns absent from the header
  std::vector<size_t> unexpected;      // 1-based header positions of unknown names
  std::vector<std::string> misplaced;  // contract columns present at another position
  bool empty() const { return missing.empty() && unexpected.empty() && misplaced.empty(); }
  // "missing columns: A, B; unexpected columns at positions: 3; out of order: C". Unexpected
  // names are not repeated: a file without its header would put a data row here.
  std::string Describe() const;
};

// Compares the expected column names with a header, exactly (case and spaces count).
HeaderDiff CompareHeader(const std::vector<std::string>& expected,
                         const std::vector<std::string>& actual);

// Splits one row (terminator removed) into fields, undoing quoting. InvalidArgument naming
// the 1-based field for: text after a closing quote, a quote inside an unquoted field, an
// unterminated quoted field. `fields` must be non-null.
Status SplitCsvRow(std::string_view raw, const CsvFormat& format, std::vector<std::string>* fields);

struct CsvRow {
  uint64_t line_number = 0;  // 1-based physical line where the row starts (header = line 1)
  uint64_t offset = 0;       // byte offset of the row's first byte
  uint64_t length = 0;       // bytes of the row, terminator excluded
  // The row's original bytes, terminator excluded (a prefix of max_row_bytes when too_long).
  // A view into the reader's buffer, valid until the next Next() call.
  std::string_view raw;
  bool too_long = false;
  // Empty when accepted; otherwise the reasons ("; "-separated).
  std::string rejection;
  // Accepted rows: one canonical value per contract column (nullopt = null).
  std::vector<std::optional<std::string>> values;
  // With versioning.duplicates = exact_rows_may_repeat: the line of an earlier identical row
  // (by a 64-bit hash of the values), else 0. The row is still accepted.
  uint64_t duplicate_of_line = 0;

  bool accepted() const { return rejection.empty(); }
};

// Reads one file. Thread-safety: not thread-safe; one reader per thread. The FileSystem given
// to Open must outlive the reader; the contract is copied.
// Memory: max_row_bytes + 2 * chunk_bytes, plus, with a duplicate policy, one entry per
// distinct key (reject_duplicate_keys) or per row (exact_rows_may_repeat: 16 bytes each).
class CsvReader {
 public:
  // Opens `path` and, when the contract has a header, reads and checks it. Errors: NotFound /
  // IOError from the file system; FailedPrecondition "schema drift: ..." when the header differs
  // from the contract (or is missing, not decodable, not valid CSV).
  static Result<std::unique_ptr<CsvReader>> Open(const FileSystem& fs, const std::string& path,
                                                 const SourceContract& contract,
                                                 const CsvReaderOptions& options = {});
  static Result<std::unique_ptr<CsvReader>> Make(std::unique_ptr<RandomAccessFile> file,
                                                 const SourceContract& contract,
                                                 const CsvReaderOptions& options = {});

  // Fills `*row` (non-null) with the next row and returns true; false at the end of the file.
  // Blank lines are skipped and counted. IOError when reading fails.
  Result<bool> Next(CsvRow* row);

  uint64_t rows_read() const { return rows_read_; }
  uint64_t rows_accepted() const { return rows_accepted_; }
  uint64_t rows_rejected() const { return rows_read_ - rows_accepted_; }
  uint64_t blank_lines() const { return blank_lines_; }

 private:
  struct RawRow {
    std::string_view bytes;
    uint64_t line_number = 0;
    uint64_t offset = 0;
    uint64_t length = 0;
    bool too_long = false;
    bool unterminated_quote = false;
  };
  struct ScanState {
    bool in_quotes = false;
    bool at_field_start = true;
    bool pending_quote = false;   // saw a quote inside quotes; the next byte decides
    bool pending_escape = false;  // saw the escape character inside quotes
  };

  CsvReader(std::unique_ptr<RandomAccessFile> file, uint64_t size, ValueConverter converter,
            const CsvReaderOptions& options);
  Status ReadHeader();
  Result<bool> Fill();
  // Returns the index in `data` of the '\n' that ends the row, or npos; updates the state.
  size_t Scan(std::string_view data);
  Result<bool> NextRaw(RawRow* raw);

  std::unique_ptr<RandomAccessFile> file_;
  uint64_t size_ = 0;
  ValueConverter converter_;
  CsvReaderOptions options_;
  std::string buf_;
  std::string scratch_;
  uint64_t buf_offset_ = 0;
  size_t pos_ = 0;
  size_t scan_ = 0;
  ScanState state_;
  uint64_t read_offset_ = 0;
  uint64_t next_line_ = 1;
  uint64_t rows_read_ = 0;
  uint64_t rows_accepted_ = 0;
  uint64_t blank_lines_ = 0;
  std::vector<std::string> fields_;
  std::unordered_map<std::string, uint64_t> seen_keys_;     // reject_duplicate_keys
  std::unordered_map<uint64_t, uint64_t> seen_row_hashes_;  // exact_rows_may_repeat
};

}  // namespace medlake::ingest::csv
