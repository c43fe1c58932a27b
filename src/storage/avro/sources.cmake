# Avro codec (avro/README.md). Included by src/storage/CMakeLists.txt; paths are relative to
# src/storage.
list(APPEND STORAGE_AVRO_SRCS
  avro/avro_schema.cc
  avro/avro_value.cc
  avro/avro_binary.cc
  avro/avro_container.cc)

list(APPEND STORAGE_AVRO_TESTS
  avro/avro_test.cc
  avro/avro_container_test.cc
  avro/avro_fixtures_test.cc)

# libFuzzer target over the container reader (fuzz preset, clang only).
medlake_add_fuzzer(NAME medlake_avro_fuzz SRCS avro/avro_fuzz.cc DEPS medlake::storage SEEDS fixtures/iceberg)
