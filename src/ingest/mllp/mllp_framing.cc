#include "ingest/mllp/mllp_framing.h"

#include <cstring>

namespace medlake::ingest::mllp {
namespace {

bool IsWhitespace(char c) { return c == '\r' || c == '\n' || c == ' ' || c == '\t'; }

}  // namespace

void MllpFrameDecoder::FlushGarbage(std::vector<MllpEvent>* events) {
  if (garbage_ == 0)
    return;
  MllpEvent e;
  e.kind = MllpEventKind::kGarbage;
  e.size = garbage_;
  e.whitespace_only = garbage_whitespace_;
  events->push_back(std::move(e));
  garbage_ = 0;
  garbage_whitespace_ = true;
}

void MllpFrameDecoder::Feed(std::string_view data, std::vector<MllpEvent>* events) {
  size_t i = 0;
  const size_t n = data.size();
  while (i < n) {
    switch (state_) {
      case State::kOutside: {
        const char c = data[i++];
        if (c == kMllpStartBlock) {
          FlushGarbage(events);
          state_ = State::kInFrame;
          frame_.clear();
        } else {
          ++garbage_;
          if (!IsWhitespace(c))
            garbage_whitespace_ = false;
        }
        break;
      }
      case State::kInFrame: {
        // Copy the run up to the next control byte in one go (the common case is a whole
        // message in one read).
        const char* start = data.data() + i;
        size_t run = 0;
        while (i + run < n && start[run] != kMllpEndBlock && start[run] != kMllpStartBlock)
          ++run;
        if (frame_.size() + run > max_frame_bytes_) {
          MllpEvent e;
          e.kind = MllpEventKind::kOversized;
          e.size = max_frame_bytes_;
          events->push_back(std::move(e));
          frame_.clear();
          frame_.shrink_to_fit();
          state_ = State::kDiscarding;
          break;
        }
        frame_.append(start, run);
        i += run;
        if (i < n) {
          const char c = data[i++];
          if (c == kMllpEndBlock) {
            state_ = State::kSawEndBlock;
          } else {
            // A start block inside a frame: the unfinished frame is abandoned as garbage.
            garbage_ = frame_.size() + 1;  // + its start block
            garbage_whitespace_ = false;
            FlushGarbage(events);
            frame_.clear();
          }
        }
        break;
      }
      case State::kSawEndBlock: {
        const char c = data[i];
        if (c == kMllpCarriageReturn) {
          ++i;
          MllpEvent e;
          e.kind = MllpEventKind::kFrame;
          e.size = frame_.size();
          e.payload = std::move(frame_);
          frame_ = std::string();
          events->push_back(std::move(e));
          state_ = State::kOutside;
        } else {
          // FS without CR is not an end marker: keep it as payload and re-read `c` in frame.
          frame_.push_back(kMllpEndBlock);
          state_ = State::kInFrame;
          if (frame_.size() > max_frame_bytes_) {
            MllpEvent e;
            e.kind = MllpEventKind::kOversized;
            e.size = max_frame_bytes_;
            events->push_back(std::move(e));
            frame_.clear();
            state_ = State::kDiscarding;
          }
        }
        break;
      }
      case State::kDiscarding: {
        const void* fs = std::memchr(data.data() + i, kMllpEndBlock, n - i);
        if (fs == nullptr) {
          i = n;
        } else {
          i = static_cast<size_t>(static_cast<const char*>(fs) - data.data()) + 1;
          state_ = State::kDiscardingSawEndBlock;
        }
        break;
      }
      case State::kDiscardingSawEndBlock: {
        const char c = data[i];
        if (c == kMllpCarriageReturn) {
          ++i;
          state_ = State::kOutside;
        } else if (c != kMllpEndBlock) {
          ++i;
          state_ = State::kDiscarding;
        } else {
          ++i;
        }
        break;
      }
    }
  }
}

void MllpFrameDecoder::Finish(std::vector<MllpEvent>* events) {
  if (state_ == State::kInFrame || state_ == State::kSawEndBlock) {
    garbage_ += 1 + frame_.size() + (state_ == State::kSawEndBlock ? 1 : 0);
    garbage_whitespace_ = false;
  }
  FlushGarbage(events);
  frame_.clear();
  state_ = State::kOutside;
}

std::string EncodeMllpFrame(std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 3);
  out.push_back(kMllpStartBlock);
  out.append(payload);
  out.push_back(kMllpEndBlock);
  out.push_back(kMllpCarriageReturn);
  return out;
}

}  // namespace medlake::ingest::mllp
