#include "app/store/schema.h"

using namespace Qt::StringLiterals;

namespace cutover::store {

namespace {

// Times are milliseconds since the epoch, UTC; JSON is compact TEXT (hashed as stored, so never
// PostgreSQL's jsonb, which would re-serialise it). The placeholders:
//   {time}   a time                                 INTEGER          | BIGINT
//   {int64}  a 64-bit counter                       INTEGER          | BIGINT
//   {serial} a key the database numbers             INTEGER          | BIGSERIAL
// SQLite's INTEGER is 64-bit, and an INTEGER PRIMARY KEY is the rowid (numbered by SQLite).
const QList<Migration> kPortableMigrations = {
    {1,
     u"stage state, checklist ticks, sign-offs, sign-in lock-outs, audit log"_s,
     {
         uR"(CREATE TABLE stage_state (
                environment      TEXT PRIMARY KEY,
                stage_index      INTEGER NOT NULL,
                phase            TEXT NOT NULL,
                intended_weights TEXT NOT NULL DEFAULT '{}',
                entered_at       {time},
                hold_started_at  {time},
                version          {int64} NOT NULL CHECK (version > 0),
                changed_by       TEXT NOT NULL,
                changed_at       {time} NOT NULL))"_s,
         uR"(CREATE TABLE checklist_ticks (
                environment TEXT NOT NULL,
                gate        TEXT NOT NULL,
                check_id    TEXT NOT NULL,
                ticked_by   TEXT NOT NULL,
                role        TEXT NOT NULL,
                ticked_at   {time} NOT NULL,
                PRIMARY KEY (environment, gate, check_id)))"_s,
         uR"(CREATE TABLE sign_offs (
                id             {serial} PRIMARY KEY,
                environment    TEXT NOT NULL,
                gate           TEXT NOT NULL,
                role           TEXT NOT NULL,
                operator       TEXT NOT NULL,
                printed_name   TEXT NOT NULL,
                meaning        TEXT NOT NULL,
                comment        TEXT NOT NULL,
                signed_at      {time} NOT NULL,
                signature_hash TEXT NOT NULL,
                voided_at      {time},
                voided_by      TEXT))"_s,
         // One active signature per gate and role: the second console gets a conflict.
         uR"(CREATE UNIQUE INDEX sign_offs_active ON sign_offs (environment, gate, role)
                WHERE voided_at IS NULL)"_s,
         uR"(CREATE TABLE sign_in_failures (
                operator        TEXT PRIMARY KEY,
                failures        INTEGER NOT NULL,
                last_failure_at {time},
                locked_until    {time}))"_s,
         uR"(CREATE TABLE audit_log (
                seq         {int64} PRIMARY KEY,
                at          {time} NOT NULL,
                actor       TEXT NOT NULL,
                role        TEXT NOT NULL,
                action      TEXT NOT NULL,
                environment TEXT NOT NULL,
                subject     TEXT NOT NULL,
                details     TEXT NOT NULL,
                prev_hash   TEXT NOT NULL,
                hash        TEXT NOT NULL))"_s,
         // The head is kept apart from the log so a truncated tail is detected, and it is the
         // change counter other consoles poll (one row, one page read).
         uR"(CREATE TABLE audit_head (
                id   INTEGER PRIMARY KEY CHECK (id = 1),
                seq  {int64} NOT NULL,
                hash TEXT NOT NULL))"_s,
         u"INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, "
         u"'0000000000000000000000000000000000000000000000000000000000000000')"_s,
     }},
    {2,
     u"who takes the automatic decisions (a lease with heartbeat), and when they were last "
     u"evaluated"_s,
     {
         // One row: the engine that decides (a `--serve` controller, or a desk when no
         // controller runs). Not audited: it changes every second; taking and losing it are.
         uR"(CREATE TABLE decision_lease (
                id                 INTEGER PRIMARY KEY CHECK (id = 1),
                holder_id          TEXT NOT NULL,
                kind               TEXT NOT NULL,
                host               TEXT NOT NULL,
                pid                BIGINT NOT NULL,
                operator           TEXT NOT NULL,
                version            TEXT NOT NULL,
                term               BIGINT NOT NULL,
                leading_since      {time} NOT NULL,
                renewed_at         {time} NOT NULL,
                expires_at         {time} NOT NULL,
                last_evaluation_at {time}))"_s,
         // The end of the time somebody evaluated checks and triggers: what a new decider
         // back-fills from Prometheus.
         uR"(CREATE TABLE watch_mark (
                id           INTEGER PRIMARY KEY CHECK (id = 1),
                evaluated_at {time} NOT NULL,
                evaluated_by TEXT NOT NULL))"_s,
     }},
    {3,
     u"Ed25519 sign-offs: what was signed besides the words, the key and the signature"_s,
     {
         u"ALTER TABLE sign_offs ADD COLUMN plan_sha256 TEXT NOT NULL DEFAULT ''"_s,
         u"ALTER TABLE sign_offs ADD COLUMN items TEXT NOT NULL DEFAULT ''"_s,
         u"ALTER TABLE sign_offs ADD COLUMN audit_head_before TEXT NOT NULL DEFAULT ''"_s,
         u"ALTER TABLE sign_offs ADD COLUMN key_fingerprint TEXT NOT NULL DEFAULT ''"_s,
         u"ALTER TABLE sign_offs ADD COLUMN signature TEXT NOT NULL DEFAULT ''"_s,
     }},
};

QString substituted(QString statement, SqlDialect dialect) {
    const bool sqlite = dialect == SqlDialect::SQLite;
    return statement.replace(u"{time}"_s, timeType(dialect))
        .replace(u"{int64}"_s, sqlite ? u"INTEGER"_s : u"BIGINT"_s)
        .replace(u"{serial}"_s, sqlite ? u"INTEGER"_s : u"BIGSERIAL"_s);
}

QList<Migration> forDialect(SqlDialect dialect) {
    QList<Migration> result = kPortableMigrations;
    for (Migration &migration : result)
        for (QString &statement : migration.statements)
            statement = substituted(statement, dialect);
    return result;
}

} // namespace

const QList<Migration> &migrations(SqlDialect dialect) {
    static const QList<Migration> sqlite = forDialect(SqlDialect::SQLite);
    static const QList<Migration> postgres = forDialect(SqlDialect::PostgreSQL);
    return dialect == SqlDialect::SQLite ? sqlite : postgres;
}

QString timeType(SqlDialect dialect) {
    return dialect == SqlDialect::SQLite ? u"INTEGER"_s : u"BIGINT"_s;
}

int latestSchemaVersion() {
    return kPortableMigrations.constLast().version;
}

} // namespace cutover::store
