#include "engine/mask_functions.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "core/civil_date.h"
#include "engine/duckdb_internal.h"

namespace medlake::engine {
namespace {

constexpr char kStars[] = "*****";
constexpr size_t kStarCount = 5;

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// DuckDB keeps strings of up to 12 bytes inside the 16-byte duckdb_string_t (duckdb.h), with the
// unused bytes zero. Such a result is written into the output vector directly: no call into
// DuckDB and no string heap per value.
constexpr size_t kInlineBytes = sizeof(duckdb_string_t{}.value.inlined.inlined);

void AssignInlined(duckdb_string_t* slot, std::string_view first, std::string_view second) {
  duckdb_string_t s;
  std::memset(&s, 0, sizeof s);
  s.value.inlined.length = static_cast<uint32_t>(first.size() + second.size());
  std::memcpy(s.value.inlined.inlined, first.data(), first.size());
  if (!second.empty()) std::memcpy(s.value.inlined.inlined + first.size(), second.data(), second.size());
  *slot = s;
}

// The bytes of a DuckDB string, read as duckdb.h lays it out (no call per value).
std::string_view View(const duckdb_string_t& v) {
  const uint32_t n = v.value.inlined.length;
  return {n <= kInlineBytes ? v.value.inlined.inlined : v.value.pointer.ptr, n};
}

void PartialFunction(duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
  const idx_t rows = duckdb_data_chunk_get_size(input);
  duckdb_vector values = duckdb_data_chunk_get_vector(input, 0);
  duckdb_vector counts = duckdb_data_chunk_get_vector(input, 1);
  uint64_t* valid = duckdb_vector_get_validity(values);
  uint64_t* count_valid = duckdb_vector_get_validity(counts);
  auto* data = static_cast<duckdb_string_t*>(duckdb_vector_get_data(values));
  auto* n_data = static_cast<int32_t*>(duckdb_vector_get_data(counts));
  auto* out = static_cast<duckdb_string_t*>(duckdb_vector_get_data(output));
  const std::string_view stars(kStars, kStarCount);
  static_assert(kStarCount <= kInlineBytes);
  duckdb_vector_ensure_validity_writable(output);
  uint64_t* out_valid = duckdb_vector_get_validity(output);
  std::string buffer;
  for (idx_t r = 0; r < rows; ++r) {
    if ((valid && !duckdb_validity_row_is_valid(valid, r)) ||
        (count_valid && !duckdb_validity_row_is_valid(count_valid, r))) {
      duckdb_validity_set_row_invalid(out_valid, r);
      continue;
    }
    const std::string_view value = View(data[r]);
    const char* s = value.data();
    const size_t size = value.size();
    const size_t keep = n_data[r] > 0 ? static_cast<size_t>(n_data[r]) : 0;
    // Walk back over `keep` code points; more than `keep` of them means the tail is shown.
    size_t start = size, seen = 0;
    while (start > 0 && seen < keep) {
      --start;
      while (start > 0 && IsContinuation(s[start])) --start;
      ++seen;
    }
    const bool more = seen == keep && start > 0;
    if (!more || keep == 0) {
      AssignInlined(out + r, stars, {});
      continue;
    }
    const size_t tail = size - start;
    if (kStarCount + tail <= kInlineBytes) {
      AssignInlined(out + r, stars, std::string_view(s + start, tail));
      continue;
    }
    char small[kStarCount + 64 * 4];
    if (kStarCount + tail <= sizeof small) {
      std::memcpy(small, kStars, kStarCount);
      std::memcpy(small + kStarCount, s + start, tail);
      duckdb_vector_assign_string_element_len(output, r, small, kStarCount + tail);
    } else {
      buffer.assign(kStars, kStarCount);
      buffer.append(s + start, tail);
      duckdb_vector_assign_string_element_len(output, r, buffer.data(), buffer.size());
    }
  }
}

// Days since 1970-01-01 of January 1st of the proleptic Gregorian year holding `days`.
int64_t YearStart(int64_t days) {
  int64_t year = 0, month = 0, day = 0;
  CivilFromDays(days, &year, &month, &day);
  return DaysFromCivil(year, 1, 1);
}

// January 1st of the years 1600-2400 (days since 1970-01-01): for dates in that range a table
// lookup (~2 ns) instead of YearStart's divisions (~11 ns per value on this machine).
constexpr int kTableFirstYear = 1600;
constexpr int kTableYears = 800;

const std::array<int32_t, kTableYears + 1>& YearStarts() {
  static const std::array<int32_t, kTableYears + 1> table = [] {
    std::array<int32_t, kTableYears + 1> t{};
    for (int i = 0; i <= kTableYears; ++i) {
      t[static_cast<size_t>(i)] = static_cast<int32_t>(DaysFromCivil(kTableFirstYear + i, 1, 1));
    }
    return t;
  }();
  return table;
}

int64_t FastYearStart(int32_t days, const std::array<int32_t, kTableYears + 1>& t) {
  if (days < t[0] || days >= t[kTableYears]) return YearStart(days);
  // 400 Gregorian years have 146,097 days: the estimate is off by at most one year.
  auto i = static_cast<size_t>((static_cast<int64_t>(days) - t[0]) * 400 / 146097);
  if (i >= static_cast<size_t>(kTableYears)) i = kTableYears - 1;
  while (t[i] > days) --i;
  while (t[i + 1] <= days) ++i;
  return t[i];
}

void YearStartFunction(duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
  const idx_t rows = duckdb_data_chunk_get_size(input);
  duckdb_vector values = duckdb_data_chunk_get_vector(input, 0);
  uint64_t* valid = duckdb_vector_get_validity(values);
  auto* in = static_cast<int32_t*>(duckdb_vector_get_data(values));
  auto* out = static_cast<int32_t*>(duckdb_vector_get_data(output));
  duckdb_vector_ensure_validity_writable(output);
  uint64_t* out_valid = duckdb_vector_get_validity(output);
  constexpr int32_t kInfinity = std::numeric_limits<int32_t>::max();  // DuckDB's date infinities
  constexpr int64_t kFirstDate = -kInfinity + 1;                       // 5877642-06-25 (BC)
  const auto& table = YearStarts();
  for (idx_t r = 0; r < rows; ++r) {
    if (valid && !duckdb_validity_row_is_valid(valid, r)) {
      duckdb_validity_set_row_invalid(out_valid, r);
      continue;
    }
    const int32_t d = in[r];
    // The first representable year starts before the first date: its dates keep that date
    // (where date_trunc fails).
    out[r] = d == kInfinity || d == -kInfinity
                 ? d
                 : static_cast<int32_t>(std::max<int64_t>(FastYearStart(d, table), kFirstDate));
  }
}

Status RegisterOne(duckdb_connection conn, const char* name, std::initializer_list<duckdb_type> parameters,
                   duckdb_type result, duckdb_scalar_function_t fn) {
  duckdb_scalar_function f = duckdb_create_scalar_function();
  duckdb_scalar_function_set_name(f, name);
  for (duckdb_type p : parameters) {
    duckdb_logical_type t = duckdb_create_logical_type(p);
    duckdb_scalar_function_add_parameter(f, t);
    duckdb_destroy_logical_type(&t);
  }
  duckdb_logical_type r = duckdb_create_logical_type(result);
  duckdb_scalar_function_set_return_type(f, r);
  duckdb_destroy_logical_type(&r);
  duckdb_scalar_function_set_function(f, fn);
  duckdb_state st = duckdb_register_scalar_function(conn, f);
  duckdb_destroy_scalar_function(&f);
  if (st != DuckDBSuccess) return Internal(std::string("registering SQL function ") + name);
  return Status::OK();
}

}  // namespace

Status RegisterMaskFunctions(Connection& conn) {
  auto raw = static_cast<duckdb_connection>(conn.NativeHandleForEngine());
  MEDLAKE_RETURN_IF_ERROR(RegisterOne(raw, "medlake_mask_partial", {DUCKDB_TYPE_VARCHAR, DUCKDB_TYPE_INTEGER},
                                      DUCKDB_TYPE_VARCHAR, PartialFunction));
  MEDLAKE_RETURN_IF_ERROR(RegisterOne(raw, "medlake_year_start", {DUCKDB_TYPE_DATE}, DUCKDB_TYPE_DATE,
                                      YearStartFunction));
  return Status::OK();
}

}  // namespace medlake::engine
