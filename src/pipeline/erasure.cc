#include "pipeline/erasure.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <set>

#include "core/crypto.h"
#include "core/file_system.h"
#include "engine/sql_lexer.h"

namespace medlake::pipeline {
namespace {

using engine::QuoteIdentifier;
using engine::QuoteString;

Result<std::vector<std::vector<engine::Value>>> Query(engine::LakeSession& s, const std::string& sql) {
  std::vector<std::vector<engine::Value>> rows;
  MEDLAKE_RETURN_IF_ERROR(s.Run(sql, [&](size_t, engine::StatementOutcome& o) -> Status {
    if (o.rows == nullptr) return Status::OK();
    MEDLAKE_ASSIGN_OR_RETURN(rows, o.rows->FetchAll());
    return Status::OK();
  }));
  return rows;
}

Result<std::set<std::string>> Columns(engine::LakeSession& s, const std::string& table) {
  std::set<std::string> out;
  MEDLAKE_RETURN_IF_ERROR(s.Run("SELECT * FROM " + table + " LIMIT 0", [&](size_t, engine::StatementOutcome& o) {
    if (o.rows) {
      for (const auto& c : o.rows->columns()) out.insert(c.name);
    }
    return Status::OK();
  }));
  return out;
}

std::string InList(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ", ") + QuoteString(v);
  return "(" + (out.empty() ? std::string("NULL") : out) + ")";
}

std::string UtcText(int64_t micros, const char* format) {
  std::time_t secs = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

}  // namespace

std::pair<std::string, std::string> ErasureMatch(const std::string& ns, const std::string& table,
                                              const std::set<std::string>& columns, int64_t person_id,
                                              const std::vector<std::string>& keys,
                                              const std::vector<std::string>& fhir_ids) {
  auto has = [&](const char* c) { return columns.count(c) > 0; };
  if (ns == "raw" && table == "hl7_messages" && has("patient_identifiers")) {
    const std::string local =
        "list_filter(from_json(patient_identifiers, '[{\"id\":\"VARCHAR\",\"authority\":\"VARCHAR\","
        "\"type\":\"VARCHAR\"}]'), x -> x.type = 'PI')[1]";
    return {"patient identifier",
            "'hl7|' || coalesce(" + local + ".authority, sending_facility) || '|' || " + local + ".id IN " + InList(keys)};
  }
  if (ns == "raw" && table == "fhir_resources" && has("patient_ref")) {
    return {"patient reference", "patient_ref IN " + InList(fhir_ids)};
  }
  if (ns == "raw" && table == "quarantine" && has("payload")) {
    std::string any;
    // Quarantined model rows are JSON objects holding the key as a whole string value: match it
    // with its quotes, so that "fhir|Patient/1" never matches "fhir|Patient/10".
    for (const auto& k : keys) {
      any += (any.empty() ? "" : " OR ") + std::string("contains(CAST(payload AS VARCHAR), ") +
             QuoteString("\"" + k + "\"") + ")";
    }
    return {"source key in payload", any.empty() ? "false" : "(" + any + ")"};
  }
  if (ns == "raw" || ns == "lineage" || ns == "quality") return {"", ""};
  if (has("person_id")) return {"person_id", "person_id = " + std::to_string(person_id)};
  if (has("patient_source_key")) return {"patient_source_key", "patient_source_key IN " + InList(keys)};
  if (has("source_key_l") && has("source_key_r")) {
    return {"source key pair", "source_key_l IN " + InList(keys) + " OR source_key_r IN " + InList(keys)};
  }
  if (ns == "normalized" && (table == "patient" || table == "person_link") && has("source_key")) {
    return {"source_key", "source_key IN " + InList(keys)};
  }
  if (ns == "fhir_views" && has("patient_id")) return {"patient_id", "patient_id IN " + InList(fhir_ids)};
  if (ns == "fhir_views" && table == "patient" && has("id")) return {"id", "id IN " + InList(fhir_ids)};
  return {"", ""};
}

std::string ErasureReceiptJson(const ErasureReceipt& r) {
  nlohmann::json tables = nlohmann::json::array();
  for (const auto& t : r.tables) {
    tables.push_back({{"table", t.table}, {"matched_by", t.matched_by}, {"rows_removed", t.rows_removed},
                      {"snapshots_expired", t.snapshots_expired}, {"files_deleted", t.files_deleted}});
  }
  nlohmann::json j = {{"erasure_id", r.erasure_id},
                      {"person_id", r.person_id},
                      {"dry_run", r.dry_run},
                      {"started_at", r.started_at},
                      {"finished_at", r.finished_at},
                      {"source_records", r.source_records},
                      {"rows_removed", r.rows_removed},
                      {"tables", tables}};
  return j.dump(2);
}

Result<ErasureReceipt> ErasePerson(engine::LakeSession& session, const ErasureOptions& options) {
  ErasureReceipt receipt;
  receipt.person_id = options.person_id;
  receipt.dry_run = options.dry_run;
  const int64_t start = session.clock().NowMicros();
  receipt.started_at = UtcText(start, "%Y-%m-%dT%H:%M:%SZ");
  MEDLAKE_ASSIGN_OR_RETURN(std::string suffix, RandomHex(4));
  receipt.erasure_id = UtcText(start, "%Y%m%dT%H%M%SZ") + "-" + suffix;

  storage::TableIdentifier link{"normalized", "person_link"};
  MEDLAKE_ASSIGN_OR_RETURN(bool has_index, session.catalog().TableExists(link));
  if (!has_index) return FailedPrecondition("erasure needs the patient index (normalized.person_link): run `medlake run` first");
  MEDLAKE_ASSIGN_OR_RETURN(auto rows, Query(session, "SELECT DISTINCT source_key FROM normalized.person_link WHERE person_id = " +
                                                         std::to_string(options.person_id) + " ORDER BY 1"));
  if (rows.empty()) return NotFound("person " + std::to_string(options.person_id) + " is not in the patient index");
  std::vector<std::string> keys, fhir_ids;
  for (const auto& r : rows) {
    const std::string& key = r[0].s;
    keys.push_back(key);
    ++receipt.source_records;
    const std::string prefix = "fhir|Patient/";
    if (key.rfind(prefix, 0) == 0) fhir_ids.push_back(key.substr(prefix.size()));
  }

  // Tables of every namespace, in a stable order; raw first so that a failure part-way leaves
  // the sources erased (a later run would not rebuild the person from them).
  std::vector<storage::TableIdentifier> tables;
  MEDLAKE_ASSIGN_OR_RETURN(auto namespaces, session.catalog().ListNamespaces());
  std::sort(namespaces.begin(), namespaces.end(), [](const std::string& a, const std::string& b) {
    return (a != "raw") < (b != "raw") || ((a != "raw") == (b != "raw") && a < b);
  });
  for (const auto& ns : namespaces) {
    MEDLAKE_ASSIGN_OR_RETURN(auto list, session.catalog().ListTables(ns));
    std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    tables.insert(tables.end(), list.begin(), list.end());
  }
  const std::string expire_before = UtcText(session.clock().NowMicros() + 60'000'000, "%Y-%m-%d %H:%M:%S");
  for (const auto& id : tables) {
    const std::string name = QuoteIdentifier(id.ns) + "." + QuoteIdentifier(id.name);
    MEDLAKE_ASSIGN_OR_RETURN(auto columns, Columns(session, name));
    auto [matched_by, where] = ErasureMatch(id.ns, id.name, columns, options.person_id, keys, fhir_ids);
    if (where.empty()) continue;
    MEDLAKE_ASSIGN_OR_RETURN(auto count, Query(session, "SELECT count(*) FROM " + name + " WHERE " + where));
    int64_t n = count.empty() ? 0 : count[0][0].i;
    if (n == 0) {
      // Nothing live, but an earlier erasure that stopped half-way may have left the rows in
      // files hidden only by delete files: finish its compaction and expiry.
      MEDLAKE_ASSIGN_OR_RETURN(auto deletes, Query(session, "SELECT count(*) FROM " + QuoteIdentifier(id.ns) + "." +
                                                                QuoteIdentifier(id.name + "$files") + " WHERE content <> 0"));
      if (options.dry_run || deletes.empty() || deletes[0][0].i == 0) continue;
    }
    ErasureTableReport t;
    t.table = id.ToString();
    t.matched_by = matched_by;
    t.rows_removed = n;
    if (!options.dry_run) {
      MEDLAKE_RETURN_IF_ERROR(session.Run("DELETE FROM " + name + " WHERE " + where,
                                          [](size_t, engine::StatementOutcome&) { return Status::OK(); })
                                  .WithContext("erasing from " + t.table));
      // Rewrite every live row into new files, then drop the history that still holds the person.
      MEDLAKE_RETURN_IF_ERROR(Query(session, "CALL medlake.compact(" + QuoteString(t.table) + ")").status());
      MEDLAKE_ASSIGN_OR_RETURN(auto expired, Query(session, "CALL medlake.expire_snapshots(" + QuoteString(t.table) +
                                                                ", " + QuoteString(expire_before) + ", 1)"));
      if (!expired.empty() && expired[0].size() >= 4) {
        t.snapshots_expired = expired[0][0].i;
        t.files_deleted = expired[0][3].i;
      }
    }
    receipt.rows_removed += n;
    receipt.tables.push_back(std::move(t));
  }
  receipt.finished_at = UtcText(session.clock().NowMicros(), "%Y-%m-%dT%H:%M:%SZ");
  if (!options.dry_run) {
    std::string dir = session.lake().root() + "/erasure";
    auto& fs = session.file_system();
    MEDLAKE_RETURN_IF_ERROR(fs.CreateDirectories(dir));
    receipt.receipt_path = dir + "/" + receipt.erasure_id + ".json";
    MEDLAKE_RETURN_IF_ERROR(fs.WriteFileAtomic(receipt.receipt_path, ErasureReceiptJson(receipt)));
  }
  return receipt;
}

}  // namespace medlake::pipeline
