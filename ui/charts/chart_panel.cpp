#include "ui/charts/chart_panel.h"

#include "models/chart_series_model.h"
#include "models/decimator.h"
#include "ui/charts/series_polyline_item.h"

#include <QAreaSeries>
#include <QCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDateTime>
#include <QEvent>
#include <QFontMetrics>
#include <QGraphicsLineItem>
#include <QGraphicsSimpleTextItem>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QMouseEvent>
#include <QOpenGLWidget>
#include <QRegularExpression>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace cutover::ui {

namespace {

constexpr int RefreshIntervalMs = 16; // one 60 Hz frame
constexpr int MaxSegmentsPerSeries = 32;

// Palettes chosen to stay distinguishable on their background (after Okabe & Ito), not the Qt
// Charts theme's, because every segment of one series must share one colour.
const QList<QColor> &darkPalette() {
    static const QList<QColor> colors{QColor(0x56, 0xb4, 0xe9), QColor(0xe6, 0x9f, 0x00),
                                      QColor(0x2b, 0xd9, 0xa0), QColor(0xf0, 0xe4, 0x42),
                                      QColor(0xcc, 0x79, 0xa7), QColor(0xff, 0x7a, 0x45),
                                      QColor(0x8f, 0xa8, 0xff), QColor(0xdd, 0xdd, 0xdd)};
    return colors;
}

const QList<QColor> &lightPalette() {
    static const QList<QColor> colors{QColor(0x00, 0x72, 0xb2), QColor(0xd5, 0x5e, 0x00),
                                      QColor(0x00, 0x9e, 0x73), QColor(0xcc, 0x79, 0xa7),
                                      QColor(0xb8, 0x86, 0x00), QColor(0x56, 0xb4, 0xe9),
                                      QColor(0x20, 0x20, 0x20), QColor(0x99, 0x99, 0x33)};
    return colors;
}

// `system="otel", pool="a"` → "otel a"; a key without labels is shown as it is.
QString displayNameFor(const QString &key) {
    static const QRegularExpression label(uR"re((\w+)\s*=~?\s*"([^"]*)")re"_s);
    QStringList values;
    for (auto it = label.globalMatch(key); it.hasNext();)
        values.append(it.next().captured(2));
    if (!values.isEmpty())
        return values.join(u' ');
    if (key.isEmpty() || key == u"{}"_s)
        return u"value"_s;
    return key;
}

QString timeText(qint64 ms, qint64 nowMs) {
    const QDateTime when = QDateTime::fromMSecsSinceEpoch(ms);
    const bool today = std::abs(nowMs - ms) < 20 * 3600 * 1000;
    return when.toString(today ? u"HH:mm:ss"_s : u"yyyy-MM-dd HH:mm:ss"_s);
}

QString windowLabel(std::chrono::minutes window) {
    if (window < 60min)
        return u"%1 min"_s.arg(window.count());
    const auto hours = std::chrono::duration_cast<std::chrono::hours>(window).count();
    return hours == 1 ? u"1 hour"_s : u"%1 hours"_s.arg(hours);
}

} // namespace

// One series on the chart: its polylines (a gap is a break between two) and an empty QLineSeries
// that carries its legend entry, so the legend stays Qt Charts'.
struct ChartPanel::SeriesView {
    QString key;
    QString name;
    int colorIndex = 0;
    QLineSeries *legend = nullptr;
    SeriesPolylineItem *item = nullptr;
    quint64 revision = ~quint64(0);
    qsizetype points = 0;
    bool stale = false;
    bool penApplied = false;
    bool penStale = false;
    qreal penWidth = 0;
    double minValue = std::numeric_limits<double>::quiet_NaN();
    double maxValue = std::numeric_limits<double>::quiet_NaN();
};

struct ChartPanel::MarkerItem {
    qint64 timestampMs = 0;
    QGraphicsLineItem *line = nullptr;
    QGraphicsSimpleTextItem *text = nullptr;
};

ChartPanel::ChartPanel(const config::Panel &panel, models::ChartSeriesModel *model, QWidget *parent)
    : QWidget(parent)
    , m_panel(panel)
    , m_model(model)
    , m_unit(UnitFormat::forUnit(panel.unit)) {
    Q_ASSERT(model);
    m_openGL = m_openGLPreferred && platformSupportsOpenGL();
    buildWidgets();
    applyTheme();

    m_refreshTimer.setSingleShot(true);
    m_refreshTimer.setInterval(RefreshIntervalMs);
    connect(&m_refreshTimer, &QTimer::timeout, this, &ChartPanel::refreshNow);
    connect(m_model, &models::ChartSeriesModel::changed, this, &ChartPanel::scheduleRefresh);
    connect(m_chart, &QChart::plotAreaChanged, this, [this](const QRectF &) {
        placeMarkers();
        placeSeriesItems();
        // A new width changes the decimation; a new height, how many value labels fit.
        if (plotPixels() / m_pixelsPerColumn != m_lastColumns ||
            valueIntervals() != m_requestedIntervals)
            scheduleRefresh();
    });
    scheduleRefresh();
}

ChartPanel::~ChartPanel() = default;

QList<std::chrono::minutes> ChartPanel::availableWindows() {
    return {15min, 60min, 6h, 24h};
}

bool ChartPanel::platformSupportsOpenGL() {
    // Qt Charts' OpenGL series crash under the offscreen platform and have nothing to draw on
    // under minimal/vnc; the desktop platforms have a GL context (Mesa llvmpipe under Xvfb).
    const QString platform = QGuiApplication::platformName();
    if (qEnvironmentVariableIsSet("CUTOVER_CHARTS_NO_OPENGL"))
        return false;
    return platform == u"xcb"_s || platform.startsWith(u"wayland"_s);
}

void ChartPanel::buildWidgets() {
    m_title = new QLabel(m_panel.title, this);
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_title->setAccessibleName(u"Chart title"_s);

    m_stale = new QLabel(this);
    m_stale->setAccessibleName(u"Stale data warning for %1"_s.arg(m_panel.title));
    m_stale->setVisible(false);
    m_stale->setWordWrap(true);

    m_windowSelector = new QComboBox(this);
    m_windowSelector->setAccessibleName(u"Time window for %1"_s.arg(m_panel.title));
    m_windowSelector->setToolTip(u"Time shown by this chart"_s);
    m_windowSelector->setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Fixed);
    for (std::chrono::minutes window : availableWindows())
        m_windowSelector->addItem(windowLabel(window), qlonglong(window.count()));
    m_windowSelector->setCurrentIndex(1); // 1 hour
    connect(m_windowSelector, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (index >= 0)
            setTimeWindow(std::chrono::minutes(m_windowSelector->itemData(index).toLongLong()));
    });

