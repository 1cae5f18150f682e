// Decimation to the plot's pixel width: extremes kept, bounded output, gaps kept as breaks.

#include "models/decimator.h"

#include <QRandomGenerator>
#include <QTest>

#include <cmath>
#include <limits>
#include <map>

using cutover::models::DecimationRequest;
using cutover::models::Decimator;
using cutover::models::Segment;
using cutover::models::TimeSeriesBuffer;

namespace {

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

TimeSeriesBuffer noisy(int count, qint64 stepMs, quint32 seed) {
    TimeSeriesBuffer buffer(count);
    QRandomGenerator random(seed);
    for (int i = 0; i < count; ++i)
        buffer.append(i * stepMs, std::sin(i / 300.0) * 10 + random.bounded(5.0));
    return buffer;
}

DecimationRequest requestFor(const TimeSeriesBuffer &buffer, int columns) {
    DecimationRequest request;
    request.fromMs = buffer.first().timestampMs;
    request.toMs = buffer.last().timestampMs;
    request.columns = columns;
    return request;
}

qsizetype pointCount(const QList<Segment> &segments) {
    qsizetype total = 0;
    for (const Segment &segment : segments)
        total += segment.size();
    return total;
}

} // namespace

class TestChartsDecimator : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void keepsMinAndMaxOfEveryColumn();
    void atMostFourPointsPerColumnInTimeOrder();
    void sparseDataPassesThrough();
    void nanWiderThanAColumnBreaksTheLine();
    void nanInsideAColumnDoesNotBreak();
    void timeJumpBreaksWhenAsked();
    void tooManyGapsBridgeTheNarrowest();
    void emptyAndOnePoint();
    void scalesValues();
    void slidingWindowKeepsColumns();
};

