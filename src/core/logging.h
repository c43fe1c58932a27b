// core/logging.h: operational logging that cannot print field values.
//
// A log line is an event name plus typed fields. Fields accept only numbers, booleans and
// values explicitly wrapped as `LogId` (an identifier such as a file path, a table name or an
// HL7 control id). There is deliberately no overload for std::string: a clinical field value
// cannot reach a log by accident, it has to be wrapped on purpose, and review catches that.
//
// Lines go to a LogSink (stderr by default) as `time level event key=value ...`. The minimum level
// comes from MEDLAKE_LOG_LEVEL (debug, info, warn, error; default warn) unless set explicitly.
//
// Thread-safety: Log() may be called from any thread; sinks serialize their own output.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

namespace medlake {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// An identifier that is safe to log (not a clinical value). Construct explicitly.
struct LogId {
  explicit LogId(std::string_view v) : value(v) {}
  std::string_view value;
};

// One key=value pair of a log line.
class LogField {
 public:
  LogField(std::string_view key, int64_t v);
  LogField(std::string_view key, uint64_t v);
  LogField(std::string_view key, int v) : LogField(key, static_cast<int64_t>(v)) {}
  LogField(std::string_view key, double v);
  LogField(std::string_view key, bool v);
  LogField(std::string_view key, LogId v);
  // Status messages carry identifiers only (STYLE.md section 4), so they may be logged.
  static LogField Error(std::string_view key, std::string_view status_text);

  std::string_view key() const { return key_; }
  const std::string& text() const { return text_; }

 private:
  LogField(std::string_view key, std::string text) : key_(key), text_(std::move(text)) {}
  std::string_view key_;
  std::string text_;
};

// Receives formatted log lines.
class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void Write(LogLevel level, std::string_view line) = 0;
};

// Replaces the process-wide sink (nullptr restores stderr) and returns the previous one.
// Intended for tests and for the server's start-up; not for concurrent use with Log().
std::shared_ptr<LogSink> SetLogSinkForTest(std::shared_ptr<LogSink> sink);
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();

// Writes `event` with `fields` if `level` is at or above the current minimum level.
void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});

}  // namespace medlake
