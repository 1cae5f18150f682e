// The chart panel, offscreen, on an injected clock: it draws the data, the window selector works
// from the keyboard, stale series are flagged, hover reads values out, a burst of samples costs
// one redraw, and the band and stage markers are drawn.
//
// Set CHART_PANEL_PNG_DIR to save what the panel looks like (dark and light, 1366×768 share).

#include "app/config/plan.h"
#include "models/chart_series_model.h"
#include "ui/charts/chart_panel.h"
#include "ui/charts/unit_format.h"

#include <QAreaSeries>
#include <QCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDir>
#include <QGraphicsSimpleTextItem>
#include <QGraphicsTextItem>
#include <QLabel>
#include <QLineSeries>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QValueAxis>

#include <cmath>
#include <limits>
#include <memory>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using cutover::models::ChartSeriesModel;
using cutover::ui::ChartPanel;

namespace {

const QString Otel = u"system=\"otel\""_s;
const QString Legacy = u"system=\"legacy\""_s;

cutover::config::Panel ratioPanel() {
    cutover::config::Panel panel;
    panel.id = u"legacy_vs_otel_traffic_ratio"_s;
    panel.title = u"Legacy vs OTel traffic ratio"_s;
    panel.unit = u"ratio"_s;
    return panel;
}

cutover::config::Stage stage(int percent) {
    cutover::config::Stage s;
    s.percent = percent;
    s.tolerance = 0.2;
    return s;
}

// The X axis is relative to now (0 at the right edge): its span is the window.
qint64 spanMs(const ChartPanel &panel) {
    return qint64(panel.timeAxis()->max() - panel.timeAxis()->min());
}

} // namespace

class TestChartPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void showsData();
    void linesAreDrawnWhereTheAxesSay();
    void windowSwitchByKeyboard();
    void staleLabelWhenDataStops();
    void hoverShowsTheNearestValue();
    void burstOfSamplesIsOneRedraw();
    void bandMarkersAndGaps();
    void themesAndPlatform();
    void savePictures();
    void axisLabelsAreNumbers_data();
    void axisLabelsAreNumbers();

private:
    void feedHour(double otelShare, qint64 untilMs);

    qint64 m_now = 0;
    std::unique_ptr<ChartSeriesModel> m_model;
    std::unique_ptr<ChartPanel> m_panel;
};

void TestChartPanel::init() {
    // A fixed local noon, so the read-out's clock text is predictable.
    m_now = QDateTime(QDate(2024, 5, 14), QTime(12, 0)).toMSecsSinceEpoch();
    m_model = std::make_unique<ChartSeriesModel>();
    m_model->setClock([this] { return m_now; });
    m_model->setStaleAfter(30s);
    m_panel = std::make_unique<ChartPanel>(ratioPanel(), m_model.get());
    m_panel->resize(900, 420);
    m_panel->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_panel.get()));
}

void TestChartPanel::cleanup() {
    m_panel.reset();
    m_model.reset();
}

void TestChartPanel::feedHour(double otelShare, qint64 untilMs) {
    QList<QPointF> otel;
    QList<QPointF> legacy;
    for (qint64 t = untilMs - 3600'000; t <= untilMs; t += 1000) {
        otel.append(QPointF(double(t), otelShare));
        legacy.append(QPointF(double(t), 1.0 - otelShare));
    }
    m_model->appendSamples(Otel, otel);
    m_model->appendSamples(Legacy, legacy);
}

