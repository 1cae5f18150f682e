// The per-panel series model: coalesced change signal, staleness on an injected clock, stage
// markers and the target band.

#include "app/config/plan.h"
#include "models/chart_series_model.h"

#include <QCoreApplication>
#include <QSignalSpy>
#include <QTest>

#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using cutover::models::ChartSeriesModel;

class TestChartsSeriesModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void thousandAppendsGiveOneChangedSignal();
    void keepsSeriesInFirstSeenOrderWithRevisions();
    void boundedPerSeries();
    void tracksLastGoodSample();
    void staleWhenTheClockPassesStaleAfter();
    void stageChangeAddsMarkerAndBand();
    void removeAndClear();
    void historyArrivesAfterLiveSamples();
};

void TestChartsSeriesModel::thousandAppendsGiveOneChangedSignal() {
    ChartSeriesModel model;
    QSignalSpy changed(&model, &ChartSeriesModel::changed);
    for (int i = 0; i < 1000; ++i)
        model.appendSample(i % 2 ? u"a"_s : u"b"_s, 1000 * i, i);
    QCOMPARE(changed.size(), 0); // nothing synchronous: the signal waits for the event loop
    QTRY_COMPARE(changed.size(), 1);
    QCoreApplication::processEvents();
    QCOMPARE(changed.size(), 1);

    model.appendSamples(u"a"_s, {QPointF(2'000'000, 1), QPointF(2'001'000, 2)});
    QTRY_COMPARE(changed.size(), 2);
}

void TestChartsSeriesModel::keepsSeriesInFirstSeenOrderWithRevisions() {
    ChartSeriesModel model;
    model.appendSample(u"system=\"otel\""_s, 1000, 0.1);
    model.appendSample(u"system=\"legacy\""_s, 1000, 0.9);
    QCOMPARE(model.seriesKeys(), (QStringList{u"system=\"otel\""_s, u"system=\"legacy\""_s}));
    const quint64 otel = model.revision(u"system=\"otel\""_s);
    const quint64 legacy = model.revision(u"system=\"legacy\""_s);
    model.appendSample(u"system=\"otel\""_s, 2000, 0.1);
    QVERIFY(model.revision(u"system=\"otel\""_s) > otel);
    QCOMPARE(model.revision(u"system=\"legacy\""_s), legacy);
    // An out-of-order sample is dropped and changes nothing.
    model.appendSample(u"system=\"legacy\""_s, 500, 0.5);
    QCOMPARE(model.revision(u"system=\"legacy\""_s), legacy);
    QCOMPARE(model.buffer(u"system=\"legacy\""_s)->size(), 1);
    QCOMPARE(model.buffer(u"nope"_s), nullptr);
}

void TestChartsSeriesModel::boundedPerSeries() {
    ChartSeriesModel model(nullptr, 100);
    for (int i = 0; i < 1000; ++i)
        model.appendSample(u"x"_s, i, i);
    QCOMPARE(model.buffer(u"x"_s)->size(), 100);
    QCOMPARE(model.buffer(u"x"_s)->first().timestampMs, 900);
}

void TestChartsSeriesModel::tracksLastGoodSample() {
    ChartSeriesModel model;
    model.appendSample(u"x"_s, 1000, 1);
    model.appendSample(u"x"_s, 2000, std::numeric_limits<double>::quiet_NaN());
    QCOMPARE(model.lastGoodSampleMs(u"x"_s), std::optional<qint64>(1000));
    QCOMPARE(model.buffer(u"x"_s)->size(), 2);
    QVERIFY(!model.lastGoodSampleMs(u"y"_s).has_value());
}

void TestChartsSeriesModel::staleWhenTheClockPassesStaleAfter() {
    qint64 now = 1'700'000'000'000;
    ChartSeriesModel model;
    model.setClock([&now] { return now; });
    model.setStaleAfter(30s);
    model.appendSample(u"x"_s, now, 1);
    QVERIFY(!model.isStale(u"x"_s));
    QSignalSpy changed(&model, &ChartSeriesModel::changed);
    QTRY_COMPARE(changed.size(), 1);

    now += 29'000;
    model.checkStaleness();
    QVERIFY(!model.isStale(u"x"_s));
    now += 2000;
    const quint64 before = model.revision(u"x"_s);
    model.checkStaleness();
    QVERIFY(model.isStale(u"x"_s));
    QVERIFY(model.revision(u"x"_s) > before); // the panel redraws it in the stale pen
    QTRY_COMPARE(changed.size(), 2);

    // Fresh data makes it current again.
    model.appendSample(u"x"_s, now, 2);
    QVERIFY(!model.isStale(u"x"_s));

    // A series that never had a finite value is stale once staleAfter has passed since it
    // appeared.
    model.appendSample(u"empty"_s, now, std::numeric_limits<double>::quiet_NaN());
    QVERIFY(!model.isStale(u"empty"_s));
    now += 31'000;
    model.checkStaleness();
    QVERIFY(model.isStale(u"empty"_s));
}

