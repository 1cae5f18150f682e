// The ring buffer behind every chart series: bounded, in time order, searchable by time.

#include "models/time_series_buffer.h"

#include <QTest>

#include <cmath>
#include <limits>

using cutover::models::TimePoint;
using cutover::models::TimeSeriesBuffer;
using cutover::models::TimeSeriesSlice;

class TestChartsBuffer : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void appendsInOrder();
    void wrapsAroundKeepingTheNewest();
    void sameTimestampReplacesOlderIsDropped();
    void rangeQueriesByTime();
    void rangeAcrossTheWrapIsTwoRuns();
    void rangeWithNeighbours();
    void emptyBuffer();
    void keepsNaNAsAGap();
    void historyGoesBeforeLiveSamples();
    void historyOverCapacityKeepsTheNewest();
    void historyIntoAWrappedBuffer();
};

void TestChartsBuffer::appendsInOrder() {
    TimeSeriesBuffer buffer(10);
    for (int i = 0; i < 5; ++i)
        QVERIFY(buffer.append(1000 * i, i * 1.5));
    QCOMPARE(buffer.size(), 5);
    QCOMPARE(buffer.first().timestampMs, 0);
    QCOMPARE(buffer.last().value, 6.0);
}

void TestChartsBuffer::wrapsAroundKeepingTheNewest() {
    TimeSeriesBuffer buffer(4);
    for (int i = 0; i < 11; ++i)
        buffer.append(i * 10, double(i));
    QCOMPARE(buffer.size(), 4);
    QCOMPARE(buffer.capacity(), 4);
    for (int i = 0; i < 4; ++i) {
        QCOMPARE(buffer.at(i).timestampMs, qint64((7 + i) * 10));
        QCOMPARE(buffer.at(i).value, double(7 + i));
    }
}

void TestChartsBuffer::sameTimestampReplacesOlderIsDropped() {
    TimeSeriesBuffer buffer(4);
    buffer.append(100, 1);
    QVERIFY(buffer.append(100, 2));
    QCOMPARE(buffer.size(), 1);
    QCOMPARE(buffer.last().value, 2.0);
    QVERIFY(!buffer.append(50, 3));
    QCOMPARE(buffer.size(), 1);
}

