#include "pipeline/patient_index.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/logging.h"
#include "engine/key_index_sql.h"
#include "engine/lake_executor.h"
#include "engine/sql_lexer.h"
#include "pipeline/national_ids.h"
#include "storage/table.h"

namespace medlake::pipeline {
namespace {

constexpr const char* kNs = "normalized";
constexpr const char* kLinkTable = "person_link";
constexpr const char* kReviewTable = "person_link_review";
constexpr const char* kMapTable = "person_id_map";

// Properties of normalized.person_link, committed with its rows (docs/formats/patient_index.md).
constexpr const char* kPropFormat = "medlake.patient_index.format";
constexpr const char* kPropPatient = "medlake.patient_index.source.normalized.patient";
constexpr const char* kPropHl7 = "medlake.patient_index.source.raw.hl7_messages";
constexpr const char* kPropReview = "medlake.patient_index.review_snapshot";
constexpr const char* kPropWeights = "medlake.patient_index.weights";
constexpr const char* kPropNextId = "medlake.patient_index.next_person_id";
constexpr const char* kPropThresholds = "medlake.patient_index.thresholds";
constexpr const char* kFormatVersion = "1";

// Blocks larger than this are not used to make candidate pairs (missing or very common values):
// a block of n records makes n(n-1)/2 pairs.
constexpr int kMaxBlockSize = 200;
// Weight of an unchanged record's claim to its previous person id (a changed record's is 1).
constexpr int64_t kUnchangedClaim = 1'000'000'000;
// Random record pairs drawn to estimate the u probabilities (at most).
constexpr int64_t kRandomPairs = 2'000'000;

// The comparison fields: name, number of agreement levels (0 = disagree ... top = agree
// exactly); a NULL level means a value is missing on either side and carries no weight.
struct ComparisonField {
  const char* name;
  const char* column;
  int levels;
  std::array<const char*, 4> level_names;
};
constexpr std::array<ComparisonField, 9> kFields = {{
    {"national_id", "g_nid", 2, {"disagree", "agree", "", ""}},
    {"health_card", "g_cip", 2, {"disagree", "agree", "", ""}},
    {"social_security", "g_nuss", 2, {"disagree", "agree", "", ""}},
    {"surnames", "g_surname", 4, {"disagree", "one_shared", "swapped_or_close", "exact"}},
    {"given_name", "g_given", 3, {"disagree", "close", "exact", ""}},
    {"birth_date", "g_birth", 4, {"disagree", "same_year_month_or_day", "day_month_swapped", "exact"}},
    {"sex", "g_sex", 2, {"disagree", "agree", "", ""}},
    {"postal_code", "g_postal", 2, {"disagree", "agree", "", ""}},
    {"phone", "g_phone", 2, {"disagree", "agree", "", ""}},
}};
constexpr size_t kFieldCount = kFields.size();

// Fellegi-Sunter parameters: lambda = probability that two records drawn at random match (the
// prior); m[f][l] and u[f][l] = probability of level l of field f among matches and non-matches.
struct Weights {
  double lambda = 0.3;
  std::array<std::vector<double>, kFieldCount> m, u;
};

// Link methods, weakest first; a record's method is the strongest evidence that linked it.
enum Method : int {
  kSingleton = 0,
  kProbabilistic = 1,
  kSocialSecurity = 2,
  kHealthCard = 3,
  kNationalId = 4,
  kMerge = 5,
  kManual = 6,
};
constexpr std::array<const char*, 7> kMethodNames = {"singleton",   "probabilistic", "social_security",
                                                      "health_card", "national_id",   "merge",
                                                      "manual"};

int MethodFromName(std::string_view name) {
  for (size_t i = 0; i < kMethodNames.size(); ++i) {
    if (name == kMethodNames[i]) return static_cast<int>(i);
  }
  return kSingleton;
}

// An edge of the link graph between two records (row ids of __pidx_rec).
struct Edge {
  int64_t a = 0;
  int64_t b = 0;
  int method = kSingleton;  // kSingleton marks a "same previous person" edge (incremental runs)
  double score = 0;
};

Weights DefaultWeights() {
  Weights w;
  for (size_t f = 0; f < kFieldCount; ++f) {
    int n = kFields[f].levels;
    w.m[f].assign(n, 0.1 / (n - 1));
    w.u[f].assign(n, 0.1 / (n - 1));
    w.m[f][n - 1] = 0.9;
    w.u[f][0] = 0.9;
  }
  return w;
}

std::string WeightsToJson(const Weights& w) {
  nlohmann::json j;
  j["lambda"] = w.lambda;
  for (size_t f = 0; f < kFieldCount; ++f) {
    j["fields"][kFields[f].name]["m"] = w.m[f];
    j["fields"][kFields[f].name]["u"] = w.u[f];
  }
  return j.dump();
}

Result<Weights> WeightsFromJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("lambda") || !j["lambda"].is_number()) {
    return DataLoss("property " + std::string(kPropWeights) + " of normalized.person_link is not valid");
  }
  Weights w;
  w.lambda = j["lambda"].get<double>();
  for (size_t f = 0; f < kFieldCount; ++f) {
    const auto& fj = j["fields"][kFields[f].name];
    for (const char* side : {"m", "u"}) {
      const auto& arr = fj[side];
      if (!arr.is_array() || arr.size() != static_cast<size_t>(kFields[f].levels)) {
        return DataLoss("property " + std::string(kPropWeights) + ": field " + kFields[f].name + " is not valid");
      }
      auto& dst = side[0] == 'm' ? w.m[f] : w.u[f];
      dst.clear();
      for (const auto& v : arr) dst.push_back(v.is_number() ? v.get<double>() : 0.5);
    }
  }
  return w;
}

// One distinct comparison vector and how many candidate pairs have it.
struct Pattern {
  std::array<int, kFieldCount> level{};  // -1: missing
  double count = 0;
};

// Expectation-maximisation for the two-class mixture (matches / non-matches) under conditional
// independence of the fields (Fellegi and Sunter 1969; Winkler 1988), over the distinct patterns
// of the candidate pairs, so its cost does not depend on the number of pairs. The u
// probabilities are not estimated here: they come from random pairs (`w.u`, kept fixed), because
// blocking makes almost every candidate pair a match and leaves u unidentifiable. Returns w with
// m and lambda (the share of matches among the candidate pairs) estimated.
Weights EstimateWeights(const std::vector<Pattern>& patterns, Weights w) {
  double total = 0;
  for (const auto& p : patterns) total += p.count;
  if (total < 1) return w;
  constexpr double kSmoothing = 0.5;  // pseudo-count per level: keeps every probability > 0
  w.lambda = 0.5;
  for (int iter = 0; iter < 200; ++iter) {
    double sum_match = 0;
    std::array<std::vector<double>, kFieldCount> cm;
    for (size_t f = 0; f < kFieldCount; ++f) cm[f].assign(kFields[f].levels, kSmoothing);
    for (const auto& p : patterns) {
      double lm = std::log(w.lambda), lu = std::log(1 - w.lambda);
      for (size_t f = 0; f < kFieldCount; ++f) {
        if (p.level[f] < 0) continue;
        lm += std::log(w.m[f][p.level[f]]);
        lu += std::log(w.u[f][p.level[f]]);
      }
      double pm = 1.0 / (1.0 + std::exp(std::clamp(lu - lm, -700.0, 700.0)));
      sum_match += pm * p.count;
      for (size_t f = 0; f < kFieldCount; ++f) {
        if (p.level[f] >= 0) cm[f][p.level[f]] += pm * p.count;
      }
    }
    double lambda = std::clamp(sum_match / total, 1e-9, 1 - 1e-9);
    double change = std::abs(lambda - w.lambda);
    w.lambda = lambda;
    for (size_t f = 0; f < kFieldCount; ++f) {
      double sm = 0;
      for (int l = 0; l < kFields[f].levels; ++l) sm += cm[f][l];
      for (int l = 0; l < kFields[f].levels; ++l) {
        double m = cm[f][l] / sm;
        change = std::max(change, std::abs(m - w.m[f][l]));
        w.m[f][l] = m;
      }
    }
    if (change < 1e-7) break;
  }
  return w;
}

