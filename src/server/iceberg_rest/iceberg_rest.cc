#include "server/iceberg_rest/iceberg_rest.h"

#include "core/json_depth.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/crypto.h"
#include "core/logging.h"
#include "engine/iceberg_sql_types.h"
#include "engine/sql_lexer.h"
#include "security/access_controller.h"
#include "server/iceberg_rest/table_update_internal.h"
#include "storage/iceberg/metadata_file.h"
#include "storage/iceberg/table_metadata.h"
#include "storage/manifest.h"
#include "storage/table.h"

namespace medlake::server::iceberg_rest {
namespace {

namespace ib = storage::iceberg;
using http::HttpRequest;
using http::HttpResponseWriter;
using nlohmann::json;

// Commit attempts when another writer swaps the catalog pointer first (each re-checks the
// requirements on the new metadata, as the spec's optimistic concurrency asks).
constexpr int kCommitAttempts = 5;
// Bound of the metadata log, as storage's own commits keep it.
constexpr size_t kMaxMetadataLog = 100;

// JSON text; invalid UTF-8 in names is replaced rather than thrown on.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// A successful answer, sent by the wrapper after the call was audited.
struct Reply {
  int status = 200;
  std::string body;  // JSON; empty for 204
};

Reply JsonReply(const json& j) { return Reply{200, Dump(j)}; }
Reply NoContent() { return Reply{204, ""}; }

// One request's state.
struct Call {
  Call(const HttpRequest& r, IcebergRestContext& c) : request(r), context(c) {}
  const HttpRequest& request;
  IcebergRestContext& context;
  std::string user;
  std::optional<SessionLease> lease;
  // The Iceberg error type of a NotFound / FailedPrecondition from this call.
  std::string not_found_type = "NoSuchNamespaceException";
  std::string precondition_type = "BadRequestException";
  // The audit record's statement (empty: no record) and the tables it names.
  std::string audit;
  std::vector<std::string> tables;

