#include "storage/avro/avro_container.h"

#include <snappy-c.h>
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

#include "core/crypto.h"
#include "storage/avro/avro_binary.h"
#include "storage/avro/avro_binary_internal.h"

namespace medlake::storage {
namespace {

using internal::AppendAvroBytes;
using internal::AppendAvroLong;
using internal::AvroDatumDecoder;
using internal::AvroReadCursor;

constexpr const char* kSchemaKey = "avro.schema";
constexpr const char* kCodecKey = "avro.codec";
// zlib counts in 32-bit units; feed it at most this much at a time.
constexpr size_t kZlibChunk = size_t{1} << 30;

std::string At(size_t offset) { return " at offset " + std::to_string(offset); }

// A header value quoted for an error message: printable ASCII only, at most 40 characters.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40))
    out.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  if (s.size() > 40)
    out += "...";
  return out;
}

uint32_t Crc32(std::string_view data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (!data.empty()) {
    size_t n = std::min(data.size(), kZlibChunk);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(n));
    data.remove_prefix(n);
  }
  return static_cast<uint32_t>(crc);
}

// Raw deflate (RFC 1951, no zlib header), as the Avro spec requires for the "deflate" codec.
Status Deflate(std::string_view in, int level, std::string* out) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Internal("avro: deflateInit2 failed");
  }
  out->clear();
  int ret = Z_OK;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  size_t in_left = in.size();
  size_t produced = 0;
  do {
    if (zs.avail_in == 0 && in_left > 0) {
      zs.avail_in = static_cast<uInt>(std::min(in_left, kZlibChunk));
      in_left -= zs.avail_in;
    }
    if (produced == out->size())
      out->resize(std::max<size_t>(out->size() * 2, 4096));
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + produced);
    zs.avail_out = static_cast<uInt>(std::min(out->size() - produced, kZlibChunk));
    size_t avail_before = zs.avail_out;
    ret = deflate(&zs, in_left == 0 ? Z_FINISH : Z_NO_FLUSH);
    produced += avail_before - zs.avail_out;
  } while (ret == Z_OK || ret == Z_BUF_ERROR);
  deflateEnd(&zs);
  if (ret != Z_STREAM_END)
    return Internal("avro: deflate failed");
  out->resize(produced);
  return Status::OK();
}

// Inflates raw deflate data, refusing to produce more than `limit` bytes.
Status Inflate(std::string_view in, size_t limit, size_t block_offset, std::string* out) {
  z_stream zs{};
  if (inflateInit2(&zs, -15) != Z_OK)
    return Internal("avro: inflateInit2 failed");
  out->clear();
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  size_t in_left = in.size();
  size_t produced = 0;
  int ret = Z_OK;
  bool too_large = false;
  for (;;) {
    if (zs.avail_in == 0 && in_left > 0) {
      zs.avail_in = static_cast<uInt>(std::min(in_left, kZlibChunk));
      in_left -= zs.avail_in;
    }
    if (produced == out->size()) {
      // One byte beyond the limit lets a block of exactly `limit` bytes reach its stream end.
      if (out->size() > limit) {
        too_large = true;
        break;
      }
      size_t grown = std::max<size_t>({out->size() * 2, in.size() * 2, 4096});
      out->resize(std::min(grown, limit + 1));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + produced);
    zs.avail_out = static_cast<uInt>(std::min(out->size() - produced, kZlibChunk));
    size_t avail_before = zs.avail_out;
    ret = inflate(&zs, Z_NO_FLUSH);
    produced += avail_before - zs.avail_out;
    if (ret == Z_STREAM_END)
      break;
    if (ret == Z_OK)
      continue;
    // Z_BUF_ERROR with input left means "no room to write"; with no input left, the stream is cut.
    if (ret == Z_BUF_ERROR && (zs.avail_in > 0 || in_left > 0))
      continue;
    break;
  }
  inflateEnd(&zs);
  if (too_large || produced > limit) {
    return DataLoss("avro: block" + At(block_offset) + " inflates to more than " +
                    std::to_string(limit) + " bytes");
  }
  if (ret != Z_STREAM_END)
    return DataLoss("avro: corrupt deflate data in block" + At(block_offset));
  out->resize(produced);
  return Status::OK();
}

Status SnappyCompress(std::string_view in, std::string* out) {
  size_t n = snappy_max_compressed_length(in.size());
  out->resize(n + 4);
  if (snappy_compress(in.data(), in.size(), out->data(), &n) != SNAPPY_OK) {
    return Internal("avro: snappy compression failed");
  }
  out->resize(n);
  // Avro spec "snappy": each block is followed by the 4-byte big-endian CRC-32 of its input.
  uint32_t crc = Crc32(in);
  for (int shift = 24; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((crc >> shift) & 0xFF));
  return Status::OK();
}

