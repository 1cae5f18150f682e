// What preflight says of a backend's balance algorithm, its weights and its servers: every
// algorithm HAProxy 2.6 names, both hash types, and the proof a runtime weight gives.

#include "app/backends/balance_assessment.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace cutover;
using namespace cutover::backends;
using Verdict = Assessment::Verdict;

namespace {

QMap<QString, ServerWeight> configured() {
    return {{u"legacy-1"_s, {100, 100}}, {u"otel-1"_s, {0, 0}}, {u"otel-2"_s, {0, 0}}};
}

QMap<QString, ServerWeight> shifted() {
    auto weights = configured();
    weights[u"legacy-1"_s].current = 90;
    weights[u"otel-1"_s].current = 5;
    return weights;
}

} // namespace

class TestBackendsBalance : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void algorithms_data();
    void algorithms();
    void runtimeWeightsProveConsistentHashing();
    void reloadSurvival();
    void healthChecks();
};

void TestBackendsBalance::algorithms_data() {
    QTest::addColumn<QString>("algo");
    QTest::addColumn<int>("hashType");
    QTest::addColumn<int>("verdict");
    QTest::addColumn<QString>("says");

    const int unspecified = int(config::HashType::Unspecified);
    const int consistent = int(config::HashType::Consistent);
    const int mapBased = int(config::HashType::MapBased);
    auto row = [](const char *name, const char *algo, int hash, Verdict v, const char *says) {
        QTest::newRow(name) << QString::fromUtf8(algo) << hash << int(v) << QString::fromUtf8(says);
    };
    row("roundrobin", "roundrobin", unspecified, Verdict::Pass, "every new connection");
    row("static-rr", "static-rr", unspecified, Verdict::Fail, "0% or 100%");
    row("leastconn", "leastconn", unspecified, Verdict::Warn, "short requests ignore weights");
    row("first", "first", unspecified, Verdict::Warn, "maxconn");
    row("random (2.6 says unknown)", "unknown", unspecified, Verdict::Warn, "balance random");
    row("unheard of", "magic", unspecified, Verdict::Warn, "'magic' is not one this console");
    for (const char *hash : {"source", "uri", "url_param", "hdr", "rdp-cookie", "hash"}) {
        row(qPrintable(u"%1 undeclared"_s.arg(QLatin1String(hash))), hash, unspecified,
            Verdict::Fail, "hash_type: consistent");
        row(qPrintable(u"%1 consistent"_s.arg(QLatin1String(hash))), hash, consistent,
            Verdict::Pass, "as the plan declares");
        row(qPrintable(u"%1 map-based"_s.arg(QLatin1String(hash))), hash, mapBased, Verdict::Fail,
            "use hash-type consistent");
    }
}

void TestBackendsBalance::algorithms() {
    QFETCH(QString, algo);
    QFETCH(int, hashType);
    QFETCH(int, verdict);
    QFETCH(QString, says);
    const Assessment a = assessBalance(algo, config::HashType(hashType), configured());
    QCOMPARE(int(a.verdict), verdict);
    QVERIFY2(a.detail.contains(says), qPrintable(a.detail));
}

void TestBackendsBalance::runtimeWeightsProveConsistentHashing() {
    // HAProxy accepted 90 and 5 (neither 0 nor configured): the hashing cannot be map-based,
    // whatever the plan says or omits.
    for (auto declared : {config::HashType::Unspecified, config::HashType::MapBased}) {
        const Assessment a = assessBalance(u"source"_s, declared, shifted());
        QCOMPARE(a.verdict, Verdict::Pass);
        QVERIFY2(a.detail.contains(u"hashing is consistent"_s), qPrintable(a.detail));
    }
    // A weight of 0 proves nothing: map-based hashing accepts 0%.
    auto drained = configured();
    drained[u"legacy-1"_s].current = 0;
    QCOMPARE(assessBalance(u"source"_s, config::HashType::Unspecified, drained).verdict,
             Verdict::Fail);
}

void TestBackendsBalance::reloadSurvival() {
    QCOMPARE(assessReloadSurvival(configured()).verdict, Verdict::Pass);
    const Assessment a = assessReloadSurvival(shifted());
    QCOMPARE(a.verdict, Verdict::Warn);
    QVERIFY2(a.detail.startsWith(u"2 of 3 servers"_s), qPrintable(a.detail));
    QVERIFY2(a.detail.contains(u"legacy-1 90 (configured 100)"_s), qPrintable(a.detail));
    QVERIFY2(a.detail.contains(u"otel-1 5 (configured 0)"_s), qPrintable(a.detail));
    QVERIFY(!a.detail.contains(u"otel-2"_s));
}

void TestBackendsBalance::healthChecks() {
    StatRow row;
    row.status = u"UP"_s;
    QCOMPARE(assessServer(row).verdict, Verdict::Pass);
    QCOMPARE(assessServer(row).detail, u"found, status UP"_s);
    row.status = u"no check"_s;
    const Assessment a = assessServer(row);
    QCOMPARE(a.verdict, Verdict::Warn);
    QVERIFY2(a.detail.contains(u"keeps its weight"_s), qPrintable(a.detail));
    row.status = u"DOWN"_s; // checks on, server down: found, and the status says the rest
    QCOMPARE(assessServer(row).verdict, Verdict::Pass);
}

QTEST_GUILESS_MAIN(TestBackendsBalance)
#include "test_backends_balance.moc"
