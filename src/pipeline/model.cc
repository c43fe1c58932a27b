#include "pipeline/model.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace medlake::pipeline {
namespace {

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    item = Trim(item);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

bool IsIdentifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// "ns.table.column" -> (lower-case "ns.table", column); false when it is not three identifiers.
bool SplitColumnRef(const std::string& s, std::string* table, std::string* column) {
  size_t last = s.rfind('.');
  size_t first = s.find('.');
  if (first == std::string::npos || first == last) return false;
  std::string ns = s.substr(0, first), name = s.substr(first + 1, last - first - 1), col = s.substr(last + 1);
  if (!IsIdentifier(ns) || !IsIdentifier(name) || !IsIdentifier(col)) return false;
  *table = ns + "." + name;
  std::transform(table->begin(), table->end(), table->begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  *column = col;
  return true;
}

// The value of @key_lookup or @key_via (`key`) on line `number`:
// `ns.table.column = ns.table.column[, ...]`.
Result<ModelConfig::KeyLink> ParseKeyLink(const std::string& key, const std::string& value, int number) {
  auto bad = [&]() {
    return InvalidArgument("line " + std::to_string(number) + ": expected `-- @" + key +
                           ": ns.table.column = ns.table.column[, ...]`");
  };
  size_t eq = value.find('=');
  if (eq == std::string::npos) return bad();
  ModelConfig::KeyLink link;
  if (!SplitColumnRef(Trim(std::string_view(value).substr(0, eq)), &link.table, &link.column)) return bad();
  for (const auto& item : SplitList(value.substr(eq + 1))) {
    std::string table, column;
    if (!SplitColumnRef(item, &table, &column)) return bad();
    link.sources[table] = column;
  }
  if (link.sources.empty()) return bad();
  return link;
}

}  // namespace

Result<ModelConfig> ParseSqlModelConfig(std::string_view sql) {
  ModelConfig config;
  std::stringstream in{std::string(sql)};
  std::string line;
  int number = 0;
  bool saw_materialized = false;
  while (std::getline(in, line)) {
    ++number;
    std::string t = Trim(line);
    if (t.empty()) continue;
    if (t.rfind("--", 0) != 0) break;  // configuration sits in the leading comments
    std::string body = Trim(std::string_view(t).substr(2));
    if (body.empty() || body[0] != '@') continue;
    size_t colon = body.find(':');
    if (colon == std::string::npos) {
      return InvalidArgument("line " + std::to_string(number) + ": expected `-- @key: value`");
    }
    std::string key = Trim(std::string_view(body).substr(1, colon - 1));
    std::string value = Trim(std::string_view(body).substr(colon + 1));
    if (key == "materialized") {
      if (value != "table" && value != "incremental") {
        return InvalidArgument("line " + std::to_string(number) +
                               ": @materialized must be `table` or `incremental`");
      }
      config.incremental = value == "incremental";
      saw_materialized = true;
    } else if (key == "unique_key") {
      config.unique_key = SplitList(value);
    } else if (key == "incremental_sources") {
      config.incremental_sources = SplitList(value);
    } else if (key == "delete_column") {
      config.delete_column = value;
    } else if (key == "description") {
      config.description = value;
    } else if (key == "write_order") {
      config.write_order = SplitList(value);
      if (config.write_order.empty()) {
        return InvalidArgument("line " + std::to_string(number) + ": @write_order needs column names");
      }
    } else if (key == "incremental_by") {
      if (!IsIdentifier(value)) {
        return InvalidArgument("line " + std::to_string(number) + ": @incremental_by needs one column name");
      }
      config.incremental_by = value;
    } else if (key == "key_lookup" || key == "key_via") {
      MEDLAKE_ASSIGN_OR_RETURN(ModelConfig::KeyLink link, ParseKeyLink(key, value, number));
      if (key == "key_lookup") {
        config.key_lookup = std::move(link);
      } else {
        for (const auto& other : config.key_via) {
          if (other.table == link.table) {
            return InvalidArgument("line " + std::to_string(number) + ": a second @key_via for " + link.table);
          }
        }
        config.key_via.push_back(std::move(link));
      }
    } else if (key == "key_index") {
      if (value != "true" && value != "false") {
        return InvalidArgument("line " + std::to_string(number) + ": @key_index must be `true` or `false`");
      }
      config.key_index = value == "true";
    } else {
      return InvalidArgument("line " + std::to_string(number) + ": unknown model setting @" + key);
    }
  }
  (void)saw_materialized;
  if (config.key_index && config.write_order.empty()) {
    return InvalidArgument("@key_index needs @write_order (the key is the first column of the write order)");
  }
  if (!config.incremental_by.empty()) {
    if (!config.incremental || !config.unique_key.empty() || !config.incremental_sources.empty()) {
      return InvalidArgument("@incremental_by needs `@materialized: incremental` and replaces @unique_key and "
                             "@incremental_sources");
    }
  } else if (config.key_lookup || !config.key_via.empty()) {
    return InvalidArgument(std::string(config.key_lookup ? "@key_lookup" : "@key_via") + " needs @incremental_by");
  }
  if (config.incremental && config.unique_key.empty() && config.incremental_by.empty()) {
    return InvalidArgument("an incremental model needs `-- @unique_key: column[, column...]` or `-- @incremental_by: column`");
  }
  return config;
}

Result<Model> ModelFromFile(const std::string& relative_path, std::string text, const std::string& origin) {
  std::filesystem::path p(relative_path);
  std::string file = p.filename().string();
  std::string ns = p.parent_path().string();
  Model m;
  if (file.size() > 10 && file.compare(file.size() - 10, 10, ".view.json") == 0) {
    m.kind = Model::Kind::kView;
    m.table = file.substr(0, file.size() - 10);
  } else if (file.size() > 4 && file.compare(file.size() - 4, 4, ".sql") == 0) {
    m.kind = Model::Kind::kSql;
    m.table = file.substr(0, file.size() - 4);
  } else {
    return InvalidArgument("model file " + relative_path + " is neither <table>.sql nor <table>.view.json");
  }
  if (!IsIdentifier(ns) || !IsIdentifier(m.table)) {
    return InvalidArgument("model file " + relative_path +
                           ": expected <namespace>/<table> with plain identifiers (letters, digits, _)");
  }
  if (ns == "raw" || ns == "audit") {
    return InvalidArgument("model file " + relative_path + ": namespace " + ns + " is not written by models");
  }
  m.ns = ns;
  m.origin = origin;
  if (m.kind == Model::Kind::kSql) {
    auto config = ParseSqlModelConfig(text);
    if (!config.ok()) return config.status().WithContext("model " + m.name());
    m.config = std::move(*config);
  } else {
    m.config.incremental = true;
    m.config.unique_key = {"_resource_key"};
    m.config.incremental_sources = {"raw.fhir_resources"};
  }
  m.text = std::move(text);
  return m;
}

namespace {

constexpr std::string_view kRulesSuffix = ".quality.yaml";

bool IsRulesFile(const std::string& path) {
  return path.size() > kRulesSuffix.size() &&
         path.compare(path.size() - kRulesSuffix.size(), kRulesSuffix.size(), kRulesSuffix) == 0;
}

// "ns/table.quality.yaml" -> "ns.table"
std::string RulesModelName(const std::string& path) {
  std::string base = path.substr(0, path.size() - kRulesSuffix.size());
  std::replace(base.begin(), base.end(), '/', '.');
  return base;
}

}  // namespace

Result<std::vector<Model>> LoadModels(const std::string& project_dir) {
  std::map<std::string, Model> by_name;
  std::map<std::string, std::pair<std::string, std::string>> rules;  // model -> (origin, text)
  for (const auto& [path, text] : BuiltinModelFiles()) {
    if (IsRulesFile(path)) {
      rules[RulesModelName(path)] = {"builtin:" + path, text};
      continue;
    }
    MEDLAKE_ASSIGN_OR_RETURN(Model m, ModelFromFile(path, text, "builtin:" + path));
    by_name[m.name()] = std::move(m);
  }
  std::filesystem::path root = std::filesystem::path(project_dir) / "models";
  std::error_code ec;
  if (std::filesystem::is_directory(root, ec)) {
    std::vector<std::filesystem::path> files;
    for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file()) files.push_back(it->path());
    }
    if (ec) return IOError("cannot list " + root.string() + ": " + ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::string rel = std::filesystem::relative(f, root).string();
      if (f.filename().string().rfind('.', 0) == 0) continue;  // editor and hidden files
      std::ifstream in(f, std::ios::binary);
      if (!in) return IOError("cannot read model file " + f.string());
      std::stringstream buffer;
      buffer << in.rdbuf();
      if (IsRulesFile(rel)) {
        rules[RulesModelName(rel)] = {f.string(), buffer.str()};
        continue;
      }
      MEDLAKE_ASSIGN_OR_RETURN(Model m, ModelFromFile(rel, buffer.str(), f.string()));
      by_name[m.name()] = std::move(m);
    }
  }
  for (auto& [name, origin_text] : rules) {
    auto it = by_name.find(name);
    if (it == by_name.end()) return InvalidArgument("quality rules " + origin_text.first + " have no model " + name);
    auto parsed = ParseQualityRules(origin_text.second);
    if (!parsed.ok()) return parsed.status().WithContext("model " + name + " (" + origin_text.first + ")");
    it->second.rules = std::move(*parsed);
    it->second.rules_text = std::move(origin_text.second);
  }
  std::vector<Model> out;
  for (auto& [name, m] : by_name) out.push_back(std::move(m));
  return out;
}

}  // namespace medlake::pipeline
