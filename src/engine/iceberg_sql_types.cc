#include "engine/iceberg_sql_types.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "engine/json_internal.h"

#include "engine/sql_lexer.h"

namespace medlake::engine {
namespace {

using nlohmann::json;

using internal::JsonString;

Result<std::string> ToDuckDb(const json& t, int depth) {
  if (depth > 64) return DataLoss("Iceberg type nested too deeply");
  if (t.is_string()) {
    std::string s = t.get<std::string>();
    if (s == "boolean") return std::string("BOOLEAN");
    if (s == "int") return std::string("INTEGER");
    if (s == "long") return std::string("BIGINT");
    if (s == "float") return std::string("FLOAT");
    if (s == "double") return std::string("DOUBLE");
    if (s == "date") return std::string("DATE");
    if (s == "time") return std::string("TIME");
    if (s == "timestamp") return std::string("TIMESTAMP");
    if (s == "timestamptz") return std::string("TIMESTAMP WITH TIME ZONE");
    if (s == "timestamp_ns") return std::string("TIMESTAMP_NS");
    if (s == "timestamptz_ns") return std::string("TIMESTAMP WITH TIME ZONE");
    if (s == "string") return std::string("VARCHAR");
    if (s == "uuid") return std::string("UUID");
    if (s == "binary") return std::string("BLOB");
    if (s.rfind("fixed[", 0) == 0) return std::string("BLOB");
    if (s.rfind("decimal(", 0) == 0) {
      std::string inner = s.substr(8);
      if (inner.empty() || inner.back() != ')') return DataLoss("bad Iceberg type " + s);
      inner.pop_back();
      std::string clean;
      for (char c : inner) {
        if (!std::isspace(static_cast<unsigned char>(c))) clean += c;
      }
      return "DECIMAL(" + clean + ")";
    }
    return DataLoss("unknown Iceberg type " + s);
  }
  if (!t.is_object()) return DataLoss("Iceberg type is neither a name nor an object");
  std::string kind = JsonString(t, "type");
  if (kind == "struct") {
    if (!t.contains("fields") || !t["fields"].is_array()) return DataLoss("struct without fields");
    std::string out = "STRUCT(";
    bool first = true;
    for (const auto& f : t["fields"]) {
      if (!f.is_object() || !f.contains("type")) return DataLoss("struct field without a type");
      MEDLAKE_ASSIGN_OR_RETURN(std::string ft, ToDuckDb(f["type"], depth + 1));
      if (!first) out += ", ";
      first = false;
      out += QuoteIdentifier(JsonString(f, "name")) + " " + ft;
    }
    return out + ")";
  }
  if (kind == "list") {
    if (!t.contains("element")) return DataLoss("list without element");
    MEDLAKE_ASSIGN_OR_RETURN(std::string et, ToDuckDb(t["element"], depth + 1));
    return et + "[]";
  }
  if (kind == "map") {
    if (!t.contains("key") || !t.contains("value")) return DataLoss("map without key or value");
    MEDLAKE_ASSIGN_OR_RETURN(std::string kt, ToDuckDb(t["key"], depth + 1));
    MEDLAKE_ASSIGN_OR_RETURN(std::string vt, ToDuckDb(t["value"], depth + 1));
    return "MAP(" + kt + ", " + vt + ")";
  }
  return DataLoss("unknown Iceberg type kind " + kind);
}

// A small recursive-descent parser over DuckDB type names.
class TypeParser {
 public:
  TypeParser(std::string_view text, int* next_id) : s_(text), next_id_(next_id) {}

  Result<json> Parse() {
    MEDLAKE_ASSIGN_OR_RETURN(json t, ParseType());
    SkipSpace();
    if (i_ != s_.size()) return Error();
    return t;
  }

