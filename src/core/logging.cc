#include "core/logging.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>

namespace medlake {
namespace {

class StderrSink : public LogSink {
 public:
  void Write(LogLevel, std::string_view line) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fputc('\n', stderr);
  }

 private:
  std::mutex mu_;
};

LogLevel LevelFromEnv() {
  const char* v = std::getenv("MEDLAKE_LOG_LEVEL");
  if (v == nullptr) return LogLevel::kWarn;
  std::string_view s(v);
  if (s == "debug") return LogLevel::kDebug;
  if (s == "info") return LogLevel::kInfo;
  if (s == "error") return LogLevel::kError;
  return LogLevel::kWarn;
}

std::atomic<int>& Level() {
  static std::atomic<int> level{static_cast<int>(LevelFromEnv())};
  return level;
}

std::shared_ptr<LogSink>& Sink() {
  static std::shared_ptr<LogSink> sink = std::make_shared<StderrSink>();
  return sink;
}

std::string_view LevelName(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarn: return "WARN";
    case LogLevel::kError: return "ERROR";
  }
  return "?";
}

// Quotes a value when it holds spaces, quotes or control characters.
void AppendValue(std::string* out, const std::string& v) {
  bool plain = !v.empty();
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) plain = false;
  }
  if (plain) {
    *out += v;
    return;
  }
  *out += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') {
      *out += '\\';
      *out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      *out += ' ';
    } else {
      *out += c;
    }
  }
  *out += '"';
}

}  // namespace

LogField::LogField(std::string_view key, int64_t v) : key_(key), text_(std::to_string(v)) {}
LogField::LogField(std::string_view key, uint64_t v) : key_(key), text_(std::to_string(v)) {}
LogField::LogField(std::string_view key, double v) : key_(key) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  text_ = buf;
}
LogField::LogField(std::string_view key, bool v) : key_(key), text_(v ? "true" : "false") {}
LogField::LogField(std::string_view key, LogId v) : key_(key), text_(v.value) {}
LogField LogField::Error(std::string_view key, std::string_view status_text) {
  return LogField(key, std::string(status_text));
}

std::shared_ptr<LogSink> SetLogSinkForTest(std::shared_ptr<LogSink> sink) {
  auto previous = Sink();
  Sink() = sink ? std::move(sink) : std::make_shared<StderrSink>();
  return previous;
}

void SetLogLevel(LogLevel level) { Level().store(static_cast<int>(level)); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(Level().load()); }

void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (static_cast<int>(level) < Level().load()) return;
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::string line = ts;
  line += ' ';
  line += LevelName(level);
  line += ' ';
  line += event;
  for (const LogField& f : fields) {
    line += ' ';
    line += f.key();
    line += '=';
    AppendValue(&line, f.text());
  }
  Sink()->Write(level, line);
}

}  // namespace medlake
