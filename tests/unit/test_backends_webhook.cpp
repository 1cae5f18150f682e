// Webhook notifications against a local receiver (a webhook receiver is not a server we can
// install): JSON POST, bearer token from the plan's Secret, retries with backoff on 5xx with one
// Idempotency-Key, a result per attempt, no retry on 4xx, and no secret in any message.

#include "app/backends/webhook_notifier.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace cutover;
using namespace cutover::backends;
using namespace std::chrono_literals;

namespace {

struct Received {
    QByteArray head;
    QByteArray body;
    QByteArray header(const QByteArray &name) const {
        for (const QByteArray &line : head.split('\n')) {
            if (line.toLower().startsWith(QByteArray(name.toLower() + ':')))
                return line.mid(name.size() + 1).trimmed();
        }
        return {};
    }
};

// Answers the n-th POST with statuses[n] (the last one repeats); records every request.
class Receiver : public QObject {
public:
    QList<int> statuses;
    QList<Received> requests;
    QTcpServer server;

    Receiver() {
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
        connect(&server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = server.nextPendingConnection()) {
                auto buffer = std::make_shared<QByteArray>();
                connect(socket, &QTcpSocket::readyRead, socket, [this, socket, buffer] {
                    *buffer += socket->readAll();
                    const qsizetype end = buffer->indexOf("\r\n\r\n");
                    if (end < 0)
                        return;
                    Received r{buffer->left(end), {}};
                    const qsizetype length = r.header("Content-Length").toLongLong();
                    if (buffer->size() < end + 4 + length)
                        return;
                    r.body = buffer->mid(end + 4, length);
                    buffer->remove(0, end + 4 + length);
                    const int status = statuses.value(requests.size(), statuses.constLast());
                    requests.append(r);
                    socket->write("HTTP/1.1 " + QByteArray::number(status) +
                                  " X\r\nContent-Length: 2\r\n\r\nok");
                });
            }
        });
    }
    QUrl url() const { return QUrl(u"http://127.0.0.1:%1/incident"_s.arg(server.serverPort())); }
};

config::Notification notification(const QUrl &url) {
    config::Notification n;
    n.name = u"incident"_s;
    n.url = url;
    n.events = {u"rollback"_s};
    n.bearerToken = config::Secret(u"INCIDENT_TOKEN"_s, u"s3cr3t-t0ken"_s);
    return n;
}

} // namespace

class TestBackendsWebhook : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void retriesTransientFailuresWithOneKey();
    void clientErrorIsNotRetried();
    void unreachableReceiverReportsEveryAttempt();
    void secretPathNeverInAMessage();
};

void TestBackendsWebhook::retriesTransientFailuresWithOneKey() {
    Receiver receiver;
    receiver.statuses = {503, 502, 200};
    WebhookNotifier notifier(notification(receiver.url()));
    QVERIFY(notifier.wants(u"rollback"_s));
    QList<net::AttemptRecord> signalled;
    connect(&notifier, &WebhookNotifier::attemptFinished, this,
            [&signalled](const QString &, const net::AttemptRecord &a) { signalled.append(a); });
    std::optional<WebhookDelivery> delivery;
    notifier.send(u"rollback"_s, QJsonObject{{u"environment"_s, u"production"_s}})
        ->onFinished(this,
                     [&delivery](const net::Result<WebhookDelivery> &r) { delivery = r.value(); });
    QTRY_VERIFY_WITH_TIMEOUT(delivery.has_value(), 10000);
    QVERIFY(delivery->delivered);
    QCOMPARE(delivery->httpStatus, 200);
    QCOMPARE(delivery->attempts.size(), 3);
    QCOMPARE(delivery->attempts.at(0).error->httpStatus, 503);
    QCOMPARE(delivery->attempts.at(1).error->httpStatus, 502);
    QVERIFY(!delivery->attempts.at(2).error.has_value());
    QCOMPARE(signalled.size(), 3);
    QCOMPARE(receiver.requests.size(), 3);
    const QByteArray key = receiver.requests.at(0).header("Idempotency-Key");
    QVERIFY(!key.isEmpty());
    for (const Received &r : receiver.requests) {
        QCOMPARE(r.header("Idempotency-Key"), key);
        QCOMPARE(r.header("Authorization"), QByteArray("Bearer s3cr3t-t0ken"));
        QVERIFY(r.head.startsWith("POST /incident "));
        const QJsonObject body = QJsonDocument::fromJson(r.body).object();
        QCOMPARE(body.value(u"event"_s).toString(), u"rollback"_s);
        QCOMPARE(body.value(u"environment"_s).toString(), u"production"_s);
    }
}

void TestBackendsWebhook::clientErrorIsNotRetried() {
    Receiver receiver;
    receiver.statuses = {400};
    WebhookNotifier notifier(notification(receiver.url()));
    std::optional<WebhookDelivery> delivery;
    notifier.send(u"rollback"_s, {})
        ->onFinished(this,
                     [&delivery](const net::Result<WebhookDelivery> &r) { delivery = r.value(); });
    QTRY_VERIFY_WITH_TIMEOUT(delivery.has_value(), 10000);
    QVERIFY(!delivery->delivered);
    QCOMPARE(delivery->attempts.size(), 1);
    QCOMPARE(delivery->error->kind, net::ErrorKind::Http);
    QCOMPARE(delivery->httpStatus, 400);
    QVERIFY(!delivery->error->toString().contains(u"s3cr3t"_s));
}

