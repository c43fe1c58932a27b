#include "ingest/csv/contract.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iterator>
#include <regex>
#include <set>

#include "ingest/csv/temporal_format.h"

namespace medlake::ingest::csv {
namespace {

// 1-based line of a node (yaml-cpp marks are 0-based; -1 when unknown).
int LineOf(const YAML::Node& node) { return node.Mark().line >= 0 ? node.Mark().line + 1 : 0; }

Status ErrorAt(const YAML::Node& node, const std::string& path, const std::string& what) {
  return InvalidArgument("contract line " + std::to_string(LineOf(node)) + ": " + path + ": " +
                         what);
}

Status CheckKeys(const YAML::Node& map, const std::string& path,
                 std::initializer_list<std::string_view> allowed) {
  for (const auto& item : map) {
    const std::string key = item.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return ErrorAt(item.first, path.empty() ? key : path + "." + key, "unknown key");
    }
  }
  return Status::OK();
}

Result<std::string> GetString(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) {
    return ErrorAt(node, path, "expected a text value");
  }
  return node.Scalar();
}

Result<bool> GetBool(const YAML::Node& node, const std::string& path) {
  MEDLAKE_ASSIGN_OR_RETURN(std::string s, GetString(node, path));
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "true" || s == "yes" || s == "on") {
    return true;
  }
  if (s == "false" || s == "no" || s == "off") {
    return false;
  }
  return ErrorAt(node, path, "expected true or false");
}

// One ASCII character that can separate or quote CSV fields.
Result<char> GetChar(const YAML::Node& node, const std::string& path, bool allow_empty) {
  MEDLAKE_ASSIGN_OR_RETURN(std::string s, GetString(node, path));
  if (s.empty() && allow_empty) {
    return '\0';
  }
  if (s == "\\t") {
    s = "\t";
  }
  if (s.size() != 1 || static_cast<unsigned char>(s[0]) >= 0x80 || s[0] == '\n' || s[0] == '\r' ||
      s[0] == '\0') {
    return ErrorAt(node, path, "must be one ASCII character other than CR or LF");
  }
  return s[0];
}

