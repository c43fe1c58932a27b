// server/http/http_server.h: requests, responses (whole or streamed), routing and the
// keep-alive loop of one HTTP/1.1 connection.
//
// Part of server/http (see README.md). The lead's listener (server/net) accepts TCP or TLS
// connections and hands each to ServeHttpConnection() on its own thread; this file knows nothing
// about sockets. Handlers are plain functions returning Status (no exceptions): an error that
// has not reached the wire yet becomes a JSON error response whose HTTP status comes from
// HttpStatusForCode(); one that happens after bytes were sent ends the response visibly (the
// chunked body is cut off without its last chunk and the connection is closed).
//
// Error body shape (every error this layer produces):
//   {"error": {"code": 404, "status": "NotFound", "message": "no route for this path"}}
// `code` is the HTTP status, `status` the medlake StatusCode name; 5xx messages are generic.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "server/http/http_message.h"
#include "server/net/stream.h"

namespace medlake::server::http {

// A routed request, as handlers see it. Plain data; owned by the connection loop and valid for
// the duration of the handler call.
struct HttpRequest {
  std::string method;
  std::string path;                                // decoded: "/tables/a b" for "/tables/a%20b"
  std::string raw_path;                            // as sent, still percent-encoded
  std::string raw_query;                           // as sent, without '?'
  std::multimap<std::string, std::string> query;   // decoded query parameters
  std::map<std::string, std::string> path_params;  // {name} and {rest...} captures, decoded
  std::string route;  // the matched pattern, e.g. "/tables/{ns}/{table}"
  HttpHeaders headers;
  HttpHeaders trailers;
  std::string body;
  std::string peer;  // "ip:port" of the client
  bool is_tls = false;
  int version_minor = 1;  // HTTP/1.<version_minor>

  // First value of a header, or nullopt.
  std::optional<std::string_view> Header(std::string_view name) const { return headers.Get(name); }
  // First value of a query parameter, or nullopt.
  std::optional<std::string_view> QueryParam(std::string_view name) const;
  // A path parameter, or "" when the route has none by that name.
  std::string_view PathParam(std::string_view name) const;
};

// How the HTTP status of an error response follows from a Status code:
// InvalidArgument 400, Unauthenticated 401, PermissionDenied 403, NotFound 404,
// AlreadyExists/Aborted/FailedPrecondition 409 (a conflict with the current state: retry or fix
// the state), ResourceExhausted 429, Unimplemented 501, everything else (DataLoss, IOError,
// Internal) 500. This is the one table; REST, FHIR and Iceberg handlers share it.
int HttpStatusForCode(StatusCode code);

// The JSON error body described in the file comment. `message` is escaped; nothing is added.
std::string ErrorJson(int http_status, std::string_view status_name, std::string_view message);

namespace internal {
class ConnectionLoop;
}  // namespace internal

// Lets a graceful shutdown stop every HTTP connection: RequestStop() closes connections that are
// waiting for a request at once (their stream is shut down) and makes busy ones close after the
// response in progress, which goes out with Connection: close. Connections started afterwards
// close without reading.
//
// Lifetime: must outlive every ServeHttpConnection() call given it. Thread-safety: all methods
// may be called from any thread.
class HttpShutdownSignal {
 public:
  // Idempotent.
  void RequestStop();
  bool stop_requested() const { return stop_.load(std::memory_order_acquire); }

 private:
  friend class internal::ConnectionLoop;
  // Marks `stream` idle; false when a stop was requested (the caller then closes).
  bool EnterIdle(net::Stream* stream);
  void LeaveIdle(net::Stream* stream);

  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::unordered_set<net::Stream*> idle_;  // guarded by mu_
};

struct HttpResponseOptions {
  bool head = false;      // the request was HEAD: headers only, never a body
  int version_minor = 1;  // 0: streamed bodies are not chunked and end with the connection
  bool close = false;     // announce Connection: close (the loop closes after the response)
  size_t flush_bytes = 64 * 1024;  // streamed bytes buffered before one chunk goes out
  const Clock* clock = nullptr;    // when set, a Date header is sent (RFC 9110 section 6.6.1)
  // When set and a stop was requested by the time the header block is built, the response
  // announces Connection: close (a handler may run for a while after the stop).
  const HttpShutdownSignal* shutdown = nullptr;
};

// Writes one response to a stream, either whole (Send*) or streamed (Begin, Write..., Finish).
//
// Streaming uses chunked transfer coding (HTTP/1.1) and buffers `flush_bytes` of data before
// writing one chunk, so that many small Write() calls do not become many small packets; the
// header block goes out with the first chunk. Flush() forces buffered data out (for long-lived
// streams). Once the stream fails (the client is gone) every later call returns the same IOError,
// so producers stop early.
//
// Headers given by handlers must not carry framing: Content-Length, Transfer-Encoding and
// Connection are set by the writer and dropped if given. A header name that is not a token or a
// value with CR, LF or NUL is refused with InvalidArgument (nothing is written).
//
// Ownership: `stream` must outlive the writer. Thread-safety: one thread.
class HttpResponseWriter {
 public:
  HttpResponseWriter(net::Stream& stream, HttpResponseOptions options);
  HttpResponseWriter(const HttpResponseWriter&) = delete;
  HttpResponseWriter& operator=(const HttpResponseWriter&) = delete;

