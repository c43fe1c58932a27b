#include "ingest/hl7v2/hl7_batch.h"

#include <string>
#include <utility>

#include "ingest/hl7v2/hl7_scan_internal.h"

namespace medlake::ingest::hl7v2 {
namespace {

constexpr char kMllpStart = 0x0B;
constexpr char kMllpEnd = 0x1C;
constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool IsDelimiterChar(char ch) {
  const auto b = static_cast<unsigned char>(ch);
  return b >= 0x21 && b <= 0x7E &&
         !((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'));
}

bool IsBlank(std::string_view line) {
  for (char ch : line) {
    if (ch != ' ' && ch != '\t') {
      return false;
    }
  }
  return true;
}

enum class LineKind { kMsh, kFhs, kBhs, kBts, kFts, kOther };

// "MSH" etc. followed by a delimiter (or, for envelope trailers, by nothing).
LineKind Classify(std::string_view line) {
  if (line.size() < 3) {
    return LineKind::kOther;
  }
  const std::string_view id = line.substr(0, 3);
  const bool delimited = line.size() > 3 && IsDelimiterChar(line[3]);
  if (id == "MSH") {
    return delimited ? LineKind::kMsh : LineKind::kOther;
  }
  if (!delimited && line.size() != 3) {
    return LineKind::kOther;
  }
  if (id == "FHS" && delimited) {
    return LineKind::kFhs;
  }
  if (id == "BHS" && delimited) {
    return LineKind::kBhs;
  }
  if (id == "BTS") {
    return LineKind::kBts;
  }
  if (id == "FTS") {
    return LineKind::kFts;
  }
  return LineKind::kOther;
}

class Splitter {
 public:
  explicit Splitter(std::string_view buffer) : buf_(buffer) {}

  Hl7BatchSplit Run() {
    size_t first = 0;
    while (first < buf_.size() && (buf_[first] == ' ' || buf_[first] == '\t' ||
                                   buf_[first] == '\r' || buf_[first] == '\n')) {
      ++first;
    }
    if (first < buf_.size() && buf_[first] == kMllpStart) {
      RunMllp();
    } else {
      SplitRegion(0, buf_.size());
    }
    if (in_batch_) {
      Issue(batch_offset_, "batch not closed by BTS");
    }
    if (in_file_) {
      Issue(file_offset_, "file not closed by FTS");
    }
    return std::move(out_);
  }

 private:
  // MLLP: 0x0B <message or batch> 0x1C 0x0D, frames separated by nothing or whitespace.
  void RunMllp() {
    const size_t n = buf_.size();
    size_t pos = 0;
    while (pos < n) {
      size_t ws = pos;
      while (ws < n &&
             (buf_[ws] == ' ' || buf_[ws] == '\t' || buf_[ws] == '\r' || buf_[ws] == '\n')) {
        ++ws;
      }
      if (ws > pos) {
        Emit(Hl7SpanKind::kSeparator, pos, ws);
        pos = ws;
        continue;
      }
      if (buf_[pos] != kMllpStart) {
        size_t next = buf_.find(kMllpStart, pos);
        next = next == std::string_view::npos ? n : next;
        Emit(Hl7SpanKind::kRejected, pos, next, "data outside an MLLP frame");
        pos = next;
        continue;
      }
      const size_t end_byte = buf_.find(kMllpEnd, pos + 1);
      const size_t next_start = buf_.find(kMllpStart, pos + 1);
      if (end_byte == std::string_view::npos || next_start < end_byte) {
        const size_t stop = next_start == std::string_view::npos ? n : next_start;
        Emit(Hl7SpanKind::kRejected, pos, stop, "MLLP frame not terminated by 0x1C");
        pos = stop;
        continue;
      }
      Emit(Hl7SpanKind::kSeparator, pos, pos + 1);
      SplitRegion(pos + 1, end_byte);
      size_t after = end_byte + 1;
      if (after < n && buf_[after] == '\r') {
        ++after;
      }
      Emit(Hl7SpanKind::kSeparator, end_byte, after);
      pos = after;
    }
  }

  // Splits [begin, end) into lines and assigns each to a message, envelope, separator or
  // rejected chunk.
  void SplitRegion(size_t begin, size_t end) {
    const std::string_view region = buf_.substr(0, end);
    internal::ByteScanner3 scanner(region, '\r', '\n', '\n');
    scanner.Reset(begin);
    cursor_ = begin;
    state_ = State::kNone;
    size_t pos = begin;
    while (pos < end) {
      size_t le = scanner.Next();
      while (le < pos) {
        le = scanner.Next();
      }
      size_t next = le;
      if (le < end) {
        next = le + 1;
        if (region[le] == '\r' && next < end && region[next] == '\n') {
          ++next;
        }
      }
      Line(pos, region.substr(pos, le - pos), next);
      pos = next;
    }
    Close(end);
  }

  void Line(size_t start, std::string_view line, size_t next) {
    if (IsBlank(line)) {
      if (state_ == State::kGarbage) {
        Close(start);
      }
      if (state_ == State::kNone) {
        Emit(Hl7SpanKind::kSeparator, start, next);
      }
      return;  // inside a message: kept if more segments follow, else a separator
    }
    size_t bom = 0;
    if (line.substr(0, 3) == kBom && Classify(line.substr(3)) != LineKind::kOther) {
      bom = 3;
    }
    const LineKind kind = Classify(line.substr(bom));
    if (kind == LineKind::kOther) {
      if (state_ == State::kMessage) {
        msg_end_ = next;
      } else if (state_ == State::kNone) {
        state_ = State::kGarbage;
        cursor_ = start;
        garbage_reason_ = seen_header_ ? "data outside a message (after an envelope segment)"
                                       : "data before the first MSH segment";
      }
      return;
    }
    Close(start);
    seen_header_ = true;
    if (bom != 0) {
      Emit(Hl7SpanKind::kSeparator, start, start + bom);
      start += bom;
      line.remove_prefix(bom);
    }
    switch (kind) {
      case LineKind::kMsh:
        state_ = State::kMessage;
        cursor_ = start;
        msg_end_ = next;
        ++out_.message_count;
        if (in_batch_) {
          ++batch_messages_;
        }
        return;
      case LineKind::kFhs:
        if (in_file_) {
          Issue(start, "FHS before the previous file's FTS");
        }
        in_file_ = true;
        file_offset_ = start;
        file_batches_ = 0;
        break;
      case LineKind::kBhs:
        if (in_batch_) {
          Issue(start, "BHS before the previous batch's BTS");
        }
        in_batch_ = true;
        batch_offset_ = start;
        batch_messages_ = 0;
        ++file_batches_;
        break;
      case LineKind::kBts:
        if (!in_batch_) {
          Issue(start, "BTS without BHS");
        } else {
          CheckCount(start, line, batch_messages_, "BTS-1 batch message count", "messages");
        }
        in_batch_ = false;
        break;
      case LineKind::kFts:
        if (in_batch_) {
          Issue(start, "FTS before the batch's BTS");
          in_batch_ = false;
        }
        if (!in_file_) {
          Issue(start, "FTS without FHS");
        } else {
          CheckCount(start, line, file_batches_, "FTS-1 file batch count", "batches");
        }
        in_file_ = false;
        break;
      case LineKind::kOther:
        break;
    }
    Emit(Hl7SpanKind::kEnvelope, start, next);
  }

  // BTS-1 / FTS-1: the number of messages (batches) in the batch (file), when given.
  void CheckCount(size_t offset, std::string_view line, size_t actual, const char* what,
                  const char* unit) {
    if (line.size() <= 4) {
      return;
    }
    std::string_view field = line.substr(4);
    const size_t sep = field.find(line[3]);
    field = field.substr(0, sep);
    while (!field.empty() && field.back() == ' ') {
      field.remove_suffix(1);
    }
    while (!field.empty() && field.front() == ' ') {
      field.remove_prefix(1);
    }
    if (field.empty()) {
      return;
    }
    size_t declared = 0;
    for (char ch : field) {
      if (ch < '0' || ch > '9' || declared > 100'000'000) {
        Issue(offset, std::string(what) + " is not a number");
        return;
      }
      declared = declared * 10 + static_cast<size_t>(ch - '0');
    }
    if (declared != actual) {
      Issue(offset, std::string(what) + " " + std::to_string(declared) + " does not match the " +
                        std::to_string(actual) + " " + unit + " found");
    }
  }

  // Ends the open message or rejected chunk at `at` (a line start or the region end).
  void Close(size_t at) {
    if (state_ == State::kMessage) {
      Emit(Hl7SpanKind::kMessage, cursor_, msg_end_);
      Emit(Hl7SpanKind::kSeparator, msg_end_, at);  // blank lines after the last segment
    } else if (state_ == State::kGarbage) {
      Emit(Hl7SpanKind::kRejected, cursor_, at, garbage_reason_);
    }
    state_ = State::kNone;
    cursor_ = at;
  }

  void Emit(Hl7SpanKind kind, size_t from, size_t to, std::string reason = {}) {
    if (to <= from) {
      return;
    }
    if (kind == Hl7SpanKind::kRejected) {
      ++out_.rejected_count;
    }
    if (kind == Hl7SpanKind::kSeparator && !out_.spans.empty() &&
        out_.spans.back().kind == Hl7SpanKind::kSeparator &&
        out_.spans.back().offset + out_.spans.back().length == from) {
      out_.spans.back().length += to - from;
      return;
    }
    out_.spans.push_back(Hl7Span{kind, from, to - from, std::move(reason)});
  }

  void Issue(size_t offset, std::string reason) {
    out_.issues.push_back(Hl7BatchIssue{offset, std::move(reason)});
  }

  enum class State { kNone, kMessage, kGarbage };

  std::string_view buf_;
  Hl7BatchSplit out_;
  State state_ = State::kNone;
  size_t cursor_ = 0;
  size_t msg_end_ = 0;
  std::string garbage_reason_;
  bool seen_header_ = false;
  bool in_file_ = false;
  size_t file_offset_ = 0;
  size_t file_batches_ = 0;
  bool in_batch_ = false;
  size_t batch_offset_ = 0;
  size_t batch_messages_ = 0;
};

}  // namespace

Hl7BatchSplit SplitHl7Batch(std::string_view buffer) { return Splitter(buffer).Run(); }

}  // namespace medlake::ingest::hl7v2
