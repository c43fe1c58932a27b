#include "server/http/http_message.h"

#include <algorithm>

namespace medlake::server::http {
namespace {

char ToLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// tchar of RFC 9110 section 5.6.2.
bool IsTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9') {
    return true;
  }
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
    return true;
  }
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return IsTokenChar(static_cast<unsigned char>(c));
  });
}

// field-value characters (RFC 9110 section 5.5): VCHAR, obs-text, SP and HTAB.
bool IsFieldValueChar(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7F); }

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// Calls `fn` with each non-empty, trimmed element of a comma-separated list value
// (RFC 9110 section 5.6.1 allows and ignores empty elements).
template <typename Fn>
void ForEachListElement(std::string_view value, Fn fn) {
  while (true) {
    size_t comma = value.find(',');
    std::string_view element = TrimOws(value.substr(0, comma));
    if (!element.empty()) {
      fn(element);
    }
    if (comma == std::string_view::npos) {
      return;
    }
    value.remove_prefix(comma + 1);
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLowerAscii(a[i]) != ToLowerAscii(b[i])) {
      return false;
    }
  }
  return true;
}

// ---- HttpHeaders ----

void HttpHeaders::Add(std::string name, std::string value) {
  entries_.emplace_back(std::move(name), std::move(value));
}

void HttpHeaders::Set(std::string_view name, std::string value) {
  Remove(name);
  entries_.emplace_back(std::string(name), std::move(value));
}

void HttpHeaders::Remove(std::string_view name) {
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const auto& e) { return EqualsIgnoreCase(e.first, name); }),
                 entries_.end());
}

std::optional<std::string_view> HttpHeaders::Get(std::string_view name) const {
  for (const auto& [n, v] : entries_) {
    if (EqualsIgnoreCase(n, name)) {
      return std::string_view(v);
    }
  }
  return std::nullopt;
}

std::vector<std::string_view> HttpHeaders::GetAll(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [n, v] : entries_) {
    if (EqualsIgnoreCase(n, name)) {
      out.emplace_back(v);
    }
  }
  return out;
}

size_t HttpHeaders::Count(std::string_view name) const {
  return static_cast<size_t>(std::count_if(entries_.begin(), entries_.end(), [&](const auto& e) {
    return EqualsIgnoreCase(e.first, name);
  }));
}

bool HttpHeaders::HasToken(std::string_view name, std::string_view token) const {
  bool found = false;
  for (std::string_view v : GetAll(name)) {
    ForEachListElement(v, [&](std::string_view element) {
      if (EqualsIgnoreCase(element, token)) {
        found = true;
      }
    });
  }
  return found;
}

// ---- HttpRequestParser ----

HttpRequestParser::HttpRequestParser(HttpLimits limits)
    : limits_(limits), base_max_body_bytes_(limits.max_body_bytes) {}

void HttpRequestParser::SetMaxBodyBytes(size_t max_body_bytes) {
  limits_.max_body_bytes = max_body_bytes;
  if (state_ == State::kError) {
    return;
  }
  // body_remaining_ is the rest of a Content-Length body, or of the current chunk.
  uint64_t known = request_.body.size() + body_remaining_;
  if (known > max_body_bytes) {
    Fail(413, "request body is larger than " + std::to_string(max_body_bytes) + " bytes");
  }
}

bool HttpRequestParser::headers_complete() const {
  switch (state_) {
    case State::kBodyIdentity:
    case State::kChunkSize:
    case State::kChunkData:
    case State::kChunkDataCr:
    case State::kChunkDataLf:
    case State::kTrailerLine:
    case State::kComplete:
      return true;
    default:
      return false;
  }
}

void HttpRequestParser::Fail(int http_status, std::string message) {
  state_ = State::kError;
  error_.http_status = http_status;
  error_.message = std::move(message);
}

bool HttpRequestParser::AppendLineChar(char c, size_t max_line, int too_long_status,
                                       std::string_view what) {
  if (saw_cr_) {
    saw_cr_ = false;
    if (c == '\n') {
      return true;
    }
    // RFC 9112 section 2.2: a bare CR must be rejected (or replaced); we reject.
    Fail(400, "bare CR in the " + std::string(what));
    return false;
  }
  if (c == '\r') {
    saw_cr_ = true;
    return false;
  }
  if (c == '\n') {
    // Accepting a bare LF is allowed by RFC 9112 but lets a proxy and us disagree on where a
    // line ends (request smuggling); every real client sends CRLF.
    Fail(400, "bare LF in the " + std::string(what));
    return false;
  }
  line_.push_back(c);
  if (line_.size() > max_line) {
    Fail(too_long_status,
         std::string(what) + " is longer than " + std::to_string(max_line) + " bytes");
  }
  return false;
}

