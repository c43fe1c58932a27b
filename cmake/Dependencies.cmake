# Third-party libraries. All come from Debian packages, except DuckDB (see scripts/bootstrap).
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SNAPPY IMPORTED_TARGET snappy)
if(NOT SNAPPY_FOUND)
  find_library(SNAPPY_LIB snappy REQUIRED)
  add_library(medlake_snappy INTERFACE)
  target_link_libraries(medlake_snappy INTERFACE ${SNAPPY_LIB})
  add_library(PkgConfig::SNAPPY ALIAS medlake_snappy)
endif()
if(MEDLAKE_BUILD_TESTS)
  find_package(GTest REQUIRED)
  # libpq (PostgreSQL's client library) drives the pgwire server in its tests.
  pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
endif()

# DuckDB 1.4.4, C API only. Imported as a shared library with its header as a SYSTEM include.
find_path(MEDLAKE_DUCKDB_INCLUDE duckdb.h PATHS "${MEDLAKE_DUCKDB_ROOT}/include" NO_DEFAULT_PATH)
find_library(MEDLAKE_DUCKDB_LIBRARY duckdb PATHS "${MEDLAKE_DUCKDB_ROOT}/lib" NO_DEFAULT_PATH)
if(NOT MEDLAKE_DUCKDB_INCLUDE OR NOT MEDLAKE_DUCKDB_LIBRARY)
  message(FATAL_ERROR
    "DuckDB 1.4.4 not found under MEDLAKE_DUCKDB_ROOT=${MEDLAKE_DUCKDB_ROOT}. "
    "Run scripts/bootstrap, or point -DMEDLAKE_DUCKDB_ROOT at a folder with include/duckdb.h and lib/libduckdb.so.")
endif()
add_library(duckdb SHARED IMPORTED GLOBAL)
set_target_properties(duckdb PROPERTIES
  IMPORTED_LOCATION "${MEDLAKE_DUCKDB_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${MEDLAKE_DUCKDB_INCLUDE}")
get_filename_component(MEDLAKE_DUCKDB_LIBDIR "${MEDLAKE_DUCKDB_LIBRARY}" DIRECTORY)
# Binaries find libduckdb.so through their RPATH (build tree and install tree alike).
set(CMAKE_BUILD_RPATH "${MEDLAKE_DUCKDB_LIBDIR}")
set(CMAKE_INSTALL_RPATH "${MEDLAKE_DUCKDB_LIBDIR}")
