#include "app/store/postgres_schema.h"

using namespace Qt::StringLiterals;

namespace cutover::store {

const QList<Migration> &postgresMigrations() {
    static const QList<Migration> migrations = {
        {1,
         u"stage state, checklist ticks, sign-offs, sign-in lock-outs, audit log"_s,
         {
             uR"(CREATE TABLE stage_state (
                environment      TEXT PRIMARY KEY,
                stage_index      INTEGER NOT NULL,
                phase            TEXT NOT NULL,
                intended_weights TEXT NOT NULL DEFAULT '{}',
                entered_at       BIGINT,
                hold_started_at  BIGINT,
                version          BIGINT NOT NULL CHECK (version > 0),
                changed_by       TEXT NOT NULL,
                changed_at       BIGINT NOT NULL))"_s,
             uR"(CREATE TABLE checklist_ticks (
                environment TEXT NOT NULL,
                gate        TEXT NOT NULL,
                check_id    TEXT NOT NULL,
                ticked_by   TEXT NOT NULL,
                role        TEXT NOT NULL,
                ticked_at   BIGINT NOT NULL,
                PRIMARY KEY (environment, gate, check_id)))"_s,
             uR"(CREATE TABLE sign_offs (
                id             BIGSERIAL PRIMARY KEY,
                environment    TEXT NOT NULL,
                gate           TEXT NOT NULL,
                role           TEXT NOT NULL,
                operator       TEXT NOT NULL,
                printed_name   TEXT NOT NULL,
                meaning        TEXT NOT NULL,
                comment        TEXT NOT NULL,
                signed_at      BIGINT NOT NULL,
                signature_hash TEXT NOT NULL,
                voided_at      BIGINT,
                voided_by      TEXT))"_s,
             uR"(CREATE UNIQUE INDEX sign_offs_active ON sign_offs (environment, gate, role)
                WHERE voided_at IS NULL)"_s,
             uR"(CREATE TABLE sign_in_failures (
                operator        TEXT PRIMARY KEY,
                failures        INTEGER NOT NULL,
                last_failure_at BIGINT,
                locked_until    BIGINT))"_s,
             uR"(CREATE TABLE audit_log (
                seq         BIGINT PRIMARY KEY,
                at          BIGINT NOT NULL,
                actor       TEXT NOT NULL,
                role        TEXT NOT NULL,
                action      TEXT NOT NULL,
                environment TEXT NOT NULL,
                subject     TEXT NOT NULL,
                details     TEXT NOT NULL,
                prev_hash   TEXT NOT NULL,
                hash        TEXT NOT NULL))"_s,
             uR"(CREATE TABLE audit_head (
                id   INTEGER PRIMARY KEY CHECK (id = 1),
                seq  BIGINT NOT NULL,
                hash TEXT NOT NULL))"_s,
             u"INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, "
             u"'0000000000000000000000000000000000000000000000000000000000000000')"_s,
         }},
        decisionLeaseMigration(u"BIGINT"_s),
    };
    return migrations;
}

} // namespace cutover::store
