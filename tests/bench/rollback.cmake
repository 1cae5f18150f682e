# Rollback latency: fleet.apply(rollback weights) until verified on both lab LBs, against the
# seed's rewrite-the-config-and-reload. Needs a running lab (scripts/lab up); not a ctest test.
add_executable(rollback_latency rollback_latency.cpp)
target_link_libraries(rollback_latency PRIVATE console_core console_settings)
target_compile_definitions(rollback_latency PRIVATE CONSOLE_BINARY_DIR="${PROJECT_BINARY_DIR}")
