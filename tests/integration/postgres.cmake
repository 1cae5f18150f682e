# Engine integration tests on the lab with the shared PostgreSQL store (issue 7, item 4). They
# require both fixtures: `lab` (tests/lab) and `postgres` (tests/unit/postgres.cmake, which
# starts tests/lab/postgres.sh in ${CMAKE_BINARY_DIR}/postgres). They stop and start that server,
# so they also take RESOURCE_LOCK cutover_postgres (give the store's PostgreSQL suite the same
# lock to keep them apart under ctest -j). Included by tests/integration/CMakeLists.txt after
# engine.cmake.
set(CONSOLE_PG_BIN /usr/lib/postgresql/15/bin)
if(NOT EXISTS ${CONSOLE_PG_BIN}/initdb OR NOT EXISTS ${CONSOLE_PG_BIN}/pg_ctl)
    message(STATUS "PostgreSQL 15 not found in ${CONSOLE_PG_BIN}: the engine's PostgreSQL tests "
                   "are not registered (apt-get install postgresql-15)")
    return()
endif()

set(CONSOLE_PG_SCRIPT ${PROJECT_SOURCE_DIR}/tests/lab/postgres.sh)
set(CONSOLE_PG_DIR ${CMAKE_BINARY_DIR}/postgres) # as tests/unit/postgres.cmake

# console_add_postgres_engine_test(NAME): an engine test on the lab and the shared store.
function(console_add_postgres_engine_test name)
    console_add_test(${name}
        SOURCES ${CMAKE_CURRENT_LIST_DIR}/${name}.cpp
        LIBS console_test_support
        LABELS integration
        FIXTURES lab postgres
        TIMEOUT 240
        ENVIRONMENT ${CUTOVER_LAB_ENVIRONMENT}
                    CUTOVER_PG_DIR=${CONSOLE_PG_DIR} CUTOVER_PG_SCRIPT=${CONSOLE_PG_SCRIPT})
    target_compile_definitions(${name} PRIVATE CONSOLE_BUILD_DIR="${PROJECT_BINARY_DIR}")
    set_tests_properties(${name} PROPERTIES RESOURCE_LOCK "cutover_lab;cutover_postgres")
endfunction()

# PostgreSQL stopped during a rollback; --verify-audit / --export-audit on the shared store.
console_add_postgres_engine_test(test_engine_postgres_rollback)
# Desks in one war room: propagation within one second, three desks racing Shift, restart.
console_add_postgres_engine_test(test_engine_postgres_desks)
# Controllers on the shared store: one decision whatever is open, failover after SIGKILL,
# SIGTERM during a rollback.
console_add_postgres_engine_test(test_controller_failover)
add_dependencies(test_controller_failover cutover-console)
