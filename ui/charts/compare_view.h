#pragma once

#include "app/cutover/gate_status.h"

#include <QDateTime>
#include <QList>
#include <QString>
#include <QWidget>

class QBarCategoryAxis;
class QBarSeries;
class QBarSet;
class QChart;
class QChartView;
class QComboBox;
class QDateTimeAxis;
class QLabel;
class QLineSeries;
class QValueAxis;

namespace cutover::ui {

// Why a compare check judged as it did (issue 14; argo-rollouts#404 is the ask): the sentence
// ("OTel is 12% higher than legacy (98% confidence, allowed 5%)"), the numbers (U, p, the
// Hodges-Lehmann shift and interval, the mean ratio, both sizes), both samples over the window as
// overlaid lines, and a histogram per side on shared bins. A combo box picks the check among the
// plan's compare checks; the window also selects one when a compare check is chosen in the
// checklist.
class CompareView : public QWidget {
    Q_OBJECT
public:
    struct Choice {
        QString gate;
        QString check;
        QString title; // "Gate 1 · Metric completeness"
    };

    explicit CompareView(QWidget *parent = nullptr);
    ~CompareView() override;

    void setChoices(const QList<Choice> &choices);
    bool selectCheck(const QString &gate, const QString &check);
    QString currentGate() const;
    QString currentCheck() const;
    // The judgement of the selected check; nullopt: not judged yet.
    void setOutcome(const std::optional<engine::CompareOutcome> &outcome);
    void setDarkTheme(bool dark);

    // Counts of both samples on `bins` equal-width bins spanning both (finite values only).
    struct Histogram {
        QList<double> edges; // bins + 1 edges; empty when there is nothing to count
        QList<int> legacy;
        QList<int> otel;
    };
    static Histogram histogram(const QList<double> &legacy, const QList<double> &otel, int bins);

    QComboBox *checkBox() const { return m_checks; }
    QLabel *sentenceLabel() const { return m_sentence; }
    QLabel *numbersLabel() const { return m_numbers; }
    QLineSeries *legacyLine() const { return m_legacyLine; }
    QLineSeries *otelLine() const { return m_otelLine; }
    QBarSet *legacyBars() const { return m_legacyBars; }
    QBarSet *otelBars() const { return m_otelBars; }

Q_SIGNALS:
    void checkChosen(const QString &gate, const QString &check);

private:
    void showSamples(const engine::CompareSeries &samples);
    void clearCharts();

    QList<Choice> m_choices;
    bool m_shown = false; // what is on screen is m_shownSamples judged at m_shownAt
    const void *m_shownSamples = nullptr;
    QDateTime m_shownAt;
    QComboBox *m_checks;
    QLabel *m_sentence;
    QLabel *m_numbers;
    QChart *m_timeline;
    QChartView *m_timelineView;
    QLineSeries *m_legacyLine;
    QLineSeries *m_otelLine;
    QDateTimeAxis *m_timeAxis;
    QValueAxis *m_valueAxis;
    QChart *m_histogram;
    QChartView *m_histogramView;
    QBarSeries *m_bars;
    QBarSet *m_legacyBars;
    QBarSet *m_otelBars;
    QBarCategoryAxis *m_binAxis;
    QValueAxis *m_countAxis;
};

} // namespace cutover::ui