// Level frequencies of the patterns, per field (missing levels left out), with a pseudo-count
// of 0.5 per level.
std::array<std::vector<double>, kFieldCount> LevelFrequencies(const std::vector<Pattern>& patterns) {
  std::array<std::vector<double>, kFieldCount> freq;
  for (size_t f = 0; f < kFieldCount; ++f) {
    freq[f].assign(kFields[f].levels, 0.5);
    for (const auto& p : patterns) {
      if (p.level[f] >= 0) freq[f][p.level[f]] += p.count;
    }
    double sum = 0;
    for (double v : freq[f]) sum += v;
    for (double& v : freq[f]) v /= sum;
  }
  return freq;
}

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// SQL for the match weight (log2 Bayes factor plus prior log-odds) of a row of __pidx_cmp.
std::string MatchWeightSql(const Weights& w) {
  std::string sql = "(" + Num(std::log2(w.lambda / (1 - w.lambda)));
  for (size_t f = 0; f < kFieldCount; ++f) {
    sql += " + CASE " + std::string(kFields[f].column);
    for (int l = 0; l < kFields[f].levels; ++l) {
      sql += " WHEN " + std::to_string(l) + " THEN " + Num(std::log2(w.m[f][l] / w.u[f][l]));
    }
    sql += " ELSE 0 END";
  }
  return sql + ")";
}

// SQL naming the comparison levels of a row of __pidx_cmp (no values), for reviewers.
std::string ComparisonTextSql() {
  std::string sql = "concat_ws(','";
  for (const auto& f : kFields) {
    sql += ", '" + std::string(f.name) + "=' || CASE " + f.column;
    for (int l = 0; l < f.levels; ++l) sql += " WHEN " + std::to_string(l) + " THEN '" + f.level_names[l] + "'";
    sql += " ELSE 'missing' END";
  }
  return sql + ")";
}

// SQL creating `out` with the comparison vector (levels in kFields) of every pair (l, r) of
// `pairs`.
std::string ComparisonSql(const std::string& pairs, const std::string& out) {
  return "CREATE OR REPLACE TEMP TABLE " + out + " AS " + R"sql(
    SELECT p.l, p.r,
      CASE WHEN a.nid IS NULL OR b.nid IS NULL THEN NULL WHEN a.nid = b.nid THEN 1 ELSE 0 END AS g_nid,
      CASE WHEN a.cip IS NULL OR b.cip IS NULL THEN NULL WHEN a.cip = b.cip THEN 1 ELSE 0 END AS g_cip,
      CASE WHEN a.nuss IS NULL OR b.nuss IS NULL THEN NULL WHEN a.nuss = b.nuss THEN 1 ELSE 0 END AS g_nuss,
      CASE WHEN a.fam IS NULL OR b.fam IS NULL THEN NULL
           WHEN a.fam = b.fam THEN 3
           WHEN a.sk = b.sk OR jaro_winkler_similarity(a.fam, b.fam) >= 0.94 THEN 2
           WHEN a.s1 = b.s1 OR a.s1 = b.s2 OR a.s2 = b.s1 OR a.s2 = b.s2 THEN 1
           ELSE 0 END AS g_surname,
      CASE WHEN a.given IS NULL OR b.given IS NULL THEN NULL
           WHEN a.given = b.given THEN 2
           WHEN jaro_winkler_similarity(a.given, b.given) >= 0.88 THEN 1
           ELSE 0 END AS g_given,
      CASE WHEN a.birth_date IS NULL OR b.birth_date IS NULL THEN NULL
           WHEN a.birth_date = b.birth_date THEN 3
           WHEN year(a.birth_date) = year(b.birth_date) AND day(a.birth_date) = month(b.birth_date)
                AND month(a.birth_date) = day(b.birth_date) THEN 2
           WHEN year(a.birth_date) = year(b.birth_date)
                AND (month(a.birth_date) = month(b.birth_date) OR day(a.birth_date) = day(b.birth_date)) THEN 1
           ELSE 0 END AS g_birth,
      CASE WHEN a.sex IS NULL OR b.sex IS NULL THEN NULL WHEN a.sex = b.sex THEN 1 ELSE 0 END AS g_sex,
      CASE WHEN a.postal IS NULL OR b.postal IS NULL THEN NULL WHEN a.postal = b.postal THEN 1 ELSE 0 END AS g_postal,
      CASE WHEN a.phone IS NULL OR b.phone IS NULL THEN NULL WHEN a.phone = b.phone THEN 1 ELSE 0 END AS g_phone,
      (a.nid <> b.nid) IS TRUE AS id_conflict
    FROM )sql" + pairs + " p JOIN __pidx_rec a ON a.rid = p.l JOIN __pidx_rec b ON b.rid = p.r";
}

// Standardizes identifiers and demographics; one row per source record.
constexpr const char* kStandardizeMacros = R"sql(
CREATE OR REPLACE TEMP MACRO pidx_name(v) AS
  nullif(trim(regexp_replace(lower(strip_accents(coalesce(v, ''))), '[^a-z]+', ' ', 'g')), '');
CREATE OR REPLACE TEMP MACRO pidx_digits(v) AS
  nullif(regexp_replace(coalesce(v, ''), '[^0-9]', '', 'g'), '');
)sql";

// Union-find over record ids with "cannot link" constraints (reviewers' rejections): a union that
// would put two records of a rejected pair in one component is refused.
class ConstrainedUnionFind {
 public:
  explicit ConstrainedUnionFind(size_t n) : parent_(n), size_(n, 1) {
    for (size_t i = 0; i < n; ++i) parent_[i] = static_cast<int64_t>(i);
  }
  int64_t Find(int64_t x) {
    while (parent_[x] != x) {
      parent_[x] = parent_[parent_[x]];
      x = parent_[x];
    }
    return x;
  }
  void AddCannotLink(int64_t a, int64_t b) {
    int64_t ra = Find(a), rb = Find(b);
    if (ra == rb) return;  // already together through earlier evidence; see format doc, limits
    cannot_[ra].insert(rb);
    cannot_[rb].insert(ra);
  }
  // Joins the components of a and b; false when a constraint forbids it.
  bool Union(int64_t a, int64_t b) {
    int64_t ra = Find(a), rb = Find(b);
    if (ra == rb) return true;
    auto ca = cannot_.find(ra);
    if (ca != cannot_.end() && ca->second.count(rb)) return false;
    if (size_[ra] < size_[rb]) std::swap(ra, rb);
    parent_[rb] = ra;
    size_[ra] += size_[rb];
    auto cb = cannot_.find(rb);
    if (cb != cannot_.end()) {
      std::set<int64_t> moved = std::move(cb->second);
      cannot_.erase(cb);
      for (int64_t other : moved) {
        auto& back = cannot_[other];
        back.erase(rb);
        back.insert(ra);
        cannot_[ra].insert(other);
      }
    }
    return true;
  }

 private:
  std::vector<int64_t> parent_;
  std::vector<int64_t> size_;
  std::unordered_map<int64_t, std::set<int64_t>> cannot_;
};

class PatientIndexRun {
 public:
  PatientIndexRun(engine::LakeSession& s, const PatientIndexOptions& o) : s_(s), o_(o), conn_(s.connection()) {}
  // Drops the working tables (they hold a copy of every record).
  ~PatientIndexRun() {
    for (const char* t : {"__pidx_prev", "__pidx_prev_review", "__pidx_rec", "__pidx_keys", "__pidx_pairs",
                          "__pidx_cmp", "__pidx_scored", "__pidx_a40", "__pidx_rpairs", "__pidx_rcmp", "main.__pidx_out", "main.__pidx_retired",
                          "__pidx_link", "__pidx_review", "__pidx_prev_map"}) {
      (void)conn_.Execute(std::string("DROP TABLE IF EXISTS ") + t);
    }
  }