  engine::LakeSession& session() { return lease->session(); }
  security::SecurityController& controller() { return lease->controller(); }
  storage::Catalog& catalog() { return session().catalog(); }
  FileSystem& fs() { return session().file_system(); }
  const Clock& clock() const { return context.clock ? *context.clock : SystemClock::Default(); }
};

using CallHandler = std::function<Result<Reply>(Call&)>;

struct ErrorShape {
  int code;
  std::string type;
};

ErrorShape ShapeFor(const Status& st, const Call& call) {
  switch (st.code()) {
    case StatusCode::kInvalidArgument:
      return {400, "BadRequestException"};
    case StatusCode::kUnauthenticated:
      return {401, "NotAuthorizedException"};
    case StatusCode::kPermissionDenied:
      return {403, "ForbiddenException"};
    case StatusCode::kNotFound:
      return {404, call.not_found_type};
    case StatusCode::kAlreadyExists:
      return {409, "AlreadyExistsException"};
    case StatusCode::kAborted:
      return {409, "CommitFailedException"};
    case StatusCode::kFailedPrecondition:
      return {409, call.precondition_type};
    case StatusCode::kUnimplemented:
      return {406, "UnsupportedOperationException"};
    default:
      return {500, "ServiceFailureException"};
  }
}

// The spec's error model: {"error": {"message", "type", "code"}}. 5xx details stay in the log.
Status SendIcebergError(HttpResponseWriter& w, const Status& st, const Call& call) {
  ErrorShape shape = ShapeFor(st, call);
  std::string message = st.message();
  if (shape.code >= 500) {
    Log(LogLevel::kError, "iceberg_rest_internal_error",
        {LogField("route", LogId(call.request.route)), LogField::Error("error", st.ToString())});
    message = "internal error (details in the server log)";
  }
  json body = {{"error", {{"message", message}, {"type", shape.type}, {"code", shape.code}}}};
  http::HttpHeaders headers;
  headers.Add("Content-Type", "application/json");
  if (shape.code == 401)
    headers.Add("WWW-Authenticate", "Bearer");
  return w.Send(shape.code, std::move(headers), Dump(body));
}

// Authenticates, leases a session, runs `fn`, audits, answers.
http::HttpHandler Wrap(IcebergRestContext& context, CallHandler fn) {
  return
      [&context, fn = std::move(fn)](const HttpRequest& request, HttpResponseWriter& w) -> Status {
        Call call{request, context};
        const std::string client = "iceberg-rest " + request.peer;
        auto user = AuthenticateHttp(*context.auth, request.Header("Authorization"), client);
        if (!user.ok())
          return SendIcebergError(w, user.status(), call);
        call.user = *user;
        std::string purpose(request.Header("X-Medlake-Purpose").value_or(""));
        // An unknown or disallowed purpose is refused here (400/403), as for SQL sessions.
        auto lease = context.sessions->Acquire(call.user, purpose, client);
        if (!lease.ok())
          return SendIcebergError(w, lease.status(), call);
        call.lease.emplace(std::move(*lease));
        // The start of a statement for the security layer, as before every SQL statement: grants,
        // policies and users changed by other sessions are reloaded, break-the-glass is looked up
        // again, and a session whose audit failed refuses to go on (it then leaves the pool).
        Status begun = call.controller().BeginStatement();
        if (!begun.ok()) {
          call.lease->Discard();
          Status st = begun;
          return SendIcebergError(
              w, st.code() == StatusCode::kPermissionDenied ? st : Internal(st.message()), call);
        }
        Result<Reply> reply = fn(call);
        if (!call.audit.empty()) {
          engine::StatementAudit a;
          a.statement = call.audit;
          a.tables = call.tables;
          a.outcome = reply.ok()                                               ? "ok"
                      : reply.status().code() == StatusCode::kPermissionDenied ? "denied"
                                                                               : "error";
          if (!reply.ok())
            a.error = reply.status().message();
          call.controller().RecordStatement(std::move(a));
        }
        if (!reply.ok())
          return SendIcebergError(w, reply.status(), call);
        if (reply->status == 204)
          return w.Send(204, {}, "");
        return w.SendJson(reply->status, reply->body);
      };
}

// ---------------------------------------------------------------------------------------------
// Names

// A namespace path parameter: levels are separated by the unit separator (%1F). The lake's
// catalog has one level.
Result<std::string> NamespaceFromPath(std::string_view text) {
  if (text.empty())
    return InvalidArgument("empty namespace");
  if (text.find('\x1f') != std::string_view::npos) {
    return InvalidArgument("multi-level namespaces are not supported: this catalog has one level");
  }
  return std::string(text);
}

Result<std::string> NamespaceFromJson(const json& j, const std::string& what) {
  if (!j.is_array() || j.empty())
    return InvalidArgument(what + ": namespace must be a non-empty array of strings");
  if (j.size() > 1) {
    return InvalidArgument(
        what + ": multi-level namespaces are not supported: this catalog has one level");
  }
  if (!j[0].is_string() || j[0].get<std::string>().empty()) {
    return InvalidArgument(what + ": namespace must be a non-empty array of strings");
  }
  return j[0].get<std::string>();
}

Result<storage::TableIdentifier> TableFromJson(const json& j, const std::string& what) {
  if (!j.is_object())
    return InvalidArgument(what + " must be an object with namespace and name");
  auto ns = j.find("namespace");
  auto name = j.find("name");
  if (ns == j.end() || name == j.end() || !name->is_string() || name->get<std::string>().empty()) {
    return InvalidArgument(what + " must be an object with namespace and name");
  }
  MEDLAKE_ASSIGN_OR_RETURN(std::string n, NamespaceFromJson(*ns, what));
  return storage::TableIdentifier{n, name->get<std::string>()};
}

Result<storage::TableIdentifier> TableFromPath(Call& call) {
  MEDLAKE_ASSIGN_OR_RETURN(std::string ns, NamespaceFromPath(call.request.PathParam("namespace")));
  std::string name(call.request.PathParam("table"));
  if (name.empty())
    return InvalidArgument("empty table name");
  return storage::TableIdentifier{ns, name};
}

std::string Quoted(const storage::TableIdentifier& id) {
  return engine::QuoteIdentifier(id.ns) + "." + engine::QuoteIdentifier(id.name);
}

Result<json> ParseBody(const HttpRequest& request) {
  // Trees are built, dumped and freed recursively: absurd nesting is refused before parsing.
  if (!JsonNestingWithin(request.body, 64)) return InvalidArgument("the request body is nested too deeply");
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object())
    return InvalidArgument("the request body must be a JSON object");
  return body;
}

Result<std::map<std::string, std::string>> StringMap(const json& body, const char* key) {
  std::map<std::string, std::string> out;
  auto it = body.find(key);
  if (it == body.end() || it->is_null())
    return out;
  if (!it->is_object())
    return InvalidArgument(std::string("\"") + key + "\" must be an object of strings");
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string())
      return InvalidArgument(std::string("\"") + key + "\" values must be strings (" + k + ")");
    out[k] = v.get<std::string>();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// What the principal may see, through the session (the catalog.* views apply the same
// visibility as SQL: USAGE on a namespace; SELECT on a table or some of its columns).

Result<std::vector<std::string>> FirstColumn(engine::LakeSession& session, const std::string& sql) {
  std::vector<std::string> out;
  MEDLAKE_RETURN_IF_ERROR(session.Run(sql, [&](size_t, engine::StatementOutcome& o) -> Status {
    if (o.rows == nullptr)
      return Status::OK();
    MEDLAKE_ASSIGN_OR_RETURN(auto rows, o.rows->FetchAll());
    for (const auto& r : rows) {
      if (!r.empty() && !r[0].is_null())
        out.push_back(r[0].ToText());
    }
    return Status::OK();
  }));
  return out;
}

Result<std::vector<std::string>> VisibleNamespaces(Call& call) {
  return FirstColumn(call.session(), "SELECT ns FROM catalog.schemas ORDER BY ns");
}

// NotFound (NoSuchNamespaceException) when `ns` does not exist or the principal may not use it:
// the same answer, so names cannot be probed.
Status RequireVisibleNamespace(Call& call, const std::string& ns) {
  call.not_found_type = "NoSuchNamespaceException";
  MEDLAKE_ASSIGN_OR_RETURN(
      auto found, FirstColumn(call.session(), "SELECT ns FROM catalog.schemas WHERE ns = " +
                                                  engine::QuoteString(ns)));
  if (found.empty())
    return NotFound("namespace " + ns + " does not exist (or you have no USAGE on it)");
  return Status::OK();
}

Result<bool> IsAdmin(Call& call) {
  MEDLAKE_ASSIGN_OR_RETURN(auto principal, call.controller().store().FindPrincipal(call.user));
  return principal.has_value() && principal->admin;
}

// Loads a table, with NotFound typed by what is missing.
Result<std::unique_ptr<storage::LakeTable>> LoadTable(Call& call,
                                                      const storage::TableIdentifier& id) {
  MEDLAKE_ASSIGN_OR_RETURN(bool ns_exists, call.catalog().NamespaceExists(id.ns));
  if (!ns_exists) {
    call.not_found_type = "NoSuchNamespaceException";
    return NotFound("namespace " + id.ns + " does not exist");
  }
  call.not_found_type = "NoSuchTableException";
  auto table = storage::LakeTable::Load(call.catalog(), call.fs(), id);
  if (!table.ok() && table.status().code() == StatusCode::kNotFound) {
    return NotFound("table " + id.ToString() + " does not exist");
  }
  return table;
}

// SELECT on the table (PermissionDenied before anything about the table is read, so missing
// and unreadable tables answer alike for principals without the privilege).
Status RequireSelect(Call& call, const storage::TableIdentifier& id) {
  return call.controller().ReadAccess(id, {}).status();
}

// Handing out metadata hands out file locations: whoever has them reads every row and column,
// past row filters and masks. So loading needs unrestricted access (or an admin).
Status RequireUnrestrictedRead(Call& call, const storage::LakeTable& table) {
  // Every column of every schema in the metadata: older snapshots' files still hold columns
  // dropped since, and a mask bound to one of them must keep those files from the client.
  std::vector<engine::AccessColumn> columns;
  std::set<int> seen;
  const ib::Schema* current = nullptr;
  MEDLAKE_ASSIGN_OR_RETURN(current, ib::CurrentSchema(table.metadata()));
  std::vector<const ib::Schema*> schemas = {current};
  for (const auto& sc : table.metadata().schemas) schemas.push_back(&sc);
  for (const ib::Schema* schema : schemas) {
    for (const auto& f : schema->fields) {
      if (!seen.insert(f.id).second) continue;
      auto type = engine::IcebergTypeToDuckDb(ib::TypeToJson(f.type));
      columns.push_back({f.id, f.name, type.ok() ? *type : "VARCHAR"});
    }
  }
  MEDLAKE_ASSIGN_OR_RETURN(engine::TableAccess access,
                           call.controller().ReadAccess(table.id(), columns));
  if (access.unrestricted() && access.decisions.empty())
    return Status::OK();
  MEDLAKE_ASSIGN_OR_RETURN(bool admin, IsAdmin(call));
  if (admin)
    return Status::OK();
  return PermissionDenied(
      "loading " + table.id().ToString() +
      " through the Iceberg REST catalog is refused: a row filter, column mask, column "
      "privilege or purpose policy applies to you on it, and its files would bypass them; "
      "read it with SQL instead");
}

// The LoadTableResult of a table: the metadata file exactly as storage wrote it.
Result<Reply> LoadTableReply(Call& call, const storage::LakeTable& table) {
  MEDLAKE_ASSIGN_OR_RETURN(std::string bytes, call.fs().ReadFile(table.metadata_location()));
  MEDLAKE_ASSIGN_OR_RETURN(std::string text, ib::MetadataFileText(std::move(bytes)));
  std::string body = "{\"metadata-location\":" + Dump(json(table.metadata_location())) +
                     ",\"metadata\":" + text + ",\"config\":{}}";
  return Reply{200, std::move(body)};
}

// ---------------------------------------------------------------------------------------------
// Commits

bool Within(const std::string& path, const std::string& root) {
  std::string p = std::filesystem::path(path).lexically_normal().string();
  std::string r = std::filesystem::path(root).lexically_normal().string();
  while (r.size() > 1 && r.back() == '/')
    r.pop_back();
  return p.size() > r.size() && p.compare(0, r.size(), r) == 0 && p[r.size()] == '/';
}

// A snapshot added through REST may only name files of its own table: its manifest list, its
// manifests and their live files must lie under the table's directory. Otherwise a writer could
// graft another table's files (which they may not read) into a table they can.
Status CheckSnapshotFiles(const storage::LakeTable& table, FileSystem& fs, int64_t snapshot_id) {
  MEDLAKE_ASSIGN_OR_RETURN(const ib::Snapshot* snapshot,
                           ib::FindSnapshot(table.metadata(), snapshot_id));
  const std::string& root = table.local_root();
  auto outside = [&](const std::string& what, const std::string& stored) {
    return InvalidArgument("add-snapshot " + std::to_string(snapshot_id) + ": " + what + " " +
                           stored + " is not inside the table's location");
  };
  const std::string list_path = table.ResolvePath(snapshot->manifest_list);
  if (!Within(list_path, root))
    return outside("manifest list", snapshot->manifest_list);
  auto bytes = fs.ReadFile(list_path);
  if (!bytes.ok())
    return InvalidArgument("add-snapshot: cannot read manifest list " + snapshot->manifest_list);
  auto manifests = ib::ReadManifestList(*bytes);
  if (!manifests.ok())
    return InvalidArgument("add-snapshot: malformed manifest list " + snapshot->manifest_list);
  for (const auto& m : *manifests) {
    if (!Within(table.ResolvePath(m.manifest_path), root))
      return outside("manifest", m.manifest_path);
  }
  auto files = table.LiveFiles(snapshot_id);
  if (!files.ok())
    return InvalidArgument("add-snapshot: " + files.status().message());
  for (const auto& f : *files) {
    if (!Within(f.local_path, root))
      return outside("data file", f.file.file_path);
  }
  return Status::OK();
}

// The version number of a metadata file name (v12.metadata.json, 00012-<uuid>.metadata.json).
int64_t MetadataVersion(const std::string& path) {
  std::string name = std::filesystem::path(path).filename().string();
  size_t i = name.rfind('v', 0) == 0 ? 1 : 0;
  int64_t v = 0;
  while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i])))
    v = v * 10 + (name[i++] - '0');
  return v;
}

