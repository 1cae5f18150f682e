// Benchmark: a full refresh and paint of one chart of 12 series × 17,280 points (24 h at 5 s) at
// 1600×1000, median and max over N refreshes, for the ChartPanel (decimated) and for plain Qt
// Charts fed the raw points (the figure to beat). Each iteration appends one sample per series
// (the buffers are full, so the oldest drops out) so no refresh can reuse the previous one.
//
// The baseline is drawn with the panel's own settings, so the ratio is what decimation and the
// panel's polylines buy, not render settings: 1 px cosmetic pens, antialiasing off, the same
// fixed X axis (milliseconds relative to now, -24 h..0) and value range, the same size; with
// --opengl both sides draw through OpenGL (Qt Charts' OpenGL series for the baseline, a GL
// viewport for the panel), where the platform has it (Xvfb: yes; offscreen: no).
//
//   chart_refresh [--runs N] [--plain-runs N] [--png FILE] [--opengl]
//   QT_QPA_PLATFORM=offscreen chart_refresh
//   xvfb-run -a -s '-screen 0 1600x1000x24' chart_refresh

#include "app/config/plan.h"
#include "models/chart_series_model.h"
#include "ui/charts/chart_panel.h"

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QCommandLineParser>
#include <QDateTime>
#include <QElapsedTimer>
#include <QImage>
#include <QLineSeries>
#include <QRandomGenerator>
#include <QValueAxis>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

constexpr int SeriesCount = 12;
constexpr int PointsPerSeries = 17'280; // 24 h at 5 s
constexpr qint64 StepMs = 5000;
constexpr QSize ChartSize(1600, 1000);

double sampleValue(int series, qint64 step, QRandomGenerator &random) {
    return 100 + series * 15 + 20 * std::sin(double(step) / (400.0 + series * 37)) +
           random.bounded(6.0);
}

struct Stats {
    double median = 0;
    double max = 0;
};

Stats statsOf(std::vector<double> samples) {
    if (samples.empty())
        return {};
    std::sort(samples.begin(), samples.end());
    return {samples[samples.size() / 2], samples.back()};
}

double msSince(const QElapsedTimer &timer) {
    return double(timer.nsecsElapsed()) / 1e6;
}

void settle(QWidget &widget) {
    widget.show();
    for (int i = 0; i < 20; ++i)
        QCoreApplication::processEvents();
}

struct PanelFigures {
    Stats total;
    Stats refresh;
    Stats paint;
    qsizetype points = 0;
    bool openGL = false;
    int pixelsPerColumn = 1;
    bool fourPerColumn = false;
};