    m_chart = new QChart;
    m_chart->setMargins(QMargins(2, 4, 6, 2));
    m_chart->setBackgroundRoundness(0);
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    m_chart->setAnimationOptions(QChart::NoAnimation);

    m_timeAxis = new QCategoryAxis(m_chart);
    m_timeAxis->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    m_timeAxis->setRange(-double(m_window.count()), 0);
    m_valueAxis = new QValueAxis(m_chart);
    m_valueAxis->setTickCount(5);
    m_valueAxis->setLabelFormat(m_unit.decimals == 0 ? u"%.0f"_s : u"%.4g"_s);
    m_valueAxis->setTitleText(m_unit.axisTitle);
    m_chart->addAxis(m_timeAxis, Qt::AlignBottom);
    m_chart->addAxis(m_valueAxis, Qt::AlignLeft);
    connect(m_valueAxis, &QValueAxis::rangeChanged, this, &ChartPanel::placeSeriesItems);
    connect(m_timeAxis, &QValueAxis::rangeChanged, this, &ChartPanel::placeSeriesItems);

    // The band goes first: under the data, and its domain is the one mapToValue() reads.
    m_bandUpper = new QLineSeries(m_chart);
    m_bandLower = new QLineSeries(m_chart);
    m_band = new QAreaSeries(m_bandUpper, m_bandLower);
    m_band->setName(u"tolerance"_s);
    m_chart->addSeries(m_band);
    m_band->attachAxis(m_timeAxis);
    m_band->attachAxis(m_valueAxis);
    m_target = new QLineSeries;
    m_target->setName(u"target"_s);
    m_chart->addSeries(m_target);
    m_target->attachAxis(m_timeAxis);
    m_target->attachAxis(m_valueAxis);
    for (QLegendMarker *marker : m_chart->legend()->markers(m_band))
        marker->setVisible(false);
    for (QLegendMarker *marker : m_chart->legend()->markers(m_target))
        marker->setVisible(false);

    m_crosshair = new QGraphicsLineItem(m_chart);
    m_crosshair->setZValue(20);
    m_crosshair->setVisible(false);

    m_view = new QChartView(m_chart, this);
    m_view->setAccessibleName(u"%1 chart"_s.arg(m_panel.title));
    m_view->setRenderHint(QPainter::Antialiasing, false);
    m_view->setFocusPolicy(Qt::StrongFocus); // so the read-out follows keyboard users too
    m_view->viewport()->setMouseTracking(true);
    m_view->viewport()->installEventFilter(this);
    m_view->setMinimumSize(240, 140);