// Requirements checked and updates applied on the current metadata, then storage's commit
// protocol: the next metadata file created exclusively, then the catalog's compare-and-swap.
// A lost race re-reads and re-checks. Returns the committed table.
Result<std::unique_ptr<storage::LakeTable>> CommitUpdates(Call& call,
                                                          const storage::TableIdentifier& id,
                                                          const json& requirements,
                                                          const json& updates) {
  Status last;
  for (int attempt = 0; attempt < kCommitAttempts; ++attempt) {
    MEDLAKE_ASSIGN_OR_RETURN(auto base, LoadTable(call, id));
    if (base->moved()) {
      return Unimplemented("table " + id.ToString() +
                           " was written at another location and is read-only here");
    }
    MEDLAKE_RETURN_IF_ERROR(internal::CheckRequirements(base->metadata(), requirements));
    ib::TableMetadata m = base->metadata();
    const int64_t now = call.clock().NowMillis();
    std::vector<int64_t> added;
    MEDLAKE_RETURN_IF_ERROR(internal::ApplyUpdates(&m, updates, now, &added));
    m.last_updated_ms = std::max(now, base->metadata().last_updated_ms);
    m.metadata_log.push_back(
        ib::MetadataLogEntry{base->metadata().last_updated_ms, base->metadata_location()});
    if (m.metadata_log.size() > kMaxMetadataLog) {
      m.metadata_log.erase(
          m.metadata_log.begin(),
          m.metadata_log.begin() + static_cast<long>(m.metadata_log.size() - kMaxMetadataLog));
    }
    std::string text = ib::SerializeTableMetadata(m);
    // The result must be metadata every reader (ours included) accepts.
    auto reparsed = ib::ParseTableMetadata(text);
    if (!reparsed.ok())
      return InvalidArgument("the updates would make invalid metadata: " +
                             reparsed.status().message());
    storage::LakeTable next(id, m, base->metadata_location(), base->local_root(), call.fs());
    for (int64_t snapshot_id : added)
      MEDLAKE_RETURN_IF_ERROR(CheckSnapshotFiles(next, call.fs(), snapshot_id));

    auto written = storage::WriteNextMetadataFile(call.fs(), base->local_root(), base->metadata_location(), m);
    if (!written.ok() && written.status().code() == StatusCode::kAborted) {
      last = written.status();
      continue;
    }
    MEDLAKE_ASSIGN_OR_RETURN(const std::string path, std::move(written));
    const int64_t version = MetadataVersion(path);
    Status swapped = call.catalog().CommitTable(id, base->metadata_location(), path);
    if (swapped.code() == StatusCode::kAborted) {
      last = swapped;
      continue;
    }
    if (swapped.code() == StatusCode::kNotFound)
      return NotFound("table " + id.ToString() + " was dropped");
    MEDLAKE_RETURN_IF_ERROR(swapped);
    // For file-based readers; the catalog pointer is the source of truth.
    (void)call.fs().WriteFileAtomic(base->local_root() + "/metadata/version-hint.text", std::to_string(version));
    return std::make_unique<storage::LakeTable>(id, std::move(m), path, base->local_root(),
                                                call.fs());
  }
  return Aborted("commit to " + id.ToString() + " lost the race " +
                 std::to_string(kCommitAttempts) + " times; retry (" + last.message() + ")");
}

