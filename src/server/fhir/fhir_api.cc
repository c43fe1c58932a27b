#include "server/fhir/fhir_api.h"

#include <cstdio>
#include <ctime>
#include <fstream>
#include <set>

#include "core/logging.h"
#include "server/fhir/fhir_export_internal.h"
#include "server/fhir/fhir_ids.h"
#include "server/fhir/fhir_json_internal.h"
#include "server/fhir/fhir_query_internal.h"
#include "server/fhir/fhir_resources_internal.h"
#include "server/fhir/fhir_store_internal.h"

namespace medlake::server::fhir {

using internal::Json;

namespace {

constexpr std::string_view kFhirJson = "application/fhir+json; charset=utf-8";
constexpr std::string_view kPurposeHeader = "X-Medlake-Purpose";

// ---- responses ----

std::string Dump(const Json& j, bool pretty) {
  if (!pretty) return internal::CompactJson(j);
  return j.dump(2, ' ', false, Json::error_handler_t::replace);
}

bool Pretty(const http::HttpRequest& req) { return req.QueryParam("_pretty").value_or("") == "true"; }

Status SendJson(http::HttpResponseWriter& w, const http::HttpRequest& req, int status, const Json& body,
                http::HttpHeaders headers = {}, std::string_view content_type = kFhirJson) {
  headers.Set("Content-Type", std::string(content_type));
  headers.Set("Cache-Control", "no-store");  // responses hold PHI
  return w.Send(status, std::move(headers), Dump(body, Pretty(req)));
}

// The OperationOutcome answer of an error (HTTP status from the server's one table).
Status SendOutcome(http::HttpResponseWriter& w, const http::HttpRequest& req, const Status& error) {
  int status = http::HttpStatusForCode(error.code());
  std::string_view issue = "exception";
  switch (error.code()) {
    case StatusCode::kInvalidArgument: issue = "invalid"; break;
    case StatusCode::kUnauthenticated: issue = "login"; break;
    case StatusCode::kPermissionDenied: issue = "forbidden"; break;
    case StatusCode::kNotFound: issue = "not-found"; break;
    case StatusCode::kAlreadyExists:
    case StatusCode::kAborted:
    case StatusCode::kFailedPrecondition: issue = "conflict"; break;
    case StatusCode::kResourceExhausted: issue = "throttled"; break;
    case StatusCode::kUnimplemented: issue = "not-supported"; break;
    default: break;
  }
  std::string text = status >= 500 && error.code() != StatusCode::kUnimplemented
                         ? "internal error; the server log has the details"
                         : error.message();
  if (status >= 500 && error.code() != StatusCode::kUnimplemented) {
    Log(LogLevel::kError, "fhir_request_failed",
        {LogField("route", LogId(req.route)), LogField::Error("error", error.ToString())});
  }
  http::HttpHeaders headers;
  if (status == 401) headers.Set("WWW-Authenticate", "Bearer realm=\"medlake\"");
  if (status == 429) headers.Set("Retry-After", "10");
  return SendJson(w, req, status, internal::OperationOutcome("error", issue, text), std::move(headers));
}

// ---- URLs ----

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    bool unreserved = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
                      c == '.' || c == '_' || c == '~' || c == ':';
    if (unreserved) {
      out += c;
    } else {
      auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    }
  }
  return out;
}

std::string QueryString(const internal::SearchParams& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    out += (out.empty() ? "" : "&") + PercentEncode(name) + "=" + PercentEncode(value);
  }
  return out;
}

// ---- request pieces ----

