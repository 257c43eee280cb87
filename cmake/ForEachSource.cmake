# smartbot_for_each_source(CALLBACK): calls CALLBACK(target absolute_path) for every source file of every target of
# every directory of the project. For build tweaks that must reach a source in whichever target builds it
# (cmake/Sanitize.cmake: fuzzing coverage; cmake/ClangLibtorch.cmake: the libtorch-under-clang fix). Call it at the end
# of the top directory (cmake_language(DEFER ...)), once every target exists. The callback sets
# SMARTBOT_FOR_EACH_SOURCE_HITS in its parent scope to count what it changed; the total is returned in OUT_COUNT.
include_guard(GLOBAL)

function(smartbot_for_each_source callback out_count)
  set(dirs ${CMAKE_SOURCE_DIR})
  set(count 0)
  while(dirs)
    list(POP_FRONT dirs dir)
    get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
    list(APPEND dirs ${subdirs})
    get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
    foreach(t IN LISTS targets)
      get_target_property(sources ${t} SOURCES)
      get_target_property(source_dir ${t} SOURCE_DIR)
      if(NOT sources)
        continue()
      endif()
      foreach(s IN LISTS sources)
        get_filename_component(path ${s} ABSOLUTE BASE_DIR ${source_dir})
        set(SMARTBOT_FOR_EACH_SOURCE_HITS 0)
        cmake_language(CALL ${callback} ${t} ${path})
        math(EXPR count "${count} + ${SMARTBOT_FOR_EACH_SOURCE_HITS}")
      endforeach()
    endforeach()
  endwhile()
  set(${out_count} ${count} PARENT_SCOPE)
endfunction()
