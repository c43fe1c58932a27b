#include "server/http/json_stream.h"

#include <charconv>
#include <climits>
#include <cmath>
#include <string>
#include <vector>

#include "core/civil_date.h"
#include "engine/value.h"
#include "server/http/json_text_internal.h"

namespace medlake::server::http {
namespace {

using engine::DataChunk;
using engine::TypeId;

constexpr int64_t kMicrosPerDay = 86'400'000'000LL;

// How a column's cells are read: typed reads where the physical type is known, a Value for the
// rest (nested, exact numerics, small integers, UUID, INTERVAL, time zones, ...).
enum class CellKind { kBool, kInt32, kInt64, kDouble, kString, kDate, kTimestamp, kValue };

CellKind KindOf(TypeId type) {
  switch (type) {
    case TypeId::kBoolean:
      return CellKind::kBool;
    case TypeId::kInteger:
      return CellKind::kInt32;
    case TypeId::kBigInt:
      return CellKind::kInt64;
    case TypeId::kDouble:
      return CellKind::kDouble;
    case TypeId::kVarchar:
      return CellKind::kString;
    case TypeId::kDate:
      return CellKind::kDate;
    case TypeId::kTimestamp:
      return CellKind::kTimestamp;
    default:
      return CellKind::kValue;
  }
}

template <typename Int>
void AppendInt(Int v, std::string* out) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, static_cast<size_t>(res.ptr - buf));
}

void AppendPadded(int64_t v, int width, std::string* out) {
  char buf[8];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out->append(buf, static_cast<size_t>(width));
}

// DuckDB's text of a DATE ("YYYY-MM-DD") for years 1..9999; false (nothing appended) for the
// rest (infinities, BC dates, five-digit years), which go through Value to keep DuckDB's forms.
bool AppendDateText(int64_t days, std::string* out) {
  if (days >= INT32_MAX || days <= -INT32_MAX) {
    return false;
  }
  int64_t y = 0, m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  if (y < 1 || y > 9999) {
    return false;
  }
  AppendPadded(y, 4, out);
  out->push_back('-');
  AppendPadded(m, 2, out);
  out->push_back('-');
  AppendPadded(d, 2, out);
  return true;
}

// DuckDB's text of a TIMESTAMP: "YYYY-MM-DD HH:MM:SS[.ffffff]" with trailing zeros of the
// fraction dropped. Same fallback rule as AppendDateText.
bool AppendTimestampText(int64_t micros, std::string* out) {
  if (micros == INT64_MAX || micros == -INT64_MAX) {
    return false;
  }
  int64_t days = micros / kMicrosPerDay;
  int64_t rest = micros % kMicrosPerDay;
  if (rest < 0) {
    rest += kMicrosPerDay;
    --days;
  }
  if (!AppendDateText(days, out)) {
    return false;
  }
  int64_t secs = rest / 1'000'000;
  int64_t frac = rest % 1'000'000;
  out->push_back(' ');
  AppendPadded(secs / 3600, 2, out);
  out->push_back(':');
  AppendPadded(secs / 60 % 60, 2, out);
  out->push_back(':');
  AppendPadded(secs % 60, 2, out);
  if (frac != 0) {
    int width = 6;
    while (frac % 10 == 0) {
      frac /= 10;
      --width;
    }
    out->push_back('.');
    AppendPadded(frac, width, out);
  }
  return true;
}

bool NeedsCsvQuotes(std::string_view s) {
  return s.empty() || s.find_first_of(",\"\r\n") != std::string_view::npos;
}

// RFC 4180 section 2: fields with commas, quotes or line breaks are quoted, quotes doubled. An
// empty string is quoted too, so that it differs from NULL (an empty field).
void AppendCsvField(std::string_view s, std::string* out) {
  if (!NeedsCsvQuotes(s)) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') {
      out->push_back('"');
    }
    out->push_back(c);
  }
  out->push_back('"');
}