Status SnappyUncompress(std::string_view in, size_t limit, size_t block_offset, std::string* out) {
  if (in.size() < 4)
    return DataLoss("avro: snappy block without checksum" + At(block_offset));
  std::string_view compressed = in.substr(0, in.size() - 4);
  uint32_t expected = 0;
  for (size_t i = in.size() - 4; i < in.size(); ++i) {
    expected = (expected << 8) | static_cast<uint8_t>(in[i]);
  }
  size_t n = 0;
  if (snappy_uncompressed_length(compressed.data(), compressed.size(), &n) != SNAPPY_OK) {
    return DataLoss("avro: corrupt snappy data in block" + At(block_offset));
  }
  if (n > limit) {
    return DataLoss("avro: block" + At(block_offset) + " uncompresses to more than " +
                    std::to_string(limit) + " bytes");
  }
  out->resize(n);
  if (snappy_uncompress(compressed.data(), compressed.size(), out->data(), &n) != SNAPPY_OK) {
    return DataLoss("avro: corrupt snappy data in block" + At(block_offset));
  }
  out->resize(n);
  if (Crc32(*out) != expected)
    return DataLoss("avro: snappy checksum mismatch in block" + At(block_offset));
  return Status::OK();
}

}  // namespace

std::string_view AvroCodecName(AvroCodec codec) {
  switch (codec) {
    case AvroCodec::kNull:
      return "null";
    case AvroCodec::kDeflate:
      return "deflate";
    case AvroCodec::kSnappy:
      return "snappy";
  }
  return "unknown";
}

// ---- AvroFileWriter ----

AvroFileWriter::AvroFileWriter(AvroSchema schema, AvroWriterOptions options, std::string sync)
    : schema_(std::move(schema)), options_(std::move(options)), sync_(std::move(sync)) {}

Result<std::unique_ptr<AvroFileWriter>> AvroFileWriter::Make(AvroSchema schema,
                                                             AvroMetadata metadata,
                                                             AvroWriterOptions options) {
  MEDLAKE_RETURN_IF_ERROR(schema.Validate());
  for (const char* reserved : {kSchemaKey, kCodecKey}) {
    if (metadata.count(reserved)) {
      return InvalidArgument(std::string("avro: metadata key '") + reserved +
                             "' is set by the writer");
    }
  }
  if (options.max_block_records == 0 || options.max_block_bytes == 0) {
    return InvalidArgument("avro: block limits must be positive");
  }
  if (options.deflate_level < -1 || options.deflate_level > 9) {
    return InvalidArgument("avro: deflate level must be -1..9");
  }
  std::string sync;
  if (options.sync_marker) {
    sync.assign(reinterpret_cast<const char*>(options.sync_marker->data()), kAvroSyncSize);
  } else {
    MEDLAKE_ASSIGN_OR_RETURN(sync, RandomBytes(kAvroSyncSize));
  }
  metadata[kSchemaKey] = schema.ToJson();
  metadata[kCodecKey] = std::string(AvroCodecName(options.codec));

  auto writer =
      std::make_unique<AvroFileWriter>(std::move(schema), std::move(options), std::move(sync));
  // Avro spec "Object Container Files": magic, metadata as a map of bytes, sync marker.
  std::string& out = writer->out_;
  out.append(kAvroMagic);
  AppendAvroLong(static_cast<int64_t>(metadata.size()), &out);
  for (const auto& [key, value] : metadata) {
    AppendAvroBytes(key, &out);
    AppendAvroBytes(value, &out);
  }
  AppendAvroLong(0, &out);
  out.append(writer->sync_);
  return writer;
}

Status AvroFileWriter::Append(const AvroValue& record) {
  if (finished_)
    return FailedPrecondition("avro: Append after Finish");
  MEDLAKE_RETURN_IF_ERROR(EncodeAvroDatum(schema_.root(), record, &block_));
  ++block_records_;
  ++records_written_;
  if (block_records_ >= options_.max_block_records || block_.size() >= options_.max_block_bytes) {
    return FlushBlock();
  }
  return Status::OK();
}

Status AvroFileWriter::FlushBlock() {
  if (block_records_ == 0)
    return Status::OK();
  std::string compressed;
  std::string_view payload = block_;
  if (options_.codec == AvroCodec::kDeflate) {
    MEDLAKE_RETURN_IF_ERROR(Deflate(block_, options_.deflate_level, &compressed));
    payload = compressed;
  } else if (options_.codec == AvroCodec::kSnappy) {
    MEDLAKE_RETURN_IF_ERROR(SnappyCompress(block_, &compressed));
    payload = compressed;
  }
  AppendAvroLong(static_cast<int64_t>(block_records_), &out_);
  AppendAvroLong(static_cast<int64_t>(payload.size()), &out_);
  out_.append(payload);
  out_.append(sync_);
  block_.clear();
  block_records_ = 0;
  return Status::OK();
}