void TestChartsBuffer::rangeQueriesByTime() {
    TimeSeriesBuffer buffer(100);
    for (int i = 0; i < 50; ++i)
        buffer.append(i * 1000, double(i));
    QCOMPARE(buffer.lowerBound(10'000), 10);
    QCOMPARE(buffer.lowerBound(10'001), 11);
    QCOMPARE(buffer.upperBound(10'000), 11);
    QCOMPARE(buffer.lowerBound(-5), 0);
    QCOMPARE(buffer.lowerBound(1'000'000), 50);

    const TimeSeriesSlice slice = buffer.range(10'000, 20'000);
    QCOMPARE(slice.size(), 11);
    QCOMPARE(slice[0].timestampMs, 10'000);
    QCOMPARE(slice[10].timestampMs, 20'000);
    QVERIFY(buffer.range(100'000, 200'000).isEmpty());
}

void TestChartsBuffer::rangeAcrossTheWrapIsTwoRuns() {
    TimeSeriesBuffer buffer(10);
    for (int i = 0; i < 17; ++i) // physical start moves to 7
        buffer.append(i * 1000, double(i));
    QCOMPARE(buffer.first().timestampMs, 7000);
    QCOMPARE(buffer.lowerBound(12'000), 5);
    const TimeSeriesSlice slice = buffer.range(8000, 15'000);
    QCOMPARE(slice.size(), 8);
    QVERIFY(!slice.head().empty());
    QVERIFY(!slice.tail().empty());
    for (qsizetype i = 0; i < slice.size(); ++i)
        QCOMPARE(slice[i].timestampMs, qint64(8000 + i * 1000));
}

void TestChartsBuffer::rangeWithNeighbours() {
    TimeSeriesBuffer buffer(10);
    for (int i = 0; i < 10; ++i)
        buffer.append(i * 1000, double(i));
    const TimeSeriesSlice slice = buffer.range(3500, 5500, true);
    QCOMPARE(slice.size(), 4); // 3000 (neighbour), 4000, 5000, 6000 (neighbour)
    QCOMPARE(slice[0].timestampMs, 3000);
    QCOMPARE(slice[3].timestampMs, 6000);
    QCOMPARE(buffer.range(0, 9000, true).size(), 10); // no neighbours past the ends
}

void TestChartsBuffer::emptyBuffer() {
    TimeSeriesBuffer buffer(3);
    QVERIFY(buffer.isEmpty());
    QCOMPARE(buffer.lowerBound(0), 0);
    QVERIFY(buffer.range(0, 100, true).isEmpty());
    buffer.append(1, 1);
    buffer.clear();
    QVERIFY(buffer.isEmpty());
    QVERIFY(buffer.append(0, 1)); // an older timestamp is fine again after clear()
}

void TestChartsBuffer::keepsNaNAsAGap() {
    TimeSeriesBuffer buffer(3);
    buffer.append(1, std::numeric_limits<double>::quiet_NaN());
    QCOMPARE(buffer.size(), 1);
    QVERIFY(std::isnan(buffer.last().value));
}

void TestChartsBuffer::historyGoesBeforeLiveSamples() {
    TimeSeriesBuffer buffer(10);
    buffer.append(5000, 5);
    buffer.append(6000, 6);
    // Unsorted, repeated and overlapping points are left out; the rest goes first.
    const std::vector<TimePoint> history{{1000, 1}, {2000, 2},  {2000, 9}, {1500, 9},
                                         {3000, 3}, {5000, 50}, {7000, 70}};
    QCOMPARE(buffer.mergeOlder(history), 3);
    QCOMPARE(buffer.size(), 5);
    const qint64 expected[] = {1000, 2000, 3000, 5000, 6000};
    for (int i = 0; i < 5; ++i)
        QCOMPARE(buffer.at(i).timestampMs, expected[i]);
    QCOMPARE(buffer.at(3).value, 5.0); // the live sample, not the history's
    // Still a working ring afterwards.
    QVERIFY(buffer.append(7000, 7));
    QCOMPARE(buffer.last().timestampMs, 7000);
    QCOMPARE(buffer.lowerBound(2500), 2);
}

void TestChartsBuffer::historyOverCapacityKeepsTheNewest() {
    TimeSeriesBuffer buffer(4);
    buffer.append(10'000, 10);
    std::vector<TimePoint> history;
    for (int i = 0; i < 6; ++i)
        history.push_back({qint64(i) * 1000, double(i)});
    QCOMPARE(buffer.mergeOlder(history), 3); // 6 offered, 3 fit beside the live one
    QCOMPARE(buffer.size(), 4);
    QCOMPARE(buffer.first().timestampMs, 3000);
    QCOMPARE(buffer.last().timestampMs, 10'000);
    // Into an empty buffer, everything (up to capacity).
    TimeSeriesBuffer empty(10);
    QCOMPARE(empty.mergeOlder(history), 6);
    QCOMPARE(empty.last().value, 5.0);
}

void TestChartsBuffer::historyIntoAWrappedBuffer() {
    TimeSeriesBuffer buffer(4);
    for (int i = 10; i < 16; ++i) // wrapped: holds 12..15
        buffer.append(i * 1000, double(i));
    QCOMPARE(buffer.first().timestampMs, 12'000);
    const std::vector<TimePoint> history{{1000, 1}, {2000, 2}};
    QCOMPARE(buffer.mergeOlder(history), 0); // full of newer points: history has no room
    QCOMPARE(buffer.first().timestampMs, 12'000);
    QCOMPARE(buffer.last().timestampMs, 15'000);
    QVERIFY(buffer.append(16'000, 16));
    QCOMPARE(buffer.first().timestampMs, 13'000);
}

QTEST_APPLESS_MAIN(TestChartsBuffer)
#include "test_charts_buffer.moc"
