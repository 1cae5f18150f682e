#pragma once

// The controller's own metrics in the Prometheus text format (0.0.4), from the engine's
// snapshots: what `/metrics` serves so that Prometheus can alert when the controller is down or
// stops evaluating (packaging/cutover-console.rules.yml).

#include "app/cutover/cutover_engine.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>

namespace cutover::controller {

struct MetricsInput {
    QList<engine::EnvironmentSnapshot> environments;
    bool leader = false;
    QDateTime lastEvaluationAt; // invalid: none yet
    // Rollbacks recorded in the audit log, by environment then cause ("trigger:data_loss",
    // "validation", "operator", "resumed").
    QMap<QString, QMap<QString, qint64>> rollbacks;
    QDateTime startedAt;
};

QByteArray renderMetrics(const MetricsInput &input);

// A label value escaped for the text format (backslash, double quote, newline).
QString escapeLabelValue(const QString &value);

} // namespace cutover::controller
