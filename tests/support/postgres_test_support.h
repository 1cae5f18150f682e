#pragma once

// Engine tests on the shared PostgreSQL store: the `postgres` fixture's server
// (tests/lab/postgres.sh; its state.env names host, port, database, user and password), one
// schema per test so the store's own suites, which reset `public`, never meet these.

#include "app/store/postgres_store.h"
#include "tests/lab/postgres_server.h"
#include "tests/support/engine_test_support.h"

#include <optional>

namespace enginetest::pg {

using pglab::dir;
using pglab::rawSql;
using pglab::script;
using pglab::state;

bool freshSchema(const QString &schema);

// A store on `schema`; its local audit journal at `journalPath` (empty: none).
cutover::store::PostgresStore::Options options(const QString &schema, const QString &journalPath);

// Opens a console on the shared store; returns its PostgresStore (owned by the console) or null.
cutover::store::PostgresStore *
openConsole(Console &console, const cutover::config::Plan &plan,
            const cutover::store::PostgresStore::Options &storeOptions,
            CutoverEngine::Options engineOptions = {});

std::optional<cutover::engine::BackendHealth> storeHealth(const EnvironmentSnapshot &s);
bool storeDown(const EnvironmentSnapshot &s);
bool storeOk(const EnvironmentSnapshot &s);

// The lab plan with its store on `schema` of the shared server, as an operator would write it
// (the credentials stay ${VARIABLES}, exported to child processes here). Empty on failure.
QString writeSharedPlan(const QString &folder, const QString &schema);

} // namespace enginetest::pg

#define REQUIRE_POSTGRES()                                                                         \
    do {                                                                                           \
        QVERIFY2(!enginetest::pg::dir().isEmpty(),                                                 \
                 "CUTOVER_PG_DIR is not set: run through ctest (fixture postgres)");               \
        QVERIFY2(enginetest::pg::state().contains(u"PGPORT"_s),                                    \
                 "no state.env: did postgres_up pass?");                                           \
    } while (false)