// ---------------------------------------------------------------------------------------------
// Handlers

json NamespaceJson(const std::string& ns) { return json::array({ns}); }

// Paging over a sorted list: the token is the last name of the previous page.
Result<std::pair<std::vector<std::string>, std::string>> Page(const HttpRequest& request,
                                                              std::vector<std::string> names) {
  std::string token(request.QueryParam("pageToken").value_or(""));
  std::string size_text(request.QueryParam("pageSize").value_or(""));
  size_t size = names.size();
  if (!size_text.empty()) {
    char* end = nullptr;
    long v = std::strtol(size_text.c_str(), &end, 10);
    if (*end != '\0' || v <= 0)
      return InvalidArgument("pageSize must be a positive integer");
    size = static_cast<size_t>(v);
  }
  std::sort(names.begin(), names.end());
  auto from = token.empty() ? names.begin() : std::upper_bound(names.begin(), names.end(), token);
  std::vector<std::string> page;
  for (auto it = from; it != names.end() && page.size() < size; ++it)
    page.push_back(*it);
  std::string next;
  if (!page.empty() && from + static_cast<long>(page.size()) != names.end())
    next = page.back();
  return std::make_pair(std::move(page), next);
}

std::vector<std::string> Endpoints() {
  return {"GET /v1/{prefix}/namespaces",
          "POST /v1/{prefix}/namespaces",
          "GET /v1/{prefix}/namespaces/{namespace}",
          "HEAD /v1/{prefix}/namespaces/{namespace}",
          "DELETE /v1/{prefix}/namespaces/{namespace}",
          "POST /v1/{prefix}/namespaces/{namespace}/properties",
          "GET /v1/{prefix}/namespaces/{namespace}/tables",
          "POST /v1/{prefix}/namespaces/{namespace}/tables",
          "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}",
          "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}",
          "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}",
          "DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}",
          "POST /v1/{prefix}/tables/rename",
          "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics"};
}

