# weave build helpers, included once from the root CMakeLists.txt.
#
#   weave_set_warnings(<target>)
#       -Wall -Wextra -Wpedantic (plus -Werror with WEAVE_WARNINGS_AS_ERRORS) on one of
#       weave's own targets. PRIVATE, so nothing leaks to users. INTERFACE targets: no-op.
#
#   weave_add_test(NAME <name> SOURCES <file>... [LIBS <lib>...] [LABELS <label>...])
#       A GoogleTest executable linked with weave::weave weave::gtest GTest::gtest
#       GTest::gmock GTest::gtest_main and LIBS; each TEST becomes one ctest entry
#       (gtest_discover_tests, DISCOVERY_TIMEOUT 120), run in ${CMAKE_CURRENT_BINARY_DIR}
#       with WEAVE_OUT=${CMAKE_CURRENT_BINARY_DIR}/weave-out and the given LABELS.
#
#   weave_add_example(NAME <name> SOURCES <file>... [EXPECT_FAILURE <regex>] [ARGS <arg>...])
#       An example executable and ONE ctest, `example.<name>`, that runs it with ARGS in
#       ${CMAKE_CURRENT_BINARY_DIR}, labelled `example`. Without EXPECT_FAILURE the test passes when the
#       program exits 0. With it, the test passes only when the program exits non-zero
#       AND its output (stdout+stderr) matches <regex> (CMake regex syntax; an empty
#       regex accepts any output). See cmake/RunExpectFailure.cmake.
#
#   weave_check_toolkit_boundary(DIRECTORY <toolkit dir>)
#       Fails configuration (FATAL_ERROR naming file and line) when a C/C++ file under
#       <toolkit dir> includes anything under adapters/ or an adapter public header
#       (weave/spawn.hpp, weave/weave.hpp, weave/gtest.hpp, weave/coro.hpp,
#       weave/thread.hpp). Also adds the target `weave_boundary_check` that re-runs the
#       check at build time whenever a toolkit file changes (the root makes
#       weave_toolkit depend on it), so an edit cannot slip past a stale configure.
#
# This file also runs as a script (the build-time half of the boundary check):
#   cmake -DWEAVE_BOUNDARY_DIR=<toolkit dir> -P cmake/WeaveHelpers.cmake

# Files the boundary check reads: C and C++ sources, headers and their templates.
set(_WEAVE_BOUNDARY_SOURCE_REGEX
    "\\.(h|hh|hpp|hxx|h\\+\\+|ipp|inl|inc|tpp|tcc|c|cc|cpp|cxx|c\\+\\+|in)$")
# An include of something under adapters/ or of an adapter's public header.
set(_WEAVE_BOUNDARY_FORBIDDEN_REGEX
    "(^|/)adapters/|(^|/)weave/(spawn|weave|gtest|coro|thread)\\.hpp$")

# Scans <dir>; sets <out_var> to a list of "file:line: offending line" (empty if clean).
function(_weave_scan_toolkit_boundary dir out_var)
  file(GLOB_RECURSE files LIST_DIRECTORIES false "${dir}/*")
  list(SORT files)
  set(violations "")
  foreach(file IN LISTS files)
    if(NOT file MATCHES "${_WEAVE_BOUNDARY_SOURCE_REGEX}")
      continue()
    endif()
    file(STRINGS "${file}" include_lines REGEX "^[ \t]*#[ \t]*include")
    foreach(line IN LISTS include_lines)
      if(NOT line MATCHES "^[ \t]*#[ \t]*include[ \t]*[<\"]([^>\"]*)[>\"]")
        continue()
      endif()
      if(NOT CMAKE_MATCH_1 MATCHES "${_WEAVE_BOUNDARY_FORBIDDEN_REGEX}")
        continue()
      endif()
      # Rare path: find the line number by counting newlines before the line.
      file(READ "${file}" content)
      string(FIND "${content}" "${line}" offset)
      set(line_number "?")
      if(offset GREATER_EQUAL 0)
        string(SUBSTRING "${content}" 0 ${offset} before)
        string(REGEX MATCHALL "\n" newlines "${before}")
        list(LENGTH newlines line_number)
        math(EXPR line_number "${line_number} + 1")
      endif()
      string(STRIP "${line}" line)
      list(APPEND violations "${file}:${line_number}: ${line}")
    endforeach()
  endforeach()
  set(${out_var} "${violations}" PARENT_SCOPE)
