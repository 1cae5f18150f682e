#pragma once

#include "app/config/plan.h"
#include "models/decimator.h"
#include "ui/charts/unit_format.h"

#include <QColor>
#include <QList>
#include <QTimer>
#include <QWidget>

#include <chrono>
#include <memory>

class QAreaSeries;
class QChart;
class QChartView;
class QComboBox;
class QCategoryAxis;
class QGraphicsLineItem;
class QLabel;
class QLineSeries;
class QValueAxis;

namespace cutover::models {
class ChartSeriesModel;
}

namespace cutover::ui {

// One chart of the plan (a config::Panel) drawing a ChartSeriesModel with Qt Charts.
//
// Data path, built for 12 series × 17,280 points in one 60 Hz frame: the model's changed() arms a
// ~16 ms single-shot timer (at most one refresh per frame, whatever the sample rate); a refresh
// decimates each series to the plot's pixel width (models::Decimator; M4 while the points fit a
// budget, else min/max over 1–n px columns) and hands each line segment (a gap is a break between
// two QLineSeries) to Qt Charts with one QXYSeries::replace(). The X axis is time relative to now
// with a fixed range, so Qt Charts lays out each series once per refresh instead of once for the
// axis move and again for the new points. Dense lines: 1 px cosmetic pen, no antialiasing.
// OpenGL series only on request and where the platform supports them (never offscreen, where
// Qt Charts crashes).
//
// Around the plot: the title, a keyboard-accessible window selector (15 min / 1 h / 6 h / 24 h),
// a "no data since …" label for stale series (also drawn dashed and grey), a hover read-out of
// the nearest sample of every series, the target line and tolerance band, and stage markers.
class ChartPanel : public QWidget {
    Q_OBJECT
public:
    // The model is not owned; it must outlive the panel.
    ChartPanel(const config::Panel &panel, models::ChartSeriesModel *model,
               QWidget *parent = nullptr);
    ~ChartPanel() override;

    const config::Panel &panel() const { return m_panel; }
    models::ChartSeriesModel *model() const { return m_model; }
    const UnitFormat &unitFormat() const { return m_unit; }

    // The windows the selector offers, shortest first.
    static QList<std::chrono::minutes> availableWindows();
    std::chrono::milliseconds timeWindow() const { return m_window; }
    void setTimeWindow(std::chrono::milliseconds window);

    void setDarkTheme(bool dark);
    bool isDarkTheme() const { return m_dark; }
    void setLegendVisible(bool visible);
    // A jump between two samples longer than this breaks the line even without a NaN (0: off).
    void setGapThreshold(std::chrono::milliseconds threshold);
    // How far each series is reduced. By default the panel keeps the points it hands to Qt
    // Charts under a budget (Qt Charts lays out and paints ~1 µs a point): M4 at one column per
    // pixel while series × 4 × width fits, else min/max over columns as narrow as fit. Setting
    // a shape and a column width fixes them instead; a budget of 0 returns to automatic.
    void setDecimation(models::DecimationShape shape, int pixelsPerColumn);
    void setPointBudget(int points);
    int pointBudget() const { return m_pointBudget; }
    models::DecimationShape decimationShape() const { return m_shape; }
    int pixelsPerColumn() const { return m_pixelsPerColumn; }
    // Uses OpenGL line series when `preferred` and the platform supports it. Off by default: the
    // decimated raster path fits a frame (chart_refresh), OpenGL series ignore dashed pens (the
    // stale style), and under Xvfb's llvmpipe they were slower (10.8 ms median, 36 ms max
    // against 8.6 / 13.5 ms raster). Worth trying on a desktop with a real GPU.
    void setOpenGLPreferred(bool preferred);
    bool usesOpenGL() const { return m_openGL; }
    static bool platformSupportsOpenGL();

