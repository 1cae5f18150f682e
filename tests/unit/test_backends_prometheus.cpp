// Prometheus answers (captured shapes of Prometheus 2.42) decoded into typed results and typed
// errors; the 11,000-points split and merge; Alertmanager's alert list. Pure functions: the
// live servers are covered by the integration tests on the lab.

#include "app/backends/alertmanager_client.h"
#include "app/backends/prometheus_client.h"
#include "app/backends/prometheus_decoder.h"

#include <QTest>

#include <cmath>

using namespace Qt::StringLiterals;
using namespace cutover::backends;
using namespace cutover::net;

namespace {
HttpResponse answer(int status, const QByteArray &body) {
    return HttpResponse{status, body, "application/json"};
}
} // namespace

class TestBackendsPrometheus : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void vectorWithSpecialValues();
    void matrixScalarString();
    void errorEnvelopes_data();
    void errorEnvelopes();
    void warningsAreKept();
    void garbageNeverCrashes_data();
    void garbageNeverCrashes();
    void rangeSplitsAtElevenThousandPoints();
    void chunksMergeBySeries();
    void alertsDecodeAndFilterQuery();
};

void TestBackendsPrometheus::vectorWithSpecialValues() {
    const auto r = prometheus::decodeQueryResponse(
        answer(200, R"({"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"server":"a"},"value":[1700000000.5,"0.25"]},
            {"metric":{"server":"b"},"value":[1700000000.5,"NaN"]},
            {"metric":{"server":"c"},"value":[1700000000.5,"+Inf"]},
            {"metric":{"server":"d"},"value":[1700000000.5,"-Inf"]}]}})"),
        u"prometheus"_s);
    QVERIFY(r.ok());
    QCOMPARE(r.value().type, QueryResult::Type::Vector);
    QCOMPARE(r.value().vector.size(), 4);
    QCOMPARE(r.value().vector.at(0).labels.value(u"server"_s), u"a"_s);
    QCOMPARE(r.value().vector.at(0).point.value, 0.25);
    QCOMPARE(r.value().vector.at(0).point.time, 1700000000.5);
    QVERIFY(std::isnan(r.value().vector.at(1).point.value));
    QVERIFY(std::isinf(r.value().vector.at(2).point.value) &&
            r.value().vector.at(2).point.value > 0);
    QVERIFY(std::isinf(r.value().vector.at(3).point.value) &&
            r.value().vector.at(3).point.value < 0);
    QVERIFY(std::isnan(r.value().singleValue())); // four series: no single value
}

void TestBackendsPrometheus::matrixScalarString() {
    const auto matrix = prometheus::decodeQueryResponse(
        answer(200, R"({"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{},"values":[[1,"1"],[2,"2"],[3,"NaN"]]}]}})"),
        u"prometheus"_s);
    QVERIFY(matrix.ok());
    QCOMPARE(matrix.value().matrix.constFirst().points.size(), 3);
    const auto scalar = prometheus::decodeQueryResponse(
        answer(200, R"({"status":"success","data":{"resultType":"scalar","result":[5,"0.1"]}})"),
        u"prometheus"_s);
    QCOMPARE(scalar.value().singleValue(), 0.1);
    const auto text = prometheus::decodeQueryResponse(
        answer(200, R"({"status":"success","data":{"resultType":"string","result":[5,"hello"]}})"),
        u"prometheus"_s);
    QCOMPARE(text.value().string, u"hello"_s);
    QCOMPARE(text.value().type, QueryResult::Type::String);
}

void TestBackendsPrometheus::errorEnvelopes_data() {
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("errorType");
    QTest::newRow("400 bad_data") << 400 << u"bad_data"_s;
    QTest::newRow("422 execution") << 422 << u"execution"_s;
    QTest::newRow("503 unavailable") << 503 << u"unavailable"_s;
}

void TestBackendsPrometheus::errorEnvelopes() {
    QFETCH(int, status);
    QFETCH(QString, errorType);
    const QByteArray body = R"({"status":"error","errorType":")" + errorType.toUtf8() +
                            R"(","error":"1:5: parse error: unexpected \"}\""})";
    const auto r = prometheus::decodeQueryResponse(answer(status, body), u"prometheus"_s);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().kind, ErrorKind::Http);
    QCOMPARE(r.error().httpStatus, status);
    QCOMPARE(r.error().reason, errorType);
    QVERIFY(r.error().message.contains(u"parse error"_s));
}

void TestBackendsPrometheus::warningsAreKept() {
    const auto r = prometheus::decodeQueryResponse(
        answer(
            200,
            R"({"status":"success","warnings":["partial response"],"data":{"resultType":"vector","result":[]}})"),
        u"prometheus"_s);
    QVERIFY(r.ok());
    QCOMPARE(r.value().warnings, QStringList{u"partial response"_s});
}

