#include "server/fhir/fhir_query_internal.h"

#include "engine/sql_lexer.h"

#include <cstdio>

namespace medlake::server::fhir::internal {
namespace {

const engine::Value& NullValue() {
  static const auto* null = new engine::Value();
  return *null;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int ToInt(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

std::string Pad(int v, int width) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%0*d", width, v);
  return buf;
}

std::string Normalized(std::string_view expr) { return "strip_accents(lower(" + std::string(expr) + "))"; }

}  // namespace

const engine::Value& Row::Get(std::string_view column) const {
  auto it = index_->find(column);
  if (it == index_->end() || it->second >= values_.size()) return NullValue();
  return values_[it->second];
}

std::optional<std::string> Row::Text(std::string_view column) const {
  const engine::Value& v = Get(column);
  if (v.is_null()) return std::nullopt;
  return v.ToText();
}

Status RunQuery(engine::LakeSession& session, const std::string& sql,
                const std::function<Status(const Row&)>& on_row) {
  return session.Run(sql, [&](size_t, engine::StatementOutcome& outcome) -> Status {
    if (outcome.rows == nullptr) return Status::OK();
    auto index = std::make_shared<Row::ColumnIndex>();
    const auto& columns = outcome.rows->columns();
    for (size_t i = 0; i < columns.size(); ++i) index->emplace(columns[i].name, i);
    std::shared_ptr<const Row::ColumnIndex> shared = index;
    while (true) {
      MEDLAKE_ASSIGN_OR_RETURN(auto chunk, outcome.rows->Next());
      if (chunk == nullptr) break;
      for (size_t r = 0; r < chunk->size(); ++r) {
        std::vector<engine::Value> values;
        values.reserve(columns.size());
        for (size_t c = 0; c < columns.size(); ++c) values.push_back(chunk->GetValue(c, r));
        MEDLAKE_RETURN_IF_ERROR(on_row(Row(shared, std::move(values))));
      }
    }
    return Status::OK();
  });
}

Result<std::vector<Row>> QueryRows(engine::LakeSession& session, const std::string& sql) {
  std::vector<Row> rows;
  MEDLAKE_RETURN_IF_ERROR(RunQuery(session, sql, [&](const Row& row) {
    rows.push_back(row);
    return Status::OK();
  }));
  return rows;
}

Result<int64_t> QueryInt(engine::LakeSession& session, const std::string& sql, int64_t fallback) {
  int64_t out = fallback;
  bool first = true;
  MEDLAKE_RETURN_IF_ERROR(session.Run(sql, [&](size_t, engine::StatementOutcome& outcome) -> Status {
    if (outcome.rows == nullptr) return Status::OK();
    MEDLAKE_ASSIGN_OR_RETURN(auto rows, outcome.rows->FetchAll());
    if (first && !rows.empty() && !rows[0].empty()) {
      const engine::Value& v = rows[0][0];
      if (v.kind == engine::Value::Kind::kInt) out = v.i;
      if (v.kind == engine::Value::Kind::kUInt) out = static_cast<int64_t>(v.u);
    }
    first = false;
    return Status::OK();
  }));
  return out;
}

bool IsCleanText(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= text.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF (RFC 3629 section 3).
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

std::string SqlLiteral(std::string_view text) { return engine::QuoteString(text); }

Status CheckSearchValue(std::string_view param, std::string_view value) {
  if (value.size() > 1024 || !IsCleanText(value)) {
    return InvalidArgument("search parameter " + std::string(param) +
                           ": the value must be UTF-8 text without control characters, at most 1024 bytes");
  }
  return Status::OK();
}

Result<std::vector<std::string>> SplitOr(std::string_view param, std::string_view value) {
  std::vector<std::string> out;
  std::string current;
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\\' && i + 1 < value.size()) {
      char n = value[i + 1];
      if (n == '|') {
        current += "\\|";  // the token parser needs to see it
      } else {
        current += n;
      }
      ++i;
      continue;
    }
    if (c == ',') {
      out.push_back(std::move(current));
      current.clear();
      continue;
    }
    current += c;
  }
  out.push_back(std::move(current));
  for (const auto& v : out) {
    if (v.empty()) return InvalidArgument("search parameter " + std::string(param) + " has an empty value");
  }
  return out;
}

TokenValue ParseToken(std::string_view text) {
  TokenValue t;
  std::string part;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '|') {
      part += '|';
      ++i;
      continue;
    }
    if (text[i] == '|' && !t.system_given) {
      t.system_given = true;
      t.system = std::move(part);
      part.clear();
      continue;
    }
    part += text[i];
  }
  t.code = std::move(part);
  return t;
}

