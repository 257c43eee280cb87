# Lets clang compile our libtorch users in C++20 (clang builds only: the sanitizer and fuzzing builds use clang).
#
# Debian 12's libtorch 1.13 headers use std::vector<c10::IValue> while IValue is still incomplete (ATen/core/List.h);
# since C++20 made vector's destructor constexpr that is ill-formed, and clang rejects it ("arithmetic on a pointer to
# an incomplete type 'c10::IValue'") where gcc lets it pass (pytorch/pytorch#97689, fixed upstream by #93978).
# Including ATen/core/ivalue.h first makes IValue complete before List.h needs it. Only the sources that include
# libtorch (directly, or through one of our headers that does) get it, since it costs ~3 s of parsing per file.
include(${CMAKE_CURRENT_LIST_DIR}/ForEachSource.cmake)

if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  return()
endif()

# One source of one target (called by smartbot_for_each_source, in the scope of the function below: it reads
# `pattern` and `alternatives` from there).
function(_smartbot_clang_libtorch_fix_one target path)
  if(NOT path MATCHES "\\.cpp$" OR NOT EXISTS ${path})
    return()
  endif()
  file(STRINGS ${path} hits REGEX "${pattern}")
  if(NOT hits AND alternatives)
    file(STRINGS ${path} hits REGEX "#include *\"([^\"]*/)?(${alternatives})\"")
  endif()
  if(hits)
    set_property(SOURCE ${path} TARGET_DIRECTORY ${target} APPEND PROPERTY COMPILE_OPTIONS -include ATen/core/ivalue.h)
    set(SMARTBOT_FOR_EACH_SOURCE_HITS 1 PARENT_SCOPE)
  endif()
endfunction()

function(_smartbot_clang_libtorch_fix)
  # Our headers that include libtorch, directly or through another such header (to a fixed point).
  file(GLOB_RECURSE headers ${CMAKE_SOURCE_DIR}/server/*.h ${CMAKE_SOURCE_DIR}/app/*.h ${CMAKE_SOURCE_DIR}/tests/*.h)
  set(pattern "#include *[<\"](torch|ATen|c10)/")
  set(torch_headers "")
  set(changed TRUE)
  while(changed)
    set(changed FALSE)
    foreach(h IN LISTS headers)
      get_filename_component(name ${h} NAME)
      if(name IN_LIST torch_headers)
        continue()
      endif()
      file(STRINGS ${h} hits REGEX "${pattern}")
      if(NOT hits AND torch_headers)
        list(JOIN torch_headers "|" alternatives)
        string(REPLACE "." "\\." alternatives "${alternatives}")
        file(STRINGS ${h} hits REGEX "#include *\"([^\"]*/)?(${alternatives})\"")
      endif()
      if(hits)
        list(APPEND torch_headers ${name})
        set(changed TRUE)
      endif()
    endforeach()
  endwhile()
  list(JOIN torch_headers "|" alternatives)
  string(REPLACE "." "\\." alternatives "${alternatives}")

  # Every target of every directory: its C++ sources that include libtorch get the fix.
  smartbot_for_each_source(_smartbot_clang_libtorch_fix_one fixed)
  message(STATUS "clang + libtorch: ATen/core/ivalue.h included first in ${fixed} sources (cmake/ClangLibtorch.cmake)")
endfunction()

# At the end of the top directory, after every target and every source property of the project is set.
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL _smartbot_clang_libtorch_fix)
