// Hostile HTTP peers, for what real servers will not do on demand: garbage bytes, truncated
// JSON, a body that never ends, a slow drip past the deadline, a 50 MB body, a connection
// closed mid-reply, a TLS handshake failure. Each must end as a typed error - no crash, no
// hang - and the event loop must keep ticking while 30 requests hang.

#include "app/backends/prometheus_client.h"
#include "app/net/http_client.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

#include <memory>

using namespace Qt::StringLiterals;
using namespace cutover;
using namespace cutover::net;
using namespace std::chrono_literals;

namespace {

enum class Behaviour {
    Garbage,       // random bytes instead of HTTP
    TruncatedJson, // a complete HTTP 200 whose JSON stops half-way
    NeverEnding,   // chunked body, one chunk every 20 ms, forever
    SlowDrip,      // Content-Length: 1000, one byte every 50 ms
    Huge,          // 50 MB of body
    CloseMidReply, // Content-Length: 1000, 100 bytes, close
    Hang,          // accept, read, say nothing
    Prometheus503, // the error envelope with HTTP 503
};

class HostileServer : public QObject {
public:
    explicit HostileServer(Behaviour behaviour)
        : m_behaviour(behaviour) {
        QVERIFY(m_server.listen(QHostAddress::LocalHost, 0));
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                ++connections;
                connect(socket, &QTcpSocket::readyRead, socket, [this, socket] {
                    QByteArray &buffer = m_buffers[socket];
                    buffer += socket->readAll();
                    // Garbage answers anything at once (a TLS ClientHello has no blank line).
                    const bool complete =
                        buffer.contains("\r\n\r\n") || m_behaviour == Behaviour::Garbage;
                    if (complete && !m_answered.contains(socket)) {
                        buffer.clear();
                        // Keep-alive: a 503 is answered again on the same connection.
                        if (m_behaviour != Behaviour::Prometheus503)
                            m_answered.insert(socket);
                        answer(socket);
                    }
                });
            }
        });
    }

    QUrl url(const QString &scheme = u"http"_s) const {
        return QUrl(u"%1://127.0.0.1:%2/"_s.arg(scheme).arg(m_server.serverPort()));
    }

    int connections = 0;

private:
    void answer(QTcpSocket *socket) {
        switch (m_behaviour) {
        case Behaviour::Garbage:
            // The length comes from the literal (ASan caught a hand-counted one reading past it).
            static constexpr char kGarbage[] = "\x16\x03\x01\xff\x00garbage\x80\x81\r\n\r\n\xfe";
            socket->write(QByteArray(kGarbage, sizeof(kGarbage) - 1));
            socket->disconnectFromHost();
            break;
        case Behaviour::TruncatedJson: {
            const QByteArray body =
                R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"a")";
            socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                          QByteArray::number(body.size()) + "\r\n\r\n" + body);
            socket->disconnectFromHost();
            break;
        }
        case Behaviour::NeverEnding:
            socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n");
            drip(socket, 20, "5\r\n[1,2,\r\n");
            break;
        case Behaviour::SlowDrip:
            socket->write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
            drip(socket, 50, " ");
            break;
        case Behaviour::Huge: {
            const qint64 size = 50LL * 1024 * 1024;
            socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                          QByteArray::number(size) + "\r\n\r\n");
            socket->write(QByteArray(size, 'x'));
            break;
        }
        case Behaviour::CloseMidReply:
            socket->write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + QByteArray(100, '{'));
            socket->flush();
            socket->disconnectFromHost();
            break;
        case Behaviour::Hang:
            break;
        case Behaviour::Prometheus503: {
            const QByteArray body =
                R"({"status":"error","errorType":"unavailable","error":"too many queries"})";
            socket->write("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                          "Content-Length: " +
                          QByteArray::number(body.size()) + "\r\n\r\n" + body);
            break;
        }
        }
    }

    void drip(QTcpSocket *socket, int everyMs, const QByteArray &piece) {
        auto *timer = new QTimer(socket);
        connect(timer, &QTimer::timeout, socket, [socket, piece] { socket->write(piece); });
        timer->start(everyMs);
    }

    Behaviour m_behaviour;
    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_buffers;
    QSet<QTcpSocket *> m_answered;
};

config::HttpEndpoint endpoint(const QUrl &url, std::chrono::milliseconds timeout) {
    config::HttpEndpoint e;
    e.url = url;
    e.timeout = config::Duration(timeout);
    return e;
}

