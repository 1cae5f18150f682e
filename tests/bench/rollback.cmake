# Rollback latency: CutoverEngine::rollback (guards, apply + read-back, audit, state in a
# SqliteStore) until verified on both lab LBs, against the seed's rewrite-the-configs-and-reload of
# two private HAProxy instances. Needs a running lab (scripts/lab up); not a ctest test.
add_executable(rollback_latency rollback_latency.cpp private_haproxy.h)
target_link_libraries(rollback_latency PRIVATE console_test_support console_cli console_settings)
target_compile_definitions(rollback_latency PRIVATE CONSOLE_BINARY_DIR="${PROJECT_BINARY_DIR}")
