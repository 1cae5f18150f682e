// The ring buffer behind every chart series: bounded, in time order, searchable by time.

#include "models/time_series_buffer.h"

#include <QTest>

#include <cmath>
#include <limits>

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

QTEST_APPLESS_MAIN(TestChartsBuffer)
#include "test_charts_buffer.moc"
