#include "security/audit/audit_log.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "core/crypto.h"
#include "core/file_system.h"
#include "core/logging.h"

namespace medlake::security {
namespace {

// getpid() is a system call; every append asks whether it runs in a forked child. The pid is
// read once and renewed in the child by an atfork handler.
std::atomic<int> g_pid{0};
void RenewPid() { g_pid.store(static_cast<int>(::getpid()), std::memory_order_relaxed); }
int CurrentPid() {
  static const bool registered = [] {
    RenewPid();
    return ::pthread_atfork(nullptr, nullptr, RenewPid) == 0;
  }();
  if (!registered) return static_cast<int>(::getpid());
  return g_pid.load(std::memory_order_relaxed);
}

// docs/formats/audit_log.md describes every constant below.
constexpr std::string_view kHeadMagic = "medlake-audit-head";
constexpr int kHeadVersion = 1;
constexpr std::string_view kSegmentPrefix = "audit-";
constexpr std::string_view kSegmentSuffix = ".jsonl";
constexpr std::string_view kHashKey = ",\"hash\":\"";
// `,"hash":"<64 hex>"}` closes every line.
constexpr size_t kHashSuffixBytes = kHashKey.size() + 64 + 2;
constexpr size_t kRecordKeys = 16;  // keys of the canonical form (all but "hash")
// Group commit bounds: a leader writes at most this many records / bytes in one fdatasync.
constexpr size_t kMaxBatchRecords = 1024;
constexpr size_t kMaxBatchBytes = size_t{4} << 20;

// ---------------------------------------------------------------------------------------------
// POSIX helpers.

Status ErrnoStatus(std::string_view what, const std::string& path, int err) {
  std::string msg(what);
  msg += " ";
  msg += path;
  msg += ": ";
  msg += std::strerror(err);
  if (err == ENOENT)
    return NotFound(std::move(msg));
  return IOError(std::move(msg));
}

// Owns a file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      if (fd_ >= 0)
        ::close(fd_);
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

Result<Fd> OpenFile(const std::string& path, int flags, mode_t mode = 0600) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return ErrnoStatus("opening", path, errno);
  return Fd(fd);
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return ErrnoStatus("writing", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

Status SyncFd(int fd, const std::string& path) {
  if (::fdatasync(fd) != 0)
    return ErrnoStatus("syncing", path, errno);
  return Status::OK();
}

Status SyncDir(const std::string& dir) {
  MEDLAKE_ASSIGN_OR_RETURN(Fd fd, OpenFile(dir, O_RDONLY | O_DIRECTORY));
  if (::fsync(fd.get()) != 0)
    return ErrnoStatus("syncing directory", dir, errno);
  return Status::OK();
}

// Reads `n` bytes at `offset` (fewer at end of file).
Result<std::string> ReadAt(int fd, int64_t offset, int64_t n, const std::string& path) {
  std::string out(static_cast<size_t>(n), '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t r = ::pread(fd, out.data() + got, out.size() - got,
                        static_cast<off_t>(offset + static_cast<int64_t>(got)));
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return ErrnoStatus("reading", path, errno);
    }
    if (r == 0)
      break;
    got += static_cast<size_t>(r);
  }
  out.resize(got);
  return out;
}

// The first `max_bytes` bytes of `path` (-1: all).
Result<std::string> ReadFilePrefix(const std::string& path, int64_t max_bytes = -1) {
  MEDLAKE_ASSIGN_OR_RETURN(Fd fd, OpenFile(path, O_RDONLY));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return ErrnoStatus("stat", path, errno);
  int64_t n = st.st_size;
  if (max_bytes >= 0)
    n = std::min(n, max_bytes);
  return ReadAt(fd.get(), 0, n, path);
}

// The content of a small file, or nullopt when it does not exist.
Result<std::optional<std::string>> ReadOptionalFile(const std::string& path) {
  auto text = ReadFilePrefix(path, 4096);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound)
      return std::optional<std::string>();
    return text.status();
  }
  return std::optional<std::string>(std::move(*text));
}

// Takes flock(`op`) on <dir>/LOCK; closing the returned descriptor releases it. A fresh open file
// description per call, so threads, AuditLog objects and forked children all exclude each other.
// With `read_only_ok`, a directory we may not write (a read-only copy or mount being verified)
// gives an invalid Fd instead of an error: nobody can append there, so there is nothing to
// exclude, and the caller must not repair.
Result<Fd> LockDir(const std::string& dir, int op, bool read_only_ok = false) {
  const std::string path = JoinPath(dir, "LOCK");
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    const int err = errno;
    if (read_only_ok && (err == EROFS || err == EACCES || err == EPERM))
      return Fd();
    return ErrnoStatus("opening", path, err);
  }
  Fd lock(fd);
  while (::flock(lock.get(), op) != 0) {
    if (errno != EINTR)
      return ErrnoStatus("locking", path, errno);
  }
  return lock;
}

// ---------------------------------------------------------------------------------------------
// Segments.

std::string SegmentName(int64_t number) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "audit-%06" PRId64 ".jsonl", number);
  return buf;
}

// Parses "audit-<digits>.jsonl" (number >= 1); false for any other name.
bool ParseSegmentName(std::string_view name, int64_t* number) {
  if (name.size() <= kSegmentPrefix.size() + kSegmentSuffix.size() ||
      name.substr(0, kSegmentPrefix.size()) != kSegmentPrefix ||
      name.substr(name.size() - kSegmentSuffix.size()) != kSegmentSuffix) {
    return false;
  }
  std::string_view digits = name.substr(
      kSegmentPrefix.size(), name.size() - kSegmentPrefix.size() - kSegmentSuffix.size());
  if (digits.size() > 18)
    return false;
  int64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + (c - '0');
  }
  if (v < 1 || SegmentName(v) != name)
    return false;  // one spelling per number
  *number = v;
  return true;
}

struct Segment {
  int64_t number = 0;
  std::string name;
  int64_t size = 0;
};

// The segments of `dir` in number order.
Result<std::vector<Segment>> ListSegments(const std::string& dir) {
  MEDLAKE_ASSIGN_OR_RETURN(auto entries, LocalFileSystem::Default().ListDirectory(dir));
  std::vector<Segment> out;
  for (const auto& e : entries) {
    Segment s;
    if (e.is_directory || !ParseSegmentName(e.name, &s.number))
      continue;
    s.name = e.name;
    s.size = static_cast<int64_t>(e.size);
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const Segment& a, const Segment& b) { return a.number < b.number; });
  return out;
}

// ---------------------------------------------------------------------------------------------
// UTF-8 and JSON.

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong forms, no surrogates,
// at most U+10FFFF), or 0.
size_t Utf8SequenceAt(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80)
    return 1;
  size_t n;
  uint32_t cp;
  uint32_t min;
  if ((c & 0xE0) == 0xC0) {
    n = 2, cp = c & 0x1Fu, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, cp = c & 0x0Fu, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, cp = c & 0x07u, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size())
    return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (d & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

// Replaces each byte that does not start a well-formed UTF-8 sequence by U+FFFD.
void FixUtf8(std::string* s) {
  size_t i = 0;
  while (i < s->size()) {
    size_t n = Utf8SequenceAt(*s, i);
    if (n == 0)
      break;
    i += n;
  }
  if (i == s->size())
    return;  // the common case: valid, untouched
  std::string out(s->data(), i);
  while (i < s->size()) {
    size_t n = Utf8SequenceAt(*s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(*s, i, n);
      i += n;
    }
  }
  *s = std::move(out);
}

// JSON string escaping of the canonical form: `"` and `\` escaped, the control characters
// U+0000..U+001F as \b \f \n \r \t or \u00xx (lowercase hex), everything else (UTF-8) as is.
void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

void AppendJsonStrings(std::string* out, const std::vector<std::string>& v) {
  out->push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0)
      out->push_back(',');
    AppendJsonString(out, v[i]);
  }
  out->push_back(']');
}

