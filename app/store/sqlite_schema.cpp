#include "app/store/sqlite_schema.h"

using namespace Qt::StringLiterals;

namespace cutover::store {

// Times are INTEGER milliseconds since the epoch, UTC. JSON is compact TEXT.
const QList<Migration> &sqliteMigrations() {
    static const QList<Migration> migrations = {
        {1,
         u"stage state, checklist ticks, sign-offs, sign-in lock-outs, audit log"_s,
         {
             uR"(CREATE TABLE stage_state (
                environment      TEXT PRIMARY KEY,
                stage_index      INTEGER NOT NULL,
                phase            TEXT NOT NULL,
                intended_weights TEXT NOT NULL DEFAULT '{}',
                entered_at       INTEGER,
                hold_started_at  INTEGER,
                version          INTEGER NOT NULL CHECK (version > 0),
                changed_by       TEXT NOT NULL,
                changed_at       INTEGER NOT NULL))"_s,
             uR"(CREATE TABLE checklist_ticks (
                environment TEXT NOT NULL,
                gate        TEXT NOT NULL,
                check_id    TEXT NOT NULL,
                ticked_by   TEXT NOT NULL,
                role        TEXT NOT NULL,
                ticked_at   INTEGER NOT NULL,
                PRIMARY KEY (environment, gate, check_id)))"_s,
             uR"(CREATE TABLE sign_offs (
                id             INTEGER PRIMARY KEY,
                environment    TEXT NOT NULL,
                gate           TEXT NOT NULL,
                role           TEXT NOT NULL,
                operator       TEXT NOT NULL,
                printed_name   TEXT NOT NULL,
                meaning        TEXT NOT NULL,
                comment        TEXT NOT NULL,
                signed_at      INTEGER NOT NULL,
                signature_hash TEXT NOT NULL,
                voided_at      INTEGER,
                voided_by      TEXT))"_s,
             // One active signature per gate and role: the second console gets a conflict.
             uR"(CREATE UNIQUE INDEX sign_offs_active ON sign_offs (environment, gate, role)
                WHERE voided_at IS NULL)"_s,
             uR"(CREATE TABLE sign_in_failures (
                operator        TEXT PRIMARY KEY,
                failures        INTEGER NOT NULL,
                last_failure_at INTEGER,
                locked_until    INTEGER))"_s,
             uR"(CREATE TABLE audit_log (
                seq         INTEGER PRIMARY KEY,
                at          INTEGER NOT NULL,
                actor       TEXT NOT NULL,
                role        TEXT NOT NULL,
                action      TEXT NOT NULL,
                environment TEXT NOT NULL,
                subject     TEXT NOT NULL,
                details     TEXT NOT NULL,
                prev_hash   TEXT NOT NULL,
                hash        TEXT NOT NULL))"_s,
             // The head is kept apart from the log so a truncated tail is detected, and it is
             // the change counter other consoles poll (one row, one page read).
             uR"(CREATE TABLE audit_head (
                id   INTEGER PRIMARY KEY CHECK (id = 1),
                seq  INTEGER NOT NULL,
                hash TEXT NOT NULL))"_s,
             u"INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, "
             u"'0000000000000000000000000000000000000000000000000000000000000000')"_s,
         }},
        decisionLeaseMigration(u"INTEGER"_s),
    };
    return migrations;
}

Migration decisionLeaseMigration(const QString &timeType) {
    Migration m;
    m.version = 2;
    m.description = u"who takes the automatic decisions (a lease with heartbeat), and when they "
                    u"were last evaluated"_s;
    // One row: the engine that decides (a `--serve` controller, or a desk when no controller
    // runs). Not audited: it changes every second; taking and losing it are.
    m.statements.append(uR"(CREATE TABLE decision_lease (
                id                 INTEGER PRIMARY KEY CHECK (id = 1),
                holder_id          TEXT NOT NULL,
                kind               TEXT NOT NULL,
                host               TEXT NOT NULL,
                pid                BIGINT NOT NULL,
                operator           TEXT NOT NULL,
                version            TEXT NOT NULL,
                term               BIGINT NOT NULL,
                leading_since      %1 NOT NULL,
                renewed_at         %1 NOT NULL,
                expires_at         %1 NOT NULL,
                last_evaluation_at %1))"_s.arg(timeType));
    // The end of the time somebody evaluated checks and triggers: what a new decider back-fills
    // from Prometheus.
    m.statements.append(uR"(CREATE TABLE watch_mark (
                id           INTEGER PRIMARY KEY CHECK (id = 1),
                evaluated_at %1 NOT NULL,
                evaluated_by TEXT NOT NULL))"_s.arg(timeType));
    return m;
}

int latestSchemaVersion() {
    return sqliteMigrations().constLast().version;
}

} // namespace cutover::store
