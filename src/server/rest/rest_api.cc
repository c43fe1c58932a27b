#include "server/rest/rest_api.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/crypto.h"
#include "core/uuid.h"
#include "engine/sql_lexer.h"
#include "engine/value.h"
#include "ingest/fhir_loader.h"
#include "ingest/hl7_loader.h"
#include "server/rest/openapi.h"
#include "server/rest/sql_stream.h"

namespace medlake::server {
namespace {

using http::HttpRequest;
using http::HttpResponseWriter;

std::string Purpose(const HttpRequest& r) {
  if (auto p = r.Header("X-Medlake-Purpose")) return std::string(*p);
  if (auto p = r.QueryParam("purpose")) return std::string(*p);
  return "";
}

// Runs `fn` with a pooled session of the request's user.
template <typename F>
Status WithSession(RestApiContext& ctx, const HttpRequest& request, F fn) {
  MEDLAKE_ASSIGN_OR_RETURN(RequestUser who, AuthenticateRequest(*ctx.auth, request));
  MEDLAKE_ASSIGN_OR_RETURN(SessionLease lease, ctx.pool->Acquire(who.user, who.purpose, who.client));
  return fn(who, lease);
}

// `optional_namespace`: a namespace the pipelines create (lineage, quality); on a lake where it
// does not exist yet the answer is an empty list rather than an error.
Status SendRows(RestApiContext& ctx, const HttpRequest& request, HttpResponseWriter& out, const std::string& sql,
                const std::string& key = "rows", const std::string& optional_namespace = "") {
  return WithSession(ctx, request, [&](const RequestUser&, SessionLease& lease) -> Status {
    auto rows = QueryJsonObjects(lease.session(), sql);
    if (!rows.ok() && !optional_namespace.empty() && rows.status().code() == StatusCode::kNotFound &&
        rows.status().message().find("no lake namespace " + optional_namespace) != std::string::npos) {
      rows = std::string("[]");
    }
    MEDLAKE_RETURN_IF_ERROR(rows.status());
    return out.SendJson(200, "{\"" + key + "\":" + *rows + "}");
  });
}

Result<std::pair<std::string, std::string>> SplitTableName(std::string_view qualified) {
  size_t dot = qualified.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == qualified.size()) {
    return InvalidArgument("table must be given as namespace.table");
  }
  return std::make_pair(std::string(qualified.substr(0, dot)), std::string(qualified.substr(dot + 1)));
}

std::string QuoteIdent(const std::string& name) { return engine::QuoteIdentifier(name); }

Result<int64_t> IntParam(const HttpRequest& r, std::string_view name, int64_t fallback, int64_t lo, int64_t hi) {
  auto v = r.QueryParam(name);
  if (!v) return fallback;
  try {
    size_t used = 0;
    long long n = std::stoll(std::string(*v), &used);
    if (used != v->size() || n < lo || n > hi) throw std::out_of_range("range");
    return static_cast<int64_t>(n);
  } catch (...) {
    return InvalidArgument("query parameter " + std::string(name) + " must be an integer in [" + std::to_string(lo) +
                           ", " + std::to_string(hi) + "]");
  }
}

// Ingestion over HTTP: the body is written to <lake>/staging/uploads and loaded by the same
// loaders as `medlake ingest`, in a trusted session, after the caller's INSERT privilege on the
// raw table was checked by their own session.
Status Ingest(RestApiContext& ctx, const HttpRequest& request, HttpResponseWriter& out) {
  const std::string kind(request.PathParam("kind"));
  if (kind != "fhir" && kind != "hl7") return NotFound("no ingestion route for '" + kind + "': use fhir or hl7");
  if (request.body.empty()) return InvalidArgument("empty body: nothing to load");
  if (request.body.size() > ctx.max_upload_bytes) return ResourceExhausted("upload larger than the limit");
  const std::string table = kind == "fhir" ? "fhir_resources" : "hl7_messages";
  return WithSession(ctx, request, [&](const RequestUser& who, SessionLease& lease) -> Status {
    security::AuditRecord record;
    record.action = "ingest";
    record.statement = "POST /api/v1/ingest/" + kind + " (" + std::to_string(request.body.size()) + " bytes)";
    record.tables = {"raw." + table};
    Status allowed = lease.controller().CheckWrite(engine::WriteKind::kInsert, "raw", table);
    if (!allowed.ok()) {
      record.outcome = "denied";
      record.error = allowed.message();
      (void)lease.controller().Audit(record);
      return allowed;
    }
    std::string dir = ctx.lake->root() + "/staging/uploads";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    std::string ext = kind == "fhir" ? (request.body.find_first_not_of(" \t\r\n") != std::string::npos &&
                                                request.body[request.body.find_first_not_of(" \t\r\n")] == '{' &&
                                                request.body.find("\n{") == std::string::npos
                                            ? ".json"
                                            : ".ndjson")
                                     : ".hl7";
    MEDLAKE_ASSIGN_OR_RETURN(Uuid id, Uuid::RandomV4());
    std::string path = dir + "/" + id.ToString() + ext;
    {
      std::ofstream f(path, std::ios::binary);
      f.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));
      if (!f) return IOError("cannot stage the upload");
    }
    auto session = engine::LakeSession::Open(*ctx.lake);
    Result<ingest::IngestSummary> summary = session.status();
    if (session.ok()) {
      ingest::IngestOptions options;
      options.progress = false;
      options.source = "http";
      summary = kind == "fhir" ? ingest::IngestFhirFiles(**session, {path}, options)
                               : ingest::IngestHl7Files(**session, {path}, options);
    }
    std::filesystem::remove(path, ec);
    record.outcome = summary.ok() ? "ok" : "error";
    if (!summary.ok()) record.error = summary.status().message();
    if (summary.ok()) record.rows = summary->accepted;
    MEDLAKE_RETURN_IF_ERROR(lease.controller().Audit(record));
    MEDLAKE_RETURN_IF_ERROR(summary.status());
    nlohmann::json j = {{"kind", kind},
                        {"table", "raw." + table},
                        {"received", summary->received},
                        {"accepted", summary->accepted},
                        {"quarantined", summary->quarantined},
                        {"bytes", summary->bytes},
                        {"user", who.user}};
    return out.SendJson(200, j.dump());
  });
}

}  // namespace

