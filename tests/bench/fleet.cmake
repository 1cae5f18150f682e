# fleet_rollback: a rollback on 50 LBs x 10 servers (DESIGN.md's target: p99 under 15 ms), LbFleet
# in parallel against the same 50 one after another. It starts its own HAProxy instances on
# 127.0.0.1 and stops them by PID; no lab needed. Prints its figures, not a ctest test.
add_executable(fleet_rollback ${CMAKE_CURRENT_SOURCE_DIR}/fleet_rollback.cpp)
target_link_libraries(fleet_rollback PRIVATE console_backends console_config console_settings)