Result<Reply> GetConfig(Call& call) {
  call.audit = "ICEBERG REST config";
  return JsonReply(
      {{"defaults", json::object()}, {"overrides", json::object()}, {"endpoints", Endpoints()}});
}

Result<Reply> ListNamespaces(Call& call) {
  call.audit = "ICEBERG REST list namespaces";
  MEDLAKE_ASSIGN_OR_RETURN(auto names, VisibleNamespaces(call));
  if (auto parent = call.request.QueryParam("parent"); parent && !parent->empty()) {
    MEDLAKE_ASSIGN_OR_RETURN(std::string p, NamespaceFromPath(*parent));
    MEDLAKE_RETURN_IF_ERROR(RequireVisibleNamespace(call, p));
    names.clear();  // one level: no namespace has children
  }
  MEDLAKE_ASSIGN_OR_RETURN(auto page, Page(call.request, std::move(names)));
  json list = json::array();
  for (const auto& n : page.first)
    list.push_back(NamespaceJson(n));
  json out = {{"namespaces", list}};
  if (!page.second.empty())
    out["next-page-token"] = page.second;
  return JsonReply(out);
}

json VisibleProperties(std::map<std::string, std::string> props) {
  props.erase("exists");  // the JDBC layout's marker row, not a user property
  json out = json::object();
  for (const auto& [k, v] : props)
    out[k] = v;
  return out;
}

Result<Reply> CreateNamespace(Call& call) {
  MEDLAKE_ASSIGN_OR_RETURN(json body, ParseBody(call.request));
  auto ns_json = body.find("namespace");
  if (ns_json == body.end())
    return InvalidArgument("missing \"namespace\"");
  MEDLAKE_ASSIGN_OR_RETURN(std::string ns, NamespaceFromJson(*ns_json, "create namespace"));
  MEDLAKE_ASSIGN_OR_RETURN(auto props, StringMap(body, "properties"));
  call.audit = "ICEBERG REST create namespace " + engine::QuoteIdentifier(ns);
  MEDLAKE_RETURN_IF_ERROR(
      call.controller().CheckWrite(engine::WriteKind::kCreateNamespace, ns, ""));
  MEDLAKE_RETURN_IF_ERROR(call.catalog().CreateNamespace(ns, props));
  return JsonReply({{"namespace", NamespaceJson(ns)}, {"properties", VisibleProperties(props)}});
}

Result<Reply> LoadNamespace(Call& call) {
  MEDLAKE_ASSIGN_OR_RETURN(std::string ns, NamespaceFromPath(call.request.PathParam("namespace")));
  call.audit = "ICEBERG REST load namespace " + engine::QuoteIdentifier(ns);
  MEDLAKE_RETURN_IF_ERROR(RequireVisibleNamespace(call, ns));
  MEDLAKE_ASSIGN_OR_RETURN(auto props, call.catalog().NamespaceProperties(ns));
  return JsonReply({{"namespace", NamespaceJson(ns)}, {"properties", VisibleProperties(props)}});
}

Result<Reply> NamespaceExists(Call& call) {
  MEDLAKE_ASSIGN_OR_RETURN(std::string ns, NamespaceFromPath(call.request.PathParam("namespace")));
  call.audit = "ICEBERG REST namespace exists " + engine::QuoteIdentifier(ns);
  MEDLAKE_RETURN_IF_ERROR(RequireVisibleNamespace(call, ns));
  return NoContent();
}

Result<Reply> DropNamespace(Call& call) {
  MEDLAKE_ASSIGN_OR_RETURN(std::string ns, NamespaceFromPath(call.request.PathParam("namespace")));
  call.audit = "ICEBERG REST drop namespace " + engine::QuoteIdentifier(ns);
  MEDLAKE_RETURN_IF_ERROR(call.controller().CheckWrite(engine::WriteKind::kDropNamespace, ns, ""));
  call.not_found_type = "NoSuchNamespaceException";
  call.precondition_type = "NamespaceNotEmptyException";
  MEDLAKE_RETURN_IF_ERROR(call.catalog().DropNamespace(ns));
  return NoContent();
}

Result<Reply> UpdateNamespaceProperties(Call& call) {
  MEDLAKE_ASSIGN_OR_RETURN(std::string ns, NamespaceFromPath(call.request.PathParam("namespace")));
  MEDLAKE_ASSIGN_OR_RETURN(json body, ParseBody(call.request));
  MEDLAKE_ASSIGN_OR_RETURN(auto updates, StringMap(body, "updates"));
  auto removals = body.find("removals");
  if (removals != body.end() && !removals->is_null() && !removals->is_array()) {
    return InvalidArgument("\"removals\" must be an array of strings");
  }
  call.audit = "ICEBERG REST update namespace properties " + engine::QuoteIdentifier(ns);
  MEDLAKE_RETURN_IF_ERROR(RequireVisibleNamespace(call, ns));
  const bool nothing =
      updates.empty() && (removals == body.end() || removals->is_null() || removals->empty());
  if (nothing)
    return JsonReply({{"updated", json::array()}, {"removed", json::array()}});
  // TODO(#8): storage::Catalog has no way to change a namespace's properties after creation.
  return Unimplemented(
      "changing namespace properties is not supported yet: they are set when the namespace is "
      "created");
}