// The canonical form of `r` with seq, time and prev_hash taken from the arguments.
// The canonical fields between "time" and "prev_hash": they depend on the record alone, so they
// are written before the log's lock is taken (AppendCanonicalAround adds the chain's fields).
void AppendCanonicalBody(std::string* out, const AuditRecord& r) {
  out->reserve(out->size() + 256 + r.statement.size() + r.error.size());
  out->append(",\"actor\":");
  AppendJsonString(out, r.actor);
  out->append(",\"acting_as\":");
  AppendJsonString(out, r.acting_as);
  out->append(",\"client\":");
  AppendJsonString(out, r.client);
  out->append(",\"purpose\":");
  AppendJsonString(out, r.purpose);
  out->append(",\"action\":");
  AppendJsonString(out, r.action);
  out->append(",\"statement\":");
  AppendJsonString(out, r.statement);
  out->append(",\"tables\":");
  AppendJsonStrings(out, r.tables);
  out->append(",\"columns\":");
  AppendJsonStrings(out, r.columns);
  out->append(",\"rows\":").append(std::to_string(r.rows));
  out->append(",\"outcome\":");
  AppendJsonString(out, r.outcome);
  out->append(",\"error\":");
  AppendJsonString(out, r.error);
  out->append(",\"decisions\":");
  AppendJsonStrings(out, r.decisions);
  out->append(",\"break_glass\":").append(r.break_glass ? "true" : "false");
}

// A record's canonical form from its body (AppendCanonicalBody) and its place in the chain.
void AppendCanonicalAround(std::string* out, std::string_view body, int64_t seq, std::string_view time,
                           std::string_view prev_hash) {
  out->reserve(out->size() + 64 + time.size() + body.size() + prev_hash.size() + 32);
  out->append("{\"seq\":").append(std::to_string(seq));
  out->append(",\"time\":");
  AppendJsonString(out, time);
  out->append(body);
  out->append(",\"prev_hash\":");
  AppendJsonString(out, prev_hash);
  out->push_back('}');
}

void AppendCanonical(std::string* out, const AuditRecord& r, int64_t seq, std::string_view time,
                     std::string_view prev_hash) {
  std::string body;
  AppendCanonicalBody(&body, r);
  AppendCanonicalAround(out, body, seq, time, prev_hash);
}

// Turns a canonical form into its stored line (without the newline).
void CloseLine(std::string* canonical, std::string_view hash) {
  canonical->pop_back();  // '}'
  canonical->append(kHashKey).append(hash).append("\"}");
}

bool IsLowerHex64(std::string_view s) {
  if (s.size() != 64)
    return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Field readers for ParseCanonical: false when the key is missing or has another type.
bool GetString(const nlohmann::json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string())
    return false;
  *out = it->get<std::string>();
  return true;
}

bool GetInt(const nlohmann::json& j, const char* key, int64_t* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer())
    return false;
  if (it->is_number_unsigned() &&
      it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return false;
  }
  *out = it->get<int64_t>();
  return true;
}

bool GetStrings(const nlohmann::json& j, const char* key, std::vector<std::string>* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array())
    return false;
  out->clear();
  for (const auto& e : *it) {
    if (!e.is_string())
      return false;
    out->push_back(e.get<std::string>());
  }
  return true;
}

// Parses a canonical form (or anything JSON with the same keys and types) into a record.
std::optional<AuditRecord> ParseCanonical(const std::string& text) {
  // No exceptions: parse errors give a discarded value (STYLE.md section 4).
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || j.size() != kRecordKeys)
    return std::nullopt;
  AuditRecord r;
  auto bg = j.find("break_glass");
  bool ok = GetInt(j, "seq", &r.seq) && GetString(j, "time", &r.time) &&
            GetString(j, "actor", &r.actor) && GetString(j, "acting_as", &r.acting_as) &&
            GetString(j, "client", &r.client) && GetString(j, "purpose", &r.purpose) &&
            GetString(j, "action", &r.action) && GetString(j, "statement", &r.statement) &&
            GetStrings(j, "tables", &r.tables) && GetStrings(j, "columns", &r.columns) &&
            GetInt(j, "rows", &r.rows) && GetString(j, "outcome", &r.outcome) &&
            GetString(j, "error", &r.error) && GetStrings(j, "decisions", &r.decisions) &&
            bg != j.end() && bg->is_boolean() && GetString(j, "prev_hash", &r.prev_hash);
  if (!ok)
    return std::nullopt;
  r.break_glass = bg->get<bool>();
  return r;
}

// What a stored line says about itself.
struct LineCheck {
  bool framed = false;     // ends with ,"hash":"<64 lowercase hex>"}
  bool hash_ok = false;    // framed, and the hash matches the canonical bytes
  bool parsed = false;     // framed, and the canonical bytes parse as a record
  bool canonical = false;  // parsed, and re-serializing the record gives the same bytes
  AuditRecord record;      // when parsed; record.hash is the stored hash
};

LineCheck CheckLine(std::string_view line) {
  LineCheck c;
  if (line.size() < kHashSuffixBytes + 2)
    return c;
  const size_t cut = line.size() - kHashSuffixBytes;
  std::string_view hash = line.substr(cut + kHashKey.size(), 64);
  if (line.substr(cut, kHashKey.size()) != kHashKey || line.substr(line.size() - 2) != "\"}" ||
      !IsLowerHex64(hash)) {
    return c;
  }
  c.framed = true;
  std::string canonical(line.substr(0, cut));
  canonical.push_back('}');
  c.hash_ok = HexEncode(Sha256(canonical)) == hash;
  auto record = ParseCanonical(canonical);
  if (!record)
    return c;
  c.parsed = true;
  c.record = std::move(*record);
  c.record.hash = std::string(hash);
  std::string again;
  AppendCanonical(&again, c.record, c.record.seq, c.record.time, c.record.prev_hash);
  c.canonical = again == canonical;
  return c;
}