size_t HttpRequestParser::Feed(std::string_view data) {
  size_t i = 0;
  while (i < data.size()) {
    switch (state_) {
      case State::kComplete:
      case State::kError:
        return i;

      case State::kStart: {
        char c = data[i];
        if (c == '\r' || c == '\n') {
          ++i;
          if (++header_bytes_ > limits_.max_header_bytes) {
            Fail(400, "too many empty lines before the request line");
          }
          break;
        }
        header_bytes_ = 0;
        state_ = State::kRequestLine;
        break;
      }

      case State::kRequestLine: {
        char c = data[i++];
        ++header_bytes_;
        if (AppendLineChar(c, limits_.max_request_line_bytes, 414, "request line")) {
          ParseRequestLine();
          line_.clear();
        }
        break;
      }

      case State::kHeaderLine: {
        char c = data[i++];
        if (++header_bytes_ > limits_.max_header_bytes) {
          Fail(431, "header section is larger than " + std::to_string(limits_.max_header_bytes) +
                        " bytes");
          break;
        }
        if (AppendLineChar(c, limits_.max_header_bytes, 431, "header section")) {
          if (line_.empty()) {
            FinishHeaders();
          } else {
            ParseHeaderLine(&request_.headers, &header_count_);
          }
          line_.clear();
        }
        break;
      }

      case State::kBodyIdentity:
      case State::kChunkData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(data.size() - i, body_remaining_));
        request_.body.append(data.data() + i, n);
        i += n;
        body_remaining_ -= n;
        if (body_remaining_ == 0) {
          state_ = state_ == State::kBodyIdentity ? State::kComplete : State::kChunkDataCr;
        }
        break;
      }

      case State::kChunkSize: {
        char c = data[i++];
        if (AppendLineChar(c, limits_.max_chunk_line_bytes, 400, "chunk size line")) {
          ParseChunkSize();
          line_.clear();
        }
        break;
      }

      case State::kChunkDataCr:
      case State::kChunkDataLf: {
        char want = state_ == State::kChunkDataCr ? '\r' : '\n';
        if (data[i++] != want) {
          Fail(400, "chunk data is not followed by CRLF");
          break;
        }
        state_ = state_ == State::kChunkDataCr ? State::kChunkDataLf : State::kChunkSize;
        break;
      }

      case State::kTrailerLine: {
        char c = data[i++];
        if (++trailer_bytes_ > limits_.max_header_bytes) {
          Fail(431, "trailer section is larger than " + std::to_string(limits_.max_header_bytes) +
                        " bytes");
          break;
        }
        if (AppendLineChar(c, limits_.max_header_bytes, 431, "trailer section")) {
          if (line_.empty()) {
            state_ = State::kComplete;
          } else {
            ParseHeaderLine(&request_.trailers, &trailer_count_);
          }
          line_.clear();
        }
        break;
      }
    }
  }
  return i;
}

void HttpRequestParser::ParseRequestLine() {
  // request-line = method SP request-target SP HTTP-version (RFC 9112 section 3).
  std::string_view line = line_;
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    Fail(400, "request line is not 'method target version'");
    return;
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method)) {
    Fail(400, "request method is not a token");
    return;
  }
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    Fail(400, "malformed HTTP version");
    return;
  }
  if (version[5] != '1') {
    Fail(505, "only HTTP/1.0 and HTTP/1.1 are supported");
    return;
  }
  // A higher 1.x minor version is answered as 1.1 (RFC 9110 section 6.2).
  request_.version_minor = version[7] == '0' ? 0 : 1;

  if (target.empty()) {
    Fail(400, "empty request target");
    return;
  }
  for (char ch : target) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F) {
      Fail(400, "request target contains a character that must be percent-encoded");
      return;
    }
  }
  if (target.find('#') != std::string_view::npos) {
    Fail(400, "request target contains a fragment");
    return;
  }
  if (target == "*") {
    if (method != "OPTIONS") {
      Fail(400, "asterisk-form target is only valid for OPTIONS");
      return;
    }
    request_.raw_path = "*";
  } else {
    if (target.front() != '/') {
      // absolute-form (RFC 9112 section 3.2.2): servers must accept it; keep path and query.
      size_t scheme_len = StartsWithIgnoreCase(target, "http://")    ? 7
                          : StartsWithIgnoreCase(target, "https://") ? 8
                                                                     : 0;
      if (scheme_len == 0) {
        Fail(400, "request target is neither origin-form nor absolute-form");
        return;
      }
      std::string_view rest = target.substr(scheme_len);
      size_t path_start = rest.find_first_of("/?");
      if (path_start == 0) {
        Fail(400, "absolute-form target has no authority");
        return;
      }
      target = path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
    }
    size_t q = target.find('?');
    request_.raw_path = std::string(target.substr(0, q));
    if (request_.raw_path.empty()) {
      request_.raw_path = "/";
    }
    if (q != std::string_view::npos) {
      request_.raw_query = std::string(target.substr(q + 1));
    }
  }
  request_.method = std::string(method);
  request_.target = request_.raw_path;
  if (!request_.raw_query.empty()) {
    request_.target += '?';
    request_.target += request_.raw_query;
  }
  state_ = State::kHeaderLine;
}