// The parameters of a request in the order sent (query string, then a form body for POST
// _search). InvalidArgument for a bad escape or a value that is not clean text.
Result<internal::SearchParams> RequestParams(const http::HttpRequest& req, bool with_body) {
  internal::SearchParams out;
  auto add = [&](std::string_view text) -> Status {
    size_t start = 0;
    while (start <= text.size()) {
      size_t amp = text.find('&', start);
      if (amp == std::string_view::npos) amp = text.size();
      std::string_view pair = text.substr(start, amp - start);
      start = amp + 1;
      if (pair.empty()) continue;
      size_t eq = pair.find('=');
      MEDLAKE_ASSIGN_OR_RETURN(std::string name, http::PercentDecode(pair.substr(0, eq), true));
      std::string value;
      if (eq != std::string_view::npos) {
        MEDLAKE_ASSIGN_OR_RETURN(value, http::PercentDecode(pair.substr(eq + 1), true));
      }
      if (name.size() > 64 || !internal::IsCleanText(name)) return InvalidArgument("malformed parameter name");
      MEDLAKE_RETURN_IF_ERROR(internal::CheckSearchValue(name, value));
      out.emplace_back(std::move(name), std::move(value));
    }
    return Status::OK();
  };
  MEDLAKE_RETURN_IF_ERROR(add(req.raw_query));
  if (with_body) {
    auto type = req.Header("Content-Type").value_or("");
    if (!req.body.empty() && type.rfind("application/x-www-form-urlencoded", 0) != 0) {
      return InvalidArgument("POST _search takes an application/x-www-form-urlencoded body");
    }
    MEDLAKE_RETURN_IF_ERROR(add(req.body));
  }
  return out;
}

std::optional<std::string> Param(const internal::SearchParams& params, std::string_view name) {
  for (const auto& [n, v] : params) {
    if (n == name) return v;
  }
  return std::nullopt;
}

