# Store, audit log and operators (app/store). Included by tests/unit/CMakeLists.txt.
console_add_test(test_store_sqlite SOURCES test_store_sqlite.cpp LABELS unit)
console_add_test(test_store_audit SOURCES test_store_audit.cpp LABELS unit)
console_add_test(test_store_operators SOURCES test_store_operators.cpp LABELS unit)
console_add_test(test_operator_keys SOURCES test_operator_keys.cpp LABELS unit)
console_add_test(test_verify_signoffs SOURCES test_verify_signoffs.cpp LABELS unit)
console_add_test(test_store_transport SOURCES test_store_transport.cpp LABELS unit)
console_add_test(test_audit_checkpoints SOURCES test_audit_checkpoints.cpp LABELS unit)
# The behaviours every store shares, one executable per backend run: here on SQLite; postgres.cmake
# registers test_store_contract_postgres when PostgreSQL 15 is installed.
console_add_test(test_store_contract_sqlite TARGET test_store_contract
    SOURCES test_store_contract.cpp store_backends.h LABELS unit
    ENVIRONMENT CUTOVER_STORE_BACKEND=sqlite)

# Appends to a store until killed; test_store_crash SIGKILLs it mid-write.
add_executable(store_crash_helper store_crash_helper.cpp)
target_link_libraries(store_crash_helper PRIVATE console_cli console_settings)
console_add_test(test_store_crash SOURCES test_store_crash.cpp LABELS unit)
target_compile_definitions(test_store_crash PRIVATE
    STORE_CRASH_HELPER="$<TARGET_FILE:store_crash_helper>")
add_dependencies(test_store_crash store_crash_helper)
# A helper for test_store_sqlite: opens an audit journal in a process of its own.
add_executable(journal_opener journal_opener.cpp)
target_link_libraries(journal_opener PRIVATE console_store)
add_dependencies(test_store_sqlite journal_opener)
target_compile_definitions(test_store_sqlite PRIVATE
    JOURNAL_OPENER="$<TARGET_FILE:journal_opener>")
