#include "server/http/http_server.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <set>

#include "core/logging.h"
#include "server/http/json_text_internal.h"

namespace medlake::server::http {
namespace {

constexpr std::string_view kStandardMethods[] = {"GET",    "HEAD",    "POST", "PUT",
                                                 "DELETE", "OPTIONS", "PATCH"};

bool IsStandardMethod(std::string_view m) {
  return std::find(std::begin(kStandardMethods), std::end(kStandardMethods), m) !=
         std::end(kStandardMethods);
}

bool IsTokenText(std::string_view s) {
  static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           kExtra.find(c) != std::string_view::npos;
  });
}

bool IsSafeHeaderValue(std::string_view v) {
  return std::none_of(v.begin(), v.end(),
                      [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

// IMF-fixdate (RFC 9110 section 5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string HttpDate(int64_t micros) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string_view StatusNameForHttp(int http_status) {
  switch (http_status) {
    case 400:
      return "InvalidArgument";
    case 401:
      return "Unauthenticated";
    case 403:
      return "PermissionDenied";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 409:
      return "FailedPrecondition";
    case 413:
    case 414:
    case 429:
    case 431:
      return "ResourceExhausted";
    case 417:
      return "FailedPrecondition";
    case 501:
    case 505:
      return "Unimplemented";
    default:
      return http_status >= 500 ? "Internal" : "InvalidArgument";
  }
}

std::string JoinAllowed(const std::vector<std::string>& methods) {
  std::string out;
  for (const auto& m : methods) {
    if (!out.empty()) {
      out += ", ";
    }
    out += m;
  }
  return out;
}

}  // namespace

// ---- errors ----

int HttpStatusForCode(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kAborted:
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kUnimplemented:
      return 501;
    case StatusCode::kDataLoss:
    case StatusCode::kIOError:
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

std::string ErrorJson(int http_status, std::string_view status_name, std::string_view message) {
  std::string out = "{\"error\":{\"code\":" + std::to_string(http_status) + ",\"status\":";
  internal::AppendJsonString(status_name, &out);
  out += ",\"message\":";
  internal::AppendJsonString(message, &out);
  out += "}}";
  return out;
}

// ---- HttpRequest ----

std::optional<std::string_view> HttpRequest::QueryParam(std::string_view name) const {
  auto it = query.find(std::string(name));
  if (it == query.end()) {
    return std::nullopt;
  }
  return std::string_view(it->second);
}

std::string_view HttpRequest::PathParam(std::string_view name) const {
  auto it = path_params.find(std::string(name));
  return it == path_params.end() ? std::string_view() : std::string_view(it->second);
}

// ---- HttpResponseWriter ----

HttpResponseWriter::HttpResponseWriter(net::Stream& stream, HttpResponseOptions options)
    : stream_(stream), options_(options) {}

bool HttpResponseWriter::body_allowed() const {
  return !options_.head && status_ != 204 && status_ != 304;
}

Result<std::string> HttpResponseWriter::HeaderBlock(int status, const HttpHeaders& headers,
                                                    std::optional<size_t> content_length) {
  if (status < 200 || status > 599) {
    return InvalidArgument("response status out of range: " + std::to_string(status));
  }
  if (options_.shutdown != nullptr && options_.shutdown->stop_requested()) {
    options_.close = true;
  }
  std::string out;
  out.reserve(256);
  out += "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  out += HttpReasonPhrase(status);
  out += "\r\n";
  if (options_.clock != nullptr) {
    out += "Date: ";
    out += HttpDate(options_.clock->NowMicros());
    out += "\r\n";
  }
  for (const auto& [name, value] : headers.entries()) {
    if (!IsTokenText(name) || !IsSafeHeaderValue(value)) {
      // A handler passing request data into a header must not be able to split the response.
      return InvalidArgument("response header is not a valid field");
    }
    if (EqualsIgnoreCase(name, "content-length") || EqualsIgnoreCase(name, "transfer-encoding") ||
        EqualsIgnoreCase(name, "connection")) {
      continue;  // framing belongs to the writer
    }
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (content_length.has_value()) {
    out += "Content-Length: ";
    out += std::to_string(*content_length);
    out += "\r\n";
  } else if (chunked_) {
    out += "Transfer-Encoding: chunked\r\n";
  }
  if (options_.close) {
    out += "Connection: close\r\n";
  } else if (options_.version_minor == 0) {
    out += "Connection: keep-alive\r\n";  // HTTP/1.0 closes unless told otherwise
  }
  out += "\r\n";
  return out;
}

Status HttpResponseWriter::WireWrite() {
  if (!write_error_.ok()) {
    return write_error_;
  }
  if (wire_.empty()) {
    return Status::OK();
  }
  Status st = stream_.Write(wire_);
  headers_sent_ = true;  // even a failed write may have put bytes on the wire
  if (!st.ok()) {
    write_error_ = IOError("writing the HTTP response: " + st.message());
    wire_.clear();
    return write_error_;
  }
  bytes_out_ += wire_.size();
  wire_.clear();
  return Status::OK();
}

void HttpResponseWriter::FrameInto(std::string_view data) {
  if (data.empty()) {
    return;
  }
  if (chunked_) {
    char size[24];
    int len = std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
    wire_.append(size, static_cast<size_t>(len));
    wire_.append(data);
    wire_ += "\r\n";
  } else {
    wire_.append(data);
  }
}

void HttpResponseWriter::FramePending() {
  FrameInto(pending_);
  pending_.clear();
}

Status HttpResponseWriter::Send(int status, HttpHeaders headers, std::string_view body) {
  if (!write_error_.ok()) {
    return write_error_;
  }
  if (started()) {
    return FailedPrecondition("HTTP response already started");
  }
  status_ = status;
  chunked_ = false;
  // 204 has no Content-Length (RFC 9110 section 8.6); 304 leaves it out as it would describe the
  // representation, not this message.
  std::optional<size_t> length;
  if (status != 204 && status != 304) {
    length = body.size();
  }
  Result<std::string> block = HeaderBlock(status, headers, length);
  if (!block.ok()) {
    status_ = 0;
    return block.status();
  }
  state_ = State::kFinished;
  wire_ = std::move(block).value();
  if (!body_allowed() || body.empty()) {
    return WireWrite();
  }
  if (body.size() <= options_.flush_bytes) {
    wire_.append(body);  // one write for small responses: one packet
    return WireWrite();
  }
  MEDLAKE_RETURN_IF_ERROR(WireWrite());
  Status st = stream_.Write(body);
  if (!st.ok()) {
    write_error_ = IOError("writing the HTTP response: " + st.message());
    return write_error_;
  }
  bytes_out_ += body.size();
  return Status::OK();
}

Status HttpResponseWriter::SendJson(int status, std::string_view json) {
  HttpHeaders h;
  h.Add("Content-Type", "application/json");
  return Send(status, std::move(h), json);
}

Status HttpResponseWriter::SendError(const Status& error) {
  int http_status = HttpStatusForCode(error.code());
  HttpHeaders extra;
  if (http_status == 401) {
    // Bearer only: a Basic challenge would make browsers keep and replay credentials, which is
    // what cross-site request forgery needs (clients that know Basic may still send it).
    extra.Add("WWW-Authenticate", "Bearer realm=\"medlake\"");
  }
  // 500s come from DataLoss, IOError and Internal: their messages name files and internals.
  std::string_view message = error.message();
  if (http_status == 500) {
    message = "internal server error";
  }
  return SendError(http_status, StatusCodeName(error.code()), message, std::move(extra));
}

Status HttpResponseWriter::SendError(int http_status, std::string_view status_name,
                                     std::string_view message, HttpHeaders extra_headers) {
  extra_headers.Set("Content-Type", "application/json");
  extra_headers.Set("X-Content-Type-Options", "nosniff");
  extra_headers.Set("Cache-Control", "no-store");
  constexpr size_t kMaxMessage = 2048;
  if (message.size() > kMaxMessage) {
    message = message.substr(0, kMaxMessage);  // AppendJsonString repairs a cut UTF-8 sequence
  }
  return Send(http_status, std::move(extra_headers), ErrorJson(http_status, status_name, message));
}

Status HttpResponseWriter::Begin(int status, HttpHeaders headers) {
  if (!write_error_.ok()) {
    return write_error_;
  }
  if (started()) {
    return FailedPrecondition("HTTP response already started");
  }
  status_ = status;
  if (body_allowed() && options_.version_minor == 0) {
    // HTTP/1.0 has no chunked coding: the body ends when the connection does.
    options_.close = true;
    chunked_ = false;
  } else {
    chunked_ = body_allowed();
  }
  Result<std::string> block = HeaderBlock(status, headers, std::nullopt);
  if (!block.ok()) {
    status_ = 0;
    chunked_ = false;
    return block.status();
  }
  wire_ = std::move(block).value();
  state_ = State::kStreaming;
  return Status::OK();
}

Status HttpResponseWriter::Write(std::string_view data) {
  if (!write_error_.ok()) {
    return write_error_;
  }
  if (state_ != State::kStreaming) {
    return FailedPrecondition("HTTP response body written outside Begin()/Finish()");
  }
  if (!body_allowed() || data.empty()) {
    return Status::OK();
  }
  if (pending_.empty() && data.size() >= options_.flush_bytes) {
    FrameInto(data);  // a big piece becomes its own chunk without a detour through pending_
    return WireWrite();
  }
  pending_.append(data);
  if (pending_.size() >= options_.flush_bytes) {
    FramePending();
    return WireWrite();
  }
  return Status::OK();
}

Status HttpResponseWriter::Flush() {
  if (state_ != State::kStreaming) {
    return write_error_;
  }
  FramePending();
  return WireWrite();
}

Status HttpResponseWriter::Finish() {
  if (!write_error_.ok()) {
    return write_error_;
  }
  if (state_ == State::kFinished) {
    return Status::OK();
  }
  if (state_ != State::kStreaming) {
    return FailedPrecondition("HTTP response finished before Begin()");
  }
  FramePending();
  if (chunked_) {
    wire_ += "0\r\n\r\n";  // last-chunk and an empty trailer section
  }
  state_ = State::kFinished;
  return WireWrite();
}

bool HttpResponseWriter::DiscardUnsent() {
  if (headers_sent_) {
    return false;
  }
  state_ = State::kIdle;
  status_ = 0;
  chunked_ = false;
  wire_.clear();
  pending_.clear();
  return true;
}

void HttpResponseWriter::Abandon() {
  options_.close = true;
  if (state_ == State::kStreaming) {
    FramePending();
    (void)WireWrite();  // best effort: the connection closes right after
  }
  state_ = State::kFinished;
}

// ---- Router ----

Status Router::Add(std::string method, std::string_view pattern, HttpHandler handler,
                   RouteOptions options) {
  if (!IsTokenText(method)) {
    return InvalidArgument("route method is not a token");
  }
  if (pattern.empty() || pattern.front() != '/') {
    return InvalidArgument("route pattern must start with '/': " + std::string(pattern));
  }
  Route route;
  route.method = std::move(method);
  route.pattern = std::string(pattern);
  route.handler = std::move(handler);
  route.options = options;
  std::set<std::string> names;
  std::string_view rest = pattern.substr(1);
  while (true) {
    size_t slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    Segment s{Segment::Kind::kLiteral, std::string(seg)};
    if (!seg.empty() && seg.front() == '{') {
      if (seg.size() < 3 || seg.back() != '}') {
        return InvalidArgument("malformed parameter in route pattern: " + route.pattern);
      }
      std::string_view name = seg.substr(1, seg.size() - 2);
      s.kind = Segment::Kind::kParam;
      if (name.size() > 3 && name.substr(name.size() - 3) == "...") {
        name.remove_suffix(3);
        s.kind = Segment::Kind::kRest;
        if (slash != std::string_view::npos) {
          return InvalidArgument("{name...} must be the last segment: " + route.pattern);
        }
      }
      bool ok_name = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
               (c >= 'A' && c <= 'Z');
      });
      if (!ok_name || !names.insert(std::string(name)).second) {
        return InvalidArgument("bad or repeated parameter name in route pattern: " + route.pattern);
      }
      s.text = std::string(name);
    } else if (seg.find_first_of("{}") != std::string_view::npos) {
      return InvalidArgument("braces inside a literal route segment: " + route.pattern);
    }
    route.segments.push_back(std::move(s));
    if (slash == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(slash + 1);
  }
  for (const Route& r : routes_) {
    if (r.method != route.method || r.segments.size() != route.segments.size()) {
      continue;
    }
    bool same_shape = std::equal(r.segments.begin(), r.segments.end(), route.segments.begin(),
                                 [](const Segment& a, const Segment& b) {
                                   return a.kind == b.kind &&
                                          (a.kind != Segment::Kind::kLiteral || a.text == b.text);
                                 });
    if (same_shape) {
      return AlreadyExists("route " + route.method + " " + route.pattern + " clashes with " +
                           r.pattern);
    }
  }
  max_route_body_bytes_ = std::max(max_route_body_bytes_, route.options.max_body_bytes);
  routes_.push_back(std::move(route));
  return Status::OK();
}

bool Router::Matches(const Route& route, const std::vector<std::string>& segments,
                     std::map<std::string, std::string>* params, std::vector<int>* score) {
  params->clear();
  score->clear();
  for (size_t i = 0; i < route.segments.size(); ++i) {
    const Segment& s = route.segments[i];
    if (i >= segments.size()) {
      return false;
    }
    switch (s.kind) {
      case Segment::Kind::kLiteral:
        if (segments[i] != s.text) {
          return false;
        }
        score->push_back(2);
        break;
      case Segment::Kind::kParam:
        if (segments[i].empty()) {
          return false;
        }
        (*params)[s.text] = segments[i];
        score->push_back(1);
        break;
      case Segment::Kind::kRest: {
        std::string joined;
        for (size_t j = i; j < segments.size(); ++j) {
          if (segments[j].find('/') != std::string::npos) {
            return false;  // an encoded '/' would be indistinguishable from a separator
          }
          if (j > i) {
            joined += '/';
          }
          joined += segments[j];
        }
        (*params)[s.text] = std::move(joined);
        score->push_back(0);
        return true;
      }
    }
  }
  return segments.size() == route.segments.size();
}

Router::Match Router::Find(std::string_view method, std::string_view raw_path) const {
  Match out;
  Result<std::vector<std::string>> segments = SplitPath(raw_path);
  if (!segments.ok()) {
    out.kind = Match::Kind::kBadPath;
    out.error = segments.status().message();
    return out;
  }
  for (const auto& s : *segments) {
    out.decoded_path += '/';
    out.decoded_path += s;
  }
  const Route* best = nullptr;
  std::vector<int> best_score;
  bool best_exact = false;
  std::set<std::string> allowed;
  std::map<std::string, std::string> params;
  std::vector<int> score;
  for (const Route& r : routes_) {
    if (!Matches(r, *segments, &params, &score)) {
      continue;
    }
    allowed.insert(r.method);
    bool exact = r.method == method;
    if (!exact && !(method == "HEAD" && r.method == "GET")) {
      continue;
    }
    if (best == nullptr || score > best_score || (score == best_score && exact && !best_exact)) {
      best = &r;
      best_score = score;
      best_exact = exact;
      out.params = params;
    }
  }
  if (best != nullptr) {
    out.kind = Match::Kind::kFound;
    out.handler = &best->handler;
    out.options = &best->options;
    out.pattern = best->pattern;
    out.max_body_bytes = best->options.max_body_bytes;
    return out;
  }
  out.params.clear();
  if (allowed.empty()) {
    out.kind = Match::Kind::kNotFound;
    return out;
  }
  if (allowed.count("GET") > 0) {
    allowed.insert("HEAD");
  }
  allowed.insert("OPTIONS");
  out.kind = Match::Kind::kMethodNotAllowed;
  out.allowed.assign(allowed.begin(), allowed.end());
  return out;
}

// ---- HttpShutdownSignal ----

void HttpShutdownSignal::RequestStop() {
  stop_.store(true, std::memory_order_release);
  std::lock_guard<std::mutex> lock(mu_);
  for (net::Stream* s : idle_) {
    s->Shutdown();  // wakes the blocked Read; the loop then ends
  }
}

bool HttpShutdownSignal::EnterIdle(net::Stream* stream) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stop_.load(std::memory_order_acquire)) {
    return false;
  }
  idle_.insert(stream);
  return true;
}