Result<size_t> SizeParam(const internal::SearchParams& params, std::string_view name, size_t fallback, size_t max) {
  auto v = Param(params, name);
  if (!v) return fallback;
  if (v->empty() || v->size() > 9) return InvalidArgument(std::string(name) + " must be a non-negative integer");
  size_t n = 0;
  for (char c : *v) {
    if (c < '0' || c > '9') return InvalidArgument(std::string(name) + " must be a non-negative integer");
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  return std::min(n, max);
}

// _format: only JSON (FHIR R4 http section 3.1.0.1.10); 406 otherwise is not in the code table,
// so it is a 400 with the reason.
Status CheckFormat(const internal::SearchParams& params) {
  auto f = Param(params, "_format");
  if (!f) return Status::OK();
  if (*f == "json" || *f == "application/json" || *f == "application/fhir+json" ||
      f->rfind("application/fhir+json;", 0) == 0) {
    return Status::OK();
  }
  return InvalidArgument("only JSON is served (_format=json)");
}

bool Strict(const http::HttpRequest& req) {
  for (auto v : req.headers.GetAll("Prefer")) {
    if (v.find("handling=strict") != std::string_view::npos) return true;
  }
  return false;
}

struct Caller {
  std::string user;
  std::string purpose;
  std::string client;
};

Result<Caller> Authenticate(FhirApiContext& ctx, const http::HttpRequest& req) {
  Caller c;
  c.client = "fhir " + req.peer;
  MEDLAKE_ASSIGN_OR_RETURN(c.user, AuthenticateHttp(ctx.auth(), req.Header("Authorization"), c.client));
  auto purpose = req.Header(kPurposeHeader);
  if (purpose && !purpose->empty()) {
    if (purpose->size() > 32) return InvalidArgument("X-Medlake-Purpose: unknown purpose of use");
    for (char ch : *purpose) {
      if (ch < 'a' || ch > 'z') return InvalidArgument("X-Medlake-Purpose: unknown purpose of use");
    }
    c.purpose = std::string(*purpose);
  }
  return c;
}

Result<SessionLease> Lease(FhirApiContext& ctx, const Caller& caller) {
  return ctx.pool().Acquire(caller.user, caller.purpose, caller.client);
}

// ---- Bundles ----

// Takes the resources by value: they are moved into the entries (a copy of a record's ~50
// resources cost ~7% of an $everything).
Json SearchBundle(const FhirApiContext& ctx, std::vector<Json> resources, int64_t total) {
  Json b;
  b["resourceType"] = "Bundle";
  b["type"] = "searchset";
  if (total >= 0) b["total"] = total;
  b["link"] = Json::array();
  b["entry"] = Json::array();
  for (auto& r : resources) {
    Json e = internal::ObjectWithRoom(3);
    e["fullUrl"] = ctx.options().base_url + "/" + r.value("resourceType", "") + "/" + r.value("id", "");
    e["resource"] = std::move(r);
    e["search"] = Json{{"mode", "match"}};
    b["entry"].push_back(std::move(e));
  }
  return b;
}

void AddLinks(Json* bundle, const std::string& url, const internal::SearchParams& applied, size_t offset, size_t count,
              bool more) {
  auto link = [&](const char* relation, size_t at) {
    internal::SearchParams p = applied;
    p.emplace_back("_count", std::to_string(count));
    if (at > 0) p.emplace_back("_offset", std::to_string(at));
    (*bundle)["link"].push_back(Json{{"relation", relation}, {"url", url + "?" + QueryString(p)}});
  };
  link("self", offset);
  link("first", 0);
  if (offset > 0) link("previous", offset > count ? offset - count : 0);
  if (more) link("next", offset + count);
}

// ---- CapabilityStatement ----

std::string Instant(const Clock& clock) {
  int64_t micros = clock.NowMicros();
  std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

Json CapabilityStatement(const FhirApiContext& ctx) {
  auto param = [](const std::string& name, const char* type, const std::string& doc) {
    return Json{{"name", name}, {"type", type}, {"documentation", doc}};
  };
  Json resources = Json::array();
  Json patient;
  patient["type"] = "Patient";
  patient["profile"] = "http://hl7.org/fhir/StructureDefinition/Patient";
  patient["documentation"] =
      "One Patient per enterprise person of the patient index (id = person_id), carrying the identifiers of every "
      "linked source record.";
  patient["interaction"] = Json::array({Json{{"code", "read"}}, Json{{"code", "search-type"}}});
  patient["searchParam"] = Json::array(
      {param("_id", "token", "person id"),
       param("identifier", "token", "system|value, |value or value; any linked source record's identifier"),
       param("name", "string", "family or given name: starts-with (also at a word), :exact, :contains"),
       param("family", "string", "family name(s)"), param("given", "string", "given name"),
       param("birthdate", "date", "eq, ne, gt, lt, ge, le, sa, eb prefixes"),
       param("gender", "token", "male | female | other | unknown")});
  patient["operation"] = Json::array(
      {Json{{"name", "everything"}, {"definition", "http://hl7.org/fhir/OperationDefinition/Patient-everything"}},
       Json{{"name", "export"}, {"definition", "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"}}});
  resources.push_back(std::move(patient));
  for (const auto& spec : internal::ClinicalSpecs()) {
    Json r;
    r["type"] = spec.resource;
    r["profile"] = "http://hl7.org/fhir/StructureDefinition/" + spec.resource;
    r["interaction"] = Json::array({Json{{"code", "read"}}, Json{{"code", "search-type"}}});
    Json params = Json::array({param("_id", "token", "resource id")});
    for (const auto& p : spec.params) {
      const char* type = p.kind == internal::ParamKind::kPatient ? "reference"
                         : p.kind == internal::ParamKind::kDate  ? "date"
                                                                 : "token";
      params.push_back(param(p.name, type, p.documentation));
    }
    r["searchParam"] = std::move(params);
    resources.push_back(std::move(r));
  }
  Json rest;
  rest["mode"] = "server";
  rest["documentation"] =
      "Read-only FHIR R4 view of the lake's normalized layer. Every request runs with the caller's rights: grants, "
      "row filters, column masks and purpose of use (header X-Medlake-Purpose) apply, and reads are audited.";
  rest["security"] = Json{
      {"cors", false},
      {"service",
       Json::array({Json{{"coding", Json::array({Json{{"system",
                                                        "http://terminology.hl7.org/CodeSystem/restful-security-service"},
                                                       {"code", "Basic"}}})},
                         {"text", "Authorization: Bearer <medlake token> or Basic (user:password)"}}})},
      {"description", "Send Authorization: Bearer <token> (CREATE TOKEN) or Basic credentials."}};
  rest["resource"] = std::move(resources);
  rest["interaction"] = Json::array();
  rest["operation"] = Json::array(
      {Json{{"name", "export"}, {"definition", "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"}}});
  Json cs;
  cs["resourceType"] = "CapabilityStatement";
  cs["status"] = "active";
  cs["date"] = Instant(ctx.clock());
  cs["publisher"] = "medlake";
  cs["kind"] = "instance";
  cs["software"] = Json{{"name", "medlake"}};
  cs["implementation"] = Json{{"description", "medlake FHIR API over the normalized layer"},
                              {"url", ctx.options().base_url}};
  cs["fhirVersion"] = "4.0.1";
  cs["format"] = Json::array({"json", "application/fhir+json"});
  cs["rest"] = Json::array({std::move(rest)});
  return cs;
}

// ---- handlers ----

using Handler = std::function<Status(FhirApiContext&, const http::HttpRequest&, http::HttpResponseWriter&)>;

// Errors of `fn` become OperationOutcome responses (while nothing was sent yet).
http::HttpHandler Wrap(FhirApiContext& ctx, Handler fn) {
  return [&ctx, fn = std::move(fn)](const http::HttpRequest& req, http::HttpResponseWriter& w) -> Status {
    Status st = fn(ctx, req, w);
    if (st.ok()) return st;
    if (w.started()) return st;  // the connection loop ends a started response visibly
    return SendOutcome(w, req, st);
  };
}

Status Metadata(FhirApiContext& ctx, const http::HttpRequest& req, http::HttpResponseWriter& w) {
  MEDLAKE_ASSIGN_OR_RETURN(auto params, RequestParams(req, false));
  MEDLAKE_RETURN_IF_ERROR(CheckFormat(params));
  return SendJson(w, req, 200, CapabilityStatement(ctx));
}

Status Search(FhirApiContext& ctx, const http::HttpRequest& req, http::HttpResponseWriter& w) {
  MEDLAKE_ASSIGN_OR_RETURN(Caller caller, Authenticate(ctx, req));
  std::string type(req.PathParam("type"));
  const internal::ResourceSpec* spec = internal::FindClinicalSpec(type);
  if (type != "Patient" && spec == nullptr) return NotFound("resource type " + type + " is not served here");
  MEDLAKE_ASSIGN_OR_RETURN(auto params, RequestParams(req, req.method == "POST"));
  MEDLAKE_RETURN_IF_ERROR(CheckFormat(params));
  const auto& o = ctx.options();
  MEDLAKE_ASSIGN_OR_RETURN(size_t count, SizeParam(params, "_count", o.default_count, o.max_count));
  MEDLAKE_ASSIGN_OR_RETURN(size_t offset, SizeParam(params, "_offset", 0, 100000000));
  bool summary_count = Param(params, "_summary").value_or("") == "count";
  if (summary_count) count = 0;
  MEDLAKE_ASSIGN_OR_RETURN(SessionLease lease, Lease(ctx, caller));
  // The search's statements are audited together (one fdatasync), before the Bundle leaves.
  engine::AuditGroup audit_group(lease.session().access());
  internal::SearchSql sql;
  if (spec == nullptr) {
    MEDLAKE_ASSIGN_OR_RETURN(sql, internal::PatientSearchSql(lease.session(), params));
  } else {
    MEDLAKE_ASSIGN_OR_RETURN(sql, internal::ClinicalSearchSql(lease.session(), *spec, params));
  }
  if (!sql.ignored.empty() && Strict(req)) {
    return InvalidArgument("unsupported search parameter " + sql.ignored.front() + " (Prefer: handling=strict)");
  }
  internal::SearchPage page;
  if (spec == nullptr) {
    MEDLAKE_ASSIGN_OR_RETURN(page, internal::SearchPatients(lease.session(), sql, offset, count, true));
  } else {
    MEDLAKE_ASSIGN_OR_RETURN(page, internal::SearchClinical(lease.session(), *spec, sql, offset, count, true));
  }
  MEDLAKE_RETURN_IF_ERROR(audit_group.End());
  Json bundle = SearchBundle(ctx, std::move(page.resources), page.total);
  AddLinks(&bundle, o.base_url + "/" + type, sql.applied, offset, count, page.more);
  if (bundle["entry"].empty()) bundle.erase("entry");
  return SendJson(w, req, 200, bundle);
}

Status Read(FhirApiContext& ctx, const http::HttpRequest& req, http::HttpResponseWriter& w) {
  MEDLAKE_ASSIGN_OR_RETURN(Caller caller, Authenticate(ctx, req));
  std::string type(req.PathParam("type"));
  std::string id(req.PathParam("id"));
  const internal::ResourceSpec* spec = internal::FindClinicalSpec(type);
  if (type != "Patient" && spec == nullptr) return NotFound("resource type " + type + " is not served here");
  MEDLAKE_ASSIGN_OR_RETURN(auto params, RequestParams(req, false));
  MEDLAKE_RETURN_IF_ERROR(CheckFormat(params));
  const Status not_found = NotFound(type + "/" + (IsValidFhirId(id) ? id : std::string("?")) + " is not known");
  std::optional<Json> resource;
  if (spec == nullptr) {
    if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos) return not_found;
    MEDLAKE_ASSIGN_OR_RETURN(SessionLease lease, Lease(ctx, caller));
    MEDLAKE_ASSIGN_OR_RETURN(resource, internal::ReadPatient(lease.session(), std::stoll(id)));
  } else {
    auto decoded = DecodeResourceId(id);
    if (!decoded) return not_found;
    MEDLAKE_ASSIGN_OR_RETURN(SessionLease lease, Lease(ctx, caller));
    MEDLAKE_ASSIGN_OR_RETURN(resource, internal::ReadClinical(lease.session(), *spec, *decoded));
  }
  if (!resource) return not_found;
  return SendJson(w, req, 200, *resource);
}

Status EverythingHandler(FhirApiContext& ctx, const http::HttpRequest& req, http::HttpResponseWriter& w) {
  MEDLAKE_ASSIGN_OR_RETURN(Caller caller, Authenticate(ctx, req));
  std::string id(req.PathParam("id"));
  const Status not_found = NotFound("Patient/" + (IsValidFhirId(id) ? id : std::string("?")) + " is not known");
  if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos) return not_found;
  MEDLAKE_ASSIGN_OR_RETURN(auto params, RequestParams(req, false));
  MEDLAKE_RETURN_IF_ERROR(CheckFormat(params));
  const auto& o = ctx.options();
  MEDLAKE_ASSIGN_OR_RETURN(size_t count, SizeParam(params, "_count", o.default_count, o.max_count));
  MEDLAKE_ASSIGN_OR_RETURN(size_t offset, SizeParam(params, "_offset", 0, 100000000));
  internal::EverythingOptions options;
  internal::SearchParams applied;
  for (const auto& [name, value] : params) {
    if (name == "_type") {
      MEDLAKE_ASSIGN_OR_RETURN(auto types, internal::SplitOr(name, value));
      bool patient = false;
      for (const auto& t : types) {
        if (t == "Patient") {
          patient = true;
        } else if (internal::FindClinicalSpec(t) != nullptr) {
          options.types.push_back(t);
        } else {
          return InvalidArgument("_type: resource type " + t + " is not served here");
        }
      }
      options.include_patient = patient;
      if (options.types.empty()) options.types.push_back("-");  // only the Patient
      applied.emplace_back(name, value);
    } else if (name == "start" || name == "end") {
      MEDLAKE_ASSIGN_OR_RETURN(internal::DateRange range, internal::ParseDate(name, value));
      if (range.prefix != "eq") return InvalidArgument(name + " takes a date without a prefix");
      range.prefix = name == "start" ? "ge" : "le";
      options.dates.push_back(range);
      applied.emplace_back(name, value);
    } else if (!internal::IsResultParameter(name) && Strict(req)) {
      return InvalidArgument("unsupported $everything parameter " + name + " (Prefer: handling=strict)");
    }
  }
  MEDLAKE_ASSIGN_OR_RETURN(SessionLease lease, Lease(ctx, caller));
  // The record's statements (the person's keys, the patient, each type) are audited together
  // (one fdatasync), before the Bundle leaves.
  engine::AuditGroup audit_group(lease.session().access());
  MEDLAKE_ASSIGN_OR_RETURN(int64_t person, internal::ResolvePerson(lease.session(), std::stoll(id)));
  MEDLAKE_ASSIGN_OR_RETURN(auto page, internal::Everything(lease.session(), person, options, offset, count));
  MEDLAKE_RETURN_IF_ERROR(audit_group.End());
  if (!page.patient) return not_found;
  Json bundle = SearchBundle(ctx, std::move(page.resources), page.total);
  if (!page.skipped.empty() && offset == 0) {
    std::string text = "not readable by this user, left out:";
    for (const auto& t : page.skipped) text += " " + t;
    bundle["entry"].push_back(Json{{"resource", internal::OperationOutcome("warning", "forbidden", text)},
                                   {"search", Json{{"mode", "outcome"}}}});
  }
  AddLinks(&bundle, o.base_url + "/Patient/" + std::to_string(person) + "/$everything", applied, offset, count,
           page.more);
  if (bundle["entry"].empty()) bundle.erase("entry");
  return SendJson(w, req, 200, bundle);
}

