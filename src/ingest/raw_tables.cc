#include "ingest/raw_tables.h"

#include "engine/lake_executor.h"
#include "engine/sql_lexer.h"

namespace medlake::ingest {

const std::vector<std::string>& RawTableDdl() {
  static const std::vector<std::string>* const kDdl = new std::vector<std::string>{
      // Partitioned by arrival day (each load batch lands in few partitions) and by a bucket of
      // the first patient identifier, so one patient's messages are in 1/8 of the files.
      "CREATE TABLE IF NOT EXISTS raw.hl7_messages ("
      " received_at TIMESTAMPTZ NOT NULL, batch_id VARCHAR NOT NULL, source VARCHAR NOT NULL,"
      " origin VARCHAR, byte_offset BIGINT, content_hash VARCHAR NOT NULL, idempotency_key VARCHAR,"
      " message_type VARCHAR, trigger_event VARCHAR, message_structure VARCHAR, version VARCHAR,"
      " control_id VARCHAR, processing_id VARCHAR, sending_application VARCHAR,"
      " sending_facility VARCHAR, receiving_application VARCHAR, receiving_facility VARCHAR,"
      " message_time TIMESTAMPTZ, patient_id VARCHAR, patient_identifiers VARCHAR, charset VARCHAR,"
      " payload BLOB NOT NULL)"
      " PARTITIONED BY (day(received_at), bucket(8, patient_id))",
      "CREATE TABLE IF NOT EXISTS raw.fhir_resources ("
      " received_at TIMESTAMPTZ NOT NULL, batch_id VARCHAR NOT NULL, source VARCHAR NOT NULL,"
      " origin VARCHAR, byte_offset BIGINT, line_number BIGINT, entry_index INTEGER,"
      " content_hash VARCHAR NOT NULL, resource_type VARCHAR NOT NULL, resource_id VARCHAR,"
      " version_id VARCHAR, last_updated TIMESTAMPTZ, patient_ref VARCHAR,"
      " effective_time TIMESTAMPTZ, payload VARCHAR NOT NULL)"
      " PARTITIONED BY (resource_type, day(received_at))",
      "CREATE TABLE IF NOT EXISTS raw.quarantine ("
      " received_at TIMESTAMPTZ NOT NULL, batch_id VARCHAR NOT NULL, kind VARCHAR NOT NULL,"
      " source VARCHAR NOT NULL, origin VARCHAR, byte_offset BIGINT, line_number BIGINT,"
      " location VARCHAR, reason_code VARCHAR NOT NULL, reason VARCHAR NOT NULL,"
      " content_hash VARCHAR, payload BLOB)"
      " PARTITIONED BY (day(received_at))",
      "CREATE TABLE IF NOT EXISTS raw.ingested_files ("
      " loaded_at TIMESTAMPTZ NOT NULL, batch_id VARCHAR NOT NULL, kind VARCHAR NOT NULL,"
      " path VARCHAR NOT NULL, content_hash VARCHAR NOT NULL, size_bytes BIGINT,"
      " received BIGINT, accepted BIGINT, quarantined BIGINT)",
  };
  return *kDdl;
}

Status EnsureRawTables(engine::LakeSession& session) {
  auto ignore = [](size_t, engine::StatementOutcome&) { return Status::OK(); };
  MEDLAKE_RETURN_IF_ERROR(session.Run("CREATE SCHEMA IF NOT EXISTS raw", ignore));
  for (const auto& ddl : RawTableDdl()) MEDLAKE_RETURN_IF_ERROR(session.Run(ddl, ignore));
  return Status::OK();
}

Status RecordIngestLineage(engine::LakeSession& session, const std::string& kind, const std::string& table) {
  const std::string from = "external:" + kind;
  MEDLAKE_ASSIGN_OR_RETURN(bool exists, session.catalog().TableExists({"lineage", "edges"}));
  if (exists) {
    MEDLAKE_ASSIGN_OR_RETURN(auto table_ref, engine::RewriteLakeReferences(
        session.connection(), session.catalog(), session.file_system(),
        "SELECT count(*) FROM lineage.edges WHERE from_table = " + engine::QuoteString(from) +
            " AND to_table = " + engine::QuoteString(table)));
    MEDLAKE_ASSIGN_OR_RETURN(auto rows, session.connection().QueryAll(table_ref));
    if (rows[0][0].i > 0) return Status::OK();
  } else {
    MEDLAKE_RETURN_IF_ERROR(session.Run("CREATE SCHEMA IF NOT EXISTS lineage",
                                        [](size_t, engine::StatementOutcome&) { return Status::OK(); }));
  }
  engine::LakeExecutorContext ctx{&session.connection(), &session.catalog(), &session.file_system(),
                                  session.lake().warehouse_path(), &session.clock(),
                                  session.options().target_file_size_bytes};
  std::string row = "SELECT " + engine::QuoteString(from) + " AS from_table, '' AS from_column, " +
                    engine::QuoteString(table) + " AS to_table, '' AS to_column, 'table' AS level, now() AS updated_at";
  return engine::UpsertTableRows(ctx, {"lineage", "edges"}, row, {"from_table", "to_table"}, "", {}).status();
}

}  // namespace medlake::ingest
