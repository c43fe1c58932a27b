#include "core/progress.h"

#include <unistd.h>

#include <algorithm>

namespace medlake {

bool IsTerminal(std::FILE* f) { return f != nullptr && ::isatty(::fileno(f)) == 1; }

ProgressBar::ProgressBar(std::string label, uint64_t total, std::FILE* out)
    : ProgressBar(std::move(label), total, out, IsTerminal(out)) {}

ProgressBar::ProgressBar(std::string label, uint64_t total, std::FILE* out, bool enabled,
                         const Clock& clock)
    : label_(std::move(label)),
      total_(total),
      out_(out),
      enabled_(enabled),
      clock_(clock),
      start_ns_(clock.MonotonicNanos()) {}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Advance(uint64_t n) {
  done_ += n;
  MaybeDraw(false);
}

void ProgressBar::Set(uint64_t done) {
  done_ = done;
  MaybeDraw(false);
}

void ProgressBar::Finish() {
  if (finished_) return;
  finished_ = true;
  if (!enabled_) return;
  MaybeDraw(true);
  std::fputc('\n', out_);
  std::fflush(out_);
}

std::string ProgressBar::Render() const {
  double secs = static_cast<double>(clock_.MonotonicNanos() - start_ns_) / 1e9;
  double rate = secs > 0 ? static_cast<double>(done_) / secs : 0.0;
  char tail[96];
  std::string line = label_ + " ";
  if (total_ > 0) {
    constexpr int kWidth = 30;
    uint64_t shown = std::min(done_, total_);
    int filled = static_cast<int>(kWidth * static_cast<double>(shown) / static_cast<double>(total_));
    line += '[';
    line.append(static_cast<size_t>(filled), '#');
    line.append(static_cast<size_t>(kWidth - filled), '.');
    line += ']';
    std::snprintf(tail, sizeof tail, " %3d%% %llu/%llu %.0f/s",
                  static_cast<int>(100.0 * static_cast<double>(shown) /
                                   static_cast<double>(total_)),
                  static_cast<unsigned long long>(done_), static_cast<unsigned long long>(total_),
                  rate);
  } else {
    std::snprintf(tail, sizeof tail, "%llu %.0f/s", static_cast<unsigned long long>(done_), rate);
  }
  line += tail;
  return line;
}

void ProgressBar::MaybeDraw(bool force) {
  if (!enabled_) return;
  int64_t now = clock_.MonotonicNanos();
  if (!force && now - last_draw_ns_ < 100'000'000) return;
  last_draw_ns_ = now;
  std::string line = Render();
  std::fprintf(out_, "\r%s\x1b[K", line.c_str());
  std::fflush(out_);
}

}  // namespace medlake
