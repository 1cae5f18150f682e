// The Runtime API client: replies exactly as HAProxy 2.6 prints them (captured from a real
// instance) parsed into typed values and typed refusals, and hostile peers - garbage, a reply
// cut short, silence, nobody listening - each a typed error within the deadline. The real
// HAProxy behaviour is covered by the integration tests on the lab.

#include "app/backends/haproxy_reply_parser.h"
#include "app/backends/haproxy_runtime_client.h"

#include <QElapsedTimer>
#include <QLocalServer>
#include <QLocalSocket>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using namespace cutover::backends;
using namespace cutover::net;
using namespace std::chrono_literals;

namespace {

const QByteArray kServersState =
    "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
    "srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health "
    "srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord "
    "srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n"
    "3 telemetry_backend 1 legacy-collector-1 127.0.0.1 2 0 100 100 5 1 0 2 0 0 0 0 - 19411 - 0 0 "
    "- - 0\n"
    "3 telemetry_backend 3 otel-collector-1 127.0.0.1 2 8 5 0 5 1 0 2 0 0 0 0 - 19413 - 0 0 - - "
    "0\n\n";

// A peer that answers each connection with `answer` (after reading a line), or stays silent.
class FakeRuntimeApi : public QObject {
public:
    enum class Mode { Answer, Silent, CloseAtOnce };
    Mode mode = Mode::Answer;
    QByteArray answer;
    QByteArray lastRequest;
    QTcpServer tcp;
    QList<QPointer<QTcpSocket>> held;

    FakeRuntimeApi() {
        QVERIFY(tcp.listen(QHostAddress::LocalHost, 0));
        connect(&tcp, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = tcp.nextPendingConnection()) {
                held.append(socket);
                if (mode == Mode::CloseAtOnce) {
                    socket->disconnectFromHost();
                    continue;
                }
                connect(socket, &QTcpSocket::readyRead, socket, [this, socket] {
                    lastRequest += socket->readAll();
                    if (mode == Mode::Answer && lastRequest.endsWith('\n')) {
                        socket->write(answer);
                        socket->disconnectFromHost();
                    }
                });
            }
        });
    }
    StreamAddress address() const { return StreamAddress::tcp(u"127.0.0.1"_s, tcp.serverPort()); }
};

template <typename T>
std::shared_ptr<std::optional<Result<T>>> capture(Reply<T> *reply, QObject *context) {
    auto slot = std::make_shared<std::optional<Result<T>>>();
    reply->onFinished(context, [slot](const Result<T> &r) { *slot = r; });
    return slot;
}

} // namespace

class TestBackendsHaproxy : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void splitsBatchedReplies();
    void classifiesEveryRefusalText_data();
    void classifiesEveryRefusalText();
    void parsesWeightsStateInfoAndStat();
    void rejectsNamesThatCouldInjectCommands();
    void batchedSetSendsOneConnection();
    void refusalIsTypedWithLbName();
    void garbageIsProtocolError();
    void replyCutShortIsProtocolError();
    void silentPeerTimesOut();
    void nobodyListeningIsConnectError();
    void missingUnixSocketIsConnectError();
    void unixSocketWorks();
};

void TestBackendsHaproxy::splitsBatchedReplies() {
    // Captured: set (ok); get weight; set on a missing server; get weight.
    const QByteArray raw = "\n5 (initial 0)\n\nNo such server.\n\n100 (initial 100)\n\n";
    const auto replies = haproxy::splitReplies(raw, 4, u"lb-a"_s);
    QVERIFY(replies.ok());
    QCOMPARE(replies.value().size(), 4);
    QVERIFY(replies.value().at(0).isEmpty());
    QCOMPARE(replies.value().at(1), QStringList{u"5 (initial 0)"_s});
    QCOMPARE(replies.value().at(2), QStringList{u"No such server."_s});
    const auto fewer = haproxy::splitReplies("\n\n", 3, u"lb-a"_s);
    QCOMPARE(fewer.error().reason, u"truncated"_s);
    const auto cut = haproxy::splitReplies("# pxname,svname\nfe,FRONTEND", 1, u"lb-a"_s);
    QCOMPARE(cut.error().kind, ErrorKind::Protocol);
}

