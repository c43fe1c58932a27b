#include "ingest/csv/csv_reader.h"

#include <algorithm>
#include <set>

#include "ingest/csv/text_encoding.h"

namespace medlake::ingest::csv {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) {
      out += ", ";
    }
    out += s;
  }
  return out;
}

// FNV-1a over the values, with a marker for nulls and a separator, stable across runs.
uint64_t HashValues(const std::vector<std::optional<std::string>>& values) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](unsigned char b) {
    h ^= b;
    h *= 1099511628211ULL;
  };
  for (const auto& v : values) {
    if (v.has_value()) {
      mix(1);
      for (char c : *v) {
        mix(static_cast<unsigned char>(c));
      }
    } else {
      mix(2);
    }
    mix(0);
  }
  return h;
}

Status FieldError(size_t field, std::string_view what) {
  return InvalidArgument("field " + std::to_string(field) + ": " + std::string(what));
}

}  // namespace

std::string HeaderDiff::Describe() const {
  std::string out;
  if (!missing.empty()) {
    out += "missing columns: " + Join(missing);
  }
  if (!unexpected.empty()) {
    if (!out.empty()) {
      out += "; ";
    }
    out += "unexpected columns at positions:";
    for (size_t p : unexpected) {
      out += " " + std::to_string(p);
    }
  }
  if (!misplaced.empty()) {
    if (!out.empty()) {
      out += "; ";
    }
    out += "out of order: " + Join(misplaced);
  }
  return out;
}

HeaderDiff CompareHeader(const std::vector<std::string>& expected,
                         const std::vector<std::string>& actual) {
  HeaderDiff diff;
  const std::set<std::string> expected_set(expected.begin(), expected.end());
  const std::set<std::string> actual_set(actual.begin(), actual.end());
  for (const std::string& name : expected) {
    if (actual_set.count(name) == 0) {
      diff.missing.push_back(name);
    }
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < actual.size(); ++i) {
    // Unknown names, and repeats of a known name, are unexpected.
    if (expected_set.count(actual[i]) == 0 || !seen.insert(actual[i]).second) {
      diff.unexpected.push_back(i + 1);
    }
  }
  // Order: compare the common columns' relative order.
  std::vector<std::string> common_expected;
  for (const std::string& name : expected) {
    if (actual_set.count(name) > 0) {
      common_expected.push_back(name);
    }
  }
  std::vector<std::string> common_actual;
  std::set<std::string> taken;
  for (const std::string& name : actual) {
    if (expected_set.count(name) > 0 && taken.insert(name).second) {
      common_actual.push_back(name);
    }
  }
  for (size_t i = 0; i < common_expected.size() && i < common_actual.size(); ++i) {
    if (common_expected[i] != common_actual[i]) {
      diff.misplaced.push_back(common_expected[i]);
    }
  }
  return diff;
}

