# Sanitizer and fuzzing builds (issue 16, "make it stay fixed").
#
#   SMARTBOT_SANITIZE=ON  every target of this tree is compiled and linked with AddressSanitizer + UndefinedBehavior-
#                         Sanitizer (any undefined behaviour is fatal). gcc or clang.
#   SMARTBOT_FUZZ=ON      also builds the libFuzzer targets of tests/fuzz (clang only); implies SMARTBOT_SANITIZE.
#                         The parsers the fuzzers drive (SMARTBOT_FUZZ_COVERAGE_SOURCES) are instrumented for coverage
#                         (-fsanitize=fuzzer-no-link) so that the fuzzers are guided; the rest is not: coverage
#                         counters everywhere made the decode path 3x slower (496 vs 1564 tokens/s) and pushed the
#                         test suite's timing-bound tests past their limits.
#
# The normal build (both OFF) registers one test, sanitized_suite (tests/sanitize), that configures and builds a
# SMARTBOT_FUZZ=ON tree with clang in <build>/asan, runs its whole test suite and a short run of every fuzzer.
# Third-party libraries (Qt, libtorch, libjwt ...) are not instrumented; ASan still checks every access our code makes.
include(${CMAKE_CURRENT_LIST_DIR}/ForEachSource.cmake)

include(${CMAKE_CURRENT_LIST_DIR}/ClangLibtorch.cmake) # clang can only build our libtorch users with it

option(SMARTBOT_SANITIZE "Build with AddressSanitizer + UndefinedBehaviorSanitizer" OFF)
option(SMARTBOT_FUZZ "Build the libFuzzer targets of tests/fuzz (clang; implies SMARTBOT_SANITIZE)" OFF)

if(SMARTBOT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SMARTBOT_FUZZ needs clang's libFuzzer: configure a fresh folder with CXX=clang++ "
                        "(Debian: apt-get install clang libclang-rt-14-dev)")
  endif()
  if(NOT SMARTBOT_SANITIZE)
    message(STATUS "SMARTBOT_FUZZ=ON turns SMARTBOT_SANITIZE on")
    set(SMARTBOT_SANITIZE ON CACHE BOOL "Build with AddressSanitizer + UndefinedBehaviorSanitizer" FORCE)
  endif()
endif()

if(SMARTBOT_SANITIZE)
  # Global (directory) options, so that every target below, libraries and executables alike, gets them.
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  if(SMARTBOT_FUZZ)
    cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL _smartbot_fuzz_coverage)
  endif()
  message(STATUS "SmartBot: ASan + UBSan build (fuzzers: ${SMARTBOT_FUZZ})")
endif()

# Sources (regular expressions on absolute paths) built with coverage instrumentation for the fuzzers.
set(SMARTBOT_FUZZ_COVERAGE_SOURCES
    "/server/engine/src/(tokenizer/|jinja/|chat_template|model/safetensors|model/config)[^/]*\\.cpp$"
    "/server/core/(token_service|server_config|address_list|secret_files)\\.cpp$"
    "/server/http/(transport/request_head|protocol/request_helpers|protocol/openai_request|protocol/api_error)\\.cpp$"
)

# At the end of the top directory, when every target exists: append -fsanitize=fuzzer-no-link to the sources above,
# in every target that builds them.
function(_smartbot_fuzz_coverage_one target path)
  foreach(pattern IN LISTS SMARTBOT_FUZZ_COVERAGE_SOURCES)
    if(path MATCHES "${pattern}")
      set_property(SOURCE ${path} TARGET_DIRECTORY ${target} APPEND PROPERTY COMPILE_OPTIONS -fsanitize=fuzzer-no-link)
      set(SMARTBOT_FOR_EACH_SOURCE_HITS 1 PARENT_SCOPE)
      return()
    endif()
  endforeach()
endfunction()

function(_smartbot_fuzz_coverage)
  smartbot_for_each_source(_smartbot_fuzz_coverage_one count)
  if(count EQUAL 0)
    message(FATAL_ERROR "SMARTBOT_FUZZ: no source matches SMARTBOT_FUZZ_COVERAGE_SOURCES; the fuzzers would be blind")
  endif()
  message(STATUS "SMARTBOT_FUZZ: ${count} sources instrumented for coverage")
endfunction()

# The sanitized_suite test (tests/sanitize) in a normal build, so that .ci/run (the README's test command) runs the
# suite under ASan + UBSan and every fuzzer for a while. Measured on the 2-core development machine: ~19 min from a
# cold ccache, ~7 min warm. OFF for a quick local build: -DSMARTBOT_SANITIZED_SUITE=OFF, or ctest -LE sanitize.
option(SMARTBOT_SANITIZED_SUITE "Register the sanitized_suite test (ASan/UBSan build of the suite + fuzzers)" ON)
