#include "engine/lake_resolver.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <set>

#include "core/civil_date.h"
#include "engine/iceberg_sql_types.h"
#include "engine/key_index_sql.h"
#include "engine/metadata_tables.h"
#include "engine/sql_lexer.h"
#include "engine/value.h"
#include "engine/scan_sql.h"
#include "storage/iceberg/types.h"
#include "storage/iceberg/value.h"

namespace medlake::engine {

Result<int64_t> ParseTimestampMicros(const std::string& text) {
  // YYYY-MM-DD[( |T)HH:MM[:SS[.f...]]][ ][Z | (+|-)HH[[:]MM]]: digits are read as integers (a
  // double would turn .005 into 4 ms), the fraction is cut to whole microseconds, and an offset
  // is applied. Anything else is an error.
  auto bad = [&text]() { return InvalidArgument("not a timestamp: " + text); };
  size_t i = 0;
  const size_t n = text.size();
  auto digits = [&](size_t min, size_t max, int64_t* out) {
    size_t start = i;
    int64_t v = 0;
    while (i < n && i - start < max && std::isdigit(static_cast<unsigned char>(text[i]))) v = v * 10 + (text[i++] - '0');
    *out = v;
    return i - start >= min;
  };
  auto take = [&](char c) {
    if (i < n && text[i] == c) {
      ++i;
      return true;
    }
    return false;
  };
  const bool negative_year = take('-');
  int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, us = 0;
  if (!digits(1, 6, &y) || !take('-') || !digits(1, 2, &mo) || !take('-') || !digits(1, 2, &d)) return bad();
  if (negative_year) y = -y;
  if (i < n && (text[i] == ' ' || text[i] == 'T') && i + 1 < n && std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
    ++i;
    if (!digits(1, 2, &h) || !take(':') || !digits(1, 2, &mi)) return bad();
    if (take(':')) {
      if (!digits(1, 2, &s)) return bad();
      if (take('.')) {
        size_t start = i;
        int64_t fraction = 0;
        if (!digits(1, 6, &fraction)) return bad();
        for (size_t k = i - start; k < 6; ++k) fraction *= 10;
        us = fraction;
        int64_t finer = 0;
        digits(0, 9, &finer);  // below a microsecond: dropped
      }
    }
  }
  if (i < n && text[i] == ' ' && i + 1 < n && (text[i + 1] == '+' || text[i + 1] == '-' || text[i + 1] == 'Z')) ++i;
  int64_t offset_minutes = 0;
  if (!take('Z') && i < n && (text[i] == '+' || text[i] == '-')) {
    const bool behind = text[i++] == '-';
    int64_t oh = 0, om = 0;
    if (!digits(2, 2, &oh)) return bad();
    take(':');
    if (i < n) {
      if (!digits(2, 2, &om)) return bad();
    }
    if (oh > 15 || om > 59) return bad();
    offset_minutes = (behind ? -1 : 1) * (oh * 60 + om);
  }
  if (i != n) return bad();
  // Out-of-range parts (years beyond +-9999, month 13, ...) are not timestamps we prune with;
  // checked before any arithmetic so nothing can overflow.
  if (y < -9999 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    return InvalidArgument("timestamp out of range: " + text);
  }
  const int64_t seconds = DaysFromCivil(y, mo, d) * 86'400 + h * 3'600 + mi * 60 + s - offset_minutes * 60;
  return seconds * 1'000'000 + us;
}

Result<int64_t> ParseTimestampMillis(const std::string& text) {
  MEDLAKE_ASSIGN_OR_RETURN(int64_t us, ParseTimestampMicros(text));
  // The millisecond that holds the instant (floor, also before 1970).
  return us >= 0 ? us / 1000 : -((-us + 999) / 1000);
}

Result<const storage::LakeTable*> LakeTableResolver::Table(const storage::TableIdentifier& id) {
  auto it = tables_.find(id.ToString());
  if (it != tables_.end()) return it->second.get();
  auto loaded = storage::LakeTable::Load(catalog_, fs_, id);
  if (!loaded.ok()) {
    if (loaded.status().code() == StatusCode::kNotFound) {
      MEDLAKE_ASSIGN_OR_RETURN(bool exists, catalog_.TableExists(id));
      if (!exists) return NotFound("Catalog Error: lake table " + id.ToString() + " does not exist");
    }
    return loaded.status();
  }
  const storage::LakeTable* ptr = loaded->get();
  tables_[id.ToString()] = std::move(*loaded);
  return ptr;
}

namespace {

namespace ib = storage::iceberg;

std::optional<ib::Value> ToValue(const ColumnPredicate::Constant& c, const ib::Type& type) {
  using K = ColumnPredicate::Kind;
  char* end = nullptr;
  switch (type.id) {
    case ib::TypeId::kInt:
    case ib::TypeId::kLong: {
      if (c.kind != K::kInteger) return std::nullopt;
      long long v = std::strtoll(c.text.c_str(), &end, 10);
      if (*end != '\0') return std::nullopt;
      if (type.id == ib::TypeId::kInt) {
        if (v < INT32_MIN || v > INT32_MAX) return std::nullopt;
        return ib::Value(static_cast<int32_t>(v));
      }
      return ib::Value(static_cast<int64_t>(v));
    }
    case ib::TypeId::kFloat:
    case ib::TypeId::kDouble: {
      // The constant must be the number DuckDB compares. A DOUBLE constant is compared in double
      // (a REAL column is widened exactly). Against a REAL column DuckDB casts an integer or
      // decimal constant to REAL: exact for integers up to 2^24 only, so others do not prune.
      // Against a DOUBLE column it casts an integer (correctly rounded, as strtod reads it) or a
      // decimal: while the unscaled value is an exact double, as double(unscaled) / 10^scale,
      // the correctly rounded quotient when 10^scale is exact too (up to 15 digits, scale up to
      // 22); longer decimals take another path in DuckDB and do not prune.
      if (c.kind != K::kInteger && c.kind != K::kDouble && c.kind != K::kDecimal) return std::nullopt;
      double v = std::strtod(c.text.c_str(), &end);
      if (*end != '\0' || std::isnan(v)) return std::nullopt;
      if (c.kind != K::kDouble) {
        size_t digits = 0, scale = 0;
        bool point = false;
        for (char ch : c.text) {
          if (ch == '.') point = true;
          if (ch < '0' || ch > '9') continue;
          if (digits > 0 || ch != '0') ++digits;
          if (point) ++scale;
        }
        if (type.id == ib::TypeId::kFloat && (c.kind != K::kInteger || std::fabs(v) > 16777216.0)) return std::nullopt;
        if (c.kind == K::kDecimal && (digits > 15 || scale > 22)) return std::nullopt;
        if (c.kind == K::kInteger && digits > 18) return std::nullopt;  // beyond BIGINT
      }
      return ib::Value(v);
    }
    case ib::TypeId::kDecimal: {
      if (c.kind != K::kInteger && c.kind != K::kDecimal) return std::nullopt;
      auto d = ib::ParseDecimal(c.text);
      if (!d.ok()) return std::nullopt;
      return ib::Value(*d);
    }
    case ib::TypeId::kString:
      if (c.kind != K::kString) return std::nullopt;
      return ib::Value(c.text);
    case ib::TypeId::kDate: {
      if (c.kind != K::kDate && c.kind != K::kString) return std::nullopt;
      auto ms = ParseTimestampMillis(c.text);
      if (!ms.ok() || c.text.size() != 10) return std::nullopt;
      return ib::Value(static_cast<int32_t>(*ms / 86'400'000));
    }
    case ib::TypeId::kTimestamp:
    case ib::TypeId::kTimestampTz: {
      if (c.kind != K::kTimestamp && c.kind != K::kDate) return std::nullopt;
      // Fractions finer than the column's microseconds are not used for pruning.
      const size_t dot = c.text.find('.');
      if (dot != std::string::npos) {
        const size_t digits_end = std::min(c.text.find_first_not_of("0123456789", dot + 1), c.text.size());
        if (digits_end - dot - 1 > 6) return std::nullopt;
      }
      auto micros = ParseTimestampMicros(c.text);
      if (!micros.ok()) return std::nullopt;
      return ib::Value(*micros);
    }
    default: return std::nullopt;
  }
}

// The field id of the first field of the default sort order when it is an identity transform;
// 0 when the table is unsorted.
int LeadingSortField(const ib::TableMetadata& m) {
  const ib::SortOrder* order = ib::DefaultSortOrder(m);
  if (order == nullptr || order->fields.front().transform.kind != ib::TransformKind::kIdentity) return 0;
  return order->fields.front().source_id;
}

// The top-level primitive column a predicate names (case-insensitively); null when none or
// when the name is ambiguous.
const ib::NestedField* PrimitiveColumn(const ib::Schema& schema, const std::string& column) {
  const ib::NestedField* field = nullptr;
  int matches = 0;
  for (const auto& f : schema.fields) {
    if (AsciiLower(f.name) == AsciiLower(column)) {
      field = &f;
      ++matches;
    }
  }
  return matches == 1 && field->type.is_primitive() ? field : nullptr;
}

// Most values of an IN list the scan is split by (see SplitByInList).
constexpr size_t kMaxInListBranches = 32;

}  // namespace

std::string SplitByInList(const std::string& scan_sql, const std::vector<ColumnPredicate>& predicates,
                          const ib::Schema& schema, const std::vector<storage::ScanColumn>& scan_columns,
                          int sort_field_id) {
  if (sort_field_id <= 0) return scan_sql;
  for (const auto& p : predicates) {
    if (p.op != ColumnPredicate::Op::kIn || p.values.size() < 2) continue;
    const ib::NestedField* field = PrimitiveColumn(schema, p.column);
    if (field == nullptr || field->id != sort_field_id) continue;
    const storage::ScanColumn* column = nullptr;
    for (const auto& c : scan_columns) {
      if (c.field_id == field->id) column = &c;
    }
    if (column == nullptr) continue;
    const std::string type = ib::TypeToString(field->type);
    const bool is_string = type == "string";
    const bool is_integer = type == "int" || type == "long";
    if (!is_string && !is_integer) continue;
    std::set<std::string> literals;
    bool usable = true;
    for (const auto& c : p.values) {
      if (is_string && c.kind == ColumnPredicate::Kind::kString) {
        literals.insert(QuoteString(c.text));
      } else if (is_integer && c.kind == ColumnPredicate::Kind::kInteger && ToValue(c, field->type)) {
        literals.insert(c.text);
      } else {
        usable = false;
      }
    }
    if (!usable || literals.size() < 2 || literals.size() > kMaxInListBranches) continue;
    std::string out;
    for (const auto& literal : literals) {
      if (!out.empty()) out += " UNION ALL ";
      out += "SELECT * FROM (" + scan_sql + ") AS __medlake_k WHERE " + QuoteIdentifier(column->name) + " = " + literal;
    }
    return out;
  }
  return scan_sql;
}

std::vector<storage::ScanFilter> ToScanFilters(const std::vector<ColumnPredicate>& predicates,
                                               const ib::Schema& schema) {
  std::vector<storage::ScanFilter> out;
  for (const auto& p : predicates) {
    const ib::NestedField* field = PrimitiveColumn(schema, p.column);
    if (field == nullptr) continue;
    storage::ScanFilter f;
    f.field_id = field->id;
    f.op = static_cast<storage::ScanFilter::Op>(static_cast<int>(p.op));
    bool ok = true;
    for (const auto& c : p.values) {
      auto v = ToValue(c, field->type);
      if (!v) {
        ok = false;
        break;
      }
      f.values.push_back(std::move(*v));
    }
    if (ok) out.push_back(std::move(f));
  }
  return out;
}

ColumnKind ColumnKindOfIcebergType(const std::string& type_json) {
  // Primitive types are JSON strings ("long", "decimal(9,2)"); nested ones are objects.
  std::string t = type_json;
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
  if (t == "string") return ColumnKind::kString;
  if (t == "int" || t == "long") return ColumnKind::kInteger;
  if (t == "float" || t == "double") return ColumnKind::kFloating;
  if (t.rfind("decimal(", 0) == 0) return ColumnKind::kDecimal;
  if (t == "date") return ColumnKind::kDate;
  if (t == "timestamp" || t == "timestamp_ns") return ColumnKind::kTimestamp;
  if (t == "timestamptz" || t == "timestamptz_ns") return ColumnKind::kTimestampTz;
  if (t == "boolean") return ColumnKind::kBoolean;
  return ColumnKind::kOther;
}

std::optional<std::string> YearMaskedDateRange(const ColumnPredicate& predicate, const std::string& column_sql) {
  using Op = ColumnPredicate::Op;
  if (predicate.op == Op::kIsNull) return column_sql + " IS NULL";
  if (predicate.op == Op::kIsNotNull) return column_sql + " IS NOT NULL";
  struct Day {
    int year, month, day;
  };
  std::vector<Day> days;
  for (const auto& v : predicate.values) {
    const std::string& t = v.text;
    Day d{};
    size_t at = 0;
    if (v.kind != ColumnPredicate::Kind::kDate || t.size() != 10 || !ReadFixedDigits(t, &at, 4, &d.year) ||
        t[at++] != '-' || !ReadFixedDigits(t, &at, 2, &d.month) || t[at++] != '-' ||
        !ReadFixedDigits(t, &at, 2, &d.day)) {
      return std::nullopt;
    }
    if (d.year < 1 || d.year > 9998 || d.month < 1 || d.month > 12 || d.day < 1 ||
        d.day > DaysInMonth(d.year, d.month)) {
      return std::nullopt;
    }
    days.push_back(d);
  }
  if (days.empty()) return std::nullopt;
  auto jan1 = [](int year) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "DATE '%04d-01-01'", year);
    return std::string(buf);
  };
  const Day& d = days[0];
  const bool first_day = d.month == 1 && d.day == 1;
  // The masked value is January 1st of the stored date's year (y): compare years.
  switch (predicate.op) {
    case Op::kGe: return column_sql + " >= " + jan1(first_day ? d.year : d.year + 1);  // y >= Y, or y > Y
    case Op::kGt: return column_sql + " >= " + jan1(d.year + 1);                        // y > Y
    case Op::kLe: return column_sql + " < " + jan1(d.year + 1);                         // y <= Y
    case Op::kLt: return column_sql + " < " + jan1(first_day ? d.year : d.year + 1);    // y < Y, or y <= Y
    case Op::kEq:
    case Op::kIn: {
      // Only a January 1st can equal a masked value.
      std::string out;
      for (const auto& e : days) {
        if (e.month != 1 || e.day != 1) continue;
        out += (out.empty() ? "" : " OR ") + std::string("(") + column_sql + " >= " + jan1(e.year) + " AND " +
               column_sql + " < " + jan1(e.year + 1) + ")";
      }
      return out.empty() ? std::string("false") : "(" + out + ")";
    }
    default: return std::nullopt;
  }
}