Status SplitCsvRow(std::string_view raw, const CsvFormat& format,
                   std::vector<std::string>* fields) {
  fields->clear();
  const char delim = format.delimiter;
  const char quote = format.quote;
  const char escape = format.escape;
  size_t i = 0;
  const size_t n = raw.size();
  while (true) {
    std::string field;
    const size_t number = fields->size() + 1;
    if (quote != '\0' && i < n && raw[i] == quote) {
      ++i;
      bool closed = false;
      while (i < n) {
        const char c = raw[i];
        if (escape != '\0' && c == escape) {
          if (i + 1 >= n) {
            return FieldError(number, "escape character at end of row");
          }
          field.push_back(raw[i + 1]);
          i += 2;
          continue;
        }
        if (c == quote) {
          if (i + 1 < n && raw[i + 1] == quote) {
            field.push_back(quote);
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        field.push_back(c);
        ++i;
      }
      if (!closed) {
        return FieldError(number, "unterminated quoted field");
      }
      if (i < n && raw[i] != delim) {
        return FieldError(number, "text after closing quote");
      }
    } else {
      const size_t end = std::min(raw.find(delim, i), n);
      const std::string_view text = raw.substr(i, end - i);
      if (quote != '\0' && text.find(quote) != std::string_view::npos) {
        return FieldError(number, "quote character inside unquoted field");
      }
      field.assign(text);
      i = end;
    }
    fields->push_back(std::move(field));
    if (i >= n) {
      return Status::OK();
    }
    ++i;  // the delimiter; a trailing one starts an empty last field
    if (i == n) {
      fields->emplace_back();
      return Status::OK();
    }
  }
}

CsvReader::CsvReader(std::unique_ptr<RandomAccessFile> file, uint64_t size,
                     ValueConverter converter, const CsvReaderOptions& options)
    : file_(std::move(file)), size_(size), converter_(std::move(converter)), options_(options) {
  options_.chunk_bytes = std::max<size_t>(options_.chunk_bytes, 1);
  options_.max_row_bytes = std::max<size_t>(options_.max_row_bytes, 1);
}

Result<std::unique_ptr<CsvReader>> CsvReader::Open(const FileSystem& fs, const std::string& path,
                                                   const SourceContract& contract,
                                                   const CsvReaderOptions& options) {
  MEDLAKE_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, fs.OpenForRead(path));
  Result<std::unique_ptr<CsvReader>> reader = Make(std::move(file), contract, options);
  if (!reader.ok()) {
    return reader.status().WithContext(path);
  }
  return reader;
}

Result<std::unique_ptr<CsvReader>> CsvReader::Make(std::unique_ptr<RandomAccessFile> file,
                                                   const SourceContract& contract,
                                                   const CsvReaderOptions& options) {
  MEDLAKE_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  MEDLAKE_ASSIGN_OR_RETURN(ValueConverter converter, ValueConverter::Make(contract));
  std::unique_ptr<CsvReader> reader(
      new CsvReader(std::move(file), size, std::move(converter), options));
  MEDLAKE_RETURN_IF_ERROR(reader->ReadHeader());
  return reader;
}

Result<bool> CsvReader::Fill() {
  if (read_offset_ >= size_) {
    return false;
  }
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    buf_offset_ += pos_;
    pos_ = 0;
  }
  const auto want =
      static_cast<size_t>(std::min<uint64_t>(options_.chunk_bytes, size_ - read_offset_));
  MEDLAKE_RETURN_IF_ERROR(file_->Read(read_offset_, want, &scratch_));
  if (scratch_.empty()) {
    size_ = read_offset_;  // the file shrank while being read
    return false;
  }
  buf_.append(scratch_);
  read_offset_ += scratch_.size();
  return true;
}

size_t CsvReader::Scan(std::string_view data) {
  const CsvFormat& f = converter_.contract().format;
  ScanState& st = state_;
  for (size_t i = 0; i < data.size(); ++i) {
    const char c = data[i];
    if (st.pending_escape) {
      st.pending_escape = false;
      continue;
    }
    if (st.pending_quote) {
      st.pending_quote = false;
      if (c == f.quote) {
        continue;  // doubled quote inside a quoted field
      }
      st.in_quotes = false;  // that quote closed the field; `c` is outside quotes
    } else if (st.in_quotes) {
      if (f.escape != '\0' && c == f.escape) {
        st.pending_escape = true;
      } else if (c == f.quote) {
        st.pending_quote = true;
      }
      continue;
    }
    if (f.quote != '\0' && c == f.quote && st.at_field_start) {
      st.in_quotes = true;
      st.at_field_start = false;
    } else if (c == f.delimiter) {
      st.at_field_start = true;
    } else if (c == '\n') {
      return i;
    } else {
      st.at_field_start = false;
    }
  }
  return std::string_view::npos;
}