Result<std::string> SqlLiteral(std::string_view value) {
  if (value.find('\0') != std::string_view::npos) return InvalidArgument("NUL byte in a parameter");
  return engine::QuoteString(value);
}

Result<RequestUser> AuthenticateRequest(Authenticator& auth, const http::HttpRequest& request) {
  RequestUser who;
  who.client = "http " + request.peer;
  MEDLAKE_ASSIGN_OR_RETURN(who.user, AuthenticateHttp(auth, request.Header("Authorization"), who.client));
  who.purpose = Purpose(request);
  return who;
}

Result<std::string> QueryJsonObjects(engine::LakeSession& session, const std::string& sql) {
  std::string out = "[";
  bool first = true;
  MEDLAKE_RETURN_IF_ERROR(session.Run(sql, [&](size_t, engine::StatementOutcome& o) -> Status {
    if (!o.rows) return Status::OK();
    const auto& columns = o.rows->columns();
    while (true) {
      MEDLAKE_ASSIGN_OR_RETURN(auto chunk, o.rows->Next());
      if (!chunk) break;
      for (size_t r = 0; r < chunk->size(); ++r) {
        out += first ? "{" : ",{";
        first = false;
        for (size_t c = 0; c < columns.size(); ++c) {
          if (c) out += ',';
          engine::AppendJsonString(columns[c].name, &out);
          out += ':';
          chunk->GetValue(c, r).AppendJson(&out);
        }
        out += '}';
      }
    }
    return Status::OK();
  }));
  out += "]";
  return out;
}

