// The shared store's transport, without connecting anywhere: off this machine the connection
// asks for sslmode=verify-full unless the url says otherwise, and a weaker sslmode is named with
// what it gives away (preflight shows it as a warning). Loopback hosts and socket folders keep
// libpq's default.

#include "app/store/postgres_store.h"

#include <QTest>

using namespace Qt::StringLiterals;
using cutover::store::PostgresStore;

class TestStoreTransport : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void verifyFullByDefaultOffThisMachine_data();
    void verifyFullByDefaultOffThisMachine();
    void weakenedTlsIsNamed();
};

void TestStoreTransport::verifyFullByDefaultOffThisMachine_data() {
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("expected"); // the sslmode option, or "" for none
    QTest::newRow("remote") << u"postgresql://db.example.com:5432/cutover"_s
                            << u"sslmode=verify-full"_s;
    QTest::newRow("lan address") << u"postgresql://10.1.2.3/cutover"_s << u"sslmode=verify-full"_s;
    QTest::newRow("explicit require")
        << u"postgresql://db.example.com/cutover?sslmode=require"_s << u"sslmode='require'"_s;
    QTest::newRow("loopback") << u"postgresql://127.0.0.1:5432/cutover"_s << QString();
    QTest::newRow("localhost") << u"postgresql://localhost/cutover"_s << QString();
    QTest::newRow("ipv6 loopback") << u"postgresql://[::1]/cutover"_s << QString();
}

void TestStoreTransport::verifyFullByDefaultOffThisMachine() {
    QFETCH(QString, url);
    QFETCH(QString, expected);
    PostgresStore::Options options;
    options.url = QUrl(url);
    options.user = u"cutover"_s;
    const auto settings = PostgresStore::connectionSettingsFor(options);
    QVERIFY2(settings, qPrintable(settings ? QString() : settings.error().toString()));
    const QStringList parts = settings.value().connectOptions.split(u';');
    const QStringList ssl = parts.filter(u"sslmode="_s);
    if (expected.isEmpty()) {
        QVERIFY2(ssl.isEmpty(), qPrintable(settings.value().connectOptions));
    } else {
        QCOMPARE(ssl, QStringList{expected});
    }
}

void TestStoreTransport::weakenedTlsIsNamed() {
    using cutover::store::postgresTlsWeakened;
    QVERIFY(!postgresTlsWeakened(QUrl(u"postgresql://db.example.com/cutover"_s)));
    QVERIFY(!postgresTlsWeakened(QUrl(u"postgresql://db.example.com/c?sslmode=verify-full"_s)));
    QVERIFY(!postgresTlsWeakened(QUrl(u"postgresql://127.0.0.1/c?sslmode=disable"_s)));
    const auto require =
        postgresTlsWeakened(QUrl(u"postgresql://db.example.com/c?sslmode=require"_s));
    QVERIFY(require);
    QVERIFY2(require->contains(u"sslmode=require for db.example.com: the server's certificate is "
                               u"not checked"_s),
             qPrintable(*require));
    const auto disable = postgresTlsWeakened(QUrl(u"postgresql://10.0.0.9/c?sslmode=disable"_s));
    QVERIFY(disable && disable->contains(u"not encrypted"_s));
    QVERIFY(cutover::store::isLoopbackPostgresHost(u"/var/run/postgresql"_s));
    QVERIFY(!cutover::store::isLoopbackPostgresHost(u"127.example.com"_s));
}

QTEST_GUILESS_MAIN(TestStoreTransport)
#include "test_store_transport.moc"
