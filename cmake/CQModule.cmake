# Helpers shared by every module, test and benchmark.

# Warnings for our own code (CONVENTIONS.md, item 13).
set(CQ_WARNINGS -Wall -Wextra -Wshadow -Werror -Wstrict-prototypes -Wmissing-prototypes
    -Wformat=2 -Wvla -Wundef)

function(cq_warnings target)
  target_compile_options(${target} PRIVATE ${CQ_WARNINGS})
  target_compile_definitions(${target} PRIVATE _POSIX_C_SOURCE=200809L _DEFAULT_SOURCE)
endfunction()

# cq_module(<name> SOURCES ... [DEPS ...] [PKG ...] [CONVERSION])
# One static library per module, cq_<name>. DEPS are lower-layer modules (without the
# cq_ prefix) and external targets; the layer order is kept by linking only downwards.
function(cq_module name)
  cmake_parse_arguments(M "CONVERSION" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(cq_${name} STATIC ${M_SOURCES})
  target_include_directories(cq_${name}
    PUBLIC ${CMAKE_SOURCE_DIR}/include
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  cq_warnings(cq_${name})
  if(M_CONVERSION)
    target_compile_options(cq_${name} PRIVATE -Wconversion -Wsign-conversion)
  endif()
  if(M_DEPS)
    target_link_libraries(cq_${name} PUBLIC ${M_DEPS})
  endif()
  if(M_PRIVATE_DEPS)
    target_link_libraries(cq_${name} PRIVATE ${M_PRIVATE_DEPS})
  endif()
endfunction()

# cq_test(<name> SOURCES ... LIBS ... [LABELS ...] [TIMEOUT s] [WRAPPER script])
# One executable per test, registered with CTest; each runs in its own process. WRAPPER is
# a command that runs the test binary (e.g. with a server started around it).
function(cq_test name)
  cmake_parse_arguments(T "" "TIMEOUT;WRAPPER" "SOURCES;LIBS;LABELS;ARGS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  cq_warnings(${name})
  target_link_libraries(${name} PRIVATE ${T_LIBS} cmocka)
  target_compile_definitions(${name} PRIVATE
    CQ_SHARED_DATA="${CQ_SHARED_DATA}"
    CQ_TEST_DATA="${CMAKE_SOURCE_DIR}/tests/data")
  if(T_WRAPPER)
    add_test(NAME ${name} COMMAND ${T_WRAPPER} $<TARGET_FILE:${name}> ${T_ARGS})
  else()
    add_test(NAME ${name} COMMAND ${name} ${T_ARGS})
  endif()
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT})
endfunction()

# cq_bench(<name> SOURCES ... LIBS ...)
function(cq_bench name)
  cmake_parse_arguments(B "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${B_SOURCES})
  cq_warnings(${name})
  target_link_libraries(${name} PRIVATE ${B_LIBS})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/bench)
  set_property(GLOBAL APPEND PROPERTY CQ_BENCHES ${name})
endfunction()
