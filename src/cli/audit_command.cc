#include "cli/audit_command.h"

#include <algorithm>
#include <memory>
#include <string_view>

#include "storage/lake.h"

namespace medlake::cli {
namespace {

Result<std::unique_ptr<security::AuditLog>> OpenLakeAuditLog(const std::string& lake_root) {
  MEDLAKE_ASSIGN_OR_RETURN(auto lake, storage::Lake::Open(lake_root));
  return security::AuditLog::Open(lake->root() + "/audit");
}

// Characters (UTF-8 code points) in `s`, for column alignment.
size_t DisplayWidth(std::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// `s` on one line (control characters as spaces), cut to `max` characters with "...".
std::string OneLine(std::string_view s, size_t max) {
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80) {
      if (chars == max)
        return out + "...";
      ++chars;
    }
    out.push_back(c < 0x20 ? ' ' : s[i]);
  }
  return out;
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0)
      out += sep;
    out += v[i];
  }
  return out;
}

std::string JsonArray(const std::vector<std::string>& v) {
  // JSON text of a string array with the audit log's own escaping: the "tables" value of the
  // canonical form of a record whose other fields are empty.
  security::AuditRecord r;
  r.tables = v;
  const std::string line = security::CanonicalAuditJson(r);
  const std::string_view key = "\"tables\":";
  const size_t start = line.find(key) + key.size();
  const size_t end = line.find(",\"columns\":", start);
  return line.substr(start, end - start);
}

std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos)
    return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + "\"";
}

void WriteTable(const std::vector<security::AuditRecord>& records, std::FILE* out) {
  const std::vector<std::string> header = {"seq",    "time",    "actor",       "as",
                                           "client", "purpose", "action",      "outcome",
                                           "rows",   "tables",  "break_glass", "statement"};
  std::vector<std::vector<std::string>> rows;
  rows.reserve(records.size());
  for (const auto& r : records) {
    std::string statement = OneLine(r.statement, 80);
    if (r.outcome != "ok" && !r.error.empty())
      statement += " [" + OneLine(r.error, 60) + "]";
    rows.push_back({std::to_string(r.seq), r.time, OneLine(r.actor, 40), OneLine(r.acting_as, 40),
                    OneLine(r.client, 40), OneLine(r.purpose, 20), OneLine(r.action, 20), r.outcome,
                    r.rows < 0 ? "" : std::to_string(r.rows), OneLine(Join(r.tables, ","), 60),
                    r.break_glass ? "yes" : "", statement});
  }
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    width[c] = DisplayWidth(header[c]);
    for (const auto& row : rows)
      width[c] = std::max(width[c], DisplayWidth(row[c]));
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      if (c > 0)
        line += " | ";
      line += row[c];
      if (c + 1 < row.size())
        line.append(width[c] - DisplayWidth(row[c]), ' ');
    }
    std::fprintf(out, "%s\n", line.c_str());
  };
  print_row(header);
  std::string rule;
  for (size_t c = 0; c < header.size(); ++c) {
    if (c > 0)
      rule += "-+-";
    rule.append(width[c], '-');
  }
  std::fprintf(out, "%s\n", rule.c_str());
  for (const auto& row : rows)
    print_row(row);
  std::fprintf(out, "(%zu record%s)\n", records.size(), records.size() == 1 ? "" : "s");
}

void WriteCsv(const std::vector<security::AuditRecord>& records, std::FILE* out) {
  std::fprintf(out,
               "seq,time,actor,acting_as,client,purpose,action,statement,tables,columns,rows,"
               "outcome,error,decisions,break_glass,prev_hash,hash\n");
  for (const auto& r : records) {
    const std::vector<std::string> fields = {std::to_string(r.seq),
                                             r.time,
                                             r.actor,
                                             r.acting_as,
                                             r.client,
                                             r.purpose,
                                             r.action,
                                             r.statement,
                                             JsonArray(r.tables),
                                             JsonArray(r.columns),
                                             std::to_string(r.rows),
                                             r.outcome,
                                             r.error,
                                             JsonArray(r.decisions),
                                             r.break_glass ? "true" : "false",
                                             r.prev_hash,
                                             r.hash};
    std::string line;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0)
        line += ',';
      line += CsvField(fields[i]);
    }
    std::fprintf(out, "%s\n", line.c_str());
  }
}

}  // namespace