std::string FormatAuditTime(int64_t micros) {
  int64_t secs = micros / 1'000'000;
  int64_t rem = micros % 1'000'000;
  if (rem < 0) {
    rem += 1'000'000;
    --secs;
  }
  // The date and time of day change once a second: formatted once per second per thread, and
  // only the milliseconds per call.
  thread_local int64_t formatted_secs = std::numeric_limits<int64_t>::min();
  thread_local char formatted[48];
  thread_local int formatted_len = 0;
  if (secs != formatted_secs) {
    const auto t = static_cast<time_t>(secs);
    struct tm tm {};
    gmtime_r(&t, &tm);
    formatted_len = std::snprintf(formatted, sizeof(formatted), "%04d-%02d-%02dT%02d:%02d:%02d.",
                                  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    formatted_secs = secs;
  }
  const int millis = static_cast<int>(rem / 1000);
  std::string out(formatted, static_cast<size_t>(formatted_len));
  out.push_back(static_cast<char>('0' + millis / 100));
  out.push_back(static_cast<char>('0' + millis / 10 % 10));
  out.push_back(static_cast<char>('0' + millis % 10));
  out.push_back('Z');
  return out;
}

// ---------------------------------------------------------------------------------------------
// HEAD: "medlake-audit-head 1 <seq> <hash> <segment file> <end offset>\n".

struct HeadState {
  int64_t seq = 0;
  std::string hash{kAuditGenesisHash};
  int64_t segment = 1;  // the segment holding record `seq` (the newest segment)
  int64_t offset = 0;   // where record `seq` ends in it (the segment's expected size)
};

std::string FormatHead(const HeadState& h) {
  return std::string(kHeadMagic) + " " + std::to_string(kHeadVersion) + " " +
         std::to_string(h.seq) + " " + h.hash + " " + SegmentName(h.segment) + " " +
         std::to_string(h.offset) + "\n";
}

bool ParseDecimal(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 18)
    return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

bool ParseHead(std::string_view text, HeadState* h) {
  if (text.empty() || text.back() != '\n')
    return false;
  text.remove_suffix(1);
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t sp = text.find(' ', start);
    parts.push_back(text.substr(start, sp == std::string_view::npos ? sp : sp - start));
    if (sp == std::string_view::npos)
      break;
    start = sp + 1;
  }
  int64_t version = 0;
  HeadState out;
  if (parts.size() != 6 || parts[0] != kHeadMagic || !ParseDecimal(parts[1], &version) ||
      version != kHeadVersion || !ParseDecimal(parts[2], &out.seq) || !IsLowerHex64(parts[3]) ||
      !ParseSegmentName(parts[4], &out.segment) || !ParseDecimal(parts[5], &out.offset)) {
    return false;
  }
  out.hash = std::string(parts[3]);
  *h = std::move(out);
  return true;
}

std::string SegmentPath(const std::string& dir, int64_t number) {
  return JoinPath(dir, SegmentName(number));
}

// Replaces HEAD durably (temporary file, fsync, rename, directory fsync): at roll-over and
// repair. After an append HEAD is overwritten in place instead (AuditLog::Files::WriteHead).
Status WriteHeadDurably(const std::string& dir, const HeadState& h) {
  const std::string tmp = JoinPath(dir, "HEAD.tmp");
  const std::string path = JoinPath(dir, "HEAD");
  {
    MEDLAKE_ASSIGN_OR_RETURN(Fd fd, OpenFile(tmp, O_WRONLY | O_CREAT | O_TRUNC));
    MEDLAKE_RETURN_IF_ERROR(WriteAll(fd.get(), FormatHead(h), tmp));
    MEDLAKE_RETURN_IF_ERROR(SyncFd(fd.get(), tmp));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return ErrnoStatus("renaming", tmp, errno);
  return SyncDir(dir);
}

Status CutTornTail(int fd, const std::string& path, int64_t keep, int64_t torn_bytes) {
  if (::ftruncate(fd, static_cast<off_t>(keep)) != 0)
    return ErrnoStatus("truncating", path, errno);
  MEDLAKE_RETURN_IF_ERROR(SyncFd(fd, path));
  Log(LogLevel::kWarn, "audit.torn_tail_removed",
      {LogField("file", LogId(path)), LogField("offset", keep), LogField("bytes", torn_bytes)});
  return Status::OK();
}

// Bytes [h->offset, size) of h->segment follow the head: records appended by a writer that died
// before updating HEAD, and perhaps an unfinished last line. Adopts the records (each must be the
// next link of the chain) and truncates the unfinished line. DataLoss for anything else: it is
// not what a crash leaves, and chaining over it would hide it.
Status AdoptTail(const std::string& dir, HeadState* h, int64_t size) {
  const std::string path = SegmentPath(dir, h->segment);
  MEDLAKE_ASSIGN_OR_RETURN(Fd fd, OpenFile(path, O_RDWR));
  MEDLAKE_ASSIGN_OR_RETURN(std::string tail, ReadAt(fd.get(), h->offset, size - h->offset, path));
  size_t pos = 0;
  while (true) {
    const size_t nl = tail.find('\n', pos);
    if (nl == std::string::npos)
      break;
    LineCheck c = CheckLine(std::string_view(tail).substr(pos, nl - pos));
    if (!c.hash_ok || !c.parsed || !c.canonical || c.record.seq != h->seq + 1 ||
        c.record.prev_hash != h->hash) {
      return DataLoss("audit log " + path + ": the bytes at offset " + std::to_string(h->offset) +
                      " are not the record after " + std::to_string(h->seq) +
                      " (the log was modified or damaged; run `medlake audit verify`)");
    }
    h->seq = c.record.seq;
    h->hash = c.record.hash;
    h->offset += static_cast<int64_t>(nl - pos + 1);
    pos = nl + 1;
  }
  if (pos < tail.size()) {
    MEDLAKE_RETURN_IF_ERROR(
        CutTornTail(fd.get(), path, h->offset, static_cast<int64_t>(tail.size() - pos)));
  } else {
    // The adopted records may not have reached the disk yet (a writer that died before its
    // fdatasync, or one under a sync interval): sync them before HEAD durably names them, so
    // HEAD is never ahead of the durable log.
    MEDLAKE_RETURN_IF_ERROR(SyncFd(fd.get(), path));
  }
  return Status::OK();
}

// Rebuilds the head from the last line of the newest non-empty segment (HEAD missing or
// unreadable, e.g. a crash after its rename but before its data reached the disk).
Result<HeadState> RecoverHead(const std::string& dir) {
  MEDLAKE_ASSIGN_OR_RETURN(auto segments, ListSegments(dir));
  HeadState h;
  if (!segments.empty())
    h.segment = segments.back().number;
  for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
    const std::string path = JoinPath(dir, it->name);
    MEDLAKE_ASSIGN_OR_RETURN(Fd fd, OpenFile(path, O_RDWR));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
      return ErrnoStatus("stat", path, errno);
    MEDLAKE_ASSIGN_OR_RETURN(std::string data, ReadAt(fd.get(), 0, st.st_size, path));
    const size_t last_nl = data.rfind('\n');
    const size_t end = last_nl == std::string::npos ? 0 : last_nl + 1;
    if (end < data.size()) {
      MEDLAKE_RETURN_IF_ERROR(CutTornTail(fd.get(), path, static_cast<int64_t>(end),
                                          static_cast<int64_t>(data.size() - end)));
    }
    if (end == 0)
      continue;  // empty: the last record is in an older segment
    const std::string_view body(data.data(), end - 1);  // without the final newline
    const size_t prev_nl = body.rfind('\n');
    LineCheck c = CheckLine(prev_nl == std::string_view::npos ? body : body.substr(prev_nl + 1));
    if (!c.hash_ok || !c.parsed || !c.canonical) {
      return DataLoss("audit log " + path +
                      ": HEAD is missing and the last line is not a valid record; run `medlake "
                      "audit verify`");
    }
    h.seq = c.record.seq;
    h.hash = c.record.hash;
    h.segment = it->number;
    h.offset = static_cast<int64_t>(end);
    break;
  }
  MEDLAKE_RETURN_IF_ERROR(WriteHeadDurably(dir, h));
  return h;
}

