# Store benchmark: audit append and stage update latency, tick and sign-off propagation between
# two consoles; on SQLite, and on PostgreSQL when PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE are set.
add_executable(store_bench store_bench.cpp)
target_link_libraries(store_bench PRIVATE console_cli console_settings Qt6::Sql)
