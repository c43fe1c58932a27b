# Custom build types: Sanitize (ASan + UBSan), Tsan, Fuzz. Select with CMAKE_BUILD_TYPE.
# -g1 keeps what a sanitizer report needs (function names, line tables, inlined frames) and
# drops variable descriptions; -gz compresses the debug sections. With -g, the Sanitize build
# of every test binary took 7.2 GB and CI ran out of disk (stop 35); use the debug preset
# to step through code in gdb.
set(_san_common "-O1 -g1 -gz -fno-omit-frame-pointer")
set(CMAKE_CXX_FLAGS_SANITIZE
    "${_san_common} -fsanitize=address,undefined -fno-sanitize-recover=undefined" CACHE STRING "" FORCE)
set(CMAKE_C_FLAGS_SANITIZE "${CMAKE_CXX_FLAGS_SANITIZE}" CACHE STRING "" FORCE)
set(CMAKE_EXE_LINKER_FLAGS_SANITIZE "-gz -fsanitize=address,undefined" CACHE STRING "" FORCE)
set(CMAKE_SHARED_LINKER_FLAGS_SANITIZE "-gz -fsanitize=address,undefined" CACHE STRING "" FORCE)

set(CMAKE_CXX_FLAGS_TSAN "${_san_common} -fsanitize=thread" CACHE STRING "" FORCE)
set(CMAKE_C_FLAGS_TSAN "${CMAKE_CXX_FLAGS_TSAN}" CACHE STRING "" FORCE)
set(CMAKE_EXE_LINKER_FLAGS_TSAN "-gz -fsanitize=thread" CACHE STRING "" FORCE)
set(CMAKE_SHARED_LINKER_FLAGS_TSAN "-gz -fsanitize=thread" CACHE STRING "" FORCE)

set(CMAKE_CXX_FLAGS_FUZZ "${_san_common} -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined" CACHE STRING "" FORCE)
set(CMAKE_C_FLAGS_FUZZ "${CMAKE_CXX_FLAGS_FUZZ}" CACHE STRING "" FORCE)
set(CMAKE_EXE_LINKER_FLAGS_FUZZ "-gz -fsanitize=address,undefined" CACHE STRING "" FORCE)
