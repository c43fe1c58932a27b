// engine/value.h: one SQL value read out of a DuckDB result, as a small tree.
//
// Used where values are handled one at a time (CLI output, tests, catalog queries). Hot paths
// read typed columns straight from a DataChunk instead (engine/query_result.h).
//
// Text forms follow DuckDB's own casts to VARCHAR (dates as YYYY-MM-DD, timestamps as
// YYYY-MM-DD HH:MM:SS[.ffffff], doubles in shortest round-trip form, blobs with \xHH escapes),
// so that results print the same way DuckDB's shell prints them.
//
// Thread-safety: a value type.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace medlake::engine {

struct Value {
  enum class Kind {
    kNull,
    kBool,
    kInt,         // i
    kUInt,        // u
    kDouble,      // d
    kNumberText,  // s holds an exact number: DECIMAL, HUGEINT, UHUGEINT, BIGNUM
    kText,        // s holds text: VARCHAR, ENUM, UUID, dates and times, INTERVAL, BIT
    kBlob,        // s holds the raw bytes
    kList,        // items (LIST and ARRAY)
    kStruct,      // names + items
    kMap,         // items alternate key, value
  };

  Kind kind = Kind::kNull;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  std::string s;
  std::vector<std::string> names;
  std::vector<Value> items;

  static Value Null() { return Value(); }
  static Value Bool(bool v);
  static Value Int(int64_t v);
  static Value UInt(uint64_t v);
  static Value Double(double v);
  static Value NumberText(std::string v);
  static Value Text(std::string v);
  static Value Blob(std::string v);

  bool is_null() const { return kind == Kind::kNull; }

  // DuckDB's VARCHAR rendering. NULL renders as "NULL".
  std::string ToText() const;
  // Appends the JSON form: numbers as numbers (non-finite doubles as strings), NULL as null,
  // text and blobs as strings, lists as arrays, structs and maps as objects (map keys as text).
  void AppendJson(std::string* out) const;

  bool operator==(const Value& o) const;
};

// Shortest decimal text that reads back as `v` ("1.0" rather than "1"; "inf", "-inf", "nan").
std::string FormatDouble(double v);
std::string FormatFloat(float v);
// Appends `text` as a JSON string literal (with quotes and escapes).
void AppendJsonString(std::string_view text, std::string* out);

}  // namespace medlake::engine
