#include "server/rest/openapi.h"

#include <nlohmann/json.hpp>

namespace medlake::server {
namespace {

using nlohmann::json;

json ErrorResponses() {
  json err = {{"description", "error"},
              {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
  return {{"400", err}, {"401", err}, {"403", err}, {"404", err}, {"500", err}};
}

json JsonOk(const std::string& description, const json& schema = {{"type", "object"}}) {
  json r = ErrorResponses();
  r["200"] = {{"description", description}, {"content", {{"application/json", {{"schema", schema}}}}}};
  return r;
}

json PathParam(const std::string& name, const std::string& description) {
  return {{"name", name}, {"in", "path"}, {"required", true}, {"description", description}, {"schema", {{"type", "string"}}}};
}

json QueryParam(const std::string& name, const std::string& type, const std::string& description) {
  return {{"name", name}, {"in", "query"}, {"required", false}, {"description", description}, {"schema", {{"type", type}}}};
}

json Build() {
  json rows = {{"type", "array"}, {"items", {{"type", "object"}}}};
  json doc;
  doc["openapi"] = "3.0.3";
  doc["info"] = {{"title", "medlake REST API"},
                 {"version", "1"},
                 {"description",
                  "SQL, catalog, lineage, quality, audit and ingestion over a medlake lake. Every call runs with the "
                  "caller's grants, row filters, column masks and purpose of use (header X-Medlake-Purpose), and is "
                  "audited."}};
  doc["components"]["securitySchemes"] = {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
                                          {"basic", {{"type", "http"}, {"scheme", "basic"}}}};
  doc["components"]["schemas"]["Error"] = {
      {"type", "object"},
      {"properties",
       {{"error",
         {{"type", "object"},
          {"properties",
           {{"code", {{"type", "integer"}}}, {"status", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}}};
  doc["security"] = json::array({{{"bearer", json::array()}}, {{"basic", json::array()}}});
  json purpose = {{"name", "X-Medlake-Purpose"},
                  {"in", "header"},
                  {"required", false},
                  {"description", "declared purpose of use: treatment, management or research"},
                  {"schema", {{"type", "string"}}}};
  auto& p = doc["paths"];
  p["/api/v1"]["get"] = {{"summary", "index: server version, the caller, links"}, {"responses", JsonOk("index")}};
  p["/api/v1/openapi.json"]["get"] = {{"summary", "this document"}, {"security", json::array()},
                                      {"responses", JsonOk("OpenAPI document")}};
  json sql_body = {{"type", "object"},
                   {"required", {"sql"}},
                   {"properties",
                    {{"sql", {{"type", "string"}, {"description", "one or more statements; rows of the last one"}}},
                     {"format", {{"type", "string"}, {"enum", {"json", "ndjson", "csv"}}}}}}};
  json sql_responses = ErrorResponses();
  sql_responses["200"] = {
      {"description", "rows, streamed (chunked)"},
      {"content",
       {{"application/json", {{"schema", {{"type", "object"}}}}},
        {"application/x-ndjson", {{"schema", {{"type", "string"}}}}},
        {"text/csv", {{"schema", {{"type", "string"}}}}}}}};
  p["/api/v1/sql"]["post"] = {
      {"summary", "run SQL"},
      {"parameters", {purpose, QueryParam("format", "string", "json (default), ndjson or csv; or use Accept")}},
      {"requestBody",
       {{"required", true},
        {"content", {{"application/json", {{"schema", sql_body}}}, {"text/plain", {{"schema", {{"type", "string"}}}}}}}}},
      {"responses", sql_responses}};
  p["/api/v1/namespaces"]["get"] = {{"summary", "namespaces the caller may see"},
                                    {"parameters", {purpose}},
                                    {"responses", JsonOk("namespaces", {{"type", "object"}, {"properties", {{"namespaces", rows}}}})}};
  p["/api/v1/namespaces/{ns}/tables"]["get"] = {
      {"summary", "tables of a namespace, with descriptions, owners and tags"},
      {"parameters", {PathParam("ns", "namespace"), purpose}},
      {"responses", JsonOk("tables", {{"type", "object"}, {"properties", {{"tables", rows}}}})}};
  p["/api/v1/tables/{ns}/{table}"]["get"] = {
      {"summary", "one table with its columns (types, descriptions, tags)"},
      {"parameters", {PathParam("ns", "namespace"), PathParam("table", "table"), purpose}},
      {"responses", JsonOk("table")}};
  p["/api/v1/tables/{ns}/{table}/snapshots"]["get"] = {
      {"summary", "Iceberg snapshots of a table"},
      {"parameters", {PathParam("ns", "namespace"), PathParam("table", "table"), purpose}},
      {"responses", JsonOk("snapshots", {{"type", "object"}, {"properties", {{"snapshots", rows}}}})}};
  p["/api/v1/lineage"]["get"] = {{"summary", "column-level lineage edges"},
                                 {"parameters", {QueryParam("table", "string", "namespace.table: edges into and out of it"), purpose}},
                                 {"responses", JsonOk("edges", {{"type", "object"}, {"properties", {{"edges", rows}}}})}};
  p["/api/v1/quality"]["get"] = {
      {"summary", "data quality results, latest first"},
      {"parameters", {QueryParam("table", "string", "model (namespace.table)"), QueryParam("limit", "integer", "at most (default 500)"), purpose}},
      {"responses", JsonOk("results", {{"type", "object"}, {"properties", {{"results", rows}}}})}};
  p["/api/v1/audit"]["get"] = {
      {"summary", "audit records (auditors only)"},
      {"parameters", {QueryParam("from_seq", "integer", "first sequence number (default 1)"),
                      QueryParam("limit", "integer", "at most (default 1000)"), purpose}},
      {"responses", JsonOk("records", {{"type", "object"}, {"properties", {{"records", rows}}}})}};
  p["/api/v1/ingest/{kind}"]["post"] = {
      {"summary", "load the body into the raw layer: fhir (Bundle, resource or NDJSON) or hl7 (messages)"},
      {"parameters", {PathParam("kind", "fhir or hl7"), purpose}},
      {"requestBody", {{"required", true}, {"content", {{"application/octet-stream", {{"schema", {{"type", "string"}}}}}}}}},
      {"responses", JsonOk("load summary: received, accepted, quarantined")}};
  return doc;
}

}  // namespace

const std::string& OpenApiDocument() {
  static const std::string doc = Build().dump(2);
  return doc;
}

}  // namespace medlake::server