void TestBackendsWebhook::unreachableReceiverReportsEveryAttempt() {
    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    WebhookNotifier notifier(notification(QUrl(u"http://127.0.0.1:%1/x"_s.arg(port))));
    net::CallOptions options;
    options.deadline = 3s;
    options.idempotent = true;
    options.retry = net::RetryPolicy::attempts(3, 20ms);
    notifier.setOptions(options);
    std::optional<WebhookDelivery> delivery;
    notifier.send(u"rollback"_s, {})
        ->onFinished(this,
                     [&delivery](const net::Result<WebhookDelivery> &r) { delivery = r.value(); });
    QTRY_VERIFY_WITH_TIMEOUT(delivery.has_value(), 10000);
    QVERIFY(!delivery->delivered);
    QCOMPARE(delivery->attempts.size(), 3);
    for (const auto &attempt : delivery->attempts)
        QCOMPARE(attempt.error->kind, net::ErrorKind::Connect);
    QVERIFY(!delivery->error->toString().contains(u"s3cr3t"_s));
}

// A webhook URL whose path is its credential (Slack-style …/services/T0/B0/<token>): every
// message, error, attempt record and log line (debug included) names scheme, host and port only.
void TestBackendsWebhook::secretPathNeverInAMessage() {
    static QStringList logged;
    logged.clear();
    QLoggingCategory::setFilterRules(u"cutover.*=true"_s);
    const QtMessageHandler previous =
        qInstallMessageHandler([](QtMsgType, const QMessageLogContext &, const QString &message) {
            logged.append(message);
        });
    const QString secret = u"T0AB1/B0CD2/xOxSeCrEtPaThxOx"_s;
    const auto deliver = [this](WebhookNotifier &notifier,
                                std::optional<WebhookDelivery> &delivery) {
        net::CallOptions options;
        options.deadline = 3s;
        options.idempotent = true;
        options.retry = net::RetryPolicy::attempts(2, 20ms);
        notifier.setOptions(options);
        notifier.send(u"rollback"_s, {})
            ->onFinished(
                this, [&delivery](const net::Result<WebhookDelivery> &r) { delivery = r.value(); });
        QTRY_VERIFY_WITH_TIMEOUT(delivery.has_value(), 10000);
    };
    QStringList messages;
    const auto collect = [&messages](const WebhookDelivery &delivery) {
        if (delivery.error)
            messages.append(delivery.error->toString());
        for (const auto &attempt : delivery.attempts) {
            if (attempt.error)
                messages.append(attempt.error->toString());
        }
    };
    // Answered 404 (an HTTP error), then nobody listening (a transport error), then a
    // receiver that closes without answering (Qt's own text quotes the URL).
    Receiver receiver;
    receiver.statuses = {404};
    QUrl url = receiver.url();
    url.setPath(u"/services/"_s + secret);
    WebhookNotifier answered(notification(url));
    std::optional<WebhookDelivery> notFound;
    deliver(answered, notFound);
    QVERIFY(notFound);
    QCOMPARE(notFound->httpStatus, 404);
    collect(*notFound);

    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    WebhookNotifier unreachable(
        notification(QUrl(u"http://127.0.0.1:%1/services/%2"_s.arg(port).arg(secret))));
    std::optional<WebhookDelivery> refused;
    deliver(unreachable, refused);
    QVERIFY(refused && refused->error);
    QCOMPARE(refused->error->kind, net::ErrorKind::Connect);
    collect(*refused);

    QTcpServer closer;
    QVERIFY(closer.listen(QHostAddress::LocalHost, 0));
    connect(&closer, &QTcpServer::newConnection, this, [&closer] {
        while (QTcpSocket *socket = closer.nextPendingConnection()) {
            connect(socket, &QTcpSocket::readyRead, socket, [socket] {
                socket->readAll();
                socket->write("garbage\r\n\r\n");
                socket->disconnectFromHost();
            });
        }
    });
    WebhookNotifier broken(notification(
        QUrl(u"http://127.0.0.1:%1/services/%2"_s.arg(closer.serverPort()).arg(secret))));
    std::optional<WebhookDelivery> garbled;
    deliver(broken, garbled);
    QVERIFY(garbled);
    QVERIFY(!garbled->delivered);
    collect(*garbled);

    qInstallMessageHandler(previous);
    QLoggingCategory::setFilterRules(QString());
    QVERIFY(messages.size() >= 5);
    QVERIFY2(messages.join(u'\n').contains(u"127.0.0.1:"_s), qPrintable(messages.join(u'\n')));
    for (const QString &text : std::as_const(messages) + logged) {
        QVERIFY2(!text.contains(u"SeCrEtPaTh"_s), qPrintable(text));
        QVERIFY2(!text.contains(u"/services/T0"_s), qPrintable(text));
        QVERIFY(!text.contains(u"s3cr3t"_s));
    }
    QVERIFY2(!logged.isEmpty(), "the debug log was not captured");
}

QTEST_GUILESS_MAIN(TestBackendsWebhook)
#include "test_backends_webhook.moc"
