#include "cli/result_writer.h"

#include <algorithm>
#include <vector>

namespace medlake::cli {
namespace {

using engine::Value;

void Put(std::FILE* out, std::string_view s) { std::fwrite(s.data(), 1, s.size(), out); }

bool IsNumeric(engine::TypeId t) {
  switch (t) {
    case engine::TypeId::kTinyInt:
    case engine::TypeId::kSmallInt:
    case engine::TypeId::kInteger:
    case engine::TypeId::kBigInt:
    case engine::TypeId::kUTinyInt:
    case engine::TypeId::kUSmallInt:
    case engine::TypeId::kUInteger:
    case engine::TypeId::kUBigInt:
    case engine::TypeId::kHugeInt:
    case engine::TypeId::kUHugeInt:
    case engine::TypeId::kFloat:
    case engine::TypeId::kDouble:
    case engine::TypeId::kDecimal: return true;
    default: return false;
  }
}

// Display width in terminal columns: counts UTF-8 code points (not bytes).
size_t DisplayWidth(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

// Tabs and newlines would break the alignment; show them escaped in the table format.
std::string CellText(const Value& v) {
  std::string t = v.ToText();
  if (t.find_first_of("\n\r\t") == std::string::npos) return t;
  std::string out;
  for (char c : t) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out;
}

void Pad(std::FILE* out, size_t n) {
  for (size_t i = 0; i < n; ++i) std::fputc(' ', out);
}

Status WriteTable(engine::QueryResult& result, std::FILE* out) {
  const auto& cols = result.columns();
  std::vector<size_t> width(cols.size());
  for (size_t c = 0; c < cols.size(); ++c) width[c] = DisplayWidth(cols[c].name);
  std::vector<std::vector<std::string>> buffered;
  uint64_t rows = 0;
  bool header_done = false;

  auto write_row = [&](const std::vector<std::string>& cells) {
    for (size_t c = 0; c < cells.size(); ++c) {
      Put(out, c == 0 ? " " : " | ");
      size_t w = DisplayWidth(cells[c]);
      size_t pad = width[c] > w ? width[c] - w : 0;
      if (IsNumeric(cols[c].type)) {
        Pad(out, pad);
        Put(out, cells[c]);
      } else {
        Put(out, cells[c]);
        if (c + 1 < cells.size()) Pad(out, pad);
      }
    }
    Put(out, "\n");
  };
  auto write_header = [&]() {
    std::vector<std::string> names;
    for (const auto& col : cols) names.push_back(col.name);
    for (size_t c = 0; c < cols.size(); ++c) {
      Put(out, c == 0 ? " " : " | ");
      size_t w = DisplayWidth(names[c]);
      size_t left = (width[c] - w) / 2;
      Pad(out, left);
      Put(out, names[c]);
      if (c + 1 < cols.size()) Pad(out, width[c] - w - left);
    }
    Put(out, "\n");
    for (size_t c = 0; c < cols.size(); ++c) {
      Put(out, c == 0 ? "-" : "-+-");
      Put(out, std::string(width[c], '-'));
    }
    Put(out, "-\n");
    for (const auto& r : buffered) write_row(r);
    buffered.clear();
    header_done = true;
  };

  Status error;
  while (true) {
    auto chunk = result.Next();
    if (!chunk.ok()) {
      error = chunk.status();
      break;
    }
    if (!*chunk) break;
    for (size_t r = 0; r < (*chunk)->size(); ++r) {
      std::vector<std::string> cells(cols.size());
      for (size_t c = 0; c < cols.size(); ++c) cells[c] = CellText((*chunk)->GetValue(c, r));
      ++rows;
      if (header_done) {
        write_row(cells);
        continue;
      }
      for (size_t c = 0; c < cols.size(); ++c) width[c] = std::max(width[c], DisplayWidth(cells[c]));
      buffered.push_back(std::move(cells));
      if (buffered.size() >= kTableWidthRows) write_header();
    }
  }
  if (!header_done) write_header();
  std::fprintf(out, "(%llu row%s)\n\n", static_cast<unsigned long long>(rows), rows == 1 ? "" : "s");
  return error;
}

void CsvField(std::string* line, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    *line += s;
    return;
  }
  *line += '"';
  for (char c : s) {
    if (c == '"') *line += '"';
    *line += c;
  }
  *line += '"';
}

Status WriteCsv(engine::QueryResult& result, std::FILE* out) {
  const auto& cols = result.columns();
  std::string line;
  for (size_t c = 0; c < cols.size(); ++c) {
    if (c) line += ',';
    CsvField(&line, cols[c].name);
  }
  line += '\n';
  Put(out, line);
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(auto chunk, result.Next());
    if (!chunk) break;
    line.clear();
    for (size_t r = 0; r < chunk->size(); ++r) {
      for (size_t c = 0; c < cols.size(); ++c) {
        if (c) line += ',';
        if (!chunk->IsNull(c, r)) CsvField(&line, chunk->GetValue(c, r).ToText());
      }
      line += '\n';
    }
    Put(out, line);
  }
  return Status::OK();
}

Status WriteJson(engine::QueryResult& result, std::FILE* out, bool ndjson) {
  const auto& cols = result.columns();
  std::vector<std::string> keys;
  for (const auto& col : cols) {
    std::string k;
    engine::AppendJsonString(col.name, &k);
    keys.push_back(k + ":");
  }
  if (!ndjson) Put(out, "[");
  bool first = true;
  std::string buf;
  Status error;
  while (true) {
    auto chunk = result.Next();
    if (!chunk.ok()) {
      error = chunk.status();
      break;
    }
    if (!*chunk) break;
    buf.clear();
    for (size_t r = 0; r < (*chunk)->size(); ++r) {
      if (!ndjson) buf += first ? "\n" : ",\n";
      first = false;
      buf += '{';
      for (size_t c = 0; c < cols.size(); ++c) {
        if (c) buf += ',';
        buf += keys[c];
        (*chunk)->GetValue(c, r).AppendJson(&buf);
      }
      buf += '}';
      if (ndjson) buf += '\n';
    }
    Put(out, buf);
  }
  if (!ndjson) Put(out, first ? "]\n" : "\n]\n");
  return error;
}

}  // namespace

Result<OutputFormat> ParseOutputFormat(std::string_view name) {
  if (name == "table") return OutputFormat::kTable;
  if (name == "csv") return OutputFormat::kCsv;
  if (name == "json") return OutputFormat::kJson;
  if (name == "ndjson") return OutputFormat::kNdjson;
  return InvalidArgument("unknown output format '" + std::string(name) +
                         "' (expected table, csv, json or ndjson)");
}

Status WriteResult(engine::QueryResult& result, OutputFormat format, std::FILE* out) {
  switch (format) {
    case OutputFormat::kTable: return WriteTable(result, out);
    case OutputFormat::kCsv: return WriteCsv(result, out);
    case OutputFormat::kJson: return WriteJson(result, out, false);
    case OutputFormat::kNdjson: return WriteJson(result, out, true);
  }
  return Internal("unhandled output format");
}

}  // namespace medlake::cli
