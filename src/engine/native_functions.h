// engine/native_functions.h: scalar SQL functions written in C++ by modules above the engine.
//
// Part of engine (the only module that includes DuckDB). A module that needs a SQL function
// DuckDB lacks (the pipeline's HL7 v2 field helpers, for example) describes its arguments and
// result here and gives a body that works on one row at a time; the engine adapts it to DuckDB's
// vectorized C API. NULL in any argument gives NULL without calling the body.
//
// Thread-safety: DuckDB calls a body from several threads at once; a body must be a pure function
// of its arguments (it may use thread_local scratch memory).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engine/database.h"

namespace medlake::engine {

// The SQL type of an argument.
enum class NativeArgType { kVarchar, kBigint };

// The SQL type of the result.
enum class NativeResultType {
  kVarchar,      // NativeRow::SetText
  kVarcharList,  // VARCHAR[]: NativeRow::AddListItem, once per element (none: an empty list)
  kDate,         // NativeRow::SetDate
  kTimestampTz,  // NativeRow::SetTimestampTz
};

// One argument of the current row: `text` for VARCHAR, `number` for BIGINT.
struct NativeArg {
  std::string_view text;
  int64_t number = 0;
};

// The current row's result. The body calls exactly one setter, or none for NULL (a list result
// with no AddListItem call is an empty list, not NULL; call SetNull for NULL).
class NativeRow {
 public:
  void SetNull();
  void SetText(std::string_view text);  // copied
  void AddListItem(std::string_view text);  // copied
  void SetDate(int32_t days_since_epoch);
  void SetTimestampTz(int64_t micros_since_epoch);

  struct Impl;
  explicit NativeRow(Impl* impl) : impl_(impl) {}

 private:
  Impl* impl_;
};

using NativeFunctionBody = std::function<void(const NativeArg* args, NativeRow& row)>;

struct NativeFunction {
  std::string name;
  std::vector<NativeArgType> args;
  NativeResultType result = NativeResultType::kVarchar;
  NativeFunctionBody body;
};

// Registers `function` on `conn`'s database (visible to every connection of it). Overloads are
// allowed: register the same name with other argument types. Internal when DuckDB refuses it
// (for example a name and signature already taken).
Status RegisterNativeFunction(Connection& conn, NativeFunction function);

}  // namespace medlake::engine