// The current head, repaired after a crash. Must be called with <dir>/LOCK held exclusively.
Result<HeadState> LoadHeadLocked(const std::string& dir) {
  MEDLAKE_ASSIGN_OR_RETURN(auto text, ReadOptionalFile(JoinPath(dir, "HEAD")));
  HeadState h;
  if (!text.has_value() || !ParseHead(*text, &h))
    return RecoverHead(dir);
  const std::string path = SegmentPath(dir, h.segment);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT && h.seq == 0 && h.offset == 0)
      return h;  // created by the first append
    if (errno == ENOENT) {
      return DataLoss("audit log " + dir + ": HEAD names " + SegmentName(h.segment) +
                      ", which is missing (run `medlake audit verify`)");
    }
    return ErrnoStatus("stat", path, errno);
  }
  const int64_t size = st.st_size;
  if (size < h.offset) {
    return DataLoss("audit log " + path + " ends at byte " + std::to_string(size) +
                    " but HEAD says record " + std::to_string(h.seq) + " ends at byte " +
                    std::to_string(h.offset) +
                    ": records were removed or shortened (run `medlake audit verify`)");
  }
  if (size > h.offset) {
    MEDLAKE_RETURN_IF_ERROR(AdoptTail(dir, &h, size));
    MEDLAKE_RETURN_IF_ERROR(WriteHeadDurably(dir, h));
  }
  return h;
}

Status CreateLogDirectory(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      return IOError("audit log " + dir + " is not a directory");
    return Status::OK();
  }
  const std::string parent(Dirname(dir));
  if (!parent.empty())
    MEDLAKE_RETURN_IF_ERROR(LocalFileSystem::Default().CreateDirectories(parent));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoStatus("creating directory", dir, errno);
  }
  if (!parent.empty())
    MEDLAKE_RETURN_IF_ERROR(SyncDir(parent));
  return Status::OK();
}

Status ValidateRecord(const AuditRecord& r) {
  if (r.action.empty())
    return InvalidArgument("audit record without an action");
  if (r.outcome != "ok" && r.outcome != "denied" && r.outcome != "error") {
    return InvalidArgument("audit record outcome must be ok, denied or error");
  }
  if (r.rows < -1)
    return InvalidArgument("audit record rows must be -1 (unknown) or more");
  return Status::OK();
}

// Makes every string valid UTF-8 and cuts an oversized statement (docs/formats/audit_log.md).
void NormalizeRecord(AuditRecord* r, size_t max_statement_bytes) {
  for (std::string* s : {&r->actor, &r->acting_as, &r->client, &r->purpose, &r->action,
                         &r->statement, &r->outcome, &r->error}) {
    FixUtf8(s);
  }
  for (auto* v : {&r->tables, &r->columns, &r->decisions}) {
    for (auto& s : *v)
      FixUtf8(&s);
  }
  if (r->statement.size() > max_statement_bytes) {
    const std::string full_size = std::to_string(r->statement.size());
    const std::string digest = HexEncode(Sha256(r->statement));
    size_t cut = max_statement_bytes;
    while (cut > 0 && (static_cast<unsigned char>(r->statement[cut]) & 0xC0) == 0x80)
      --cut;
    r->statement.resize(cut);
    r->statement += "...[truncated: " + full_size + " bytes, sha256 " + digest + "]";
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string CanonicalAuditJson(const AuditRecord& record) {
  std::string out;
  AppendCanonical(&out, record, record.seq, record.time, record.prev_hash);
  return out;
}

std::string AuditRecordLine(const AuditRecord& record) {
  std::string out = CanonicalAuditJson(record);
  CloseLine(&out, record.hash);
  return out;
}

Result<AuditRecord> ParseAuditRecordLine(std::string_view line) {
  LineCheck c = CheckLine(line);
  if (!c.parsed)
    return DataLoss("not an audit record line");
  if (!c.canonical)
    return DataLoss("audit record line is not in the canonical form");
  return std::move(c.record);
}

std::string AuditLogScanSql(const std::string& glob) {
  std::string quoted = "'";
  for (char c : glob) {
    if (c == '\'')
      quoted += '\'';
    quoted += c;
  }
  quoted += "'";
  return "read_json(" + quoted +
         ", format = 'newline_delimited', columns = {'seq': 'BIGINT', 'time': 'TIMESTAMPTZ', "
         "'actor': 'VARCHAR', 'acting_as': 'VARCHAR', 'client': 'VARCHAR', 'purpose': "
         "'VARCHAR', 'action': 'VARCHAR', 'statement': 'VARCHAR', 'tables': 'VARCHAR[]', "
         "'columns': 'VARCHAR[]', 'rows': 'BIGINT', 'outcome': 'VARCHAR', 'error': 'VARCHAR', "
         "'decisions': 'VARCHAR[]', 'break_glass': 'BOOLEAN', 'prev_hash': 'VARCHAR', 'hash': "
         "'VARCHAR'})";
}

struct AuditLog::Pending {
  AuditRecord* record = nullptr;
  std::string body;     // AppendCanonicalBody of the record, written before any lock
  bool durable = true;  // must be on disk before its Append returns
  Status status;
  bool done = false;
};

// Descriptors kept between writes (a batch costs a lock, a stat, a write, a sync and a HEAD
// update instead of opening four files), and the log's end as this object last left it.
struct AuditLog::Files {
  int pid = 0;             // the process that opened them; a forked child opens its own
  std::string lock_path;   // <dir>/LOCK
  // <dir>/audit-<n>.jsonl, the path of segment n, made once per segment rather than per batch.
  const std::string& SegmentPathOf(const std::string& dir, int64_t n) {
    if (n != path_segment_ || segment_path_.empty()) {
      segment_path_ = SegmentPath(dir, n);
      path_segment_ = n;
    }
    return segment_path_;
  }
  Fd lock;                 // <dir>/LOCK, flock()ed for each batch and each sync
  Fd segment;              // the segment `head` ends in, O_WRONLY | O_APPEND
  int64_t segment_number = 0;
  dev_t segment_dev = 0;   // identity of the open segment, to notice a replaced file
  ino_t segment_ino = 0;
  bool known = false;      // `head` is the log's end as of our last write (valid while the
  HeadState head;          // segment keeps exactly head.offset bytes)
  Fd head_file;            // <dir>/HEAD, overwritten in place
  dev_t head_dev = 0;      // its identity (a repair replaces HEAD by rename)
  ino_t head_ino = 0;
  size_t head_bytes = 0;   // length of the text last written through head_file
  bool dirty = false;      // records written but not synced (sync interval)
  // `lock` is held from a batch that may wait for the background sync until that sync (a
  // lease): the batches in between take no lock and need not check that nobody else appended.
  // Other processes wait for it at most kMaxLeaseHoldMs plus one sync interval.
  bool leased = false;
  std::chrono::steady_clock::time_point lease_since;  // when `leased` last became true

  // HEAD := `state`, overwritten in place; io_mu_ held. A failure is logged (HEAD is a cache).
  void WriteHead(const std::string& dir, const HeadState& state);

 private:
  int64_t path_segment_ = 0;
  std::string segment_path_;
};

namespace {

// Actions whose records may wait for the background sync (AuditLogOptions::sync_interval_ms):
// the per-request records of reads. Everything else changes who may see what, or takes data out.
bool IsRoutine(const AuditRecord& r) {
  return (r.action == "statement" || r.action == "login") && !r.break_glass && !r.sync_now;
}

// The longest sync interval under which a batch keeps the log's lock until the sync (a lease).
constexpr int kMaxLeaseMs = 20;
// How long a lease may last across background syncs that found new records when they ended
// (those syncs run without io_mu_, so records keep coming meanwhile); the first sync after it
// lets the lock go (see BackgroundSyncLocked).
constexpr int kMaxLeaseHoldMs = 50;

// flock(LOCK_EX) on a kept descriptor for one scope.
class ScopedFlock {
 public:
  static Result<ScopedFlock> Take(int fd, const std::string& path) {
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno != EINTR)
        return ErrnoStatus("locking", path, errno);
    }
    return ScopedFlock(fd);
  }
  ScopedFlock(ScopedFlock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ScopedFlock& operator=(ScopedFlock&&) = delete;
  // Keeps the lock past this scope (the caller unlocks it later).
  void Keep() { fd_ = -1; }
  ~ScopedFlock() {
    if (fd_ >= 0)
      (void)::flock(fd_, LOCK_UN);
  }

 private:
  explicit ScopedFlock(int fd) : fd_(fd) {}
  int fd_;
};

// LOCK taken for one batch, unless a lease already holds it (then nothing is taken).
Result<std::optional<ScopedFlock>> LockUnlessLeased(bool leased, int fd, const std::string& path) {
  std::optional<ScopedFlock> locked;
  if (!leased) {
    MEDLAKE_ASSIGN_OR_RETURN(ScopedFlock taken, ScopedFlock::Take(fd, path));
    locked.emplace(std::move(taken));
  }
  return locked;
}

}  // namespace

AuditLog::AuditLog(std::string dir, const AuditLogOptions& options)
    : dir_(std::move(dir)),
      options_(options),
      clock_(options.clock ? *options.clock : SystemClock::Default()),
      owner_pid_(CurrentPid()) {}

AuditLog::~AuditLog() {
  std::unique_ptr<std::thread> flusher;
  {
    std::lock_guard<std::mutex> io(io_mu_);
    stopping_ = true;
    flusher = std::move(flusher_);
  }
  flush_cv_.notify_all();
  if (flusher) {
    if (CurrentPid() == owner_pid_)
      flusher->join();  // its last round syncs what is still waiting
    else
      (void)flusher.release();  // a forked child: the thread is the parent's, not ours to join
  }
  std::lock_guard<std::mutex> io(io_mu_);
  Status s = FlushLocked();
  if (!s.ok()) {
    Log(LogLevel::kError, "audit.sync_failed",
        {LogField("dir", LogId(dir_)), LogField::Error("error", s.ToString())});
  }
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& dir, const Clock* clock) {
  AuditLogOptions options;
  options.clock = clock;
  return Open(dir, options);
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& dir,
                                                 const AuditLogOptions& options) {
  if (dir.empty())
    return InvalidArgument("audit log directory is empty");
  if (options.segment_bytes < 1)
    return InvalidArgument("audit segment_bytes must be positive");
  std::string clean = dir;
  while (clean.size() > 1 && clean.back() == '/')
    clean.pop_back();
  MEDLAKE_RETURN_IF_ERROR(CreateLogDirectory(clean));
  MEDLAKE_ASSIGN_OR_RETURN(Fd lock, LockDir(clean, LOCK_EX, /*read_only_ok=*/true));
  if (lock.get() >= 0) {
    auto head = LoadHeadLocked(clean);
    if (!head.ok()) {
      // Damage is reported by Verify and refused by Append; the log stays readable.
      if (head.status().code() != StatusCode::kDataLoss)
        return head.status();
      Log(LogLevel::kWarn, "audit.log_damaged",
          {LogField("dir", LogId(clean)), LogField::Error("error", head.status().ToString())});
    }
  }
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(clean), options));
}

