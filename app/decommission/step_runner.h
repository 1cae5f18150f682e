#pragma once

// What a decommission step does to the world, and how it is verified: the HAProxy actions on
// every load balancer of the environment, commands, and the validations. Each call finishes
// exactly once through `done` in `context`'s thread (never inside the call), with a result that
// says per load balancer what happened. Nothing here decides or records: the engine
// (app/cutover) guards, audits and waits.

#include "app/config/plan.h"

#include <QJsonObject>
#include <QMap>
#include <QObject>
#include <QString>

#include <functional>
#include <optional>

namespace cutover::decommission {

struct StepResult {
    bool ok = false;
    QString error;       // for people: per LB, with the numbers
    QJsonObject details; // per LB results, command output and its SHA-256, …
};
using StepDone = std::function<void(const StepResult &)>;

struct StepContext {
    QList<config::LoadBalancer> loadBalancers; // of the environment
    // The weights the last stage intends (100% OTel): what each LB's configured ("initial")
    // weights must equal before legacy servers go, or a reload puts traffic back on them.
    QMap<QString, int> intendedWeights;
    // For the PromQL validations: where to ask, and the environment's {{selector}}.
    std::optional<config::HttpEndpoint> prometheus;
    config::Environment environment;
    // Long actions (export_metrics, http_backup) report how far they are ("3 of 8 URLs
    // fetched"), on the context's thread; may be empty.
    std::function<void(qint64 done, qint64 total, const QString &unit)> progress;
};

// The step's action. HAProxy actions are verified by reading the servers' state back.
void runAction(QObject *context, const config::DecommissionStep &step, const StepContext &ctx,
               StepDone done);
// The step's validation (a step without one passes).
void runValidation(QObject *context, const config::DecommissionStep &step, const StepContext &ctx,
                   StepDone done);
// remove_from_lb's precondition, asked before anything is recorded: every target in
// maintenance with no session and an empty queue on every LB (or already gone). The error lists
// the numbers.
void checkRemovable(QObject *context, const config::DecommissionStep &step, const StepContext &ctx,
                    StepDone done);
// Whether a reload keeps the cutover: on every LB, each server's configured weight equals the
// intended one. The error prints, per LB, the `server … weight …` lines haproxy.cfg needs.
void checkPermanence(QObject *context, const StepContext &ctx, StepDone done);

// Whether this version can run the step's action and validation ("" when it can; else what it
// cannot, e.g. "export_metrics").
QString unavailablePart(const config::DecommissionStep &step);

} // namespace cutover::decommission