Result<std::string> AvroFileWriter::Finish() {
  if (finished_)
    return FailedPrecondition("avro: Finish called twice");
  MEDLAKE_RETURN_IF_ERROR(FlushBlock());
  finished_ = true;
  return std::move(out_);
}

Result<std::string> WriteAvroFile(const AvroSchema& schema, const AvroMetadata& metadata,
                                  const std::vector<AvroValue>& records,
                                  const AvroWriterOptions& options) {
  MEDLAKE_ASSIGN_OR_RETURN(auto writer, AvroFileWriter::Make(schema, metadata, options));
  for (const AvroValue& r : records)
    MEDLAKE_RETURN_IF_ERROR(writer->Append(r));
  return writer->Finish();
}

// ---- AvroFileReader ----

struct AvroFileReader::BlockState {
  std::string buffer;  // decompressed records (unused for the null codec)
  std::optional<AvroDatumDecoder> decoder;
  size_t offset = 0;  // file offset of the block
  int64_t count = 0;  // records in the block
  int64_t next = 0;   // index of the next record
};

namespace {

// Writer schemas parsed from file headers, by their text (AvroFileReader::schema). Bounded: the
// map is emptied when it holds 256 schemas or 16 MiB of schema text (readers keep theirs).
Result<std::shared_ptr<const AvroSchema>> SharedSchema(const std::string& text) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::shared_ptr<const AvroSchema>> parsed;
  static size_t text_bytes = 0;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = parsed.find(text);
    if (it != parsed.end()) return it->second;
  }
  MEDLAKE_ASSIGN_OR_RETURN(AvroSchema schema, AvroSchema::Parse(text));
  auto shared = std::make_shared<const AvroSchema>(std::move(schema));
  std::lock_guard<std::mutex> lock(mu);
  if (parsed.size() >= 256 || text_bytes + text.size() > (size_t{16} << 20)) {
    parsed.clear();
    text_bytes = 0;
  }
  if (parsed.emplace(text, shared).second) text_bytes += text.size();
  return shared;
}

}  // namespace

AvroFileReader::AvroFileReader(std::string data, AvroReaderOptions options)
    : data_(std::move(data)), options_(options), block_(std::make_unique<BlockState>()) {}

AvroFileReader::~AvroFileReader() = default;

Result<std::unique_ptr<AvroFileReader>> AvroFileReader::Open(std::string data,
                                                             AvroReaderOptions options) {
  auto reader = std::make_unique<AvroFileReader>(std::move(data), options);
  MEDLAKE_RETURN_IF_ERROR(reader->ParseHeader());
  return reader;
}

