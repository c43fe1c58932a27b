// medlake: the command-line entry point. Thin: parses arguments with CLI11 and calls the
// libraries. Exit status 0 on success, 1 when the command failed, 2 for usage errors.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/audit_command.h"
#include "cli/catalog_command.h"
#include "cli/erase_command.h"
#include "cli/ingest_command.h"
#include "cli/patient_index_command.h"
#include "cli/lineage_command.h"
#include "cli/quality_command.h"
#include "cli/run_command.h"
#include "cli/serve_command.h"
#include "cli/sql_command.h"
#include "cli/user_session.h"
#include "cli/synth_command.h"
#include "engine/database.h"
#include "storage/lake.h"
#include "synth/mllp_sender.h"

#ifdef MEDLAKE_MIMALLOC
#include <mimalloc.h>
#endif

#ifndef MEDLAKE_VERSION
#define MEDLAKE_VERSION "0.0.0"
#endif

namespace {

// Which allocator malloc is: "mimalloc X.Y.Z" when a block it gives lies in mimalloc's heap
// (the link put it ahead of libc), else "system malloc".
std::string AllocatorName() {
#ifdef MEDLAKE_MIMALLOC
  void* probe = std::calloc(1, 64);  // calloc: GCC warns of a malloc block passed unwritten
  const bool ours = mi_is_in_heap_region(probe);
  std::free(probe);
  if (ours) {
    const int v = mi_version();
    return "mimalloc " + std::to_string(v / 100) + "." + std::to_string(v / 10 % 10) + "." + std::to_string(v % 10);
  }
#endif
  return "system malloc";
}

std::string DefaultLake() {
  const char* env = std::getenv("MEDLAKE_LAKE");
  return env && *env ? env : "./medlake-lake";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace medlake;
  CLI::App app{"medlake: a healthcare data lakehouse (Iceberg tables, DuckDB engine)", "medlake"};
  app.require_subcommand(1);
  std::string lake = DefaultLake();
  app.add_option("--lake", lake, "lake directory (default: $MEDLAKE_LAKE, else ./medlake-lake)");

  cli::UserOptions who;
  app.add_option("--user", who.user,
                 "act as this medlake user (the CLI acts as the lake's owner; an admin may act as anyone)");
  app.add_option("--purpose", who.purpose, "declared purpose of use: treatment, management, research");

  auto* version = app.add_subcommand("version", "print medlake's and DuckDB's versions");
  auto* init = app.add_subcommand("init", "create a new lake in --lake, with its owner (the first admin)");
  std::string owner_name = cli::DefaultOwnerName();
  init->add_option("--owner", owner_name, "the owner's user name (default: $USER, else owner)");

  cli::CatalogCommandOptions catalog_options;
  std::string catalog_format = "table", catalog_target;
  auto* catalog = app.add_subcommand("catalog", "catalog metadata: descriptions, owners, PHI and other tags");
  catalog->require_subcommand(1);
  auto* catalog_show = catalog->add_subcommand("show", "descriptions, owners, stewards and tags");
  catalog_show->add_option("target", catalog_target, "NS or NS.TABLE (default: all)");
  catalog_show->add_option("--format", catalog_format, "output format: table, csv, json, ndjson")
      ->check(CLI::IsMember({"table", "csv", "json", "ndjson"}));
  auto* catalog_classify = catalog->add_subcommand("classify", "tag PHI, identifiers and special categories, then along lineage");
  catalog_classify->add_option("tables", catalog_options.targets, "NS.TABLE ... (default: every table)");
  catalog_classify->add_option("--sample", catalog_options.sample_values, "values sampled per column (default 1000)");
  catalog_classify->add_flag("--no-propagate", catalog_options.no_propagate, "do not copy tags along lineage");
  auto* catalog_tag = catalog->add_subcommand("tag", "add tags to a namespace, table or column");
  auto* catalog_untag = catalog->add_subcommand("untag", "remove tags (the classifier will not add them back)");
  for (auto* sub : {catalog_tag, catalog_untag}) {
    sub->add_option("object", catalog_options.object, "NS, NS.TABLE or NS.TABLE.COLUMN")->required();
    sub->add_option("tags", catalog_options.tags, "e.g. phi pii:dni")->required();
  }
  auto* catalog_describe = catalog->add_subcommand("describe", "set a description ('' clears it)");
  catalog_describe->add_option("object", catalog_options.object, "NS, NS.TABLE or NS.TABLE.COLUMN")->required();
  catalog_describe->add_option("text", catalog_options.text, "the description")->required();

  cli::EraseCommandOptions erase_options;
  auto* erase = app.add_subcommand("erase", "right to erasure: remove a person from every layer and from table history (admins)");
  erase->add_option("--person", erase_options.person_id, "enterprise person_id (normalized.person_link)")->required();
  erase->add_flag("--dry-run", erase_options.dry_run, "count what would be removed; change nothing");

  auto* audit = app.add_subcommand("audit", "the tamper-evident audit log (auditors only)");
  audit->require_subcommand(1);
  auto* audit_verify = audit->add_subcommand("verify", "check the hash chain: edited, removed, reordered or cut records");
  std::string expect_head;
  audit_verify->add_option("--expect-head", expect_head, "a head hash published earlier that must be in the log");
  auto* audit_show = audit->add_subcommand("show", "print audit records");
  int64_t audit_from = 0, audit_limit = 50;
  std::string audit_format = "table";
  audit_show->add_option("--from", audit_from, "first record (seq); default: the last --limit records");
  audit_show->add_option("--limit", audit_limit, "records to print (default 50; -1: all)");
  audit_show->add_option("--format", audit_format, "output format: table, csv, json, ndjson")
      ->check(CLI::IsMember({"table", "csv", "json", "ndjson"}));

  cli::SqlCommandOptions sql_options;
  std::string format = "table";
  auto* sql = app.add_subcommand(
      "sql",
      "run SQL statements (from -c, -f, or standard input); creates the lake if --lake does not "
      "exist yet");
  sql->add_option("-c,--command", sql_options.commands, "SQL text to run (repeatable)");
  sql->add_option("-f,--file", sql_options.files, "file of SQL statements to run (repeatable)")
      ->check(CLI::ExistingFile);
  sql->add_option("--format", format, "output format: table, csv, json, ndjson")
      ->check(CLI::IsMember({"table", "csv", "json", "ndjson"}));

  synth::SynthOptions synth_options;
  std::string synth_formats = "hl7,fhir,csv";
  auto* synth = app.add_subcommand(
      "synth", "generate a synthetic regional health service (HL7 v2, FHIR R4, CSV) with ground truth");
  synth->add_option("--patients", synth_options.patients, "number of residents")->required();
  synth->add_option("--seed", synth_options.seed, "random seed; the same seed gives the same bytes");
  synth->add_option("--out", synth_options.out_dir, "output directory (new or empty)")->required();
  synth->add_option("--formats", synth_formats,
                    "comma-separated: hl7,fhir,csv (default), and fhir-bundles (one FHIR transaction Bundle per patient)");
  synth->add_option("--error-rate", synth_options.error_rate, "share of records made faulty, 0..1");
  synth->add_option("--start", synth_options.start, "first day of events (YYYY-MM-DD)");
  synth->add_option("--end", synth_options.end, "last day of events (YYYY-MM-DD)");
  synth->add_option("--patients-per-file", synth_options.patients_per_file, "HL7/CSV file roll-over");
  synth->add_flag("--hl7-file-per-message", synth_options.hl7_file_per_message,
                  "write each HL7 message to a file of its own (hl7/SOURCE/NNNNNN/MSH-10.hl7)");
  synth->add_option("--threads", synth_options.threads, "generator threads");
  std::string send_mllp;
  synth->add_option("--send-mllp", send_mllp,
                    "after generating, send the HL7 messages to an MLLP listener HOST:PORT, "
                    "waiting for each ACK");

  cli::RunCommandOptions run_options;
  auto* run = app.add_subcommand(
      "run", "build the models (raw -> normalized -> curated) as lake tables, incrementally");
  run->add_option("models", run_options.models, "models to run (namespace.table); default: all");
  run->add_flag("--full-refresh", run_options.full_refresh, "rebuild from all source rows");
  run->add_option("--project", run_options.project, "project folder with models/ (default: <lake>/project)");

  cli::QualityCommandOptions quality_options;
  std::string quality_format = "table";
  auto* quality = app.add_subcommand("quality", "data quality scorecard of the last run, per source");
  quality->add_option("--model", quality_options.model, "only this model (namespace.table)");
  quality->add_flag("--history", quality_options.history, "also list failing rules of every run");
  quality->add_option("--format", quality_format, "output format: table, csv, json, ndjson")
      ->check(CLI::IsMember({"table", "csv", "json", "ndjson"}));

  cli::LineageCommandOptions lineage_options;
  std::string lineage_format = "table";
  auto* lineage = app.add_subcommand("lineage", "where a table or column comes from (or what it feeds)");
  lineage->add_option("target", lineage_options.target, "namespace.table or namespace.table.column")->required();
  bool upstream = false;
  auto* upstream_flag = lineage->add_flag("--upstream", upstream, "what it is built from (default)");
  lineage->add_flag("--downstream", lineage_options.downstream, "what is built from it")->excludes(upstream_flag);
  lineage->add_option("--depth", lineage_options.depth, "maximum hops (default 20)");
  lineage->add_option("--format", lineage_format, "output format: table, csv, json, ndjson")
      ->check(CLI::IsMember({"table", "csv", "json", "ndjson"}));

  cli::IngestCommandOptions ingest_options;
  auto* ingest = app.add_subcommand("ingest", "load files into the raw layer (HL7 v2, FHIR R4, CSV)");
  ingest->require_subcommand(1);
  auto* ingest_fhir = ingest->add_subcommand(
      "fhir", "FHIR R4: bulk NDJSON files (*.ndjson) and Bundles or single resources (*.json)");
  auto* ingest_hl7 = ingest->add_subcommand(
      "hl7", "HL7 v2 files: one or many messages per file, FHS/BHS batches, MLLP-framed");
  auto* ingest_csv = ingest->add_subcommand(
      "csv", "CSV extracts of legacy applications, typed and checked by a source contract (YAML)");
  ingest_csv->add_option("--contract", ingest_options.contract, "the source contract file")
      ->required()
      ->check(CLI::ExistingFile);
  for (auto* sub : {ingest_fhir, ingest_hl7, ingest_csv}) {
    sub->add_option("paths", ingest_options.paths, "files or directories")->required();
    sub->add_flag("--force", ingest_options.ingest.force, "load files even if already loaded");
    sub->add_option("--batch-rows", ingest_options.ingest.batch_rows, "rows per commit (snapshot)");
  }

  cli::ServeOptions serve_options;
  auto* serve = app.add_subcommand(
      "serve", "run the network front ends (pgwire, HTTP, MLLP) on the lake until SIGINT/SIGTERM");
  serve->add_option("--config", serve_options.config_file, "JSON settings file (flags override it)");
  serve->add_option("--pg", serve_options.pg_port, "PostgreSQL wire protocol port; 0 picks a free port")
      ->check(CLI::Range(0, 65535));
  serve->add_option("--http", serve_options.http_port, "HTTP port (REST, FHIR, Iceberg REST, /health, /metrics)")
      ->check(CLI::Range(0, 65535));
  serve->add_option("--mllp", serve_options.mllp_port, "MLLP port (HL7 v2 over TCP); 0 picks a free port")
      ->check(CLI::Range(0, 65535));
  serve->add_option("--bind", serve_options.bind_address, "IPv4 address to listen on (default 127.0.0.1)");
  serve->add_option("--tls-cert", serve_options.tls_cert, "PEM certificate chain for TLS");
  serve->add_option("--tls-key", serve_options.tls_key, "PEM private key for TLS");
  serve->add_flag("--tls-self-signed", serve_options.tls_self_signed,
                  "use <lake>/keys/server.crt|key, generating a self-signed pair if missing (demos only)");
  serve->add_flag("--require-tls", serve_options.require_tls, "pgwire: refuse connections without TLS");
  serve->add_option("--max-connections", serve_options.max_connections, "per listener (default 256)")
      ->check(CLI::Range(1, 100000));
  serve->add_option("--audit-sync", serve_options.audit_sync,
                    "when audit records reach the disk: 'interval' (default; written before each result, synced in "
                    "the background) or 'statement' (synced before each result)");
  serve->add_option("--audit-sync-ms", serve_options.audit_sync_ms, "the background audit sync's interval (default 10)");
  serve->add_option("--session-threads", serve_options.session_threads, "DuckDB threads per SQL session (default 1: best for many short queries)")
      ->check(CLI::Range(1, 256));
  serve->add_option("--session-memory", serve_options.session_memory, "DuckDB memory limit per SQL session (default 4GB)");
  serve->add_option("--batch-messages", serve_options.batch_messages, "MLLP: commit every N messages (default 1000)")
      ->check(CLI::PositiveNumber);
  serve->add_option("--batch-millis", serve_options.batch_millis, "MLLP: ...or every T milliseconds (default 1000)")
      ->check(CLI::PositiveNumber);

  // medlake patient-index <action>: the reviewer's side of the enterprise patient index.
  cli::PatientIndexCommandOptions pidx_options;
  auto* pidx = app.add_subcommand("patient-index", "review uncertain patient links, accept or reject them, show figures");
  pidx->require_subcommand(1);
  auto* pidx_review = pidx->add_subcommand("review", "list the uncertain pairs waiting for a decision, likeliest first");
  pidx_review->add_option("--limit", pidx_options.limit, "pairs to show (default 50)");
  auto* pidx_accept = pidx->add_subcommand("accept", "link two source records (a decision later runs keep)");
  auto* pidx_reject = pidx->add_subcommand("reject", "keep two source records in different persons (a decision later runs keep)");
  for (auto* sub : {pidx_accept, pidx_reject}) {
    sub->add_option("source_key_a", pidx_options.key_a, "normalized.patient source_key")->required();
    sub->add_option("source_key_b", pidx_options.key_b, "normalized.patient source_key")->required();
    sub->add_flag("!--no-apply", pidx_options.apply, "only record the decision; the next `medlake run` applies it");
  }
  auto* pidx_stats = pidx->add_subcommand("stats", "records, persons, link methods, review queue, retired person ids");

  // medlake table <action>: maintenance and registration, run as CALL medlake.<procedure>(...).
  auto* table = app.add_subcommand("table", "manage lake tables (register, compact, expire-snapshots, remove-orphan-files)");
  table->require_subcommand(1);
  std::string table_name, table_path, older_than;
  int retain_last = 1;
  auto* t_register = table->add_subcommand("register", "add an existing Iceberg table (its directory or a metadata file) to the catalog");
  t_register->add_option("table", table_name, "NAMESPACE.TABLE")->required();
  t_register->add_option("path", table_path, "table directory or metadata JSON file")->required();
  auto* t_compact = table->add_subcommand("compact", "rewrite the live data into fresh files, applying deletes");
  t_compact->add_option("table", table_name, "NAMESPACE.TABLE")->required();
  auto* t_expire = table->add_subcommand("expire-snapshots", "remove old snapshots and the files only they use");
  t_expire->add_option("table", table_name, "NAMESPACE.TABLE")->required();
  t_expire->add_option("--older-than", older_than, "UTC timestamp 'YYYY-MM-DD HH:MM:SS' (default: 5 days ago)");
  t_expire->add_option("--retain-last", retain_last, "always keep this many recent snapshots (default 1)");
  auto* t_orphans = table->add_subcommand("remove-orphan-files", "delete files no snapshot references");
  t_orphans->add_option("table", table_name, "NAMESPACE.TABLE")->required();
  t_orphans->add_option("--older-than", older_than, "UTC timestamp 'YYYY-MM-DD HH:MM:SS' (default: 3 days ago)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (version->parsed()) {
    std::printf("medlake %s (DuckDB %s, %s)\n", MEDLAKE_VERSION, engine::Database::LibraryVersion().c_str(),
                AllocatorName().c_str());
    return 0;
  }
  if (init->parsed()) {
    auto created = storage::Lake::Create(lake);
    if (!created.ok()) {
      std::fprintf(stderr, "Error: %s\n", created.status().ToString().c_str());
      return 1;
    }
    Status owner = security::InitializeSecurity((*created)->catalog_path(), owner_name);
    if (!owner.ok()) {
      std::fprintf(stderr, "Error: %s\n", owner.ToString().c_str());
      return 1;
    }
    std::printf("created lake %s at %s, owned by %s\n", (*created)->lake_id().c_str(),
                (*created)->root().c_str(), owner_name.c_str());
    return 0;
  }
  // Commands below act for `who`: admin-only jobs are checked (and audited) here.
  auto command_line = [&]() {
    std::string text;
    for (int i = 1; i < argc; ++i) text += (i > 1 ? " " : "") + std::string(argv[i]);
    return text;
  };
  auto authorize_job = [&]() -> bool {
    auto opened = storage::Lake::Open(lake);
    if (!opened.ok()) return true;  // the command itself reports the missing lake
    Status st = cli::AuthorizeJob(**opened, who, command_line());
    if (!st.ok()) std::fprintf(stderr, "Error: %s\n", st.ToString().c_str());
    return st.ok();
  };
  if (catalog->parsed()) {
    catalog_options.lake = lake;
    catalog_options.who = who;
    if (!catalog_target.empty()) catalog_options.targets.push_back(catalog_target);
    catalog_options.action = catalog_show->parsed()       ? "show"
                             : catalog_classify->parsed() ? "classify"
                             : catalog_tag->parsed()      ? "tag"
                             : catalog_untag->parsed()    ? "untag"
                                                          : "describe";
    auto f = cli::ParseOutputFormat(catalog_format);
    if (f.ok()) catalog_options.format = *f;
    return cli::RunCatalogCommand(catalog_options, stdout, stderr);
  }
  if (erase->parsed()) {
    erase_options.lake = lake;
    erase_options.who = who;
    erase_options.command_line = command_line();
    return cli::RunEraseCommand(erase_options, stdout, stderr);
  }
  if (audit->parsed()) {
    auto opened = storage::Lake::Open(lake);
    if (!opened.ok()) {
      std::fprintf(stderr, "Error: %s\n", opened.status().ToString().c_str());
      return 1;
    }
    auto controller = cli::OpenController(**opened, who);
    Status st = controller.status();
    if (!st.ok() && st.code() == StatusCode::kDataLoss && audit_verify->parsed() && who.user.empty()) {
      // A damaged log refuses new records (even this command's); the owner may still verify it.
      std::fprintf(stderr, "warning: the audit log refuses new records (%s); verifying it anyway\n",
                   st.message().c_str());
      return cli::RunAuditVerify(lake, expect_head, stdout, stderr);
    }
    if (st.ok()) {
      auto principal = (*controller)->store().GetPrincipal((*controller)->identity().user);
      st = !principal.ok() ? principal.status()
           : principal->auditor ? Status::OK()
                                : PermissionDenied("permission denied: the audit log is for auditors");
      security::AuditRecord record;
      record.action = "audit";
      record.statement = command_line();
      record.outcome = st.ok() ? "ok" : "denied";
      record.error = st.ok() ? "" : st.message();
      Status audited = (*controller)->Audit(record);
      if (!audited.ok() && audited.code() == StatusCode::kDataLoss && audit_verify->parsed() && st.ok()) {
        std::fprintf(stderr, "warning: the audit log refuses new records (%s); verifying it anyway\n",
                     audited.message().c_str());
      } else if (st.ok()) {
        st = audited;
      }
    }
    if (!st.ok()) {
      std::fprintf(stderr, "Error: %s\n", st.ToString().c_str());
      return 1;
    }
    if (audit_verify->parsed()) return cli::RunAuditVerify(lake, expect_head, stdout, stderr);
    return cli::RunAuditShow(lake, audit_from, audit_limit, audit_format, stdout, stderr);
  }
  if (serve->parsed()) {
    if (!authorize_job()) return 1;
    serve_options.lake = lake;
    serve_options.version = MEDLAKE_VERSION;
    return cli::RunServeCommand(serve_options, stdout, stderr);
  }
  if (lineage->parsed()) {
    if (!authorize_job()) return 1;
    lineage_options.lake = lake;
    auto parsed_format = cli::ParseOutputFormat(lineage_format);
    if (parsed_format.ok()) lineage_options.format = *parsed_format;
    return cli::RunLineageCommand(lineage_options, stdout, stderr);
  }
  if (quality->parsed()) {
    if (!authorize_job()) return 1;
    quality_options.lake = lake;
    auto parsed_format = cli::ParseOutputFormat(quality_format);
    if (parsed_format.ok()) quality_options.format = *parsed_format;
    return cli::RunQualityCommand(quality_options, stdout, stderr);
  }
  if (pidx->parsed()) {
    if (!authorize_job()) return 1;
    pidx_options.lake = lake;
    pidx_options.action = pidx_review->parsed()   ? "review"
                          : pidx_accept->parsed() ? "accept"
                          : pidx_reject->parsed() ? "reject"
                          : pidx_stats->parsed()  ? "stats"
                                                  : "";
    return cli::RunPatientIndexCommand(pidx_options, stdout, stderr);
  }
  if (run->parsed()) {
    if (!authorize_job()) return 1;
    run_options.lake = lake;
    return cli::RunRunCommand(run_options, stdout, stderr);
  }
  if (ingest->parsed()) {
    if (!authorize_job()) return 1;
    ingest_options.lake = lake;
    if (ingest_fhir->parsed()) ingest_options.kind = "fhir";
    if (ingest_hl7->parsed()) ingest_options.kind = "hl7";
    if (ingest_csv->parsed()) ingest_options.kind = "csv";
    return cli::RunIngestCommand(ingest_options, stdout, stderr);
  }
  if (synth->parsed()) {
    auto formats = synth::ParseSynthFormats(synth_formats);
    if (!formats.ok()) {
      std::fprintf(stderr, "Error: %s\n", formats.status().ToString().c_str());
      return 2;
    }
    synth_options.formats = *formats;
    if (!send_mllp.empty()) {
      std::string host;
      int port = 0;
      Status target = synth::ParseHostPort(send_mllp, &host, &port);
      if (!target.ok()) {
        std::fprintf(stderr, "Error: %s\n", target.ToString().c_str());
        return 2;
      }
    }
    int rc = cli::RunSynthCommand(synth_options, stdout, stderr);
    if (rc != 0 || send_mllp.empty()) return rc;
    return cli::SendSynthHl7(synth_options, send_mllp, stdout, stderr);
  }
  if (table->parsed()) {
    auto quote = [](const std::string& v) {
      std::string q = "'";
      for (char c : v) q += c == '\'' ? std::string("''") : std::string(1, c);
      return q + "'";
    };
    cli::SqlCommandOptions options;
    options.lake = lake;
    options.create_lake = false;
    options.who = who;
    if (t_register->parsed()) {
      size_t dot = table_name.find('.');
      if (dot != std::string::npos) {
        options.commands.push_back("CREATE SCHEMA IF NOT EXISTS \"" + table_name.substr(0, dot) + "\"");
      }
      options.commands.push_back("CALL medlake.register_table(" + quote(table_name) + ", " + quote(table_path) + ")");
    } else if (t_compact->parsed()) {
      options.commands.push_back("CALL medlake.compact(" + quote(table_name) + ")");
    } else if (t_expire->parsed()) {
      // An empty older-than means the default (5 days ago).
      std::string call = "CALL medlake.expire_snapshots(" + quote(table_name) + ", " + quote(older_than) +
                         ", " + std::to_string(retain_last);
      options.commands.push_back(call + ")");
    } else if (t_orphans->parsed()) {
      std::string call = "CALL medlake.remove_orphan_files(" + quote(table_name);
      if (!older_than.empty()) call += ", " + quote(older_than);
      options.commands.push_back(call + ")");
    }
    int rc = cli::RunSqlCommand(options, stdin, stdout, stderr);
    if (rc == 0 && t_register->parsed()) std::printf("registered %s\n", table_name.c_str());
    return rc;
  }
  if (sql->parsed()) {
    sql_options.lake = lake;
    sql_options.who = who;
    auto parsed = cli::ParseOutputFormat(format);
    if (!parsed.ok()) {
      std::fprintf(stderr, "Error: %s\n", parsed.status().ToString().c_str());
      return 2;
    }
    sql_options.format = *parsed;
    return cli::RunSqlCommand(sql_options, stdin, stdout, stderr);
  }
  return 2;
}