Status WriteAuditRecords(const std::vector<security::AuditRecord>& records,
                         const std::string& format, std::FILE* out) {
  if (format == "table") {
    WriteTable(records, out);
  } else if (format == "csv") {
    WriteCsv(records, out);
  } else if (format == "ndjson") {
    for (const auto& r : records) {
      std::string line = security::AuditRecordLine(r);
      line.push_back('\n');
      std::fwrite(line.data(), 1, line.size(), out);
    }
  } else if (format == "json") {
    std::fputs("[", out);
    for (size_t i = 0; i < records.size(); ++i) {
      std::string line = (i == 0 ? "\n" : ",\n") + security::AuditRecordLine(records[i]);
      std::fwrite(line.data(), 1, line.size(), out);
    }
    std::fputs(records.empty() ? "]\n" : "\n]\n", out);
  } else {
    return InvalidArgument("unknown format " + format + " (table, csv, json, ndjson)");
  }
  return Status::OK();
}

int RunAuditVerify(const std::string& lake_root, const std::string& expect_head, std::FILE* out,
                   std::FILE* err) {
  auto log = OpenLakeAuditLog(lake_root);
  if (!log.ok()) {
    std::fprintf(err, "Error: %s\n", log.status().ToString().c_str());
    return 1;
  }
  auto report = (*log)->Verify(expect_head);
  if (!report.ok()) {
    std::fprintf(err, "Error: %s\n", report.status().ToString().c_str());
    return report.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  for (const auto& p : report->problems) {
    std::string where;
    if (p.seq > 0)
      where += "seq " + std::to_string(p.seq);
    if (!p.file.empty()) {
      where += where.empty() ? "" : ", ";
      where += p.file;
      if (p.line > 0)
        where += " line " + std::to_string(p.line);
    }
    std::fprintf(out, "problem: %s%s%s\n", where.c_str(), where.empty() ? "" : ": ",
                 p.what.c_str());
  }
  if (report->ok()) {
    std::fprintf(out, "audit log: %lld records, head %s: ok\n",
                 static_cast<long long>(report->records), report->head_hash.c_str());
    if (!expect_head.empty()) {
      std::fprintf(out, "expected head %s: record %lld\n", expect_head.c_str(),
                   static_cast<long long>(report->expected_head_seq));
    }
    return 0;
  }
  std::fprintf(out, "audit log: %lld records, head %s: %zu problem%s\n",
               static_cast<long long>(report->records), report->head_hash.c_str(),
               report->problems.size(), report->problems.size() == 1 ? "" : "s");
  return 1;
}

int RunAuditShow(const std::string& lake_root, int64_t from, int64_t limit,
                 const std::string& format, std::FILE* out, std::FILE* err) {
  if (format != "table" && format != "csv" && format != "json" && format != "ndjson") {
    std::fprintf(err, "Error: unknown format %s (table, csv, json, ndjson)\n", format.c_str());
    return 2;
  }
  auto log = OpenLakeAuditLog(lake_root);
  if (!log.ok()) {
    std::fprintf(err, "Error: %s\n", log.status().ToString().c_str());
    return 1;
  }
  bool keep_last = false;
  if (from <= 0) {
    from = 1;
    if (limit > 0) {
      auto head = (*log)->Head();
      if (head.ok()) {
        from = std::max<int64_t>(1, head->seq - limit + 1);
      } else {
        keep_last = true;  // a damaged tail: read everything and keep the last records
      }
    }
  }
  auto records = (*log)->Read(from, keep_last ? -1 : limit);
  if (!records.ok()) {
    std::fprintf(err, "Error: %s\n", records.status().ToString().c_str());
    return 1;
  }
  if (keep_last && static_cast<int64_t>(records->size()) > limit) {
    records->erase(records->begin(), records->end() - limit);
  }
  Status written = WriteAuditRecords(*records, format, out);
  if (!written.ok()) {
    std::fprintf(err, "Error: %s\n", written.ToString().c_str());
    return 2;
  }
  return 0;
}

}  // namespace medlake::cli
