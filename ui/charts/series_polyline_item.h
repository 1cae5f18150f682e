#pragma once

#include <QGraphicsItem>
#include <QList>
#include <QPen>
#include <QPolygonF>
#include <QRectF>

namespace cutover::ui {

// One data series of a ChartPanel, drawn as polylines (one per segment between gaps) over the
// chart's plot area. Qt Charts lays out every point of a QLineSeries again on each replace() —
// measured here, 12 series × ~6,400 decimated points took ~13 ms of a 16 ms frame. The panel's
// points are already decimated to the plot's pixels, so this item keeps them in value
// coordinates and maps them once per geometry or data change; Qt Charts keeps the axes, the
// legend and the hover read-out. Hand-written because Qt Charts has no batched line primitive.
class SeriesPolylineItem final : public QGraphicsItem {
public:
    explicit SeriesPolylineItem(QGraphicsItem *parent = nullptr);

    // x: milliseconds relative to the plot's right edge, y: the value on the value axis.
    void setSegments(QList<QPolygonF> segments);
    void setPen(const QPen &pen);
    // Where the plot is (in the parent's coordinates) and which values its edges show.
    void setGeometry(const QRectF &plotArea, double xMin, double xMax, double yMin, double yMax);

    qsizetype pointCount() const { return m_pointCount; }
    qsizetype segmentCount() const { return m_segments.size(); }
    const QList<QPolygonF> &segments() const { return m_segments; }

    QRectF boundingRect() const override { return m_plotArea; }
    void paint(QPainter *painter, const QStyleOptionGraphicsItem *option, QWidget *widget) override;

private:
    void mapToPlot();

    QList<QPolygonF> m_segments; // value coordinates
    QList<QPolygonF> m_mapped;   // plot coordinates, for the current geometry
    bool m_mappedValid = false;
    qsizetype m_pointCount = 0;
    QPen m_pen;
    QRectF m_plotArea;
    double m_xMin = 0;
    double m_xMax = 1;
    double m_yMin = 0;
    double m_yMax = 1;
};

} // namespace cutover::ui