  // Sends a complete response with Content-Length. FailedPrecondition if a response was already
  // started; InvalidArgument for a status outside 200..599 or a bad header; IOError if the
  // stream failed.
  Status Send(int status, HttpHeaders headers, std::string_view body);
  // Send() with Content-Type: application/json.
  Status SendJson(int status, std::string_view json);
  // Sends `error` as a JSON error (status from HttpStatusForCode). Messages of 5xx errors are
  // replaced by a generic text: internal details never reach the client. A 401 carries
  // WWW-Authenticate: Bearer.
  Status SendError(const Status& error);
  // Sends a JSON error with an explicit HTTP status (for protocol errors: 405, 413, 431...).
  Status SendError(int http_status, std::string_view status_name, std::string_view message,
                   HttpHeaders extra_headers = {});

  // Starts a streamed response. Same errors as Send().
  Status Begin(int status, HttpHeaders headers);
  // Appends body bytes (buffered). FailedPrecondition before Begin() or after Finish(); IOError
  // when the client is gone. Data is dropped silently when no body is allowed (HEAD, 204, 304):
  // check body_allowed() to skip producing it.
  Status Write(std::string_view data);
  // Writes buffered data now (headers included). No effect before Begin().
  Status Flush();
  // Writes what is buffered and ends the body. Idempotent after success.
  Status Finish();

  // Announces Connection: close; effective when called before Send/Begin.
  void SetCloseConnection() { options_.close = true; }

  bool started() const { return state_ != State::kIdle; }
  bool finished() const { return state_ == State::kFinished; }
  bool failed() const { return !write_error_.ok(); }
  // True once any byte of the response reached the stream (then it can no longer be replaced
  // by an error response).
  bool headers_sent() const { return headers_sent_; }
  // False for HEAD requests and for 204/304 responses.
  bool body_allowed() const;
  // The connection must be closed after this response (asked for, HTTP/1.0 streaming, failure).
  bool closes_connection() const { return options_.close || failed(); }
  int status() const { return status_; }
  // Bytes written to the stream so far (header block included).
  uint64_t bytes_out() const { return bytes_out_; }

  // For the connection loop: forgets a started response none of whose bytes were sent, so an
  // error response can replace it. Returns false (and changes nothing) once bytes were sent.
  bool DiscardUnsent();
  // For the connection loop: writes what is buffered of a streamed response that will not be
  // finished, without its last chunk, so the client sees a truncated body; the connection must
  // then be closed.
  void Abandon();

 private:
  enum class State { kIdle, kStreaming, kFinished };
  Result<std::string> HeaderBlock(int status, const HttpHeaders& headers,
                                  std::optional<size_t> content_length);
  // Writes wire_ to the stream; remembers the first failure.
  Status WireWrite();
  // Appends `data` to wire_ as one chunk (or raw bytes for HTTP/1.0 streaming).
  void FrameInto(std::string_view data);
  // Moves pending_ into wire_ through FrameInto().
  void FramePending();

