# The network-stack spike (docs/decisions/0001-network-stack.md): one static library used
# by the benchmark (bench/net, bench_netstack) and the integration test
# (tests/integration/net, test_netstack). Included from both; defined once.
include_guard(GLOBAL)

find_package(Threads REQUIRED)
pkg_check_modules(CQ_LWS REQUIRED IMPORTED_TARGET GLOBAL libwebsockets)
pkg_check_modules(CQ_UV REQUIRED IMPORTED_TARGET GLOBAL libuv)
pkg_check_modules(CQ_CURL REQUIRED IMPORTED_TARGET GLOBAL libcurl)

# Debian's libcivetweb-dev ships no pkg-config file, and its CMake package config fails
# (it names /usr/bin/civetweb, which only the `civetweb` server package installs), so the
# header and library are found directly.
find_path(CQ_CIVETWEB_INCLUDE_DIR civetweb.h REQUIRED)
find_library(CQ_CIVETWEB_LIBRARY civetweb REQUIRED)
add_library(cq_ext_civetweb INTERFACE IMPORTED GLOBAL)
target_include_directories(cq_ext_civetweb SYSTEM INTERFACE ${CQ_CIVETWEB_INCLUDE_DIR})
target_link_libraries(cq_ext_civetweb INTERFACE ${CQ_CIVETWEB_LIBRARY})

add_library(cq_netspike STATIC
  ${CMAKE_CURRENT_LIST_DIR}/spike_common.c
  ${CMAKE_CURRENT_LIST_DIR}/spike_lws.c
  ${CMAKE_CURRENT_LIST_DIR}/spike_civet.c)
target_include_directories(cq_netspike PUBLIC ${CMAKE_CURRENT_LIST_DIR})
cq_warnings(cq_netspike)
target_link_libraries(cq_netspike
  PUBLIC cq_core
  PRIVATE PkgConfig::CQ_LWS PkgConfig::CQ_UV PkgConfig::CQ_CURL cq_ext_civetweb Threads::Threads)
