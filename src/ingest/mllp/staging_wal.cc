#include "ingest/mllp/staging_wal.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "core/logging.h"

namespace medlake::ingest::mllp {
namespace {

// Record framing (docs/formats/mllp_wal.md): fixed32 crc, fixed32 body length, body.
constexpr size_t kHeaderBytes = 8;
constexpr size_t kMinBodyBytes = 1 + 8 + 2 + 2 + 4 + 4;
constexpr const char* kCheckpointName = "CHECKPOINT";
constexpr const char* kCheckpointMagic = "medlake-mllp-wal-checkpoint 1 ";

void PutFixed16(std::string* out, uint16_t v) {
  for (int i = 0; i < 2; ++i)
    out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutFixed32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutFixed64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t GetFixed(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

uint32_t Crc32(std::string_view data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths; feed large inputs in pieces.
  while (!data.empty()) {
    size_t n = std::min<size_t>(data.size(), 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(n));
    data.remove_prefix(n);
  }
  return static_cast<uint32_t>(crc);
}

std::string SegmentName(uint64_t start) {
  char name[40];
  std::snprintf(name, sizeof(name), "wal-%016" PRIx64 ".log", start);
  return name;
}

// Parses "wal-<16 hex>.log"; false for any other name.
bool ParseSegmentName(const std::string& name, uint64_t* start) {
  if (name.size() != 24 || name.compare(0, 4, "wal-") != 0 || name.compare(20, 4, ".log") != 0) {
    return false;
  }
  uint64_t v = 0;
  for (size_t i = 4; i < 20; ++i) {
    char c = name[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0)
      return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *start = v;
  return true;
}

Status ErrnoStatus(const std::string& what, const std::string& path, int err) {
  return IOError(what + " " + path + ": " + std::strerror(err));
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return ErrnoStatus("opening directory", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0)
    return ErrnoStatus("syncing directory", dir, err);
  return Status::OK();
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
  if (::fdatasync(fd) != 0)
    return ErrnoStatus("syncing", path, errno);
  return Status::OK();
}

// Reads exactly `n` bytes at `offset`; false on a short read (end of file).
Result<bool> PreadExact(int fd, uint64_t offset, size_t n, std::string* out,
                        const std::string& path) {
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, out->data() + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return ErrnoStatus("reading", path, errno);
    }
    if (r == 0)
      return false;
    done += static_cast<size_t>(r);
  }
  return true;
}

// Decodes a record body; false when the fields do not add up (corruption).
bool DecodeBody(std::string_view body, WalRecord* rec) {
  if (body.size() < kMinBodyBytes)
    return false;
  const char* p = body.data();
  size_t left = body.size();
  auto take = [&](size_t n) -> const char* {
    if (left < n)
      return nullptr;
    const char* at = p;
    p += n;
    left -= n;
    return at;
  };
  auto take_string = [&](int len_bytes, std::string* s) -> bool {
    const char* l = take(static_cast<size_t>(len_bytes));
    if (!l)
      return false;
    uint64_t len = GetFixed(l, len_bytes);
    const char* d = take(len);
    if (!d)
      return false;
    s->assign(d, len);
    return true;
  };
  uint8_t kind = static_cast<uint8_t>(*take(1));
  if (kind != static_cast<uint8_t>(WalRecordKind::kAccepted) &&
      kind != static_cast<uint8_t>(WalRecordKind::kRejected)) {
    return false;
  }
  rec->kind = static_cast<WalRecordKind>(kind);
  rec->received_micros = static_cast<int64_t>(GetFixed(take(8), 8));
  if (!take_string(2, &rec->peer) || !take_string(2, &rec->reason_code) ||
      !take_string(4, &rec->reason) || !take_string(4, &rec->payload)) {
    return false;
  }
  return left == 0;
}

}  // namespace

std::string EncodeWalRecord(const WalRecord& record) {
  std::string out;
  out.reserve(kHeaderBytes + kMinBodyBytes + record.peer.size() + record.reason_code.size() +
              record.reason.size() + record.payload.size());
  out.append(kHeaderBytes, '\0');
  out.push_back(static_cast<char>(record.kind));
  PutFixed64(&out, static_cast<uint64_t>(record.received_micros));
  // Peer and reason code are short identifiers; longer ones are cut (they are lineage only).
  std::string_view peer = std::string_view(record.peer).substr(0, 0xffff);
  std::string_view code = std::string_view(record.reason_code).substr(0, 0xffff);
  PutFixed16(&out, static_cast<uint16_t>(peer.size()));
  out.append(peer);
  PutFixed16(&out, static_cast<uint16_t>(code.size()));
  out.append(code);
  PutFixed32(&out, static_cast<uint32_t>(record.reason.size()));
  out.append(record.reason);
  PutFixed32(&out, static_cast<uint32_t>(record.payload.size()));
  out.append(record.payload);
  const uint32_t body_len = static_cast<uint32_t>(out.size() - kHeaderBytes);
  std::string len;
  PutFixed32(&len, body_len);
  std::memcpy(out.data() + 4, len.data(), 4);
  // The CRC covers the length field too, so a torn or zeroed length is caught.
  std::string crc;
  PutFixed32(&crc, Crc32(std::string_view(out).substr(4)));
  std::memcpy(out.data(), crc.data(), 4);
  return out;
}

StagingWal::StagingWal(std::string dir, const StagingWalOptions& options)
    : dir_(std::move(dir)), options_(options) {}

StagingWal::~StagingWal() {
  internal::MutexLock lock(&mu_);
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

Result<std::unique_ptr<StagingWal>> StagingWal::Open(const std::string& dir,
                                                     const StagingWalOptions& options) {
  auto wal = std::make_unique<StagingWal>(dir, options);
  MEDLAKE_RETURN_IF_ERROR(wal->Recover());
  return wal;
}

Status StagingWal::Recover() {
  MEDLAKE_RETURN_IF_ERROR(fs_.CreateDirectories(dir_));
  uint64_t checkpoint = 0;
  const std::string cp_path = JoinPath(dir_, kCheckpointName);
  MEDLAKE_ASSIGN_OR_RETURN(bool has_checkpoint, fs_.Exists(cp_path));
  if (has_checkpoint) {
    MEDLAKE_ASSIGN_OR_RETURN(std::string text, fs_.ReadFile(cp_path));
    const std::string magic = kCheckpointMagic;
    bool ok = text.size() > magic.size() + 1 && text.compare(0, magic.size(), magic) == 0 &&
              text.back() == '\n';
    if (ok) {
      std::string digits = text.substr(magic.size(), text.size() - magic.size() - 1);
      ok = !digits.empty() && digits.size() <= 19 &&
           std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
      for (size_t k = 0; ok && k < digits.size(); ++k) {
        checkpoint = checkpoint * 10 + static_cast<uint64_t>(digits[k] - '0');
      }
    }
    if (!ok)
      return DataLoss("corrupt MLLP WAL checkpoint " + cp_path);
  }
  MEDLAKE_ASSIGN_OR_RETURN(auto entries, fs_.ListDirectory(dir_));
  std::vector<Segment> segments;
  for (const auto& e : entries) {
    uint64_t start = 0;
    if (!e.is_directory && ParseSegmentName(e.name, &start)) {
      segments.push_back(Segment{start, JoinPath(dir_, e.name)});
    }
  }
  std::sort(segments.begin(), segments.end(),
            [](const Segment& a, const Segment& b) { return a.start < b.start; });
  uint64_t next = checkpoint;
  if (!segments.empty()) {
    MEDLAKE_ASSIGN_OR_RETURN(uint64_t size, fs_.FileSize(segments.back().path));
    next = std::max(next, segments.back().start + size);
    // An empty last segment (crash right after it was created) is replaced by the new one.
    if (size == 0 && segments.back().start == next) {
      MEDLAKE_RETURN_IF_ERROR(fs_.Remove(segments.back().path));
      segments.pop_back();
    }
  }
  internal::MutexLock lock(&mu_);
  segments_ = std::move(segments);
  checkpoint_ = checkpoint;
  next_position_ = next;
  durable_end_ = next;
  MEDLAKE_RETURN_IF_ERROR(OpenNewSegment(next));
  Log(LogLevel::kInfo, "mllp_wal_opened",
      {{"segments", static_cast<uint64_t>(segments_.size())},
       {"checkpoint", checkpoint_},
       {"end", durable_end_}});
  return Status::OK();
}

Status StagingWal::OpenNewSegment(uint64_t start) {
  std::string path = JoinPath(dir_, SegmentName(start));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    return ErrnoStatus("creating WAL segment", path, errno);
  // The new file's directory entry must be durable before records in it are acknowledged.
  Status st = SyncDir(dir_);
  if (!st.ok()) {
    ::close(fd);
    return st;
  }
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = fd;
  active_size_ = 0;
  segments_.push_back(Segment{start, std::move(path)});
  return Status::OK();
}

Result<uint64_t> StagingWal::Append(const WalRecord& record) {
  MEDLAKE_ASSIGN_OR_RETURN(auto positions, Append(std::span<const WalRecord>(&record, 1)));
  return positions[0];
}

Result<std::vector<uint64_t>> StagingWal::Append(std::span<const WalRecord> records) {
  std::string encoded;
  std::vector<uint32_t> sizes;
  for (const auto& r : records) {
    if (r.payload.size() > options_.max_payload_bytes) {
      return InvalidArgument("WAL record payload of " + std::to_string(r.payload.size()) +
                             " bytes exceeds the limit of " +
                             std::to_string(options_.max_payload_bytes));
    }
    std::string one = EncodeWalRecord(r);
    sizes.push_back(static_cast<uint32_t>(one.size()));
    encoded += one;
  }
  std::vector<uint64_t> positions;
  positions.reserve(records.size());

  mu_.Lock();
  if (!error_.ok()) {
    Status st = error_;
    mu_.Unlock();
    return st;
  }
  for (uint32_t size : sizes) {
    positions.push_back(next_position_);
    next_position_ += size;
  }
  pending_ += encoded;
  appended_records_ += records.size();
  const uint64_t my_end = next_position_;
  // Leader/follower group commit: whoever finds no write in progress takes everything pending
  // (its own records and those of the waiting followers), writes and syncs it without the lock,
  // then wakes everyone; followers whose records were covered return, others elect a new leader.
  while (durable_end_ < my_end && error_.ok()) {
    if (leader_active_) {
      synced_cv_.Wait();
      continue;
    }
    leader_active_ = true;
    std::string batch;
    batch.swap(pending_);
    const uint64_t batch_end = next_position_;
    const uint64_t batch_records = appended_records_;
    const int fd = fd_;
    const std::string path = segments_.back().path;
    mu_.Unlock();
    Status st = WriteAll(fd, batch, path);
    mu_.Lock();
    leader_active_ = false;
    ++syncs_;
    if (st.ok()) {
      durable_end_ = batch_end;
      durable_records_ = batch_records;
      active_size_ += batch.size();
      if (active_size_ >= options_.segment_bytes)
        st = OpenNewSegment(batch_end);
    }
    if (!st.ok()) {
      error_ = st;
      Log(LogLevel::kError, "mllp_wal_write_failed", {LogField::Error("error", st.ToString())});
    }
    synced_cv_.SignalAll();
  }
  Status st = durable_end_ >= my_end ? Status::OK() : error_;
  mu_.Unlock();
  if (!st.ok())
    return st;
  return positions;
}

Status StagingWal::Read(uint64_t from, size_t max_records, uint64_t max_bytes,
                        std::vector<WalEntry>* out, uint64_t* next) const {
  std::vector<Segment> segs;
  uint64_t end = 0;
  {
    internal::MutexLock lock(&mu_);
    segs = segments_;
    end = durable_end_;
  }
  out->clear();
  uint64_t pos = from;
  *next = pos;
  if (segs.empty() || max_records == 0)
    return Status::OK();
  size_t i = 0;
  while (i + 1 < segs.size() && segs[i + 1].start <= pos)
    ++i;
  if (pos < segs[i].start)
    pos = segs[i].start;
  uint64_t bytes = 0;
  int fd = -1;
  size_t fd_segment = segs.size();
  auto close_fd = [&]() {
    if (fd >= 0)
      ::close(fd);
    fd = -1;
  };
  std::string header, body;
  Status status;
  while (i < segs.size() && out->size() < max_records && (out->empty() || bytes < max_bytes)) {
    const uint64_t limit = i + 1 < segs.size() ? segs[i + 1].start : end;
    if (pos >= limit) {
      if (i + 1 >= segs.size())
        break;
      ++i;
      pos = std::max(pos, segs[i].start);
      continue;
    }
    if (fd_segment != i) {
      close_fd();
      fd = ::open(segs[i].path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        status = ErrnoStatus("opening WAL segment", segs[i].path, errno);
        break;
      }
      fd_segment = i;
    }
    const uint64_t off = pos - segs[i].start;
    bool good = false;
    auto h = PreadExact(fd, off, kHeaderBytes, &header, segs[i].path);
    if (!h.ok()) {
      status = h.status();
      break;
    }
    if (*h && pos + kHeaderBytes <= limit) {
      const uint64_t len = GetFixed(header.data() + 4, 4);
      if (len >= kMinBodyBytes && len <= options_.max_payload_bytes + (1u << 20) &&
          pos + kHeaderBytes + len <= limit) {
        auto b = PreadExact(fd, off + kHeaderBytes, len, &body, segs[i].path);
        if (!b.ok()) {
          status = b.status();
          break;
        }
        if (*b) {
          std::string framed = header.substr(4) + body;
          if (Crc32(framed) == static_cast<uint32_t>(GetFixed(header.data(), 4))) {
            WalEntry entry;
            entry.position = pos;
            if (DecodeBody(body, &entry.record)) {
              bytes += entry.record.payload.size();
              out->push_back(std::move(entry));
              pos += kHeaderBytes + len;
              good = true;
            }
          }
        }
      }
    }
    if (!good) {
      // A torn tail from a crash (never acknowledged) or corruption: the rest of this segment
      // cannot be framed, so continue with the next segment.
      Log(LogLevel::kWarn, "mllp_wal_skipped_bad_tail",
          {{"segment_start", segs[i].start}, {"offset", off}, {"bytes", limit - pos}});
      pos = limit;
    }
  }
  close_fd();
  *next = pos;
  return status;
}

Status StagingWal::Checkpoint(uint64_t position) {
  {
    internal::MutexLock lock(&mu_);
    if (position > durable_end_ || position < checkpoint_) {
      return InvalidArgument("WAL checkpoint " + std::to_string(position) +
                             " outside the committed range [" + std::to_string(checkpoint_) + ", " +
                             std::to_string(durable_end_) + "]");
    }
  }
  // Only the committer checkpoints; the file write happens outside the lock so that appends
  // are not held up by its fsyncs.
  MEDLAKE_RETURN_IF_ERROR(fs_.WriteFileAtomic(JoinPath(dir_, kCheckpointName),
                                              kCheckpointMagic + std::to_string(position) + "\n"));
  std::vector<std::string> obsolete;
  {
    internal::MutexLock lock(&mu_);
    checkpoint_ = std::max(checkpoint_, position);
    // A segment is obsolete when the next one starts at or below the checkpoint; the active
    // (last) segment is never removed.
    size_t drop = 0;
    while (drop + 1 < segments_.size() && segments_[drop + 1].start <= checkpoint_)
      ++drop;
    for (size_t k = 0; k < drop; ++k)
      obsolete.push_back(segments_[k].path);
    segments_.erase(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(drop));
  }
  for (const auto& path : obsolete) {
    Status st = fs_.Remove(path);
    // A segment left behind is harmless (replay starts at the checkpoint); report and go on.
    if (!st.ok())
      Log(LogLevel::kWarn, "mllp_wal_remove_failed", {{"path", LogId(path)}});
  }
  return Status::OK();
}

uint64_t StagingWal::checkpoint() const {
  internal::MutexLock lock(&mu_);
  return checkpoint_;
}
uint64_t StagingWal::durable_end() const {
  internal::MutexLock lock(&mu_);
  return durable_end_;
}
uint64_t StagingWal::durable_records() const {
  internal::MutexLock lock(&mu_);
  return durable_records_;
}
uint64_t StagingWal::sync_count() const {
  internal::MutexLock lock(&mu_);
  return syncs_;
}
size_t StagingWal::segment_count() const {
  internal::MutexLock lock(&mu_);
  return segments_.size();
}

}  // namespace medlake::ingest::mllp
