#include "models/time_series_buffer.h"

#include <algorithm>
#include <limits>

namespace cutover::models {

TimeSeriesBuffer::TimeSeriesBuffer(qsizetype capacity)
    : m_capacity(std::max<qsizetype>(capacity, 1)) {}

bool TimeSeriesBuffer::append(qint64 timestampMs, double value) {
    if (!m_points.empty()) {
        TimePoint &newest = m_points[std::size_t(physical(size() - 1))];
        if (timestampMs < newest.timestampMs)
            return false;
        if (timestampMs == newest.timestampMs) {
            newest.value = value;
            return true;
        }
    }
    if (size() < m_capacity) {
        m_points.push_back({timestampMs, value});
    } else {
        m_points[std::size_t(m_start)] = {timestampMs, value};
        m_start = (m_start + 1) % m_capacity;
    }
    return true;
}

qsizetype TimeSeriesBuffer::mergeOlder(std::span<const TimePoint> history) {
    const qint64 limit = isEmpty() ? std::numeric_limits<qint64>::max() : first().timestampMs;
    std::vector<TimePoint> merged;
    merged.reserve(
        std::size_t(std::min<qsizetype>(m_capacity, qsizetype(history.size()) + size())));
    qint64 previous = std::numeric_limits<qint64>::min();
    for (const TimePoint &point : history) {
        if (point.timestampMs >= limit)
            break;
        if (point.timestampMs <= previous)
            continue; // out of order or repeated: the buffer's searches need strictly sorted
        merged.push_back(point);
        previous = point.timestampMs;
    }
    const auto taken = qsizetype(merged.size());
    for (qsizetype i = 0; i < size(); ++i)
        merged.push_back(at(i));
    const qsizetype dropped = std::max<qsizetype>(0, qsizetype(merged.size()) - m_capacity);
    merged.erase(merged.begin(), merged.begin() + std::ptrdiff_t(dropped));
    m_points = std::move(merged);
    m_start = 0;
    return std::max<qsizetype>(0, taken - dropped);
}

void TimeSeriesBuffer::clear() {
    m_points.clear();
    m_start = 0;
}

const TimePoint &TimeSeriesBuffer::at(qsizetype index) const {
    Q_ASSERT(index >= 0 && index < size());
    return m_points[std::size_t(physical(index))];
}

qsizetype TimeSeriesBuffer::lowerBound(qint64 timestampMs) const {
    qsizetype low = 0;
    qsizetype high = size();
    while (low < high) {
        const qsizetype mid = low + (high - low) / 2;
        if (at(mid).timestampMs < timestampMs)
            low = mid + 1;
        else
            high = mid;
    }
    return low;
}

qsizetype TimeSeriesBuffer::upperBound(qint64 timestampMs) const {
    qsizetype low = 0;
    qsizetype high = size();
    while (low < high) {
        const qsizetype mid = low + (high - low) / 2;
        if (at(mid).timestampMs <= timestampMs)
            low = mid + 1;
        else
            high = mid;
    }
    return low;
}

TimeSeriesSlice TimeSeriesBuffer::slice(qsizetype begin, qsizetype end) const {
    begin = std::clamp<qsizetype>(begin, 0, size());
    end = std::clamp<qsizetype>(end, begin, size());
    if (begin == end)
        return {};
    const std::span<const TimePoint> all(m_points);
    const qsizetype first = physical(begin);
    const qsizetype count = end - begin;
    const qsizetype untilWrap = std::min(count, size() - first);
    return {all.subspan(std::size_t(first), std::size_t(untilWrap)),
            all.subspan(0, std::size_t(count - untilWrap))};
}

TimeSeriesSlice TimeSeriesBuffer::range(qint64 fromMs, qint64 toMs, bool withNeighbours) const {
    qsizetype begin = lowerBound(fromMs);
    qsizetype end = upperBound(toMs);
    if (withNeighbours) {
        begin = std::max<qsizetype>(begin - 1, 0);
        end = std::min(end + 1, size());
    }
    return slice(begin, end);
}

} // namespace cutover::models