std::string AuditLog::glob() const { return JoinPath(dir_, "audit-*.jsonl"); }

Status AuditLog::Append(AuditRecord& record) {
  AuditRecord* one[] = {&record};
  return AppendRecords(one);
}

Status AuditLog::AppendAll(const std::vector<AuditRecord*>& records) { return AppendRecords(records); }

Status AuditLog::AppendRecords(std::span<AuditRecord* const> records) {
  if (records.empty()) return Status::OK();
  for (AuditRecord* r : records) MEDLAKE_RETURN_IF_ERROR(ValidateRecord(*r));
  for (AuditRecord* r : records) NormalizeRecord(r, options_.max_statement_bytes);
  const bool may_wait = options_.sync_interval_ms > 0 && CurrentPid() == owner_pid_;
  // One record (a statement's) needs no vector.
  Pending one;
  std::vector<Pending> many(records.size() > 1 ? records.size() : 0);
  std::span<Pending> selves = records.size() == 1 ? std::span<Pending>(&one, 1) : std::span<Pending>(many);
  bool any_durable = false;
  for (size_t i = 0; i < records.size(); ++i) {
    selves[i].record = records[i];
    AppendCanonicalBody(&selves[i].body, *records[i]);
    selves[i].durable = !may_wait || !IsRoutine(*records[i]);
    any_durable = any_durable || selves[i].durable;
  }
  if (!any_durable) {
    // Records that wait for the background sync are written by their own thread, under io_mu_
    // like any batch: a write costs less than joining a group, whose followers each sleep until
    // the leader wakes them (two context switches per record).
    if (selves.size() == 1) {
      Pending* only[] = {&one};
      return WriteBatch(only, /*durable=*/false);
    }
    std::vector<Pending*> batch;
    batch.reserve(selves.size());
    for (Pending& p : selves) batch.push_back(&p);
    return WriteBatch(batch, /*durable=*/false);
  }
  std::unique_lock<std::mutex> lock(mu_);
  for (Pending& p : selves) queue_.push_back(&p);
  // Ours are contiguous in the queue and written in its order: the last one done means all.
  auto all_done = [&] { return selves.back().done; };
  auto first_open = [&]() -> Pending* {
    for (Pending& p : selves) {
      if (!p.done) return &p;
    }
    return nullptr;
  };
  while (true) {
    cv_.wait(lock, [&] { return all_done() || queue_.front() == first_open(); });
    if (all_done()) break;
    // Leader: write everything queued so far (bounded) in one go.
    std::vector<Pending*> batch;
    size_t bytes = 0;
    bool durable = false;
    for (Pending* p : queue_) {
      batch.push_back(p);
      durable = durable || p->durable;
      bytes += 512 + p->record->statement.size();
      if (batch.size() >= kMaxBatchRecords || bytes >= kMaxBatchBytes)
        break;
    }
    lock.unlock();
    Status status = WriteBatch(batch, durable);
    lock.lock();
    for (Pending* p : batch) {
      // MEDLAKE_CHECK: the batch is the queue's prefix; nobody else pops while we lead.
      MEDLAKE_CHECK(queue_.front() == p);
      queue_.pop_front();
      p->status = status;
      p->done = true;
    }
    cv_.notify_all();
  }
  for (const Pending& p : selves) {
    if (!p.status.ok()) return p.status;
  }
  return Status::OK();
}

AuditLog::Files& AuditLog::FilesLocked() {
  const int pid = CurrentPid();
  if (!files_ || files_->pid != pid) {
    // First use, or a forked child: never share the parent's descriptors (a flock belongs to
    // the open file description, so a shared LOCK descriptor would not exclude the parent).
    files_ = std::make_unique<Files>();
    files_->pid = pid;
    files_->lock_path = JoinPath(dir_, "LOCK");
  }
  return *files_;
}