 private:
  Status Error() const {
    return InvalidArgument("cannot store DuckDB type " + std::string(s_) + " in a lake table");
  }
  void SkipSpace() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool Eat(char c) {
    SkipSpace();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  std::string Word() {
    SkipSpace();
    size_t b = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) ++i_;
    std::string w(s_.substr(b, i_ - b));
    for (char& c : w) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return w;
  }
  Result<std::string> Name() {
    SkipSpace();
    if (i_ < s_.size() && s_[i_] == '"') {
      ++i_;
      std::string out;
      while (i_ < s_.size()) {
        if (s_[i_] == '"') {
          if (i_ + 1 < s_.size() && s_[i_ + 1] == '"') {
            out += '"';
            i_ += 2;
            continue;
          }
          ++i_;
          return out;
        }
        out += s_[i_++];
      }
      return Error();
    }
    size_t b = i_;
    while (i_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    if (b == i_) return Error();
    return std::string(s_.substr(b, i_ - b));
  }
  Result<int> Number() {
    SkipSpace();
    size_t b = i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    if (b == i_) return Error();
    return std::stoi(std::string(s_.substr(b, i_ - b)));
  }
  json Field(int id, const std::string& name, json type, bool required) {
    return json{{"id", id}, {"name", name}, {"required", required}, {"type", std::move(type)}};
  }

  Result<json> ParseType() {
    std::string w = Word();
    json t;
    if (w == "BOOLEAN" || w == "BOOL") {
      t = "boolean";
    } else if (w == "TINYINT" || w == "SMALLINT" || w == "INTEGER" || w == "INT" ||
               w == "UTINYINT" || w == "USMALLINT" || w == "INT4" || w == "INT2") {
      t = "int";
    } else if (w == "BIGINT" || w == "UINTEGER" || w == "INT8" || w == "LONG") {
      t = "long";
    } else if (w == "HUGEINT" || w == "UHUGEINT" || w == "UBIGINT" || w == "INT128") {
      // Iceberg has no wider integer: a decimal with 38 digits holds every value up to 10^38
      // (sums of BIGINT are HUGEINT in DuckDB); larger values fail the write's cast.
      t = "decimal(38, 0)";
    } else if (w == "FLOAT" || w == "REAL" || w == "FLOAT4") {
      t = "float";
    } else if (w == "DOUBLE" || w == "FLOAT8") {
      t = "double";
    } else if (w == "DATE") {
      t = "date";
    } else if (w == "TIME") {
      SkipSpace();
      if (s_.substr(i_).rfind("WITH", 0) == 0) return Error();
      t = "time";
    } else if (w == "TIMESTAMP" || w == "DATETIME") {
      SkipSpace();
      if (s_.substr(i_).rfind("WITH TIME ZONE", 0) == 0) {
        i_ += 14;
        t = "timestamptz";
      } else {
        t = "timestamp";
      }
    } else if (w == "TIMESTAMPTZ") {
      t = "timestamptz";
    } else if (w == "VARCHAR" || w == "TEXT" || w == "STRING") {
      if (Eat('(')) {
        MEDLAKE_RETURN_IF_ERROR(Number().status());
        if (!Eat(')')) return Error();
      }
      t = "string";
    } else if (w == "UUID") {
      t = "uuid";
    } else if (w == "BLOB" || w == "BYTEA") {
      t = "binary";
    } else if (w == "DECIMAL" || w == "NUMERIC") {
      int p = 18, sc = 3;
      if (Eat('(')) {
        MEDLAKE_ASSIGN_OR_RETURN(p, Number());
        sc = 0;
        if (Eat(',')) {
          MEDLAKE_ASSIGN_OR_RETURN(sc, Number());
        }
        if (!Eat(')')) return Error();
      }
      if (p < 1 || p > 38 || sc < 0 || sc > p) return Error();
      t = "decimal(" + std::to_string(p) + ", " + std::to_string(sc) + ")";
    } else if (w == "STRUCT") {
      if (!Eat('(')) return Error();
      json fields = json::array();
      while (true) {
        MEDLAKE_ASSIGN_OR_RETURN(std::string name, Name());
        int id = (*next_id_)++;
        MEDLAKE_ASSIGN_OR_RETURN(json ft, ParseType());
        fields.push_back(Field(id, name, std::move(ft), false));
        if (Eat(',')) continue;
        if (Eat(')')) break;
        return Error();
      }
      t = json{{"type", "struct"}, {"fields", std::move(fields)}};
    } else if (w == "MAP") {
      if (!Eat('(')) return Error();
      int key_id = (*next_id_)++;
      int value_id = (*next_id_)++;
      MEDLAKE_ASSIGN_OR_RETURN(json kt, ParseType());
      if (!Eat(',')) return Error();
      MEDLAKE_ASSIGN_OR_RETURN(json vt, ParseType());
      if (!Eat(')')) return Error();
      t = json{{"type", "map"},     {"key-id", key_id},       {"key", std::move(kt)},
               {"value-id", value_id}, {"value-required", false}, {"value", std::move(vt)}};
    } else {
      return Error();
    }
    // Any number of [] suffixes make lists; [N] (fixed-size arrays) are refused.
    while (true) {
      SkipSpace();
      if (i_ + 1 < s_.size() && s_[i_] == '[' && s_[i_ + 1] == ']') {
        i_ += 2;
        int element_id = (*next_id_)++;
        t = json{{"type", "list"},
                 {"element-id", element_id},
                 {"element-required", false},
                 {"element", std::move(t)}};
        continue;
      }
      if (i_ < s_.size() && s_[i_] == '[') return Error();
      break;
    }
    return t;
  }

  std::string_view s_;
  size_t i_ = 0;
  int* next_id_;
};

}  // namespace

Result<std::string> IcebergTypeToDuckDb(std::string_view type_json) {
  json t = json::parse(type_json, nullptr, /*allow_exceptions=*/false);
  if (t.is_discarded()) t = std::string(type_json);  // a bare primitive name
  return ToDuckDb(t, 0);
}

Result<std::string> DuckDbTypeToIceberg(std::string_view duckdb_type, int* next_id) {
  TypeParser parser(duckdb_type, next_id);
  MEDLAKE_ASSIGN_OR_RETURN(json t, parser.Parse());
  return t.dump();
}

}  // namespace medlake::engine
