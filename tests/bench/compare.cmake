# compare_bench: one evaluation round of 20 compare checks, 360 samples a side (issue 14), CPU
# time p50/p99 against the same statistics computed the obvious way. Prints a table, exits 1
# when p99 misses 5 ms; not a ctest test.
add_executable(compare_bench ${CMAKE_CURRENT_SOURCE_DIR}/compare_bench.cpp)
target_link_libraries(compare_bench PRIVATE console_cli console_settings)