endfunction()

function(_weave_report_toolkit_boundary violations)
  list(JOIN violations "\n  " text)
  message(FATAL_ERROR
    "weave: toolkit/ must not include adapter headers (the toolkit knows no execution "
    "mechanism; adapters depend on it, never the reverse). Offending includes:\n  ${text}\n"
    "Move the code into the adapter, or depend on a toolkit interface (e.g. TaskBackend) "
    "instead.")
endfunction()

# --- Script mode: the build-time boundary check.
if(CMAKE_SCRIPT_MODE_FILE AND CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  if(NOT WEAVE_BOUNDARY_DIR)
    message(FATAL_ERROR "usage: cmake -DWEAVE_BOUNDARY_DIR=<toolkit dir> -P ${CMAKE_CURRENT_LIST_FILE}")
  endif()
  _weave_scan_toolkit_boundary("${WEAVE_BOUNDARY_DIR}" violations)
  if(violations)
    _weave_report_toolkit_boundary("${violations}")
  endif()
  return()
endif()

include_guard(GLOBAL)
include(GoogleTest)

# weave_set_warnings(<target>)
function(weave_set_warnings target)
  if(NOT TARGET ${target})
    message(FATAL_ERROR "weave_set_warnings: no target named '${target}'")
  endif()
  get_target_property(aliased ${target} ALIASED_TARGET)
  if(aliased)
    set(target ${aliased})
  endif()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    return()
  endif()
  if(CMAKE_CXX_COMPILER_ID MATCHES "^(GNU|Clang|AppleClang)$")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
    if(WEAVE_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  elseif(MSVC)
    target_compile_options(${target} PRIVATE /W4 /permissive-)
    if(WEAVE_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE /WX)
    endif()
  endif()
endfunction()

function(_weave_require_args function_name)
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${function_name}: unexpected arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_NAME)
    message(FATAL_ERROR "${function_name}: NAME is required")
  endif()
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "${function_name}(NAME ${arg_NAME}): SOURCES is required")
  endif()
endfunction()

# weave_add_test(NAME <name> SOURCES <file>... [LIBS <lib>...] [LABELS <label>...])
function(weave_add_test)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "NAME" "SOURCES;LIBS;LABELS")
  _weave_require_args(weave_add_test)

  add_executable(${arg_NAME} ${arg_SOURCES})
  target_link_libraries(${arg_NAME} PRIVATE
    weave::weave weave::gtest GTest::gtest GTest::gmock GTest::gtest_main ${arg_LIBS})
  weave_set_warnings(${arg_NAME})

  gtest_discover_tests(${arg_NAME}
    WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}"
    DISCOVERY_TIMEOUT 120
    PROPERTIES ENVIRONMENT "WEAVE_OUT=${CMAKE_CURRENT_BINARY_DIR}/weave-out")

  # LABELS are not passed through PROPERTIES above: gtest_discover_tests flattens that
  # list through several layers, so a list value like "unit;fast" would be split into
  # bogus property names. Instead a ctest include file, read right after the discovered
  # tests (whose names are in ${<name>_TESTS}), labels them.
  if(arg_LABELS)
    set(labels_file "${CMAKE_CURRENT_BINARY_DIR}/${arg_NAME}_labels.cmake")
    file(WRITE "${labels_file}"
      "# Generated by weave_add_test(NAME ${arg_NAME}): labels its discovered tests.\n"
      "if(NOT \"\${${arg_NAME}_TESTS}\" STREQUAL \"\")\n"
      "  set_tests_properties(\${${arg_NAME}_TESTS} PROPERTIES LABELS [==[${arg_LABELS}]==])\n"
      "endif()\n")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${labels_file}")
  endif()