PanelFigures benchPanel(int runs, bool preferOpenGL, const QString &png) {
    qint64 step = PointsPerSeries;
    const qint64 base = QDateTime::currentMSecsSinceEpoch() / StepMs * StepMs - step * StepMs;
    qint64 now = base + step * StepMs;
    QRandomGenerator random(42);
    cutover::models::ChartSeriesModel model(nullptr, PointsPerSeries);
    model.setClock([&now] { return now; });
    model.setStaleAfter(1h);
    QStringList keys;
    for (int s = 0; s < SeriesCount; ++s) {
        keys.append(u"collector=\"c%1\""_s.arg(s + 1, 2, 10, QChar(u'0')));
        QList<QPointF> points;
        points.reserve(PointsPerSeries);
        for (qint64 i = 0; i < PointsPerSeries; ++i)
            points.append(QPointF(double(base + i * StepMs), sampleValue(s, i, random)));
        model.appendSamples(keys.last(), points);
    }

    cutover::config::Panel config;
    config.id = u"bench"_s;
    config.title = u"Benchmark: 12 series × 17,280 points"_s;
    config.unit = u"per_second"_s;
    cutover::ui::ChartPanel panel(config, &model);
    panel.setOpenGLPreferred(preferOpenGL);
    if (qEnvironmentVariableIsSet("CHART_REFRESH_PIXELS_PER_COLUMN")) // to compare by hand
        panel.setDecimation(cutover::models::DecimationShape::MinMax,
                            qEnvironmentVariableIntValue("CHART_REFRESH_PIXELS_PER_COLUMN"));
    panel.setTimeWindow(24h);
    panel.resize(ChartSize);
    settle(panel);
    panel.refreshNow();
    (void)panel.grab();

    std::vector<double> totals;
    std::vector<double> refreshes;
    std::vector<double> paints;
    QImage frame(ChartSize, QImage::Format_ARGB32_Premultiplied);
    for (int run = 0; run < runs; ++run) {
        now += StepMs;
        ++step;
        for (int s = 0; s < SeriesCount; ++s)
            model.appendSample(keys[s], now, sampleValue(s, step, random));
        // Pending events (the model's coalesced signal, the widget's own repaint) are flushed
        // before the clock starts: the frame measured is one refresh and one paint.
        QCoreApplication::processEvents();
        QElapsedTimer timer;
        timer.start();
        panel.refreshNow();
        const double refreshed = msSince(timer);
        frame.fill(Qt::black);
        panel.render(&frame);
        const double total = msSince(timer);
        totals.push_back(total);
        refreshes.push_back(refreshed);
        paints.push_back(total - refreshed);
    }
    if (!png.isEmpty())
        frame.save(png);
    return {statsOf(totals),
            statsOf(refreshes),
            statsOf(paints),
            panel.pointsInChart(),
            panel.usesOpenGL(),
            panel.pixelsPerColumn(),
            panel.decimationShape() == cutover::models::DecimationShape::FirstMinMaxLast};
}

PanelFigures benchPlainQtCharts(int runs, bool openGL) {
    const qint64 base = QDateTime::currentMSecsSinceEpoch() / StepMs * StepMs;
    QRandomGenerator random(42);
    std::vector<QList<QPointF>> data(SeriesCount);
    for (int s = 0; s < SeriesCount; ++s) {
        data[s].reserve(PointsPerSeries);
        for (qint64 i = 0; i < PointsPerSeries; ++i)
            data[s].append(QPointF(double(base + i * StepMs), sampleValue(s, i, random)));
    }

    auto *chart = new QChart;
    chart->setTheme(QChart::ChartThemeDark);
    chart->setAnimationOptions(QChart::NoAnimation);
    auto *timeAxis = new QValueAxis;
    auto *valueAxis = new QValueAxis;
    chart->addAxis(timeAxis, Qt::AlignBottom);
    chart->addAxis(valueAxis, Qt::AlignLeft);
    std::vector<QLineSeries *> series;
    for (int s = 0; s < SeriesCount; ++s) {
        auto *line = new QLineSeries;
        chart->addSeries(line);
        line->attachAxis(timeAxis);
        line->attachAxis(valueAxis);
        QPen pen(QColor::fromHsv(s * 30, 180, 230), 1);
        pen.setCosmetic(true);
        line->setPen(pen);
        line->setUseOpenGL(openGL);
        series.push_back(line);
    }
    timeAxis->setRange(-double(PointsPerSeries - 1) * StepMs, 0);
    valueAxis->setRange(80, 300);
    QChartView view(chart);
    view.setRenderHint(QPainter::Antialiasing, false);
    view.resize(ChartSize);
    settle(view);

    std::vector<double> totals;
    std::vector<double> refreshes;
    std::vector<double> paints;
    QImage frame(ChartSize, QImage::Format_ARGB32_Premultiplied);
    qint64 step = PointsPerSeries;
    QList<QPointF> relative(PointsPerSeries);
    for (int run = 0; run < runs; ++run) {
        // Slide every series by one sample, as a live chart would.
        for (int s = 0; s < SeriesCount; ++s) {
            data[s].removeFirst();
            data[s].append(QPointF(double(base + step * StepMs), sampleValue(s, step, random)));
        }
        ++step;
        QCoreApplication::processEvents();
        QElapsedTimer timer;
        timer.start();
        // As the panel does: x relative to the newest sample, so the axis never moves.
        const double nowX = data[0].last().x();
        for (int s = 0; s < SeriesCount; ++s) {
            for (int i = 0; i < PointsPerSeries; ++i)
                relative[i] = QPointF(data[s][i].x() - nowX, data[s][i].y());
            series[s]->replace(relative);
        }
        const double refreshed = msSince(timer);
        frame.fill(Qt::black);
        static_cast<QWidget &>(view).render(&frame); // QGraphicsView::render paints the scene only
        const double total = msSince(timer);
        totals.push_back(total);
        refreshes.push_back(refreshed);
        paints.push_back(total - refreshed);
    }
    return {statsOf(totals), statsOf(refreshes), statsOf(paints),
            qsizetype(SeriesCount) * PointsPerSeries, openGL};
}