void TestBackendsHaproxy::classifiesEveryRefusalText_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("reason");
    QTest::newRow("backend") << u"No such backend."_s << u"no_such_backend"_s;
    QTest::newRow("backend state") << u"Can't find backend."_s << u"no_such_backend"_s;
    QTest::newRow("server") << u"No such server."_s << u"no_such_server"_s;
    QTest::newRow("range") << u"Absolute weight can only be between 0 and 256 inclusive."_s
                           << u"weight_out_of_range"_s;
    QTest::newRow("permission") << u"Permission denied"_s << u"permission_denied"_s;
    QTest::newRow("static")
        << u"Backend is using a static LB algorithm and only accepts weights '0%' and '100%'."_s
        << u"static_algorithm"_s;
    QTest::newRow("unknown")
        << u"Unknown command, but maybe one of the following ones is a better match:"_s
        << u"unknown_command"_s;
    QTest::newRow("other") << u"something new"_s << u"refused"_s;
}

void TestBackendsHaproxy::classifiesEveryRefusalText() {
    QFETCH(QString, text);
    QFETCH(QString, reason);
    const auto ack = haproxy::expectEmpty({text}, u"lb-a"_s, u"set server b/s weight 1"_s);
    QVERIFY(!ack.ok());
    QCOMPARE(ack.error().kind, ErrorKind::Protocol);
    QCOMPARE(ack.error().reason, reason);
    QCOMPARE(ack.error().backend, u"lb-a"_s);
    QVERIFY(ack.error().toString().startsWith(u"lb-a: protocol"_s));
    QVERIFY(runtimeRefusal(ack.error()).has_value());
}

void TestBackendsHaproxy::parsesWeightsStateInfoAndStat() {
    const auto weight = haproxy::parseWeight({u"5 (initial 0)"_s}, u"lb-a"_s, u"get weight"_s);
    QVERIFY(weight.ok());
    QCOMPARE(weight.value().current, 5);
    QCOMPARE(weight.value().initial, 0);

    const auto state = haproxy::parseServersState(
        haproxy::splitReplies(kServersState, 1, u"lb-a"_s).value().constFirst(), u"lb-a"_s);
    QVERIFY(state.ok());
    QCOMPARE(state.value().size(), 2);
    QCOMPARE(state.value().at(1).server, u"otel-collector-1"_s);
    QCOMPARE(state.value().at(1).userWeight, 5);
    QCOMPARE(state.value().at(1).adminState, 8);
    QCOMPARE(state.value().at(0).fields.value(u"srv_port"_s), u"19411"_s);

    const auto info = haproxy::parseInfo(
        {u"Name: HAProxy"_s, u"Version: 2.6.12-1+deb12u4"_s, u"Pid: 7439"_s, u"Uptime_sec: 5"_s},
        u"lb-a"_s);
    QVERIFY(info.ok());
    QCOMPARE(info.value().pid, 7439);
    QCOMPARE(info.value().uptimeSec, 5);
    QCOMPARE(info.value().version, u"2.6.12-1+deb12u4"_s);
    QCOMPARE(haproxy::parseInfo({u"Permission denied"_s}, u"lb-a"_s).error().reason,
             u"permission_denied"_s);

    // Columns found by name, wherever they are; a quoted field with a comma stays one field.
    const auto stat =
        haproxy::parseStat({u"# svname,pxname,status,weight,hrsp_5xx,check_desc,"_s,
                            u"otel-collector-1,telemetry_backend,UP,8,3,\"Layer4, ok\","_s,
                            u"BACKEND,telemetry_backend,UP,232,0,,"_s},
                           u"lb-a"_s);
    QVERIFY(stat.ok());
    QCOMPARE(stat.value().size(), 2);
    QCOMPARE(stat.value().at(0).proxy, u"telemetry_backend"_s);
    QCOMPARE(stat.value().at(0).weight, 8);
    QCOMPARE(stat.value().at(0).responses5xx, 3);
    QCOMPARE(stat.value().at(0).field(u"check_desc"_s), u"Layer4, ok"_s);
    QVERIFY(!stat.value().at(1).isServer());
}