  Result<PatientIndexReport> Run();

 private:
  Result<std::unique_ptr<storage::LakeTable>> LoadIfExists(const std::string& ns, const std::string& name) {
    MEDLAKE_ASSIGN_OR_RETURN(bool ns_exists, s_.catalog().NamespaceExists(ns));
    if (!ns_exists) return std::unique_ptr<storage::LakeTable>();
    MEDLAKE_ASSIGN_OR_RETURN(bool exists, s_.catalog().TableExists({ns, name}));
    if (!exists) return std::unique_ptr<storage::LakeTable>();
    return storage::LakeTable::Load(s_.catalog(), s_.file_system(), {ns, name});
  }
  // Runs `select` (which may name lake tables) into a temporary DuckDB table.
  Status Materialize(const std::string& table, const std::string& select) {
    MEDLAKE_ASSIGN_OR_RETURN(std::string sql,
                             engine::RewriteLakeReferences(conn_, s_.catalog(), s_.file_system(), select));
    return conn_.Execute("CREATE OR REPLACE TEMP TABLE " + table + " AS " + sql);
  }
  Result<int64_t> Count(const std::string& sql) {
    MEDLAKE_ASSIGN_OR_RETURN(auto rows, conn_.QueryAll(sql));
    if (rows.empty() || rows[0].empty() || rows[0][0].kind == engine::Value::Kind::kNull) return int64_t{0};
    return rows[0][0].i;
  }
  static std::string VersionClause(const storage::LakeTable& t) {
    const auto& snap = t.metadata().current_snapshot_id;
    return snap ? " AT (VERSION => " + std::to_string(*snap) + ")" : "";
  }
  static std::string SnapshotText(const storage::LakeTable* t) {
    return t && t->metadata().current_snapshot_id ? std::to_string(*t->metadata().current_snapshot_id) : "none";
  }
  std::string Thresholds() const { return Num(o_.link_threshold) + "," + Num(o_.review_threshold); }
  engine::LakeExecutorContext Context() {
    return engine::LakeExecutorContext{&conn_, &s_.catalog(), &s_.file_system(), s_.lake().warehouse_path(),
                                       &s_.clock(), s_.options().target_file_size_bytes};
  }

  Status LoadRecords();
  Status MakeCandidatePairs(bool all_pairs);
  Result<std::vector<Pattern>> Patterns(const std::string& table);
  Result<Weights> Estimate(int64_t candidate_pairs);
  Status ScorePairs(const Weights& w);
  Result<std::vector<Edge>> CollectEdges(bool all_pairs, std::vector<std::pair<int64_t, int64_t>>* rejected,
                                         int64_t* merges);
  Result<std::vector<Edge>> FetchEdges(const std::string& sql, int method);
  Status WriteTables(bool replace_link, PatientIndexReport* report);

  engine::LakeSession& s_;
  const PatientIndexOptions& o_;
  engine::Connection& conn_;
  std::unique_ptr<storage::LakeTable> patient_, link_, review_, map_, hl7_;
  int64_t n_records_ = 0;
  int64_t now_micros_ = 0;
  std::map<std::string, std::string> properties_;
  int64_t phase_start_ = 0;
  // Ends the current phase: its duration goes to the debug log (MEDLAKE_LOG_LEVEL=debug).
  void Phase(const char* name) {
    const int64_t now = s_.clock().MonotonicNanos();
    if (phase_start_) Log(LogLevel::kDebug, "patient_index_phase", {{"phase", LogId(name)}, {"ms", (now - phase_start_) / 1'000'000}});
    phase_start_ = now;
  }
};

Status PatientIndexRun::LoadRecords() {
  // Previous links (empty on the first run) and previous review rows.
  std::string prev = link_ ? "SELECT source_key, person_id, method, score, raw_content_hash, updated_at FROM "
                             "normalized.person_link" + VersionClause(*link_)
                           : "SELECT NULL::VARCHAR AS source_key, NULL::BIGINT AS person_id, NULL::VARCHAR AS method, "
                             "NULL::DOUBLE AS score, NULL::VARCHAR AS raw_content_hash, NULL::TIMESTAMPTZ AS updated_at "
                             "WHERE false";
  MEDLAKE_RETURN_IF_ERROR(Materialize("__pidx_prev", prev));
  std::string prev_review =
      review_ ? "SELECT source_key_l, source_key_r, score, comparison, status, created_at, decided_at FROM "
                "normalized.person_link_review" + VersionClause(*review_)
              : "SELECT NULL::VARCHAR AS source_key_l, NULL::VARCHAR AS source_key_r, NULL::DOUBLE AS score, "
                "NULL::VARCHAR AS comparison, NULL::VARCHAR AS status, NULL::TIMESTAMPTZ AS created_at, "
                "NULL::TIMESTAMPTZ AS decided_at WHERE false";
  MEDLAKE_RETURN_IF_ERROR(Materialize("__pidx_prev_review", prev_review));
  Phase("load_previous");

  // The standardized records; rid (below) is added once they are materialized.
  std::string select = R"sql(
    SELECT x.source_key, x.raw_content_hash,
           CASE WHEN pidx_dni_ok(nid0) THEN nid0 END AS nid,
           CASE WHEN pidx_cip_ok(cip0) THEN cip0 END AS cip,
           CASE WHEN pidx_nuss_ok(nuss0) THEN nuss0 END AS nuss,
           fam, split_part(fam, ' ', 1) AS s1, nullif(substr(fam, length(split_part(fam, ' ', 1)) + 2), '') AS s2,
           CASE WHEN fam IS NULL THEN NULL
                WHEN NOT contains(fam, ' ') THEN fam
                WHEN split_part(fam, ' ', 1) <= substr(fam, length(split_part(fam, ' ', 1)) + 2) THEN fam
                ELSE substr(fam, length(split_part(fam, ' ', 1)) + 2) || ' ' || split_part(fam, ' ', 1) END AS sk,
           given, CASE WHEN lower(x.sex) IN ('male', 'female') THEN lower(x.sex) END AS sex, x.birth_date,
           pidx_digits(x.postal_code) AS postal, right(pidx_digits(x.phone), 9) AS phone,
           p.person_id AS prev_person_id, p.method AS prev_method, p.score AS prev_score,
           (p.source_key IS NULL OR p.raw_content_hash IS DISTINCT FROM x.raw_content_hash) AS changed,
           (p.source_key IS NULL OR p.raw_content_hash IS DISTINCT FROM x.raw_content_hash) AS is_new
    FROM (SELECT *, CASE WHEN regexp_full_match(pidx_norm_id(national_id), '[0-9]{1,7}[A-Z]')
                         THEN lpad(pidx_norm_id(national_id), 9, '0') ELSE pidx_norm_id(national_id) END AS nid0,
                    pidx_norm_id(health_card_id) AS cip0, pidx_norm_id(social_security_id) AS nuss0,
                    pidx_name(family_name) AS fam, pidx_name(given_name) AS given
          FROM normalized.patient)sql" +
                       VersionClause(*patient_) + R"sql() AS x
    LEFT JOIN __pidx_prev p ON p.source_key = x.source_key)sql";
  MEDLAKE_RETURN_IF_ERROR(Materialize("__pidx_std", select));
  Phase("standardize");
  // rid: dense row id in source_key order (deterministic), used by the union-find. Ranked on the
  // key and the temporary row id alone, then joined back on the row id: a window carrying every
  // column sorted all of them in one partition (11 s against 4 s for 2.5 M records).
  MEDLAKE_RETURN_IF_ERROR(conn_.Execute(
      "CREATE OR REPLACE TEMP TABLE __pidx_rec AS SELECT r.rid, s.* FROM __pidx_std s JOIN "
      "(SELECT rowid AS pos, (row_number() OVER (ORDER BY source_key, rowid) - 1)::BIGINT AS rid FROM __pidx_std) r "
      "ON s.rowid = r.pos; DROP TABLE __pidx_std"));
  Phase("number");
  // A person with a changed record is derived again from scratch: all its records are scored as
  // new (the evidence that joined them may have been the changed record).
  MEDLAKE_RETURN_IF_ERROR(conn_.Execute(
      "UPDATE __pidx_rec SET is_new = true WHERE NOT is_new AND prev_person_id IN "
      "(SELECT prev_person_id FROM __pidx_rec WHERE changed AND prev_person_id IS NOT NULL)"));
  MEDLAKE_ASSIGN_OR_RETURN(n_records_, Count("SELECT count(*) FROM __pidx_rec"));
  return Status::OK();
}

