// storage/iceberg/metadata_file.h: table metadata files as stored: plain JSON, or GZIP-compressed
// JSON (spec "Table Metadata": a compressed file must end in `.gz.metadata.json`; Iceberg's table
// property write.metadata.compression-codec = none | gzip chooses).
//
// A table with a long history writes a large metadata file on every commit: at 10,000 snapshots
// 4.8 MB of JSON, whose durable write alone takes ~5 ms here. Compressed it is ~12x smaller. The
// gzip writer does not compress the whole document each time: the history is cut into fixed runs
// (32 snapshots, 256 snapshot-log entries), each run is deflated once into a byte-aligned
// segment and kept (with the shared snapshots for the snapshots, in a content-checked cache for
// the log), and a commit deflates only what changed (the head with schemas and properties, the
// last partial runs, the metadata log) and splices the kept segments between. The result is one
// ordinary gzip member: any gzip reader reads it, and its text equals SerializeTableMetadata's.
//
// Thread-safety: free functions; the caches they use are locked.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/status.h"
#include "storage/iceberg/table_metadata.h"

namespace medlake::storage::iceberg {

// The table property choosing the codec, and its values (case-insensitive, as Java reads them).
inline constexpr const char* kMetadataCompressionCodec = "write.metadata.compression-codec";

enum class MetadataCodec { kNone, kGzip };

// The codec `properties` choose (kNone when the property is absent).
// Errors: InvalidArgument naming the property for a value other than none or gzip.
Result<MetadataCodec> MetadataCodecOf(const std::map<std::string, std::string>& properties);

// ".metadata.json" or ".gz.metadata.json": the end of a metadata file name written with `codec`.
const char* MetadataFileSuffix(MetadataCodec codec);

// The ends of metadata file names: plain, gzip as the spec names it, and the older gzip name.
// A version number N is taken once v<N> with any of them exists.
inline constexpr const char* kMetadataFileSuffixes[] = {".metadata.json", ".gz.metadata.json", ".metadata.json.gz"};

// True for names a metadata file may have: a non-empty stem and one of kMetadataFileSuffixes.
bool IsMetadataFileName(std::string_view name);

// The metadata file `metadata` serialized with `codec`: SerializeTableMetadata's text, or that text
// as one gzip member built from kept segments (see above).
std::string SerializeMetadataFile(const TableMetadata& metadata, MetadataCodec codec);

// The JSON text of a metadata file's bytes: gzip (recognized by its magic bytes, whatever the
// name; concatenated members are read in turn) is inflated, anything else is returned as is.
// Errors: DataLoss for a corrupt or truncated gzip stream, or one inflating to more than
// `max_text_bytes`.
Result<std::string> MetadataFileText(std::string bytes, size_t max_text_bytes = size_t{1} << 30);

// MetadataFileText, then ParseTableMetadata.
Result<TableMetadata> ParseMetadataFile(std::string bytes);

}  // namespace medlake::storage::iceberg
