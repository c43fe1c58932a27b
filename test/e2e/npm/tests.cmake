# Independent npm readers (icebird, hyparquet, avsc) check the tables medlake
# writes. Included from test/CMakeLists.txt, so CMAKE_CURRENT_LIST_DIR is this
# folder. The script installs the pinned npm packages on first use (npm ci).
add_test(NAME e2e/npm_readers
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/npm_reader_test.sh $<TARGET_FILE:medlake> ${MEDLAKE_FIXTURES_DIR})
set_tests_properties(e2e/npm_readers PROPERTIES LABELS e2e TIMEOUT 300)