// The data lines are drawn by the panel's own polyline items, not by Qt Charts: they must land
// where the axes say. Pixels are read from a grab of the real widget.
void TestChartPanel::linesAreDrawnWhereTheAxesSay() {
    feedHour(0.1, m_now); // OTel at 10%, legacy at 90%
    QTRY_VERIFY(m_panel->pointsInChart() > 0 && !m_panel->refreshPending());
    QLineSeries *target = nullptr;
    for (QAbstractSeries *series : m_panel->chart()->series())
        if (series->name() == u"target"_s)
            target = static_cast<QLineSeries *>(series);
    QVERIFY(target);
    const QImage image = m_panel->grab().toImage();
    // Where a value sits, in the panel's pixels, half-way along the time axis.
    auto pixelOf = [&](double value) {
        const QPointF inChart =
            m_panel->chart()->mapToPosition(QPointF(-1800'000.0, value), target);
        const QPoint inView =
            m_panel->chartView()->mapFromScene(m_panel->chart()->mapToScene(inChart));
        return m_panel->chartView()->viewport()->mapTo(m_panel.get(), inView);
    };
    // A data line is saturated colour; background, grid and axes are grey.
    auto lineNear = [&](QPoint at) {
        for (int dy = -2; dy <= 2; ++dy) {
            const QPoint p(at.x(), at.y() + dy);
            if (image.rect().contains(p) && QColor(image.pixel(p)).hsvSaturationF() > 0.4)
                return true;
        }
        return false;
    };
    const QPoint otel = pixelOf(10.0);
    const QPoint legacy = pixelOf(90.0);
    const QPoint between = pixelOf(50.0);
    QVERIFY2(otel.y() > between.y() && between.y() > legacy.y(), "the value axis grows upwards");
    QVERIFY2(lineNear(otel),
             qPrintable(u"no line at 10 percent (%1,%2)"_s.arg(otel.x()).arg(otel.y())));
    QVERIFY2(lineNear(legacy), "no line at 90%");
    QVERIFY2(!lineNear(between), "a line at 50%, where there is no data");
}

void TestChartPanel::showsData() {
    feedHour(0.1, m_now);
    QTRY_VERIFY(m_panel->pointsInChart() > 0);
    QVERIFY(m_panel->pointsInChart() <= 2 * 4 * 1000); // decimated to the plot's columns
    QCOMPARE(m_panel->visibleToMs(), m_now);
    QCOMPARE(m_panel->timeAxis()->max(), 0.0);
    QCOMPARE(spanMs(*m_panel), 3600'000);
    // A ratio is shown in percent: 10% and 90% both inside the Y axis.
    QVERIFY(m_panel->valueAxis()->min() <= 10.0);
    QVERIFY(m_panel->valueAxis()->max() >= 90.0);
    QCOMPARE(m_panel->valueAxis()->titleText(), u"%"_s);
    QVERIFY(!m_panel->staleLabel()->isVisible());
    QVERIFY(m_panel->readoutLabel()->text().contains(u"otel <b>10.0%</b>"_s));
    QVERIFY(m_panel->readoutLabel()->text().contains(u"legacy <b>90.0%</b>"_s));
    QCOMPARE(m_panel->chart()->legend()->isVisible(), true);
}

void TestChartPanel::windowSwitchByKeyboard() {
    feedHour(0.1, m_now);
    QTRY_VERIFY(m_panel->pointsInChart() > 0);
    QComboBox *selector = m_panel->windowSelector();
    QVERIFY(!selector->accessibleName().isEmpty());
    QCOMPARE(selector->focusPolicy() & Qt::TabFocus, Qt::TabFocus);
    selector->setFocus();
    QSignalSpy windowChanged(m_panel.get(), &ChartPanel::timeWindowChanged);

    QTest::keyClick(selector, Qt::Key_Down);
    QCOMPARE(windowChanged.size(), 1);
    QCOMPARE(spanMs(*m_panel), 6 * 3600'000);
    QTest::keyClick(selector, Qt::Key_Down);
    QCOMPARE(spanMs(*m_panel), 24 * 3600'000);
    QTest::keyClick(selector, Qt::Key_Home);
    QCOMPARE(spanMs(*m_panel), 15 * 60'000);
    // Ticks on round clock times (every 2 or 5 minutes here, by width), in the window.
    const QStringList labels = m_panel->timeAxis()->categoriesLabels();
    QVERIFY2(labels.size() >= 3 && labels.contains(u"11:50"_s), qPrintable(labels.join(u' ')));
    for (const QString &label : labels)
        QVERIFY(label >= u"11:45"_s && label < u"12:00"_s);
}

void TestChartPanel::staleLabelWhenDataStops() {
    feedHour(0.1, m_now);
    QTRY_VERIFY(m_panel->pointsInChart() > 0);
    QVERIFY(!m_panel->staleLabel()->isVisible());

    // Legacy keeps answering, OTel stops: only OTel is named.
    const qint64 lastOtel = m_now;
    m_now += 45'000;
    m_model->appendSample(Legacy, m_now, 0.9);
    m_model->checkStaleness();
    const QString since = QDateTime::fromMSecsSinceEpoch(lastOtel).toString(u"HH:mm:ss"_s);
    QTRY_VERIFY(m_panel->staleLabel()->isVisible());
    QCOMPARE(m_panel->staleLabel()->text(), u"⚠ no data: otel since %1"_s.arg(since));

    // Then everything stops.
    m_now += 60'000;
    m_model->checkStaleness();
    const QString legacySince =
        QDateTime::fromMSecsSinceEpoch(m_now - 60'000).toString(u"HH:mm:ss"_s);
    QTRY_COMPARE(m_panel->staleLabel()->text(), u"⚠ no data since %1"_s.arg(legacySince));

    // Data again: the warning goes.
    m_model->appendSample(Otel, m_now, 0.1);
    m_model->appendSample(Legacy, m_now, 0.9);
    QTRY_VERIFY(!m_panel->staleLabel()->isVisible());
}

void TestChartPanel::hoverShowsTheNearestValue() {
    // OTel's share: 10% for the first half of the hour, 25% for the second.
    QList<QPointF> otel;
    for (qint64 t = m_now - 3600'000; t <= m_now; t += 1000)
        otel.append(QPointF(double(t), t < m_now - 1800'000 ? 0.10 : 0.25));
    m_model->appendSamples(Otel, otel);
    QTRY_VERIFY(m_panel->pointsInChart() > 0);

    QChart *chart = m_panel->chart();
    const QRectF plot = chart->plotArea();
    QWidget *viewport = m_panel->chartView()->viewport();
    auto toViewport = [&](double fraction) {
        const QPointF inChart(plot.left() + plot.width() * fraction, plot.center().y());
        return m_panel->chartView()->mapFromScene(chart->mapToScene(inChart));
    };
    QTest::mouseMove(viewport, toViewport(0.25));
    QTRY_VERIFY(m_panel->readoutLabel()->text().contains(u"otel <b>10.0%</b>"_s));
    QTest::mouseMove(viewport, toViewport(0.75));
    QTRY_VERIFY(m_panel->readoutLabel()->text().contains(u"otel <b>25.0%</b>"_s));
    // The time under the mouse is in the read-out: 3/4 into the last hour is 11:45.
    QVERIFY2(m_panel->readoutLabel()->text().startsWith(u"11:4"_s),
             qPrintable(m_panel->readoutLabel()->text()));
}

void TestChartPanel::burstOfSamplesIsOneRedraw() {
    feedHour(0.1, m_now);
    QTRY_VERIFY(m_panel->pointsInChart() > 0);
    QTRY_VERIFY(!m_panel->refreshPending()); // the resize's refresh has run
    QSignalSpy refreshed(m_panel.get(), &ChartPanel::refreshed);

    // 1,000 samples arrive at once, one call each (the worst case for the monitor).
    for (int i = 1; i <= 1000; ++i)
        m_model->appendSample(i % 2 ? Otel : Legacy, m_now + i * 10, i % 2 ? 0.1 : 0.9);
    QCOMPARE(refreshed.size(), 0);
    QTRY_COMPARE(refreshed.size(), 1);
    QVERIFY(!m_panel->refreshPending()); // and no second one is coming
    QCOMPARE(refreshed.size(), 1);
}

void TestChartPanel::bandMarkersAndGaps() {
    m_model->addStageChange(m_now - 3000'000, stage(10));
    m_model->addStageChange(m_now - 1200'000, stage(25));
    QList<QPointF> otel;
    for (qint64 t = m_now - 3600'000; t <= m_now; t += 1000) {
        const bool outage = t > m_now - 2400'000 && t < m_now - 2100'000; // 5 minutes
        const double share = t < m_now - 1200'000 ? 0.1 : 0.25;
        otel.append(QPointF(double(t), outage ? std::numeric_limits<double>::quiet_NaN() : share));
    }
    m_model->appendSamples(Otel, otel);
    QTRY_VERIFY(m_panel->pointsInChart() > 0);

    // The band spans the target ± tolerance of each stage, in percent.
    QAreaSeries *band = nullptr;
    QLineSeries *target = nullptr;
    for (QAbstractSeries *series : m_panel->chart()->series()) {
        if (auto *area = qobject_cast<QAreaSeries *>(series))
            band = area;
        else if (series->name() == u"target"_s)
            target = static_cast<QLineSeries *>(series);
    }
    QVERIFY(band && target);
    QCOMPARE(band->upperSeries()->at(0).y(), 12.0);
    QCOMPARE(band->lowerSeries()->at(0).y(), 8.0);
    QCOMPARE(band->upperSeries()->points().last().y(), 30.0);
    QCOMPARE(target->points().last().y(), 25.0);
    // The outage is a break: two line segments for one series.
    QCOMPARE(m_panel->segmentsInChart(), 2);

    // Two stage markers with their labels, inside the plot.
    QStringList labels;
    for (QGraphicsItem *item : m_panel->chart()->childItems()) {
        for (QGraphicsItem *child : item->childItems()) {
            if (auto *text = dynamic_cast<QGraphicsSimpleTextItem *>(child);
                text && item->isVisible())
                labels.append(text->text());
        }
    }
    labels.sort();
    QCOMPARE(labels, (QStringList{u"→ 10%"_s, u"→ 25%"_s}));
}

void TestChartPanel::themesAndPlatform() {
    QCOMPARE(m_panel->chart()->theme(), QChart::ChartThemeDark);
    QVERIFY(m_panel->isDarkTheme());
    m_panel->setDarkTheme(false);
    QCOMPARE(m_panel->chart()->theme(), QChart::ChartThemeLight);
    // Offscreen, Qt Charts' OpenGL series crash: never used there (ctest runs offscreen).
    if (QGuiApplication::platformName() == u"offscreen"_s)
        QVERIFY(!ChartPanel::platformSupportsOpenGL());
    m_panel->setOpenGLPreferred(true);
    QCOMPARE(m_panel->usesOpenGL(), ChartPanel::platformSupportsOpenGL());
    m_panel->setOpenGLPreferred(false);
    QVERIFY(!m_panel->usesOpenGL());
    QVERIFY(!m_panel->chartView()->accessibleName().isEmpty());
    QVERIFY(!m_panel->readoutLabel()->accessibleName().isEmpty());
}

void TestChartPanel::savePictures() {
    // CHART_PANEL_PNG_DIR keeps the pictures; without it they go to a temporary folder, so
    // that drawing and saving are still checked (never a skip that hides the other tests).
    QTemporaryDir scratch;
    QString dir = qEnvironmentVariable("CHART_PANEL_PNG_DIR");
    if (dir.isEmpty()) {
        QVERIFY(scratch.isValid());
        dir = scratch.path();
    }
    m_model->addStageChange(m_now - 5400'000, stage(10));
    m_model->addStageChange(m_now - 1500'000, stage(25));
    QList<QPointF> otel;
    QList<QPointF> legacy;
    // OTel stopped answering two minutes ago (stale); legacy is current.
    for (qint64 t = m_now - 7200'000; t <= m_now; t += 5000) {
        const double target = t < m_now - 5400'000 ? 0.0 : t < m_now - 1500'000 ? 0.1 : 0.25;
        const double noise = std::sin(double(t) / 47'000.0) * 0.008;
        const bool outage = t > m_now - 3000'000 && t < m_now - 2700'000;
        if (t <= m_now - 120'000)
            otel.append(QPointF(double(t), outage ? std::nan("") : target + noise));
        legacy.append(QPointF(double(t), outage ? std::nan("") : 1.0 - target - noise));
    }
    m_model->appendSamples(Otel, otel);
    m_model->appendSamples(Legacy, legacy);
    m_model->checkStaleness();
    m_panel->setTimeWindow(6h);
    // A share of a 1366×768 screen: two panels side by side under a header.
    m_panel->resize(660, 300);
    QTRY_VERIFY(m_panel->pointsInChart() > 0 && !m_panel->refreshPending());
    QVERIFY(m_panel->grab().save(QDir(dir).filePath(u"chart_panel_dark.png"_s)));
    m_panel->setDarkTheme(false);
    m_panel->resize(1200, 500);
    QTRY_VERIFY(!m_panel->refreshPending());
    const QPointF inChart(m_panel->chart()->plotArea().left() +
                              m_panel->chart()->plotArea().width() * 0.8,
                          m_panel->chart()->plotArea().center().y());
    QTest::mouseMove(m_panel->chartView()->viewport(),
                     m_panel->chartView()->mapFromScene(m_panel->chart()->mapToScene(inChart)));
    QTRY_VERIFY(!m_panel->readoutLabel()->text().isEmpty());
    QVERIFY(m_panel->grab().save(QDir(dir).filePath(u"chart_panel_light.png"_s)));
}

void TestChartPanel::axisLabelsAreNumbers_data() {
    QTest::addColumn<QString>("unit");
    QTest::addColumn<double>("value");
    QTest::addColumn<QSize>("size");
    // A panel of the war room's grid at 1366×768 is about 440×260.
    for (const QSize size : {QSize(440, 260), QSize(900, 420), QSize(440, 170), QSize(320, 150)}) {
        const QString at = u" %1x%2"_s.arg(size.width()).arg(size.height());
        QTest::newRow(qPrintable(u"ratio at 0"_s + at)) << u"ratio"_s << 0.0 << size;
        QTest::newRow(qPrintable(u"ratio flat 10%"_s + at)) << u"ratio"_s << 0.1 << size;
        QTest::newRow(qPrintable(u"ratio at 100%"_s + at)) << u"ratio"_s << 1.0 << size;
        QTest::newRow(qPrintable(u"percent at 0"_s + at)) << u"percent"_s << 0.0 << size;
        QTest::newRow(qPrintable(u"rate at 0/s"_s + at)) << u"per_second"_s << 0.0 << size;
        QTest::newRow(qPrintable(u"rate 0.004/s"_s + at)) << u"per_second"_s << 0.004 << size;
        QTest::newRow(qPrintable(u"latency 2.5 s"_s + at)) << u"seconds"_s << 2.5 << size;
        QTest::newRow(qPrintable(u"bytes 3 GiB"_s + at)) << u"bytes"_s << 3.0 * (1 << 30) << size;
    }
}

// Every label of the value axis is a number, never cut to "…" (Qt Charts elides a label that
// does not fit the width it was given), whatever the unit and however flat the data.
void TestChartPanel::axisLabelsAreNumbers() {
    QFETCH(QString, unit);
    QFETCH(double, value);
    QFETCH(QSize, size);
    cutover::config::Panel panel = ratioPanel();
    panel.unit = unit;
    ChartSeriesModel model;
    model.setClock([this] { return m_now; });
    ChartPanel chart(panel, &model);
    chart.resize(size);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    QList<QPointF> points;
    for (qint64 t = m_now - 600'000; t <= m_now; t += 1000)
        points.append(QPointF(double(t), value));
    model.appendSamples(Otel, points);
    QTRY_VERIFY(chart.pointsInChart() > 0 && !chart.refreshPending());
    (void)chart.grab(); // lays the chart out as it is painted
    QStringList labels;
    for (QGraphicsItem *item : chart.chart()->scene()->items()) {
        QString text;
        if (auto *rich = dynamic_cast<QGraphicsTextItem *>(item))
            text = rich->toPlainText();
        else if (auto *simple = dynamic_cast<QGraphicsSimpleTextItem *>(item))
            text = simple->text();
        if (item->isVisible() && !text.isEmpty())
            labels.append(text);
    }
    const QString all = labels.join(u" | "_s);
    QVERIFY2(!all.contains(u'…') && !all.contains(u"..."_s), qPrintable(all));
    // The axis shows at least two numbers around the value.
    const double scaled = value * cutover::ui::UnitFormat::forUnit(unit).scale;
    QVERIFY2(chart.valueAxis()->min() <= scaled && scaled <= chart.valueAxis()->max(),
             qPrintable(u"%1 outside %2..%3"_s.arg(scaled)
                            .arg(chart.valueAxis()->min())
                            .arg(chart.valueAxis()->max())));
    QVERIFY(chart.valueAxis()->max() > chart.valueAxis()->min());
}

QTEST_MAIN(TestChartPanel)
#include "test_chart_panel.moc"
