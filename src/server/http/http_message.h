// server/http/http_message.h: HTTP/1.1 request parsing (RFC 9112) and URL decoding.
//
// Part of server/http (see README.md). `HttpRequestParser` turns the bytes of one connection into
// requests, one at a time, however the bytes are split into reads. It enforces hard limits so that
// no input can make it buffer without bound, and every malformed input ends in an `HttpParseError`
// carrying the status the server answers with (400, 413, 414, 417, 431, 501, 505). After an error
// the connection cannot be resynchronised: the server answers and closes.
//
// The parser is deliberately strict where leniency enables request smuggling (RFC 9112 section
// 11.2): bare CR or LF line endings, obsolete line folding, whitespace before a header colon,
// Transfer-Encoding together with Content-Length, conflicting Content-Length values and
// Transfer-Encoding in HTTP/1.0 are all rejected with 400.
//
// Thread-safety: HttpHeaders and ParsedRequest are values; an HttpRequestParser belongs to one
// connection thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace medlake::server::http {

// Hard limits of one request. Defaults suit a REST/FHIR API; uploads that need more raise
// max_body_bytes for the whole server.
struct HttpLimits {
  // The request line (method, target, version); longer is 414 URI Too Long.
  size_t max_request_line_bytes = 8 * 1024;
  // Request line plus header section (and, separately, the trailer section); more is 431.
  size_t max_header_bytes = 64 * 1024;
  // Header fields (and, separately, trailer fields); more is 431.
  size_t max_header_count = 100;
  // Decoded body; more is 413 (checked against Content-Length before any body byte is read).
  size_t max_body_bytes = 64 * 1024 * 1024;
  // One chunk-size line with its extensions; longer is 400.
  size_t max_chunk_line_bytes = 4 * 1024;
};

// Header fields in the order received. Lookups ignore ASCII case (RFC 9110 section 5.1).
class HttpHeaders {
 public:
  // Appends a field; names and values are kept as given.
  void Add(std::string name, std::string value);
  // Replaces every field called `name` with one field (appended at the end).
  void Set(std::string_view name, std::string value);
  // Removes every field called `name`.
  void Remove(std::string_view name);
  // The first value of `name`, or nullopt. The view lives as long as this object is unchanged.
  std::optional<std::string_view> Get(std::string_view name) const;
  // Every value of `name`, in order.
  std::vector<std::string_view> GetAll(std::string_view name) const;
  size_t Count(std::string_view name) const;
  bool Has(std::string_view name) const { return Count(name) > 0; }
  // True when the comma-separated list value(s) of `name` contain `token` (ASCII case
  // ignored), e.g. HasToken("Connection", "close").
  bool HasToken(std::string_view name, std::string_view token) const;

  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

// True when `a` and `b` are equal ignoring ASCII case.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// One request as read off the wire (framing removed, nothing routed yet).
struct ParsedRequest {
  std::string method;     // case-sensitive token, e.g. "GET"
  std::string target;     // the request-target as sent (origin form after absolute form)
  std::string raw_path;   // the path of the target, still percent-encoded ("*" for OPTIONS *)
  std::string raw_query;  // after '?', without it; empty if none
  int version_minor = 1;  // HTTP/1.<version_minor>: 0 or 1
  HttpHeaders headers;
  HttpHeaders trailers;          // fields after a chunked body (not merged into headers)
  std::string body;              // decoded (chunked framing removed)
  bool keep_alive = true;        // the connection may carry another request after this one
  bool expect_continue = false;  // "Expect: 100-continue" on an HTTP/1.1 request
  bool chunked = false;          // the body came with Transfer-Encoding: chunked
};

// Why a request was refused, and the status to answer with. The message names the rule broken
// (never echoes header values back).
struct HttpParseError {
  int http_status = 400;
  std::string message;
};

// Incremental request parser. Typical loop (see http_server.cc):
//
//   size_t used = parser.Feed(bytes);      // consumes at most one request
//   if (parser.failed()) -> answer parser.error(), close
//   if (parser.headers_complete() && !parser.complete()) -> maybe 100 Continue, read more
//   if (parser.complete()) -> handle parser.TakeRequest(); parser.Reset(); feed bytes[used..]
//
// Feed() stops at the end of a request, so bytes of a pipelined next request stay with the
// caller. Memory held is bounded by the limits (body included).
class HttpRequestParser {
 public:
  explicit HttpRequestParser(HttpLimits limits = {});

