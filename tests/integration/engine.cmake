# The engine's integration tests on the real lab (issue 4, item 8). Each requires the `lab`
# fixture and takes RESOURCE_LOCK cutover_lab: they change the shared LB weights, collector
# modes and LB processes, and restore them.

function(console_add_engine_test name timeout)
    console_add_test(${name} SOURCES ${name}.cpp
        LIBS console_test_support
        LABELS integration
        FIXTURES lab
        TIMEOUT ${timeout}
        ENVIRONMENT "${CUTOVER_LAB_ENVIRONMENT}")
    target_compile_definitions(${name} PRIVATE CONSOLE_BUILD_DIR="${PROJECT_BINARY_DIR}")
    set_tests_properties(${name} PROPERTIES RESOURCE_LOCK cutover_lab)
endfunction()

# Killed with SIGKILL in the middle of a shift or of sign-offs by test_engine_crash_recovery.
add_executable(engine_crash_helper engine_crash_helper.cpp)
target_link_libraries(engine_crash_helper PRIVATE console_test_support)
target_compile_definitions(engine_crash_helper PRIVATE
    CONSOLE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    CONSOLE_BUILD_DIR="${PROJECT_BINARY_DIR}"
    CONSOLE_BINARY="$<TARGET_FILE:cutover-console>")

console_add_engine_test(test_engine_full_run 300)
console_add_engine_test(test_engine_validation_failure 180)
console_add_engine_test(test_engine_prometheus_unknown 180)
console_add_engine_test(test_engine_rollback_lb_down 120)
console_add_engine_test(test_engine_shift_revert 180)
console_add_engine_test(test_engine_crash_recovery 240)
console_add_engine_test(test_engine_audit_tamper 120)
console_add_engine_test(test_engine_two_consoles 180)
console_add_engine_test(test_control_cli 180)
target_compile_definitions(test_engine_crash_recovery PRIVATE
    CRASH_HELPER="$<TARGET_FILE:engine_crash_helper>")
add_dependencies(test_engine_crash_recovery engine_crash_helper)
foreach(test test_engine_crash_recovery test_engine_audit_tamper test_control_cli)
    add_dependencies(${test} cutover-console)
endforeach()
console_add_engine_test(test_engine_drift 180)
console_add_engine_test(test_engine_decommission 180)
console_add_engine_test(test_engine_panel_history 180)

# The controller (--serve), the real binary on the lab with a SQLite store.
console_add_engine_test(test_controller_serve 300)
add_dependencies(test_controller_serve cutover-console)

# Headless commands report only what is true: --shift --wait, --dry-run, --status resuming.
console_add_engine_test(test_control_cli_outcomes 300)
add_dependencies(test_control_cli_outcomes cutover-console)

# What a signature attests: alert delivery end to end, gates signed after the observed hold,
# a fresh command's sign-off judged from history, a planned step back.
console_add_engine_test(test_engine_attestations 300)
add_dependencies(test_engine_attestations cutover-console)
# compare checks on the lab: identical pools, OTel twice as slow, Prometheus unreachable.
console_add_engine_test(test_engine_compare 420)
# Data parity through --evaluate: healthy collectors pass; dropped points, tripled series and
# slower answers fail the lab plan's Gate 1 checks.
console_add_engine_test(test_evaluate_parity 600)
add_dependencies(test_evaluate_parity cutover-console)
