# medlake_add_module(NAME <module> SRCS ... [DEPS ...] [PRIVATE_DEPS ...])
#   Static library medlake_<module>, alias medlake::<module>, include root src/.
# medlake_add_test(NAME <name> SRCS ... [DEPS ...] [LABELS ...])
#   GoogleTest binary registered with CTest (gtest_discover_tests), default label `unit`.
# medlake_add_fuzzer(NAME <name> SRCS ... DEPS ...)
#   libFuzzer executable, only with MEDLAKE_BUILD_FUZZERS (the fuzz preset, clang). The Fuzz build
#   type already instruments with -fsanitize=fuzzer-no-link; this adds libFuzzer's main().
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
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  if(NOT MEDLAKE_BUILD_FUZZERS OR NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    return()
  endif()
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
  target_compile_options(${ARG_NAME} PRIVATE -fsanitize=fuzzer)
  target_link_options(${ARG_NAME} PRIVATE -fsanitize=fuzzer)
  medlake_apply_warnings(${ARG_NAME})
endfunction()