endfunction()

# weave_add_example(NAME <name> SOURCES <file>... [EXPECT_FAILURE <regex>] [ARGS <arg>...])
function(weave_add_example)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "NAME;EXPECT_FAILURE" "SOURCES;ARGS")
  _weave_require_args(weave_add_example)

  add_executable(${arg_NAME} ${arg_SOURCES})
  target_link_libraries(${arg_NAME} PRIVATE
    weave::weave weave::gtest GTest::gtest GTest::gtest_main)
  weave_set_warnings(${arg_NAME})

  set(test_name "example.${arg_NAME}")
  if(DEFINED arg_EXPECT_FAILURE OR "EXPECT_FAILURE" IN_LIST arg_KEYWORDS_MISSING_VALUES)
    # The regex goes through a file: on a command line its ';' '\' '$' would be mangled.
    set(regex "${arg_EXPECT_FAILURE}")
    if(regex MATCHES "\\]=====\\]")
      message(FATAL_ERROR "weave_add_example(${arg_NAME}): EXPECT_FAILURE contains ']=====]'")
    endif()
    set(expect_file "${CMAKE_CURRENT_BINARY_DIR}/${arg_NAME}.expect-failure.cmake")
    file(WRITE "${expect_file}" "set(WEAVE_EXPECT_REGEX [=====[${regex}]=====])\n")
    add_test(NAME ${test_name}
      COMMAND "${CMAKE_COMMAND}"
              "-DWEAVE_PROGRAM=$<TARGET_FILE:${arg_NAME}>"
              "-DWEAVE_EXPECT_FILE=${expect_file}"
              -P "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/RunExpectFailure.cmake"
              -- ${arg_ARGS}
      WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
  else()
    add_test(NAME ${test_name}
      COMMAND ${arg_NAME} ${arg_ARGS}
      WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
  endif()
  set_tests_properties(${test_name} PROPERTIES LABELS example)
endfunction()

# weave_check_toolkit_boundary(DIRECTORY <toolkit dir>)
function(weave_check_toolkit_boundary)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "DIRECTORY" "")
  if(NOT arg_DIRECTORY)
    message(FATAL_ERROR "weave_check_toolkit_boundary: DIRECTORY is required")
  endif()
  if(NOT IS_DIRECTORY "${arg_DIRECTORY}")
    return()
  endif()

  _weave_scan_toolkit_boundary("${arg_DIRECTORY}" violations)
  if(violations)
    _weave_report_toolkit_boundary("${violations}")
  endif()

  # Build-time re-check: any change to a toolkit file re-runs the scan; adding or
  # removing a file re-runs configure (CONFIGURE_DEPENDS).
  file(GLOB_RECURSE files LIST_DIRECTORIES false CONFIGURE_DEPENDS "${arg_DIRECTORY}/*")
  list(FILTER files INCLUDE REGEX "${_WEAVE_BOUNDARY_SOURCE_REGEX}")
  set(helpers "${CMAKE_CURRENT_FUNCTION_LIST_FILE}")
  set(stamp "${CMAKE_BINARY_DIR}/weave_boundary_check.stamp")
  add_custom_command(OUTPUT "${stamp}"
    COMMAND "${CMAKE_COMMAND}" "-DWEAVE_BOUNDARY_DIR=${arg_DIRECTORY}" -P "${helpers}"
    COMMAND "${CMAKE_COMMAND}" -E touch "${stamp}"
    DEPENDS ${files} "${helpers}"
    COMMENT "Checking that toolkit/ includes no adapter header"
    VERBATIM)
  add_custom_target(weave_boundary_check ALL DEPENDS "${stamp}")
endfunction()
