# Warning set applied to medlake's own targets (never to third-party code).
set(MEDLAKE_WARNING_FLAGS
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wmissing-declarations -Wundef -Wvla
    -Wimplicit-fallthrough)
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  list(APPEND MEDLAKE_WARNING_FLAGS -Wthread-safety)
endif()
if(MEDLAKE_WERROR)
  list(APPEND MEDLAKE_WARNING_FLAGS -Werror)
endif()

function(medlake_apply_warnings target)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:${MEDLAKE_WARNING_FLAGS}>)
endfunction()
