// ingest/mllp/mllp_framing.h: the Minimal Lower Layer Protocol's block framing.
//
// Part of ingest/mllp (see README.md). MLLP (HL7 v2.5.1 Implementation Guide for the Transport
// Specification "MLLP", release 2) wraps each message as <VT> message <FS><CR>, i.e. 0x0B,
// payload, 0x1C 0x0D, on a TCP stream. MllpFrameDecoder is incremental: feed it whatever each
// read() returned; frames split across reads and many frames per read both come out whole.
//
// Recovery rules (the sender is untrusted): bytes outside a frame are reported as garbage (count
// only); a start byte inside an unfinished frame discards that frame's bytes as garbage and starts
// a new frame; an FS not followed by CR is payload; a frame longer than the cap is reported once
// as oversized and its bytes skipped up to its end marker (the decoder never buffers more than
// the cap).
//
// Thread-safety: a decoder is a value used by one thread; EncodeMllpFrame is pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace medlake::ingest::mllp {

inline constexpr char kMllpStartBlock = '\x0b';
inline constexpr char kMllpEndBlock = '\x1c';
inline constexpr char kMllpCarriageReturn = '\x0d';
inline constexpr size_t kDefaultMaxFrameBytes = size_t{16} << 20;

enum class MllpEventKind {
  kFrame,      // `payload` holds one complete message (without the framing bytes)
  kGarbage,    // `size` bytes outside any frame were skipped
  kOversized,  // a frame exceeded the cap; its bytes are being skipped (reported once)
};

struct MllpEvent {
  MllpEventKind kind = MllpEventKind::kFrame;
  std::string payload;           // kFrame only
  size_t size = 0;               // kFrame: payload size; kGarbage: skipped bytes; kOversized: cap
  bool whitespace_only = false;  // kGarbage: every skipped byte was CR, LF, space or tab
};

class MllpFrameDecoder {
 public:
  explicit MllpFrameDecoder(size_t max_frame_bytes = kDefaultMaxFrameBytes)
      : max_frame_bytes_(max_frame_bytes) {}

  // Consumes `data` and appends the events it completes to `*events` (not cleared), in stream
  // order. Never fails: every byte ends up in a frame, in a garbage count, or in an oversized
  // frame.
  void Feed(std::string_view data, std::vector<MllpEvent>* events);

  // Reports bytes left over at the end of the stream (an unfinished frame or garbage) as one
  // garbage event, and resets the decoder.
  void Finish(std::vector<MllpEvent>* events);

  // True when the decoder is inside a frame (bytes received, end marker not yet).
  bool in_frame() const { return state_ != State::kOutside; }
  // Bytes currently buffered for the unfinished frame.
  size_t buffered() const { return frame_.size(); }

 private:
  enum class State { kOutside, kInFrame, kSawEndBlock, kDiscarding, kDiscardingSawEndBlock };
  void FlushGarbage(std::vector<MllpEvent>* events);

  size_t max_frame_bytes_;
  State state_ = State::kOutside;
  std::string frame_;
  size_t garbage_ = 0;
  bool garbage_whitespace_ = true;
};

// Wraps `payload` as <VT> payload <FS><CR>.
std::string EncodeMllpFrame(std::string_view payload);

}  // namespace medlake::ingest::mllp