// The error object of the body markers: same fields and message rule as error responses.
void AppendErrorObject(const Status& error, std::string* out) {
  int http_status = HttpStatusForCode(error.code());
  std::string_view message = error.message();
  if (http_status == 500) {
    message = "internal server error";
  }
  *out += "{\"code\":";
  AppendInt(http_status, out);
  *out += ",\"status\":";
  internal::AppendJsonString(StatusCodeName(error.code()), out);
  *out += ",\"message\":";
  internal::AppendJsonString(message, out);
  *out += '}';
}

// Formats rows of one result into text; the caller moves the text to the writer.
class ResultEncoder {
 public:
  ResultEncoder(const std::vector<engine::ColumnInfo>& columns, ResultFormat format)
      : columns_(columns), format_(format) {
    kinds_.reserve(columns.size());
    for (const auto& c : columns) {
      kinds_.push_back(KindOf(c.type));
    }
    if (format == ResultFormat::kNdjson) {
      // Each row repeats the keys: escape them once.
      for (size_t i = 0; i < columns.size(); ++i) {
        std::string key = i == 0 ? "{" : ",";
        internal::AppendJsonString(columns[i].name, &key);
        key += ':';
        ndjson_keys_.push_back(std::move(key));
      }
    }
  }

  void Header(std::string* out) const {
    switch (format_) {
      case ResultFormat::kJson:
        *out += "{\"columns\":[";
        for (size_t i = 0; i < columns_.size(); ++i) {
          *out += i == 0 ? "{\"name\":" : ",{\"name\":";
          internal::AppendJsonString(columns_[i].name, out);
          *out += ",\"type\":";
          internal::AppendJsonString(columns_[i].type_name, out);
          *out += '}';
        }
        *out += "],\"rows\":[";
        return;
      case ResultFormat::kNdjson:
        return;
      case ResultFormat::kCsv:
        for (size_t i = 0; i < columns_.size(); ++i) {
          if (i > 0) {
            out->push_back(',');
          }
          AppendCsvField(columns_[i].name, out);
        }
        *out += "\r\n";
        return;
    }
  }

  void Rows(const DataChunk& chunk, size_t count, std::string* out) {
    const size_t ncols = kinds_.size();
    for (size_t row = 0; row < count; ++row) {
      switch (format_) {
        case ResultFormat::kJson:
          *out += rows_written_ == 0 ? "[" : ",[";
          for (size_t c = 0; c < ncols; ++c) {
            if (c > 0) {
              out->push_back(',');
            }
            AppendJsonCell(chunk, c, row, out);
          }
          out->push_back(']');
          break;
        case ResultFormat::kNdjson:
          if (ncols == 0) {
            out->push_back('{');
          }
          for (size_t c = 0; c < ncols; ++c) {
            *out += ndjson_keys_[c];
            AppendJsonCell(chunk, c, row, out);
          }
          *out += "}\n";
          break;
        case ResultFormat::kCsv:
          for (size_t c = 0; c < ncols; ++c) {
            if (c > 0) {
              out->push_back(',');
            }
            AppendCsvCell(chunk, c, row, out);
          }
          *out += "\r\n";
          break;
      }
      ++rows_written_;
    }
  }

  void Footer(bool truncated, std::string* out) const {
    if (format_ != ResultFormat::kJson) {
      return;
    }
    *out += "],\"row_count\":";
    AppendInt(rows_written_, out);
    if (truncated) {
      *out += ",\"truncated\":true";
    }
    *out += '}';
  }

  // The whole body of a statement without rows (DDL, DML).
  void NoRows(int64_t rows_changed, std::string* out) const {
    switch (format_) {
      case ResultFormat::kJson:
        *out += "{\"columns\":[],\"rows\":[],\"row_count\":0,\"rows_changed\":";
        AppendInt(rows_changed, out);
        *out += '}';
        return;
      case ResultFormat::kNdjson:
        *out += "{\"rows_changed\":";
        AppendInt(rows_changed, out);
        *out += "}\n";
        return;
      case ResultFormat::kCsv:
        *out += "rows_changed\r\n";
        AppendInt(rows_changed, out);
        *out += "\r\n";
        return;
    }
  }

