# The store's test suite against a real PostgreSQL 15 (Debian: postgresql-15, which brings
# postgresql-client-15; the QPSQL driver is libqt6sql6-psql). tests/lab/postgres.sh starts it as
# an unprivileged user on 127.0.0.1 and a free port; the fixture stops it by PID and removes it.
# Included by tests/unit/CMakeLists.txt.
set(CONSOLE_PG_BIN /usr/lib/postgresql/15/bin)
if(NOT EXISTS ${CONSOLE_PG_BIN}/initdb OR NOT EXISTS ${CONSOLE_PG_BIN}/pg_ctl)
    message(STATUS "PostgreSQL 15 not found in ${CONSOLE_PG_BIN}: the PostgreSQL store tests are "
                   "not registered (apt-get install postgresql-15)")
    return()
endif()

set(CONSOLE_PG_SCRIPT ${PROJECT_SOURCE_DIR}/tests/lab/postgres.sh)
set(CONSOLE_PG_DIR ${CMAKE_BINARY_DIR}/postgres)

add_test(NAME postgres_up COMMAND ${CONSOLE_PG_SCRIPT} start ${CONSOLE_PG_DIR})
set_tests_properties(postgres_up PROPERTIES
    FIXTURES_SETUP postgres LABELS integration TIMEOUT 60)
add_test(NAME postgres_down COMMAND ${CONSOLE_PG_SCRIPT} purge ${CONSOLE_PG_DIR})
set_tests_properties(postgres_down PROPERTIES
    FIXTURES_CLEANUP postgres LABELS integration TIMEOUT 60)

console_add_test(test_store_postgres SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_store_postgres.cpp
    LABELS integration FIXTURES postgres TIMEOUT 240
    ENVIRONMENT CUTOVER_PG_DIR=${CONSOLE_PG_DIR} CUTOVER_PG_SCRIPT=${CONSOLE_PG_SCRIPT})
set_tests_properties(test_store_postgres PROPERTIES RESOURCE_LOCK cutover_postgres)

# The store contract suite (test_store_contract, built by store.cmake) on this server.
console_add_test(test_store_contract_postgres TARGET test_store_contract
    LABELS integration FIXTURES postgres TIMEOUT 240
    ENVIRONMENT CUTOVER_STORE_BACKEND=postgresql CUTOVER_PG_DIR=${CONSOLE_PG_DIR}
                CUTOVER_PG_SCRIPT=${CONSOLE_PG_SCRIPT})
set_tests_properties(test_store_contract_postgres PROPERTIES RESOURCE_LOCK cutover_postgres)

# The decision lease suite (test_decision_lease, built by cutover.cmake) on this server.
console_add_test(test_decision_lease_postgres TARGET test_decision_lease
    LABELS integration FIXTURES postgres TIMEOUT 120
    ENVIRONMENT CUTOVER_STORE_BACKEND=postgresql CUTOVER_PG_DIR=${CONSOLE_PG_DIR}
                CUTOVER_PG_SCRIPT=${CONSOLE_PG_SCRIPT})
set_tests_properties(test_decision_lease_postgres PROPERTIES RESOURCE_LOCK cutover_postgres)

# One schema description, two dialects: the live SQLite and PostgreSQL layouts must match.
console_add_test(test_schema_parity SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_schema_parity.cpp
    LIBS console_test_support
    LABELS integration FIXTURES postgres TIMEOUT 120
    ENVIRONMENT CUTOVER_PG_DIR=${CONSOLE_PG_DIR} CUTOVER_PG_SCRIPT=${CONSOLE_PG_SCRIPT})
set_tests_properties(test_schema_parity PROPERTIES RESOURCE_LOCK cutover_postgres)
