// The Runtime API client against the lab's real HAProxy 2.6: every refusal HAProxy gives is a
// typed error with the LB's name; TCP and unix sockets; show stat / servers state / info;
// server states.

#include "app/backends/haproxy_runtime_client.h"
#include "tests/support/lab.h"

using namespace cutover;
using namespace cutover::backends;
using namespace cutover::net;
using namespace std::chrono_literals;

namespace {

StreamAddress tcpOf(const QString &url) {
    const QUrl parsed(url);
    return StreamAddress::tcp(parsed.host(), quint16(parsed.port()));
}

} // namespace

class TestLabRuntimeApi : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void readsInfoStatAndState();
    void unixSocketSetsAndReadsWeight();
    void typedRefusals();
    void userLevelSocketIsPermissionDenied();
    void adminProbe();
    void serverStateDrainAndReady();

private:
    QHash<QString, QString> m_state;
    std::unique_ptr<HaproxyRuntimeClient> m_admin;
};

void TestLabRuntimeApi::initTestCase() {
    m_state = lab::loadState();
    REQUIRE_LAB(m_state);
    m_admin = std::make_unique<HaproxyRuntimeClient>(u"lb-a"_s,
                                                     tcpOf(m_state.value(u"LAB_LB_A_ADMIN"_s)), 2s);
}

void TestLabRuntimeApi::readsInfoStatAndState() {
    const auto info = lab::await(m_admin->showInfo(), this);
    QVERIFY2(info.ok(), qPrintable(info.ok() ? QString() : info.error().toString()));
    QVERIFY(info.value().version.startsWith(u"2."_s));
    QVERIFY(info.value().pid > 0);

    const auto stat = lab::await(m_admin->showStat(), this);
    QVERIFY(stat.ok());
    QStringList servers;
    for (const StatRow &row : stat.value()) {
        if (row.proxy == u"telemetry_backend"_s && row.isServer())
            servers.append(row.server);
    }
    QCOMPARE(servers,
             (QStringList{u"legacy-collector-1"_s, u"legacy-collector-2"_s, u"otel-collector-1"_s,
                          u"otel-collector-2"_s, u"otel-collector-3"_s}));

    const auto state = lab::await(m_admin->showServersState(u"telemetry_backend"_s), this);
    QVERIFY(state.ok());
    QCOMPARE(state.value().size(), 5);
    QCOMPARE(state.value().constFirst().backend, u"telemetry_backend"_s);
    QCOMPARE(state.value().constFirst().initialWeight, 100);
}

void TestLabRuntimeApi::unixSocketSetsAndReadsWeight() {
    HaproxyRuntimeClient unixClient(
        u"lb-a"_s, StreamAddress::unixSocket(m_state.value(u"LAB_LB_A_SOCKET"_s)), 2s);
    const auto set =
        lab::await(unixClient.setWeight(u"telemetry_backend"_s, u"legacy-collector-2"_s, 99), this);
    QVERIFY2(set.ok(), qPrintable(set.ok() ? QString() : set.error().toString()));
    const auto weight =
        lab::await(m_admin->getWeight(u"telemetry_backend"_s, u"legacy-collector-2"_s), this);
    QVERIFY(weight.ok());
    QCOMPARE(weight.value().current, 99);
    QCOMPARE(weight.value().initial, 100);
    QVERIFY(
        lab::await(unixClient.setWeight(u"telemetry_backend"_s, u"legacy-collector-2"_s, 100), this)
            .ok());
}

void TestLabRuntimeApi::typedRefusals() {
    struct Case {
        QString backend;
        QString server;
        int weight;
        RuntimeRefusal expected;
    };
    const QList<Case> cases = {
        {u"no_such_backend"_s, u"legacy-collector-1"_s, 10, RuntimeRefusal::NoSuchBackend},
        {u"telemetry_backend"_s, u"no-such-server"_s, 10, RuntimeRefusal::NoSuchServer},
        {u"telemetry_backend"_s, u"legacy-collector-1"_s, 300, RuntimeRefusal::WeightOutOfRange},
        {u"static_backend"_s, u"static-1"_s, 50, RuntimeRefusal::StaticAlgorithm},
    };
    for (const Case &c : cases) {
        const auto r = lab::await(m_admin->setWeight(c.backend, c.server, c.weight), this);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ErrorKind::Protocol);
        QCOMPARE(r.error().backend, u"lb-a"_s);
        QCOMPARE(runtimeRefusal(r.error()), c.expected);
    }
    const auto weight =
        lab::await(m_admin->getWeight(u"telemetry_backend"_s, u"legacy-collector-1"_s), this);
    QCOMPARE(weight.value().current, 100); // nothing changed
}

void TestLabRuntimeApi::userLevelSocketIsPermissionDenied() {
    HaproxyRuntimeClient user(u"lb-a"_s, tcpOf(m_state.value(u"LAB_LB_A_USER"_s)), 2s);
    const auto r =
        lab::await(user.setWeight(u"telemetry_backend"_s, u"otel-collector-1"_s, 5), this);
    QVERIFY(!r.ok());
    QCOMPARE(runtimeRefusal(r.error()), RuntimeRefusal::PermissionDenied);
    QCOMPARE(r.error().backend, u"lb-a"_s);
    const auto probe = lab::await(user.probeAdmin(u"telemetry_backend"_s), this);
    QCOMPARE(runtimeRefusal(probe.error()), RuntimeRefusal::PermissionDenied);
    // Reading is allowed at user level.
    QVERIFY(lab::await(user.getWeight(u"telemetry_backend"_s, u"otel-collector-1"_s), this).ok());
}

void TestLabRuntimeApi::adminProbe() {
    QVERIFY(lab::await(m_admin->probeAdmin(u"telemetry_backend"_s), this).ok());
}

void TestLabRuntimeApi::serverStateDrainAndReady() {
    QVERIFY(lab::await(m_admin->setServerState(u"telemetry_backend"_s, u"otel-collector-3"_s,
                                               ServerAdminState::Drain),
                       this)
                .ok());
    const auto drained = lab::await(m_admin->showServersState(u"telemetry_backend"_s), this);
    QVERIFY(drained.ok());
    bool seen = false;
    for (const ServerStateRow &row : drained.value()) {
        if (row.server == u"otel-collector-3"_s) {
            seen = true;
            QVERIFY(row.adminState & 0x08); // SRV_ADMF_DRAIN... set by the CLI
        }
    }
    QVERIFY(seen);
    QVERIFY(lab::await(m_admin->setServerState(u"telemetry_backend"_s, u"otel-collector-3"_s,
                                               ServerAdminState::Ready),
                       this)
                .ok());
    const auto ready = lab::await(m_admin->showServersState(u"telemetry_backend"_s), this);
    for (const ServerStateRow &row : ready.value()) {
        if (row.server == u"otel-collector-3"_s)
            QCOMPARE(row.adminState, 0);
    }
}

QTEST_GUILESS_MAIN(TestLabRuntimeApi)
#include "test_lab_runtime_api.moc"