// ---- bulk export ----

std::vector<std::string> AllTypes() {
  std::vector<std::string> out{"Patient"};
  for (const auto& s : internal::ClinicalSpecs()) out.push_back(s.resource);
  return out;
}

Status KickOff(FhirApiContext& ctx, const http::HttpRequest& req, http::HttpResponseWriter& w, bool patient_level) {
  MEDLAKE_ASSIGN_OR_RETURN(Caller caller, Authenticate(ctx, req));
  bool async = false;
  for (auto v : req.headers.GetAll("Prefer")) {
    if (v.find("respond-async") != std::string_view::npos) async = true;
  }
  if (!async) return InvalidArgument("$export runs asynchronously: send Prefer: respond-async");
  if (auto accept = req.Header("Accept")) {
    if (accept->find("fhir+json") == std::string_view::npos && accept->find("application/json") == std::string_view::npos &&
        accept->find("*/*") == std::string_view::npos) {
      return InvalidArgument("Accept must allow application/fhir+json");
    }
  }
  if (!req.body.empty()) return InvalidArgument("send $export parameters in the query string");
  MEDLAKE_ASSIGN_OR_RETURN(auto params, RequestParams(req, false));
  internal::ExportRequest request;
  request.user = caller.user;
  request.purpose = caller.purpose;
  request.client = caller.client + " $export";
  request.patient_level = patient_level;
  request.request_url = ctx.options().base_url + (patient_level ? "/Patient" : "") + "/$export" +
                        (req.raw_query.empty() ? "" : "?" + QueryString(params));
  for (const auto& [name, value] : params) {
    if (name == "_outputFormat") {
      if (value != "application/fhir+ndjson" && value != "application/ndjson" && value != "ndjson") {
        return InvalidArgument("_outputFormat: only application/fhir+ndjson is produced");
      }
    } else if (name == "_type") {
      MEDLAKE_ASSIGN_OR_RETURN(auto types, internal::SplitOr(name, value));
      for (const auto& t : types) {
        if (t != "Patient" && internal::FindClinicalSpec(t) == nullptr) {
          return InvalidArgument("_type: resource type " + t + " is not exported by this server");
        }
        if (std::find(request.types.begin(), request.types.end(), t) == request.types.end()) {
          request.types.push_back(t);
        }
      }
    } else if (name == "_since") {
      MEDLAKE_ASSIGN_OR_RETURN(internal::DateRange range, internal::ParseDate(name, value));
      if (range.prefix != "eq") return InvalidArgument("_since takes an instant without a prefix");
      request.since_sql = range.lo_sql;
    } else if (name == "_typeFilter" || name == "_elements" || name == "patient" || name == "includeAssociatedData") {
      return InvalidArgument("$export parameter " + name + " is not supported");
    } else if (Strict(req)) {
      return InvalidArgument("unsupported $export parameter " + name + " (Prefer: handling=strict)");
    }
  }
  if (request.types.empty()) request.types = AllTypes();
  MEDLAKE_ASSIGN_OR_RETURN(std::string job, ctx.exports().Start(std::move(request)));
  http::HttpHeaders headers;
  headers.Set("Content-Location", ctx.options().base_url + "/$export-status/" + job);
  return SendJson(w, req, 202, internal::OperationOutcome("information", "informational", "export job " + job + " queued"),
                  std::move(headers));
}

