# Static libraries are thin archives: they name their object files instead of copying them,
# which saves a second copy of every object (0.9 GB in the Sanitize build). The linker reads
# them like any archive; they are build-tree artifacts, never installed.
foreach(_lang C CXX)
  set(CMAKE_${_lang}_ARCHIVE_CREATE "<CMAKE_AR> qcT <TARGET> <LINK_FLAGS> <OBJECTS>")
  set(CMAKE_${_lang}_ARCHIVE_APPEND "<CMAKE_AR> qT <TARGET> <LINK_FLAGS> <OBJECTS>")
endforeach()