// A scalar or a sequence of scalars.
Result<std::vector<std::string>> GetStringList(const YAML::Node& node, const std::string& path) {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    out.push_back(node.Scalar());
    return out;
  }
  if (!node.IsSequence()) {
    return ErrorAt(node, path, "expected a list of texts");
  }
  for (size_t i = 0; i < node.size(); ++i) {
    MEDLAKE_ASSIGN_OR_RETURN(std::string s,
                             GetString(node[i], path + "[" + std::to_string(i) + "]"));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::map<std::string, std::string>> GetStringMap(const YAML::Node& node,
                                                        const std::string& path) {
  if (!node.IsMap()) {
    return ErrorAt(node, path, "expected a mapping");
  }
  std::map<std::string, std::string> out;
  for (const auto& item : node) {
    MEDLAKE_ASSIGN_OR_RETURN(std::string key, GetString(item.first, path));
    MEDLAKE_ASSIGN_OR_RETURN(std::string value, GetString(item.second, path + "." + key));
    if (!out.emplace(key, value).second) {
      return ErrorAt(item.first, path + "." + key, "duplicate key");
    }
  }
  return out;
}

Result<Encoding> ParseEncoding(const YAML::Node& node) {
  MEDLAKE_ASSIGN_OR_RETURN(std::string s, GetString(node, "format.encoding"));
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  if (s == "UTF-8" || s == "UTF8") {
    return Encoding::kUtf8;
  }
  if (s == "ISO-8859-1" || s == "ISO8859-1" || s == "LATIN1" || s == "LATIN-1" ||
      s == "ISO_8859-1") {
    return Encoding::kLatin1;
  }
  if (s == "WINDOWS-1252" || s == "CP1252") {
    return Encoding::kWindows1252;
  }
  return ErrorAt(node, "format.encoding",
                 "unsupported encoding (UTF-8, ISO-8859-1/latin1, windows-1252)");
}

// "decimal(10,2)" and friends.
Status ParseType(const YAML::Node& node, const std::string& path, ColumnSpec* column) {
  MEDLAKE_ASSIGN_OR_RETURN(std::string s, GetString(node, path));
  static const std::map<std::string, ColumnType, std::less<>> kTypes = {
      {"string", ColumnType::kString},      {"integer", ColumnType::kInteger},
      {"decimal", ColumnType::kDecimal},    {"double", ColumnType::kDouble},
      {"date", ColumnType::kDate},          {"time", ColumnType::kTime},
      {"datetime", ColumnType::kTimestamp}, {"timestamp", ColumnType::kTimestamp},
      {"boolean", ColumnType::kBoolean},    {"code", ColumnType::kCode}};
  if (auto it = kTypes.find(s); it != kTypes.end()) {
    column->type = it->second;
    return Status::OK();
  }
  int p = 0;
  int sc = 0;
  char close = 0;
  if (s.starts_with("decimal(") &&
      std::sscanf(s.c_str(), "decimal(%d,%d%c", &p, &sc, &close) == 3 && close == ')' &&
      s.back() == ')' && p >= 1 && p <= 38 && sc >= 0 && sc <= p) {
    column->type = ColumnType::kDecimal;
    column->precision = p;
    column->scale = sc;
    return Status::OK();
  }
  return ErrorAt(node, path,
                 "unknown type (string, integer, decimal, decimal(p,s), double, date, time, "
                 "datetime, timestamp, boolean, code)");
}

Status ParseFormats(const YAML::Node& format, std::string_view single, std::string_view plural,
                    std::vector<std::string>* out) {
  const YAML::Node a = format[std::string(single)];
  const YAML::Node b = format[std::string(plural)];
  if (a && b) {
    return ErrorAt(b, "format." + std::string(plural),
                   "give either " + std::string(single) + " or " + std::string(plural));
  }
  const YAML::Node& node = a ? a : b;
  if (!node) {
    return Status::OK();
  }
  const std::string path = "format." + std::string(a ? single : plural);
  MEDLAKE_ASSIGN_OR_RETURN(*out, GetStringList(node, path));
  if (out->empty()) {
    return ErrorAt(node, path, "empty list");
  }
  for (const std::string& f : *out) {
    Result<TemporalFormat> compiled = CompileTemporalFormat(f);
    if (!compiled.ok()) {
      return ErrorAt(node, path, compiled.status().message());
    }
  }
  return Status::OK();
}

Status ParseFormat(const YAML::Node& node, CsvFormat* f) {
  if (node.IsNull()) {
    return Status::OK();  // "format:" with nothing under it: all defaults
  }
  if (!node.IsMap()) {
    return ErrorAt(node, "format", "expected a mapping");
  }
  MEDLAKE_RETURN_IF_ERROR(CheckKeys(node, "format",
                                    {"type",
                                     "encoding",
                                     "delimiter",
                                     "quote",
                                     "escape",
                                     "header",
                                     "line_terminator",
                                     "decimal_separator",
                                     "thousands_separator",
                                     "date_format",
                                     "date_formats",
                                     "time_format",
                                     "time_formats",
                                     "datetime_format",
                                     "datetime_formats",
                                     "timestamp_format",
                                     "timestamp_formats",
                                     "timezone",
                                     "null_values",
                                     "true_values",
                                     "false_values"}));
  if (node["type"]) {
    MEDLAKE_ASSIGN_OR_RETURN(f->type, GetString(node["type"], "format.type"));
    if (f->type != "csv") {
      return ErrorAt(node["type"], "format.type", "only csv is supported");
    }
  }
  if (node["encoding"]) {
    MEDLAKE_ASSIGN_OR_RETURN(f->encoding, ParseEncoding(node["encoding"]));
  }
  if (node["delimiter"]) {
    MEDLAKE_ASSIGN_OR_RETURN(f->delimiter, GetChar(node["delimiter"], "format.delimiter", false));
  }
  if (node["quote"]) {
    MEDLAKE_ASSIGN_OR_RETURN(f->quote, GetChar(node["quote"], "format.quote", true));
  }
  if (node["escape"]) {
    MEDLAKE_ASSIGN_OR_RETURN(f->escape, GetChar(node["escape"], "format.escape", true));
  }
  if (node["header"]) {
    MEDLAKE_ASSIGN_OR_RETURN(f->header, GetBool(node["header"], "format.header"));
  }
  if (node["line_terminator"]) {
    MEDLAKE_ASSIGN_OR_RETURN(f->line_terminator,
                             GetString(node["line_terminator"], "format.line_terminator"));
    if (f->line_terminator != "\n" && f->line_terminator != "\r\n") {
      return ErrorAt(node["line_terminator"], "format.line_terminator",
                     "must be \"\\n\" or \"\\r\\n\"");
    }
  }
  if (node["decimal_separator"]) {
    MEDLAKE_ASSIGN_OR_RETURN(f->decimal_separator,
                             GetChar(node["decimal_separator"], "format.decimal_separator", false));
  }
  if (node["thousands_separator"]) {
    MEDLAKE_ASSIGN_OR_RETURN(f->thousands_separator, GetChar(node["thousands_separator"],
                                                             "format.thousands_separator", true));
  }
  MEDLAKE_RETURN_IF_ERROR(ParseFormats(node, "date_format", "date_formats", &f->date_formats));
  MEDLAKE_RETURN_IF_ERROR(ParseFormats(node, "time_format", "time_formats", &f->time_formats));
  if (node["datetime_format"] || node["datetime_formats"]) {
    MEDLAKE_RETURN_IF_ERROR(
        ParseFormats(node, "datetime_format", "datetime_formats", &f->timestamp_formats));
  }
  if (node["timestamp_format"] || node["timestamp_formats"]) {
    MEDLAKE_RETURN_IF_ERROR(
        ParseFormats(node, "timestamp_format", "timestamp_formats", &f->timestamp_formats));
  }
  if (node["timezone"]) {
    MEDLAKE_ASSIGN_OR_RETURN(f->timezone, GetString(node["timezone"], "format.timezone"));
  }
  if (node["null_values"]) {
    MEDLAKE_ASSIGN_OR_RETURN(f->null_values,
                             GetStringList(node["null_values"], "format.null_values"));
  }
  if (node["true_values"]) {
    MEDLAKE_ASSIGN_OR_RETURN(f->true_values,
                             GetStringList(node["true_values"], "format.true_values"));
  }
  if (node["false_values"]) {
    MEDLAKE_ASSIGN_OR_RETURN(f->false_values,
                             GetStringList(node["false_values"], "format.false_values"));
  }
  // Characters with a role must be distinct (an escape equal to the quote means doubling).
  if (f->escape == f->quote) {
    f->escape = '\0';
  }
  const char roles[] = {f->delimiter, f->quote, f->escape, f->decimal_separator,
                        f->thousands_separator};
  for (size_t i = 0; i < std::size(roles); ++i) {
    for (size_t j = i + 1; j < std::size(roles); ++j) {
      if (roles[i] != '\0' && roles[i] == roles[j]) {
        return ErrorAt(node, "format",
                       "delimiter, quote, escape and separators must be distinct characters");
      }
    }
  }
  return Status::OK();
}

Status ParseColumn(const YAML::Node& node, const std::string& path, ColumnSpec* c) {
  if (!node.IsMap()) {
    return ErrorAt(node, path, "expected a mapping");
  }
  MEDLAKE_RETURN_IF_ERROR(CheckKeys(node, path,
                                    {"name", "type", "required", "pattern", "phi", "values",
                                     "code_map", "unit_map", "description"}));
  c->line = LineOf(node);
  if (!node["name"]) {
    return ErrorAt(node, path + ".name", "missing");
  }
  MEDLAKE_ASSIGN_OR_RETURN(c->name, GetString(node["name"], path + ".name"));
  if (c->name.empty()) {
    return ErrorAt(node["name"], path + ".name", "empty");
  }
  if (!node["type"]) {
    return ErrorAt(node, path + ".type", "missing");
  }
  MEDLAKE_RETURN_IF_ERROR(ParseType(node["type"], path + ".type", c));
  if (node["required"]) {
    MEDLAKE_ASSIGN_OR_RETURN(c->required, GetBool(node["required"], path + ".required"));
  }
  if (node["pattern"]) {
    MEDLAKE_ASSIGN_OR_RETURN(c->pattern, GetString(node["pattern"], path + ".pattern"));
    try {
      std::regex compiled(c->pattern, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      return ErrorAt(node["pattern"], path + ".pattern", "not a valid regular expression");
    }
  }
  if (node["phi"]) {
    MEDLAKE_ASSIGN_OR_RETURN(c->phi, GetStringList(node["phi"], path + ".phi"));
    static const std::set<std::string, std::less<>> kTags = {
        "none",    "identifier", "name",      "birth_date",      "address",
        "contact", "event_date", "free_text", "quasi_identifier"};
    for (const std::string& tag : c->phi) {
      if (kTags.count(tag) == 0) {
        return ErrorAt(node["phi"], path + ".phi",
                       "unknown PHI tag (none, identifier, name, birth_date, address, contact, "
                       "event_date, free_text, quasi_identifier)");
      }
    }
  }
  if (node["values"]) {
    MEDLAKE_ASSIGN_OR_RETURN(c->values, GetStringMap(node["values"], path + ".values"));
  }
  if (node["code_map"]) {
    MEDLAKE_ASSIGN_OR_RETURN(c->code_map, GetString(node["code_map"], path + ".code_map"));
  }
  if (node["unit_map"]) {
    MEDLAKE_ASSIGN_OR_RETURN(c->unit_map, GetString(node["unit_map"], path + ".unit_map"));
  }
  if (node["description"]) {
    MEDLAKE_ASSIGN_OR_RETURN(c->description, GetString(node["description"], path + ".description"));
  }
  if (c->type == ColumnType::kCode && c->values.empty() && c->code_map.empty()) {
    return ErrorAt(node, path, "a code column needs values or code_map");
  }
  if (c->type != ColumnType::kCode && (!c->values.empty() || !c->code_map.empty())) {
    return ErrorAt(node, path, "values and code_map are for code columns only");
  }
  return Status::OK();
}

Status ParseValueMaps(const YAML::Node& node, const std::string& path,
                      std::map<std::string, ValueMap>* out) {
  if (!node.IsMap()) {
    return ErrorAt(node, path, "expected a mapping");
  }
  for (const auto& item : node) {
    const std::string name = item.first.Scalar();
    const std::string item_path = path + "." + name;
    if (!item.second.IsMap()) {
      return ErrorAt(item.second, item_path, "expected a mapping");
    }
    MEDLAKE_RETURN_IF_ERROR(CheckKeys(item.second, item_path, {"target_system", "map"}));
    ValueMap vm;
    if (item.second["target_system"]) {
      MEDLAKE_ASSIGN_OR_RETURN(
          vm.target_system, GetString(item.second["target_system"], item_path + ".target_system"));
    }
    if (!item.second["map"]) {
      return ErrorAt(item.second, item_path + ".map", "missing");
    }
    MEDLAKE_ASSIGN_OR_RETURN(vm.map, GetStringMap(item.second["map"], item_path + ".map"));
    (*out)[name] = std::move(vm);
  }
  return Status::OK();
}

Status CheckKeyColumns(const SourceContract& c, const YAML::Node& node, const std::string& path,
                       const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (c.ColumnIndex(name) < 0) {
      return ErrorAt(node, path, "names a column that is not in columns: " + name);
    }
  }
  return Status::OK();
}

Result<SourceContract> ParseRoot(const YAML::Node& root) {
  if (!root.IsMap()) {
    return InvalidArgument("contract line 1: expected a YAML mapping");
  }
  MEDLAKE_RETURN_IF_ERROR(
      CheckKeys(root, "",
                {"contract_version", "source", "dataset", "table", "description", "files", "format",
                 "keys", "versioning", "columns", "code_maps", "unit_maps"}));
  SourceContract c;
  if (root["contract_version"]) {
    MEDLAKE_ASSIGN_OR_RETURN(std::string v,
                             GetString(root["contract_version"], "contract_version"));
    if (v != "1") {
      return ErrorAt(root["contract_version"], "contract_version", "only version 1 is supported");
    }
  }
  for (const char* key : {"source", "dataset"}) {
    if (!root[key]) {
      return ErrorAt(root, key, "missing");
    }
  }
  MEDLAKE_ASSIGN_OR_RETURN(c.source, GetString(root["source"], "source"));
  MEDLAKE_ASSIGN_OR_RETURN(c.dataset, GetString(root["dataset"], "dataset"));
  if (c.source.empty() || c.dataset.empty()) {
    return ErrorAt(root, "source/dataset", "empty");
  }
  if (root["table"]) {
    MEDLAKE_ASSIGN_OR_RETURN(c.table, GetString(root["table"], "table"));
  } else {
    c.table = c.source + "_" + c.dataset;
    std::transform(c.table.begin(), c.table.end(), c.table.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
  }
  if (root["description"]) {
    MEDLAKE_ASSIGN_OR_RETURN(c.description, GetString(root["description"], "description"));
  }
  if (root["files"]) {
    MEDLAKE_ASSIGN_OR_RETURN(c.files, GetString(root["files"], "files"));
  }
  if (root["format"]) {
    MEDLAKE_RETURN_IF_ERROR(ParseFormat(root["format"], &c.format));
  }
  const YAML::Node columns = root["columns"];
  if (!columns || !columns.IsSequence() || columns.size() == 0) {
    return ErrorAt(columns ? columns : root, "columns", "missing or not a non-empty list");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < columns.size(); ++i) {
    ColumnSpec column;
    const std::string path = "columns[" + std::to_string(i) + "]";
    MEDLAKE_RETURN_IF_ERROR(ParseColumn(columns[i], path, &column));
    if (!names.insert(column.name).second) {
      return ErrorAt(columns[i], path + ".name", "duplicate column name " + column.name);
    }
    c.columns.push_back(std::move(column));
  }
  if (root["code_maps"]) {
    MEDLAKE_RETURN_IF_ERROR(ParseValueMaps(root["code_maps"], "code_maps", &c.code_maps));
  }
  if (root["unit_maps"]) {
    MEDLAKE_RETURN_IF_ERROR(ParseValueMaps(root["unit_maps"], "unit_maps", &c.unit_maps));
  }
  for (size_t i = 0; i < c.columns.size(); ++i) {
    const ColumnSpec& col = c.columns[i];
    if (!col.code_map.empty() && c.code_maps.count(col.code_map) == 0) {
      return ErrorAt(columns[i], "columns[" + std::to_string(i) + "].code_map",
                     "no such entry under code_maps");
    }
    if (!col.unit_map.empty() && c.unit_maps.count(col.unit_map) == 0) {
      return ErrorAt(columns[i], "columns[" + std::to_string(i) + "].unit_map",
                     "no such entry under unit_maps");
    }
  }
  if (const YAML::Node keys = root["keys"]) {
    if (!keys.IsMap()) {
      return ErrorAt(keys, "keys", "expected a mapping");
    }
    MEDLAKE_RETURN_IF_ERROR(CheckKeys(keys, "keys", {"record", "patient"}));
    if (keys["record"]) {
      MEDLAKE_ASSIGN_OR_RETURN(c.record_key, GetStringList(keys["record"], "keys.record"));
      MEDLAKE_RETURN_IF_ERROR(CheckKeyColumns(c, keys["record"], "keys.record", c.record_key));
    }
    if (keys["patient"]) {
      MEDLAKE_ASSIGN_OR_RETURN(c.patient_key, GetStringList(keys["patient"], "keys.patient"));
      MEDLAKE_RETURN_IF_ERROR(CheckKeyColumns(c, keys["patient"], "keys.patient", c.patient_key));
    }
  }
  if (const YAML::Node v = root["versioning"]) {
    if (!v.IsMap()) {
      return ErrorAt(v, "versioning", "expected a mapping");
    }
    MEDLAKE_RETURN_IF_ERROR(CheckKeys(
        v, "versioning", {"status_column", "final", "corrected", "latest_by", "duplicates"}));
    Versioning& out = c.versioning;
    if (v["status_column"]) {
      MEDLAKE_ASSIGN_OR_RETURN(out.status_column,
                               GetString(v["status_column"], "versioning.status_column"));
      MEDLAKE_RETURN_IF_ERROR(
          CheckKeyColumns(c, v["status_column"], "versioning.status_column", {out.status_column}));
    }
    if (v["final"]) {
      MEDLAKE_ASSIGN_OR_RETURN(out.final_value, GetString(v["final"], "versioning.final"));
    }
    if (v["corrected"]) {
      MEDLAKE_ASSIGN_OR_RETURN(out.corrected_value,
                               GetString(v["corrected"], "versioning.corrected"));
    }
    if (v["latest_by"]) {
      MEDLAKE_ASSIGN_OR_RETURN(out.latest_by,
                               GetStringList(v["latest_by"], "versioning.latest_by"));
      MEDLAKE_RETURN_IF_ERROR(
          CheckKeyColumns(c, v["latest_by"], "versioning.latest_by", out.latest_by));
    }
    if (v["duplicates"]) {
      MEDLAKE_ASSIGN_OR_RETURN(std::string d, GetString(v["duplicates"], "versioning.duplicates"));
      if (d == "allow") {
        out.duplicates = DuplicatePolicy::kAllow;
      } else if (d == "exact_rows_may_repeat") {
        out.duplicates = DuplicatePolicy::kExactRowsMayRepeat;
      } else if (d == "reject_duplicate_keys") {
        out.duplicates = DuplicatePolicy::kRejectDuplicateKeys;
        if (c.record_key.empty()) {
          return ErrorAt(v["duplicates"], "versioning.duplicates",
                         "reject_duplicate_keys needs keys.record");
        }
      } else {
        return ErrorAt(v["duplicates"], "versioning.duplicates",
                       "unknown policy (allow, exact_rows_may_repeat, reject_duplicate_keys)");
      }
    }
  }
  return c;
}

}  // namespace

int SourceContract::ColumnIndex(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == name) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

Result<SourceContract> ParseContract(std::string_view yaml) {
  // yaml-cpp reports errors by throwing: this is the boundary where they become a Status.
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    return ParseRoot(root);
  } catch (const YAML::Exception& e) {
    return InvalidArgument("contract line " + std::to_string(e.mark.line + 1) +
                           ": YAML error: " + e.msg);
  }
}

Result<SourceContract> LoadContract(const FileSystem& fs, const std::string& path) {
  MEDLAKE_ASSIGN_OR_RETURN(std::string text, fs.ReadFile(path));
  Result<SourceContract> contract = ParseContract(text);
  if (!contract.ok()) {
    return contract.status().WithContext(path);
  }
  return contract;
}

std::string_view EncodingName(Encoding encoding) {
  switch (encoding) {
    case Encoding::kUtf8:
      return "UTF-8";
    case Encoding::kLatin1:
      return "ISO-8859-1";
    case Encoding::kWindows1252:
      return "windows-1252";
  }
  return "unknown";
}

std::string_view ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
      return "string";
    case ColumnType::kInteger:
      return "integer";
    case ColumnType::kDecimal:
      return "decimal";
    case ColumnType::kDouble:
      return "double";
    case ColumnType::kDate:
      return "date";
    case ColumnType::kTime:
      return "time";
    case ColumnType::kTimestamp:
      return "timestamp";
    case ColumnType::kBoolean:
      return "boolean";
    case ColumnType::kCode:
      return "code";
  }
  return "unknown";
}

}  // namespace medlake::ingest::csv
