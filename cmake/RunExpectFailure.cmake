# Runs a program that is expected to FAIL, for weave_add_example(... EXPECT_FAILURE <regex>).
#
#   cmake -DWEAVE_PROGRAM=<exe>
#         [-DWEAVE_EXPECT_FILE=<file that sets WEAVE_EXPECT_REGEX>] [-DWEAVE_EXPECT_REGEX=<regex>]
#         -P RunExpectFailure.cmake [-- <program args>...]
#
# Passes (exits 0) only if the program exits non-zero (or dies from a signal) AND its
# combined stdout+stderr matches WEAVE_EXPECT_REGEX (CMake regex syntax; empty = any).
# The program's output is always printed, so ctest --output-on-failure shows it.
cmake_minimum_required(VERSION 3.25)

if(NOT WEAVE_PROGRAM)
  message(FATAL_ERROR "RunExpectFailure: WEAVE_PROGRAM is not set")
endif()
if(WEAVE_EXPECT_FILE)
  include("${WEAVE_EXPECT_FILE}")
endif()

# Program arguments: everything after "--" on the cmake command line.
set(program_args "")
set(after_separator FALSE)
math(EXPR last_arg "${CMAKE_ARGC} - 1")
foreach(i RANGE 0 ${last_arg})
  if(after_separator)
    list(APPEND program_args "${CMAKE_ARGV${i}}")
  elseif(CMAKE_ARGV${i} STREQUAL "--")
    set(after_separator TRUE)
  endif()
endforeach()

execute_process(
  COMMAND "${WEAVE_PROGRAM}" ${program_args}
  RESULT_VARIABLE exit_code
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)  # the same variable for both: merged in the order produced

# Show the program's own output (on stderr, like every message below), then the verdict.
message(NOTICE "${output}")

string(JOIN " " command_line "${WEAVE_PROGRAM}" ${program_args})
if("${exit_code}" STREQUAL "0")
  message(FATAL_ERROR
    "expected failure: `${command_line}` exited 0, but it should fail "
    "(weave should have found the bug)")
endif()
if(NOT "${WEAVE_EXPECT_REGEX}" STREQUAL "" AND NOT output MATCHES "${WEAVE_EXPECT_REGEX}")
  message(FATAL_ERROR
    "expected failure: `${command_line}` failed (exit: ${exit_code}) but its output does not "
    "match the expected regex:\n  ${WEAVE_EXPECT_REGEX}")
endif()
message(NOTICE "expected failure: `${command_line}` failed as expected (exit: ${exit_code})")