namespace {

// `sql_template` with every "{col}" replaced by `column`.
std::string WithColumn(std::string sql_template, const std::string& column) {
  for (size_t at = sql_template.find("{col}"); at != std::string::npos; at = sql_template.find("{col}", at)) {
    sql_template.replace(at, 5, column);
    at += column.size();
  }
  return sql_template;
}

// The schema a scan of `snapshot` reads (the current one without time travel): the caller's
// predicates name its columns, which may differ from the current schema's in name, field id
// and type.
Result<const ib::Schema*> ScanSchema(const ib::TableMetadata& metadata, std::optional<int64_t> snapshot) {
  if (snapshot) {
    MEDLAKE_ASSIGN_OR_RETURN(const ib::Snapshot* s, ib::FindSnapshot(metadata, *snapshot));
    if (s->schema_id) {
      auto older = ib::FindSchema(metadata, *s->schema_id);
      if (older.ok()) return *older;
    }
  }
  return ib::CurrentSchema(metadata);
}

}  // namespace

std::string ApplyTableAccess(const std::string& scan_sql, const std::vector<AccessColumn>& columns,
                             const TableAccess& access, bool guard,
                             const std::vector<std::pair<std::string, std::string>>& implied) {
  if (access.unrestricted()) return scan_sql;
  // `implied` over the scan's columns under the alias `alias`.
  auto implied_sql = [&](const std::string& alias) {
    std::string out;
    for (const auto& [column, condition] : implied) {
      out += " AND (" + WithColumn(condition, alias + "." + QuoteIdentifier(column)) + ")";
    }
    return out;
  };
  const bool filtered = !access.row_filter.empty();
  std::string select;
  for (const auto& c : columns) {
    if (access.hidden_fields.count(c.field_id)) continue;
    std::string col = QuoteIdentifier(c.name);
    std::string value = "__medlake_s." + col;
    auto mask = access.masks.find(c.field_id);
    if (mask != access.masks.end()) {
      value = "(" + WithColumn(mask->second, value) + ")";
    }
    // Unguarded, a masked value keeps its guard: a predicate on it (engine/predicate_safety.h)
    // must not evaluate the mask on a hidden row, where it could fail.
    if (filtered && (guard || mask != access.masks.end())) {
      value = "CASE WHEN __medlake_s.__medlake_visible THEN " + value + " END";
    }
    if (!select.empty()) select += ", ";
    select += value + " AS " + col;
  }
  if (select.empty()) select = "NULL AS __no_visible_columns";
  if (!filtered) {
    std::string where = implied_sql("__medlake_s");
    return "SELECT " + select + " FROM (" + scan_sql + ") AS __medlake_s" + (where.empty() ? "" : " WHERE true" + where);
  }
  if (!guard && access.masks.empty()) {
    return "SELECT " + select + " FROM (" + scan_sql + ") AS __medlake_s WHERE (" + access.row_filter + ")" +
           implied_sql("__medlake_s");
  }
  // The filter appears twice: as a WHERE DuckDB can push into the scan (dictionary-evaluated,
  // file pruning), and as the visibility flag every column is guarded by (NULL counts as false).
  return "SELECT " + select + " FROM (SELECT *, (" + access.row_filter + ") AS __medlake_visible FROM (" +
         scan_sql + ") AS __medlake_r WHERE (" + access.row_filter + ")" + implied_sql("__medlake_r") +
         ") AS __medlake_s";
}

