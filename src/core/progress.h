// core/progress.h: a progress bar for long-running commands.
//
// Draws on a terminal only: when the output stream is not a TTY (pipes, CI, files) it prints
// nothing at all, so machine-readable output stays clean. Redraws are rate-limited (10 per
// second) so that calling Advance() per record is cheap.
//
// Thread-safety: not thread-safe; one owner advances it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "core/clock.h"

namespace medlake {

class ProgressBar {
 public:
  // `total` may be 0 when unknown (then a counter is drawn). `out` must outlive the bar.
  // `enabled` defaults to whether `out` is a terminal.
  ProgressBar(std::string label, uint64_t total, std::FILE* out = stderr);
  ProgressBar(std::string label, uint64_t total, std::FILE* out, bool enabled,
              const Clock& clock = SystemClock::Default());
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void Advance(uint64_t n = 1);
  void Set(uint64_t done);
  // Draws the final state and ends the line (called by the destructor if not yet done).
  void Finish();
  bool enabled() const { return enabled_; }

  // The line that would be drawn for the current state (for tests).
  std::string RenderForTest() const { return Render(); }

 private:
  std::string Render() const;
  void MaybeDraw(bool force);

  std::string label_;
  uint64_t total_;
  uint64_t done_ = 0;
  std::FILE* out_;
  bool enabled_;
  bool finished_ = false;
  const Clock& clock_;
  int64_t start_ns_;
  int64_t last_draw_ns_ = 0;
};

// True if `f` refers to a terminal.
bool IsTerminal(std::FILE* f);

}  // namespace medlake