void HttpShutdownSignal::LeaveIdle(net::Stream* stream) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.erase(stream);
}

// ---- the connection loop ----

namespace internal {

class ConnectionLoop {
 public:
  static constexpr uint64_t kMaxDrainBytes = 1024 * 1024;

  ConnectionLoop(std::unique_ptr<net::Stream> stream, const Router& router,
                 const HttpServerOptions& options)
      : stream_(std::move(stream)),
        router_(router),
        options_(options),
        clock_(options.clock != nullptr ? *options.clock : SystemClock::Default()),
        parser_(ParserLimits(options, router)),
        peer_(stream_->peer()) {}

  // The parser accepts bodies up to the largest route limit; each request is narrowed to its
  // own route's limit once its headers are known (SetMaxBodyBytes below).
  static HttpLimits ParserLimits(const HttpServerOptions& options, const Router& router) {
    HttpLimits limits = options.limits;
    limits.max_body_bytes = std::max(limits.max_body_bytes, router.max_route_body_bytes());
    return limits;
  }

  void Run() {
    while (true) {
      if (pos_ < buf_.size()) {
        pos_ += parser_.Feed(std::string_view(buf_).substr(pos_));
        if (pos_ == buf_.size()) {
          buf_.clear();
          pos_ = 0;
        }
      }
      if (parser_.failed()) {
        RespondToParseError();
        break;
      }
      if (parser_.headers_complete() && !started_) {
        started_ = true;
        start_ns_ = clock_.MonotonicNanos();
        const ParsedRequest& r = parser_.request();
        Router::Match m = router_.Find(r.method, r.raw_path);
        parser_.SetMaxBodyBytes(m.kind == Router::Match::Kind::kFound && m.max_body_bytes > 0
                                    ? m.max_body_bytes
                                    : options_.limits.max_body_bytes);
        if (parser_.failed()) {
          RespondToParseError();
          break;
        }
        if (m.kind == Router::Match::Kind::kFound && m.options->admit && !parser_.complete()) {
          Status admitted = m.options->admit(r.headers, peer_);
          if (!admitted.ok()) {
            // Refused before the body: answer and close (the body may still be on its way).
            HttpResponseWriter w(*stream_, ResponseOptions(r, /*close=*/true));
            (void)w.SendError(admitted);
            Report(r.method, m.pattern, w);
            break;
          }
        }
        if (parser_.request().expect_continue && !parser_.complete() && !AnswerExpectation()) {
          break;
        }
      }
      if (parser_.complete()) {
        ParsedRequest request = parser_.TakeRequest();
        parser_.Reset();
        started_ = false;
        if (!Handle(std::move(request))) {
          break;
        }
        continue;  // pipelined bytes may already hold the next request
      }
      if (!ReadMore()) {
        break;
      }
    }
    stream_->Shutdown();
  }

