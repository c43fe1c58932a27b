# Independent npm readers (icebird, hyparquet, avsc) check the tables medlake
# writes. Included from test/CMakeLists.txt, so CMAKE_CURRENT_LIST_DIR is this
# folder. The pinned npm packages come from scripts/npm-test-packages (make test runs it first;
# each script runs it too).
add_test(NAME e2e/npm_readers
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/npm_reader_test.sh $<TARGET_FILE:medlake> ${MEDLAKE_FIXTURES_DIR})
set_tests_properties(e2e/npm_readers PROPERTIES LABELS e2e TIMEOUT 300)

# Generated data checked by independent npm tools: @medplum/core parses every HL7 v2 message,
# the official FHIR R4 JSON schema validates every resource (or the ground truth lists it).
add_test(NAME e2e/synth_npm_validators
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/synth_validators_test.sh $<TARGET_FILE:medlake>)
set_tests_properties(e2e/synth_npm_validators PROPERTIES LABELS e2e TIMEOUT 300)
