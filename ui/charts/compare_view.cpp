#include "ui/charts/compare_view.h"

#include "app/analysis/verdict.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDateTimeAxis>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineSeries>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;

namespace cutover::ui {

namespace {

constexpr int kBins = 12;
const QColor kLegacyColor(0x8a, 0x8f, 0x98); // the legacy pool: grey, as in the other panels
const QColor kOtelColor(0x2f, 0x81, 0xf7);

QString number(double v) {
    return std::isfinite(v) ? QString::number(v, 'g', 4) : u"–"_s;
}

QChartView *chartView(QChart *chart, QWidget *parent) {
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->legend()->setAlignment(Qt::AlignBottom);
    auto *view = new QChartView(chart, parent);
    view->setRenderHint(QPainter::Antialiasing, true); // a few hundred points: worth it here
    view->setMinimumHeight(200); // below that Qt Charts elides the axis labels
    return view;
}

} // namespace

CompareView::CompareView(QWidget *parent)
    : QWidget(parent)
    , m_checks(new QComboBox(this))
    , m_sentence(new QLabel(this))
    , m_numbers(new QLabel(this))
    , m_timeline(new QChart)
    , m_legacyLine(new QLineSeries)
    , m_otelLine(new QLineSeries)
    , m_timeAxis(new QDateTimeAxis)
    , m_valueAxis(new QValueAxis)
    , m_histogram(new QChart)
    , m_bars(new QBarSeries)
    , m_legacyBars(new QBarSet(tr("legacy")))
    , m_otelBars(new QBarSet(tr("OTel")))
    , m_binAxis(new QBarCategoryAxis)
    , m_countAxis(new QValueAxis) {
    m_checks->setAccessibleName(tr("Compare check shown"));
    // Long "gate · check" titles must not widen the whole tab.
    m_checks->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_checks->setMinimumContentsLength(30);
    m_sentence->setAccessibleName(tr("Why the check judged as it did"));
    m_sentence->setWordWrap(true);
    QFont bold = m_sentence->font();
    bold.setBold(true);
    m_sentence->setFont(bold);
    m_sentence->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_numbers->setAccessibleName(tr("The test's numbers"));
    m_numbers->setWordWrap(true);
    m_numbers->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // A splitter does not give a word-wrapped label the height of its lines: reserve two.
    m_numbers->setMinimumHeight(m_numbers->fontMetrics().lineSpacing() * 2 + 4);
    m_sentence->setMinimumHeight(m_sentence->fontMetrics().lineSpacing() + 4);

    m_legacyLine->setName(tr("legacy"));
    m_otelLine->setName(tr("OTel"));
    m_legacyLine->setPen(QPen(kLegacyColor, 1.5));
    m_otelLine->setPen(QPen(kOtelColor, 1.5));
    m_timeline->addSeries(m_legacyLine);
    m_timeline->addSeries(m_otelLine);
    m_timeAxis->setFormat(u"HH:mm:ss"_s);
    m_timeAxis->setTickCount(5);
    m_timeline->addAxis(m_timeAxis, Qt::AlignBottom);
    m_valueAxis->setLabelFormat(u"%.3g"_s);
    m_timeline->addAxis(m_valueAxis, Qt::AlignLeft);
    for (QLineSeries *line : {m_legacyLine, m_otelLine}) {
        line->attachAxis(m_timeAxis);
        line->attachAxis(m_valueAxis);
    }
    m_timeline->setTitle(tr("Both samples over the window"));
    m_timelineView = chartView(m_timeline, this);
    m_timelineView->setAccessibleName(tr("Legacy and OTel samples over the window"));

    m_legacyBars->setColor(kLegacyColor);
    m_otelBars->setColor(kOtelColor);
    m_bars->append(m_legacyBars);
    m_bars->append(m_otelBars);
    m_histogram->addSeries(m_bars);
    m_histogram->addAxis(m_binAxis, Qt::AlignBottom);
    m_histogram->addAxis(m_countAxis, Qt::AlignLeft);
    m_bars->attachAxis(m_binAxis);
    m_bars->attachAxis(m_countAxis);
    m_countAxis->setLabelFormat(u"%d"_s);
    m_bars->setBarWidth(0.95); // two bars a bin, side by side, filling it
    // Twelve bin centres do not fit under a narrow chart: the axis title gives the range.
    m_binAxis->setLabelsVisible(false);
    m_histogram->setTitle(tr("Distribution of each side"));
    m_histogramView = chartView(m_histogram, this);
    m_histogramView->setAccessibleName(tr("Histogram of legacy and OTel samples"));

    auto *top = new QHBoxLayout;
    auto *pick = new QLabel(tr("&Parity check:"), this);
    pick->setBuddy(m_checks);
    top->addWidget(pick);
    top->addWidget(m_checks, 1);
    auto *charts = new QHBoxLayout;
    charts->addWidget(m_timelineView, 3);
    charts->addWidget(m_histogramView, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addLayout(top);
    layout->addWidget(m_sentence);
    layout->addWidget(m_numbers);
    layout->addLayout(charts, 1);

    connect(m_checks, &QComboBox::currentIndexChanged, this, [this](int index) {
        m_shown = false; // another check: whatever comes next is new
        if (index >= 0 && index < m_choices.size())
            Q_EMIT checkChosen(m_choices.at(index).gate, m_choices.at(index).check);
    });
    setOutcome(std::nullopt);
}

CompareView::~CompareView() = default;

void CompareView::setChoices(const QList<Choice> &choices) {
    m_choices = choices;
    m_shown = false;
    const QSignalBlocker quiet(m_checks);
    m_checks->clear();
    for (const Choice &c : choices)
        m_checks->addItem(c.title);
    m_checks->setEnabled(!choices.isEmpty());
    setOutcome(std::nullopt);
    if (choices.isEmpty())
        m_sentence->setText(tr("This plan has no compare checks."));
}

bool CompareView::selectCheck(const QString &gate, const QString &check) {
    for (qsizetype i = 0; i < m_choices.size(); ++i) {
        if (m_choices.at(i).gate == gate && m_choices.at(i).check == check) {
            m_checks->setCurrentIndex(int(i)); // emits checkChosen when it changes
            return true;
        }
    }
    return false;
}

QString CompareView::currentGate() const {
    const int i = m_checks->currentIndex();
    return i >= 0 && i < m_choices.size() ? m_choices.at(i).gate : QString();
}

QString CompareView::currentCheck() const {
    const int i = m_checks->currentIndex();
    return i >= 0 && i < m_choices.size() ? m_choices.at(i).check : QString();
}

void CompareView::setOutcome(const std::optional<engine::CompareOutcome> &outcome) {
    // The window refreshes far more often than a comparison is judged (once a step).
    const void *samples = outcome ? outcome->samples.get() : nullptr;
    const QDateTime at = outcome ? outcome->at : QDateTime();
    if (m_shown && samples == m_shownSamples && at == m_shownAt)
        return;
    m_shown = true;
    m_shownSamples = samples;
    m_shownAt = at;
    if (!outcome) {
        if (!m_choices.isEmpty())
            m_sentence->setText(tr("Not judged yet: the window has not been queried."));
        m_numbers->clear();
        clearCharts();
        return;
    }
    const analysis::CompareResult &r = outcome->result;
    m_sentence->setText(u"%1: %2"_s.arg(analysis::verdictName(r.verdict).toUpper(), r.reason));
    if (r.verdict == analysis::Verdict::NoData) {
        m_numbers->setText(tr("legacy n = %1, OTel n = %2 (judged %3 UTC)")
                               .arg(r.nLegacy)
                               .arg(r.nOtel)
                               .arg(outcome->at.toString(u"HH:mm:ss"_s)));
    } else {
        m_numbers->setText(
            tr("Mann-Whitney U = %1, p = %2 · Hodges-Lehmann shift OTel − legacy = %3 [%4, %5] · "
               "mean ratio OTel/legacy = %6 (legacy %7, OTel %8) · n = %9 / %10 · judged %11 UTC")
                .arg(number(r.u), number(r.pValue), number(r.hlShift), number(r.hlLow),
                     number(r.hlHigh), QString::number(r.meanRatio, 'f', 3), number(r.meanLegacy),
                     number(r.meanOtel))
                .arg(r.nLegacy)
                .arg(r.nOtel)
                .arg(outcome->at.toString(u"HH:mm:ss"_s)));
    }
    if (outcome->samples)
        showSamples(*outcome->samples);
    else
        clearCharts();
}

void CompareView::setDarkTheme(bool dark) {
    for (QChart *chart : {m_timeline, m_histogram}) {
        chart->setTheme(dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
        chart->setAnimationOptions(QChart::NoAnimation);
    }
    // A theme resets series colours: ours carry meaning (grey legacy, blue OTel).
    m_legacyLine->setPen(QPen(kLegacyColor, 1.5));
    m_otelLine->setPen(QPen(kOtelColor, 1.5));
    m_legacyBars->setColor(kLegacyColor);
    m_otelBars->setColor(kOtelColor);
}

CompareView::Histogram CompareView::histogram(const QList<double> &legacy,
                                              const QList<double> &otel, int bins) {
    Histogram h;
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    for (const QList<double> *side : {&legacy, &otel}) {
        for (double v : *side) {
            if (std::isfinite(v)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
        }
    }
    if (bins < 1 || !std::isfinite(lo))
        return h;
    if (hi == lo) { // one value: one bin around it
        bins = 1;
        hi = lo + std::max(std::abs(lo) * 1e-3, 1e-12);
    }
    const double width = (hi - lo) / bins;
    for (int i = 0; i <= bins; ++i)
        h.edges.append(lo + i * width);
    h.legacy.fill(0, bins);
    h.otel.fill(0, bins);
    auto count = [&](const QList<double> &side, QList<int> &into) {
        for (double v : side) {
            if (std::isfinite(v))
                ++into[std::clamp(int((v - lo) / width), 0, bins - 1)];
        }
    };
    count(legacy, h.legacy);
    count(otel, h.otel);
    return h;
}

void CompareView::showSamples(const engine::CompareSeries &samples) {
    QList<QPointF> legacy;
    QList<QPointF> otel;
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    const qint64 start = samples.start.toMSecsSinceEpoch();
    auto points = [&](const QList<double> &values, QList<QPointF> &into) {
        for (qsizetype i = 0; i < values.size(); ++i) {
            const double v = values.at(i);
            if (!std::isfinite(v))
                continue; // a gap in the data: drawn as a straight line over it, counted as n
            into.append(QPointF(double(start + i * samples.stepMs), v));
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    };
    points(samples.legacy, legacy);
    points(samples.otel, otel);
    m_legacyLine->replace(legacy);
    m_otelLine->replace(otel);
    const qint64 span =
        std::max<qint64>(samples.stepMs, 1) *
        std::max<qsizetype>(1, std::max(samples.legacy.size(), samples.otel.size()) - 1);
    m_timeAxis->setRange(samples.start, samples.start.addMSecs(span));
    if (std::isfinite(lo)) {
        const double pad = hi > lo ? (hi - lo) * 0.08 : std::max(std::abs(lo) * 0.05, 1e-9);
        m_valueAxis->setRange(lo - pad, hi + pad);
    }

    const Histogram h = histogram(samples.legacy, samples.otel, kBins);
    QStringList labels;
    for (qsizetype i = 0; i + 1 < h.edges.size(); ++i)
        labels.append(QString::number((h.edges.at(i) + h.edges.at(i + 1)) / 2, 'g', 3));
    m_legacyBars->remove(0, m_legacyBars->count());
    m_otelBars->remove(0, m_otelBars->count());
    int most = 1;
    for (qsizetype i = 0; i < h.legacy.size(); ++i) {
        m_legacyBars->append(h.legacy.at(i));
        m_otelBars->append(h.otel.at(i));
        most = std::max({most, h.legacy.at(i), h.otel.at(i)});
    }
    m_binAxis->clear();
    m_binAxis->append(labels);
    // The bin centres do not fit under the bars: the range goes in the title.
    m_histogram->setTitle(
        h.edges.isEmpty() ? tr("Distribution of each side")
                          : tr("Distribution of each side, %1 … %2")
                                .arg(number(h.edges.constFirst()), number(h.edges.constLast())));
    m_histogramView->setToolTip(
        tr("%1 bins of %2")
            .arg(h.legacy.size())
            .arg(h.edges.size() > 1 ? number(h.edges.at(1) - h.edges.at(0)) : QString()));
    m_countAxis->setRange(0, most);
}

void CompareView::clearCharts() {
    m_legacyLine->clear();
    m_otelLine->clear();
    m_legacyBars->remove(0, m_legacyBars->count());
    m_otelBars->remove(0, m_otelBars->count());
    m_binAxis->clear();
}

} // namespace cutover::ui
