# Store benchmark: audit append and stage update latency, propagation between two consoles.
add_executable(store_bench store_bench.cpp)
target_link_libraries(store_bench PRIVATE console_core console_settings)