  // Consumes bytes of the current request from `data` and returns how many were consumed. Returns
  // 0 once the request is complete or the parser has failed.
  size_t Feed(std::string_view data);

  // The request line and header section are parsed and valid; the request fields except body
  // and trailers may be read through request().
  bool headers_complete() const;
  // The whole request (body included) is parsed.
  bool complete() const { return state_ == State::kComplete; }
  bool failed() const { return state_ == State::kError; }
  // True when no byte of a request has been consumed since construction or Reset() (leading
  // empty lines do not count). The server uses it to tell an idle connection from a slow one.
  bool idle() const { return state_ == State::kStart; }

  // Precondition: failed().
  const HttpParseError& error() const { return error_; }
  // The request being parsed; complete once complete().
  const ParsedRequest& request() const { return request_; }
  // Moves the completed request out. Precondition: complete(). Call Reset() before Feed().
  ParsedRequest TakeRequest();
  // Forgets everything and waits for a new request (limits as at construction).
  void Reset();

  // Sets the body limit of the current request once its headers are known (per-route limits:
  // the parser is built with the largest, the server narrows it per request). Fails the parser
  // with 413 at once when the announced Content-Length or the body received so far is larger.
  // Reset() restores the limit given at construction. Precondition: headers_complete().
  void SetMaxBodyBytes(size_t max_body_bytes);

 private:
  enum class State {
    kStart,  // skipping empty lines before the request line (RFC 9112 section 2.2)
    kRequestLine,
    kHeaderLine,
    kBodyIdentity,  // Content-Length body
    kChunkSize,
    kChunkData,
    kChunkDataCr,  // the CRLF after chunk data
    kChunkDataLf,
    kTrailerLine,
    kComplete,
    kError,
  };

  // Appends `c` to the current line; returns true when the line (without CRLF) is complete.
  // On a malformed line ending or a too-long line, fails the parser and returns false.
  bool AppendLineChar(char c, size_t max_line, int too_long_status, std::string_view what);
  void Fail(int http_status, std::string message);
  void ParseRequestLine();
  void ParseHeaderLine(HttpHeaders* into, size_t* count);
  void FinishHeaders();
  void ParseChunkSize();

  HttpLimits limits_;
  size_t base_max_body_bytes_;  // limits_.max_body_bytes as constructed
  State state_ = State::kStart;
  std::string line_;
  size_t header_bytes_ = 0;  // bytes of the request line and header section so far
  size_t header_count_ = 0;
  size_t trailer_bytes_ = 0;
  size_t trailer_count_ = 0;
  uint64_t body_remaining_ = 0;  // identity body or current chunk
  bool saw_cr_ = false;          // the last byte of line_ was a CR (kept out of line_)
  ParsedRequest request_;
  HttpParseError error_;
};

// Decodes %XX escapes of a URL component. With `plus_as_space` (query strings and form bodies),
// '+' becomes a space. InvalidArgument for a '%' not followed by two hex digits.
Result<std::string> PercentDecode(std::string_view text, bool plus_as_space);

// Parses "a=1&b=x%20y&a=2" (a query string or an application/x-www-form-urlencoded body, per the
// WHATWG URL standard's urlencoded parser): pairs split on '&', name and value on the first '=',
// '+' as space, %XX decoded; empty pairs are skipped; a name without '=' gets an empty value.
// InvalidArgument for a bad escape.
Result<std::multimap<std::string, std::string>> ParseUrlEncoded(std::string_view text);

// Splits a raw (encoded) path into its decoded segments: "/a/b%20c/" -> {"a", "b c", ""}.
// InvalidArgument when the path does not start with '/', has a bad escape, decodes to a NUL byte,
// or has a "." or ".." segment (encoded or not): clients normalize dot segments before sending
// (RFC 3986 section 5.2.4), and refusing them keeps path parameters from ever walking up a tree.
Result<std::vector<std::string>> SplitPath(std::string_view raw_path);

// The reason phrase of a status code ("Not Found"), or "Unknown".
std::string_view HttpReasonPhrase(int status);

}  // namespace medlake::server::http