Status RegisterRestRoutes(http::Router& router, RestApiContext& ctx) {
  RestApiContext* c = &ctx;
  MEDLAKE_RETURN_IF_ERROR(router.Add("GET", "/api/v1", [c](const HttpRequest& r, HttpResponseWriter& out) {
    MEDLAKE_ASSIGN_OR_RETURN(RequestUser who, AuthenticateRequest(*c->auth, r));
    nlohmann::json j = {{"medlake", c->version},
                        {"user", who.user},
                        {"purpose", who.purpose},
                        {"links",
                         {{"openapi", "/api/v1/openapi.json"},
                          {"sql", "/api/v1/sql"},
                          {"namespaces", "/api/v1/namespaces"},
                          {"fhir", "/fhir/metadata"},
                          {"iceberg", "/iceberg/v1/config"}}}};
    return out.SendJson(200, j.dump());
  }));
  MEDLAKE_RETURN_IF_ERROR(router.Add("GET", "/api/v1/openapi.json", [](const HttpRequest&, HttpResponseWriter& out) {
    return out.SendJson(200, OpenApiDocument());
  }));
  MEDLAKE_RETURN_IF_ERROR(router.Add("POST", "/api/v1/sql", [c](const HttpRequest& r, HttpResponseWriter& out) {
    return WithSession(*c, r, [&](const RequestUser&, SessionLease& lease) -> Status {
      MEDLAKE_ASSIGN_OR_RETURN(SqlRequest sql, ParseSqlRequest(r));
      Status st = StreamSql(lease.session(), sql, out);
      if (out.failed()) lease.Discard();  // the client left mid-stream; the session may be mid-query
      return st;
    });
  }));
  MEDLAKE_RETURN_IF_ERROR(router.Add("GET", "/api/v1/namespaces", [c](const HttpRequest& r, HttpResponseWriter& out) {
    return SendRows(*c, r, out, "SELECT * FROM catalog.schemas ORDER BY ns", "namespaces");
  }));
  MEDLAKE_RETURN_IF_ERROR(
      router.Add("GET", "/api/v1/namespaces/{ns}/tables", [c](const HttpRequest& r, HttpResponseWriter& out) -> Status {
        MEDLAKE_ASSIGN_OR_RETURN(std::string ns, SqlLiteral(r.PathParam("ns")));
        return SendRows(*c, r, out, "SELECT * FROM catalog.tables WHERE ns = " + ns + " ORDER BY table_name", "tables");
      }));
  MEDLAKE_RETURN_IF_ERROR(
      router.Add("GET", "/api/v1/tables/{ns}/{table}", [c](const HttpRequest& r, HttpResponseWriter& out) -> Status {
        MEDLAKE_ASSIGN_OR_RETURN(std::string ns, SqlLiteral(r.PathParam("ns")));
        MEDLAKE_ASSIGN_OR_RETURN(std::string table, SqlLiteral(r.PathParam("table")));
        return WithSession(*c, r, [&](const RequestUser&, SessionLease& lease) -> Status {
          std::string where = " WHERE ns = " + ns + " AND table_name = " + table;
          MEDLAKE_ASSIGN_OR_RETURN(std::string t, QueryJsonObjects(lease.session(), "SELECT * FROM catalog.tables" + where));
          if (t == "[]") return NotFound("table not found, or not visible to you");
          MEDLAKE_ASSIGN_OR_RETURN(std::string cols, QueryJsonObjects(lease.session(),
                                                                      "SELECT * FROM catalog.columns" + where + " ORDER BY field_id"));
          // "[{...}]" -> "{...}" with the columns added.
          std::string body = t.substr(1, t.size() - 3) + ",\"columns\":" + cols + "}";
          return out.SendJson(200, body);
        });
      }));
  MEDLAKE_RETURN_IF_ERROR(router.Add(
      "GET", "/api/v1/tables/{ns}/{table}/snapshots", [c](const HttpRequest& r, HttpResponseWriter& out) -> Status {
        std::string name = QuoteIdent(std::string(r.PathParam("ns"))) + "." +
                           QuoteIdent(std::string(r.PathParam("table")) + "$snapshots");
        return SendRows(*c, r, out, "SELECT * FROM " + name + " ORDER BY committed_at", "snapshots");
      }));
  MEDLAKE_RETURN_IF_ERROR(router.Add("GET", "/api/v1/lineage", [c](const HttpRequest& r, HttpResponseWriter& out) -> Status {
    std::string sql = "SELECT * FROM lineage.edges";
    if (auto t = r.QueryParam("table")) {
      MEDLAKE_ASSIGN_OR_RETURN(auto parts, SplitTableName(*t));
      MEDLAKE_ASSIGN_OR_RETURN(std::string lit, SqlLiteral(parts.first + "." + parts.second));
      sql += " WHERE from_table = " + lit + " OR to_table = " + lit;
    }
    return SendRows(*c, r, out, sql + " ORDER BY from_table, to_table, from_column, to_column", "edges", "lineage");
  }));
  MEDLAKE_RETURN_IF_ERROR(router.Add("GET", "/api/v1/quality", [c](const HttpRequest& r, HttpResponseWriter& out) -> Status {
    MEDLAKE_ASSIGN_OR_RETURN(int64_t limit, IntParam(r, "limit", 500, 1, 100000));
    std::string sql = "SELECT * FROM quality.results";
    if (auto t = r.QueryParam("table")) {
      MEDLAKE_ASSIGN_OR_RETURN(std::string lit, SqlLiteral(*t));
      sql += " WHERE model = " + lit;
    }
    return SendRows(*c, r, out, sql + " ORDER BY run_at DESC, model, rule LIMIT " + std::to_string(limit), "results",
                    "quality");
  }));
  MEDLAKE_RETURN_IF_ERROR(router.Add("GET", "/api/v1/audit", [c](const HttpRequest& r, HttpResponseWriter& out) -> Status {
    MEDLAKE_ASSIGN_OR_RETURN(int64_t from, IntParam(r, "from_seq", 1, 1, INT64_MAX));
    MEDLAKE_ASSIGN_OR_RETURN(int64_t limit, IntParam(r, "limit", 1000, 1, 100000));
    return SendRows(*c, r, out,
                    "SELECT * FROM audit.log WHERE seq >= " + std::to_string(from) + " ORDER BY seq LIMIT " +
                        std::to_string(limit),
                    "records");
  }));
  http::Router::RouteOptions upload;
  upload.max_body_bytes = ctx.max_upload_bytes;
  // Credentials are checked as soon as the headers arrive: an upload is not received from a
  // client that could not send it anyway.
  upload.admit = [c](const http::HttpHeaders& headers, const std::string& peer) {
    return AuthenticateHttp(*c->auth, headers.Get("Authorization"), "http " + peer).status();
  };
  MEDLAKE_RETURN_IF_ERROR(router.Add(
      "POST", "/api/v1/ingest/{kind}",
      [c](const HttpRequest& r, HttpResponseWriter& out) { return Ingest(*c, r, out); }, upload));
  return Status::OK();
}

}  // namespace medlake::server
