#pragma once

// The shared lab of real servers (tests/lab, scripts/lab), as integration tests see it: the
// state file named by CUTOVER_LAB_STATE (KEY=value lines), the plan that describes it, and the
// `scripts/lab` subcommands that break it on purpose (kill, start, reload an LB).

#include "app/backends/prometheus_client.h"
#include "app/config/plan.h"
#include "app/config/plan_loader.h"
#include "app/net/request.h"

#include <QFile>
#include <QHash>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;

namespace lab {

QHash<QString, QString> loadState();

// The lab plan (resources/plans/lab.yaml) with its ${LAB_...} references from the state file.
std::optional<cutover::config::Plan> loadPlan(const QHash<QString, QString> &state);

// Runs `scripts/lab ARGS...` and waits for it (a test may wait; product code never does).
bool run(const QStringList &arguments, const QHash<QString, QString> &state);

// The result of `reply`, waited for in the test's event loop (bounded).
template <typename T>
cutover::net::Result<T> await(cutover::net::Reply<T> *reply, QObject *context,
                              int timeoutMs = 15'000) {
    auto slot = std::make_shared<std::optional<cutover::net::Result<T>>>();
    reply->onFinished(context, [slot](const cutover::net::Result<T> &r) { *slot = r; });
    if (!QTest::qWaitFor([&slot] { return slot->has_value(); }, timeoutMs))
        return cutover::net::Error{cutover::net::ErrorKind::Timeout,
                                   u"test"_s,
                                   u"no result within the test's bound"_s,
                                   0,
                                   {}};
    return **slot;
}

} // namespace lab

// Skips (rather than fails obscurely) when the fixture did not provide a lab.
#define REQUIRE_LAB(state)                                                                         \
    do {                                                                                           \
        if ((state).isEmpty())                                                                     \
            QFAIL("no lab: CUTOVER_LAB_STATE is unset or unreadable (run through ctest, which "    \
                  "starts the `lab` fixture)");                                                    \
    } while (false)
