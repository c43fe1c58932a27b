#include "server/rest/sql_stream.h"

#include <nlohmann/json.hpp>

#include "core/json_depth.h"

namespace medlake::server {

Result<SqlRequest> ParseSqlRequest(const http::HttpRequest& request) {
  SqlRequest out;
  std::string content_type(request.Header("Content-Type").value_or(""));
  for (char& c : content_type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::optional<std::string> format_name;
  if (content_type.rfind("application/json", 0) == 0) {
    if (!JsonNestingWithin(request.body, 64)) return InvalidArgument("the body is nested too deeply");
    nlohmann::json j = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return InvalidArgument("the body is not a JSON object");
    if (!j.contains("sql") || !j["sql"].is_string()) return InvalidArgument("the body needs a string \"sql\"");
    out.sql = j["sql"].get<std::string>();
    if (j.contains("format")) {
      if (!j["format"].is_string()) return InvalidArgument("\"format\" must be a string");
      format_name = j["format"].get<std::string>();
    }
    if (j.contains("max_rows")) {
      if (!j["max_rows"].is_number_integer()) return InvalidArgument("\"max_rows\" must be an integer");
      out.max_rows = j["max_rows"].get<int64_t>();
    }
  } else {
    out.sql = request.body;
  }
  if (auto q = request.QueryParam("format")) format_name = std::string(*q);
  if (format_name) {
    MEDLAKE_ASSIGN_OR_RETURN(out.format, http::ResultFormatFromName(*format_name));
  } else if (auto accept = request.Header("Accept")) {
    out.format = http::ResultFormatFromAccept(*accept).value_or(http::ResultFormat::kJson);
  }
  if (out.sql.find_first_not_of(" \t\r\n;") == std::string::npos) return InvalidArgument("no SQL in the request");
  return out;
}

Status StreamSql(engine::LakeSession& session, const SqlRequest& request, http::HttpResponseWriter& out) {
  MEDLAKE_ASSIGN_OR_RETURN(auto statements, engine::SplitStatements(request.sql));
  if (statements.empty()) return InvalidArgument("no SQL in the request");
  for (size_t i = 0; i < statements.size(); ++i) {
    const bool last = i + 1 == statements.size();
    Status st = session.Run(statements[i], [&](size_t, engine::StatementOutcome& o) -> Status {
      if (!last) return Status::OK();  // earlier statements' rows are not read
      if (o.rows) {
        http::ResultStreamOptions options;
        options.format = request.format;
        options.max_rows = request.max_rows;
        return http::StreamQueryResult(*o.rows, options, out).status();
      }
      nlohmann::json j = {{"statement", statements[i].substr(0, statements[i].find_first_of(" \t\r\n("))}};
      if (o.rows_changed) j["rows_changed"] = *o.rows_changed;
      if (!o.message.empty()) j["message"] = o.message;
      return out.SendJson(200, j.dump());
    });
    if (!st.ok()) {
      if (statements.size() > 1 && !out.started()) {
        return Status(st.code(), "statement " + std::to_string(i + 1) + ": " + st.message());
      }
      return st;
    }
  }
  return Status::OK();
}

}  // namespace medlake::server