    // Refreshes now instead of at the next frame (the window selector and the benchmark use it).
    void refreshNow();
    int refreshCount() const { return m_refreshCount; }
    // A refresh is scheduled (next frame, or when shown): tests wait on this instead of a sleep.
    bool refreshPending() const { return m_refreshTimer.isActive() || m_pendingWhileHidden; }
    qsizetype pointsInChart() const;   // over every data line segment, for tests and the bench
    qsizetype segmentsInChart() const; // data line segments (a gap breaks a line in two)

    // The hover read-out for a moment in time (what the mouse shows), or cleared.
    void showReadoutAt(qint64 timestampMs);
    void clearReadout();

    QChart *chart() const { return m_chart; }
    QChartView *chartView() const { return m_view; }
    QComboBox *windowSelector() const { return m_windowSelector; }
    QLabel *titleLabel() const { return m_title; }
    QLabel *staleLabel() const { return m_stale; }
    QLabel *readoutLabel() const { return m_readout; }
    // The X axis is in ms relative to the right edge (now), labelled with clock times.
    QCategoryAxis *timeAxis() const { return m_timeAxis; }
    qint64 visibleFromMs() const { return m_axisEndMs - m_window.count(); }
    qint64 visibleToMs() const { return m_axisEndMs; }
    QValueAxis *valueAxis() const { return m_valueAxis; }

Q_SIGNALS:
    void refreshed();
    void timeWindowChanged(std::chrono::milliseconds window);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    struct SeriesView;

    void buildWidgets();
    void scheduleRefresh();
    void syncSeriesViews();
    bool refreshSeries(SeriesView &view, qint64 fromMs, qint64 toMs, bool force);
    void refreshBand(qint64 fromMs, qint64 toMs, bool force);
    // How many intervals the value axis has room for (1–5), from the plot's height.
    int valueIntervals() const;
    void updateTimeLabels(qint64 fromMs, qint64 toMs);
    void updateValueRange(qint64 fromMs, qint64 toMs);
    void updateStaleLabel();
    void placeMarkers();
    void placeSeriesItems();
    void applyTheme();
    void applyPen(SeriesView &view);
    struct MarkerItem;
    void styleMarker(MarkerItem &marker);
    QFont markerFont() const;
    QLineSeries *newLineSeries();
    int plotPixels() const;
    int plotColumns() const;
    void chooseDecimation();
    QColor seriesColor(int index) const;

    config::Panel m_panel;
    models::ChartSeriesModel *m_model;
    UnitFormat m_unit;
    std::chrono::milliseconds m_window{std::chrono::hours(1)};
    std::chrono::milliseconds m_gapThreshold{0};
    models::DecimationShape m_shape = models::DecimationShape::MinMax;
    int m_pixelsPerColumn = 1;
    int m_pointBudget = 20'000; // 0: fixed decimation (setDecimation)
    bool m_dark = true;
    bool m_openGLPreferred = false;
    bool m_openGL = false;
    bool m_pendingWhileHidden = false;

    QLabel *m_title;
    QLabel *m_stale;
    QLabel *m_readout;
    QComboBox *m_windowSelector;
    QChartView *m_view;
    QChart *m_chart;
    QCategoryAxis *m_timeAxis;
    QValueAxis *m_valueAxis;
    QLineSeries *m_bandUpper;
    QLineSeries *m_bandLower;
    QAreaSeries *m_band;
    QLineSeries *m_target;
    QGraphicsLineItem *m_crosshair;

    std::vector<std::unique_ptr<SeriesView>> m_views;
    std::vector<std::unique_ptr<MarkerItem>> m_markers;

    // What the last refresh was computed for; a change forces every series to be redone.
    qint64 m_columnMs = 0;
    int m_lastColumns = 0;
    double m_requestedLow = 0;
    double m_requestedHigh = 0;
    int m_requestedIntervals = 0;
    quint64 m_structureRevision = ~quint64(0);
    quint64 m_annotationRevision = ~quint64(0);
    qint64 m_axisEndMs = 0; // the time at the right edge of the plot (x = 0)
    qint64 m_hoverMs = -1;
    int m_refreshCount = 0;
    QTimer m_refreshTimer;
};

} // namespace cutover::ui