 private:
  bool stop_requested() const {
    return options_.shutdown != nullptr && options_.shutdown->stop_requested();
  }

  // Reads into buf_. False at end of stream, on a read error, or when a shutdown closed an idle
  // connection.
  bool ReadMore() {
    // A connection without a complete request header is idle for shutdown purposes: a client
    // dribbling a header is not work in progress worth waiting for.
    bool idle = !parser_.headers_complete();
    HttpShutdownSignal* signal = options_.shutdown;
    if (idle && signal != nullptr && !signal->EnterIdle(stream_.get())) {
      return false;
    }
    size_t old = buf_.size();
    buf_.resize(old + options_.read_bytes);
    Result<size_t> n = stream_->Read(buf_.data() + old, options_.read_bytes);
    if (idle && signal != nullptr) {
      signal->LeaveIdle(stream_.get());
    }
    buf_.resize(old + (n.ok() ? *n : 0));
    return n.ok() && *n > 0;
  }

  HttpResponseOptions ResponseOptions(const ParsedRequest& r, bool close) const {
    HttpResponseOptions o;
    o.head = r.method == "HEAD";
    o.version_minor = r.version_minor;
    o.close = close || !r.keep_alive || stop_requested();
    o.flush_bytes = options_.flush_bytes;
    o.clock = options_.send_date ? &clock_ : nullptr;
    o.shutdown = options_.shutdown;
    return o;
  }

