# Trigger to rollback: from an `auto` trigger's first true sample to "verified on every LB", an
# engine on the real lab (DESIGN.md "Performance targets", issue 11). Needs a running lab
# (scripts/lab up); prints its figures, not a ctest test.
add_executable(trigger_to_rollback ${CMAKE_CURRENT_SOURCE_DIR}/trigger_to_rollback.cpp)
target_link_libraries(trigger_to_rollback PRIVATE console_cli console_settings)
target_compile_definitions(trigger_to_rollback PRIVATE
    CONSOLE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    CONSOLE_BINARY_DIR="${PROJECT_BINARY_DIR}")