void HttpRequestParser::ParseHeaderLine(HttpHeaders* into, size_t* count) {
  std::string_view line = line_;
  if (line.front() == ' ' || line.front() == '\t') {
    // obs-fold, or whitespace after the start line: RFC 9112 sections 2.2 and 5.2 let a server
    // reject both, and accepting them is a known smuggling vector.
    Fail(400, "header line starts with whitespace (obsolete line folding)");
    return;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    Fail(400, "header line has no colon");
    return;
  }
  std::string_view name = line.substr(0, colon);
  if (!IsToken(name)) {
    // Covers "Name :" too, which RFC 9112 section 5.1 requires us to reject.
    Fail(400, "header name is not a token");
    return;
  }
  std::string_view value = TrimOws(line.substr(colon + 1));
  for (char ch : value) {
    if (!IsFieldValueChar(static_cast<unsigned char>(ch))) {
      Fail(400, "header value contains a control character");
      return;
    }
  }
  if (++*count > limits_.max_header_count) {
    Fail(431, "more than " + std::to_string(limits_.max_header_count) + " header fields");
    return;
  }
  into->Add(std::string(name), std::string(value));
}

void HttpRequestParser::FinishHeaders() {
  const HttpHeaders& h = request_.headers;
  const bool http11 = request_.version_minor == 1;

  size_t hosts = h.Count("host");
  if (hosts > 1 || (http11 && hosts == 0)) {
    // RFC 9112 section 3.2: exactly one Host in HTTP/1.1.
    Fail(400, hosts > 1 ? "more than one Host header" : "missing Host header");
    return;
  }

  std::vector<std::string_view> te = h.GetAll("transfer-encoding");
  std::vector<std::string_view> cl = h.GetAll("content-length");
  if (!te.empty()) {
    if (!http11) {
      // RFC 9112 section 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
      Fail(400, "Transfer-Encoding in an HTTP/1.0 request");
      return;
    }
    if (!cl.empty()) {
      // RFC 9112 section 6.3: such a message is a smuggling attempt more often than not.
      Fail(400, "both Transfer-Encoding and Content-Length");
      return;
    }
    std::vector<std::string_view> codings;
    for (std::string_view v : te) {
      ForEachListElement(v, [&](std::string_view c) { codings.push_back(c); });
    }
    if (codings.empty() || !EqualsIgnoreCase(codings.back(), "chunked")) {
      Fail(400, "chunked is not the final transfer coding");
      return;
    }
    for (size_t k = 0; k + 1 < codings.size(); ++k) {
      if (EqualsIgnoreCase(codings[k], "chunked")) {
        Fail(400, "chunked transfer coding applied twice");
        return;
      }
    }
    if (codings.size() > 1) {
      Fail(501, "transfer codings other than chunked are not supported");
      return;
    }
    request_.chunked = true;
  } else if (!cl.empty()) {
    // Several fields or a list are accepted only when every element is the same number
    // (RFC 9112 section 6.3, item 5).
    std::optional<std::string_view> first;
    bool bad = false;
    for (std::string_view v : cl) {
      size_t elements = 0;
      ForEachListElement(v, [&](std::string_view e) {
        ++elements;
        bool digits = std::all_of(e.begin(), e.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!digits || (first && *first != e)) {
          bad = true;
        }
        if (!first) {
          first = e;
        }
      });
      if (elements == 0) {
        bad = true;
      }
    }
    if (bad || !first) {
      Fail(400, "invalid or conflicting Content-Length");
      return;
    }
    std::string_view digits = *first;
    while (digits.size() > 1 && digits.front() == '0') {
      digits.remove_prefix(1);
    }
    uint64_t n = 0;
    if (digits.size() > 18) {
      n = UINT64_MAX;  // certainly above any limit; avoids overflow
    } else {
      for (char c : digits) {
        n = n * 10 + static_cast<uint64_t>(c - '0');
      }
    }
    if (n > limits_.max_body_bytes) {
      Fail(413, "request body is larger than " + std::to_string(limits_.max_body_bytes) + " bytes");
      return;
    }
    body_remaining_ = n;
  }

  // Expect (RFC 9110 section 10.1.1): HTTP/1.0 requests' expectations are ignored.
  if (http11 && h.Has("expect")) {
    bool only_continue = true;
    size_t n = 0;
    for (std::string_view v : h.GetAll("expect")) {
      ForEachListElement(v, [&](std::string_view e) {
        ++n;
        if (!EqualsIgnoreCase(e, "100-continue")) {
          only_continue = false;
        }
      });
    }
    if (!only_continue || n == 0) {
      Fail(417, "unsupported expectation");
      return;
    }
    request_.expect_continue = true;
  }

  // Persistence (RFC 9112 section 9.3).
  if (http11) {
    request_.keep_alive = !h.HasToken("connection", "close");
  } else {
    request_.keep_alive =
        h.HasToken("connection", "keep-alive") && !h.HasToken("connection", "close");
  }

  if (request_.chunked) {
    state_ = State::kChunkSize;
  } else if (body_remaining_ > 0) {
    // Reserve a bounded amount only: a client announcing a large body and sending nothing must
    // not make us allocate it.
    request_.body.reserve(static_cast<size_t>(std::min<uint64_t>(body_remaining_, 64 * 1024)));
    state_ = State::kBodyIdentity;
  } else {
    state_ = State::kComplete;
  }
}

