# Iceberg v2 table model (see iceberg/README.md). Included by src/storage/CMakeLists.txt;
# paths are relative to src/storage.
list(APPEND STORAGE_ICEBERG_SRCS
  iceberg/json_internal.cc
  iceberg/types.cc
  iceberg/schema.cc
  iceberg/value.cc
  iceberg/murmur3.cc
  iceberg/transform.cc
  iceberg/partition.cc
  iceberg/sort_order.cc
  iceberg/snapshot.cc
  iceberg/single_value.cc
  iceberg/table_metadata.cc
  iceberg/metadata_file.cc)

list(APPEND STORAGE_ICEBERG_TESTS
  iceberg/types_test.cc
  iceberg/schema_test.cc
  iceberg/value_test.cc
  iceberg/murmur3_test.cc
  iceberg/transform_test.cc
  iceberg/partition_test.cc
  iceberg/single_value_test.cc
  iceberg/table_metadata_test.cc
  iceberg/table_metadata_fixtures_test.cc
  iceberg/metadata_file_test.cc)

# libFuzzer target over metadata files, plain or gzip (fuzz preset, clang only).
medlake_add_fuzzer(NAME medlake_metadata_fuzz SRCS iceberg/metadata_fuzz.cc DEPS medlake::storage SEEDS fixtures/iceberg)