  net::Stream& stream_;
  HttpResponseOptions options_;
  State state_ = State::kIdle;
  int status_ = 0;
  bool chunked_ = false;
  bool headers_sent_ = false;
  std::string wire_;     // bytes ready for the stream (header block, framed chunks)
  std::string pending_;  // body bytes not yet framed
  uint64_t bytes_out_ = 0;
  Status write_error_;
};

// A handler: reads the request, writes one response. Return an error Status instead of writing an
// error response when that is simpler; see the file comment for what the client then sees.
using HttpHandler = std::function<Status(const HttpRequest&, HttpResponseWriter&)>;

// Maps method + path to handlers. Patterns are '/'-separated segments: literals, `{name}` (one
// non-empty segment) and, as the last segment only, `{name...}` (one or more remaining segments,
// joined with '/'). Matching happens on decoded segments, so "%2F" inside a segment never splits
// it; a `{name...}` capture refuses segments that decode to contain '/'. When several patterns
// match, the most specific wins, segment by segment: literal over {param} over {rest...}.
// HEAD falls back to the GET route; OPTIONS without its own route answers 204 with Allow.
//
// Thread-safety: Add() during setup only; Find() is const and safe from many threads after that.
class Router {
 public:
  struct RouteOptions {
    // Largest request body this route accepts; 0 means HttpServerOptions::limits.max_body_bytes.
    // Give upload routes a large limit and keep the server's default small: every connection
    // may hold a body of the limit in memory.
    size_t max_body_bytes = 0;
    // Called once the request's headers have arrived, before its body is read (with the headers
    // and the peer address). A non-OK status is answered (its HTTP status) and the connection
    // closed, the body never read: upload routes refuse clients without valid credentials
    // before holding up to max_body_bytes of theirs. The handler still runs its own checks.
    std::function<Status(const HttpHeaders& headers, const std::string& peer)> admit;
  };

  // Registers a route. InvalidArgument for a malformed pattern or method (not a token);
  // AlreadyExists when the same method and pattern were registered before.
  Status Add(std::string method, std::string_view pattern, HttpHandler handler,
             RouteOptions options);
  Status Add(std::string method, std::string_view pattern, HttpHandler handler) {
    return Add(std::move(method), pattern, std::move(handler), RouteOptions{});
  }
  // The largest max_body_bytes of any route (0 when none set one).
  size_t max_route_body_bytes() const { return max_route_body_bytes_; }

  struct Match {
    enum class Kind { kFound, kNotFound, kMethodNotAllowed, kBadPath };
    Kind kind = Kind::kNotFound;
    const HttpHandler* handler = nullptr;  // kFound: points into the router
    const RouteOptions* options = nullptr;  // kFound: the route's options
    std::string pattern;                   // kFound
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed;  // kMethodNotAllowed and OPTIONS: sorted methods
    std::string decoded_path;          // when the path was valid
    std::string error;                 // kBadPath: why
    size_t max_body_bytes = 0;         // kFound: the route's limit (0: the server default)
  };
  // Finds the route for `method` on `raw_path` (percent-encoded, as sent).
  Match Find(std::string_view method, std::string_view raw_path) const;

 private:
  struct Segment {
    enum class Kind { kLiteral, kParam, kRest };
    Kind kind;
    std::string text;  // literal text or parameter name
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    HttpHandler handler;
    RouteOptions options;
  };
  // True when `route` matches; fills `params` and `score` (one entry per segment).
  static bool Matches(const Route& route, const std::vector<std::string>& segments,
                      std::map<std::string, std::string>* params, std::vector<int>* score);

  std::vector<Route> routes_;
  size_t max_route_body_bytes_ = 0;
};

struct HttpServerOptions {
  HttpLimits limits;
  size_t flush_bytes = 64 * 1024;  // see HttpResponseWriter
  size_t read_bytes = 16 * 1024;   // one Read() call
  // Date headers and request durations; null means SystemClock::Default(). Must outlive the loop.
  const Clock* clock = nullptr;
  bool send_date = true;
  // Called once per answered request (from the connection's thread, after the response):
  // method (GET, POST, ... or "OTHER" for anything else, to bound metric cardinality), the
  // matched route pattern ("" when none matched: 404, 400, parse errors), the HTTP status, the
  // time from the request's headers being parsed to the end of the response, and the bytes
  // written. May be empty. Must be thread-safe: connections call it concurrently.
  std::function<void(std::string_view method, std::string_view route, int status, double seconds,
                     uint64_t bytes_out)>
      on_request;
  // Optional; see HttpShutdownSignal. Must outlive the loop.
  HttpShutdownSignal* shutdown = nullptr;
};

// Serves one connection until the client closes it, a read or write fails, the request or the
// response says Connection: close, a request is malformed (answered, then closed) or a shutdown
// is requested. Idle timeouts are the stream's business (a timed-out Read ends the loop).
// `router` and the options' pointers must outlive the call. Handlers run on the calling thread.
void ServeHttpConnection(std::unique_ptr<net::Stream> stream, const Router& router,
                         const HttpServerOptions& options);

}  // namespace medlake::server::http
