#pragma once

// Helpers for the controller's tests on the lab: a `cutover-console --serve` child process (its
// stderr kept for the report, /healthz and /metrics read over HTTP), the webhook sink's record of
// what it received (GET /received on its control port), and plan variants written beside the
// test (the lab plan with a few values changed). Every wait here is bounded.

#include "tests/support/engine_test_support.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QUrlQuery>

#include <csignal>

namespace controllertest {

using namespace Qt::StringLiterals;

// One HTTP GET (or DELETE) on loopback, waited for in the test's event loop (bounded). Empty
// status 0 when nothing answered.
struct HttpAnswer {
    int status = 0;
    QByteArray body;
};

inline HttpAnswer http(const QUrl &url, const QByteArray &verb = "GET", int timeoutMs = 5'000) {
    static QNetworkAccessManager manager;
    QNetworkRequest request(url);
    request.setTransferTimeout(timeoutMs);
    QNetworkReply *reply = manager.sendCustomRequest(request, verb);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!reply->isFinished() && !finished.wait(timeoutMs + 1000)) {
        reply->abort();
        reply->deleteLater();
        return {};
    }
    HttpAnswer answer;
    answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    answer.body = reply->readAll();
    reply->deleteLater();
    return answer;
}

// A sample's value in the Prometheus text format; NaN when absent. `selector` is the exact
// label set as printed, e.g. `{environment="lab"}`, or empty.
inline double metricValue(const QByteArray &text, const QString &name,
                          const QString &selector = QString()) {
    const QByteArray prefix = (name + selector + u' ').toUtf8();
    for (const QByteArray &line : text.split('\n')) {
        if (line.startsWith(prefix))
            return line.mid(prefix.size()).trimmed().toDouble();
    }
    return std::nan("");
}

class ControllerProcess {
public:
    explicit ControllerProcess(QString label)
        : m_label(std::move(label)) {}
    ~ControllerProcess() { kill(); }

    bool start(const QStringList &arguments, const QString &listen) {
        m_listen = listen;
        m_process.setProgram(QStringLiteral(CONSOLE_BINARY));
        m_process.setArguments(QStringList{u"--serve"_s, u"--listen"_s, listen} + arguments);
        m_process.setProcessChannelMode(QProcess::SeparateChannels);
        QObject::connect(&m_process, &QProcess::readyReadStandardError, &m_process,
                         [this] { m_log += m_process.readAllStandardError(); });
        m_process.start();
        return m_process.waitForStarted(10'000);
    }

    QUrl url(const QString &path) const { return QUrl(u"http://%1%2"_s.arg(m_listen, path)); }
    QByteArray metrics() const { return http(url(u"/metrics"_s)).body; }
    double metric(const QString &name, const QString &selector = QString()) const {
        return metricValue(metrics(), name, selector);
    }
    bool leading() const { return metric(u"cutover_controller_leader"_s) == 1.0; }
    bool answers() const { return http(url(u"/healthz"_s), "GET", 1000).status != 0; }

    // Polls /metrics every 50 ms (bounded) until this controller leads; the time it took.
    qint64 waitLeading(int timeoutMs) const {
        QElapsedTimer clock;
        clock.start();
        if (QTest::qWaitFor([this] { return leading(); }, timeoutMs))
            return clock.elapsed();
        return -1;
    }

    qint64 pid() const { return m_process.processId(); }
    bool running() const { return m_process.state() != QProcess::NotRunning; }

    // SIGTERM, then waits (bounded) for the exit; the exit code, or -1 when it did not end.
    int terminate(int timeoutMs = 20'000) {
        if (!running())
            return m_process.exitCode();
        QSignalSpy finished(&m_process, &QProcess::finished);
        ::kill(pid_t(pid()), SIGTERM);
        if (!finished.wait(timeoutMs))
            return -1;
        m_log += m_process.readAllStandardError();
        return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -2;
    }
    // Waits (bounded) for an exit already asked for; as terminate().
    int waitForExit(int timeoutMs) {
        if (running()) {
            QSignalSpy finished(&m_process, &QProcess::finished);
            if (!finished.wait(timeoutMs))
                return -1;
        }
        m_log += m_process.readAllStandardError();
        return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -2;
    }
    // SIGKILL: the process gets no chance to release anything.
    void kill() {
        if (!running())
            return;
        QSignalSpy finished(&m_process, &QProcess::finished);
        ::kill(pid_t(pid()), SIGKILL);
        (void)finished.wait(10'000);
        m_log += m_process.readAllStandardError();
    }
    QString log() const { return QString::fromUtf8(m_log); }
    void printLog() const {
        qInfo().noquote() << "--- controller" << m_label << "log\n" << log().trimmed();
    }

private:
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
    explicit WebhookSink(const QHash<QString, QString> &state)
        : m_control(u"http://127.0.0.1:%1"_s.arg(state.value(u"LAB_WEBHOOK_CONTROL_PORT"_s))) {}

    QList<Received> since(qint64 afterSeq) const {
        QUrl url(m_control + u"/received"_s);
        QUrlQuery query;
        query.addQueryItem(u"after"_s, QString::number(afterSeq));
        url.setQuery(query);
        QList<Received> list;
        const QJsonArray array = QJsonDocument::fromJson(http(url).body).array();
        for (const QJsonValue &v : array) {
            const QJsonObject o = v.toObject();
            list.append({qint64(o.value(u"seq"_s).toDouble()), o.value(u"path"_s).toString(),
                         o.value(u"body"_s).toObject()});
        }
        return list;
    }
    qint64 lastSeq() const {
        const auto all = since(0);
        return all.isEmpty() ? 0 : all.constLast().seq;
    }
    // Deliveries of `event` to `path` since `afterSeq`.
    QList<Received> of(qint64 afterSeq, const QString &path, const QString &event) const {
        QList<Received> matching;
        for (const Received &r : since(afterSeq)) {
            if (r.path == path && r.body.value(u"event"_s).toString() == event)
                matching.append(r);
        }
        return matching;
    }

private:
    QString m_control;
};

// The lab plan with `replacements` applied (each must match), written to `dir`; its path.
inline QString writePlanVariant(const QString &dir,
                                const QList<std::pair<QString, QString>> &replacements) {
    QFile source(QStringLiteral(CONSOLE_SOURCE_DIR "/resources/plans/lab.yaml"));
    if (!source.open(QIODevice::ReadOnly))
        return {};
    QString text = QString::fromUtf8(source.readAll());
    for (const auto &[from, to] : replacements) {
        if (!text.contains(from)) {
            qWarning().noquote() << "plan variant: no" << from << "in lab.yaml";
            return {};
        }
        text.replace(from, to);
    }
    const QString path = QDir(dir).filePath(u"lab-variant.yaml"_s);
    QFile out(path);
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate) || out.write(text.toUtf8()) < 0)
        return {};
    return path;
}

inline std::optional<cutover::config::Plan> loadPlanAt(const QString &path) {
    auto result = cutover::config::loadPlanFile(path);
    if (!result.ok())
        qWarning().noquote() << result.errorText();
    return result.plan;
}

// Audit entries with `action`.
inline QList<cutover::store::AuditEntry> entriesOf(const QList<cutover::store::AuditEntry> &all,
                                                   const QString &action) {
    QList<cutover::store::AuditEntry> matching;
    for (const auto &e : all) {
        if (e.action == action)
            matching.append(e);
    }
    return matching;
}

} // namespace controllertest