  void Report(std::string_view method, std::string_view route, const HttpResponseWriter& w) {
    if (!options_.on_request) {
      return;
    }
    double seconds = static_cast<double>(clock_.MonotonicNanos() - start_ns_) / 1e9;
    options_.on_request(IsStandardMethod(method) ? method : std::string_view("OTHER"), route,
                        w.status(), seconds, w.bytes_out());
  }

  void RespondToParseError() {
    const HttpParseError& e = parser_.error();
    if (!started_) {
      start_ns_ = clock_.MonotonicNanos();
    }
    HttpResponseWriter w(*stream_, ResponseOptions(parser_.request(), /*close=*/true));
    (void)w.SendError(e.http_status, StatusNameForHttp(e.http_status), e.message);
    Report(parser_.request().method, "", w);
    if (e.http_status == 413 && !w.failed()) {
      // The client is probably uploading the body it announced. Closing with unread bytes makes
      // the kernel send a reset that can destroy our 413 before the client reads it, so read a
      // small announced body first. Not when it waits for 100 Continue (it will not send), and
      // not for unknown (chunked) or large remainders: the stream has no timeout of its own
      // here, and a client that never sends must not hold the thread.
      const HttpHeaders& h = parser_.request().headers;
      std::optional<std::string_view> cl = h.Get("content-length");
      uint64_t announced = 0;
      if (cl && !h.HasToken("expect", "100-continue") && cl->size() <= 7 &&
          std::all_of(cl->begin(), cl->end(), [](char c) { return c >= '0' && c <= '9'; })) {
        announced = std::stoull(std::string(*cl));
      }
      // Already received: parsed into the body, or read but not parsed.
      uint64_t received = parser_.request().body.size() + (buf_.size() - pos_);
      if (announced > received && announced - received <= kMaxDrainBytes) {
        DrainInput(static_cast<size_t>(announced - received));
      }
    }
  }

