#include "ingest/fhir/ndjson_reader.h"

#include <algorithm>
#include <cstring>

namespace medlake::ingest::fhir {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool IsBlank(std::string_view line) {
  return std::all_of(line.begin(), line.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

}  // namespace

NdjsonReader::NdjsonReader(std::unique_ptr<RandomAccessFile> file, uint64_t size,
                           const NdjsonReaderOptions& options)
    : file_(std::move(file)), size_(size), options_(options) {
  options_.chunk_bytes = std::max<size_t>(options_.chunk_bytes, 1);
  options_.max_line_bytes = std::max<size_t>(options_.max_line_bytes, 1);
}

Result<std::unique_ptr<NdjsonReader>> NdjsonReader::Open(const FileSystem& fs,
                                                         const std::string& path,
                                                         const NdjsonReaderOptions& options) {
  MEDLAKE_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, fs.OpenForRead(path));
  Result<std::unique_ptr<NdjsonReader>> reader = Make(std::move(file), options);
  if (!reader.ok()) {
    return reader.status().WithContext("reading " + path);
  }
  return reader;
}

Result<std::unique_ptr<NdjsonReader>> NdjsonReader::Make(std::unique_ptr<RandomAccessFile> file,
                                                         const NdjsonReaderOptions& options) {
  MEDLAKE_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  return std::unique_ptr<NdjsonReader>(new NdjsonReader(std::move(file), size, options));
}

Result<bool> NdjsonReader::Fill() {
  if (read_offset_ >= size_) {
    return false;
  }
  // Drop consumed bytes first so the buffer stays bounded.
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    buf_offset_ += pos_;
    pos_ = 0;
  }
  const size_t want =
      static_cast<size_t>(std::min<uint64_t>(options_.chunk_bytes, size_ - read_offset_));
  MEDLAKE_RETURN_IF_ERROR(file_->Read(read_offset_, want, &scratch_));
  if (scratch_.empty()) {
    // The file shrank while being read: treat as the end.
    size_ = read_offset_;
    return false;
  }
  buf_.append(scratch_);
  read_offset_ += scratch_.size();
  return true;
}

Status NdjsonReader::SkipLongLine(uint64_t* length, bool* terminated) {
  // buf_[pos_..] holds the start of the line and no '\n'. Read on without keeping the bytes.
  uint64_t len = buf_.size() - pos_;
  *terminated = false;
  while (read_offset_ < size_) {
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(options_.chunk_bytes, size_ - read_offset_));
    MEDLAKE_RETURN_IF_ERROR(file_->Read(read_offset_, want, &scratch_));
    if (scratch_.empty()) {
      size_ = read_offset_;
      break;
    }
    const size_t nl = scratch_.find('\n');
    if (nl != std::string::npos) {
      len += nl;
      read_offset_ += nl + 1;
      *terminated = true;
      break;
    }
    len += scratch_.size();
    read_offset_ += scratch_.size();
  }
  *length = len;
  return Status::OK();
}

Result<bool> NdjsonReader::Next(NdjsonLine* line) {
  if (!started_) {
    started_ = true;
    // Read enough to see a BOM.
    while (buf_.size() < kBom.size()) {
      MEDLAKE_ASSIGN_OR_RETURN(bool more, Fill());
      if (!more) {
        break;
      }
    }
    if (std::string_view(buf_).starts_with(kBom)) {
      had_bom_ = true;
      pos_ = kBom.size();
    }
  }
  while (true) {
    const size_t nl = buf_.find('\n', pos_ + scan_);
    if (nl != std::string::npos) {
      std::string_view text(buf_.data() + pos_, nl - pos_);
      const uint64_t offset = buf_offset_ + pos_;
      ++line_number_;
      pos_ = nl + 1;
      scan_ = 0;
      if (!text.empty() && text.back() == '\r') {
        text.remove_suffix(1);
      }
      if (IsBlank(text)) {
        ++blank_lines_;
        continue;
      }
      if (text.size() > options_.max_line_bytes) {
        *line = NdjsonLine{text.substr(0, options_.max_line_bytes),
                           line_number_,
                           offset,
                           text.size(),
                           true,
                           false};
        return true;
      }
      *line = NdjsonLine{text, line_number_, offset, text.size(), false, false};
      return true;
    }
    const size_t pending = buf_.size() - pos_;
    if (pending > options_.max_line_bytes) {
      // Over-long line: deliver its prefix and skip the rest without buffering it.
      const uint64_t offset = buf_offset_ + pos_;
      uint64_t length = 0;
      bool terminated = false;
      MEDLAKE_RETURN_IF_ERROR(SkipLongLine(&length, &terminated));
      ++line_number_;
      *line = NdjsonLine{std::string_view(buf_.data() + pos_, options_.max_line_bytes),
                         line_number_,
                         offset,
                         length,
                         true,
                         !terminated};
      // The rest of this line is skipped: the next Fill() must continue at read_offset_. With
      // pos_ == buf_.size() it drops buf_ and sets buf_offset_ to buf_offset_ + pos_, hence:
      pos_ = buf_.size();
      scan_ = 0;
      buf_offset_ = read_offset_ - buf_.size();
      return true;
    }
    scan_ = pending;
    MEDLAKE_ASSIGN_OR_RETURN(bool more, Fill());
    if (!more) {
      if (pos_ >= buf_.size()) {
        return false;
      }
      // Last line without a terminator: deliver it (it may be truncated).
      std::string_view text(buf_.data() + pos_, buf_.size() - pos_);
      const uint64_t offset = buf_offset_ + pos_;
      ++line_number_;
      pos_ = buf_.size();
      scan_ = 0;
      if (!text.empty() && text.back() == '\r') {
        text.remove_suffix(1);
      }
      if (IsBlank(text)) {
        ++blank_lines_;
        return false;
      }
      *line = NdjsonLine{text, line_number_, offset, text.size(), false, true};
      return true;
    }
  }
}

}  // namespace medlake::ingest::fhir