void TestBackendsHaproxy::rejectsNamesThatCouldInjectCommands() {
    QVERIFY(haproxy::isValidName(u"otel-collector-1"_s));
    QVERIFY(!haproxy::isValidName(u"a; set server x/y weight 0"_s));
    QVERIFY(!haproxy::isValidName(u"a\nshutdown sessions"_s));
    QVERIFY(!haproxy::isValidName(QString()));
    FakeRuntimeApi fake;
    HaproxyRuntimeClient client(u"lb-a"_s, fake.address(), 1s);
    auto result = capture(client.setWeight(u"telemetry_backend"_s, u"x;shutdown"_s, 1), this);
    QTRY_VERIFY_WITH_TIMEOUT(result->has_value(), 2000);
    QCOMPARE((*result)->error().reason, u"invalid_name"_s);
    QVERIFY(fake.lastRequest.isEmpty()); // nothing was sent
}

void TestBackendsHaproxy::batchedSetSendsOneConnection() {
    FakeRuntimeApi fake;
    fake.answer = "\n\n";
    HaproxyRuntimeClient client(u"lb-a"_s, fake.address(), 1s);
    auto result =
        capture(client.setWeights(u"telemetry_backend"_s, {{u"s1"_s, 10}, {u"s2"_s, 0}}), this);
    QTRY_VERIFY_WITH_TIMEOUT(result->has_value(), 2000);
    QVERIFY((*result)->ok());
    QCOMPARE(fake.lastRequest, QByteArray("set server telemetry_backend/s1 weight 10; "
                                          "set server telemetry_backend/s2 weight 0\n"));
    QCOMPARE(fake.held.size(), 1);
}

void TestBackendsHaproxy::refusalIsTypedWithLbName() {
    FakeRuntimeApi fake;
    fake.answer = "\nAbsolute weight can only be between 0 and 256 inclusive.\n\n";
    HaproxyRuntimeClient client(u"lb-b"_s, fake.address(), 1s);
    auto result =
        capture(client.setWeights(u"telemetry_backend"_s, {{u"s1"_s, 10}, {u"s2"_s, 300}}), this);
    QTRY_VERIFY_WITH_TIMEOUT(result->has_value(), 2000);
    QCOMPARE((*result)->error().backend, u"lb-b"_s);
    QCOMPARE(runtimeRefusal((*result)->error()), RuntimeRefusal::WeightOutOfRange);
    QVERIFY((*result)->error().message.contains(u"s2 weight 300"_s));
}

void TestBackendsHaproxy::garbageIsProtocolError() {
    FakeRuntimeApi fake;
    fake.answer = QByteArray("\x00\xff\xfe garbage \x01\n\n", 16);
    HaproxyRuntimeClient client(u"lb-a"_s, fake.address(), 1s);
    auto weight = capture(client.getWeight(u"b"_s, u"s"_s), this);
    auto info = capture(client.showInfo(), this);
    auto stat = capture(client.showStat(), this);
    QTRY_VERIFY_WITH_TIMEOUT(weight->has_value() && info->has_value() && stat->has_value(), 2000);
    QCOMPARE((*weight)->error().kind, ErrorKind::Protocol);
    QCOMPARE((*info)->error().kind, ErrorKind::Protocol);
    QCOMPARE((*stat)->error().kind, ErrorKind::Protocol);
}