Status PatientIndexRun::MakeCandidatePairs(bool all_pairs) {
  // Blocking keys: a pair is a candidate when the two records share one of them. Each key
  // survives one kind of discrepancy: (birth date, surnames in either order) a typo in the given
  // name or swapped surnames; (birth year, given name, surnames) a day/month swap; (birth date,
  // given name) a changed or misspelt surname.
  std::string keys = R"sql(
    SELECT rid, is_new, k FROM (
      SELECT rid, is_new, hash('a', birth_date, sk) AS k FROM __pidx_rec WHERE birth_date IS NOT NULL AND sk IS NOT NULL
      UNION ALL
      SELECT rid, is_new, hash('b', year(birth_date), given, sk) FROM __pidx_rec
        WHERE birth_date IS NOT NULL AND sk IS NOT NULL AND given IS NOT NULL
      UNION ALL
      SELECT rid, is_new, hash('c', birth_date, given) FROM __pidx_rec WHERE birth_date IS NOT NULL AND given IS NOT NULL)
    QUALIFY count(*) OVER (PARTITION BY k) BETWEEN 2 AND )sql" +
                     std::to_string(kMaxBlockSize) + (all_pairs ? "" : " AND bool_or(is_new) OVER (PARTITION BY k)");
  MEDLAKE_RETURN_IF_ERROR(conn_.Execute("CREATE OR REPLACE TEMP TABLE __pidx_keys AS " + keys));
  std::string pairs = "SELECT DISTINCT a.rid AS l, b.rid AS r FROM __pidx_keys a JOIN __pidx_keys b ON a.k = b.k AND a.rid < b.rid";
  if (!all_pairs) pairs += " WHERE a.is_new OR b.is_new";
  MEDLAKE_RETURN_IF_ERROR(conn_.Execute("CREATE OR REPLACE TEMP TABLE __pidx_pairs AS " + pairs));
  return conn_.Execute(ComparisonSql("__pidx_pairs", "__pidx_cmp"));
}

Result<std::vector<Pattern>> PatientIndexRun::Patterns(const std::string& table) {
  std::string cols;
  for (const auto& f : kFields) cols += std::string(cols.empty() ? "" : ", ") + "coalesce(" + f.column + ", -1)::INTEGER";
  MEDLAKE_ASSIGN_OR_RETURN(auto result,
                           conn_.Query("SELECT " + cols + ", count(*)::DOUBLE FROM " + table + " GROUP BY ALL", false));
  std::vector<Pattern> patterns;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(auto chunk, result->Next());
    if (!chunk) break;
    for (size_t r = 0; r < chunk->size(); ++r) {
      Pattern p;
      for (size_t f = 0; f < kFieldCount; ++f) p.level[f] = chunk->GetInt32(f, r);
      p.count = chunk->GetDouble(kFieldCount, r);
      patterns.push_back(p);
    }
  }
  return patterns;
}

Result<Weights> PatientIndexRun::Estimate(int64_t candidate_pairs) {
  Weights w = DefaultWeights();
  if (n_records_ < 2 || candidate_pairs == 0) return w;
  // u: level frequencies among random record pairs (nearly all non-matches), drawn with a fixed
  // hash so that the same records give the same sample.
  const int64_t n = n_records_;
  const int64_t sample = std::min<int64_t>(kRandomPairs, std::max<int64_t>(10'000, 20 * n));
  const std::string nn = std::to_string(n);
  MEDLAKE_RETURN_IF_ERROR(conn_.Execute(
      "CREATE OR REPLACE TEMP TABLE __pidx_rpairs AS SELECT least(a, b) AS l, greatest(a, b) AS r FROM ("
      "SELECT (hash(i, 'left') % " + nn + "::UBIGINT)::BIGINT AS a, (hash(i, 'right') % " + nn +
      "::UBIGINT)::BIGINT AS b FROM range(" + std::to_string(sample) + ") AS t(i)) WHERE a <> b"));
  MEDLAKE_RETURN_IF_ERROR(conn_.Execute(ComparisonSql("__pidx_rpairs", "__pidx_rcmp")));
  MEDLAKE_ASSIGN_OR_RETURN(std::vector<Pattern> random, Patterns("__pidx_rcmp"));
  w.u = LevelFrequencies(random);
  // m and the share of matches among candidate pairs: EM over the candidate pairs.
  MEDLAKE_ASSIGN_OR_RETURN(std::vector<Pattern> candidates, Patterns("__pidx_cmp"));
  w = EstimateWeights(candidates, w);
  // The prior is the probability that two records drawn at random match (the u above are for
  // random pairs too): expected matches among the candidates over all possible pairs.
  double all_pairs = static_cast<double>(n) * static_cast<double>(n - 1) / 2;
  w.lambda = std::clamp(w.lambda * static_cast<double>(candidate_pairs) / all_pairs, 1e-12, 0.5);
  return w;
}

Status PatientIndexRun::ScorePairs(const Weights& w) {
  return conn_.Execute("CREATE OR REPLACE TEMP TABLE __pidx_scored AS SELECT l, r, id_conflict, "
                       "1.0 / (1.0 + pow(2.0, -" + MatchWeightSql(w) + ")) AS prob, " + ComparisonTextSql() +
                       " AS comparison FROM __pidx_cmp");
}

Result<std::vector<Edge>> PatientIndexRun::FetchEdges(const std::string& sql, int method) {
  std::vector<Edge> edges;
  MEDLAKE_ASSIGN_OR_RETURN(auto result, conn_.Query(sql, false));
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(auto chunk, result->Next());
    if (!chunk) break;
    bool has_score = chunk->column_count() > 2;
    for (size_t r = 0; r < chunk->size(); ++r) {
      Edge e;
      e.a = chunk->GetInt64(0, r);
      e.b = chunk->GetInt64(1, r);
      e.method = method;
      e.score = has_score ? chunk->GetDouble(2, r) : 1.0;
      edges.push_back(e);
    }
  }
  return edges;
}

Result<std::vector<Edge>> PatientIndexRun::CollectEdges(bool all_pairs,
                                                        std::vector<std::pair<int64_t, int64_t>>* rejected,
                                                        int64_t* merges) {
  std::vector<Edge> edges;
  auto append = [&edges](std::vector<Edge> more) { edges.insert(edges.end(), more.begin(), more.end()); };
  // Reviewers' decisions.
  std::string decided =
      "SELECT a.rid, b.rid FROM __pidx_prev_review v JOIN __pidx_rec a ON a.source_key = v.source_key_l "
      "JOIN __pidx_rec b ON b.source_key = v.source_key_r WHERE v.status = ";
  MEDLAKE_ASSIGN_OR_RETURN(auto accepted, FetchEdges(decided + "'accepted' ORDER BY 1, 2", kManual));
  append(std::move(accepted));
  MEDLAKE_ASSIGN_OR_RETURN(auto rejects, FetchEdges(decided + "'rejected' ORDER BY 1, 2", kSingleton));
  for (const auto& e : rejects) rejected->emplace_back(e.a, e.b);

  // HL7 A40 merges: the surviving patient in PID-3 (identifier type PI), the merged ones in MRG-1
  // (entries marked prior in raw.hl7_messages.patient_identifiers); source keys are built as in
  // the normalized.patient model.
  if (hl7_) {
    std::string a40 = R"sql(
      WITH m AS (
        SELECT sending_facility AS f,
               from_json(patient_identifiers, '[{"id":"VARCHAR","authority":"VARCHAR","type":"VARCHAR","prior":"BOOLEAN"}]') AS ids
        FROM raw.hl7_messages)sql" + VersionClause(*hl7_) + R"sql(
        WHERE message_type = 'ADT' AND trigger_event = 'A40'),
      x AS (
        SELECT f, list_filter(ids, v -> v.type = 'PI' AND NOT coalesce(v.prior, false))[1] AS survivor,
               unnest(list_filter(ids, v -> coalesce(v.prior, false))) AS merged
        FROM m)
      SELECT DISTINCT 'hl7|' || coalesce(survivor.authority, f) || '|' || survivor.id AS survivor_key,
                      'hl7|' || coalesce(merged.authority, f) || '|' || merged.id AS merged_key
      FROM x WHERE survivor.id IS NOT NULL AND merged.id IS NOT NULL)sql";
    MEDLAKE_RETURN_IF_ERROR(Materialize("__pidx_a40", a40));
    MEDLAKE_ASSIGN_OR_RETURN(
        auto merged, FetchEdges("SELECT a.rid, b.rid FROM __pidx_a40 x JOIN __pidx_rec a ON a.source_key = x.survivor_key "
                                "JOIN __pidx_rec b ON b.source_key = x.merged_key WHERE a.rid <> b.rid ORDER BY 1, 2",
                                kMerge));
    *merges = static_cast<int64_t>(merged.size());
    append(std::move(merged));
  }

  // In an incremental run, records that did not change stay with the records of their previous
  // person (their earlier evidence is not scored again).
  if (!all_pairs) {
    MEDLAKE_ASSIGN_OR_RETURN(
        auto same, FetchEdges("SELECT rid, root FROM (SELECT rid, min(rid) OVER (PARTITION BY prev_person_id) AS root "
                              "FROM __pidx_rec WHERE NOT is_new AND prev_person_id IS NOT NULL) WHERE rid <> root ORDER BY 1",
                              kSingleton));
    append(std::move(same));
  }

  // Exact links on validated identifiers: each record to the first record with the same value
  // and the same birth year (a shared identifier with another birth year is a collision or an
  // entry error, left to the scores; a day/month swap keeps the year).
  const std::array<std::pair<const char*, int>, 3> ids = {
      {{"nid", kNationalId}, {"cip", kHealthCard}, {"nuss", kSocialSecurity}}};
  for (const auto& [column, method] : ids) {
    std::string c = column;
    MEDLAKE_ASSIGN_OR_RETURN(
        auto exact, FetchEdges("SELECT rid, root FROM (SELECT rid, min(rid) OVER (PARTITION BY " + c +
                                   ", year(birth_date)) AS root FROM __pidx_rec "
                                   "WHERE " + c + " IS NOT NULL) WHERE rid <> root ORDER BY 1",
                               method));
    append(std::move(exact));
  }

  // Probabilistic links, strongest first. Two different valid national ids never link.
  MEDLAKE_ASSIGN_OR_RETURN(
      auto probable, FetchEdges("SELECT l, r, prob FROM __pidx_scored WHERE NOT id_conflict AND prob >= " +
                                    Num(o_.link_threshold) + " ORDER BY prob DESC, l, r",
                                kProbabilistic));
  append(std::move(probable));
  return edges;
}