    m_readout = new QLabel(this);
    m_readout->setAccessibleName(u"Values of %1"_s.arg(m_panel.title));
    m_readout->setTextFormat(Qt::RichText);
    m_readout->setWordWrap(true); // a dozen series must not dictate the panel's minimum width
    m_readout->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *header = new QHBoxLayout;
    header->setContentsMargins(6, 4, 6, 0);
    header->addWidget(m_title);
    // The warning takes most of the free width, so it wraps only when it must; the spacer keeps
    // the selector at the right edge, at its own size, when there is no warning.
    header->addWidget(m_stale, 3);
    header->addStretch(1);
    header->addWidget(m_windowSelector);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 4);
    layout->setSpacing(2);
    layout->addLayout(header);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_readout);
    m_readout->setContentsMargins(6, 0, 6, 0);
    setAutoFillBackground(true);
}

void ChartPanel::setTimeWindow(std::chrono::milliseconds window) {
    if (window <= 0ms || window == m_window)
        return;
    m_window = window;
    m_timeAxis->setRange(-double(window.count()), 0);
    const int index = m_windowSelector->findData(
        qlonglong(std::chrono::duration_cast<std::chrono::minutes>(window).count()));
    if (index >= 0 && index != m_windowSelector->currentIndex())
        m_windowSelector->setCurrentIndex(index);
    refreshNow();
    Q_EMIT timeWindowChanged(window);
}

void ChartPanel::setDarkTheme(bool dark) {
    if (dark == m_dark)
        return;
    m_dark = dark;
    applyTheme();
}

void ChartPanel::setLegendVisible(bool visible) {
    m_chart->legend()->setVisible(visible);
}

void ChartPanel::setGapThreshold(std::chrono::milliseconds threshold) {
    m_gapThreshold = threshold;
    m_columnMs = 0; // force a full redo
    scheduleRefresh();
}

void ChartPanel::setPointBudget(int points) {
    m_pointBudget = std::max(points, 0);
    m_columnMs = 0;
    scheduleRefresh();
}

void ChartPanel::chooseDecimation() {
    if (m_pointBudget <= 0)
        return;
    const qint64 series = std::max<qint64>(qint64(m_views.size()), 1);
    const qint64 pixels = plotPixels();
    if (series * 4 * pixels <= m_pointBudget) {
        m_shape = models::DecimationShape::FirstMinMaxLast;
        m_pixelsPerColumn = 1;
    } else {
        m_shape = models::DecimationShape::MinMax;
        m_pixelsPerColumn = int((series * 2 * pixels + m_pointBudget - 1) / m_pointBudget);
    }
}

void ChartPanel::setDecimation(models::DecimationShape shape, int pixelsPerColumn) {
    m_pointBudget = 0;
    m_shape = shape;
    m_pixelsPerColumn = std::max(pixelsPerColumn, 1);
    m_columnMs = 0; // force a full redo
    scheduleRefresh();
}

void ChartPanel::setOpenGLPreferred(bool preferred) {
    m_openGLPreferred = preferred;
    const bool use = preferred && platformSupportsOpenGL();
    if (use == m_openGL)
        return;
    m_openGL = use;
    // The whole scene (axes, band, polylines) goes through the GL paint engine: the data lines
    // are not QLineSeries, so Qt Charts' per-series OpenGL switch would reach none of them.
    if (use)
        m_view->setViewport(new QOpenGLWidget);
    else
        m_view->setViewport(new QWidget);
    m_view->viewport()->setMouseTracking(true);
    m_view->viewport()->installEventFilter(this);
}

QColor ChartPanel::seriesColor(int index) const {
    const QList<QColor> &palette = m_dark ? darkPalette() : lightPalette();
    return palette.at(index % palette.size());
}