std::vector<std::string> LakeTableResolver::ColumnsRead(const std::set<std::string>& names,
                                                        bool star) const {
  std::vector<std::string> out;
  for (const auto& [table, cols] : visible_columns_) {
    for (const auto& c : cols) {
      if (star || names.count(AsciiLower(c))) out.push_back(table + "." + c);
    }
  }
  return out;
}

Result<std::optional<ResolvedTable>> LakeTableResolver::Resolve(
    const std::string& ns, const std::string& name, const std::optional<AtClause>& at,
    const std::vector<ColumnPredicate>& predicates) {
  if (access_) {
    MEDLAKE_ASSIGN_OR_RETURN(auto virtual_sql, access_->VirtualTable(ns, name));
    if (virtual_sql) {
      if (at) return InvalidArgument("AT (...) does not apply to " + ns + "." + name);
      tables_read_.push_back(ns + "." + name);
      return std::optional<ResolvedTable>(std::move(*virtual_sql));
    }
  }
  auto ns_it = namespaces_.find(ns);
  if (ns_it == namespaces_.end()) {
    MEDLAKE_ASSIGN_OR_RETURN(bool exists, catalog_.NamespaceExists(ns));
    ns_it = namespaces_.emplace(ns, exists).first;
  }
  if (!ns_it->second) {
    // For an untrusted principal a schema-qualified name is a lake table or one of DuckDB's own
    // (temporary tables, catalogs); anything else could be a file DuckDB would read.
    if (access_ && ns != "temp" && ns != "main" && ns != "information_schema" && ns != "pg_catalog") {
      return NotFound("Catalog Error: no lake namespace " + ns);
    }
    return std::optional<ResolvedTable>();
  }
  std::optional<std::string> metadata_kind;
  std::string table_name = name;
  if (auto split = SplitMetadataTableName(name)) {
    storage::TableIdentifier plain{ns, split->first};
    MEDLAKE_ASSIGN_OR_RETURN(bool exists, catalog_.TableExists(plain));
    if (exists) {
      table_name = split->first;
      metadata_kind = split->second;
    }
  }
  storage::TableIdentifier id{ns, table_name};
  auto loaded = Table(id);
  if (!loaded.ok() && access_ && loaded.status().code() == StatusCode::kNotFound) {
    // One answer for "missing" and "not yours": table names are not probed this way.
    return PermissionDenied("lake table " + id.ToString() + " does not exist or may not be read by you");
  }
  MEDLAKE_ASSIGN_OR_RETURN(const storage::LakeTable* table, std::move(loaded));
  // What the principal may see, decided on the current schema (policies name current columns).
  std::optional<TableAccess> access;
  std::set<std::string> restricted_names;  // lowercase names of masked or hidden columns
  std::set<int> current_fields;            // field ids of the current schema
  if (access_) {
    MEDLAKE_ASSIGN_OR_RETURN(const ib::Schema* current, ib::CurrentSchema(table->metadata()));
    std::vector<AccessColumn> columns;
    for (const auto& f : current->fields) {
      AccessColumn c{f.id, f.name, ""};
      auto type = IcebergTypeToDuckDb(ib::TypeToJson(f.type));
      c.duckdb_type = type.ok() ? *type : "VARCHAR";
      columns.push_back(std::move(c));
    }
    auto decided = access_->ReadAccess(id, columns);
    if (!decided.ok() && decided.status().code() == StatusCode::kPermissionDenied &&
        decided.status().message().rfind("permission denied: SELECT", 0) == 0) {
      return PermissionDenied("lake table " + id.ToString() + " does not exist or may not be read by you");
    }
    MEDLAKE_ASSIGN_OR_RETURN(TableAccess granted, std::move(decided));
    for (const auto& c : columns) current_fields.insert(c.field_id);
    for (const auto& c : columns) {
      if (granted.hidden_fields.count(c.field_id) || granted.masks.count(c.field_id)) {
        restricted_names.insert(AsciiLower(c.name));
      }
    }
    for (const auto& d : granted.decisions) decisions_.push_back(d);
    tables_read_.push_back(id.ToString());
    access = std::move(granted);
  }
  std::optional<int64_t> snapshot;
  if (at) {
    if (at->unit == "VERSION") {
      MEDLAKE_ASSIGN_OR_RETURN(snapshot, table->SnapshotById(at->value.i));
    } else {
      MEDLAKE_ASSIGN_OR_RETURN(int64_t ms, ParseTimestampMillis(at->value.ToText()));
      MEDLAKE_ASSIGN_OR_RETURN(snapshot, table->SnapshotAsOf(ms));
    }
  }
  if (metadata_kind) {
    // History says nothing about values; the other tables show partition values and row counts
    // (snapshot summaries count rows too), which a row filter or mask would not hide.
    if (access && !access->unrestricted() && *metadata_kind != "history") {
      return PermissionDenied("metadata table " + ns + "." + name +
                              " is not available under a row filter or column mask on " + id.ToString());
    }
    MEDLAKE_ASSIGN_OR_RETURN(std::string sql, MetadataTableSql(*table, *metadata_kind, snapshot, fs_));
    return std::optional<ResolvedTable>(std::move(sql));
  }
  std::vector<storage::ScanFilter> filters;
  std::vector<ColumnPredicate> usable;
  const ib::Schema* scan_schema = nullptr;
  if (!predicates.empty()) {
    // The caller's predicates on masked columns compare masked values: pruning files by the
    // real values' bounds would leak them, so those predicates do not prune.
    for (const auto& p : predicates) {
      if (!restricted_names.count(AsciiLower(p.column))) usable.push_back(p);
    }
    auto schema = ScanSchema(table->metadata(), snapshot);
    if (schema.ok()) {
      scan_schema = *schema;
      filters = ToScanFilters(usable, **schema);
    }
  }
  // The row filter's value sets prune files too, and say which files pass whole.
  const size_t first_policy_filter = filters.size();
  bool sets_decidable = access && access->row_filter_is_sets && !access->row_filter_sets.empty();
  if (access && !access->row_filter_sets.empty()) {
    auto schema = ib::CurrentSchema(table->metadata());
    for (const auto& term : access->row_filter_sets) {
      const ib::NestedField* field = schema.ok() ? PrimitiveColumn(**schema, term.column) : nullptr;
      if (field == nullptr || field->type.id != ib::TypeId::kString) {
        sets_decidable = false;
        continue;
      }
      storage::ScanFilter f;
      f.field_id = field->id;
      f.op = storage::ScanFilter::Op::kIn;
      for (const auto& v : term.values) f.values.emplace_back(v);
      filters.push_back(std::move(f));
    }
  }
  MEDLAKE_ASSIGN_OR_RETURN(storage::ScanPlan plan, table->PlanScan(snapshot, filters));
  // Every row read passes the row filter: no per-row check, no guard (applied in ApplyAccess).
  bool rows_proven = false;
  if (sets_decidable && filters.size() <= 64) {
    uint64_t needed = 0;
    for (size_t i = first_policy_filter; i < filters.size(); ++i) needed |= uint64_t{1} << i;
    rows_proven = true;
    for (const auto& f : plan.data_files) rows_proven = rows_proven && (f.filters_hold & needed) == needed;
    if (rows_proven) {
      decisions_.push_back("row_filter on " + id.ToString() + " decided per data file (" +
                           std::to_string(plan.data_files.size()) + " read whole)");
    }
  }
  pruning_.manifests_total += plan.pruning.manifests_total;
  pruning_.manifests_skipped += plan.pruning.manifests_skipped;
  pruning_.files_total += plan.pruning.files_total;
  pruning_.files_skipped += plan.pruning.files_skipped;
  bool row_ids = row_id_target_ && *row_id_target_ == id && !at;
  if (row_ids && access && !access->unrestricted()) {
    return PermissionDenied("changing rows of " + id.ToString() +
                            " is not allowed under a row filter or column mask on it");
  }
  MEDLAKE_ASSIGN_OR_RETURN(std::string sql, BuildScanSql(plan, row_ids));
  if (scan_schema != nullptr && !row_ids) {
    // Lookups by key: the key indexes when the table has them (engine/key_index_sql.h), else
    // one equality scan per value of a short IN list on the sort column.
    if (auto by_key = KeyIndexScanSql(plan, KeyIndexField(table->metadata()), *scan_schema, usable)) {
      sql = std::move(by_key->sql);
      by_key->sql.clear();
      for (const auto& p : by_key->parameters) {
        if (std::find(key_parameters_.begin(), key_parameters_.end(), p) == key_parameters_.end()) {
          key_parameters_.push_back(p);
        }
      }
      ResolvedTable resolved = ApplyAccess(id, sql, plan, current_fields, access, rows_proven, predicates);
      // The scan's SQL comes back as it went in only when no policy applies to this user.
      by_key->unrestricted = resolved.sql == sql && resolved.sql_unguarded.empty();
      key_scans_.push_back(std::move(*by_key));
      return std::optional<ResolvedTable>(std::move(resolved));
    }
    sql = SplitByInList(sql, usable, *scan_schema, plan.columns, LeadingSortField(table->metadata()));
  }
  if (!plan.data_files.empty()) reads_parquet_ = true;
  return std::optional<ResolvedTable>(ApplyAccess(id, sql, plan, current_fields, access, rows_proven, predicates));
}