Result<Reply> ListTables(Call& call) {
  MEDLAKE_ASSIGN_OR_RETURN(std::string ns, NamespaceFromPath(call.request.PathParam("namespace")));
  call.audit = "ICEBERG REST list tables " + engine::QuoteIdentifier(ns);
  MEDLAKE_RETURN_IF_ERROR(RequireVisibleNamespace(call, ns));
  MEDLAKE_ASSIGN_OR_RETURN(
      auto names,
      FirstColumn(call.session(), "SELECT table_name FROM catalog.tables WHERE ns = " +
                                      engine::QuoteString(ns) + " ORDER BY table_name"));
  MEDLAKE_ASSIGN_OR_RETURN(auto page, Page(call.request, std::move(names)));
  json list = json::array();
  for (const auto& n : page.first)
    list.push_back({{"namespace", NamespaceJson(ns)}, {"name", n}});
  json out = {{"identifiers", list}};
  if (!page.second.empty())
    out["next-page-token"] = page.second;
  return JsonReply(out);
}

Result<Reply> CreateTable(Call& call) {
  MEDLAKE_ASSIGN_OR_RETURN(std::string ns, NamespaceFromPath(call.request.PathParam("namespace")));
  MEDLAKE_ASSIGN_OR_RETURN(json body, ParseBody(call.request));
  auto name = body.find("name");
  if (name == body.end() || !name->is_string() || name->get<std::string>().empty()) {
    return InvalidArgument("missing \"name\"");
  }
  storage::CreateTableRequest request;
  request.id = {ns, name->get<std::string>()};
  call.audit = "ICEBERG REST create table " + Quoted(request.id);
  call.tables = {request.id.ToString()};
  if (auto stage = body.find("stage-create");
      stage != body.end() && stage->is_boolean() && stage->get<bool>()) {
    return Unimplemented(
        "staged table creation (stage-create) is not supported: create the table, then commit");
  }
  if (auto location = body.find("location"); location != body.end() && !location->is_null()) {
    return InvalidArgument(
        "\"location\" cannot be chosen: lake tables live under the lake's warehouse");
  }
  auto schema_json = body.find("schema");
  if (schema_json == body.end())
    return InvalidArgument("missing \"schema\"");
  MEDLAKE_ASSIGN_OR_RETURN(request.schema, internal::ParseRestSchema(*schema_json));
  int32_t last_partition_id = ib::kPartitionDataIdStart - 1;
  if (auto spec = body.find("partition-spec"); spec != body.end() && !spec->is_null()) {
    MEDLAKE_ASSIGN_OR_RETURN(
        request.spec, internal::ParseRestPartitionSpec(*spec, request.schema, &last_partition_id));
  }
  request.spec.spec_id = 0;
  std::optional<ib::SortOrder> order;
  json order_json;
  if (auto wo = body.find("write-order"); wo != body.end() && !wo->is_null()) {
    MEDLAKE_ASSIGN_OR_RETURN(order, internal::ParseRestSortOrder(*wo, request.schema));
    order_json = *wo;
  }
  MEDLAKE_ASSIGN_OR_RETURN(request.properties, StringMap(body, "properties"));

  MEDLAKE_RETURN_IF_ERROR(
      call.controller().CheckWrite(engine::WriteKind::kCreateTable, ns, request.id.name));
  call.not_found_type = "NoSuchNamespaceException";
  MEDLAKE_ASSIGN_OR_RETURN(
      auto table,
      storage::CreateLakeTable(call.catalog(), call.fs(), call.session().lake().warehouse_path(),
                               request, call.clock()));
  if (order && !order->is_unsorted()) {
    // A second commit: storage creates tables unsorted. A crash in between leaves the table
    // without its write order (it can be set again with a commit).
    json updates = json::array({{{"action", "add-sort-order"}, {"sort-order", order_json}},
                                {{"action", "set-default-sort-order"}, {"sort-order-id", -1}}});
    MEDLAKE_ASSIGN_OR_RETURN(table, CommitUpdates(call, request.id, json(), updates));
  }
  return LoadTableReply(call, *table);
}

Result<Reply> LoadTableRoute(Call& call) {
  MEDLAKE_ASSIGN_OR_RETURN(storage::TableIdentifier id, TableFromPath(call));
  call.audit = "ICEBERG REST load table " + Quoted(id);
  call.tables = {id.ToString()};
  MEDLAKE_RETURN_IF_ERROR(RequireSelect(call, id));
  MEDLAKE_ASSIGN_OR_RETURN(auto table, LoadTable(call, id));
  MEDLAKE_RETURN_IF_ERROR(RequireUnrestrictedRead(call, *table));
  return LoadTableReply(call, *table);
}

Result<Reply> TableExists(Call& call) {
  MEDLAKE_ASSIGN_OR_RETURN(storage::TableIdentifier id, TableFromPath(call));
  call.audit = "ICEBERG REST table exists " + Quoted(id);
  call.tables = {id.ToString()};
  MEDLAKE_RETURN_IF_ERROR(RequireSelect(call, id));
  MEDLAKE_ASSIGN_OR_RETURN(auto table, LoadTable(call, id));
  return NoContent();
}