void TestBackendsPrometheus::garbageNeverCrashes_data() {
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("kind");
    const int protocol = int(ErrorKind::Protocol);
    QTest::newRow("empty") << 200 << QByteArray() << protocol;
    QTest::newRow("html") << 200 << QByteArray("<html>hi</html>") << protocol;
    QTest::newRow("array") << 200 << QByteArray("[1,2]") << protocol;
    QTest::newRow("no data") << 200 << QByteArray(R"({"status":"success"})") << protocol;
    QTest::newRow("bad type")
        << 200 << QByteArray(R"({"status":"success","data":{"resultType":"tensor","result":[]}})")
        << protocol;
    QTest::newRow("value not string")
        << 200
        << QByteArray(
               R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,2]}]}})")
        << protocol;
    QTest::newRow("value not number")
        << 200
        << QByteArray(
               R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"abc"]}]}})")
        << protocol;
    QTest::newRow("labels not strings")
        << 200
        << QByteArray(
               R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":1},"value":[1,"1"]}]}})")
        << protocol;
    QTest::newRow("result not array")
        << 200 << QByteArray(R"({"status":"success","data":{"resultType":"matrix","result":{}}})")
        << protocol;
    QTest::newRow("502 html") << 502 << QByteArray("<html>Bad gateway</html>")
                              << int(ErrorKind::Http);
    QTest::newRow("binary") << 200 << QByteArray("\x00\xff\xfe{", 4) << protocol;
}

void TestBackendsPrometheus::garbageNeverCrashes() {
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(int, kind);
    const auto r = prometheus::decodeQueryResponse(answer(status, body), u"prometheus"_s);
    QVERIFY(!r.ok());
    QCOMPARE(int(r.error().kind), kind);
}

void TestBackendsPrometheus::rangeSplitsAtElevenThousandPoints() {
    // 24 h at 5 s = 17,281 samples (both ends): two requests, none over 11,000 points.
    const qint64 day = 24LL * 3600 * 1000;
    const auto chunks = PrometheusClient::splitRange(0, day, 5000);
    QCOMPARE(chunks.size(), 2);
    qint64 points = 0;
    qint64 expectedStart = 0;
    for (const RangeChunk &chunk : chunks) {
        QCOMPARE(chunk.startMs, expectedStart);
        const qint64 n = (chunk.endMs - chunk.startMs) / 5000 + 1;
        QVERIFY(n <= 11000);
        points += n;
        expectedStart = chunk.endMs + 5000;
    }
    QCOMPARE(points, 17281);
    QCOMPARE(chunks.constLast().endMs, day);
    QCOMPARE(PrometheusClient::splitRange(0, 10999 * 1000, 1000).size(), 1); // exactly 11,000
    QCOMPARE(PrometheusClient::splitRange(0, 11000 * 1000, 1000).size(), 2); // 11,001
    QVERIFY(PrometheusClient::splitRange(10, 0, 1000).isEmpty());
    QVERIFY(PrometheusClient::splitRange(0, 10, 0).isEmpty());
}

void TestBackendsPrometheus::chunksMergeBySeries() {
    QueryResult first;
    first.type = QueryResult::Type::Matrix;
    first.matrix = {{{{u"s"_s, u"a"_s}}, {{1, 1}, {2, 2}}}, {{{u"s"_s, u"b"_s}}, {{1, 10}}}};
    first.warnings = {u"w"_s};
    QueryResult second;
    second.type = QueryResult::Type::Matrix;
    second.matrix = {{{{u"s"_s, u"a"_s}}, {{3, 3}}}, {{{u"s"_s, u"c"_s}}, {{3, 30}}}};
    second.warnings = {u"w"_s};
    const QueryResult merged = prometheus::mergeRangeChunks({first, second});
    QCOMPARE(merged.matrix.size(), 3);
    QCOMPARE(merged.matrix.at(0).points.size(), 3);
    QCOMPARE(merged.matrix.at(0).points.at(2).value, 3.0);
    QCOMPARE(merged.warnings.size(), 1);
    QCOMPARE(merged.requests, 2);
}

void TestBackendsPrometheus::alertsDecodeAndFilterQuery() {
    const auto alerts =
        decodeAlerts(answer(200, R"([{"labels":{"alertname":"CutoverWatchdog","severity":"none"},
            "annotations":{"summary":"always firing"},"startsAt":"2024-01-01T00:00:00.000Z",
            "endsAt":"2024-01-01T01:00:00.000Z","fingerprint":"abc",
            "status":{"state":"active","silencedBy":[],"inhibitedBy":[]},
            "receivers":[{"name":"default"}]}])"),
                     u"alertmanager"_s);
    QVERIFY(alerts.ok());
    QCOMPARE(alerts.value().size(), 1);
    QCOMPARE(alerts.value().constFirst().name(), u"CutoverWatchdog"_s);
    QCOMPARE(alerts.value().constFirst().state, u"active"_s);
    QCOMPARE(alerts.value().constFirst().receivers, QStringList{u"default"_s});
    QVERIFY(alerts.value().constFirst().startsAt.isValid());
    QCOMPARE(decodeAlerts(answer(200, "{}"), u"alertmanager"_s).error().kind, ErrorKind::Protocol);
    QCOMPARE(decodeAlerts(answer(400, "\"bad filter\""), u"alertmanager"_s).error().httpStatus,
             400);

    AlertFilter filter;
    filter.active = true;
    filter.silenced = false;
    filter.matchers = {u"alertname=\"Cutover Watchdog\""_s, u"severity=~\"crit.*\""_s};
    QCOMPARE(AlertmanagerClient::queryFor(filter),
             u"active=true&silenced=false&filter=alertname%3D%22Cutover%20Watchdog%22"
             u"&filter=severity%3D~%22crit.%2A%22"_s);
}

QTEST_GUILESS_MAIN(TestBackendsPrometheus)
#include "test_backends_prometheus.moc"