Result<DateRange> ParseDate(std::string_view param, std::string_view text) {
  const Status bad = InvalidArgument("search parameter " + std::string(param) +
                                     ": expected [prefix]YYYY[-MM[-DD[Thh:mm[:ss[.fff]][Z|+hh:mm]]]]");
  DateRange r;
  r.prefix = "eq";
  if (text.size() >= 2 && text[0] >= 'a' && text[0] <= 'z') {
    std::string_view p = text.substr(0, 2);
    if (p == "ap") {
      return InvalidArgument("search parameter " + std::string(param) + ": prefix ap is not supported");
    }
    if (p != "eq" && p != "ne" && p != "gt" && p != "lt" && p != "ge" && p != "le" && p != "sa" && p != "eb") {
      return bad;
    }
    r.prefix = std::string(p);
    text.remove_prefix(2);
  }
  if (text.size() < 4 || !AllDigits(text.substr(0, 4))) return bad;
  int year = ToInt(text.substr(0, 4));
  if (year < 1) return bad;
  int month = 1, day = 1, hour = 0, minute = 0, second = 0;
  std::string fraction;
  std::string zone = "+00:00";
  std::string unit = "1 YEAR";
  size_t pos = 4;
  if (pos < text.size()) {
    if (text[pos] != '-' || pos + 3 > text.size() || !AllDigits(text.substr(pos + 1, 2))) return bad;
    month = ToInt(text.substr(pos + 1, 2));
    if (month < 1 || month > 12) return bad;
    unit = "1 MONTH";
    pos += 3;
  }
  if (pos < text.size()) {
    if (text[pos] != '-' || pos + 3 > text.size() || !AllDigits(text.substr(pos + 1, 2))) return bad;
    day = ToInt(text.substr(pos + 1, 2));
    if (day < 1 || day > DaysInMonth(year, month)) return bad;
    unit = "1 DAY";
    pos += 3;
  }
  if (pos < text.size()) {
    if (text[pos] != 'T' || pos + 6 > text.size() || !AllDigits(text.substr(pos + 1, 2)) || text[pos + 3] != ':' ||
        !AllDigits(text.substr(pos + 4, 2))) {
      return bad;
    }
    hour = ToInt(text.substr(pos + 1, 2));
    minute = ToInt(text.substr(pos + 4, 2));
    if (hour > 23 || minute > 59) return bad;
    unit = "1 MINUTE";
    pos += 6;
    if (pos < text.size() && text[pos] == ':') {
      if (pos + 3 > text.size() || !AllDigits(text.substr(pos + 1, 2))) return bad;
      second = ToInt(text.substr(pos + 1, 2));
      if (second > 59) return bad;
      unit = "1 SECOND";
      pos += 3;
      if (pos < text.size() && text[pos] == '.') {
        size_t end = pos + 1;
        while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
        fraction = std::string(text.substr(pos + 1, end - pos - 1));
        if (fraction.empty() || fraction.size() > 6) return bad;
        // The precision of the value: 10^(6 - digits) microseconds.
        long long step = 1;
        for (size_t k = fraction.size(); k < 6; ++k) step *= 10;
        unit = std::to_string(step) + " MICROSECOND";
        pos = end;
      }
    }
    if (pos < text.size()) {
      if (text[pos] == 'Z' && pos + 1 == text.size()) {
        pos += 1;
      } else if ((text[pos] == '+' || text[pos] == '-') && pos + 6 == text.size() &&
                 AllDigits(text.substr(pos + 1, 2)) && text[pos + 3] == ':' && AllDigits(text.substr(pos + 4, 2))) {
        if (ToInt(text.substr(pos + 1, 2)) > 14 || ToInt(text.substr(pos + 4, 2)) > 59) return bad;
        zone = std::string(text.substr(pos, 6));
        pos += 6;
      } else {
        return bad;
      }
    }
  }
  if (pos != text.size()) return bad;
  std::string literal = Pad(year, 4) + "-" + Pad(month, 2) + "-" + Pad(day, 2) + " " + Pad(hour, 2) + ":" +
                        Pad(minute, 2) + ":" + Pad(second, 2) + (fraction.empty() ? "" : "." + fraction) + zone;
  r.lo_sql = "TIMESTAMPTZ '" + literal + "'";
  r.hi_sql = "(" + r.lo_sql + " + INTERVAL '" + unit + "')";
  return r;
}

std::string DateCondition(const DateRange& range, std::string_view column) {
  std::string c(column);
  const std::string& p = range.prefix;
  if (p == "ne") return "NOT (" + c + " >= " + range.lo_sql + " AND " + c + " < " + range.hi_sql + ")";
  if (p == "gt" || p == "sa") return c + " >= " + range.hi_sql;
  if (p == "lt" || p == "eb") return c + " < " + range.lo_sql;
  if (p == "ge") return c + " >= " + range.lo_sql;
  if (p == "le") return c + " < " + range.hi_sql;
  return "(" + c + " >= " + range.lo_sql + " AND " + c + " < " + range.hi_sql + ")";
}

Result<std::string> DateParamSql(std::string_view param, std::string_view value, std::string_view column) {
  MEDLAKE_ASSIGN_OR_RETURN(auto values, SplitOr(param, value));
  std::string out;
  for (const auto& v : values) {
    MEDLAKE_ASSIGN_OR_RETURN(DateRange r, ParseDate(param, v));
    out += (out.empty() ? "(" : " OR ") + DateCondition(r, column);
  }
  return out + ")";
}

Result<std::string> StringCondition(std::string_view param, std::string_view modifier, std::string_view value,
                                    std::string_view column) {
  MEDLAKE_ASSIGN_OR_RETURN(auto values, SplitOr(param, value));
  std::string out;
  for (const auto& v : values) {
    std::string cond;
    if (modifier == "exact") {
      cond = std::string(column) + " = " + SqlLiteral(v);
    } else if (modifier == "contains") {
      cond = "contains(" + Normalized(column) + ", " + Normalized(SqlLiteral(v)) + ")";
    } else if (modifier.empty()) {
      std::string needle = Normalized(SqlLiteral(v));
      cond = "(starts_with(" + Normalized(column) + ", " + needle + ") OR contains(" + Normalized(column) +
             ", ' ' || " + needle + "))";
    } else {
      return InvalidArgument("search parameter " + std::string(param) + ": modifier :" + std::string(modifier) +
                             " is not supported (use :exact or :contains)");
    }
    out += (out.empty() ? "(" : " OR ") + cond;
  }
  return out + ")";
}

}  // namespace medlake::server::fhir::internal