Result<PatientIndexReport> PatientIndexRun::Run() {
  PatientIndexReport report;
  MEDLAKE_ASSIGN_OR_RETURN(patient_, LoadIfExists(kNs, "patient"));
  if (!patient_) return NotFound("the patient index reads normalized.patient, which does not exist");
  MEDLAKE_ASSIGN_OR_RETURN(link_, LoadIfExists(kNs, kLinkTable));
  MEDLAKE_ASSIGN_OR_RETURN(review_, LoadIfExists(kNs, kReviewTable));
  MEDLAKE_ASSIGN_OR_RETURN(map_, LoadIfExists(kNs, kMapTable));
  MEDLAKE_ASSIGN_OR_RETURN(hl7_, LoadIfExists("raw", "hl7_messages"));
  now_micros_ = s_.clock().NowMicros();

  std::map<std::string, std::string> old_props;
  if (link_) old_props = link_->metadata().properties;
  auto prop = [&old_props](const char* key) {
    auto it = old_props.find(key);
    return it == old_props.end() ? std::string() : it->second;
  };
  bool same_patient = prop(kPropPatient) == SnapshotText(patient_.get());
  bool same_hl7 = prop(kPropHl7) == SnapshotText(hl7_.get());
  bool same_review = prop(kPropReview) == SnapshotText(review_.get());
  bool same_format = prop(kPropFormat) == kFormatVersion && prop(kPropThresholds) == Thresholds();
  if (link_ && same_patient && same_hl7 && same_review && same_format && !o_.full_rebuild && !o_.reestimate_weights) {
    std::string sql = "SELECT count(DISTINCT person_id) FROM normalized.person_link" + VersionClause(*link_);
    MEDLAKE_ASSIGN_OR_RETURN(std::string rewritten,
                             engine::RewriteLakeReferences(conn_, s_.catalog(), s_.file_system(), sql));
    MEDLAKE_ASSIGN_OR_RETURN(report.persons_total, Count(rewritten));
    if (review_) {
      sql = "SELECT count(*) FROM normalized.person_link_review" + VersionClause(*review_) + " WHERE status = 'pending'";
      MEDLAKE_ASSIGN_OR_RETURN(rewritten, engine::RewriteLakeReferences(conn_, s_.catalog(), s_.file_system(), sql));
      MEDLAKE_ASSIGN_OR_RETURN(report.review_pairs, Count(rewritten));
    }
    report.idle = true;
    return report;
  }

  std::optional<Weights> weights;
  if (!prop(kPropWeights).empty() && !o_.reestimate_weights) {
    MEDLAKE_ASSIGN_OR_RETURN(Weights w, WeightsFromJson(prop(kPropWeights)));
    weights = w;
  }
  // Everything is scored again when asked, when weights are (re-)estimated, when the stored
  // state is from another format or thresholds, and when reviewers decided something (a
  // rejection may split a person that earlier evidence had joined).
  bool all_pairs = o_.full_rebuild || !link_ || !weights || !same_format || !same_review;

  Phase("start");
  MEDLAKE_RETURN_IF_ERROR(conn_.Execute(NationalIdMacrosSql()));
  MEDLAKE_RETURN_IF_ERROR(conn_.Execute(kStandardizeMacros));
  MEDLAKE_RETURN_IF_ERROR(LoadRecords());
  Phase("mark_new");
  MEDLAKE_ASSIGN_OR_RETURN(int64_t changed, Count("SELECT count(*) FROM __pidx_rec WHERE changed"));
  MEDLAKE_ASSIGN_OR_RETURN(int64_t removed,
                           Count("SELECT count(*) FROM __pidx_prev p WHERE NOT EXISTS "
                                 "(SELECT 1 FROM __pidx_rec r WHERE r.source_key = p.source_key)"));
  report.records_read = all_pairs ? n_records_ : changed + removed;

  MEDLAKE_RETURN_IF_ERROR(MakeCandidatePairs(all_pairs));
  MEDLAKE_ASSIGN_OR_RETURN(report.candidate_pairs, Count("SELECT count(*) FROM __pidx_cmp"));
  Phase("candidate_pairs");
  if (!weights) {
    MEDLAKE_ASSIGN_OR_RETURN(Weights w, Estimate(report.candidate_pairs));
    weights = w;
    report.weights_estimated = true;
  }
  MEDLAKE_RETURN_IF_ERROR(ScorePairs(*weights));
  Phase("estimate_and_score");

  std::vector<std::pair<int64_t, int64_t>> rejected;
  MEDLAKE_ASSIGN_OR_RETURN(std::vector<Edge> edges, CollectEdges(all_pairs, &rejected, &report.merges_applied));
  Phase("collect_edges");

  // Components. Edges come strongest first (manual, merges, previous persons, identifiers,
  // scores), so a rejection blocks the weakest evidence that would join a rejected pair.
  const size_t n = static_cast<size_t>(n_records_);
  ConstrainedUnionFind uf(n);
  for (const auto& [a, b] : rejected) uf.AddCannotLink(a, b);
  std::vector<int> method(n, kSingleton);
  std::vector<double> best_prob(n, -1);
  std::vector<std::optional<int64_t>> prev_person(n);
  std::vector<bool> changed_record(n, true);
  {
    MEDLAKE_ASSIGN_OR_RETURN(auto result,
                             conn_.Query("SELECT rid, prev_person_id, prev_method, prev_score, is_new, changed "
                                         "FROM __pidx_rec "
                                         "WHERE prev_person_id IS NOT NULL",
                                         false));
    while (true) {
      MEDLAKE_ASSIGN_OR_RETURN(auto chunk, result->Next());
      if (!chunk) break;
      for (size_t r = 0; r < chunk->size(); ++r) {
        int64_t rid = chunk->GetInt64(0, r);
        prev_person[rid] = chunk->GetInt64(1, r);
        changed_record[rid] = chunk->GetBool(5, r);
        if (!all_pairs && !chunk->GetBool(4, r)) {
          // Unchanged record in an incremental run: its earlier evidence still holds.
          method[rid] = chunk->IsNull(2, r) ? kSingleton : MethodFromName(chunk->GetString(2, r));
          if (method[rid] == kProbabilistic && !chunk->IsNull(3, r)) best_prob[rid] = chunk->GetDouble(3, r);
        }
      }
    }
  }
  for (const auto& e : edges) {
    if (!uf.Union(e.a, e.b)) continue;  // a reviewer rejected this pair (or one it implies)
    if (e.method == kSingleton) continue;  // "same previous person": no new evidence
    for (int64_t x : {e.a, e.b}) {
      method[x] = std::max(method[x], e.method);
      if (e.method == kProbabilistic) best_prob[x] = std::max(best_prob[x], e.score);
    }
  }

  // Person ids: a component keeps the smallest previous id of its records (when no other
  // component took it first), others get max + 1; previous ids left without a component are
  // retired into the component holding most of their records.
  // Records grouped by component root in flat arrays (offsets per root, then the records in
  // rid order): no per-component allocation for the ~n components.
  std::vector<int64_t> root_of(n);
  std::vector<int64_t> offset(n + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    root_of[i] = uf.Find(static_cast<int64_t>(i));
    ++offset[root_of[i] + 1];
  }
  for (size_t i = 0; i < n; ++i) offset[i + 1] += offset[i];
  std::vector<int64_t> grouped(n);
  {
    std::vector<int64_t> fill(offset.begin(), offset.end() - 1);
    for (size_t i = 0; i < n; ++i) grouped[fill[root_of[i]]++] = static_cast<int64_t>(i);
  }
  struct Component {
    int64_t root;
    int64_t min_rid;
    std::vector<std::pair<int64_t, int64_t>> claims;  // (previous id, weight of its claim), id order
  };
  std::vector<Component> comps;
  int64_t next_id = 1;
  {
    std::string stored = prop(kPropNextId);
    if (!stored.empty()) next_id = std::max<int64_t>(next_id, std::strtoll(stored.c_str(), nullptr, 10));
  }
  for (size_t root = 0; root < n; ++root) {
    if (offset[root] == offset[root + 1]) continue;  // not a root
    // Records come in rid order, so the first is the smallest.
    Component c{static_cast<int64_t>(root), grouped[offset[root]], {}};
    for (int64_t k = offset[root]; k < offset[root + 1]; ++k) {
      const int64_t rid = grouped[k];
      if (!prev_person[rid]) continue;
      // An unchanged record's claim outweighs any number of changed ones: when a record's new
      // version describes someone else, the records that did not change keep the id.
      const int64_t id = *prev_person[rid];
      const int64_t weight = changed_record[rid] ? 1 : kUnchangedClaim;
      auto it = std::lower_bound(c.claims.begin(), c.claims.end(), std::make_pair(id, int64_t{0}),
                                 [](const auto& x, const auto& y) { return x.first < y.first; });
      if (it != c.claims.end() && it->first == id) {
        it->second += weight;
      } else {
        c.claims.insert(it, {id, weight});
      }
      next_id = std::max(next_id, id + 1);
    }
    comps.push_back(std::move(c));
  }
  std::sort(comps.begin(), comps.end(), [](const Component& x, const Component& y) {
    bool xc = !x.claims.empty(), yc = !y.claims.empty();
    if (xc != yc) return xc;
    if (xc && x.claims[0].first != y.claims[0].first) return x.claims[0].first < y.claims[0].first;
    if (xc && x.claims[0].second != y.claims[0].second) return x.claims[0].second > y.claims[0].second;
    return x.min_rid < y.min_rid;
  });
  std::vector<int64_t> person_of_root(n, 0);
  std::unordered_set<int64_t> taken;
  taken.reserve(comps.size());
  for (const auto& c : comps) {
    int64_t id = 0;
    for (const auto& [claim, count] : c.claims) {
      if (!taken.count(claim)) {
        id = claim;
        break;
      }
    }
    if (id == 0) {
      id = next_id++;
      ++report.persons_new;
    }
    taken.insert(id);
    person_of_root[c.root] = id;
  }
  report.persons_total = static_cast<int64_t>(comps.size());
  // Retired ids: previous ids that no component kept.
  std::map<int64_t, std::pair<int64_t, int64_t>> retired;  // old id -> (records, new id)
  for (const auto& c : comps) {
    for (const auto& [claim, count] : c.claims) {
      if (taken.count(claim)) continue;
      auto& r = retired[claim];
      if (count > r.first) r = {count, person_of_root[c.root]};
    }
  }
  report.persons_retired = static_cast<int64_t>(retired.size());

  Phase("components");
  // Hand the result back to DuckDB.
  MEDLAKE_RETURN_IF_ERROR(conn_.Execute(
      "CREATE OR REPLACE TABLE main.__pidx_out (rid BIGINT, person_id BIGINT, method VARCHAR, score DOUBLE);"
      "CREATE OR REPLACE TABLE main.__pidx_retired (retired_person_id BIGINT, person_id BIGINT)"));
  {
    MEDLAKE_ASSIGN_OR_RETURN(auto app, conn_.CreateAppender("main", "__pidx_out"));
    for (size_t i = 0; i < n; ++i) {
      MEDLAKE_RETURN_IF_ERROR(app->AppendInt64(static_cast<int64_t>(i)));
      MEDLAKE_RETURN_IF_ERROR(app->AppendInt64(person_of_root[root_of[i]]));
      MEDLAKE_RETURN_IF_ERROR(app->AppendString(kMethodNames[method[i]]));
      if (method[i] == kSingleton) {
        MEDLAKE_RETURN_IF_ERROR(app->AppendNull());
      } else if (method[i] == kProbabilistic) {
        MEDLAKE_RETURN_IF_ERROR(app->AppendDouble(best_prob[i]));
      } else {
        MEDLAKE_RETURN_IF_ERROR(app->AppendDouble(1.0));
      }
      MEDLAKE_RETURN_IF_ERROR(app->EndRow());
    }
    MEDLAKE_RETURN_IF_ERROR(app->Close());
    MEDLAKE_ASSIGN_OR_RETURN(auto rapp, conn_.CreateAppender("main", "__pidx_retired"));
    for (const auto& [old_id, r] : retired) {
      MEDLAKE_RETURN_IF_ERROR(rapp->AppendInt64(old_id));
      MEDLAKE_RETURN_IF_ERROR(rapp->AppendInt64(r.second));
      MEDLAKE_RETURN_IF_ERROR(rapp->EndRow());
    }
    MEDLAKE_RETURN_IF_ERROR(rapp->Close());
  }

  properties_ = {{kPropFormat, kFormatVersion},
                 {kPropPatient, SnapshotText(patient_.get())},
                 {kPropHl7, SnapshotText(hl7_.get())},
                 {kPropWeights, WeightsToJson(*weights)},
                 {kPropNextId, std::to_string(next_id)},
                 {kPropThresholds, Thresholds()}};
  Phase("hand_back");
  MEDLAKE_RETURN_IF_ERROR(WriteTables(/*replace_link=*/all_pairs || !link_, &report));
  Phase("write_link");
  return report;
}

