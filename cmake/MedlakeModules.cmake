# medlake_add_module(NAME <module> SRCS ... [DEPS ...] [PRIVATE_DEPS ...])
#   Static library medlake_<module>, alias medlake::<module>, include root src/.
# medlake_add_test(NAME <name> SRCS ... [DEPS ...] [LABELS ...])
#   GoogleTest binary registered with CTest (gtest_discover_tests), default label `unit`.
# medlake_add_fuzzer(NAME <name> SRCS ... DEPS ... [SEEDS <dir or file> ...])
#   libFuzzer executable, only with MEDLAKE_BUILD_FUZZERS (the fuzz preset, clang). The Fuzz build
#   type already instruments with -fsanitize=fuzzer-no-link; this adds libFuzzer's main().
#   Other test builds run the target's entry point over test/fuzz/<name>/ and the SEEDS (paths
#   relative to the source root, or fixtures/<path> in MEDLAKE_FIXTURES_DIR) as the CTest test
#   fuzz/<name>.
include(GoogleTest)

function(medlake_add_module)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target medlake_${ARG_NAME})
  add_library(${target} STATIC ${ARG_SRCS})
  add_library(medlake::${ARG_NAME} ALIAS ${target})
  target_include_directories(${target} PUBLIC "${PROJECT_SOURCE_DIR}/src")
  target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  medlake_apply_warnings(${target})
endfunction()

function(medlake_add_test)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT MEDLAKE_BUILD_TESTS)
    return()
  endif()
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  medlake_apply_warnings(${ARG_NAME})
  gtest_discover_tests(${ARG_NAME}
    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
    PROPERTIES LABELS "${ARG_LABELS}"
               ENVIRONMENT "MEDLAKE_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
    DISCOVERY_TIMEOUT 60)
endfunction()

function(medlake_add_fuzzer)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;SEEDS" ${ARGN})
  if(MEDLAKE_BUILD_FUZZERS)
    if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
      return()
    endif()
    add_executable(${ARG_NAME} ${ARG_SRCS})
    target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
    target_compile_options(${ARG_NAME} PRIVATE -fsanitize=fuzzer)
    target_link_options(${ARG_NAME} PRIVATE -fsanitize=fuzzer)
    medlake_apply_warnings(${ARG_NAME})
  elseif(MEDLAKE_BUILD_TESTS)
    # Test builds compile the target's entry point under another name into an object library;
    # test/CMakeLists.txt links them all into medlake_fuzz_replay, which runs each over its seeds.
    add_library(${ARG_NAME}_replay OBJECT ${ARG_SRCS})
    target_link_libraries(${ARG_NAME}_replay PUBLIC ${ARG_DEPS})
    target_compile_definitions(${ARG_NAME}_replay PRIVATE LLVMFuzzerTestOneInput=medlake_fuzz_${ARG_NAME})
    medlake_apply_warnings(${ARG_NAME}_replay)
    set_property(GLOBAL APPEND PROPERTY MEDLAKE_FUZZERS ${ARG_NAME})
    set_property(GLOBAL PROPERTY MEDLAKE_FUZZ_SEEDS_${ARG_NAME} ${ARG_SEEDS})
  endif()
endfunction()