Status AuditLog::WriteBatch(std::span<Pending* const> batch, bool durable) {
  std::lock_guard<std::mutex> io(io_mu_);
  MEDLAKE_RETURN_IF_ERROR(sticky_);
  Files& f = FilesLocked();
  const std::string& lock_path = f.lock_path;
  if (f.lock.get() < 0) {
    MEDLAKE_ASSIGN_OR_RETURN(f.lock, OpenFile(lock_path, O_RDWR | O_CREAT));
  }
  MEDLAKE_ASSIGN_OR_RETURN(std::optional<ScopedFlock> locked, LockUnlessLeased(f.leased, f.lock.get(), lock_path));
  // Unless this batch ends well and may keep it, a lease held from before ends with it.
  struct LeaseEnd {
    AuditLog* log;
    bool keep = false;
    ~LeaseEnd() {
      if (!keep) log->EndLeaseLocked();
    }
  } lease_end{this};

  // The end of the log: what we left, if the segment we wrote is still the same file with the
  // same size (nobody appended, rolled, cut or replaced it since: certain while the lease is
  // held); else HEAD, checked and repaired as Open does.
  HeadState head;
  const bool cached = AtOurEndOrLeasedLocked();
  if (cached) {
    head = f.head;
  } else {
    f.known = false;
    MEDLAKE_ASSIGN_OR_RETURN(head, LoadHeadLocked(dir_));
  }

  // Records we wrote but did not sync are made durable before we let go of their segment (to
  // another writer's end, or at roll-over), so HEAD never names a segment after unsynced records.
  const bool rolling = head.offset >= options_.segment_bytes;
  if ((rolling || !cached) && f.dirty && f.segment.get() >= 0) {
    MEDLAKE_RETURN_IF_ERROR(SyncFd(f.segment.get(), SegmentPath(dir_, f.segment_number)));
    f.dirty = false;
  }
  // Roll over to a new segment. HEAD moves to it durably before any record goes in, so a
  // parsable HEAD always names the newest segment that holds records.
  while (head.offset >= options_.segment_bytes) {
    HeadState next = head;
    next.segment = head.segment + 1;
    next.offset = 0;
    const std::string path = SegmentPath(dir_, next.segment);
    MEDLAKE_ASSIGN_OR_RETURN(Fd fd, OpenFile(path, O_WRONLY | O_CREAT));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
      return ErrnoStatus("stat", path, errno);
    if (st.st_size > 0)
      MEDLAKE_RETURN_IF_ERROR(AdoptTail(dir_, &next, st.st_size));
    MEDLAKE_RETURN_IF_ERROR(SyncDir(dir_));
    MEDLAKE_RETURN_IF_ERROR(WriteHeadDurably(dir_, next));
    head = std::move(next);
  }

  // Serialize and chain under the lock, so seq, time and prev_hash follow log order.
  const std::string time = FormatAuditTime(clock_.NowMicros());
  std::string data;
  size_t estimate = 0;
  for (const Pending* p : batch) estimate += p->body.size() + 256;
  data.reserve(estimate);
  std::vector<std::string> hashes;  // per record; each one's prev_hash is the hash before it
  hashes.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const size_t start = data.size();
    AppendCanonicalAround(&data, batch[i]->body, head.seq + 1 + static_cast<int64_t>(i), time,
                          hashes.empty() ? head.hash : hashes.back());
    hashes.push_back(HexEncode(Sha256(std::string_view(data).substr(start))));
    CloseLine(&data, hashes.back());  // the line ends the text so far
    data.push_back('\n');
  }
  HeadState after;
  after.seq = head.seq + static_cast<int64_t>(batch.size());
  after.hash = hashes.back();
  after.segment = head.segment;
  after.offset = head.offset + static_cast<int64_t>(data.size());

  const std::string& path = f.SegmentPathOf(dir_, head.segment);
  bool created = false;
  if (f.segment.get() < 0 || f.segment_number != head.segment || !cached) {
    f.segment = Fd();
    struct stat st {};
    created = ::stat(path.c_str(), &st) != 0 && errno == ENOENT;
    MEDLAKE_ASSIGN_OR_RETURN(f.segment, OpenFile(path, O_WRONLY | O_APPEND | O_CREAT));
    if (::fstat(f.segment.get(), &st) != 0) {
      const int err = errno;
      f.segment = Fd();
      return ErrnoStatus("stat", path, err);
    }
    if (st.st_size != head.offset) {
      f.segment = Fd();
      return DataLoss("audit log " + path + " changed size under the lock");
    }
    f.segment_number = head.segment;
    f.segment_dev = st.st_dev;
    f.segment_ino = st.st_ino;
  }
  const int fd = f.segment.get();
  Status written = WriteAll(fd, data, path);
  if (written.ok() && (durable || created))
    written = SyncFd(fd, path);
  if (written.ok() && created)
    written = SyncDir(dir_);
  if (!written.ok()) {
    // Take the records back out so the log does not hold records whose Append failed; if even
    // this fails, the next append adopts them (they are valid links of the chain).
    if (::ftruncate(fd, static_cast<off_t>(head.offset)) == 0)
      (void)::fdatasync(fd);
    f.known = false;
    return written;
  }
  f.head = std::move(after);
  f.known = true;
  if (durable) {
    // Everything up to `after` is durable (the sync covered earlier unsynced records too).
    f.dirty = false;
    f.WriteHead(dir_, f.head);
  } else {
    // HEAD waits for the background sync: it must never name records the disk may not have.
    // The sync thread is woken only when the first record of a window arrives (a wake-up per
    // record would cost a context switch per statement).
    const bool first_of_window = !f.dirty;
    f.dirty = true;
    StartFlusherLocked();
    if (first_of_window)
      flush_cv_.notify_all();
    if (flusher_ && options_.sync_interval_ms <= kMaxLeaseMs) {
      // The lock stays ours until the background sync ends the lease (with a longer interval
      // other writers would wait too long for it).
      if (locked) locked->Keep();
      if (!f.leased) f.lease_since = std::chrono::steady_clock::now();
      f.leased = true;
      lease_end.keep = true;
    }
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    AuditRecord& r = *batch[i]->record;
    r.seq = head.seq + 1 + static_cast<int64_t>(i);
    r.time = time;
    r.prev_hash = i == 0 ? head.hash : batch[i - 1]->record->hash;
    r.hash = std::move(hashes[i]);
  }
  return Status::OK();
}

Status AuditLog::Flush() {
  std::lock_guard<std::mutex> io(io_mu_);
  MEDLAKE_RETURN_IF_ERROR(sticky_);
  return FlushLocked();
}

Status AuditLog::FlushLocked() {
  if (!files_ || files_->pid != CurrentPid())
    return Status::OK();
  Files& f = *files_;
  if (!f.dirty) {
    EndLeaseLocked();
    return Status::OK();
  }
  const std::string lock_path = JoinPath(dir_, "LOCK");
  MEDLAKE_ASSIGN_OR_RETURN(std::optional<ScopedFlock> locked, LockUnlessLeased(f.leased, f.lock.get(), lock_path));
  const std::string path = SegmentPath(dir_, f.segment_number);
  Status synced = SyncFd(f.segment.get(), path);
  if (synced.ok()) {
    f.dirty = false;
    // HEAD names our last record only if it is still the log's end (no other writer since).
    if (AtOurEndOrLeasedLocked())
      f.WriteHead(dir_, f.head);
  }
  EndLeaseLocked();
  return synced;
}