void printRow(const char *name, const PanelFigures &f) {
    std::printf("%-34s %9.1f %9.1f %11.1f %9.1f %11lld\n", name, f.total.median, f.total.max,
                f.refresh.median, f.paint.median, static_cast<long long>(f.points));
}

} // namespace

int main(int argc, char **argv) {
    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(u"Chart refresh benchmark"_s);
    parser.addHelpOption();
    const QCommandLineOption runsOption(u"runs"_s, u"Refreshes of the panel (50)."_s, u"n"_s,
                                        u"50"_s);
    const QCommandLineOption plainOption(
        u"plain-runs"_s, u"Refreshes of plain Qt Charts (50; 0 skips)."_s, u"n"_s, u"50"_s);
    const QCommandLineOption pngOption(u"png"_s, u"Save the last panel frame here."_s, u"file"_s);
    const QCommandLineOption openGLOption(
        u"opengl"_s, u"Also measure the panel with OpenGL series, where supported."_s);
    parser.addOptions({runsOption, plainOption, pngOption, openGLOption});
    parser.process(app);
    const int runs = std::max(parser.value(runsOption).toInt(), 1);
    const int plainRuns = std::max(parser.value(plainOption).toInt(), 0);

    std::printf("chart_refresh: %d series x %d points (24 h at 5 s), %dx%d, platform %s\n",
                SeriesCount, PointsPerSeries, ChartSize.width(), ChartSize.height(),
                qPrintable(QGuiApplication::platformName()));
    std::printf("%-34s %9s %9s %11s %9s %11s\n", "", "median ms", "max ms", "refresh ms",
                "paint ms", "points");
    const PanelFigures ours = benchPanel(runs, false, parser.value(pngOption));
    printRow("ChartPanel (decimated, raster)", ours);
    std::printf("  decimation: %s per column of %d px\n",
                ours.fourPerColumn ? "first/min/max/last" : "min/max", ours.pixelsPerColumn);
    if (parser.isSet(openGLOption)) {
        if (cutover::ui::ChartPanel::platformSupportsOpenGL())
            printRow("ChartPanel (decimated, OpenGL)", benchPanel(runs, true, QString()));
        else
            std::printf("%-34s not supported on this platform\n", "ChartPanel (OpenGL)");
    }
    if (plainRuns > 0) {
        const PanelFigures plain = benchPlainQtCharts(plainRuns, false);
        printRow("plain Qt Charts (raw, same pens)", plain);
        std::printf("ratio, plain / panel (median): %.1fx\n",
                    plain.total.median / ours.total.median);
        if (parser.isSet(openGLOption) && cutover::ui::ChartPanel::platformSupportsOpenGL()) {
            const PanelFigures oursGL = benchPanel(runs, true, QString());
            const PanelFigures plainGL = benchPlainQtCharts(plainRuns, true);
            printRow("plain Qt Charts (raw, OpenGL)", plainGL);
            std::printf("ratio with OpenGL on both sides (median): %.1fx\n",
                        plainGL.total.median / oursGL.total.median);
        }
    }
    std::printf("target: median and max under 16 ms: %s (runs: %d, plain runs: %d)\n",
                ours.total.max < 16.0 ? "met"
                                      : (ours.total.median < 16.0 ? "median only" : "missed"),
                runs, plainRuns);
    return 0;
}