void HttpRequestParser::ParseChunkSize() {
  // chunk = chunk-size [ chunk-ext ] CRLF (RFC 9112 section 7.1).
  std::string_view line = line_;
  size_t digits = 0;
  while (digits < line.size() && HexValue(line[digits]) >= 0) {
    ++digits;
  }
  if (digits == 0) {
    Fail(400, "chunk size is not hexadecimal");
    return;
  }
  std::string_view hex = line.substr(0, digits);
  while (hex.size() > 1 && hex.front() == '0') {
    hex.remove_prefix(1);
  }
  uint64_t size = 0;
  if (hex.size() > 15) {
    size = UINT64_MAX;  // above any limit; avoids overflow
  } else {
    for (char c : hex) {
      size = size * 16 + static_cast<uint64_t>(HexValue(c));
    }
  }
  std::string_view ext = TrimOws(line.substr(digits));
  if (!ext.empty()) {
    // Extensions are ignored, but must at least look like ';name[=value]...' without controls.
    if (ext.front() != ';' || !std::all_of(ext.begin(), ext.end(), [](char c) {
          return IsFieldValueChar(static_cast<unsigned char>(c));
        })) {
      Fail(400, "malformed chunk extension");
      return;
    }
  }
  if (size > limits_.max_body_bytes - request_.body.size()) {
    Fail(413, "request body is larger than " + std::to_string(limits_.max_body_bytes) + " bytes");
    return;
  }
  if (size == 0) {
    state_ = State::kTrailerLine;
  } else {
    body_remaining_ = size;
    state_ = State::kChunkData;
  }
}

ParsedRequest HttpRequestParser::TakeRequest() {
  ParsedRequest out = std::move(request_);
  request_ = ParsedRequest();
  return out;
}

void HttpRequestParser::Reset() {
  limits_.max_body_bytes = base_max_body_bytes_;
  state_ = State::kStart;
  line_.clear();
  header_bytes_ = 0;
  header_count_ = 0;
  trailer_bytes_ = 0;
  trailer_count_ = 0;
  body_remaining_ = 0;
  saw_cr_ = false;
  request_ = ParsedRequest();
  error_ = HttpParseError();
}

// ---- URL decoding ----

Result<std::string> PercentDecode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      int hi = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return InvalidArgument("bad percent-encoding at offset " + std::to_string(i));
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<std::multimap<std::string, std::string>> ParseUrlEncoded(std::string_view text) {
  std::multimap<std::string, std::string> out;
  while (!text.empty()) {
    size_t amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    size_t eq = pair.find('=');
    MEDLAKE_ASSIGN_OR_RETURN(std::string name, PercentDecode(pair.substr(0, eq), true));
    std::string value;
    if (eq != std::string_view::npos) {
      MEDLAKE_ASSIGN_OR_RETURN(value, PercentDecode(pair.substr(eq + 1), true));
    }
    out.emplace(std::move(name), std::move(value));
  }
  return out;
}

Result<std::vector<std::string>> SplitPath(std::string_view raw_path) {
  if (raw_path.empty() || raw_path.front() != '/') {
    return InvalidArgument("path does not start with '/'");
  }
  std::vector<std::string> segments;
  std::string_view rest = raw_path.substr(1);
  while (true) {
    size_t slash = rest.find('/');
    std::string_view raw = rest.substr(0, slash);
    MEDLAKE_ASSIGN_OR_RETURN(std::string seg, PercentDecode(raw, false));
    if (seg == "." || seg == "..") {
      return InvalidArgument("path contains a dot segment");
    }
    if (seg.find('\0') != std::string::npos) {
      return InvalidArgument("path contains a NUL byte");
    }
    segments.push_back(std::move(seg));
    if (slash == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(slash + 1);
  }
  return segments;
}

std::string_view HttpReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

}  // namespace medlake::server::http