  void ErrorMarker(const Status& error, std::string* out) const {
    switch (format_) {
      case ResultFormat::kJson:
        *out += "],\"row_count\":";
        AppendInt(rows_written_, out);
        *out += ",\"error\":";
        AppendErrorObject(error, out);
        *out += '}';
        return;
      case ResultFormat::kNdjson:
        *out += "{\"error\":";
        AppendErrorObject(error, out);
        *out += "}\n";
        return;
      case ResultFormat::kCsv: {
        int http_status = HttpStatusForCode(error.code());
        *out += "#error,";
        AppendInt(http_status, out);
        out->push_back(',');
        out->append(StatusCodeName(error.code()));
        out->push_back(',');
        // Always quoted: the message is one field however it reads.
        std::string message = http_status == 500 ? "internal server error" : error.message();
        out->push_back('"');
        for (char c : message) {
          if (c == '"') {
            out->push_back('"');
          }
          out->push_back(c);
        }
        *out += "\"\r\n";
        return;
      }
    }
  }

 private:
  void AppendJsonCell(const DataChunk& chunk, size_t c, size_t row, std::string* out) const {
    if (chunk.IsNull(c, row)) {
      *out += "null";
      return;
    }
    switch (kinds_[c]) {
      case CellKind::kBool:
        *out += chunk.GetBool(c, row) ? "true" : "false";
        return;
      case CellKind::kInt32:
        AppendInt(chunk.GetInt32(c, row), out);
        return;
      case CellKind::kInt64:
        AppendInt(chunk.GetInt64(c, row), out);
        return;
      case CellKind::kDouble: {
        double d = chunk.GetDouble(c, row);
        if (std::isfinite(d)) {
          *out += engine::FormatDouble(d);
        } else {
          internal::AppendJsonString(engine::FormatDouble(d), out);  // JSON has no inf/nan
        }
        return;
      }
      case CellKind::kString:
        internal::AppendJsonString(chunk.GetString(c, row), out);
        return;
      case CellKind::kDate:
      case CellKind::kTimestamp: {
        size_t mark = out->size();
        out->push_back('"');
        bool ok = kinds_[c] == CellKind::kDate ? AppendDateText(chunk.GetInt32(c, row), out)
                                               : AppendTimestampText(chunk.GetInt64(c, row), out);
        if (ok) {
          out->push_back('"');
          return;
        }
        out->resize(mark);
        break;  // rare forms: through Value below
      }
      case CellKind::kValue:
        break;
    }
    chunk.GetValue(c, row).AppendJson(out);
  }

  void AppendCsvCell(const DataChunk& chunk, size_t c, size_t row, std::string* out) const {
    if (chunk.IsNull(c, row)) {
      return;  // NULL is an empty field
    }
    switch (kinds_[c]) {
      case CellKind::kBool:
        *out += chunk.GetBool(c, row) ? "true" : "false";
        return;
      case CellKind::kInt32:
        AppendInt(chunk.GetInt32(c, row), out);
        return;
      case CellKind::kInt64:
        AppendInt(chunk.GetInt64(c, row), out);
        return;
      case CellKind::kDouble:
        *out += engine::FormatDouble(chunk.GetDouble(c, row));
        return;
      case CellKind::kString:
        AppendCsvField(chunk.GetString(c, row), out);
        return;
      case CellKind::kDate:
        if (AppendDateText(chunk.GetInt32(c, row), out)) {
          return;
        }
        break;
      case CellKind::kTimestamp:
        if (AppendTimestampText(chunk.GetInt64(c, row), out)) {
          return;
        }
        break;
      case CellKind::kValue:
        break;
    }
    AppendCsvField(chunk.GetValue(c, row).ToText(), out);
  }

  const std::vector<engine::ColumnInfo>& columns_;
  ResultFormat format_;
  std::vector<CellKind> kinds_;
  std::vector<std::string> ndjson_keys_;
  int64_t rows_written_ = 0;
};

}  // namespace

Result<ResultFormat> ResultFormatFromName(std::string_view name) {
  if (EqualsIgnoreCase(name, "json")) {
    return ResultFormat::kJson;
  }
  if (EqualsIgnoreCase(name, "ndjson") || EqualsIgnoreCase(name, "jsonl")) {
    return ResultFormat::kNdjson;
  }
  if (EqualsIgnoreCase(name, "csv")) {
    return ResultFormat::kCsv;
  }
  return InvalidArgument("unknown result format (use json, ndjson or csv)");
}