ResolvedTable LakeTableResolver::ApplyAccess(const storage::TableIdentifier& id, const std::string& sql,
                                             const storage::ScanPlan& plan, const std::set<int>& current_fields,
                                             std::optional<TableAccess>& access, bool rows_proven,
                                             const std::vector<ColumnPredicate>& predicates) {
  if (!access) return ResolvedTable(sql);
  std::vector<AccessColumn> scan_columns;
  std::map<std::string, ColumnKind> kinds;
  auto& visible = visible_columns_[id.ToString()];
  for (const auto& c : plan.columns) {
    // An older snapshot may hold columns dropped since: no policy or grant names them any more,
    // so a restricted principal does not see them.
    if (!current_fields.count(c.field_id) && !access->unrestricted()) access->hidden_fields.insert(c.field_id);
    scan_columns.push_back(AccessColumn{c.field_id, c.name, ""});
    if (access->hidden_fields.count(c.field_id)) continue;
    visible.insert(c.name);
    kinds[AsciiLower(c.name)] =
        access->masks.count(c.field_id) && !access->masks_keep_type.count(c.field_id)
            ? ColumnKind::kMasked
            : ColumnKindOfIcebergType(c.type_json);
  }
  if (rows_proven) access->row_filter.clear();
  // The caller's comparisons of year-masked dates, as ranges on the stored dates.
  std::vector<std::pair<std::string, std::string>> implied;
  std::vector<size_t> exact;  // positions of the predicates the implied ranges enforce exactly
  for (size_t i = 0; i < predicates.size(); ++i) {
    const ColumnPredicate& p = predicates[i];
    const storage::ScanColumn* column = nullptr;
    int matches = 0;
    for (const auto& c : plan.columns) {
      if (AsciiLower(c.name) == AsciiLower(p.column) && !access->hidden_fields.count(c.field_id)) {
        column = &c;
        ++matches;
      }
    }
    if (matches != 1 || !access->year_masked_dates.count(column->field_id) ||
        !access->masks.count(column->field_id)) {
      continue;
    }
    if (auto range = YearMaskedDateRange(p, "{col}")) {
      implied.emplace_back(column->name, *range);
      exact.push_back(i);
    }
  }
  ResolvedTable out(ApplyTableAccess(sql, scan_columns, *access, /*guard=*/true, implied));
  if (!access->row_filter.empty()) {
    out.sql_unguarded = ApplyTableAccess(sql, scan_columns, *access, /*guard=*/false, implied);
  }
  out.column_kinds = std::move(kinds);
  out.exact_predicates = std::move(exact);
  return out;
}

}  // namespace medlake::engine
