# SPDX-License-Identifier: GPL-2.0-only
# mcf2b_test(NAME LABEL unit|kernel|db|soak SOURCES ... LIBS ...)
# One GoogleTest executable; every TEST in it becomes a ctest test carrying LABEL, so
# `ctest -L kernel` selects it and ctest can run tests in parallel. Each label also gets
# a build target (tests-unit, tests-kernel, tests-db, tests-soak) so the sanitizer build
# can build only the unit tests. `soak` runs for minutes (MCF2B_SOAK_SECONDS) and alone:
# scripts/test runs it after the others, never in parallel with them.
include(GoogleTest)
foreach(label unit kernel db soak)
  if(NOT TARGET tests-${label})
    add_custom_target(tests-${label})
  endif()
endforeach()

function(mcf2b_test name)
  cmake_parse_arguments(ARG "" "LABEL;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT ARG_LABEL MATCHES "^(unit|kernel|db|soak)$")
    message(FATAL_ERROR "mcf2b_test(${name}): LABEL must be unit, kernel, db or soak")
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  mcf2b_warnings(${name})
  add_dependencies(tests-${ARG_LABEL} ${name})
  gtest_discover_tests(${name}
    PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT}
    DISCOVERY_TIMEOUT 60)
endfunction()
