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

inline QHash<QString, QString> loadState() {
    QHash<QString, QString> values;
    QFile file(qEnvironmentVariable("CUTOVER_LAB_STATE"));
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return values;
    for (const QByteArray &raw : file.readAll().split('\n')) {
        const QString line = QString::fromUtf8(raw).trimmed();
        const qsizetype eq = line.indexOf(u'=');
        if (line.startsWith(u'#') || eq <= 0)
            continue;
        QString value = line.mid(eq + 1);
        if (value.size() >= 2 && (value.startsWith(u'\'') || value.startsWith(u'"')) &&
            value.endsWith(value.at(0)))
            value = value.mid(1, value.size() - 2);
        values.insert(line.left(eq), value);
    }
    return values;
}

// The lab plan (resources/plans/lab.yaml) with its ${LAB_...} references from the state file.
inline std::optional<cutover::config::Plan> loadPlan(const QHash<QString, QString> &state) {
    cutover::config::PlanLoadOptions options;
    options.environment = [state](const QString &name) -> std::optional<QString> {
        if (state.contains(name))
            return state.value(name);
        return std::nullopt;
    };
    auto result = cutover::config::loadPlanFile(
        QStringLiteral(CONSOLE_SOURCE_DIR "/resources/plans/lab.yaml"), options);
    if (!result.ok())
        qWarning().noquote() << result.errorText();
    return result.plan;
}

// Runs `scripts/lab ARGS...` and waits for it (a test may wait; product code never does).
inline bool run(const QStringList &arguments, const QHash<QString, QString> &state) {
    QProcess process;
    process.setProgram(QStringLiteral(CONSOLE_SOURCE_DIR "/scripts/lab"));
    process.setArguments(arguments);
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert(u"LAB_DIR"_s, state.value(u"LAB_DIR"_s));
    env.insert(u"CONSOLE_BUILD_DIR"_s, QStringLiteral(CONSOLE_BUILD_DIR));
    process.setProcessEnvironment(env);
    process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QSignalSpy finished(&process, &QProcess::finished);
    process.start();
    if (!finished.wait(30'000)) {
        process.kill();
        process.waitForFinished(1000);
        return false;
    }
    return process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0;
}

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