Result<Reply> DropTable(Call& call) {
  MEDLAKE_ASSIGN_OR_RETURN(storage::TableIdentifier id, TableFromPath(call));
  const bool purge = call.request.QueryParam("purgeRequested").value_or("") == "true";
  call.audit = "ICEBERG REST drop table " + Quoted(id) + (purge ? " purge" : "");
  call.tables = {id.ToString()};
  MEDLAKE_RETURN_IF_ERROR(
      call.controller().CheckWrite(engine::WriteKind::kDropTable, id.ns, id.name));
  MEDLAKE_ASSIGN_OR_RETURN(auto table, LoadTable(call, id));
  MEDLAKE_RETURN_IF_ERROR(storage::DropLakeTable(
      call.catalog(), call.fs(), call.session().lake().warehouse_path(), id, purge));
  return NoContent();
}

Result<Reply> CommitTable(Call& call) {
  MEDLAKE_ASSIGN_OR_RETURN(storage::TableIdentifier id, TableFromPath(call));
  MEDLAKE_ASSIGN_OR_RETURN(json body, ParseBody(call.request));
  if (auto ident = body.find("identifier"); ident != body.end() && !ident->is_null()) {
    MEDLAKE_ASSIGN_OR_RETURN(storage::TableIdentifier named, TableFromJson(*ident, "identifier"));
    if (!(named == id))
      return InvalidArgument("the body's identifier does not name the table of the path");
  }
  json requirements = body.value("requirements", json());
  json updates = body.value("updates", json());
  MEDLAKE_ASSIGN_OR_RETURN(internal::UpdateSummary summary, internal::SummarizeUpdates(updates));
  std::string actions;
  for (const auto& a : summary.actions)
    actions += (actions.empty() ? "" : ", ") + a;
  call.audit = "ICEBERG REST commit " + Quoted(id) + " (" + actions + ")";
  call.tables = {id.ToString()};
  if (requirements.is_array()) {
    for (const auto& r : requirements) {
      auto type = r.is_object() ? r.find("type") : r.end();
      if (type != r.end() && type->is_string() && type->get<std::string>() == "assert-create") {
        return Unimplemented(
            "assert-create (staged creation) is not supported: create the table first");
      }
    }
  }
  // The answer carries the metadata: committing needs what loading needs, plus the write
  // privileges of what changes (CheckWrite refuses INSERT/MODIFY under a filter or mask too).
  MEDLAKE_RETURN_IF_ERROR(RequireSelect(call, id));
  if (summary.alters_table) {
    MEDLAKE_RETURN_IF_ERROR(
        call.controller().CheckWrite(engine::WriteKind::kAlterTable, id.ns, id.name));
  }
  if (summary.adds_snapshots) {
    MEDLAKE_RETURN_IF_ERROR(
        call.controller().CheckWrite(engine::WriteKind::kInsert, id.ns, id.name));
  }
  if (summary.adds_snapshots || summary.moves_refs) {
    // An "append" snapshot is not checked to only add rows, and refs can roll data back.
    MEDLAKE_RETURN_IF_ERROR(
        call.controller().CheckWrite(engine::WriteKind::kModify, id.ns, id.name));
  }
  MEDLAKE_ASSIGN_OR_RETURN(auto base, LoadTable(call, id));
  MEDLAKE_RETURN_IF_ERROR(RequireUnrestrictedRead(call, *base));
  MEDLAKE_ASSIGN_OR_RETURN(auto committed, CommitUpdates(call, id, requirements, updates));
  MEDLAKE_ASSIGN_OR_RETURN(std::string bytes, call.fs().ReadFile(committed->metadata_location()));
  MEDLAKE_ASSIGN_OR_RETURN(std::string text, ib::MetadataFileText(std::move(bytes)));
  return Reply{200, "{\"metadata-location\":" + Dump(json(committed->metadata_location())) +
                        ",\"metadata\":" + text + "}"};
}

Result<Reply> RenameTable(Call& call) {
  MEDLAKE_ASSIGN_OR_RETURN(json body, ParseBody(call.request));
  auto source = body.find("source");
  auto destination = body.find("destination");
  if (source == body.end() || destination == body.end())
    return InvalidArgument("missing source or destination");
  MEDLAKE_ASSIGN_OR_RETURN(storage::TableIdentifier from, TableFromJson(*source, "source"));
  MEDLAKE_ASSIGN_OR_RETURN(storage::TableIdentifier to, TableFromJson(*destination, "destination"));
  call.tables = {from.ToString(), to.ToString()};
  // Recorded as its SQL equivalent: the security layer moves the table's grants and policies
  // when it records a successful ALTER TABLE ... RENAME TO.
  call.audit = "ALTER TABLE " + Quoted(from) + " RENAME TO " + engine::QuoteIdentifier(to.name);
  if (from.ns != to.ns) {
    return InvalidArgument(
        "renaming a table into another namespace is not supported (grants and policies are "
        "per namespace)");
  }
  MEDLAKE_RETURN_IF_ERROR(
      call.controller().CheckWrite(engine::WriteKind::kRenameTable, from.ns, from.name));
  MEDLAKE_ASSIGN_OR_RETURN(auto table, LoadTable(call, from));
  MEDLAKE_RETURN_IF_ERROR(call.catalog().RenameTable(from, to));
  return NoContent();
}

