#pragma once

// Helpers for the controller's tests on the lab: a `cutover-console --serve` child process (its
// stderr kept for the report, /healthz and /metrics read over HTTP), the webhook sink's record of
// what it received (GET /received on its control port), and plan variants written beside the
// test (the lab plan with a few values changed). Every wait here is bounded.

#include "tests/support/engine_test_support.h"

#include <QJsonObject>
#include <QProcess>
#include <QUrl>

#include <optional>

namespace controllertest {

using namespace Qt::StringLiterals;

// One HTTP GET (or DELETE) on loopback, waited for in the test's event loop (bounded). Empty
// status 0 when nothing answered.
struct HttpAnswer {
    int status = 0;
    QByteArray body;
};

HttpAnswer http(const QUrl &url, const QByteArray &verb = "GET", int timeoutMs = 5'000);

// A sample's value in the Prometheus text format; NaN when absent. `selector` is the exact
// label set as printed, e.g. `{environment="lab"}`, or empty.
double metricValue(const QByteArray &text, const QString &name,
                   const QString &selector = QString());

class ControllerProcess {
public:
    explicit ControllerProcess(QString label);
    ~ControllerProcess();

    bool start(const QStringList &arguments, const QString &listen);

    QUrl url(const QString &path) const;
    QByteArray metrics() const;
    double metric(const QString &name, const QString &selector = QString()) const;
    bool leading() const;
    bool answers() const;

    // Polls /metrics (bounded) until this controller leads; the time it took, or -1.
    qint64 waitLeading(int timeoutMs) const;

    qint64 pid() const { return m_process.processId(); }
    bool running() const { return m_process.state() != QProcess::NotRunning; }

    // SIGTERM, then waits (bounded) for the exit; the exit code, or -1 when it did not end.
    int terminate(int timeoutMs = 20'000);
    // Waits (bounded) for an exit already asked for; as terminate().
    int waitForExit(int timeoutMs);
    // SIGKILL: the process gets no chance to release anything.
    void kill();
    QString log() const { return QString::fromUtf8(m_log); }
    void printLog() const;

private:
    int exitCodeAfterExit();

    QString m_label;
    QString m_listen;
    QProcess m_process;
    QByteArray m_log;
};

// What the lab's webhook sink received (GET /received on its control port).
struct Received {
    qint64 seq = 0;
    QString path;
    QJsonObject body;
};

class WebhookSink {
public:
    explicit WebhookSink(const QHash<QString, QString> &state);

    QList<Received> since(qint64 afterSeq) const;
    qint64 lastSeq() const;
    // Deliveries of `event` to `path` since `afterSeq`.
    QList<Received> of(qint64 afterSeq, const QString &path, const QString &event) const;

private:
    QString m_control;
};

// The lab plan with `replacements` applied (each must match), written to `dir`; its path.
QString writePlanVariant(const QString &dir,
                         const QList<std::pair<QString, QString>> &replacements);

std::optional<cutover::config::Plan> loadPlanAt(const QString &path);

// Audit entries with `action`.
QList<cutover::store::AuditEntry> entriesOf(const QList<cutover::store::AuditEntry> &all,
                                            const QString &action);

} // namespace controllertest
