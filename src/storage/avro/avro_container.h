// storage/avro/avro_container.h: Avro object container files (Avro 1.11 specification, "Object
// Container Files"): the files Iceberg uses for manifests and manifest lists.
//
// Part of storage's Avro codec (storage/avro/README.md). A file is the magic "Obj\x01", a header
// metadata map (string keys -> bytes; "avro.schema" holds the writer's schema, "avro.codec" the
// block codec, and Iceberg adds "schema", "partition-spec", "format-version", "content", ...), a
// 16-byte sync marker, then blocks: record count, byte size, the (compressed) records, the sync
// marker again.
//
// Both classes work on whole files in memory: callers read and write the bytes through the core
// FileSystem and add the file name to errors with Status::WithContext.
//
// Codecs: "null" and "deflate" (raw RFC 1951 data, zlib) for writing and reading; "snappy" (the
// snappy block followed by the big-endian CRC-32 of the uncompressed data) as well.
//
// Thread-safety: a reader or writer object is used by one thread at a time.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "storage/avro/avro_schema.h"
#include "storage/avro/avro_value.h"

namespace medlake::storage {

// Header metadata, key -> raw bytes (Iceberg's values are UTF-8 text).
using AvroMetadata = std::map<std::string, std::string, std::less<>>;

enum class AvroCodec { kNull, kDeflate, kSnappy };

// "null", "deflate", "snappy".
std::string_view AvroCodecName(AvroCodec codec);

inline constexpr std::string_view kAvroMagic("Obj\x01", 4);
inline constexpr size_t kAvroSyncSize = 16;

struct AvroWriterOptions {
  AvroCodec codec = AvroCodec::kDeflate;
  // zlib level for kDeflate: 0 (store) .. 9 (best), or -1 for zlib's default (6).
  int deflate_level = -1;
  // A block is closed when it holds this many records or this many uncompressed bytes.
  size_t max_block_records = 4096;
  size_t max_block_bytes = 1 << 20;
  // The sync marker; random (core/crypto.h RandomBytes) when unset. Set it for reproducible output.
  std::optional<std::array<uint8_t, kAvroSyncSize>> sync_marker;
};

// Writes one container file into memory.
//
//   MEDLAKE_ASSIGN_OR_RETURN(auto writer, AvroFileWriter::Make(schema, {{"format-version", "2"}}));
//   for (const AvroValue& r : records) MEDLAKE_RETURN_IF_ERROR(writer->Append(r));
//   MEDLAKE_ASSIGN_OR_RETURN(std::string bytes, writer->Finish());
//   MEDLAKE_RETURN_IF_ERROR(fs.WriteFileExclusive(path, bytes));
class AvroFileWriter {
 public:
  // Starts a file whose records follow `schema` and whose header holds `metadata` plus
  // "avro.schema" and "avro.codec". InvalidArgument if the schema is invalid, if `metadata` sets
  // "avro.schema" or "avro.codec" (the writer owns them), or if an option is out of range; IOError
  // if no random sync marker can be made.
  static Result<std::unique_ptr<AvroFileWriter>> Make(AvroSchema schema, AvroMetadata metadata,
                                                      AvroWriterOptions options = {});

  // Appends one record. InvalidArgument if it does not match the schema (nothing is written then,
  // and the writer stays usable); FailedPrecondition after Finish(); Internal if compression fails.
  Status Append(const AvroValue& record);

  // Writes the last block and returns the whole file. FailedPrecondition if called twice.
  Result<std::string> Finish();

  const AvroSchema& schema() const { return schema_; }
  int64_t records_written() const { return records_written_; }

  // Use Make(); public only for std::make_unique.
  AvroFileWriter(AvroSchema schema, AvroWriterOptions options, std::string sync);

 private:
  Status FlushBlock();

  AvroSchema schema_;
  AvroWriterOptions options_;
  std::string sync_;
  std::string out_;    // the file so far
  std::string block_;  // encoded records of the open block
  size_t block_records_ = 0;
  int64_t records_written_ = 0;
  bool finished_ = false;
};

// Writes a whole file in one call (see AvroFileWriter for the contract).
Result<std::string> WriteAvroFile(const AvroSchema& schema, const AvroMetadata& metadata,
                                  const std::vector<AvroValue>& records,
                                  const AvroWriterOptions& options = {});

struct AvroReaderOptions {
  // Largest block accepted after decompression; bigger blocks are DataLoss. Guards against
  // compression bombs. Iceberg manifests are a few MB at most.
  size_t max_block_bytes = size_t{256} << 20;
};

// Reads one container file held in memory.
//
//   MEDLAKE_ASSIGN_OR_RETURN(std::string bytes, fs.ReadFile(path));
//   MEDLAKE_ASSIGN_OR_RETURN(auto reader, AvroFileReader::Open(std::move(bytes)));
//   AvroValue record;
//   for (;;) {
//     MEDLAKE_ASSIGN_OR_RETURN(bool more, reader->Next(&record));
//     if (!more) break;
//     ...
//   }
//
// Errors are DataLoss with a message naming the problem and the byte offset in the file
// ("avro: bad magic", "avro: bad header: truncated long at offset 9", "avro: truncated block at
// offset 812", "avro: sync marker mismatch after block at offset 812", "avro: record 3 of block at
// offset 812: truncated long at offset 40" where the last offset counts from the start of the
// block's uncompressed data), except Unimplemented for a codec this reader does not support
// (bzip2, xz, zstandard).
class AvroFileReader {
 public:
  // Takes the whole file and parses its header (magic, metadata, schema, codec, sync marker).
  static Result<std::unique_ptr<AvroFileReader>> Open(std::string data,
                                                      AvroReaderOptions options = {});

  // The writer's schema (from "avro.schema"), the whole header metadata (including "avro.schema"
  // and "avro.codec") and the codec. Valid for the reader's lifetime.
  // The schema is parsed once per distinct text, process-wide (readers of files with the same
  // schema text share it): an Iceberg table's manifests share a few schemas, and parsing one cost
  // more than decoding a small manifest's records.
  const AvroSchema& schema() const { return *schema_; }
  const AvroMetadata& metadata() const { return metadata_; }
  AvroCodec codec() const { return codec_; }
  // The header value under `key`, or nullptr.
  const std::string* FindMetadata(std::string_view key) const;

  // Decodes the next record into `*out` (required). Returns true when a record was read and false
  // at the end of the file. After an error the reader must not be used further.
  Result<bool> Next(AvroValue* out);

  // Reads all remaining records.
  Result<std::vector<AvroValue>> ReadAll();

  // Use Open(); public only for std::make_unique.
  AvroFileReader(std::string data, AvroReaderOptions options);
  ~AvroFileReader();
  AvroFileReader(const AvroFileReader&) = delete;
  AvroFileReader& operator=(const AvroFileReader&) = delete;

 private:
  Status ParseHeader();
  Status ReadBlock();

  std::string data_;
  AvroReaderOptions options_;
  std::shared_ptr<const AvroSchema> schema_;
  AvroMetadata metadata_;
  AvroCodec codec_ = AvroCodec::kNull;
  std::string sync_;
  size_t pos_ = 0;  // offset in data_ of the next block

  // The block being decoded.
  struct BlockState;
  std::unique_ptr<BlockState> block_;
};

}  // namespace medlake::storage