struct Outcome {
    std::optional<Result<backends::QueryResult>> result;
    qint64 elapsedMs = -1;
};

// One Prometheus query against `server`, waited for with a generous bound.
std::shared_ptr<Outcome> queryOnce(QObject *context, backends::PrometheusClient &client) {
    auto outcome = std::make_shared<Outcome>();
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    client.query(u"up"_s)->onFinished(context,
                                      [outcome, clock](const Result<backends::QueryResult> &r) {
                                          outcome->result = r;
                                          outcome->elapsedMs = clock->elapsed();
                                      });
    return outcome;
}

} // namespace

class TestNetHostileHttp : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void garbageBytes();
    void truncatedJson();
    void bodyThatNeverEnds();
    void slowDripPastTheDeadline();
    void fiftyMegabyteBody();
    void fiftyMegabyteBodyOverTheCap();
    void connectionClosedMidReply();
    void tlsHandshakeFailure();
    void errorEnvelopeIsRetriedThenTyped();
    void nobodyListening();
    void eventLoopKeepsTickingWhileRequestsHang();
    void destroyingTheClientCancelsItsRequests();
};

void TestNetHostileHttp::garbageBytes() {
    HostileServer server(Behaviour::Garbage);
    backends::PrometheusClient client(endpoint(server.url(), 2s));
    auto outcome = queryOnce(this, client);
    QTRY_VERIFY_WITH_TIMEOUT(outcome->result.has_value(), 10000);
    const Error &e = outcome->result->error();
    QVERIFY2(e.kind == ErrorKind::Protocol || e.kind == ErrorKind::Connect,
             qPrintable(e.toString()));
    QCOMPARE(e.backend, u"prometheus"_s);
}

void TestNetHostileHttp::truncatedJson() {
    HostileServer server(Behaviour::TruncatedJson);
    backends::PrometheusClient client(endpoint(server.url(), 2s));
    auto outcome = queryOnce(this, client);
    QTRY_VERIFY_WITH_TIMEOUT(outcome->result.has_value(), 10000);
    QCOMPARE(outcome->result->error().kind, ErrorKind::Protocol);
    QVERIFY(outcome->result->error().message.contains(u"JSON"_s));
}

void TestNetHostileHttp::bodyThatNeverEnds() {
    HostileServer server(Behaviour::NeverEnding);
    backends::PrometheusClient client(endpoint(server.url(), 400ms));
    auto outcome = queryOnce(this, client);
    QTRY_VERIFY_WITH_TIMEOUT(outcome->result.has_value(), 10000);
    QCOMPARE(outcome->result->error().kind, ErrorKind::Timeout);
    QVERIFY(outcome->elapsedMs >= 390 && outcome->elapsedMs < 3000);
}

void TestNetHostileHttp::slowDripPastTheDeadline() {
    // Bytes keep coming, so an inactivity timeout would never fire: the overall deadline does.
    HostileServer server(Behaviour::SlowDrip);
    backends::PrometheusClient client(endpoint(server.url(), 500ms));
    auto outcome = queryOnce(this, client);
    QTRY_VERIFY_WITH_TIMEOUT(outcome->result.has_value(), 10000);
    QCOMPARE(outcome->result->error().kind, ErrorKind::Timeout);
    QVERIFY(outcome->elapsedMs >= 490 && outcome->elapsedMs < 3000);
    QCOMPARE(server.connections, 1); // a timeout of the whole call is not retried
}

void TestNetHostileHttp::fiftyMegabyteBody() {
    HostileServer server(Behaviour::Huge);
    backends::PrometheusClient client(endpoint(server.url(), 20s));
    auto outcome = queryOnce(this, client);
    QTRY_VERIFY_WITH_TIMEOUT(outcome->result.has_value(), 30000);
    // Under the 64 MB cap: read whole, then refused as not JSON.
    QCOMPARE(outcome->result->error().kind, ErrorKind::Protocol);
}

void TestNetHostileHttp::fiftyMegabyteBodyOverTheCap() {
    HostileServer server(Behaviour::Huge);
    HttpSettings settings;
    settings.backend = u"prometheus"_s;
    settings.baseUrl = server.url();
    settings.maxResponseBytes = 8 * 1024 * 1024;
    HttpClient http(settings);
    CallOptions options;
    options.deadline = 20s;
    std::optional<Result<int>> result;
    http.send<int>({}, options, [](const HttpResponse &) -> Result<int> { return 1; })
        ->onFinished(this, [&result](const Result<int> &r) { result = r; });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 30000);
    QCOMPARE(result->error().kind, ErrorKind::Protocol);
    QCOMPARE(result->error().reason, u"response_too_large"_s);
}