void TestChartsSeriesModel::stageChangeAddsMarkerAndBand() {
    ChartSeriesModel model;
    cutover::config::Stage ten;
    ten.percent = 10;
    ten.tolerance = 0.2;
    cutover::config::Stage twentyFive;
    twentyFive.percent = 25;
    twentyFive.tolerance = 0.2;
    const quint64 before = model.annotationRevision();
    model.addStageChange(5000, twentyFive);
    model.addStageChange(1000, ten); // out of order: the band stays sorted by time
    QVERIFY(model.annotationRevision() > before);
    QCOMPARE(model.markers().size(), 2);
    QCOMPARE(model.markers().first().label, u"→ 25%"_s);
    QCOMPARE(model.targetBand().size(), 2);
    QCOMPARE(model.targetBand().at(0).fromMs, 1000);
    QCOMPARE(model.targetBand().at(0).target, 0.10);
    QVERIFY(std::abs(model.targetBand().at(0).lower - 0.08) < 1e-12);
    QVERIFY(std::abs(model.targetBand().at(0).upper - 0.12) < 1e-12);
    QCOMPARE(model.targetBand().at(1).target, 0.25);
    model.addMarker(6000, u"↩ rollback"_s);
    QCOMPARE(model.markers().size(), 3);
    model.clearAnnotations();
    QVERIFY(model.markers().isEmpty());
    QVERIFY(model.targetBand().isEmpty());
}

void TestChartsSeriesModel::removeAndClear() {
    ChartSeriesModel model;
    model.appendSample(u"a"_s, 1, 1);
    model.appendSample(u"b"_s, 1, 1);
    const quint64 structure = model.structureRevision();
    model.removeSeries(u"a"_s);
    QVERIFY(model.structureRevision() > structure);
    QCOMPARE(model.seriesKeys(), QStringList{u"b"_s});
    QVERIFY(!model.hasSeries(u"a"_s));
    model.clear();
    QVERIFY(model.seriesKeys().isEmpty());
}

void TestChartsSeriesModel::historyArrivesAfterLiveSamples() {
    // The live poll answered first; the range query's history then goes before it.
    ChartSeriesModel model;
    QSignalSpy changed(&model, &ChartSeriesModel::changed);
    model.appendSample(u"x"_s, 10'000, 10);
    QTRY_COMPARE(changed.size(), 1);
    model.prependHistory(
        u"x"_s, {QPointF(7000, 7), QPointF(8000, 8), QPointF(9000, 9), QPointF(10'000, 99)});
    QTRY_COMPARE(changed.size(), 2);
    const auto *buffer = model.buffer(u"x"_s);
    QCOMPARE(buffer->size(), 4);
    QCOMPARE(buffer->first().timestampMs, 7000);
    QCOMPARE(buffer->last().value, 10.0);
    QCOMPARE(model.lastGoodSampleMs(u"x"_s), std::optional<qint64>(10'000));
    // Nothing new: no change signal.
    model.prependHistory(u"x"_s, {QPointF(9000, 9)});
    QCoreApplication::processEvents();
    QCOMPARE(changed.size(), 2);
    // A series only history knows of: its last good sample is history's newest finite one.
    model.prependHistory(
        u"y"_s, {QPointF(1000, 1), QPointF(2000, std::numeric_limits<double>::quiet_NaN())});
    QCOMPARE(model.lastGoodSampleMs(u"y"_s), std::optional<qint64>(1000));
    QCOMPARE(model.seriesKeys(), QStringList({u"x"_s, u"y"_s}));
}

QTEST_GUILESS_MAIN(TestChartsSeriesModel)
#include "test_charts_series_model.moc"