std::optional<ResultFormat> ResultFormatFromAccept(std::string_view accept) {
  while (!accept.empty()) {
    size_t comma = accept.find(',');
    std::string_view item = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    std::string_view type = item.substr(0, item.find(';'));
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) {
      type.remove_prefix(1);
    }
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) {
      type.remove_suffix(1);
    }
    if (EqualsIgnoreCase(type, "application/json")) {
      return ResultFormat::kJson;
    }
    if (EqualsIgnoreCase(type, "application/x-ndjson") ||
        EqualsIgnoreCase(type, "application/ndjson") ||
        EqualsIgnoreCase(type, "application/jsonl")) {
      return ResultFormat::kNdjson;
    }
    if (EqualsIgnoreCase(type, "text/csv")) {
      return ResultFormat::kCsv;
    }
  }
  return std::nullopt;
}

std::string_view ResultContentType(ResultFormat format) {
  switch (format) {
    case ResultFormat::kJson:
      return "application/json";
    case ResultFormat::kNdjson:
      return "application/x-ndjson";
    case ResultFormat::kCsv:
      return "text/csv; charset=utf-8; header=present";
  }
  return "application/octet-stream";
}

Result<ResultStreamSummary> StreamQueryResult(engine::QueryResult& result,
                                              const ResultStreamOptions& options,
                                              HttpResponseWriter& out) {
  if (out.started()) {
    return FailedPrecondition("HTTP response already started");
  }
  HttpHeaders headers = options.headers;
  headers.Set("Content-Type", std::string(ResultContentType(options.format)));
  MEDLAKE_RETURN_IF_ERROR(out.Begin(200, std::move(headers)));
  ResultStreamSummary summary;
  if (!out.body_allowed()) {
    MEDLAKE_RETURN_IF_ERROR(out.Finish());
    return summary;
  }
  ResultEncoder encoder(result.columns(), options.format);
  std::string text;
  if (!result.returns_rows()) {
    encoder.NoRows(result.rows_changed(), &text);
    MEDLAKE_RETURN_IF_ERROR(out.Write(text));
    MEDLAKE_RETURN_IF_ERROR(out.Finish());
    return summary;
  }
  encoder.Header(&text);
  while (true) {
    Result<std::unique_ptr<DataChunk>> next = result.Next();
    if (!next.ok()) {
      Status error = next.status();
      encoder.ErrorMarker(error, &text);
      (void)out.Write(text);  // if this fails, the client is gone and sees nothing anyway
      if (out.headers_sent()) {
        // Bytes are out: make sure the marker follows them. Otherwise leave it buffered, so the
        // connection loop can still replace the response with a plain error response.
        (void)out.Flush();
      }
      return error;
    }
    std::unique_ptr<DataChunk> chunk = std::move(next).value();
    if (chunk == nullptr) {
      break;
    }
    size_t n = chunk->size();
    if (options.max_rows >= 0 && summary.rows + static_cast<int64_t>(n) > options.max_rows) {
      n = static_cast<size_t>(options.max_rows - summary.rows);
      summary.truncated = true;
    }
    encoder.Rows(*chunk, n, &text);
    summary.rows += static_cast<int64_t>(n);
    MEDLAKE_RETURN_IF_ERROR(out.Write(text));
    text.clear();
    if (summary.truncated) {
      break;
    }
    if (options.max_rows >= 0 && summary.rows == options.max_rows) {
      // The limit falls on a chunk boundary: one more read tells whether rows were left out.
      Result<std::unique_ptr<DataChunk>> more = result.Next();
      summary.truncated = !more.ok() || more.value() != nullptr;
      break;
    }
  }
  encoder.Footer(summary.truncated, &text);
  MEDLAKE_RETURN_IF_ERROR(out.Write(text));
  MEDLAKE_RETURN_IF_ERROR(out.Finish());
  return summary;
}

}  // namespace medlake::server::http
