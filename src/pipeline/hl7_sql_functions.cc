#include "pipeline/hl7_sql_functions.h"

#include <string>
#include <vector>

#include "engine/native_functions.h"
#include "ingest/hl7v2/hl7_text_path.h"

namespace medlake::pipeline {
Status RegisterHl7SqlFunctions(engine::Connection& conn) {
  MEDLAKE_ASSIGN_OR_RETURN(auto present, conn.QueryAll("SELECT count(*) FROM duckdb_functions() WHERE function_name = 'hl7_field'"));
  if (!present.empty() && !present[0].empty() && present[0][0].i > 0) return Status::OK();
  using namespace ingest::hl7v2;  // NOLINT(google-build-using-namespace): the functions bound
  using engine::NativeArg;
  using engine::NativeArgType;
  using engine::NativeResultType;
  using engine::NativeRow;
  constexpr auto kText = NativeArgType::kVarchar;
  constexpr auto kInt = NativeArgType::kBigint;
  auto set = [](NativeRow& row, std::optional<std::string_view> v) {
    if (v) {
      row.SetText(*v);
    } else {
      row.SetNull();
    }
  };
  // Unescaped, NULL when empty after decoding.
  auto set_unescaped = [](NativeRow& row, std::optional<std::string_view> v) {
    thread_local std::string scratch;
    std::string_view text = v ? Hl7UnescapeText(*v, scratch) : std::string_view();
    if (text.empty()) {
      row.SetNull();
    } else {
      row.SetText(text);
    }
  };
  std::vector<engine::NativeFunction> functions = {
      {"hl7_segment", {kText, kText}, NativeResultType::kVarchar,
       [set](const NativeArg* a, NativeRow& row) { set(row, Hl7SegmentOf(a[0].text, a[1].text)); }},
      {"hl7_segments", {kText, kText}, NativeResultType::kVarcharList,
       [](const NativeArg* a, NativeRow& row) {
         ForEachHl7Segment(a[0].text, a[1].text, [&](std::string_view segment) { row.AddListItem(segment); });
       }},
      {"hl7_field", {kText, kInt}, NativeResultType::kVarchar,
       [set](const NativeArg* a, NativeRow& row) { set(row, Hl7FieldOf(a[0].text, a[1].number)); }},
      {"hl7_component", {kText, kInt}, NativeResultType::kVarchar,
       [set_unescaped](const NativeArg* a, NativeRow& row) { set_unescaped(row, Hl7ComponentOf(a[0].text, a[1].number)); }},
      {"hl7_subcomponent", {kText, kInt, kInt}, NativeResultType::kVarchar,
       [set_unescaped](const NativeArg* a, NativeRow& row) {
         set_unescaped(row, Hl7SubcomponentOf(a[0].text, a[1].number, a[2].number));
       }},
      {"hl7_unescape", {kText}, NativeResultType::kVarchar,
       [](const NativeArg* a, NativeRow& row) {
         thread_local std::string scratch;
         row.SetText(Hl7UnescapeText(a[0].text, scratch));
       }},
      {"hl7_ts", {kText}, NativeResultType::kTimestampTz,
       [](const NativeArg* a, NativeRow& row) {
         auto micros = Hl7TimestampMicros(a[0].text);
         if (micros) {
           row.SetTimestampTz(*micros);
         } else {
           row.SetNull();
         }
       }},
      {"hl7_date", {kText}, NativeResultType::kDate,
       [](const NativeArg* a, NativeRow& row) {
         auto days = Hl7DateDays(a[0].text);
         if (days) {
           row.SetDate(*days);
         } else {
           row.SetNull();
         }
       }},
  };
  for (auto& f : functions) MEDLAKE_RETURN_IF_ERROR(engine::RegisterNativeFunction(conn, std::move(f)));
  return Status::OK();
}

}  // namespace medlake::pipeline
