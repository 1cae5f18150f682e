#pragma once

// Judges a gate (or one of its checks) now or at a past time, from Prometheus' history and the
// store, without starting the engine:
//
//   cutover-console --evaluate GATE[/CHECK] [--env ENV] [--at TIME] [--json]
//
// TIME is ISO 8601 (2026-12-01T09:30:00Z) or a span ago (90m, 2h, 1d). Tracked checks are
// replayed over their `for`, compare checks judged over their window ending at TIME (with their
// U, p, Hodges-Lehmann shift and interval, ratio and sizes), the gate's score computed; manual
// items and signatures are the store's, made at or before TIME.
//
// Exit codes: 0 every check judged passes (the gate's score passes or is marginal), 1 any fails
// or is unknown, 2 usage, an unreadable plan or store.

#include "app/config/plan.h"

#include <QDateTime>
#include <QString>
#include <QTextStream>

namespace cutover::cli {

struct EvaluateRequest {
    QString gate;
    QString check;       // empty: every check of the gate
    QString environment; // empty: the plan's first
    QDateTime at;        // invalid: now
    QString storePath;   // --store: overrides the plan's
    bool json = false;
    int waitMs = 30'000; // at most this long for Prometheus' answers
};

// "2026-12-01T09:30:00Z", "2026-12-01 09:30" (UTC), or "90m" / "2h" / "1d" before `now`.
// Invalid with `error` set when it is neither.
QDateTime parseEvaluationTime(const QString &text, const QDateTime &now, QString *error);

// Runs on the application's event loop (which must exist and not be running yet).
int evaluateCommand(const config::Plan &plan, const EvaluateRequest &request, QTextStream &out,
                    QTextStream &err);

} // namespace cutover::cli
