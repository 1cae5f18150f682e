console_add_test(test_cutover_conditions SOURCES test_cutover_conditions.cpp LABELS unit)
console_add_test(test_cutover_guards SOURCES test_cutover_guards.cpp LABELS unit)
console_add_test(test_cutover_engine SOURCES test_cutover_engine.cpp LABELS unit TIMEOUT 180)
# Who decides (the store's decision lease), per backend like the store contract suite:
# postgres.cmake registers test_decision_lease_postgres.
console_add_test(test_decision_lease_sqlite TARGET test_decision_lease
    SOURCES test_decision_lease.cpp store_backends.h LABELS unit TIMEOUT 120
    ENVIRONMENT CUTOVER_STORE_BACKEND=sqlite)
# The controller's metrics text and endpoints, the --listen parser, the evidence archive.
console_add_test(test_controller_parts SOURCES test_controller_parts.cpp LIBS Qt6::HttpServer
    LABELS unit)
# The store on its own thread, and the engine's actions that do not wait for it.
console_add_test(test_store_runner SOURCES test_store_runner.cpp LABELS unit TIMEOUT 120)
