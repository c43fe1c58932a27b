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
  # GCC's -Wmaybe-uninitialized reports false positives inside libstdc++ (std::regex,
  # std::function) when AddressSanitizer instruments -O1 code; GCC's manual warns that sanitizers
  # make such warnings unreliable. Keep it everywhere else.
  target_compile_options(${target} PRIVATE
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<CXX_COMPILER_ID:GNU>,$<CONFIG:Sanitize>>:-Wno-maybe-uninitialized>)
endfunction()
