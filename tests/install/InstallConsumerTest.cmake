# Script for the ctest install.find_package_consumer (see CMakeLists.txt beside it):
#   1. cmake --install <weave build dir> --prefix <work>/prefix
#   2. configure consumer/ with -DCMAKE_PREFIX_PATH=<work>/prefix (same generator,
#      compiler, build type and flags as the weave build), and build it
#   3. run the consumer binary; it must exit 0
#
#   cmake -DWEAVE_SETTINGS=<consumer-settings.cmake> [-DWEAVE_CONFIG=<config>]
#         -P InstallConsumerTest.cmake
cmake_minimum_required(VERSION 3.25)

if(NOT WEAVE_SETTINGS OR NOT EXISTS "${WEAVE_SETTINGS}")
  message(FATAL_ERROR "install test: WEAVE_SETTINGS must name the generated settings file")
endif()
include("${WEAVE_SETTINGS}")

set(prefix "${WEAVE_WORK_DIR}/prefix")
set(consumer_build "${WEAVE_WORK_DIR}/consumer-build")
set(config "${WEAVE_CONFIG}")
if(config STREQUAL "")
  set(config "${WEAVE_CMAKE_BUILD_TYPE}")
endif()
set(config_args "")
if(NOT config STREQUAL "")
  set(config_args --config "${config}")
endif()

# Start from nothing, so a stale prefix or consumer build cannot make the test pass.
file(REMOVE_RECURSE "${prefix}" "${consumer_build}")
file(MAKE_DIRECTORY "${WEAVE_WORK_DIR}")

function(run_step name)
  message(NOTICE "install test: ${name}")
  execute_process(COMMAND ${ARGN}
    WORKING_DIRECTORY "${WEAVE_WORK_DIR}"
    COMMAND_ECHO STDOUT
    RESULT_VARIABLE result)
  if(NOT result STREQUAL "0")
    message(FATAL_ERROR "install test: step '${name}' failed (${result})")
  endif()
endfunction()

# 1. Install.
run_step("install weave into ${prefix}"
  "${CMAKE_COMMAND}" --install "${WEAVE_BUILD_DIR}" --prefix "${prefix}" ${config_args})

# 2. Configure and build the consumer, finding weave (and only weave) in the prefix.
set(generator_args -G "${WEAVE_CMAKE_GENERATOR}")
if(WEAVE_CMAKE_GENERATOR_PLATFORM)
  list(APPEND generator_args -A "${WEAVE_CMAKE_GENERATOR_PLATFORM}")
endif()
if(WEAVE_CMAKE_GENERATOR_TOOLSET)
  list(APPEND generator_args -T "${WEAVE_CMAKE_GENERATOR_TOOLSET}")
endif()
if(WEAVE_CMAKE_MAKE_PROGRAM)
  list(APPEND generator_args "-DCMAKE_MAKE_PROGRAM=${WEAVE_CMAKE_MAKE_PROGRAM}")
endif()
set(dependency_args "")
foreach(package IN ITEMS absl Boost GTest)
  if(WEAVE_${package}_DIR)
    list(APPEND dependency_args "-D${package}_DIR=${WEAVE_${package}_DIR}")
  endif()
endforeach()
set(prefix_path "${prefix}")
if(NOT "${WEAVE_CMAKE_PREFIX_PATH}" STREQUAL "")
  string(APPEND prefix_path ";${WEAVE_CMAKE_PREFIX_PATH}")
endif()

run_step("configure the consumer"
  "${CMAKE_COMMAND}" -S "${WEAVE_CONSUMER_SOURCE_DIR}" -B "${consumer_build}"
  ${generator_args}
  "-DCMAKE_CXX_COMPILER=${WEAVE_CMAKE_CXX_COMPILER}"
  "-DCMAKE_CXX_COMPILER_LAUNCHER=${WEAVE_CMAKE_CXX_COMPILER_LAUNCHER}"
  "-DCMAKE_BUILD_TYPE=${config}"
  "-DCMAKE_CXX_FLAGS=${WEAVE_CMAKE_CXX_FLAGS}"
  "-DCMAKE_EXE_LINKER_FLAGS=${WEAVE_CMAKE_EXE_LINKER_FLAGS}"
  "-DCMAKE_PREFIX_PATH=${prefix_path}"
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  "-DWEAVE_EXPECTED_PREFIX=${prefix}"
  ${dependency_args})
run_step("build the consumer"
  "${CMAKE_COMMAND}" --build "${consumer_build}" ${config_args})

# 3. Run it. The consumer writes its executable's path per configuration.
set(path_file "${consumer_build}/weave_consumer-path-${config}.txt")
if(NOT EXISTS "${path_file}")
  message(FATAL_ERROR "install test: ${path_file} was not written by the consumer build")
endif()
file(READ "${path_file}" consumer_exe)
set(ENV{WEAVE_OUT} "${WEAVE_WORK_DIR}/weave-out")
run_step("run the consumer" "${consumer_exe}")
message(NOTICE "install test: find_package(weave) consumer built and passed")
