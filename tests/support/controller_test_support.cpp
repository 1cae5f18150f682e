#include "tests/support/controller_test_support.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSignalSpy>
#include <QTest>
#include <QUrlQuery>

#include <cmath>
#include <csignal>

namespace controllertest {

HttpAnswer http(const QUrl &url, const QByteArray &verb, int timeoutMs) {
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

double metricValue(const QByteArray &text, const QString &name, const QString &selector) {
    const QByteArray prefix = (name + selector + u' ').toUtf8();
    for (const QByteArray &line : text.split('\n')) {
        if (line.startsWith(prefix))
            return line.mid(prefix.size()).trimmed().toDouble();
    }
    return std::nan("");
}

// --- ControllerProcess ---------------------------------------------------------------------------

ControllerProcess::ControllerProcess(QString label)
    : m_label(std::move(label)) {}

ControllerProcess::~ControllerProcess() {
    kill();
}

bool ControllerProcess::start(const QStringList &arguments, const QString &listen) {
    m_listen = listen;
    m_process.setProgram(QStringLiteral(CONSOLE_BINARY));
    m_process.setArguments(QStringList{u"--serve"_s, u"--listen"_s, listen} + arguments);
    m_process.setProcessChannelMode(QProcess::SeparateChannels);
    QObject::connect(&m_process, &QProcess::readyReadStandardError, &m_process,
                     [this] { m_log += m_process.readAllStandardError(); });
    m_process.start();
    return m_process.waitForStarted(10'000);
}

QUrl ControllerProcess::url(const QString &path) const {
    return QUrl(u"http://%1%2"_s.arg(m_listen, path));
}

QByteArray ControllerProcess::metrics() const {
    return http(url(u"/metrics"_s)).body;
}

double ControllerProcess::metric(const QString &name, const QString &selector) const {
    return metricValue(metrics(), name, selector);
}

bool ControllerProcess::leading() const {
    return metric(u"cutover_controller_leader"_s) == 1.0;
}

bool ControllerProcess::answers() const {
    return http(url(u"/healthz"_s), "GET", 1000).status != 0;
}

qint64 ControllerProcess::waitLeading(int timeoutMs) const {
    QElapsedTimer clock;
    clock.start();
    if (QTest::qWaitFor([this] { return leading(); }, timeoutMs))
        return clock.elapsed();
    return -1;
}

int ControllerProcess::exitCodeAfterExit() {
    m_log += m_process.readAllStandardError();
    return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -2;
}

int ControllerProcess::terminate(int timeoutMs) {
    if (!running())
        return m_process.exitCode();
    QSignalSpy finished(&m_process, &QProcess::finished);
    ::kill(pid_t(pid()), SIGTERM);
    if (!finished.wait(timeoutMs))
        return -1;
    return exitCodeAfterExit();
}

int ControllerProcess::waitForExit(int timeoutMs) {
    if (running()) {
        QSignalSpy finished(&m_process, &QProcess::finished);
        if (!finished.wait(timeoutMs))
            return -1;
    }
    return exitCodeAfterExit();
}

void ControllerProcess::kill() {
    if (!running())
        return;
    QSignalSpy finished(&m_process, &QProcess::finished);
    ::kill(pid_t(pid()), SIGKILL);
    (void)finished.wait(10'000);
    m_log += m_process.readAllStandardError();
}

void ControllerProcess::printLog() const {
    qInfo().noquote() << "--- controller" << m_label << "log\n" << log().trimmed();
}

// --- WebhookSink ---------------------------------------------------------------------------------

WebhookSink::WebhookSink(const QHash<QString, QString> &state)
    : m_control(u"http://127.0.0.1:%1"_s.arg(state.value(u"LAB_WEBHOOK_CONTROL_PORT"_s))) {}

QList<Received> WebhookSink::since(qint64 afterSeq) const {
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

qint64 WebhookSink::lastSeq() const {
    const auto all = since(0);
    return all.isEmpty() ? 0 : all.constLast().seq;
}

QList<Received> WebhookSink::of(qint64 afterSeq, const QString &path, const QString &event) const {
    QList<Received> matching;
    for (const Received &r : since(afterSeq)) {
        if (r.path == path && r.body.value(u"event"_s).toString() == event)
            matching.append(r);
    }
    return matching;
}

// --- plans and audit -----------------------------------------------------------------------------

QString writePlanVariant(const QString &dir,
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

std::optional<cutover::config::Plan> loadPlanAt(const QString &path) {
    auto result = cutover::config::loadPlanFile(path);
    if (!result.ok())
        qWarning().noquote() << result.errorText();
    return result.plan;
}

QList<cutover::store::AuditEntry> entriesOf(const QList<cutover::store::AuditEntry> &all,
                                            const QString &action) {
    QList<cutover::store::AuditEntry> matching;
    for (const auto &e : all) {
        if (e.action == action)
            matching.append(e);
    }
    return matching;
}

} // namespace controllertest
