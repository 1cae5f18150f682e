#pragma once

#include <QtGlobal>

#include <span>
#include <vector>

namespace cutover::models {

// One sample: milliseconds since the epoch and a value. A NaN value is a gap (the query answered
// "no data" or "NaN"): it is stored so the chart can break its line there.
struct TimePoint {
    qint64 timestampMs = 0;
    double value = 0;
};

// The points of a buffer between two indices, oldest first. A ring buffer's range is at most two
// contiguous runs (before and after the wrap), so this is two spans viewed as one sequence.
class TimeSeriesSlice {
public:
    TimeSeriesSlice() = default;
    TimeSeriesSlice(std::span<const TimePoint> head, std::span<const TimePoint> tail)
        : m_head(head)
        , m_tail(tail) {}

    qsizetype size() const { return qsizetype(m_head.size() + m_tail.size()); }
    bool isEmpty() const { return size() == 0; }
    const TimePoint &operator[](qsizetype index) const {
        const auto i = std::size_t(index);
        return i < m_head.size() ? m_head[i] : m_tail[i - m_head.size()];
    }
    std::span<const TimePoint> head() const { return m_head; }
    std::span<const TimePoint> tail() const { return m_tail; }

private:
    std::span<const TimePoint> m_head;
    std::span<const TimePoint> m_tail;
};

// A bounded ring buffer of one series, in time order. Appending is O(1); once full, the oldest
// point is overwritten. Memory grows with use up to capacity × 16 bytes (86,400 points, 24 h at
// 1 s, is 1.4 MB), so 30 series of 24 h stay near 41 MB.
class TimeSeriesBuffer {
public:
    static constexpr qsizetype DefaultCapacity = 86'400;

    explicit TimeSeriesBuffer(qsizetype capacity = DefaultCapacity);

    qsizetype capacity() const { return m_capacity; }
    qsizetype size() const { return qsizetype(m_points.size()); }
    bool isEmpty() const { return m_points.empty(); }

    // Appends in time order. A point at the newest timestamp replaces it (a re-poll of the same
    // scrape); an older point is dropped and false returned, because the buffer's binary search
    // needs sorted timestamps and a late sample of a live chart is worth less than that.
    bool append(qint64 timestampMs, double value);
    // Puts history (in time order) before what the buffer holds: points at or after its oldest
    // are ignored, and when the total exceeds the capacity the oldest history goes. O(size) once,
    // for a chart that opens mid-cutover and fetches what happened before. Returns how many
    // points were taken.
    qsizetype mergeOlder(std::span<const TimePoint> history);
    void clear();

    // index 0 is the oldest point.
    const TimePoint &at(qsizetype index) const;
    const TimePoint &first() const { return at(0); }
    const TimePoint &last() const { return at(size() - 1); }

    // First index whose timestamp is >= / > timestampMs (size() when none), by binary search.
    qsizetype lowerBound(qint64 timestampMs) const;
    qsizetype upperBound(qint64 timestampMs) const;

    // Points with index in [begin, end).
    TimeSeriesSlice slice(qsizetype begin, qsizetype end) const;
    // Points with fromMs <= timestamp <= toMs, plus one neighbour on each side when
    // `withNeighbours` so a line can be drawn to the plot's edges.
    TimeSeriesSlice range(qint64 fromMs, qint64 toMs, bool withNeighbours = false) const;

private:
    qsizetype physical(qsizetype index) const { return (m_start + index) % m_capacity; }

    qsizetype m_capacity;
    qsizetype m_start = 0; // physical index of the oldest point once the ring is full
    std::vector<TimePoint> m_points;
};

} // namespace cutover::models
