#include "app/config/duration.h"

#include <QTest>

using namespace Qt::StringLiterals;
using cutover::config::Duration;

class TestDuration : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parse_data();
    void parse();
    void rejects_data();
    void rejects();
    void printsShortestForm();
};

void TestDuration::parse_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("ms");
    QTest::newRow("seconds") << u"30s"_s << qint64(30'000);
    QTest::newRow("minutes") << u"5m"_s << qint64(300'000);
    QTest::newRow("hours") << u"24h"_s << qint64(86'400'000);
    QTest::newRow("days") << u"7d"_s << qint64(604'800'000);
    QTest::newRow("milliseconds") << u"250ms"_s << qint64(250);
    QTest::newRow("compound") << u"1h30m"_s << qint64(5'400'000);
    QTest::newRow("zero") << u"0"_s << qint64(0);
    QTest::newRow("padded") << u" 2s "_s << qint64(2000);
}

void TestDuration::parse() {
    QFETCH(QString, text);
    QFETCH(qint64, ms);
    const auto value = Duration::parse(text);
    QVERIFY(value.has_value());
    QCOMPARE(value->ms(), ms);
}

void TestDuration::rejects_data() {
    QTest::addColumn<QString>("text");
    for (const char *bad : {"", "5", "5 m", "m5", "-5s", "1.5h", "5min", "5s5", "10x",
                            "99999999999999999999d", "9999999999d"})
        QTest::newRow(bad) << QString::fromLatin1(bad);
}

void TestDuration::rejects() {
    QFETCH(QString, text);
    QVERIFY(!Duration::parse(text).has_value());
}

void TestDuration::printsShortestForm() {
    QCOMPARE(Duration::minutes(5).toString(), u"5m"_s);
    QCOMPARE(Duration::parse(u"90m"_s)->toString(), u"1h30m"_s);
    QCOMPARE(Duration::days(7).toString(), u"7d"_s);
    QCOMPARE(Duration::milliseconds(1500).toString(), u"1s500ms"_s);
    QCOMPARE(Duration().toString(), u"0s"_s);
    QCOMPARE(Duration::hours(72).toString(), u"72h"_s);
    QCOMPARE(Duration::days(30).toString(), u"30d"_s);
}

QTEST_GUILESS_MAIN(TestDuration)
#include "test_duration.moc"