Status AuditLog::BackgroundSyncLocked(std::unique_lock<std::mutex>& io) {
  Files& f = *files_;
  if (!f.leased || stopping_ || !f.known || f.segment.get() < 0)
    return FlushLocked();
  // Sync without io_mu_: an fdatasync takes from a tenth of a millisecond to tens of them (more
  // on a busy disk), and every append would wait for it. Under the lease no other process
  // appends, so the sync covers at least our records up to `synced`. Its own descriptor: a
  // roll-over may close the kept one meanwhile.
  Fd fd(::fcntl(f.segment.get(), F_DUPFD_CLOEXEC, 0));
  if (fd.get() < 0)
    return FlushLocked();
  HeadState synced = f.head;
  const int64_t segment = f.segment_number;
  io.unlock();
  Status done = SyncFd(fd.get(), SegmentPath(dir_, segment));  // not SegmentPathOf: io_mu_ is not held
  io.lock();
  MEDLAKE_RETURN_IF_ERROR(done);
  Files& now = *files_;
  if (!now.dirty || !now.leased)
    return Status::OK();  // a durable batch or a roll-over synced and ended the lease meanwhile
  if (now.segment_number == segment && now.head.seq == synced.seq) {
    // Nothing came meanwhile: everything written is durable, HEAD may name it, the lease ends.
    now.dirty = false;
    now.WriteHead(dir_, now.head);
    EndLeaseLocked();
    return Status::OK();
  }
  // Records came during the sync. HEAD may name what the sync covered (never more).
  if (now.segment_number == segment && now.head.segment == synced.segment) {
    now.WriteHead(dir_, synced);
  }
  // The new records wait for the next round. The lease ends once it has lasted kMaxLeaseHoldMs
  // even so, without syncing them first: a writer that takes the lock next finds them after HEAD
  // and adopts them, syncing them before it appends (Recovery), and our next round syncs them
  // if nobody did. Under a steady load every round finds new records; a lease ended only by a
  // round that finds none would keep other processes out for as long as the load lasts.
  if (std::chrono::steady_clock::now() - now.lease_since >= std::chrono::milliseconds(kMaxLeaseHoldMs))
    EndLeaseLocked();
  return Status::OK();
}

void AuditLog::EndLeaseLocked() {
  if (files_ && files_->leased) {
    files_->leased = false;
    (void)::flock(files_->lock.get(), LOCK_UN);
  }
}

bool AuditLog::AtOurEndOrLeasedLocked() const { return files_->leased ? files_->known : AtOurEndLocked(); }

bool AuditLog::AtOurEndLocked() const {
  const Files& f = *files_;
  if (!f.known || f.segment.get() < 0)
    return false;
  struct stat st {};
  return ::stat(SegmentPath(dir_, f.head.segment).c_str(), &st) == 0 && st.st_dev == f.segment_dev &&
         st.st_ino == f.segment_ino && st.st_size == f.head.offset;
}

void AuditLog::Files::WriteHead(const std::string& dir, const HeadState& state) {
  // Overwritten in place through the kept descriptor, without fsync: HEAD is a cache of the log's
  // end, and a stale one is repaired by the next writer that reads it.
  const std::string path = JoinPath(dir, "HEAD");
  if (head_file.get() >= 0) {
    // A repair anywhere (this or another process) replaces HEAD by rename.
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || st.st_dev != head_dev || st.st_ino != head_ino)
      head_file = Fd();
  }
  Status written = Status::OK();
  if (head_file.get() < 0) {
    auto opened = OpenFile(path, O_WRONLY | O_CREAT);
    struct stat st {};
    if (!opened.ok()) {
      written = opened.status();
    } else if (::fstat(opened->get(), &st) != 0) {
      written = ErrnoStatus("stat", path, errno);
    } else {
      head_file = std::move(*opened);
      head_dev = st.st_dev;
      head_ino = st.st_ino;
    }
    head_bytes = std::numeric_limits<size_t>::max();  // length unknown: truncate once
  }
  if (written.ok()) {
    const std::string text = FormatHead(state);
    if (::pwrite(head_file.get(), text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
      written = ErrnoStatus("writing", path, errno);
    } else if (text.size() < head_bytes && ::ftruncate(head_file.get(), static_cast<off_t>(text.size())) != 0) {
      written = ErrnoStatus("truncating", path, errno);
    }
    head_bytes = written.ok() ? text.size() : std::numeric_limits<size_t>::max();
  }
  if (!written.ok()) {
    head_file = Fd();
    Log(LogLevel::kWarn, "audit.head_not_updated",
        {LogField("dir", LogId(dir)), LogField::Error("error", written.ToString())});
  }
}

void AuditLog::StartFlusherLocked() {
  if (flusher_ || stopping_ || CurrentPid() != owner_pid_)
    return;
  flusher_ = std::make_unique<std::thread>([this] { FlusherLoop(); });
}

void AuditLog::FlusherLoop() {
  const auto interval = std::chrono::milliseconds(std::max(1, options_.sync_interval_ms));
  std::unique_lock<std::mutex> io(io_mu_);
  while (true) {
    flush_cv_.wait(io, [&] { return stopping_ || (files_ && files_->dirty); });
    if (!stopping_) {
      // Let the window fill: one sync for every record written in it.
      flush_cv_.wait_for(io, interval, [&] { return stopping_; });
    }
    if (files_ && files_->dirty && sticky_.ok()) {
      Status s = BackgroundSyncLocked(io);
      if (!s.ok()) {
        // The kernel may have dropped the unsynced pages: refuse to go on as if they were kept.
        sticky_ = IOError("audit log " + dir_ + ": a background sync failed, records appended "
                          "since the previous sync may be lost (" + s.ToString() + ")");
        files_->dirty = false;
        Log(LogLevel::kError, "audit.sync_failed",
            {LogField("dir", LogId(dir_)), LogField::Error("error", s.ToString())});
      }
    }
    if (stopping_)
      return;
  }
}

Result<AuditHead> AuditLog::Head() {
  {
    // Our own lease would keep the lock below waiting for the next background sync.
    std::lock_guard<std::mutex> io(io_mu_);
    MEDLAKE_RETURN_IF_ERROR(FlushLocked());
  }
  MEDLAKE_ASSIGN_OR_RETURN(Fd lock, LockDir(dir_, LOCK_EX));
  MEDLAKE_ASSIGN_OR_RETURN(HeadState h, LoadHeadLocked(dir_));
  return AuditHead{h.seq, h.hash};
}

