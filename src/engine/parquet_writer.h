// engine/parquet_writer.h: writes a query's rows as Parquet data files for Iceberg tables, with
// DuckDB's COPY (FORMAT parquet, FIELD_IDS ..., RETURN_STATS), and returns what an Iceberg
// manifest needs about each file: path, row count, size, and per-field statistics.
//
// Field ids: every column and nested field carries its Iceberg field id in the Parquet schema,
// so that readers (ours, Spark, PyIceberg) project columns by id after renames.
// Statistics come back as DuckDB text (min/max rendered as VARCHAR); converting them to Iceberg's
// binary bounds is the caller's business (it knows the Iceberg types).
//
// Thread-safety: uses the given Connection; one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/database.h"

namespace medlake::engine {

// A column of the file, with its Iceberg field id. Lists have one child named "element"; maps
// two, "key" and "value"; structs one per field.
struct ParquetField {
  std::string name;
  int field_id = 0;
  std::vector<ParquetField> children;
};

struct ParquetColumnStats {
  int64_t column_size_bytes = 0;
  std::optional<int64_t> null_count;
  std::optional<std::string> min;  // DuckDB text form
  std::optional<std::string> max;
  // Floating columns: whether the file holds a NaN (min and max leave NaN out). Unset when not
  // known: DuckDB 1.4 reports the last row group's answer only, so for a file of several row
  // groups "false" is kept only when the footer confirms it (every column chunk has min/max,
  // which DuckDB omits for a chunk with a NaN, or holds only NULLs).
  std::optional<bool> has_nan;
};

struct WrittenFile {
  std::string path;
  int64_t record_count = 0;
  int64_t file_size_bytes = 0;
  std::map<int, ParquetColumnStats> stats;          // by field id (leaf fields)
  std::map<std::string, std::string> partition_keys;  // partition column -> value text
};

struct ParquetWriteOptions {
  // Directory to write into (created by DuckDB). Files are named <prefix>-<uuid>.parquet.
  std::string directory;
  std::string file_prefix = "data";
  // Columns of the query to partition by (Hive-style sub-directories); they are not written
  // into the files. Empty: one or more files directly in `directory`.
  std::vector<std::string> partition_columns;
  std::string compression = "zstd";
  std::optional<int> compression_level;  // COMPRESSION_LEVEL (zstd); unset: DuckDB's default
  std::optional<int64_t> row_group_rows;  // ROW_GROUP_SIZE; unset: DuckDB's default (122,880)
  // Roll over to a new file after about this many bytes (0: DuckDB's default, one file per
  // thread/partition).
  int64_t target_file_size_bytes = 512LL * 1024 * 1024;
  // Key/value metadata for the Parquet footer (e.g. "iceberg.schema" for readers that map
  // columns by it).
  std::map<std::string, std::string> kv_metadata;
};

// Runs `query` and writes its rows. `fields` name the query's output columns (excluding the
// partition columns), in any order. Returns one entry per file written (none for an empty
// result). Errors of the query come back as they are.
Result<std::vector<WrittenFile>> WriteParquetFiles(Connection& conn, const std::string& query,
                                                   const std::vector<ParquetField>& fields,
                                                   const ParquetWriteOptions& options);

// The FIELD_IDS option literal for `fields` (exposed for tests).
std::string FieldIdsLiteral(const std::vector<ParquetField>& fields);

}  // namespace medlake::engine
