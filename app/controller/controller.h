#pragma once

// `cutover-console --serve`: the engine without a window, for weeks, under systemd. It takes the
// automatic decisions while it holds the store's decision lease (several controllers on one
// PostgreSQL store: one leads, the others follow and take over when its lease lapses), serves
// /metrics and /healthz, logs one line an event to stderr (journald adds the rest), and on
// SIGTERM finishes a rollback in flight (bounded by the plan's rollback deadline) before it exits.

#include "app/config/plan.h"

#include <QString>
#include <QTextStream>

namespace cutover::controller {

struct ControllerRequest {
    QString listen;    // "127.0.0.1:9464"; empty: the plan's controller.listen, if any
    QString storePath; // a SQLite file instead of the plan's store
    QString hostName;  // empty: this machine's name (tests run two "hosts" on one machine)
};

// Runs until SIGTERM/SIGINT; returns the exit status (0 after a clean stop, 2 when the plan's
// store cannot be opened, another controller already runs on a SQLite store, or the metrics
// address cannot be bound).
int runController(const config::Plan &plan, const ControllerRequest &request, QTextStream &err);

} // namespace cutover::controller
