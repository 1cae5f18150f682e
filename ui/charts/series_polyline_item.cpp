#include "ui/charts/series_polyline_item.h"

#include <QPainter>

#include <cmath>

namespace cutover::ui {

SeriesPolylineItem::SeriesPolylineItem(QGraphicsItem *parent)
    : QGraphicsItem(parent) {
    // Painted by the view's one pass over the scene; no cache: the data changes every refresh.
    setFlag(QGraphicsItem::ItemClipsToShape, false);
    setAcceptedMouseButtons(Qt::NoButton);
    setAcceptHoverEvents(false);
}

void SeriesPolylineItem::setSegments(QList<QPolygonF> segments) {
    m_segments = std::move(segments);
    m_pointCount = 0;
    for (const QPolygonF &segment : std::as_const(m_segments))
        m_pointCount += segment.size();
    m_mappedValid = false;
    update();
}

void SeriesPolylineItem::setPen(const QPen &pen) {
    if (pen == m_pen)
        return;
    m_pen = pen;
    update();
}

void SeriesPolylineItem::setGeometry(const QRectF &plotArea, double xMin, double xMax, double yMin,
                                     double yMax) {
    if (plotArea == m_plotArea && xMin == m_xMin && xMax == m_xMax && yMin == m_yMin &&
        yMax == m_yMax)
        return;
    if (plotArea != m_plotArea)
        prepareGeometryChange();
    m_plotArea = plotArea;
    m_xMin = xMin;
    m_xMax = xMax;
    m_yMin = yMin;
    m_yMax = yMax;
    m_mappedValid = false;
    update();
}

void SeriesPolylineItem::mapToPlot() {
    m_mapped.resize(m_segments.size());
    const double xSpan = m_xMax - m_xMin;
    const double ySpan = m_yMax - m_yMin;
    const double sx = xSpan > 0 ? m_plotArea.width() / xSpan : 0;
    const double sy = ySpan > 0 ? m_plotArea.height() / ySpan : 0;
    for (qsizetype s = 0; s < m_segments.size(); ++s) {
        const QPolygonF &source = m_segments[s];
        QPolygonF &target = m_mapped[s];
        target.resize(source.size());
        for (qsizetype i = 0; i < source.size(); ++i) {
            target[i] = QPointF(m_plotArea.left() + (source[i].x() - m_xMin) * sx,
                                m_plotArea.bottom() - (source[i].y() - m_yMin) * sy);
        }
    }
    m_mappedValid = true;
}

void SeriesPolylineItem::paint(QPainter *painter, const QStyleOptionGraphicsItem *, QWidget *) {
    if (m_segments.isEmpty() || m_plotArea.isEmpty())
        return;
    if (!m_mappedValid)
        mapToPlot();
    painter->save();
    painter->setClipRect(m_plotArea);
    painter->setPen(m_pen);
    painter->setBrush(Qt::NoBrush);
    for (const QPolygonF &polyline : std::as_const(m_mapped)) {
        if (polyline.size() >= 2)
            painter->drawPolyline(polyline);
    }
    painter->restore();
}

} // namespace cutover::ui
