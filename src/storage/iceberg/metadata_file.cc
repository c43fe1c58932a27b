#include "storage/iceberg/metadata_file.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <unordered_map>
#include <utility>
#include <vector>

#include "storage/iceberg/json_internal.h"

namespace medlake::storage::iceberg {
namespace {

// Runs of history deflated once and kept (see the header).
constexpr size_t kSnapshotsPerRun = SnapshotList::kChunk;
constexpr size_t kLogEntriesPerRun = 256;
// Kept runs are deflated harder than the parts written on every commit.
constexpr int kRunLevel = 6;
constexpr int kDynamicLevel = 1;
// zlib counts in 32-bit units; feed it at most this much at a time.
constexpr size_t kZlibChunk = size_t{1} << 30;

uint32_t Crc(uint32_t crc, std::string_view text) {
  while (!text.empty()) {
    size_t n = std::min(text.size(), kZlibChunk);
    crc = static_cast<uint32_t>(crc32(crc, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(n)));
    text.remove_prefix(n);
  }
  return crc;
}

// A raw deflate stream (RFC 1951) into `out`. Text() compresses; Flush() ends the output on a byte
// boundary with nothing pending and the history forgotten, so that bytes deflated elsewhere may be
// appended after it; Finish() writes the final block.
class Deflater {
 public:
  // deflateInit2 fails only when memory runs out (the parameters are fixed): that is bad_alloc.
  explicit Deflater(int level) {
    std::memset(&zs_, 0, sizeof zs_);
    if (deflateInit2(&zs_, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw std::bad_alloc();
  }
  ~Deflater() { deflateEnd(&zs_); }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  void Text(std::string_view text, std::string* out) {
    while (!text.empty()) {
      size_t n = std::min(text.size(), kZlibChunk);
      Run(text.substr(0, n), Z_NO_FLUSH, out);
      text.remove_prefix(n);
    }
  }
  void Flush(std::string* out) { Run({}, Z_FULL_FLUSH, out); }
  void Finish(std::string* out) { Run({}, Z_FINISH, out); }

 private:
  void Run(std::string_view in, int flush, std::string* out) {
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs_.avail_in = static_cast<uInt>(in.size());
    for (;;) {
      size_t have = out->size();
      size_t room = std::max<size_t>(deflateBound(&zs_, zs_.avail_in) + 64, 4096);
      out->resize(have + room);
      zs_.next_out = reinterpret_cast<Bytef*>(out->data() + have);
      zs_.avail_out = static_cast<uInt>(room);
      int ret = deflate(&zs_, flush);
      out->resize(have + room - zs_.avail_out);
      // Z_BUF_ERROR only says no progress was possible: nothing was left to do.
      if (ret == Z_STREAM_END || ret == Z_BUF_ERROR) return;
      if (zs_.avail_in == 0 && zs_.avail_out != 0) return;
    }
  }

  z_stream zs_;
};

// `text` deflated as a segment that can be spliced into a stream after its Flush().
SnapshotRunBytes DeflateRun(std::string_view text) {
  SnapshotRunBytes run;
  Deflater d(kRunLevel);
  d.Text(text, &run.bytes);
  d.Flush(&run.bytes);
  run.text_crc32 = Crc(0, text);
  run.text_size = text.size();
  run.crc_combine_op = static_cast<uint32_t>(crc32_combine_gen64(static_cast<z_off64_t>(text.size())));
  return run;
}

// One gzip member (RFC 1952) assembled from text and kept segments.
class GzipBuilder {
 public:
  GzipBuilder() : deflater_(kDynamicLevel) {
    // Magic, deflate, no flags, no modification time, no extra flags, OS "Unix": equal
    // metadata gives equal bytes.
    out_.assign("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
  }
  void Reserve(size_t bytes) { out_.reserve(bytes); }
  void Text(std::string_view text) {
    if (text.empty()) return;
    deflater_.Text(text, &out_);
    crc_ = Crc(crc_, text);
    size_ += text.size();
    flushed_ = false;
  }
  void Segment(const SnapshotRunBytes& run) {
    // Segments in a row need one flush before the first: the stream has nothing pending after.
    if (!flushed_) deflater_.Flush(&out_);
    flushed_ = true;
    out_ += run.bytes;
    crc_ = static_cast<uint32_t>(crc32_combine_op(crc_, run.text_crc32, run.crc_combine_op));
    size_ += run.text_size;
  }
  std::string Finish() {
    deflater_.Finish(&out_);
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((crc_ >> (8 * i)) & 0xFF));
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((size_ >> (8 * i)) & 0xFF));
    return std::move(out_);
  }

 private:
  Deflater deflater_;
  std::string out_;
  uint32_t crc_ = 0;
  uint64_t size_ = 0;  // the trailer keeps it modulo 2^32
  bool flushed_ = false;
};

// Deflated runs of snapshot-log entries, found by content (entries are plain values) and checked
// entry by entry. Shared by every table of the process; emptied when it grows past kMaxLogRuns.
class LogRunCache {
 public:
  static LogRunCache& Global() {
    static LogRunCache* cache = new LogRunCache();  // never destroyed: used until exit
    return *cache;
  }
  std::shared_ptr<const SnapshotRunBytes> Get(const SnapshotLogEntry* entries, size_t count) {
    std::string_view raw(reinterpret_cast<const char*>(entries), count * sizeof(SnapshotLogEntry));
    const size_t key = std::hash<std::string_view>()(raw);
    std::lock_guard<std::mutex> lock(mu_);
    auto range = runs_.equal_range(key);
    for (auto it = range.first; it != range.second; ++it) {
      if (std::equal(it->second.entries.begin(), it->second.entries.end(), entries, entries + count) &&
          it->second.entries.size() == count) {
        return it->second.value;
      }
    }
    std::string text;
    for (size_t i = 0; i < count; ++i) {
      internal::AppendSnapshotLogEntryJson(&text, entries[i]);
      text.push_back(',');
    }
    if (runs_.size() >= kMaxLogRuns) runs_.clear();
    Entry e{std::vector<SnapshotLogEntry>(entries, entries + count),
            std::make_shared<const SnapshotRunBytes>(DeflateRun(text))};
    auto value = e.value;
    runs_.emplace(key, std::move(e));
    return value;
  }