void TestChartsDecimator::keepsMinAndMaxOfEveryColumn() {
    const TimeSeriesBuffer buffer = noisy(17'280, 5000, 7);
    const DecimationRequest request = requestFor(buffer, 1500);
    const QList<Segment> segments = Decimator::decimate(buffer.range(0, request.toMs), request);
    QCOMPARE(segments.size(), 1);

    const qint64 columnMs = Decimator::columnDurationMs(request);
    std::map<qint64, std::pair<double, double>> rawExtremes;
    for (qsizetype i = 0; i < buffer.size(); ++i) {
        const auto &point = buffer.at(i);
        auto [it, inserted] =
            rawExtremes.try_emplace(point.timestampMs / columnMs, point.value, point.value);
        it->second.first = std::min(it->second.first, point.value);
        it->second.second = std::max(it->second.second, point.value);
    }
    std::map<qint64, std::pair<double, double>> kept;
    for (const QPointF &point : segments.first()) {
        auto [it, inserted] = kept.try_emplace(qint64(point.x()) / columnMs, point.y(), point.y());
        it->second.first = std::min(it->second.first, point.y());
        it->second.second = std::max(it->second.second, point.y());
    }
    QCOMPARE(kept.size(), rawExtremes.size());
    for (const auto &[column, extremes] : rawExtremes) {
        QCOMPARE(kept.at(column).first, extremes.first);
        QCOMPARE(kept.at(column).second, extremes.second);
    }
    // The first and last raw points are kept: the line starts and ends where the data does.
    QCOMPARE(segments.first().first().x(), 0.0);
    QCOMPARE(segments.first().last().x(), double(buffer.last().timestampMs));
}

void TestChartsDecimator::atMostFourPointsPerColumnInTimeOrder() {
    const TimeSeriesBuffer buffer = noisy(86'400, 1000, 3);
    for (int columns : {1, 13, 800, 1600}) {
        const DecimationRequest request = requestFor(buffer, columns);
        const QList<Segment> segments = Decimator::decimate(buffer.range(0, request.toMs), request);
        const qint64 columnMs = Decimator::columnDurationMs(request);
        std::map<qint64, int> perColumn;
        double previousX = -1;
        for (const QPointF &point : segments.first()) {
            QVERIFY(point.x() > previousX);
            previousX = point.x();
            ++perColumn[qint64(point.x()) / columnMs];
        }
        for (const auto &[column, count] : perColumn)
            QVERIFY2(count <= 4, qPrintable(QString::number(count)));
        QVERIFY(pointCount(segments) <= 4 * (columns + 1));
    }
}

void TestChartsDecimator::sparseDataPassesThrough() {
    TimeSeriesBuffer buffer(10);
    for (int i = 0; i < 10; ++i)
        buffer.append(i * 60'000, double(i));
    const QList<Segment> segments =
        Decimator::decimate(buffer.range(0, 600'000), requestFor(buffer, 1000));
    QCOMPARE(segments.size(), 1);
    QCOMPARE(segments.first().size(), 10);
}

void TestChartsDecimator::nanWiderThanAColumnBreaksTheLine() {
    TimeSeriesBuffer buffer(1000);
    for (int i = 0; i < 1000; ++i)
        buffer.append(i * 1000, (i >= 400 && i < 500) ? NaN : 1.0);
    const DecimationRequest request = requestFor(buffer, 100); // 10 s columns
    const QList<Segment> segments = Decimator::decimate(buffer.range(0, request.toMs), request);
    QCOMPARE(segments.size(), 2);
    QCOMPARE(segments[0].last().x(), 399'000.0);
    QCOMPARE(segments[1].first().x(), 500'000.0);
    for (const Segment &segment : segments)
        for (const QPointF &point : segment)
            QVERIFY(std::isfinite(point.y()));
}

void TestChartsDecimator::nanInsideAColumnDoesNotBreak() {
    TimeSeriesBuffer buffer(1000);
    for (int i = 0; i < 1000; ++i)
        buffer.append(i * 1000, i == 402 ? NaN : 1.0); // column 40 is 400..409 s
    const DecimationRequest request = requestFor(buffer, 100);
    QCOMPARE(Decimator::decimate(buffer.range(0, request.toMs), request).size(), 1);
}

void TestChartsDecimator::timeJumpBreaksWhenAsked() {
    TimeSeriesBuffer buffer(100);
    for (int i = 0; i < 50; ++i)
        buffer.append(i * 1000, 1.0);
    for (int i = 0; i < 50; ++i)
        buffer.append(200'000 + i * 1000, 2.0);
    DecimationRequest request = requestFor(buffer, 500);
    QCOMPARE(Decimator::decimate(buffer.range(0, request.toMs), request).size(), 1);
    request.gapThresholdMs = 10'000;
    const QList<Segment> segments = Decimator::decimate(buffer.range(0, request.toMs), request);
    QCOMPARE(segments.size(), 2);
    QCOMPARE(segments[1].first().y(), 2.0);
}

void TestChartsDecimator::tooManyGapsBridgeTheNarrowest() {
    // Data flapping every 10 s, with one long outage in the middle.
    TimeSeriesBuffer buffer(2000);
    for (int i = 0; i < 2000; ++i) {
        const bool outage = i >= 1000 && i < 1300;
        buffer.append(i * 1000, (outage || (i / 10) % 2 == 1) ? NaN : 1.0);
    }
    DecimationRequest request = requestFor(buffer, 2000);
    request.maxSegments = 4;
    const QList<Segment> segments = Decimator::decimate(buffer.range(0, request.toMs), request);
    QCOMPARE(segments.size(), 4);
    // The outage is the widest gap: it is among those kept.
    bool outageKept = false;
    for (qsizetype i = 1; i < segments.size(); ++i)
        outageKept = outageKept || (segments[i - 1].last().x() < 1'000'000 &&
                                    segments[i].first().x() >= 1'300'000);
    QVERIFY(outageKept);
}

void TestChartsDecimator::emptyAndOnePoint() {
    TimeSeriesBuffer buffer(10);
    DecimationRequest request;
    request.toMs = 1000;
    request.columns = 100;
    QVERIFY(Decimator::decimate(buffer.range(0, 1000), request).isEmpty());

    buffer.append(500, 3.0);
    const QList<Segment> one = Decimator::decimate(buffer.range(0, 1000), request);
    QCOMPARE(one.size(), 1);
    QCOMPARE(one.first().size(), 1);
    QCOMPARE(one.first().first(), QPointF(500, 3.0));

    TimeSeriesBuffer onlyGaps(10);
    for (int i = 0; i < 5; ++i)
        onlyGaps.append(i, NaN);
    QVERIFY(Decimator::decimate(onlyGaps.range(0, 1000), request).isEmpty());

    request.columns = 0; // a degenerate width is one column, not a division by zero
    QCOMPARE(Decimator::decimate(buffer.range(0, 1000), request).size(), 1);
}

void TestChartsDecimator::scalesValues() {
    TimeSeriesBuffer buffer(10);
    buffer.append(0, 0.1);
    buffer.append(1000, 0.25);
    DecimationRequest request = requestFor(buffer, 10);
    request.valueScale = 100;
    const QList<Segment> segments = Decimator::decimate(buffer.range(0, 1000), request);
    QCOMPARE(segments.first().last().y(), 25.0);
}

void TestChartsDecimator::slidingWindowKeepsColumns() {
    // Columns are aligned to absolute time: moving the window by a few samples leaves the
    // columns both windows share unchanged (no shimmering while time runs).
    const TimeSeriesBuffer buffer = noisy(10'000, 1000, 11);
    DecimationRequest first;
    first.fromMs = 0;
    first.toMs = 5'000'000;
    first.columns = 500;
    DecimationRequest moved = first;
    moved.fromMs += 37'000;
    moved.toMs += 37'000;
    const Segment a = Decimator::decimate(buffer.range(first.fromMs, first.toMs), first).first();
    const Segment b = Decimator::decimate(buffer.range(moved.fromMs, moved.toMs), moved).first();
    const qint64 columnMs = Decimator::columnDurationMs(first);
    QList<QPointF> sharedA;
    QList<QPointF> sharedB;
    const double lo = double((moved.fromMs / columnMs + 1) * columnMs);
    const double hi = double((first.toMs / columnMs) * columnMs);
    for (const QPointF &p : a)
        if (p.x() >= lo && p.x() < hi)
            sharedA.append(p);
    for (const QPointF &p : b)
        if (p.x() >= lo && p.x() < hi)
            sharedB.append(p);
    QVERIFY(!sharedA.isEmpty());
    QCOMPARE(sharedA, sharedB);
}

QTEST_APPLESS_MAIN(TestChartsDecimator)
#include "test_charts_decimator.moc"