  void DrainInput(size_t budget) {
    char scratch[4096];
    while (budget > 0) {
      Result<size_t> n = stream_->Read(scratch, std::min(budget, sizeof(scratch)));
      if (!n.ok() || *n == 0) {
        return;
      }
      budget -= std::min(budget, *n);
    }
  }

  // Called when an HTTP/1.1 client waits for "100 Continue" before sending its body. A request
  // that would fail anyway gets its final status now (RFC 9110 section 10.1.1) and the
  // connection closes, since the body may still follow. False when the loop must end.
  bool AnswerExpectation() {
    const ParsedRequest& r = parser_.request();
    Router::Match m = router_.Find(r.method, r.raw_path);
    if (m.kind == Router::Match::Kind::kFound) {
      Status st = stream_->Write("HTTP/1.1 100 Continue\r\n\r\n");
      return st.ok();
    }
    HttpResponseWriter w(*stream_, ResponseOptions(r, /*close=*/true));
    RespondUnrouted(r, m, w);
    Report(r.method, "", w);
    return false;
  }

  // Answers a request no handler takes: bad path 400, unknown path 404, OPTIONS 204, unknown
  // method 501, wrong method 405.
  void RespondUnrouted(const ParsedRequest& r, const Router::Match& m, HttpResponseWriter& w) {
    switch (m.kind) {
      case Router::Match::Kind::kBadPath:
        (void)w.SendError(400, "InvalidArgument", m.error);
        return;
      case Router::Match::Kind::kNotFound:
        (void)w.SendError(404, "NotFound", "no resource at this path");
        return;
      case Router::Match::Kind::kMethodNotAllowed: {
        HttpHeaders h;
        h.Add("Allow", JoinAllowed(m.allowed));
        if (r.method == "OPTIONS") {
          (void)w.Send(204, std::move(h), "");
        } else if (!IsStandardMethod(r.method) &&
                   std::find(m.allowed.begin(), m.allowed.end(), r.method) == m.allowed.end()) {
          (void)w.SendError(501, "Unimplemented", "request method not implemented");
        } else {
          (void)w.SendError(405, "MethodNotAllowed", "method not allowed for this resource",
                            std::move(h));
        }
        return;
      }
      case Router::Match::Kind::kFound:
        return;
    }
  }

