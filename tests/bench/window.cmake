# window_bench: the war-room window's first frame, UI stall with every backend hung, and memory
# for 24 h × 30 series (DESIGN.md's targets). A benchmark that prints its figures, not a test.
add_executable(window_bench ${CMAKE_CURRENT_SOURCE_DIR}/window_bench.cpp)
target_link_libraries(window_bench PRIVATE console_ui console_models console_cli console_settings)
target_compile_definitions(window_bench PRIVATE CONSOLE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