Status ExportStatusHandler(FhirApiContext& ctx, const http::HttpRequest& req, http::HttpResponseWriter& w) {
  MEDLAKE_ASSIGN_OR_RETURN(Caller caller, Authenticate(ctx, req));
  std::string job(req.PathParam("job"));
  if (req.method == "DELETE") {
    MEDLAKE_RETURN_IF_ERROR(ctx.exports().Delete(job, caller.user));
    return SendJson(w, req, 202, internal::OperationOutcome("information", "informational", "export job deleted"));
  }
  MEDLAKE_ASSIGN_OR_RETURN(internal::ExportStatus status, ctx.exports().Get(job, caller.user));
  using State = internal::ExportStatus::State;
  if (status.state == State::kQueued || status.state == State::kRunning) {
    http::HttpHeaders headers;
    headers.Set("X-Progress", status.progress);
    headers.Set("Retry-After", "2");
    headers.Set("Cache-Control", "no-store");
    return w.Send(202, std::move(headers), "");
  }
  if (status.state == State::kFailed) {
    return SendJson(w, req, 500, internal::OperationOutcome("error", "exception", "export failed: " + status.error));
  }
  const std::string files = ctx.options().base_url + "/$export-file/" + job + "/";
  Json manifest;
  manifest["transactionTime"] = status.transaction_time;
  manifest["request"] = status.request_url;
  manifest["requiresAccessToken"] = true;
  manifest["output"] = Json::array();
  for (const auto& out : status.outputs) {
    manifest["output"].push_back(Json{{"type", out.type}, {"url", files + out.file}, {"count", out.count}});
  }
  manifest["error"] = Json::array();
  for (const auto& out : status.errors) {
    manifest["error"].push_back(Json{{"type", out.type}, {"url", files + out.file}, {"count", out.count}});
  }
  http::HttpHeaders headers;
  headers.Set("Expires", "0");
  return SendJson(w, req, 200, manifest, std::move(headers), "application/json");
}