Status PatientIndexRun::WriteTables(bool replace_link, PatientIndexReport* report) {
  engine::LakeExecutorContext ctx = Context();
  const std::string now = "CAST(make_timestamp(" + std::to_string(now_micros_) + "::BIGINT) AS TIMESTAMPTZ)";

  // The links, keeping updated_at where nothing changed.
  MEDLAKE_RETURN_IF_ERROR(conn_.Execute(
      "CREATE OR REPLACE TEMP TABLE __pidx_link AS SELECT source_key, person_id, method, score, raw_content_hash, "
      "CASE WHEN same THEN prev_updated_at ELSE " + now + " END AS updated_at, NOT same AS changed FROM ("
      "SELECT r.source_key, o.person_id, o.method, o.score, r.raw_content_hash, p.updated_at AS prev_updated_at, "
      "coalesce(p.source_key IS NOT NULL AND p.person_id = o.person_id AND p.method = o.method AND "
      "p.score IS NOT DISTINCT FROM o.score AND p.raw_content_hash IS NOT DISTINCT FROM r.raw_content_hash, false) AS same "
      "FROM main.__pidx_out o JOIN __pidx_rec r USING (rid) LEFT JOIN __pidx_prev p ON p.source_key = r.source_key)"));

  // Review queue: decided pairs are kept (with current person ids); pending pairs are the
  // uncertain pairs scored now (plus, in an incremental run, the earlier pending ones) whose
  // records are still in different persons.
  const std::string review_select = R"sql(
    WITH cand AS (
      SELECT least(a.source_key, b.source_key) AS kl, greatest(a.source_key, b.source_key) AS kr, s.prob, s.comparison
      FROM __pidx_scored s JOIN __pidx_rec a ON a.rid = s.l JOIN __pidx_rec b ON b.rid = s.r
      WHERE s.prob >= )sql" + Num(o_.review_threshold) +
                                    " AND (s.prob < " + Num(o_.link_threshold) + R"sql( OR s.id_conflict)),
    pending AS (
      SELECT kl, kr, prob, comparison FROM (
        SELECT kl, kr, prob, comparison, 1 AS pri FROM cand
        UNION ALL
        SELECT source_key_l, source_key_r, score, comparison, 2 FROM __pidx_prev_review
        WHERE status = 'pending' AND )sql" + (replace_link ? "false" : "true") + R"sql()
      QUALIFY row_number() OVER (PARTITION BY kl, kr ORDER BY pri) = 1),
    review_rows AS (
      SELECT q.kl, q.kr, q.prob AS score, q.comparison, 'pending' AS status,
             coalesce(v.created_at, )sql" + now + R"sql() AS created_at, NULL::TIMESTAMPTZ AS decided_at
      FROM pending q LEFT JOIN __pidx_prev_review v ON v.source_key_l = q.kl AND v.source_key_r = q.kr
      WHERE v.status IS NULL OR v.status = 'pending'
      UNION ALL
      SELECT source_key_l, source_key_r, score, comparison, status, created_at, decided_at
      FROM __pidx_prev_review WHERE status <> 'pending')
    SELECT x.kl::VARCHAR AS source_key_l, x.kr::VARCHAR AS source_key_r, x.score::DOUBLE AS score,
           x.comparison::VARCHAR AS comparison, x.status::VARCHAR AS status,
           a.person_id::BIGINT AS person_id_l, b.person_id::BIGINT AS person_id_r,
           x.created_at::TIMESTAMPTZ AS created_at, x.decided_at::TIMESTAMPTZ AS decided_at
    FROM review_rows x LEFT JOIN __pidx_link a ON a.source_key = x.kl LEFT JOIN __pidx_link b ON b.source_key = x.kr
    WHERE x.status <> 'pending' OR (a.person_id IS NOT NULL AND b.person_id IS NOT NULL AND a.person_id <> b.person_id)
    ORDER BY status, source_key_l, source_key_r)sql";
  Phase("link_rows");
  MEDLAKE_RETURN_IF_ERROR(conn_.Execute("CREATE OR REPLACE TEMP TABLE __pidx_review AS " + review_select));
  MEDLAKE_ASSIGN_OR_RETURN(auto review_written,
                           engine::ReplaceTableRows(ctx, {kNs, kReviewTable}, "SELECT * FROM __pidx_review", {}));
  properties_[kPropReview] = review_written.snapshot_id ? std::to_string(*review_written.snapshot_id) : "none";
  MEDLAKE_ASSIGN_OR_RETURN(
      report->review_pairs,
      Count("SELECT count(*) FROM __pidx_review WHERE status = 'pending'"));

  // Retired ids: earlier rows follow their survivor when it is retired in turn.
  MEDLAKE_ASSIGN_OR_RETURN(int64_t retired_now, Count("SELECT count(*) FROM main.__pidx_retired"));
  if (!map_ || retired_now > 0) {
    std::string previous =
        map_ ? "SELECT retired_person_id, person_id, retired_at, reason FROM normalized.person_id_map" + VersionClause(*map_)
             : "SELECT NULL::BIGINT AS retired_person_id, NULL::BIGINT AS person_id, NULL::TIMESTAMPTZ AS retired_at, "
               "NULL::VARCHAR AS reason WHERE false";
    MEDLAKE_RETURN_IF_ERROR(Materialize("__pidx_prev_map", previous));
    std::string map_select =
        "SELECT m.retired_person_id::BIGINT AS retired_person_id, coalesce(t.person_id, m.person_id)::BIGINT AS person_id, "
        "m.retired_at::TIMESTAMPTZ AS retired_at, m.reason::VARCHAR AS reason FROM __pidx_prev_map m "
        "LEFT JOIN main.__pidx_retired t ON t.retired_person_id = m.person_id "
        "UNION ALL SELECT retired_person_id, person_id, " + now + ", 'merged' FROM main.__pidx_retired "
        "ORDER BY retired_person_id";
    MEDLAKE_RETURN_IF_ERROR(engine::ReplaceTableRows(ctx, {kNs, kMapTable}, map_select, {}).status());
  }

  Phase("write_review_and_map");
  // The links last: their properties say which inputs this state reflects.
  MEDLAKE_ASSIGN_OR_RETURN(report->records_linked, Count("SELECT count(*) FROM __pidx_link WHERE changed"));
  const std::string columns = "source_key::VARCHAR AS source_key, person_id::BIGINT AS person_id, method::VARCHAR AS method, "
                              "score::DOUBLE AS score, raw_content_hash::VARCHAR AS raw_content_hash, "
                              "updated_at::TIMESTAMPTZ AS updated_at";
  // Sorted by person: a person's records (what FHIR $everything and the unified patient view
  // look up first) sit in one row group.
  const std::vector<std::string> write_order{"person_id", "source_key"};
  // ... and with key indexes, so that the lookup by person reads no Parquet.
  std::map<std::string, std::string> properties = properties_;
  properties[engine::kKeyIndexProperty] = "true";
  if (replace_link) {
    return engine::ReplaceTableRows(ctx, {kNs, kLinkTable}, "SELECT " + columns + " FROM __pidx_link", properties,
                                    write_order)
        .status();
  }
  std::string upsert = "SELECT " + columns + ", false AS __pidx_deleted FROM __pidx_link WHERE changed UNION ALL "
                       "SELECT source_key, NULL, NULL, NULL, NULL, NULL, true FROM __pidx_prev p WHERE NOT EXISTS "
                       "(SELECT 1 FROM __pidx_rec r WHERE r.source_key = p.source_key)";
  return engine::UpsertTableRows(ctx, {kNs, kLinkTable}, upsert, {"source_key"}, "__pidx_deleted", properties,
                                 write_order)
      .status();
}

}  // namespace

