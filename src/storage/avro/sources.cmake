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

# libFuzzer target over the container reader (fuzz preset, clang only). The Fuzz build type already
# instruments with -fsanitize=fuzzer-no-link; this executable adds libFuzzer's main().
if(MEDLAKE_BUILD_FUZZERS)
  add_executable(medlake_avro_fuzz avro/avro_fuzz.cc)
  target_link_libraries(medlake_avro_fuzz PRIVATE medlake::storage)
  target_compile_options(medlake_avro_fuzz PRIVATE -fsanitize=fuzzer)
  target_link_options(medlake_avro_fuzz PRIVATE -fsanitize=fuzzer)
  medlake_apply_warnings(medlake_avro_fuzz)
endif()