  // A browser sends Origin with a cross-site POST (a form on another site submitted with the
  // user's cached credentials); API clients (curl, drivers) send none. Requests that may change
  // something are refused when their Origin names another host than the one they were sent to.
  static bool IsCrossOriginWrite(const ParsedRequest& r) {
    if (r.method == "GET" || r.method == "HEAD" || r.method == "OPTIONS") return false;
    auto origin = r.headers.Get("Origin");
    if (!origin) return false;
    auto host = r.headers.Get("Host");
    std::string_view o = *origin;
    size_t scheme = o.find("://");
    if (scheme == std::string_view::npos || !host) return true;  // "null" origins and the like
    o.remove_prefix(scheme + 3);
    return o != *host;
  }

  // Routes and answers one request. False when the connection must close afterwards.
  bool Handle(ParsedRequest parsed) {
    HttpResponseWriter w(*stream_, ResponseOptions(parsed, /*close=*/false));
    std::string route;
    if (parsed.raw_path == "*") {
      // OPTIONS * asks about the server as a whole (RFC 9110 section 9.3.7).
      HttpHeaders h;
      h.Add("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
      (void)w.Send(204, std::move(h), "");
    } else {
      Router::Match m = router_.Find(parsed.method, parsed.raw_path);
      if (m.kind != Router::Match::Kind::kFound) {
        RespondUnrouted(parsed, m, w);
      } else {
        route = m.pattern;
        Result<std::multimap<std::string, std::string>> query = ParseUrlEncoded(parsed.raw_query);
        if (IsCrossOriginWrite(parsed)) {
          (void)w.SendError(403, "PermissionDenied",
                            "cross-origin request refused: the Origin header does not match the Host");
        } else if (!query.ok()) {
          (void)w.SendError(400, "InvalidArgument", "query string: " + query.status().message());
        } else {
          HttpRequest req;
          req.method = std::move(parsed.method);
          req.path = std::move(m.decoded_path);
          req.raw_path = std::move(parsed.raw_path);
          req.raw_query = std::move(parsed.raw_query);
          req.query = std::move(query).value();
          req.path_params = std::move(m.params);
          req.route = route;
          req.headers = std::move(parsed.headers);
          req.trailers = std::move(parsed.trailers);
          req.body = std::move(parsed.body);
          req.peer = peer_;
          req.is_tls = stream_->is_tls();
          req.version_minor = parsed.version_minor;
          Status st = (*m.handler)(req, w);
          Complete(route, st, w);
          parsed.method = req.method;  // for Report below
        }
      }
    }
    Report(parsed.method, route, w);
    return !w.closes_connection() && !stop_requested();
  }

  // Makes sure exactly one complete (or visibly truncated) response went out for a handler that
  // returned `st`.
  void Complete(std::string_view route, const Status& st, HttpResponseWriter& w) {
    if (st.ok()) {
      if (!w.started()) {
        Log(LogLevel::kError, "http_handler_no_response", {{"route", LogId(route)}});
        (void)w.SendError(Internal("handler returned without a response"));
      } else if (!w.finished()) {
        (void)w.Finish();
      }
      return;
    }
    if (w.failed()) {
      return;  // the client is gone; the loop closes the connection
    }
    if (HttpStatusForCode(st.code()) >= 500) {
      Log(LogLevel::kError, "http_handler_error",
          {{"route", LogId(route)}, LogField::Error("error", st.ToString())});
    }
    if (!w.started() || w.DiscardUnsent()) {
      (void)w.SendError(st);
    } else if (!w.finished()) {
      // Bytes already went out under a 2xx status: cut the body short (no last chunk) and close,
      // so no client mistakes a partial result for a complete one.
      w.Abandon();
    }
  }

  std::unique_ptr<net::Stream> stream_;
  const Router& router_;
  const HttpServerOptions& options_;
  const Clock& clock_;
  HttpRequestParser parser_;
  std::string peer_;
  std::string buf_;
  size_t pos_ = 0;
  bool started_ = false;  // the current request's headers were seen (start_ns_ is set)
  int64_t start_ns_ = 0;
};

}  // namespace internal

void ServeHttpConnection(std::unique_ptr<net::Stream> stream, const Router& router,
                         const HttpServerOptions& options) {
  internal::ConnectionLoop loop(std::move(stream), router, options);
  loop.Run();
}

}  // namespace medlake::server::http