Result<PatientIndexReport> UpdatePatientIndex(engine::LakeSession& session, const PatientIndexOptions& options) {
  if (!(options.review_threshold > 0 && options.review_threshold <= options.link_threshold &&
        options.link_threshold < 1)) {
    return InvalidArgument("patient index thresholds must satisfy 0 < review <= link < 1");
  }
  PatientIndexRun run(session, options);
  auto report = run.Run();
  if (!report.ok()) return report.status().WithContext("patient index");
  return report;
}

Status DecidePatientLinkPair(engine::LakeSession& session, const std::string& source_key_a,
                             const std::string& source_key_b, ReviewDecision decision) {
  if (source_key_a == source_key_b) return InvalidArgument("a review decision needs two different source keys");
  storage::Catalog& catalog = session.catalog();
  MEDLAKE_ASSIGN_OR_RETURN(bool ns_exists, catalog.NamespaceExists(kNs));
  MEDLAKE_ASSIGN_OR_RETURN(bool exists, ns_exists ? catalog.TableExists({kNs, "patient"}) : Result<bool>(false));
  if (!exists) return NotFound("normalized.patient does not exist");
  engine::Connection& conn = session.connection();
  const std::string& kl = std::min(source_key_a, source_key_b);
  const std::string& kr = std::max(source_key_a, source_key_b);
  std::string check = "SELECT count(DISTINCT source_key) FROM normalized.patient WHERE source_key IN (" +
                      engine::QuoteString(kl) + ", " + engine::QuoteString(kr) + ")";
  MEDLAKE_ASSIGN_OR_RETURN(std::string rewritten, engine::RewriteLakeReferences(conn, catalog, session.file_system(), check));
  MEDLAKE_ASSIGN_OR_RETURN(auto rows, conn.QueryAll(rewritten));
  if (rows.empty() || rows[0].empty() || rows[0][0].i != 2) {
    return NotFound("a source key of the pair is not in normalized.patient");
  }
  MEDLAKE_ASSIGN_OR_RETURN(bool review_exists, ns_exists ? catalog.TableExists({kNs, kReviewTable}) : Result<bool>(false));
  const std::string now = "CAST(make_timestamp(" + std::to_string(session.clock().NowMicros()) + "::BIGINT) AS TIMESTAMPTZ)";
  std::string earlier = review_exists
                            ? "(SELECT score, comparison, person_id_l, person_id_r, created_at FROM normalized.person_link_review "
                              "WHERE source_key_l = " + engine::QuoteString(kl) + " AND source_key_r = " +
                                  engine::QuoteString(kr) + " LIMIT 1)"
                            : "(SELECT NULL::DOUBLE AS score, NULL::VARCHAR AS comparison, NULL::BIGINT AS person_id_l, "
                              "NULL::BIGINT AS person_id_r, NULL::TIMESTAMPTZ AS created_at WHERE false)";
  std::string select = "SELECT " + engine::QuoteString(kl) + "::VARCHAR AS source_key_l, " + engine::QuoteString(kr) +
                       "::VARCHAR AS source_key_r, e.score::DOUBLE AS score, e.comparison::VARCHAR AS comparison, " +
                       engine::QuoteString(decision == ReviewDecision::kAccept ? "accepted" : "rejected") +
                       "::VARCHAR AS status, e.person_id_l::BIGINT AS person_id_l, e.person_id_r::BIGINT AS person_id_r, "
                       "coalesce(e.created_at, " + now + ")::TIMESTAMPTZ AS created_at, " + now +
                       "::TIMESTAMPTZ AS decided_at FROM (SELECT 1) AS one LEFT JOIN " + earlier + " AS e ON true";
  MEDLAKE_ASSIGN_OR_RETURN(rewritten, engine::RewriteLakeReferences(conn, catalog, session.file_system(), select));
  engine::LakeExecutorContext ctx{&conn, &catalog, &session.file_system(), session.lake().warehouse_path(),
                                  &session.clock(), session.options().target_file_size_bytes};
  auto written = engine::UpsertTableRows(ctx, {kNs, kReviewTable}, rewritten, {"source_key_l", "source_key_r"}, "", {});
  if (!written.ok()) return written.status().WithContext("recording a review decision");
  return Status::OK();
}