void ChartPanel::applyTheme() {
    // The theme resets fonts, pens and brushes of everything on the chart: set ours after it.
    m_chart->setTheme(m_dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
    const QColor background = m_dark ? QColor(0x1e, 0x21, 0x28) : QColor(0xff, 0xff, 0xff);
    const QColor text = m_dark ? QColor(0xe8, 0xea, 0xed) : QColor(0x20, 0x22, 0x26);
    const QColor muted = m_dark ? QColor(0xa0, 0xa6, 0xb0) : QColor(0x5f, 0x63, 0x68);
    const QColor grid = m_dark ? QColor(0x3a, 0x3f, 0x4b) : QColor(0xdd, 0xdf, 0xe3);
    m_chart->setBackgroundBrush(background);
    m_chart->setBackgroundPen(Qt::NoPen);

    QFont axisFont = font();
    axisFont.setPointSizeF(std::max(8.0, font().pointSizeF() - 1));
    for (QAbstractAxis *axis :
         {static_cast<QAbstractAxis *>(m_timeAxis), static_cast<QAbstractAxis *>(m_valueAxis)}) {
        axis->setLabelsFont(axisFont);
        axis->setLabelsColor(muted);
        axis->setTitleFont(axisFont);
        axis->setTitleBrush(muted);
        axis->setGridLineColor(grid);
        axis->setLinePenColor(grid);
    }
    m_chart->legend()->setFont(axisFont);
    m_chart->legend()->setLabelColor(text);

    const QColor bandColor = m_dark ? QColor(0x2b, 0xd9, 0xa0, 48) : QColor(0x00, 0x9e, 0x73, 40);
    m_band->setBrush(bandColor);
    m_band->setPen(QPen(QColor(bandColor.red(), bandColor.green(), bandColor.blue(), 110), 1));
    QPen targetPen(m_dark ? QColor(0x2b, 0xd9, 0xa0) : QColor(0x00, 0x7a, 0x58), 1.5, Qt::DashLine);
    m_target->setPen(targetPen);
    m_crosshair->setPen(QPen(muted, 1, Qt::DotLine));

    QPalette pal = palette();
    pal.setColor(QPalette::Window, background);
    pal.setColor(QPalette::WindowText, text);
    setPalette(pal);
    m_readout->setStyleSheet(u"color: %1;"_s.arg(text.name()));
    m_stale->setStyleSheet(
        u"color: %1; font-weight: bold;"_s.arg(m_dark ? u"#ffb020"_s : u"#b35900"_s));

    for (auto &view : m_views) {
        view->penApplied = false;
        applyPen(*view);
    }
    for (auto &marker : m_markers)
        styleMarker(*marker);
}

void ChartPanel::styleMarker(MarkerItem &marker) {
    const QColor color = m_dark ? QColor(0xff, 0xb0, 0x20) : QColor(0xb3, 0x59, 0x00);
    marker.line->setPen(QPen(color, 1, Qt::DashLine));
    marker.text->setBrush(color);
    marker.text->setFont(markerFont());
}

QFont ChartPanel::markerFont() const {
    QFont labelFont = font();
    labelFont.setBold(true);
    return labelFont;
}

void ChartPanel::applyPen(SeriesView &view) {
    // A dense line is drawn one device pixel wide: Qt's raster engine has a fast path for
    // cosmetic pens up to 1 px and strokes anything wider through the general path stroker,
    // which would cost more than the rest of the frame. A sparse line can afford 2 px.
    const qreal width = view.points > m_lastColumns / 2 ? 1.0 : 2.0;
    if (view.penApplied && view.penStale == view.stale && view.penWidth == width)
        return;
    QColor color = seriesColor(view.colorIndex);
    Qt::PenStyle style = Qt::SolidLine;
    if (view.stale) {
        // Faded and dashed: the line is history, not the present. The hue stays so the legend
        // and the read-out still say which series it is.
        color = QColor::fromHsvF(color.hsvHueF(), color.hsvSaturationF() * 0.5,
                                 color.valueF() * (m_dark ? 0.75 : 1.0), 0.55);
        style = Qt::DashLine;
    }
    QPen pen(color, width, style);
    pen.setCosmetic(true);
    view.legend->setPen(pen);
    view.item->setPen(pen);
    view.penApplied = true;
    view.penStale = view.stale;
    view.penWidth = width;
}

QLineSeries *ChartPanel::newLineSeries() {
    auto *line = new QLineSeries;
    m_chart->addSeries(line);
    line->attachAxis(m_timeAxis);
    line->attachAxis(m_valueAxis);
    return line;
}

void ChartPanel::syncSeriesViews() {
    m_structureRevision = m_model->structureRevision();
    const QStringList keys = m_model->seriesKeys();
    // Drop views of removed series.
    for (auto it = m_views.begin(); it != m_views.end();) {
        if (keys.contains((*it)->key)) {
            ++it;
            continue;
        }
        m_chart->removeSeries((*it)->legend);
        delete (*it)->legend;
        delete (*it)->item;
        it = m_views.erase(it);
    }
    for (const QString &key : keys) {
        const bool known = std::any_of(m_views.begin(), m_views.end(),
                                       [&](const auto &view) { return view->key == key; });
        if (known)
            continue;
        auto view = std::make_unique<SeriesView>();
        view->key = key;
        view->name = displayNameFor(key);
        view->colorIndex = int(keys.indexOf(key));
        view->legend = newLineSeries();
        view->legend->setName(view->name);
        view->item = new SeriesPolylineItem(m_chart);
        // Over the band and the grid, under the stage markers (10) and the crosshair (20).
        view->item->setZValue(9);
        applyPen(*view);
        m_views.push_back(std::move(view));
    }
}

int ChartPanel::plotPixels() const {
    const qreal plotWidth = m_chart->plotArea().width();
    const qreal dpr = devicePixelRatioF();
    // Before the first layout the plot area is empty: assume most of the widget.
    return int(plotWidth > 10 ? plotWidth * dpr : std::max(width(), 300) * 0.9 * dpr);
}

int ChartPanel::plotColumns() const {
    return std::max(plotPixels() / m_pixelsPerColumn, 50);
}

bool ChartPanel::refreshSeries(SeriesView &view, qint64 fromMs, qint64 toMs, bool force) {
    const quint64 revision = m_model->revision(view.key);
    if (!force && revision == view.revision)
        return false;

    const models::TimeSeriesBuffer *buffer = m_model->buffer(view.key);
    if (!buffer)
        return false;
    models::DecimationRequest request;
    request.fromMs = fromMs;
    request.toMs = std::max(toMs, buffer->isEmpty() ? toMs : buffer->last().timestampMs);
    request.columnMs = m_columnMs;
    request.columns = int((request.toMs - request.fromMs) / m_columnMs + 1);
    request.gapThresholdMs = m_gapThreshold.count();
    request.maxSegments = MaxSegmentsPerSeries;
    request.valueScale = m_unit.scale;
    request.shape = m_shape;
    request.xOriginMs = toMs;
    QList<models::Segment> segments =
        models::Decimator::decimate(buffer->range(request.fromMs, request.toMs, true), request);

    view.points = 0;
    view.minValue = std::numeric_limits<double>::infinity();
    view.maxValue = -std::numeric_limits<double>::infinity();
    for (models::Segment &segment : segments) {
        // A lone sample between gaps would draw nothing: give it one column of width.
        if (segment.size() == 1)
            segment.append(QPointF(segment.first().x() + double(m_columnMs), segment.first().y()));
        for (const QPointF &point : std::as_const(segment)) {
            if (point.x() < double(fromMs - toMs))
                continue;
            view.minValue = std::min(view.minValue, point.y());
            view.maxValue = std::max(view.maxValue, point.y());
        }
        view.points += segment.size();
    }

    QList<QPolygonF> polylines;
    polylines.reserve(segments.size());
    for (models::Segment &segment : segments)
        polylines.append(QPolygonF(std::move(segment)));
    view.item->setSegments(std::move(polylines));
    view.stale = m_model->isStale(view.key);
    applyPen(view);
    view.revision = revision;
    return true;
}

void ChartPanel::refreshBand(qint64 fromMs, qint64 toMs, bool force) {
    const QList<models::TargetBandStep> &steps = m_model->targetBand();
    if (!force && m_annotationRevision == m_model->annotationRevision())
        return;
    const qint64 endMs = toMs;
    QList<QPointF> upper;
    QList<QPointF> lower;
    QList<QPointF> target;
    for (qsizetype i = 0; i < steps.size(); ++i) {
        const qint64 stepEnd = i + 1 < steps.size() ? steps[i + 1].fromMs : endMs;
        const qint64 start = std::max(steps[i].fromMs, fromMs);
        const qint64 end = std::min(stepEnd, endMs);
        if (end <= start)
            continue;
        const double scale = m_unit.scale;
        for (qint64 x : {start - toMs, end - toMs}) {
            upper.append(QPointF(double(x), steps[i].upper * scale));
            lower.append(QPointF(double(x), steps[i].lower * scale));
            target.append(QPointF(double(x), steps[i].target * scale));
        }
    }
    m_bandUpper->replace(upper);
    m_bandLower->replace(lower);
    m_target->replace(target);
    const bool hasBand = !steps.isEmpty();
    for (QAbstractSeries *series :
         {static_cast<QAbstractSeries *>(m_band), static_cast<QAbstractSeries *>(m_target)}) {
        for (QLegendMarker *marker : m_chart->legend()->markers(series))
            marker->setVisible(hasBand);
    }

    if (m_annotationRevision != m_model->annotationRevision()) {
        m_annotationRevision = m_model->annotationRevision();
        m_markers.clear(); // the items are children of the chart: delete them explicitly
        for (auto *item : m_chart->childItems()) {
            if (item->data(0).toString() == u"marker"_s)
                delete item;
        }
        for (const models::StageMarker &stageMarker : m_model->markers()) {
            auto marker = std::make_unique<MarkerItem>();
            marker->timestampMs = stageMarker.timestampMs;
            marker->line = new QGraphicsLineItem(m_chart);
            marker->line->setData(0, u"marker"_s);
            marker->line->setZValue(10);
            marker->text = new QGraphicsSimpleTextItem(stageMarker.label, marker->line);
            styleMarker(*marker);
            m_markers.push_back(std::move(marker));
        }
        const int labelStrip = m_markers.empty() ? 4 : QFontMetrics(markerFont()).height() + 4;
        m_chart->setMargins(QMargins(2, labelStrip, 6, 2));
    }
}

void ChartPanel::updateValueRange(qint64 fromMs, qint64 toMs) {
    double low = std::numeric_limits<double>::infinity();
    double high = -std::numeric_limits<double>::infinity();
    for (const auto &view : m_views) {
        if (view->points == 0)
            continue;
        low = std::min(low, view->minValue);
        high = std::max(high, view->maxValue);
    }
    // The band in view counts too: the target must be visible even before data arrives.
    const QList<models::TargetBandStep> &steps = m_model->targetBand();
    for (qsizetype i = 0; i < steps.size(); ++i) {
        const qint64 stepEnd = i + 1 < steps.size() ? steps[i + 1].fromMs : toMs;
        if (stepEnd < fromMs)
            continue;
        low = std::min(low, steps[i].lower * m_unit.scale);
        high = std::max(high, steps[i].upper * m_unit.scale);
    }
    if (!std::isfinite(low) || !std::isfinite(high)) {
        low = 0;
        high = 1;
    }
    if (m_unit.suffix == u"%"_s && low > -1.0 && high < 101.0 && high - low > 50.0) {
        // A share spread over most of 0–100% reads best on the whole scale, not on -50..150.
        low = 0;
        high = 100;
    }
    const double span = high - low;
    // A flat series gets a range around its value (0.004/s reads as 0.004, not as a line on
    // the floor of 0..1); a flat zero gets 0..1.
    const double pad = span > 0 ? span * 0.08 : (high != 0 ? std::abs(high) * 0.1 : 1.0);
    const bool wholeScale = m_unit.suffix == u"%"_s && low == 0 && high == 100;
    double axisLow = wholeScale ? low : low - pad;
    double axisHigh = wholeScale ? high : high + pad;
    if (low >= 0 && axisLow < 0)
        axisLow = 0; // rates, shares and durations are never negative: don't draw below zero
    // Round to a step of 1, 2, 2.5 or 5 × 10^n giving about five intervals (applyNiceNumbers()
    // would often widen 80..290 to 0..400) — fewer on a short plot: Qt Charts replaces a value
    // label that has no room for its height by "…", so each label gets at least 1.6 lines.
    const int intervals = valueIntervals();
    const double rawStep = (axisHigh - axisLow) / intervals;
    const double magnitude = std::pow(10.0, std::floor(std::log10(rawStep)));
    double step = 10 * magnitude;
    for (double factor : {1.0, 2.0, 2.5, 5.0}) {
        if (factor * magnitude >= rawStep) {
            step = factor * magnitude;
            break;
        }
    }
    axisLow = std::floor(axisLow / step) * step;
    axisHigh = std::ceil(axisHigh / step) * step;
    if (m_unit.suffix == u"%"_s && high <= 100.0 && axisHigh > 100.0)
        axisHigh = 100.0; // no share above 100% (a multiple of every step chosen below 100)
    // Compared with what was set last time: an unchanged range must not re-lay out the series.
    if (axisLow != m_requestedLow || axisHigh != m_requestedHigh ||
        intervals != m_requestedIntervals) {
        m_requestedLow = axisLow;
        m_requestedHigh = axisHigh;
        m_requestedIntervals = intervals;
        m_valueAxis->setRange(axisLow, axisHigh);
        m_valueAxis->setTickCount(int(std::lround((axisHigh - axisLow) / step)) + 1);
    }
}

int ChartPanel::valueIntervals() const {
    const double plotHeight = m_chart->plotArea().height();
    if (plotHeight <= 0)
        return 5; // not laid out yet
    const double linePx = QFontMetricsF(m_valueAxis->labelsFont()).height();
    return std::clamp(int(plotHeight / (linePx * 1.6)), 1, 5);
}

void ChartPanel::updateTimeLabels(qint64 fromMs, qint64 toMs) {
    // Ticks on round clock times (every 5 min, 1 h, 3 h …), about one per 80 px. The axis is
    // relative to now, so the ticks are placed again on every refresh (a handful of labels).
    static const qint64 steps[] = {60'000,   120'000,  300'000,   600'000,   900'000,   1800'000,
                                   3600'000, 7200'000, 10800'000, 21600'000, 43200'000, 86400'000};
    const qint64 windowMs = toMs - fromMs;
    const int wanted = std::clamp(int(m_chart->plotArea().width() / 80), 2, 10);
    qint64 stepMs = steps[std::size(steps) - 1];
    for (qint64 candidate : steps) {
        if (windowMs / candidate <= wanted) {
            stepMs = candidate;
            break;
        }
    }
    // Round in local time, so "every 3 h" lands on 00:00, 03:00 … of the wall clock.
    const qint64 offsetMs = QDateTime::fromMSecsSinceEpoch(toMs).offsetFromUtc() * 1000LL;
    const qint64 firstTick = ((fromMs + offsetMs) / stepMs + 1) * stepMs - offsetMs;
    for (const QString &label : m_timeAxis->categoriesLabels())
        m_timeAxis->remove(label);
    const QString format = stepMs < 60'000 ? u"HH:mm:ss"_s : u"HH:mm"_s;
    for (qint64 tick = firstTick; tick < toMs; tick += stepMs) {
        QString label = QDateTime::fromMSecsSinceEpoch(tick).toString(format);
        while (m_timeAxis->categoriesLabels().contains(label))
            label += QChar(0x200B); // a DST repeat: labels must be unique
        m_timeAxis->append(label, double(tick - toMs));
    }
}

void ChartPanel::placeMarkers() {
    const QRectF plot = m_chart->plotArea();
    const qint64 fromMs = visibleFromMs();
    const qint64 toMs = visibleToMs();
    for (auto &marker : m_markers) {
        const bool inView = marker->timestampMs >= fromMs && marker->timestampMs <= toMs;
        marker->line->setVisible(inView && !plot.isEmpty());
        if (!inView)
            continue;
        const qreal x =
            m_chart->mapToPosition(QPointF(double(marker->timestampMs - toMs), 0), m_target).x();
        // The label sits in the strip above the plot (reserved in refreshBand), where no data
        // line can cross it; right of the line unless that would leave the plot.
        const QRectF textRect = marker->text->boundingRect();
        const qreal textX =
            x + 3 + textRect.width() > plot.right() ? x - 3 - textRect.width() : x + 3;
        marker->line->setLine(x, plot.top() - textRect.height(), x, plot.bottom());
        marker->text->setPos(textX, plot.top() - textRect.height() - 1);
    }
}

void ChartPanel::updateStaleLabel() {
    const qint64 nowMs = m_model->now();
    QStringList staleParts;
    qint64 newestGood = -1;
    int staleCount = 0;
    for (const auto &view : m_views) {
        if (!view->stale)
            continue;
        ++staleCount;
        const std::optional<qint64> lastGood = m_model->lastGoodSampleMs(view->key);
        if (lastGood)
            newestGood = std::max(newestGood, *lastGood);
        if (staleParts.size() < 3) {
            staleParts.append(lastGood
                                  ? u"%1 since %2"_s.arg(view->name, timeText(*lastGood, nowMs))
                                  : u"%1 never"_s.arg(view->name));
        }
    }
    QString text;
    if (staleCount > 0 && staleCount == int(m_views.size())) {
        text = newestGood >= 0 ? u"⚠ no data since %1"_s.arg(timeText(newestGood, nowMs))
                               : u"⚠ no data yet"_s;
    } else if (staleCount > 0) {
        text = u"⚠ no data: "_s + staleParts.join(u", "_s);
        if (staleCount > staleParts.size())
            text += u" and %1 more"_s.arg(staleCount - staleParts.size());
    }
    m_stale->setText(text);
    m_stale->setVisible(!text.isEmpty());
}

void ChartPanel::scheduleRefresh() {
    if (!isVisible()) {
        m_pendingWhileHidden = true; // a hidden panel (another tab) catches up when shown
        return;
    }
    if (!m_refreshTimer.isActive())
        m_refreshTimer.start();
}

void ChartPanel::showEvent(QShowEvent *event) {
    QWidget::showEvent(event);
    if (m_pendingWhileHidden) {
        m_pendingWhileHidden = false;
        scheduleRefresh();
    }
}

void ChartPanel::refreshNow() {
    m_refreshTimer.stop();
    ++m_refreshCount;
    const qint64 toMs = m_model->now();
    const qint64 windowMs = m_window.count();
    const qint64 fromMs = toMs - windowMs;
    if (m_model->structureRevision() != m_structureRevision)
        syncSeriesViews();
    const models::DecimationShape previousShape = m_shape;
    chooseDecimation();
    const int columns = plotColumns();
    m_lastColumns = columns;
    const qint64 columnMs = std::max<qint64>((windowMs + columns - 1) / columns, 1);
    // Time runs: every series moves left, so all are redone (the decimation is cheap; what
    // costs is Qt Charts' layout, once per replaced series since the X axis never changes).
    const bool force = columnMs != m_columnMs || toMs != m_axisEndMs || m_shape != previousShape;
    m_columnMs = columnMs;
    m_axisEndMs = toMs;

    updateTimeLabels(fromMs, toMs);
    for (auto &view : m_views)
        refreshSeries(*view, fromMs, toMs, force);
    refreshBand(fromMs, toMs, force);
    updateValueRange(fromMs, toMs);

    // Antialiasing costs more than the rest of the paint on dense lines and buys nothing there.
    const bool dense = std::any_of(m_views.begin(), m_views.end(),
                                   [&](const auto &view) { return view->points > columns / 2; });
    m_view->setRenderHint(QPainter::Antialiasing, !dense);

    placeMarkers();
    placeSeriesItems();
    updateStaleLabel();
    if (m_hoverMs >= 0)
        showReadoutAt(m_hoverMs);
    else
        clearReadout();
    Q_EMIT refreshed();
}

qsizetype ChartPanel::pointsInChart() const {
    qsizetype total = 0;
    for (const auto &view : m_views)
        total += view->item->pointCount();
    return total;
}

qsizetype ChartPanel::segmentsInChart() const {
    qsizetype total = 0;
    for (const auto &view : m_views)
        total += view->item->segmentCount();
    return total;
}

void ChartPanel::placeSeriesItems() {
    const QRectF plot = m_chart->plotArea();
    for (const auto &view : m_views)
        view->item->setGeometry(plot, m_timeAxis->min(), m_timeAxis->max(), m_valueAxis->min(),
                                m_valueAxis->max());
}

void ChartPanel::showReadoutAt(qint64 timestampMs) {
    m_hoverMs = timestampMs;
    const qint64 tolerance = std::max<qint64>(2 * m_columnMs, m_model->staleAfter().count());
    QStringList parts;
    for (const auto &view : m_views) {
        const models::TimeSeriesBuffer *buffer = m_model->buffer(view->key);
        double value = std::numeric_limits<double>::quiet_NaN();
        if (buffer && !buffer->isEmpty()) {
            const qsizetype after = buffer->lowerBound(timestampMs);
            qsizetype nearest = -1;
            qint64 distance = std::numeric_limits<qint64>::max();
            for (qsizetype index : {after - 1, after}) {
                if (index < 0 || index >= buffer->size())
                    continue;
                const qint64 d = std::abs(buffer->at(index).timestampMs - timestampMs);
                if (d < distance) {
                    distance = d;
                    nearest = index;
                }
            }
            if (nearest >= 0 && distance <= tolerance)
                value = buffer->at(nearest).value * m_unit.scale;
        }
        const QColor color = seriesColor(view->colorIndex);
        parts.append(u"<span style=\"color:%1\">■</span> %2 <b>%3</b>"_s.arg(
            color.name(), view->name.toHtmlEscaped(), m_unit.format(value)));
    }
    m_readout->setText(timeText(timestampMs, m_model->now()) + u" · "_s +
                       parts.join(u" &nbsp; "_s));
}

void ChartPanel::clearReadout() {
    // Without a hover the read-out shows the newest value of each series.
    m_hoverMs = -1;
    m_crosshair->setVisible(false);
    QStringList parts;
    for (const auto &view : m_views) {
        const models::TimeSeriesBuffer *buffer = m_model->buffer(view->key);
        const double value = buffer && !buffer->isEmpty()
                                 ? buffer->last().value * m_unit.scale
                                 : std::numeric_limits<double>::quiet_NaN();
        parts.append(u"<span style=\"color:%1\">■</span> %2 <b>%3</b>"_s.arg(
            seriesColor(view->colorIndex).name(), view->name.toHtmlEscaped(),
            m_unit.format(value)));
    }
    m_readout->setText(parts.isEmpty() ? u"no data yet"_s
                                       : u"latest · "_s + parts.join(u" &nbsp; "_s));
}

bool ChartPanel::eventFilter(QObject *watched, QEvent *event) {
    if (watched != m_view->viewport())
        return QWidget::eventFilter(watched, event);
    if (event->type() == QEvent::MouseMove) {
        const auto *mouse = static_cast<QMouseEvent *>(event);
        const QPointF inChart =
            m_chart->mapFromScene(m_view->mapToScene(mouse->position().toPoint()));
        const QRectF plot = m_chart->plotArea();
        if (plot.contains(inChart)) {
            const QPointF value = m_chart->mapToValue(inChart, m_target);
            m_crosshair->setLine(inChart.x(), plot.top(), inChart.x(), plot.bottom());
            m_crosshair->setVisible(true);
            showReadoutAt(m_axisEndMs + qint64(value.x()));
        } else if (m_hoverMs >= 0) {
            clearReadout();
        }
    } else if (event->type() == QEvent::Leave) {
        clearReadout();
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace cutover::ui