Result<Reply> ReportMetrics(Call& call) {
  MEDLAKE_ASSIGN_OR_RETURN(storage::TableIdentifier id, TableFromPath(call));
  call.audit = "ICEBERG REST report metrics " + Quoted(id);
  return NoContent();  // accepted and dropped
}

// POST /v1/oauth/tokens (client_credentials): client_id is the user name, client_secret the
// user's password or one of their medlake tokens. A token is returned as given; a password
// gets a new token of the user's (CREATE TOKEN through their session, so audited).
http::HttpHandler OAuthTokens(IcebergRestContext& context) {
  return [&context](const HttpRequest& request, HttpResponseWriter& w) -> Status {
    auto oauth_error = [&w](int status, const std::string& error, const std::string& description) {
      json body = {{"error", error}, {"error_description", description}};
      http::HttpHeaders headers;
      headers.Add("Content-Type", "application/json");
      headers.Add("Cache-Control", "no-store");
      return w.Send(status, std::move(headers), Dump(body));
    };
    auto form = http::ParseUrlEncoded(request.body);
    if (!form.ok())
      return oauth_error(400, "invalid_request",
                         "the body must be application/x-www-form-urlencoded");
    auto get = [&form](const std::string& key) {
      auto it = form->find(key);
      return it == form->end() ? std::string() : it->second;
    };
    if (get("grant_type") != "client_credentials") {
      return oauth_error(400, "unsupported_grant_type",
                         "only grant_type=client_credentials is supported");
    }
    const std::string id = get("client_id");
    const std::string secret = get("client_secret");
    if (id.empty() || secret.empty())
      return oauth_error(400, "invalid_request", "client_id and client_secret are required");
    const std::string client = "iceberg-rest " + request.peer;
    const std::string refused = "invalid client credentials";
    std::string token;
    if (secret.rfind("mlk_", 0) == 0) {
      auto user = AuthenticateHttp(*context.auth, "Bearer " + secret, client);
      if (!user.ok() || *user != id)
        return oauth_error(401, "invalid_client", refused);
      token = secret;
    } else {
      auto user =
          AuthenticateHttp(*context.auth, "Basic " + Base64Encode(id + ":" + secret), client);
      if (!user.ok())
        return oauth_error(401, "invalid_client", refused);
      auto lease = context.sessions->Acquire(*user, "", client);
      if (!lease.ok())
        return oauth_error(401, "invalid_client", refused);
      const int days = std::clamp(context.oauth_token_days, 1, 3650);
      Status st = lease->session().Run(
          "CREATE TOKEN EXPIRES IN " + std::to_string(days) + " DAYS COMMENT 'iceberg rest oauth2'",
          [&token](size_t, engine::StatementOutcome& o) -> Status {
            if (o.rows == nullptr)
              return Status::OK();
            MEDLAKE_ASSIGN_OR_RETURN(auto rows, o.rows->FetchAll());
            if (!rows.empty() && rows[0].size() > 1)
              token = rows[0][1].ToText();
            return Status::OK();
          });
      if (!st.ok() || token.empty()) {
        Log(LogLevel::kError, "iceberg_rest_oauth_token_failed",
            {LogField::Error("error", st.ToString())});
        return oauth_error(500, "server_error", "could not issue a token");
      }
    }
    json body = {{"access_token", token},
                 {"token_type", "bearer"},
                 {"issued_token_type", "urn:ietf:params:oauth:token-type:access_token"}};
    http::HttpHeaders headers;
    headers.Add("Content-Type", "application/json");
    headers.Add("Cache-Control", "no-store");
    return w.Send(200, std::move(headers), Dump(body));
  };
}

}  // namespace

Status RegisterIcebergRestRoutes(http::Router& router, IcebergRestContext& context) {
  if (context.auth == nullptr || context.sessions == nullptr) {
    return InvalidArgument("the Iceberg REST routes need an authenticator and a session pool");
  }
  const std::string& p = context.path_prefix;
  if (!p.empty() && (p.front() != '/' || p.back() == '/')) {
    return InvalidArgument("the Iceberg REST path prefix must start with '/' and not end with one");
  }
  const std::string v1 = p + "/v1";
  const std::string ns = v1 + "/namespaces/{namespace}";
  const std::string table = ns + "/tables/{table}";
  struct Route {
    const char* method;
    std::string pattern;
    CallHandler handler;
  };
  const std::vector<Route> routes = {
      {"GET", v1 + "/config", GetConfig},
      {"GET", v1 + "/namespaces", ListNamespaces},
      {"POST", v1 + "/namespaces", CreateNamespace},
      {"GET", ns, LoadNamespace},
      {"HEAD", ns, NamespaceExists},
      {"DELETE", ns, DropNamespace},
      {"POST", ns + "/properties", UpdateNamespaceProperties},
      {"GET", ns + "/tables", ListTables},
      {"POST", ns + "/tables", CreateTable},
      {"GET", table, LoadTableRoute},
      {"HEAD", table, TableExists},
      {"POST", table, CommitTable},
      {"DELETE", table, DropTable},
      {"POST", table + "/metrics", ReportMetrics},
      {"POST", v1 + "/tables/rename", RenameTable},
  };
  for (const auto& r : routes)
    MEDLAKE_RETURN_IF_ERROR(router.Add(r.method, r.pattern, Wrap(context, r.handler)));
  return router.Add("POST", v1 + "/oauth/tokens", OAuthTokens(context));
}

}  // namespace medlake::server::iceberg_rest