Status ExportFile(FhirApiContext& ctx, const http::HttpRequest& req, http::HttpResponseWriter& w) {
  MEDLAKE_ASSIGN_OR_RETURN(Caller caller, Authenticate(ctx, req));
  MEDLAKE_ASSIGN_OR_RETURN(internal::ExportManager::File file,
                           ctx.exports().FindFile(std::string(req.PathParam("job")), caller.user,
                                                  std::string(req.PathParam("file"))));
  // The rows were read under the kick-off's purpose and the user's rights then: a download
  // declares the same purpose, and the user must still be allowed to read the resource's table
  // now (checked, and audited, by a statement on it that reads no rows).
  if (caller.purpose != file.purpose) {
    return PermissionDenied("this export was made for another purpose of use: download it with the same " +
                            std::string(kPurposeHeader));
  }
  if (!file.type.empty()) {
    const internal::ResourceSpec* spec = internal::FindClinicalSpec(file.type);
    const std::string table = spec != nullptr ? spec->table : std::string(internal::kPersonTable);
    MEDLAKE_ASSIGN_OR_RETURN(SessionLease lease, Lease(ctx, caller));
    MEDLAKE_RETURN_IF_ERROR(internal::QueryInt(lease.session(), "SELECT count(*) FROM " + table + " WHERE false", 0).status());
  }
  std::ifstream in(file.path, std::ios::binary);
  if (!in) return NotFound("the export file is gone");
  http::HttpHeaders headers;
  headers.Set("Content-Type", "application/fhir+ndjson");
  headers.Set("Cache-Control", "no-store");
  MEDLAKE_RETURN_IF_ERROR(w.Begin(200, std::move(headers)));
  std::string buffer(64 * 1024, '\0');
  while (w.body_allowed()) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    std::streamsize n = in.gcount();
    if (n <= 0) break;
    MEDLAKE_RETURN_IF_ERROR(w.Write(std::string_view(buffer.data(), static_cast<size_t>(n))));
  }
  if (in.bad()) return IOError("reading an export file");
  return w.Finish();
}