void TestBackendsHaproxy::replyCutShortIsProtocolError() {
    FakeRuntimeApi fake;
    fake.answer = "5 (initial 0)\n\n"; // one answer where two were asked for
    HaproxyRuntimeClient client(u"lb-a"_s, fake.address(), 1s);
    auto result = capture(client.getWeights(u"b"_s, {u"s1"_s, u"s2"_s}), this);
    QTRY_VERIFY_WITH_TIMEOUT(result->has_value(), 2000);
    QCOMPARE((*result)->error().kind, ErrorKind::Protocol);
    QCOMPARE((*result)->error().reason, u"truncated"_s);

    fake.mode = FakeRuntimeApi::Mode::CloseAtOnce; // accepted, then closed with nothing said
    auto closed = capture(client.showInfo(), this);
    QTRY_VERIFY_WITH_TIMEOUT(closed->has_value(), 2000);
    QCOMPARE((*closed)->error().kind, ErrorKind::Protocol);
}

void TestBackendsHaproxy::silentPeerTimesOut() {
    FakeRuntimeApi fake;
    fake.mode = FakeRuntimeApi::Mode::Silent;
    HaproxyRuntimeClient client(u"lb-a"_s, fake.address(), 300ms);
    QElapsedTimer clock;
    clock.start();
    auto result = capture(client.showInfo(), this);
    QTRY_VERIFY_WITH_TIMEOUT(result->has_value(), 3000);
    QCOMPARE((*result)->error().kind, ErrorKind::Timeout);
    QCOMPARE((*result)->error().backend, u"lb-a"_s);
    QVERIFY(clock.elapsed() >= 290 && clock.elapsed() < 2000);
}

void TestBackendsHaproxy::nobodyListeningIsConnectError() {
    quint16 port = 0;
    {
        QTcpServer probe; // a port that was free a moment ago, now closed
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    HaproxyRuntimeClient client(u"lb-b"_s, StreamAddress::tcp(u"127.0.0.1"_s, port), 1s);
    QElapsedTimer clock;
    clock.start();
    auto result = capture(client.setWeight(u"b"_s, u"s"_s, 1), this);
    QTRY_VERIFY_WITH_TIMEOUT(result->has_value(), 3000);
    QCOMPARE((*result)->error().kind, ErrorKind::Connect);
    QCOMPARE((*result)->error().backend, u"lb-b"_s);
    QVERIFY((*result)->error().message.contains(u"tcp://127.0.0.1:"_s));
    QVERIFY(clock.elapsed() < 1000); // retried (idempotent), but refused is quick
}

void TestBackendsHaproxy::missingUnixSocketIsConnectError() {
    QTemporaryDir dir;
    HaproxyRuntimeClient client(u"lb-a"_s, StreamAddress::unixSocket(dir.filePath(u"none.sock"_s)),
                                1s);
    auto result = capture(client.showInfo(), this);
    QTRY_VERIFY_WITH_TIMEOUT(result->has_value(), 3000);
    QCOMPARE((*result)->error().kind, ErrorKind::Connect);
    QVERIFY((*result)->error().message.contains(u"unix://"_s));
}

void TestBackendsHaproxy::unixSocketWorks() {
    QTemporaryDir dir;
    QLocalServer server;
    QVERIFY(server.listen(dir.filePath(u"admin.sock"_s)));
    connect(&server, &QLocalServer::newConnection, this, [&server] {
        QLocalSocket *socket = server.nextPendingConnection();
        connect(socket, &QLocalSocket::readyRead, socket, [socket] {
            if (socket->readAll().endsWith('\n')) {
                socket->write("42 (initial 100)\n\n");
                socket->disconnectFromServer();
            }
        });
    });
    HaproxyRuntimeClient client(u"lb-a"_s, StreamAddress::unixSocket(server.fullServerName()), 1s);
    auto result = capture(client.getWeight(u"b"_s, u"s"_s), this);
    QTRY_VERIFY_WITH_TIMEOUT(result->has_value(), 3000);
    QVERIFY2((*result)->ok(),
             qPrintable((*result)->ok() ? QString() : (*result)->error().toString()));
    QCOMPARE((*result)->value().current, 42);
}

QTEST_GUILESS_MAIN(TestBackendsHaproxy)
#include "test_backends_haproxy.moc"