Result<AuditVerifyReport> AuditLog::Verify(std::string_view expect_head) {
  std::string expect(expect_head);
  std::transform(expect.begin(), expect.end(), expect.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!expect.empty() && !IsLowerHex64(expect)) {
    return InvalidArgument("the expected head must be 64 hexadecimal digits (a SHA-256 hash)");
  }

  // Note HEAD and the segments' sizes under the lock (after the usual repair), then read without
  // it: appends only add bytes after the noted sizes.
  std::optional<std::string> head_text;
  std::vector<Segment> segments;
  {
    std::lock_guard<std::mutex> io(io_mu_);
    (void)FlushLocked();  // ends our own lease (a failed sync is the appends' error)
  }
  {
    MEDLAKE_ASSIGN_OR_RETURN(Fd lock, LockDir(dir_, LOCK_EX, /*read_only_ok=*/true));
    if (lock.get() >= 0) {
      Result<HeadState> repaired = LoadHeadLocked(dir_);
      (void)repaired;  // damage it reports is found again, in detail, below
    }
    MEDLAKE_ASSIGN_OR_RETURN(head_text, ReadOptionalFile(JoinPath(dir_, "HEAD")));
    MEDLAKE_ASSIGN_OR_RETURN(segments, ListSegments(dir_));
  }
  HeadState head;
  const bool head_parsed = head_text.has_value() && ParseHead(*head_text, &head);

  AuditVerifyReport report;
  auto problem = [&](int64_t seq, const std::string& file, int64_t line, std::string what) {
    report.problems.push_back(AuditProblem{seq, file, line, std::move(what)});
  };
  int64_t expected = 1;  // the next seq in chain order
  int64_t last_seq = 0;  // the last record accepted into the chain
  std::string last_hash(kAuditGenesisHash);
  int64_t unparsed = 0;                         // unreadable lines since the last accepted record
  std::optional<std::string> head_record_hash;  // hash of the record HEAD names, once seen

  for (const Segment& segment : segments) {
    auto data = ReadFilePrefix(JoinPath(dir_, segment.name), segment.size);
    if (!data.ok()) {
      problem(0, segment.name, 0, "cannot read the segment: " + data.status().ToString());
      continue;
    }
    std::string_view rest(*data);
    int64_t line_no = 0;
    while (!rest.empty()) {
      ++line_no;
      const size_t nl = rest.find('\n');
      if (nl == std::string_view::npos) {
        problem(0, segment.name, line_no,
                "unfinished last line (" + std::to_string(rest.size()) +
                    " bytes without a newline): a write cut short by a crash, or a cut file");
        ++unparsed;
        break;
      }
      const std::string_view line = rest.substr(0, nl);
      rest.remove_prefix(nl + 1);
      LineCheck c = CheckLine(line);
      if (!c.parsed) {
        std::string what = "line is not an audit record (expected record " +
                           std::to_string(expected) + " or later)";
        if (c.framed && !c.hash_ok)
          what += "; its hash does not match its bytes: edited";
        problem(0, segment.name, line_no, std::move(what));
        ++unparsed;
        continue;
      }
      ++report.records;
      const AuditRecord& r = c.record;
      if (!c.hash_ok) {
        problem(
            r.seq, segment.name, line_no,
            "record " + std::to_string(r.seq) + " was edited: its hash does not match its content");
      } else if (!c.canonical) {
        problem(r.seq, segment.name, line_no,
                "record " + std::to_string(r.seq) +
                    " is not in the canonical form (rewritten by another tool)");
      }
      if (!expect.empty() && r.hash == expect && report.expected_head_seq == 0) {
        report.expected_head_seq = r.seq;
      }
      if (head_parsed && r.seq == head.seq && !head_record_hash)
        head_record_hash = r.hash;

      if (r.seq < expected) {
        problem(r.seq, segment.name, line_no,
                "record " + std::to_string(r.seq) + " is out of order: it comes after record " +
                    std::to_string(last_seq) + " (records swapped, moved or duplicated)");
        continue;  // not accepted: the chain goes on from the last record in order
      }
      if (r.seq > expected) {
        const int64_t missing = r.seq - expected;
        if (missing > unparsed) {  // unreadable lines in between were reported already
          problem(expected, segment.name, line_no,
                  (missing == 1
                       ? "record " + std::to_string(expected)
                       : "records " + std::to_string(expected) + ".." + std::to_string(r.seq - 1)) +
                      " missing before record " + std::to_string(r.seq) +
                      " (deleted, or moved further on)");
        }
      } else if (r.prev_hash != last_hash) {
        problem(r.seq, segment.name, line_no,
                last_seq == 0
                    ? "record " + std::to_string(r.seq) +
                          ": prev_hash of the first record is not the genesis hash"
                    : "chain broken at record " + std::to_string(r.seq) +
                          ": its prev_hash is not the hash of record " + std::to_string(last_seq) +
                          " (a record before it was replaced)");
      }
      last_seq = r.seq;
      last_hash = r.hash;
      expected = r.seq + 1;
      unparsed = 0;
    }
  }

  // HEAD may lag the log after a crash (the records after it were checked like any other), but
  // it is never ahead of it unless records were removed from the end.
  if (!head_text.has_value()) {
    if (report.records > 0)
      problem(0, "HEAD", 0, "HEAD is missing");
  } else if (!head_parsed) {
    problem(0, "HEAD", 0, "HEAD is not readable");
  } else if (head.seq > last_seq) {
    problem(head.seq, "HEAD", 0,
            "HEAD names record " + std::to_string(head.seq) + " but the log ends at record " +
                std::to_string(last_seq) + ": records " + std::to_string(last_seq + 1) + ".." +
                std::to_string(head.seq) + " were removed from the end");
  } else if (head.seq > 0 && !head_record_hash) {
    problem(head.seq, "HEAD", 0,
            "HEAD names record " + std::to_string(head.seq) + ", which is not in the log");
  } else if (head.seq > 0 && *head_record_hash != head.hash) {
    problem(head.seq, "HEAD", 0,
            "HEAD's hash of record " + std::to_string(head.seq) +
                " differs from the record's hash (the record or HEAD was rewritten)");
  }
  if (!expect.empty() && report.expected_head_seq == 0) {
    problem(0, "", 0,
            "expected head " + expect +
                " is not in the log: the log was rewritten or cut before it, or it is another "
                "log's hash");
  }
  report.head_seq = last_seq;
  report.head_hash = last_hash;
  return report;
}

Result<std::vector<AuditRecord>> AuditLog::Read(int64_t from_seq, int64_t limit) {
  std::vector<AuditRecord> out;
  if (limit == 0)
    return out;
  from_seq = std::max<int64_t>(from_seq, 1);
  MEDLAKE_ASSIGN_OR_RETURN(auto segments, ListSegments(dir_));
  // Start at the last segment whose first record is at or before from_seq.
  size_t start = 0;
  for (size_t i = segments.size(); i-- > 0;) {
    MEDLAKE_ASSIGN_OR_RETURN(std::string head,
                             ReadFilePrefix(JoinPath(dir_, segments[i].name), 64 * 1024));
    const size_t nl = head.find('\n');
    if (nl == std::string::npos)
      continue;  // empty, or a first line too long to peek: go back
    const LineCheck c = CheckLine(std::string_view(head).substr(0, nl));
    if (c.parsed && c.record.seq <= from_seq) {
      start = i;
      break;
    }
  }
  for (size_t i = start; i < segments.size(); ++i) {
    auto data = ReadFilePrefix(JoinPath(dir_, segments[i].name));
    if (!data.ok()) {
      if (data.status().code() == StatusCode::kNotFound)
        continue;
      return data.status();
    }
    std::string_view rest(*data);
    while (true) {
      const size_t nl = rest.find('\n');
      if (nl == std::string_view::npos)
        break;  // unfinished last line
      LineCheck c = CheckLine(rest.substr(0, nl));
      rest.remove_prefix(nl + 1);
      if (!c.parsed || c.record.seq < from_seq)
        continue;
      out.push_back(std::move(c.record));
      if (limit > 0 && static_cast<int64_t>(out.size()) >= limit)
        return out;
    }
  }
  return out;
}

}  // namespace medlake::security