Status Unknown(FhirApiContext&, const http::HttpRequest& req, http::HttpResponseWriter&) {
  if (req.method == "GET" || req.method == "HEAD") return NotFound("no FHIR interaction at this path");
  return Unimplemented("this FHIR API is read-only: read, search, $everything and $export");
}

}  // namespace

FhirApiContext::FhirApiContext(Authenticator& auth, SessionPool& pool, FhirApiOptions options)
    : auth_(auth),
      pool_(pool),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &SystemClock::Default()),
      exports_(std::make_unique<internal::ExportManager>(pool, options_.export_dir, options_.max_running_exports,
                                                         options_.max_queued_exports, options_.max_kept_exports,
                                                         *clock_)) {}

FhirApiContext::~FhirApiContext() = default;

Status RegisterFhirRoutes(http::Router& router, FhirApiContext& ctx) {
  const std::string& p = ctx.options().path_prefix;
  if (p.empty() || p.front() != '/' || p.back() == '/') {
    return InvalidArgument("FHIR path prefix must start with '/' and not end with one");
  }
  const std::string& base = ctx.options().base_url;
  if (base.empty() || base.back() == '/' || base.find("://") == std::string::npos) {
    return InvalidArgument("FHIR base URL must be absolute and not end with '/'");
  }
  auto add = [&](const char* method, const std::string& pattern, Handler h) {
    return router.Add(method, p + pattern, Wrap(ctx, std::move(h)));
  };
  auto kick_system = [](FhirApiContext& c, const http::HttpRequest& r, http::HttpResponseWriter& w) {
    return KickOff(c, r, w, false);
  };
  auto kick_patient = [](FhirApiContext& c, const http::HttpRequest& r, http::HttpResponseWriter& w) {
    return KickOff(c, r, w, true);
  };
  auto group = [](FhirApiContext& c, const http::HttpRequest& r, http::HttpResponseWriter&) -> Status {
    MEDLAKE_RETURN_IF_ERROR(Authenticate(c, r).status());
    return Unimplemented(
        "Group-level $export is not supported: the lake has no Group resources (use Patient/$export or $export "
        "with _type)");
  };
  MEDLAKE_RETURN_IF_ERROR(add("GET", "/metadata", Metadata));
  MEDLAKE_RETURN_IF_ERROR(add("GET", "/{type}", Search));
  MEDLAKE_RETURN_IF_ERROR(add("POST", "/{type}/_search", Search));
  MEDLAKE_RETURN_IF_ERROR(add("GET", "/{type}/{id}", Read));
  MEDLAKE_RETURN_IF_ERROR(add("GET", "/Patient/{id}/$everything", EverythingHandler));
  for (const char* m : {"GET", "POST"}) {
    MEDLAKE_RETURN_IF_ERROR(add(m, "/$export", kick_system));
    MEDLAKE_RETURN_IF_ERROR(add(m, "/Patient/$export", kick_patient));
    MEDLAKE_RETURN_IF_ERROR(add(m, "/Group/{id}/$export", group));
  }
  MEDLAKE_RETURN_IF_ERROR(add("GET", "/$export-status/{job}", ExportStatusHandler));
  MEDLAKE_RETURN_IF_ERROR(add("DELETE", "/$export-status/{job}", ExportStatusHandler));
  MEDLAKE_RETURN_IF_ERROR(add("GET", "/$export-file/{job}/{file}", ExportFile));
  for (const char* m : {"GET", "POST", "PUT", "DELETE", "PATCH"}) {
    MEDLAKE_RETURN_IF_ERROR(add(m, "/{rest...}", Unknown));
  }
  return Status::OK();
}

}  // namespace medlake::server::fhir