void TestNetHostileHttp::connectionClosedMidReply() {
    HostileServer server(Behaviour::CloseMidReply);
    backends::PrometheusClient client(endpoint(server.url(), 2s));
    auto outcome = queryOnce(this, client);
    QTRY_VERIFY_WITH_TIMEOUT(outcome->result.has_value(), 10000);
    const Error &e = outcome->result->error();
    QVERIFY2(e.kind == ErrorKind::Protocol, qPrintable(e.toString()));
}

void TestNetHostileHttp::tlsHandshakeFailure() {
    HostileServer server(Behaviour::Garbage);
    backends::PrometheusClient client(endpoint(server.url(u"https"_s), 2s));
    auto outcome = queryOnce(this, client);
    QTRY_VERIFY_WITH_TIMEOUT(outcome->result.has_value(), 10000);
    QCOMPARE(outcome->result->error().kind, ErrorKind::Tls);
}

void TestNetHostileHttp::errorEnvelopeIsRetriedThenTyped() {
    HostileServer server(Behaviour::Prometheus503);
    backends::PrometheusClient client(endpoint(server.url(), 3s));
    auto outcome = queryOnce(this, client);
    QTRY_VERIFY_WITH_TIMEOUT(outcome->result.has_value(), 10000);
    const Error &e = outcome->result->error();
    QCOMPARE(e.kind, ErrorKind::Http);
    QCOMPARE(e.httpStatus, 503);
    QCOMPARE(e.reason, u"unavailable"_s);
    QCOMPARE(e.message, u"too many queries"_s);
    QVERIFY(server.connections >= 1);
}

void TestNetHostileHttp::nobodyListening() {
    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    backends::PrometheusClient client(endpoint(QUrl(u"http://127.0.0.1:%1"_s.arg(port)), 1s));
    auto outcome = queryOnce(this, client);
    QTRY_VERIFY_WITH_TIMEOUT(outcome->result.has_value(), 10000);
    QCOMPARE(outcome->result->error().kind, ErrorKind::Connect);
}

void TestNetHostileHttp::eventLoopKeepsTickingWhileRequestsHang() {
    HostileServer server(Behaviour::Hang);
    backends::PrometheusClient client(endpoint(server.url(), 1500ms));
    QElapsedTimer sinceTick;
    sinceTick.start();
    qint64 maxGap = 0;
    int ticks = 0;
    QTimer ticker;
    ticker.setTimerType(Qt::PreciseTimer);
    connect(&ticker, &QTimer::timeout, this, [&] {
        maxGap = std::max(maxGap, sinceTick.restart());
        ++ticks;
    });
    ticker.start(10);
    QList<std::shared_ptr<Outcome>> outcomes;
    for (int i = 0; i < 30; ++i)
        outcomes.append(queryOnce(this, client));
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(outcomes.cbegin(), outcomes.cend(),
                                         [](const auto &o) { return o->result.has_value(); }),
                             15000);
    ticker.stop();
    for (const auto &o : outcomes)
        QCOMPARE(o->result->error().kind, ErrorKind::Timeout);
    qInfo() << "max gap between 10 ms ticks:" << maxGap << "ms over" << ticks << "ticks";
    QVERIFY2(maxGap < 200, qPrintable(QString::number(maxGap)));
    QVERIFY(ticks > 50);
}

void TestNetHostileHttp::destroyingTheClientCancelsItsRequests() {
    HostileServer server(Behaviour::Hang);
    auto client = std::make_unique<backends::PrometheusClient>(endpoint(server.url(), 5s));
    auto outcome = queryOnce(this, *client);
    QTRY_VERIFY_WITH_TIMEOUT(server.connections > 0, 2000); // the request is in flight
    client.reset();
    QTRY_VERIFY_WITH_TIMEOUT(outcome->result.has_value(), 2000);
    QCOMPARE(outcome->result->error().kind, ErrorKind::Cancelled);
}

QTEST_GUILESS_MAIN(TestNetHostileHttp)
#include "test_net_hostile_http.moc"
