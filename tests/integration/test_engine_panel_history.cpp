// Chart history on the lab: a console that opens mid-cutover asks Prometheus (query_range) for
// each panel's last 6 h, so its charts show what happened before it started. Every panel must
// answer, points come in time order on the 5 s step grid, none is in the future, and the
// traffic-ratio panel has real values once Prometheus has scraped the lab for a few steps.

#include "tests/support/engine_test_support.h"

#include <QTemporaryDir>

#include <cmath>

using namespace cutover;
using namespace enginetest;

class TestEnginePanelHistory : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyPanelGetsItsHistory();
};

void TestEnginePanelHistory::everyPanelGetsItsHistory() {
    const auto state = lab::loadState();
    REQUIRE_LAB(state);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto plan = labPlanWithOperators(state, dir.path());
    QVERIFY(plan);
    QStringList panels;
    for (const auto &group : plan->panelGroups)
        for (const auto &panel : group.panels)
            panels.append(panel.id);
    QVERIFY(panels.contains(u"legacy_vs_otel_traffic_ratio"_s));

    Console console;
    QVERIFY(console.open(*plan, dir.filePath(u"store.sqlite"_s)));
    QHash<QString, QList<backends::PromSeries>> answers;
    connect(console.engine.get(), &CutoverEngine::panelHistory, this,
            [&](const QString &environment, const QString &panel,
                const QList<backends::PromSeries> &series) {
                if (environment == kEnv)
                    answers.insert(panel, series);
            });
    const auto ratioPoints = [&] {
        qsizetype most = 0;
        for (const auto &series : answers.value(u"legacy_vs_otel_traffic_ratio"_s))
            most = std::max(most, series.points.size());
        return most;
    };

    // Prometheus has scraped the lab since it started; ask again until it holds a few steps.
    QDateTime asked;
    QElapsedTimer since;
    const bool enough = QTest::qWaitFor(
        [&] {
            if (answers.size() == panels.size() && ratioPoints() >= 3)
                return true;
            if (!asked.isValid() || (answers.size() == panels.size() && since.elapsed() > 2000)) {
                answers.clear();
                asked = QDateTime::currentDateTimeUtc();
                since.start();
                console.engine->requestPanelHistory(kEnv, CutoverEngine::kPanelHistorySpan);
            }
            return false;
        },
        90'000);
    QVERIFY2(enough,
             qPrintable(u"%1 of %2 panels answered; ratio panel has %3 points"_s.arg(answers.size())
                            .arg(panels.size())
                            .arg(ratioPoints())));

    qsizetype total = 0;
    for (auto it = answers.cbegin(); it != answers.cend(); ++it) {
        for (const backends::PromSeries &series : it.value()) {
            total += series.points.size();
            for (qsizetype i = 0; i < series.points.size(); ++i) {
                const double t = series.points.at(i).time;
                QVERIFY2(t * 1000 <= double(asked.toMSecsSinceEpoch()) + 1000,
                         qPrintable(it.key()));
                if (i == 0)
                    continue;
                // In time order on the 5 s grid; Prometheus leaves out steps without data.
                const qint64 gapMs = qRound64((t - series.points.at(i - 1).time) * 1000);
                QVERIFY2(gapMs > 0 && gapMs % 5000 == 0,
                         qPrintable(u"%1: %2 ms between points"_s.arg(it.key()).arg(gapMs)));
            }
        }
    }
    bool finite = false;
    for (const auto &series : answers.value(u"legacy_vs_otel_traffic_ratio"_s))
        for (const auto &point : series.points)
            finite = finite || std::isfinite(point.value);
    QVERIFY(finite);
    qInfo() << "history:" << answers.size() << "panels," << total << "points; ratio panel"
            << ratioPoints() << "points";
}

QTEST_GUILESS_MAIN(TestEnginePanelHistory)
#include "test_engine_panel_history.moc"
