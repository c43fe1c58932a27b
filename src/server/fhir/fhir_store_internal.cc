#include "server/fhir/fhir_store_internal.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <set>

#include <nlohmann/json.hpp>

#include "core/logging.h"
#include "storage/catalog.h"

namespace medlake::server::fhir::internal {
namespace {

// normalized.patient rows with their person, as alias l (link) and p (patient).
constexpr std::string_view kLinkedRecords =
    "normalized.person_link l JOIN normalized.patient p ON p.source_key = l.source_key";

std::pair<std::string, std::string> SplitModifier(const std::string& name) {
  size_t colon = name.find(':');
  if (colon == std::string::npos) return {name, ""};
  return {name.substr(0, colon), name.substr(colon + 1)};
}

std::optional<int64_t> ParsePersonId(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

Status NoModifier(const std::string& base, const std::string& modifier) {
  if (modifier.empty()) return Status::OK();
  return InvalidArgument("search parameter " + base + ": modifier :" + modifier + " is not supported");
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::string IdList(const std::vector<int64_t>& ids) {
  std::vector<std::string> parts;
  for (int64_t id : ids) parts.push_back(std::to_string(id));
  return Join(parts, ", ");
}

// A reference value "Patient/123", "123" or a URL ending in Patient/123 -> the person id.
std::optional<int64_t> PersonFromReference(std::string_view value) {
  size_t slash = value.rfind('/');
  if (slash != std::string_view::npos) {
    std::string_view type = value.substr(0, slash);
    if (type.size() < 7 || type.substr(type.size() - 7) != "Patient") return std::nullopt;
    value = value.substr(slash + 1);
  }
  return ParsePersonId(value);
}

// urn:medlake:hl7:<authority> with %XX escapes -> the authority; nullopt when malformed.
std::optional<std::string> DecodeAuthority(std::string_view encoded) {
  std::string out;
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '%') {
      out += encoded[i];
      continue;
    }
    if (i + 2 >= encoded.size()) return std::nullopt;
    auto hex = [](char c) {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int hi = hex(encoded[i + 1]);
    int lo = hex(encoded[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string IdentifierSql(const TokenValue& token) {
  const std::string v = SqlLiteral(token.code);
  auto equals = [&](const std::string& column) {
    return token.code.empty() ? column + " IS NOT NULL" : column + " = " + v;
  };
  if (!token.system_given) {
    if (token.code.empty()) return "FALSE";
    return "(p.source_key = " + v + " OR p.local_id = " + v + " OR p.national_id = " + v +
           " OR p.health_card_id = " + v + " OR p.social_security_id = " + v + ")";
  }
  const std::string& s = token.system;
  if (s == kSourceRecordSystem) return equals("p.source_key");
  if (s == kFhirPatientSystem) return "(p.source_kind = 'fhir' AND " + equals("p.local_id") + ")";
  if (s == kDniSystem || s == kNieSystem) return equals("p.national_id");
  if (s == kCipSystem) return equals("p.health_card_id");
  if (s == kNussSystem) return equals("p.social_security_id");
  if (s.compare(0, kHl7AuthorityPrefix.size(), kHl7AuthorityPrefix) == 0) {
    auto authority = DecodeAuthority(std::string_view(s).substr(kHl7AuthorityPrefix.size()));
    if (!authority || !IsCleanText(*authority)) return "FALSE";
    std::string a = SqlLiteral(*authority);
    return "(p.source_kind = 'hl7' AND (p.assigning_authority = " + a + " OR (p.assigning_authority IS NULL AND "
           "p.source_system = " + a + ")) AND " + equals("p.local_id") + ")";
  }
  return "FALSE";  // a system the lake does not hold
}

Result<std::vector<int64_t>> ResolvedPersons(engine::LakeSession& session, const std::string& param,
                                             const std::string& value) {
  MEDLAKE_ASSIGN_OR_RETURN(auto values, SplitOr(param, value));
  std::vector<int64_t> ids;
  for (const auto& v : values) {
    auto id = PersonFromReference(v);
    if (!id) continue;
    MEDLAKE_ASSIGN_OR_RETURN(int64_t resolved, ResolvePerson(session, *id));
    ids.push_back(resolved);
  }
  return ids;
}

int64_t PersonOf(const Row& row) {
  const engine::Value& v = row.Get("_person_id");
  if (v.kind == engine::Value::Kind::kInt) return v.i;
  if (v.kind == engine::Value::Kind::kUInt) return static_cast<int64_t>(v.u);
  return -1;
}

// The normalized.patient rows of `ids`, each with _person_id, newest record first per person.
std::string PatientRecordsSql(const std::string& person_condition) {
  return "SELECT l.person_id AS _person_id, p.* FROM " + std::string(kLinkedRecords) + " WHERE " +
         person_condition + " ORDER BY l.person_id, p.record_time DESC NULLS LAST, p.source_key";
}

// Groups patient rows (ordered by person) into Patients, in order.
Result<std::vector<Json>> PatientsFromRows(const std::vector<Row>& rows) {
  std::vector<Json> out;
  size_t i = 0;
  while (i < rows.size()) {
    int64_t person = PersonOf(rows[i]);
    size_t j = i;
    std::vector<Row> records;
    while (j < rows.size() && PersonOf(rows[j]) == person) records.push_back(rows[j++]);
    out.push_back(BuildPatient(person, records));
    i = j;
  }
  return out;
}

// At most this many source keys become a literal IN list (see LinkedKeys).
constexpr size_t kMaxLiteralKeys = 1000;

// The source records linked to some persons in the patient index.
struct LinkedKeys {
  std::vector<std::string> literals;  // SQL literals of the keys, when `subquery` is empty
  std::string subquery;               // else: a query of the keys
  // A condition on `column` (e.g. "t.patient_source_key") holding for the linked records.
  std::string Condition(const std::string& column) const {
    if (!subquery.empty()) return column + " IN (" + subquery + ")";
    if (literals.empty()) return "FALSE";
    return column + " IN (" + Join(literals, ", ") + ")";
  }
};

// Looks the keys of `ids` up first, so that conditions on the clinical tables are literal IN
// lists: the lake's scan planner prunes data files by their column bounds and the engine splits
// a short IN list into one equality scan per key (engine::SplitByInList), so a table sorted by
// its patient key is read only where the person's rows are; a join or an IN (subquery) would
// scan the whole table. Falls back to the subquery for more than kMaxLiteralKeys keys or a key
// that is not plain text.
Result<LinkedKeys> LookUpLinkedKeys(engine::LakeSession& session, const std::vector<int64_t>& ids) {
  LinkedKeys out;
  if (ids.empty()) return out;
  std::string subquery = "SELECT source_key FROM normalized.person_link WHERE person_id IN (" + IdList(ids) + ")";
  // The link rows themselves, without DISTINCT, ORDER BY or a NULL filter (a hash aggregate, a
  // top-N and a filter per lookup in DuckDB; as it is, a lookup by key that the key indexes
  // answer without DuckDB's plan): they are made unique and ordered here. More rows than literal
  // keys can hold (even if some repeat or are NULL) take the subquery, which is always right.
  auto rows = QueryRows(session, subquery + " LIMIT " + std::to_string(kMaxLiteralKeys + 1));
  if (!rows.ok()) return QueryError(rows.status(), kPersonTable);
  // Literal keys only when every key is plain text: at most kMaxLiteralKeys rows.
  std::vector<std::string> keys;
  bool literal = rows->size() <= kMaxLiteralKeys;
  for (size_t i = 0; literal && i < rows->size(); ++i) {
    if ((*rows)[i].Get("source_key").is_null()) continue;  // a link row without a key links nothing
    auto key = (*rows)[i].Text("source_key");
    if (!key || !IsCleanText(*key)) literal = false;
    if (literal) keys.push_back(std::move(*key));
  }
  if (!literal) {
    out.subquery = std::move(subquery);
    return out;
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  for (const auto& key : keys) out.literals.push_back(SqlLiteral(key));
  return out;
}

std::string ClinicalSelect(const ResourceSpec& spec, bool linked_only) {
  return "SELECT t.*, l.person_id AS _person_id FROM " + spec.table + " t " + (linked_only ? "JOIN" : "LEFT JOIN") +
         " normalized.person_link l ON l.source_key = t.patient_source_key";
}

std::string Where(const std::vector<std::string>& conditions) {
  if (conditions.empty()) return "";
  return " WHERE " + Join(conditions, " AND ");
}

// ORDER BY text ASC NULLS LAST: byte order (DuckDB's default collation; std::string compares
// bytes as unsigned char, as memcmp does), NULLs after every value.
bool TextBeforeNullsLast(const std::optional<std::string>& a, const std::optional<std::string>& b) {
  if (!a || !b) return a.has_value() && !b.has_value();
  return *a < *b;
}

// `rows` in the order of ORDER BY source_key, ties in the order given.
std::vector<const Row*> InSourceKeyOrder(const std::vector<Row>& rows) {
  std::vector<std::pair<std::optional<std::string>, const Row*>> keyed;
  keyed.reserve(rows.size());
  for (const auto& r : rows) keyed.emplace_back(r.Text("source_key"), &r);
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return TextBeforeNullsLast(a.first, b.first); });
  std::vector<const Row*> out;
  out.reserve(keyed.size());
  for (const auto& k : keyed) out.push_back(k.second);
  return out;
}

// One person's patient rows in PatientRecordsSql's order (record_time DESC NULLS LAST, then
// source_key), without a sort in DuckDB for the two or three rows of a lookup by key. Times are
// compared as instants; when a value is not a timestamp (a mask made it text) all are compared
// as text, as SQL would order that column.
void SortNewestRecordFirst(std::vector<Row>* rows) {
  struct Keyed {
    std::optional<int64_t> instant;
    std::optional<std::string> time_text;
    std::optional<std::string> source_key;
    Row* row;
  };
  std::vector<Keyed> keyed;
  bool all_instants = true;
  for (auto& r : *rows) {
    const engine::Value& time = r.Get("record_time");
    Keyed k{InstantMicros(time), r.Text("record_time"), r.Text("source_key"), &r};
    if (k.time_text && !k.instant) all_instants = false;
    keyed.push_back(std::move(k));
  }
  std::stable_sort(keyed.begin(), keyed.end(), [&](const Keyed& a, const Keyed& b) {
    const bool a_null = !a.time_text, b_null = !b.time_text;
    if (a_null != b_null) return b_null;
    if (!a_null) {
      if (all_instants && *a.instant != *b.instant) return *a.instant > *b.instant;
      if (!all_instants && *a.time_text != *b.time_text) return *a.time_text > *b.time_text;
    }
    return TextBeforeNullsLast(a.source_key, b.source_key);
  });
  std::vector<Row> sorted;
  sorted.reserve(keyed.size());
  for (auto& k : keyed) sorted.push_back(std::move(*k.row));
  *rows = std::move(sorted);
}

bool Skippable(const Status& st) {
  return st.code() == StatusCode::kPermissionDenied || st.code() == StatusCode::kNotFound;
}

}  // namespace

Status QueryError(const Status& error, std::string_view what) {
  switch (error.code()) {
    case StatusCode::kOk: return error;
    case StatusCode::kPermissionDenied: return error;
    case StatusCode::kNotFound:
      return FailedPrecondition("the lake has no readable " + std::string(what) +
                                " yet (run the pipeline: medlake run)");
    case StatusCode::kAborted: return Aborted("the query over " + std::string(what) + " was interrupted");
    case StatusCode::kResourceExhausted:
      return ResourceExhausted("the query over " + std::string(what) + " ran out of memory");
    default:
      // The engine's message may quote the statement, which holds search values: log the code only.
      Log(LogLevel::kWarn, "fhir_query_failed",
          {LogField("what", LogId(what)), LogField("code", LogId(StatusCodeName(error.code())))});
      return Internal("the query over " + std::string(what) + " failed");
  }
}

bool IsResultParameter(const std::string& name) {
  static const std::set<std::string>* names = new std::set<std::string>{
      "_count", "_offset", "_format", "_summary", "_total", "_pretty"};
  return names->count(name) > 0;
}

Result<int64_t> ResolvePerson(engine::LakeSession& session, int64_t person_id) {
  // Lakes without merges have no map: asking the catalog (~20 us) spares a statement that fails
  // in the rewrite (~0.4 ms, 5% of an $everything). The query below still decides otherwise.
  static const auto* retired =
      new storage::TableIdentifier(*storage::ParseTableIdentifier(std::string(kRetiredTable)));
  auto exists = session.catalog().TableExists(*retired);
  if (exists.ok() && !*exists) return person_id;
  int64_t current = person_id;
  for (int hop = 0; hop < 16; ++hop) {
    auto next = QueryInt(session,
                         "SELECT person_id FROM " + std::string(kRetiredTable) +
                             " WHERE retired_person_id = " + std::to_string(current) + " LIMIT 1",
                         -1);
    if (!next.ok()) {
      if (Skippable(next.status())) return current;  // no merges in this lake, or not readable
      return QueryError(next.status(), kRetiredTable);
    }
    if (*next < 0 || *next == current) return current;
    current = *next;
  }
  return current;
}

Result<SearchSql> PatientSearchSql(engine::LakeSession& session, const SearchParams& params) {
  SearchSql out;
  for (const auto& [name, value] : params) {
    if (IsResultParameter(name)) continue;
    auto [base, modifier] = SplitModifier(name);
    std::string cond;
    if (base == "_id") {
      MEDLAKE_RETURN_IF_ERROR(NoModifier(base, modifier));
      MEDLAKE_ASSIGN_OR_RETURN(auto values, SplitOr(name, value));
      std::vector<int64_t> ids;
      for (const auto& v : values) {
        if (auto id = ParsePersonId(v)) ids.push_back(*id);
      }
      cond = ids.empty() ? "FALSE" : "l.person_id IN (" + IdList(ids) + ")";
    } else if (base == "identifier") {
      MEDLAKE_RETURN_IF_ERROR(NoModifier(base, modifier));
      MEDLAKE_ASSIGN_OR_RETURN(auto values, SplitOr(name, value));
      std::vector<std::string> parts;
      for (const auto& v : values) parts.push_back(IdentifierSql(ParseToken(v)));
      cond = "(" + Join(parts, " OR ") + ")";
    } else if (base == "name") {
      MEDLAKE_ASSIGN_OR_RETURN(std::string family, StringCondition(name, modifier, value, "p.family_name"));
      MEDLAKE_ASSIGN_OR_RETURN(std::string given, StringCondition(name, modifier, value, "p.given_name"));
      cond = "(" + family + " OR " + given + ")";
    } else if (base == "family") {
      MEDLAKE_ASSIGN_OR_RETURN(cond, StringCondition(name, modifier, value, "p.family_name"));
    } else if (base == "given") {
      MEDLAKE_ASSIGN_OR_RETURN(cond, StringCondition(name, modifier, value, "p.given_name"));
    } else if (base == "birthdate") {
      MEDLAKE_RETURN_IF_ERROR(NoModifier(base, modifier));
      MEDLAKE_ASSIGN_OR_RETURN(cond, DateParamSql(name, value, "p.birth_date"));
    } else if (base == "gender") {
      MEDLAKE_RETURN_IF_ERROR(NoModifier(base, modifier));
      MEDLAKE_ASSIGN_OR_RETURN(auto values, SplitOr(name, value));
      std::vector<std::string> codes;
      for (const auto& v : values) codes.push_back(SqlLiteral(ParseToken(v).code));
      cond = "p.sex IN (" + Join(codes, ", ") + ")";
    } else {
      out.ignored.push_back(name);
      continue;
    }
    out.conditions.push_back("l.person_id IN (SELECT l.person_id FROM " + std::string(kLinkedRecords) + " WHERE " +
                             cond + ")");
    out.applied.emplace_back(name, value);
  }
  (void)session;
  return out;
}

Result<SearchSql> ClinicalSearchSql(engine::LakeSession& session, const ResourceSpec& spec,
                                    const SearchParams& params) {
  SearchSql out;
  for (const auto& [name, value] : params) {
    if (IsResultParameter(name)) continue;
    auto [base, modifier] = SplitModifier(name);
    std::string cond;
    if (base == "_id") {
      MEDLAKE_RETURN_IF_ERROR(NoModifier(base, modifier));
      MEDLAKE_ASSIGN_OR_RETURN(auto values, SplitOr(name, value));
      std::vector<std::string> parts;
      for (const auto& v : values) {
        auto id = DecodeResourceId(v);
        if (!id) continue;
        if (!id->key_hash.empty()) {
          parts.push_back("left(sha256(t.source_key), 40) = " + SqlLiteral(id->key_hash));
        } else if (IsCleanText(id->source_key)) {
          parts.push_back("t.source_key = " + SqlLiteral(id->source_key));
        }
      }
      cond = parts.empty() ? "FALSE" : "(" + Join(parts, " OR ") + ")";
      out.conditions.push_back(cond);
      out.applied.emplace_back(name, value);
      continue;
    }
    const ParamSpec* param = nullptr;
    for (const auto& p : spec.params) {
      if (p.name == base) param = &p;
    }
    if (param == nullptr) {
      out.ignored.push_back(name);
      continue;
    }
    switch (param->kind) {
      case ParamKind::kPatient: {
        if (!modifier.empty() && modifier != "Patient") {
          return InvalidArgument("search parameter " + base + ": modifier :" + modifier + " is not supported");
        }
        MEDLAKE_ASSIGN_OR_RETURN(auto ids, ResolvedPersons(session, name, value));
        MEDLAKE_ASSIGN_OR_RETURN(LinkedKeys keys, LookUpLinkedKeys(session, ids));
        cond = keys.Condition("t.patient_source_key");
        break;
      }
      case ParamKind::kCode: {
        MEDLAKE_RETURN_IF_ERROR(NoModifier(base, modifier));
        MEDLAKE_ASSIGN_OR_RETURN(auto values, SplitOr(name, value));
        std::vector<std::string> parts;
        for (const auto& v : values) parts.push_back(CodeTokenSql(ParseToken(v)));
        cond = "(" + Join(parts, " OR ") + ")";
        break;
      }
      case ParamKind::kToken: {
        MEDLAKE_RETURN_IF_ERROR(NoModifier(base, modifier));
        MEDLAKE_ASSIGN_OR_RETURN(auto values, SplitOr(name, value));
        std::vector<std::string> codes;
        for (const auto& v : values) codes.push_back(SqlLiteral(ParseToken(v).code));
        cond = "t." + param->column + " IN (" + Join(codes, ", ") + ")";
        break;
      }
      case ParamKind::kDate: {
        MEDLAKE_RETURN_IF_ERROR(NoModifier(base, modifier));
        MEDLAKE_ASSIGN_OR_RETURN(cond, DateParamSql(name, value, "t." + param->column));
        break;
      }
    }
    out.conditions.push_back(cond);
    out.applied.emplace_back(name, value);
  }
  return out;
}

namespace {

// ReadPatient with the person's linked keys already looked up.
Result<std::optional<Json>> ReadPatientWithKeys(engine::LakeSession& session, int64_t person_id,
                                                const LinkedKeys& keys) {
  // With literal keys (the person's, read under the same policies) the patient table is read by
  // key alone; otherwise through the link.
  const std::string person = std::to_string(person_id);
  auto rows = QueryRows(session, keys.subquery.empty()
                                     ? "SELECT " + person + " AS _person_id, p.* FROM normalized.patient p WHERE " +
                                           keys.Condition("p.source_key")
                                     : PatientRecordsSql("l.person_id = " + person + " AND " +
                                                         keys.Condition("p.source_key")));
  if (!rows.ok()) return QueryError(rows.status(), kPersonTable);
  if (!rows->empty()) {
    if (keys.subquery.empty()) SortNewestRecordFirst(&*rows);  // the subquery's SQL orders them
    MEDLAKE_ASSIGN_OR_RETURN(auto patients, PatientsFromRows(*rows));
    return std::optional<Json>(std::move(patients.front()));
  }
  MEDLAKE_ASSIGN_OR_RETURN(int64_t survivor, ResolvePerson(session, person_id));
  if (survivor == person_id) return std::optional<Json>();
  auto alive = QueryInt(session,
                        "SELECT count(*) FROM " + std::string(kLinkedRecords) +
                            " WHERE l.person_id = " + std::to_string(survivor),
                        0);
  if (!alive.ok()) return QueryError(alive.status(), kPersonTable);
  if (*alive == 0) return std::optional<Json>();
  return std::optional<Json>(BuildRetiredPatient(person_id, survivor));
}

}  // namespace

Result<std::optional<Json>> ReadPatient(engine::LakeSession& session, int64_t person_id) {
  MEDLAKE_ASSIGN_OR_RETURN(LinkedKeys keys, LookUpLinkedKeys(session, {person_id}));
  return ReadPatientWithKeys(session, person_id, keys);
}

Result<std::optional<Json>> ReadClinical(engine::LakeSession& session, const ResourceSpec& spec,
                                         const DecodedId& id) {
  std::string cond;
  if (!id.key_hash.empty()) {
    cond = "left(sha256(t.source_key), 40) = " + SqlLiteral(id.key_hash);
  } else {
    if (!IsCleanText(id.source_key)) return std::optional<Json>();
    cond = "t.source_key = " + SqlLiteral(id.source_key);
  }
  auto rows = QueryRows(session, ClinicalSelect(spec, false) + " WHERE " + cond + " LIMIT 1");
  if (!rows.ok()) return QueryError(rows.status(), spec.table);
  if (rows->empty()) return std::optional<Json>();
  return std::optional<Json>(spec.build(rows->front()));
}

Result<SearchPage> SearchPatients(engine::LakeSession& session, const SearchSql& sql, size_t offset, size_t count,
                                  bool with_total) {
  SearchPage page;
  std::string persons =
      "SELECT DISTINCT l.person_id AS person_id FROM " + std::string(kLinkedRecords) + Where(sql.conditions);
  if (count > 0) {
    auto ids = QueryRows(session, persons + " ORDER BY person_id LIMIT " + std::to_string(count + 1) + " OFFSET " +
                                      std::to_string(offset));
    if (!ids.ok()) return QueryError(ids.status(), kPersonTable);
    std::vector<int64_t> list;
    for (const auto& r : *ids) {
      const engine::Value& v = r.Get("person_id");
      if (v.kind == engine::Value::Kind::kInt) list.push_back(v.i);
    }
    if (list.size() > count) {
      page.more = true;
      list.resize(count);
    }
    if (!list.empty()) {
      auto rows = QueryRows(session, PatientRecordsSql("l.person_id IN (" + IdList(list) + ")"));
      if (!rows.ok()) return QueryError(rows.status(), kPersonTable);
      MEDLAKE_ASSIGN_OR_RETURN(page.resources, PatientsFromRows(*rows));
    }
    if (!page.more && (offset == 0 || !page.resources.empty())) {
      page.total = static_cast<int64_t>(offset + page.resources.size());
      return page;
    }
  }
  if (with_total || count == 0) {
    auto total = QueryInt(session, "SELECT count(*) FROM (" + persons + ")", 0);
    if (!total.ok()) return QueryError(total.status(), kPersonTable);
    page.total = *total;
  }
  return page;
}

Result<SearchPage> SearchClinical(engine::LakeSession& session, const ResourceSpec& spec, const SearchSql& sql,
                                  size_t offset, size_t count, bool with_total) {
  SearchPage page;
  std::string base = ClinicalSelect(spec, false) + Where(sql.conditions);
  if (count > 0) {
    auto rows = QueryRows(session, base + " ORDER BY t.source_key LIMIT " + std::to_string(count + 1) + " OFFSET " +
                                       std::to_string(offset));
    if (!rows.ok()) return QueryError(rows.status(), spec.table);
    for (const auto& r : *rows) {
      if (page.resources.size() == count) {
        page.more = true;
        break;
      }
      if (!r.Text("source_key")) continue;  // not identifiable (source_key not readable)
      page.resources.push_back(spec.build(r));
    }
    if (!page.more && (offset == 0 || !page.resources.empty())) {
      page.total = static_cast<int64_t>(offset + page.resources.size());
      return page;
    }
  }
  if (with_total || count == 0) {
    auto total = QueryInt(session,
                          "SELECT count(*) FROM " + spec.table +
                              " t LEFT JOIN normalized.person_link l ON l.source_key = t.patient_source_key" +
                              Where(sql.conditions),
                          0);
    if (!total.ok()) return QueryError(total.status(), spec.table);
    page.total = *total;
  }
  return page;
}

namespace {

// The clinical rows of a person's record read by Everything: one type's FROM ... WHERE ...
struct EverythingPart {
  const ResourceSpec* spec;
  std::string from_where;
  int64_t rows;
};

}  // namespace

Result<EverythingPage> Everything(engine::LakeSession& session, int64_t person_id, const EverythingOptions& options,
                                  size_t offset, size_t count) {
  EverythingPage page;
  MEDLAKE_ASSIGN_OR_RETURN(LinkedKeys keys, LookUpLinkedKeys(session, {person_id}));
  using Part = EverythingPart;
  // With the keys as literals the clinical tables are read by key alone (the keys are the
  // person's, read under the same policies); with the subquery fallback, through the link.
  const bool literal_keys = keys.subquery.empty();
  const std::string person = std::to_string(person_id);
  std::vector<Part> parts;
  for (const auto& spec : ClinicalSpecs()) {
    if (!options.types.empty() &&
        std::find(options.types.begin(), options.types.end(), spec.resource) == options.types.end()) {
      continue;
    }
    std::vector<std::string> conditions{keys.Condition("t.patient_source_key")};
    if (!literal_keys) conditions.push_back("l.person_id = " + person);
    for (const auto& d : options.dates) {
      conditions.push_back("(t." + spec.date_column + " IS NULL OR " + DateCondition(d, "t." + spec.date_column) + ")");
    }
    std::string from = " FROM " + spec.table + " t" +
                       (literal_keys ? "" : " JOIN normalized.person_link l ON l.source_key = t.patient_source_key");
    parts.push_back({&spec, from + Where(conditions), 0});
  }
  const std::string select = literal_keys ? "SELECT t.*, " + person + " AS _person_id" : "SELECT t.*, l.person_id AS _person_id";
  const int64_t room = static_cast<int64_t>(count) - (options.include_patient ? 1 : 0);
  bool overflow = false;
  MEDLAKE_ASSIGN_OR_RETURN(page.patient, ReadPatientWithKeys(session, person_id, keys));
  if (!page.patient) return page;
  if (offset == 0 && room >= 0 && !overflow) {
    // Most records fit in one page: each type's rows are read directly (at most what the page
    // holds, plus one to see whether more follow), without counting first. With the keys as
    // literals each statement is a plain lookup by key, read from the key indexes without
    // running DuckDB's plan (engine/key_index_sql.h, DirectKeyLookup); the same LIMIT for every
    // type keeps one statement shape per table and key count.
    EverythingPage direct = page;
    if (options.include_patient) direct.resources.push_back(*page.patient);
    int64_t left = room;
    for (const auto& p : parts) {
      // No ORDER BY (a top-N heap per table in DuckDB when the plan runs): when the LIMIT does
      // not bind, every row came back and they are put in source_key order here; when it binds,
      // the counted path below reads the page in SQL order.
      auto rows = QueryRows(session, select + p.from_where + " LIMIT " + std::to_string(room + 1));
      if (!rows.ok()) {
        if (Skippable(rows.status())) {
          direct.skipped.push_back(p.spec->resource);
          continue;
        }
        return QueryError(rows.status(), p.spec->table);
      }
      if (static_cast<int64_t>(rows->size()) > left) {
        overflow = true;
        break;
      }
      for (const Row* r : InSourceKeyOrder(*rows)) direct.resources.push_back(p.spec->build(*r));
      left -= static_cast<int64_t>(rows->size());
    }
    if (!overflow) {
      direct.total = static_cast<int64_t>(direct.resources.size());
      direct.more = false;
      return direct;
    }
  }
  // Counts per type first, so that pages can be cut across types: one statement for all types,
  // or, when the user may not read some of them, one per type (those refused are skipped).
  auto count_sql = [](const Part& p) { return "SELECT count(*)" + p.from_where; };
  bool counted = false;
  if (parts.size() > 1) {
    std::string sql;
    for (size_t i = 0; i < parts.size(); ++i) {
      sql += (i ? " UNION ALL " : "") + std::string("SELECT ") + std::to_string(i) + " AS part, (" + count_sql(parts[i]) + ") AS n";
    }
    auto rows = QueryRows(session, sql + " ORDER BY part");
    if (rows.ok() && rows->size() == parts.size()) {
      for (size_t i = 0; i < parts.size(); ++i) {
        auto n = (*rows)[i].Text("n");
        parts[i].rows = n ? std::stoll(*n) : 0;
      }
      counted = true;
    } else if (!rows.ok() && !Skippable(rows.status())) {
      return QueryError(rows.status(), "clinical records");
    }
  }
  if (!counted) {
    std::vector<Part> readable;
    for (auto& p : parts) {
      auto n = QueryInt(session, count_sql(p), 0);
      if (!n.ok()) {
        if (Skippable(n.status())) {
          page.skipped.push_back(p.spec->resource);
          continue;
        }
        return QueryError(n.status(), p.spec->table);
      }
      p.rows = *n;
      readable.push_back(p);
    }
    parts = std::move(readable);
  }
  int64_t total = options.include_patient ? 1 : 0;
  for (const auto& p : parts) total += p.rows;
  page.total = total;
  int64_t skip = static_cast<int64_t>(offset);
  int64_t want = static_cast<int64_t>(count);
  if (options.include_patient) {
    if (skip == 0 && want > 0) {
      page.resources.push_back(*page.patient);
      --want;
    } else if (skip > 0) {
      --skip;
    }
  }
  for (const auto& p : parts) {
    if (want <= 0) break;
    if (skip >= p.rows) {
      skip -= p.rows;
      continue;
    }
    int64_t take = std::min(want, p.rows - skip);
    auto rows = QueryRows(session, select + p.from_where + " ORDER BY t.source_key LIMIT " + std::to_string(take) +
                                       " OFFSET " + std::to_string(skip));
    if (!rows.ok()) return QueryError(rows.status(), p.spec->table);
    for (const auto& r : *rows) page.resources.push_back(p.spec->build(r));
    want -= take;
    skip = 0;
  }
  page.more = static_cast<int64_t>(offset + count) < total;
  return page;
}

Status StreamResources(engine::LakeSession& session, const std::string& resource, const std::string& since,
                       bool linked_only, const std::function<Status(const Json&)>& on_resource,
                       const std::function<bool()>& should_stop) {
  const Status stopped = Aborted("export cancelled");
  if (resource == "Patient") {
    std::string condition = "TRUE";
    if (!since.empty()) {
      condition = "l.person_id IN (SELECT l.person_id FROM " + std::string(kLinkedRecords) +
                  " WHERE p.record_time >= " + since + ")";
    }
    std::vector<Row> records;
    int64_t current = -1;
    auto flush = [&]() -> Status {
      if (records.empty()) return Status::OK();
      Status st = on_resource(BuildPatient(current, records));
      records.clear();
      return st;
    };
    Status st = RunQuery(session, PatientRecordsSql(condition), [&](const Row& row) -> Status {
      if (should_stop()) return stopped;
      int64_t person = PersonOf(row);
      if (person != current) {
        MEDLAKE_RETURN_IF_ERROR(flush());
        current = person;
      }
      records.push_back(row);
      return Status::OK();
    });
    if (st.ok()) st = flush();
    if (st.code() == StatusCode::kAborted && should_stop()) return stopped;
    return st.ok() ? st : QueryError(st, kPersonTable);
  }
  const ResourceSpec* spec = FindClinicalSpec(resource);
  if (spec == nullptr) return InvalidArgument("resource type " + resource + " is not served");
  std::string sql = ClinicalSelect(*spec, linked_only);
  if (!since.empty()) sql += " WHERE t.record_time >= " + since;
  Status st = RunQuery(session, sql, [&](const Row& row) -> Status {
    if (should_stop()) return stopped;
    if (!row.Text("source_key")) return Status::OK();
    return on_resource(spec->build(row));
  });
  if (st.code() == StatusCode::kAborted && should_stop()) return stopped;
  return st.ok() ? st : QueryError(st, spec->table);
}

}  // namespace medlake::server::fhir::internal