const std::string* AvroFileReader::FindMetadata(std::string_view key) const {
  auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

Status AvroFileReader::ParseHeader() {
  if (data_.size() < kAvroMagic.size() ||
      std::string_view(data_).substr(0, kAvroMagic.size()) != kAvroMagic) {
    return DataLoss("avro: bad magic (not an Avro object container file)");
  }
  AvroReadCursor cursor(std::string_view(data_).substr(kAvroMagic.size()));
  auto header_error = [&cursor]() {
    return DataLoss(std::string("avro: bad header: ") + cursor.error() +
                    At(cursor.error_offset() + kAvroMagic.size()));
  };
  // The metadata map (Avro spec "Maps": blocks of key/value pairs ending with a zero count).
  for (;;) {
    int64_t count = 0;
    if (!cursor.ReadBlockCount(&count))
      return header_error();
    if (count == 0)
      break;
    if (static_cast<uint64_t>(count) > cursor.remaining()) {
      return DataLoss("avro: bad header: metadata count exceeds the file" +
                      At(cursor.offset() + kAvroMagic.size()));
    }
    for (int64_t i = 0; i < count; ++i) {
      std::string_view key;
      std::string_view value;
      if (!cursor.ReadBytes(&key) || !cursor.ReadBytes(&value))
        return header_error();
      if (!metadata_.emplace(std::string(key), std::string(value)).second) {
        return DataLoss("avro: bad header: duplicate metadata key '" + Printable(key) + "'");
      }
    }
  }
  std::string_view sync;
  if (!cursor.ReadFixed(kAvroSyncSize, &sync)) {
    return DataLoss("avro: bad header: truncated sync marker" +
                    At(cursor.offset() + kAvroMagic.size()));
  }
  sync_ = std::string(sync);
  pos_ = kAvroMagic.size() + cursor.offset();

  const std::string* schema_json = FindMetadata(kSchemaKey);
  if (schema_json == nullptr)
    return DataLoss("avro: header has no avro.schema");
  Result<std::shared_ptr<const AvroSchema>> schema = SharedSchema(*schema_json);
  if (!schema.ok())
    return DataLoss("avro: bad avro.schema in header: " + schema.status().message());
  schema_ = std::move(schema).value();

  const std::string* codec = FindMetadata(kCodecKey);
  if (codec == nullptr || *codec == "null") {
    codec_ = AvroCodec::kNull;
  } else if (*codec == "deflate") {
    codec_ = AvroCodec::kDeflate;
  } else if (*codec == "snappy") {
    codec_ = AvroCodec::kSnappy;
  } else {
    return Unimplemented("avro: unsupported codec '" + Printable(*codec) + "'");
  }
  return Status::OK();
}

Status AvroFileReader::ReadBlock() {
  // Avro spec "Object Container Files": count, byte size, the serialized objects, sync marker.
  const size_t start = pos_;
  AvroReadCursor cursor(std::string_view(data_).substr(start));
  int64_t count = 0;
  int64_t size = 0;
  if (!cursor.ReadLong(&count) || !cursor.ReadLong(&size)) {
    return DataLoss("avro: truncated block header" + At(start));
  }
  if (count < 0)
    return DataLoss("avro: negative record count in block" + At(start));
  if (size < 0)
    return DataLoss("avro: negative size in block" + At(start));
  if (static_cast<uint64_t>(size) > cursor.remaining()) {
    return DataLoss("avro: truncated block" + At(start) + " (" + std::to_string(size) +
                    " bytes declared, " + std::to_string(cursor.remaining()) + " left)");
  }
  std::string_view payload;
  std::string_view sync;
  if (!cursor.ReadFixed(static_cast<uint64_t>(size), &payload) ||
      !cursor.ReadFixed(kAvroSyncSize, &sync)) {
    return DataLoss("avro: truncated block" + At(start) + " (no sync marker)");
  }
  if (sync != sync_)
    return DataLoss("avro: sync marker mismatch after block" + At(start));

  std::string_view records = payload;
  switch (codec_) {
    case AvroCodec::kNull:
      if (payload.size() > options_.max_block_bytes) {
        return DataLoss("avro: block" + At(start) + " is larger than " +
                        std::to_string(options_.max_block_bytes) + " bytes");
      }
      break;
    case AvroCodec::kDeflate:
      MEDLAKE_RETURN_IF_ERROR(Inflate(payload, options_.max_block_bytes, start, &block_->buffer));
      records = block_->buffer;
      break;
    case AvroCodec::kSnappy:
      MEDLAKE_RETURN_IF_ERROR(
          SnappyUncompress(payload, options_.max_block_bytes, start, &block_->buffer));
      records = block_->buffer;
      break;
  }
  block_->decoder.emplace(records, internal::AvroValueBudget(records.size()));
  if (count > block_->decoder->budget()) {
    return DataLoss("avro: block" + At(start) + " claims " + std::to_string(count) +
                    " records in " + std::to_string(records.size()) + " bytes");
  }
  block_->offset = start;
  block_->count = count;
  block_->next = 0;
  pos_ = start + cursor.offset();
  return Status::OK();
}

Result<bool> AvroFileReader::Next(AvroValue* out) {
  for (;;) {
    if (block_->decoder && block_->next < block_->count) {
      if (!block_->decoder->Decode(schema_->root(), out)) {
        return block_->decoder->ErrorStatus("record " + std::to_string(block_->next) + " of block" +
                                            At(block_->offset) + ": ");
      }
      ++block_->next;
      return true;
    }
    if (block_->decoder) {
      // Avro spec: a block holds exactly `count` objects; anything left over means corruption.
      if (!block_->decoder->cursor().at_end()) {
        return DataLoss("avro: block" + At(block_->offset) + " has " +
                        std::to_string(block_->decoder->cursor().remaining()) +
                        " bytes after its last record");
      }
      block_->decoder.reset();
    }
    if (pos_ >= data_.size())
      return false;
    MEDLAKE_RETURN_IF_ERROR(ReadBlock());
  }
}

Result<std::vector<AvroValue>> AvroFileReader::ReadAll() {
  std::vector<AvroValue> records;
  AvroValue record;
  for (;;) {
    MEDLAKE_ASSIGN_OR_RETURN(bool more, Next(&record));
    if (!more)
      break;
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace medlake::storage