Result<LinkQuality> EvaluatePatientIndex(engine::LakeSession& session, const std::string& truth_csv) {
  MEDLAKE_ASSIGN_OR_RETURN(bool exists, session.file_system().Exists(truth_csv));
  if (!exists) return NotFound("truth file " + truth_csv + " does not exist");
  const std::string sql = R"sql(
    WITH truth AS (SELECT source_system, local_id, person_id FROM read_csv()sql" + engine::QuoteString(truth_csv) +
                          R"sql(, header = true, all_varchar = true)),
    j AS (SELECT l.person_id AS got, t.person_id AS want
          FROM normalized.person_link l JOIN normalized.patient p ON p.source_key = l.source_key
          LEFT JOIN truth t ON t.local_id = p.local_id AND t.source_system = coalesce(p.assigning_authority, 'FHIR')),
    m AS (SELECT * FROM j WHERE want IS NOT NULL)
    SELECT (SELECT count(*) FROM m), (SELECT count(*) FROM j WHERE want IS NULL),
           (SELECT count(DISTINCT got) FROM m), (SELECT count(DISTINCT want) FROM m),
           (SELECT coalesce(sum(n * (n - 1) // 2), 0)::BIGINT FROM (SELECT count(*) AS n FROM m GROUP BY got)),
           (SELECT coalesce(sum(n * (n - 1) // 2), 0)::BIGINT FROM (SELECT count(*) AS n FROM m GROUP BY want)),
           (SELECT coalesce(sum(n * (n - 1) // 2), 0)::BIGINT FROM (SELECT count(*) AS n FROM m GROUP BY got, want)))sql";
  MEDLAKE_ASSIGN_OR_RETURN(std::string rewritten,
                           engine::RewriteLakeReferences(session.connection(), session.catalog(), session.file_system(), sql));
  MEDLAKE_ASSIGN_OR_RETURN(auto rows, session.connection().QueryAll(rewritten));
  if (rows.size() != 1 || rows[0].size() != 7) return Internal("unexpected shape of the evaluation result");
  LinkQuality q;
  q.records = rows[0][0].i;
  q.unmatched = rows[0][1].i;
  q.persons = rows[0][2].i;
  q.true_persons = rows[0][3].i;
  q.linked_pairs = rows[0][4].i;
  q.true_pairs = rows[0][5].i;
  q.correct_pairs = rows[0][6].i;
  q.precision = q.linked_pairs ? static_cast<double>(q.correct_pairs) / static_cast<double>(q.linked_pairs) : 1.0;
  q.recall = q.true_pairs ? static_cast<double>(q.correct_pairs) / static_cast<double>(q.true_pairs) : 1.0;
  q.f1 = q.precision + q.recall > 0 ? 2 * q.precision * q.recall / (q.precision + q.recall) : 0;
  return q;
}

}  // namespace medlake::pipeline