Result<bool> CsvReader::NextRaw(RawRow* raw) {
  while (true) {
    const size_t rel = Scan(std::string_view(buf_).substr(pos_ + scan_));
    if (rel != std::string_view::npos) {
      const size_t end = pos_ + scan_ + rel;
      std::string_view bytes(buf_.data() + pos_, end - pos_);
      raw->offset = buf_offset_ + pos_;
      raw->line_number = next_line_;
      next_line_ += 1 + static_cast<uint64_t>(std::count(bytes.begin(), bytes.end(), '\n'));
      pos_ = end + 1;
      scan_ = 0;
      state_ = ScanState{};
      if (!bytes.empty() && bytes.back() == '\r') {
        bytes.remove_suffix(1);
      }
      raw->length = bytes.size();
      raw->too_long = bytes.size() > options_.max_row_bytes;
      raw->bytes = raw->too_long ? bytes.substr(0, options_.max_row_bytes) : bytes;
      raw->unterminated_quote = false;
      return true;
    }
    scan_ = buf_.size() - pos_;
    if (scan_ > options_.max_row_bytes) {
      // Over-long row: keep its prefix, scan the rest chunk by chunk without buffering it.
      raw->offset = buf_offset_ + pos_;
      raw->line_number = next_line_;
      uint64_t newlines = static_cast<uint64_t>(
          std::count(buf_.begin() + static_cast<std::ptrdiff_t>(pos_), buf_.end(), '\n'));
      uint64_t length = scan_;
      while (read_offset_ < size_) {
        const auto want =
            static_cast<size_t>(std::min<uint64_t>(options_.chunk_bytes, size_ - read_offset_));
        MEDLAKE_RETURN_IF_ERROR(file_->Read(read_offset_, want, &scratch_));
        if (scratch_.empty()) {
          size_ = read_offset_;
          break;
        }
        const size_t at = Scan(scratch_);
        if (at != std::string_view::npos) {
          newlines += static_cast<uint64_t>(std::count(
              scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
          length += at;
          read_offset_ += at + 1;
          break;
        }
        newlines += static_cast<uint64_t>(std::count(scratch_.begin(), scratch_.end(), '\n'));
        length += scratch_.size();
        read_offset_ += scratch_.size();
      }
      next_line_ += 1 + newlines;
      state_ = ScanState{};
      raw->length = length;
      raw->too_long = true;
      raw->unterminated_quote = false;
      raw->bytes = std::string_view(buf_.data() + pos_, options_.max_row_bytes);
      // Resume after the row: the next Fill() drops buf_ and continues at read_offset_.
      pos_ = buf_.size();
      scan_ = 0;
      buf_offset_ = read_offset_ - buf_.size();
      return true;
    }
    MEDLAKE_ASSIGN_OR_RETURN(bool more, Fill());
    if (!more) {
      if (pos_ >= buf_.size()) {
        return false;
      }
      // Last row without a terminator.
      std::string_view bytes(buf_.data() + pos_, buf_.size() - pos_);
      raw->offset = buf_offset_ + pos_;
      raw->line_number = next_line_;
      next_line_ += 1 + static_cast<uint64_t>(std::count(bytes.begin(), bytes.end(), '\n'));
      raw->unterminated_quote = state_.in_quotes && !state_.pending_quote;
      pos_ = buf_.size();
      scan_ = 0;
      state_ = ScanState{};
      if (!bytes.empty() && bytes.back() == '\r') {
        bytes.remove_suffix(1);
      }
      raw->length = bytes.size();
      raw->too_long = false;
      raw->bytes = bytes;
      return true;
    }
  }
}

Status CsvReader::ReadHeader() {
  const SourceContract& contract = converter_.contract();
  if (contract.format.encoding == Encoding::kUtf8) {
    while (buf_.size() < kBom.size()) {
      MEDLAKE_ASSIGN_OR_RETURN(bool more, Fill());
      if (!more) {
        break;
      }
    }
    if (std::string_view(buf_).starts_with(kBom)) {
      pos_ = kBom.size();
    }
  }
  if (!contract.format.header) {
    return Status::OK();
  }
  RawRow raw;
  MEDLAKE_ASSIGN_OR_RETURN(bool found, NextRaw(&raw));
  if (!found) {
    return FailedPrecondition("schema drift: the file has no header line");
  }
  if (raw.too_long) {
    return FailedPrecondition("schema drift: the header line is too long");
  }
  Result<std::string> decoded = DecodeToUtf8(raw.bytes, contract.format.encoding);
  if (!decoded.ok()) {
    return FailedPrecondition("schema drift: header line: " + decoded.status().message());
  }
  std::vector<std::string> names;
  Status split = SplitCsvRow(*decoded, contract.format, &names);
  if (!split.ok()) {
    return FailedPrecondition("schema drift: header line: " + split.message());
  }
  std::vector<std::string> expected;
  for (const ColumnSpec& c : contract.columns) {
    expected.push_back(c.name);
  }
  const HeaderDiff diff = CompareHeader(expected, names);
  if (!diff.empty()) {
    return FailedPrecondition("schema drift: header differs from contract " + contract.source +
                              "/" + contract.dataset + ": " + diff.Describe());
  }
  return Status::OK();
}

Result<bool> CsvReader::Next(CsvRow* row) {
  const SourceContract& contract = converter_.contract();
  RawRow raw;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool more, NextRaw(&raw));
    if (!more) {
      return false;
    }
    if (raw.length == 0) {
      ++blank_lines_;
      continue;
    }
    break;
  }
  ++rows_read_;
  row->line_number = raw.line_number;
  row->offset = raw.offset;
  row->length = raw.length;
  row->raw = raw.bytes;
  row->too_long = raw.too_long;
  row->rejection.clear();
  row->values.clear();
  row->duplicate_of_line = 0;

  if (raw.too_long) {
    row->rejection = "row longer than " + std::to_string(options_.max_row_bytes) + " bytes";
    return true;
  }
  if (raw.unterminated_quote) {
    row->rejection = "unterminated quoted field at end of file";
    return true;
  }
  Status split = SplitCsvRow(raw.bytes, contract.format, &fields_);
  if (!split.ok()) {
    row->rejection = split.message();
    return true;
  }
  if (fields_.size() != contract.columns.size()) {
    row->rejection = "row has " + std::to_string(fields_.size()) + " fields, contract has " +
                     std::to_string(contract.columns.size()) + " columns";
    return true;
  }
  for (size_t i = 0; i < fields_.size(); ++i) {
    Result<std::string> decoded = DecodeToUtf8(fields_[i], contract.format.encoding);
    if (!decoded.ok()) {
      if (!row->rejection.empty()) {
        row->rejection += "; ";
      }
      row->rejection += "column " + contract.columns[i].name + ": " + decoded.status().message();
      continue;
    }
    fields_[i] = std::move(decoded).value();
  }
  if (!row->rejection.empty()) {
    return true;
  }
  row->rejection = converter_.ConvertRow(fields_, &row->values);
  if (!row->rejection.empty()) {
    row->values.clear();
    return true;
  }

  switch (contract.versioning.duplicates) {
    case DuplicatePolicy::kAllow:
      break;
    case DuplicatePolicy::kExactRowsMayRepeat: {
      auto [it, inserted] = seen_row_hashes_.emplace(HashValues(row->values), row->line_number);
      if (!inserted) {
        row->duplicate_of_line = it->second;
      }
      break;
    }
    case DuplicatePolicy::kRejectDuplicateKeys: {
      std::string key;
      for (const std::string& name : contract.record_key) {
        const auto& v = row->values[static_cast<size_t>(contract.ColumnIndex(name))];
        key += v.has_value() ? "1" + *v : "0";
        key.push_back('\x1f');
      }
      auto [it, inserted] = seen_keys_.emplace(std::move(key), row->line_number);
      if (!inserted) {
        row->rejection = "duplicate record key (" + Join(contract.record_key) + ") of line " +
                         std::to_string(it->second);
        row->values.clear();
        return true;
      }
      break;
    }
  }
  ++rows_accepted_;
  return true;
}

}  // namespace medlake::ingest::csv