 private:
  static constexpr size_t kMaxLogRuns = 8192;  // ~8 MB of kept runs and entries
  struct Entry {
    std::vector<SnapshotLogEntry> entries;
    std::shared_ptr<const SnapshotRunBytes> value;
  };
  std::mutex mu_;
  std::unordered_multimap<size_t, Entry> runs_;
};

static_assert(sizeof(SnapshotLogEntry) == 2 * sizeof(int64_t), "log entries are hashed as raw bytes");

std::string GzipWhole(std::string_view text) {
  GzipBuilder gz;
  gz.Text(text);
  return gz.Finish();
}

std::string SerializeGzip(const TableMetadata& md) {
  if (md.format_version != 2) return GzipWhole(SerializeTableMetadata(md));
  internal::MetadataJsonParts parts = internal::MetadataJsonPartsOf(md);
  GzipBuilder gz;
  // About 40 bytes per snapshot and 8 per log entry once deflated.
  gz.Reserve(parts.head.size() + parts.middle.size() + parts.tail.size() + md.snapshots.size() * 48 +
             md.snapshot_log.size() * 10 + 4096);
  gz.Text(parts.head);
  // Whole runs each end with a comma; the last (partial or whole) run is written as text, so at
  // least one snapshot follows every kept run.
  // The runs are the list's chunks, kept with them (SnapshotList::ChunkRun).
  const size_t n = md.snapshots.size();
  const size_t kept = n == 0 ? 0 : (n - 1) / kSnapshotsPerRun * kSnapshotsPerRun;
  for (size_t begin = 0; begin < kept; begin += kSnapshotsPerRun) {
    gz.Segment(md.snapshots.ChunkRun(begin / kSnapshotsPerRun, [&] {
      std::string text;
      for (size_t i = begin; i < begin + kSnapshotsPerRun; ++i) {
        text += md.snapshots.Json(i);
        text.push_back(',');
      }
      return DeflateRun(text);
    }));
  }
  for (size_t i = kept; i < n; ++i) {
    if (i > kept) gz.Text(",");
    gz.Text(md.snapshots.Json(i));
  }
  gz.Text(parts.middle);
  const size_t log_n = md.snapshot_log.size();
  const size_t log_kept = log_n == 0 ? 0 : (log_n - 1) / kLogEntriesPerRun * kLogEntriesPerRun;
  for (size_t begin = 0; begin < log_kept; begin += kLogEntriesPerRun) {
    gz.Segment(*LogRunCache::Global().Get(md.snapshot_log.data() + begin, kLogEntriesPerRun));
  }
  std::string text;
  for (size_t i = log_kept; i < log_n; ++i) {
    if (i > log_kept) text.push_back(',');
    internal::AppendSnapshotLogEntryJson(&text, md.snapshot_log[i]);
  }
  text += parts.tail;
  gz.Text(text);
  return gz.Finish();
}

}  // namespace

Result<MetadataCodec> MetadataCodecOf(const std::map<std::string, std::string>& properties) {
  auto it = properties.find(kMetadataCompressionCodec);
  if (it == properties.end()) return MetadataCodec::kNone;
  std::string v = it->second;
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (v == "none") return MetadataCodec::kNone;
  if (v == "gzip") return MetadataCodec::kGzip;
  return InvalidArgument("table property " + std::string(kMetadataCompressionCodec) + " = '" + it->second +
                         "' is not a metadata codec: use none or gzip");
}

const char* MetadataFileSuffix(MetadataCodec codec) {
  return codec == MetadataCodec::kGzip ? ".gz.metadata.json" : ".metadata.json";
}

bool IsMetadataFileName(std::string_view name) {
  for (std::string_view suffix : kMetadataFileSuffixes) {
    if (name.size() > suffix.size() && name.ends_with(suffix)) return true;
  }
  return false;
}

std::string SerializeMetadataFile(const TableMetadata& metadata, MetadataCodec codec) {
  if (codec == MetadataCodec::kGzip) return SerializeGzip(metadata);
  return SerializeTableMetadata(metadata);
}

Result<std::string> MetadataFileText(std::string bytes, size_t max_text_bytes) {
  if (bytes.size() < 2 || static_cast<unsigned char>(bytes[0]) != 0x1f ||
      static_cast<unsigned char>(bytes[1]) != 0x8b) {
    return bytes;
  }
  z_stream zs;
  std::memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, 16 + 15) != Z_OK) return Internal("gzip: inflateInit2 failed");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  std::string out;
  size_t pos = 0;  // input consumed
  for (;;) {
    size_t in_now = std::min(bytes.size() - pos, kZlibChunk);
    zs.next_in = reinterpret_cast<Bytef*>(bytes.data() + pos);
    zs.avail_in = static_cast<uInt>(in_now);
    size_t have = out.size();
    size_t room = std::max<size_t>(std::min<size_t>(bytes.size() * 4, kZlibChunk), 65536);
    if (have + room > max_text_bytes + 1) room = max_text_bytes + 1 - have;
    out.resize(have + room);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + have);
    zs.avail_out = static_cast<uInt>(room);
    int ret = inflate(&zs, Z_NO_FLUSH);
    pos += in_now - zs.avail_in;
    out.resize(have + room - zs.avail_out);
    if (out.size() > max_text_bytes) {
      return DataLoss("gzip metadata inflates to more than " + std::to_string(max_text_bytes) + " bytes");
    }
    if (ret == Z_STREAM_END) {
      if (pos == bytes.size()) break;
      // Another member follows (RFC 1952 allows several); anything else is damage.
      if (bytes.size() - pos < 2 || static_cast<unsigned char>(bytes[pos]) != 0x1f ||
          static_cast<unsigned char>(bytes[pos + 1]) != 0x8b) {
        return DataLoss("gzip metadata has " + std::to_string(bytes.size() - pos) +
                        " bytes of garbage after its end, at offset " + std::to_string(pos));
      }
      inflateReset(&zs);
      continue;
    }
    if (ret == Z_OK) continue;
    if (ret == Z_BUF_ERROR && pos == bytes.size()) {
      return DataLoss("gzip metadata is truncated: its stream ends early, at offset " + std::to_string(pos));
    }
    if (ret == Z_BUF_ERROR) continue;
    return DataLoss(std::string("gzip metadata is corrupt near offset ") + std::to_string(pos) + ": " +
                    (zs.msg != nullptr ? zs.msg : "inflate failed"));
  }
  return out;
}

Result<TableMetadata> ParseMetadataFile(std::string bytes) {
  MEDLAKE_ASSIGN_OR_RETURN(std::string text, MetadataFileText(std::move(bytes)));
  return ParseTableMetadata(text);
}

}  // namespace medlake::storage::iceberg
