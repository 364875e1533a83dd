# Installation and the CMake package, so users can write:
#
#   find_package(weave REQUIRED)
#   target_link_libraries(my_tests PRIVATE weave::weave weave::gtest GTest::gtest_main)
#
# Installs the library targets (EXPORT weaveTargets, NAMESPACE weave::), the public
# headers (*.hpp from each include/ folder; toolkit/src/internal is never installed),
# weaveTargets.cmake, weaveConfig.cmake and weaveConfigVersion.cmake into
# ${CMAKE_INSTALL_LIBDIR}/cmake/weave. Included last from the root CMakeLists.txt, after
# every target exists. Targets that do not exist (yet) are skipped.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(WEAVE_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/weave"
    CACHE STRING "Where weaveConfig.cmake and weaveTargets.cmake are installed")

# <target>|<EXPORT_NAME, matching the weave::<name> alias>|<public header folder or empty>
set(_weave_install_table
  "weave_toolkit|toolkit|toolkit/include"
  "weave_fiber|fiber|adapters/fiber/include"
  "weave_coro|coro|adapters/coro/include"
  "weave_thread|thread|adapters/thread/include"
  "weave_sync_policy|sync_policy|"
  "weave|weave|"
  "weave_gtest|gtest|adapters/gtest/include")

set(_weave_install_targets "")
foreach(_weave_entry IN LISTS _weave_install_table)
  string(REPLACE "|" ";" _weave_fields "${_weave_entry}")
  list(GET _weave_fields 0 _weave_target)
  list(GET _weave_fields 1 _weave_export_name)
  list(GET _weave_fields 2 _weave_header_dir)
  if(NOT TARGET ${_weave_target})
    continue()
  endif()
  list(APPEND _weave_install_targets ${_weave_target})
  set_target_properties(${_weave_target} PROPERTIES EXPORT_NAME ${_weave_export_name})

  # A plain source-tree include path cannot be exported: keep it for the build tree
  # only ($<BUILD_INTERFACE:...>); installed users get ${CMAKE_INSTALL_INCLUDEDIR}
  # from INCLUDES DESTINATION below. Entries already written with generator
  # expressions are left alone.
  get_target_property(_weave_includes ${_weave_target} INTERFACE_INCLUDE_DIRECTORIES)
  if(_weave_includes)
    set(_weave_fixed_includes "")
    foreach(_weave_dir IN LISTS _weave_includes)
      if(IS_ABSOLUTE "${_weave_dir}" AND NOT _weave_dir MATCHES "[$<>]")
        cmake_path(IS_PREFIX CMAKE_SOURCE_DIR "${_weave_dir}" NORMALIZE _weave_in_source)
        cmake_path(IS_PREFIX CMAKE_BINARY_DIR "${_weave_dir}" NORMALIZE _weave_in_binary)
        if(_weave_in_source OR _weave_in_binary)
          set(_weave_dir "$<BUILD_INTERFACE:${_weave_dir}>")
        endif()
      endif()
      list(APPEND _weave_fixed_includes "${_weave_dir}")
    endforeach()
    set_target_properties(${_weave_target} PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${_weave_fixed_includes}")
  endif()

  if(_weave_header_dir AND IS_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}/${_weave_header_dir}")
    install(DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}/${_weave_header_dir}/"
      DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
      COMPONENT weave_development
      FILES_MATCHING PATTERN "*.hpp")
  endif()
endforeach()

if(NOT _weave_install_targets)
  message(WARNING "weave: no library targets yet; nothing to install")
  return()
endif()

install(TARGETS ${_weave_install_targets}
  EXPORT weaveTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT weave_development
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT weave_runtime
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT weave_runtime
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

install(EXPORT weaveTargets
  NAMESPACE weave::
  FILE weaveTargets.cmake
  DESTINATION "${WEAVE_INSTALL_CMAKEDIR}"
  COMPONENT weave_development)

# weaveConfig.cmake recreates PkgConfig::LIBUNWIND and PkgConfig::LIBDW only if an installed
# target links them (static libraries pass their private dependencies on to consumers).
set(WEAVE_CONFIG_NEEDS_LIBUNWIND OFF)
set(WEAVE_CONFIG_NEEDS_LIBDW OFF)
foreach(_weave_target IN LISTS _weave_install_targets)
  foreach(_weave_property IN ITEMS LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
    get_target_property(_weave_libraries ${_weave_target} ${_weave_property})
    if(_weave_libraries MATCHES "PkgConfig::LIBUNWIND")
      set(WEAVE_CONFIG_NEEDS_LIBUNWIND ON)
    endif()
    if(_weave_libraries MATCHES "PkgConfig::LIBDW")
      set(WEAVE_CONFIG_NEEDS_LIBDW ON)
    endif()
  endforeach()
endforeach()

configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/weaveConfig.cmake.in"
  "${CMAKE_CURRENT_BINARY_DIR}/weaveConfig.cmake"
  INSTALL_DESTINATION "${WEAVE_INSTALL_CMAKEDIR}")
write_basic_package_version_file(
  "${CMAKE_CURRENT_BINARY_DIR}/weaveConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMajorVersion)
install(FILES
  "${CMAKE_CURRENT_BINARY_DIR}/weaveConfig.cmake"
  "${CMAKE_CURRENT_BINARY_DIR}/weaveConfigVersion.cmake"
  DESTINATION "${WEAVE_INSTALL_CMAKEDIR}"
  COMPONENT weave_development)
