#pragma once

#include <QString>

#include <chrono>
#include <optional>

namespace cutover::config {

// A non-negative span of time as written in a plan: "500ms", "30s", "5m", "24h", "7d", or a
// sum such as "1h30m".
class Duration {
public:
    constexpr Duration() = default;
    constexpr explicit Duration(std::chrono::milliseconds value)
        : m_value(value) {}

    static constexpr Duration milliseconds(qint64 n) {
        return Duration(std::chrono::milliseconds(n));
    }
    static constexpr Duration seconds(qint64 n) { return milliseconds(n * 1000); }
    static constexpr Duration minutes(qint64 n) { return seconds(n * 60); }
    static constexpr Duration hours(qint64 n) { return minutes(n * 60); }
    static constexpr Duration days(qint64 n) { return hours(n * 24); }

    // Empty on a malformed text; the loader turns that into a located error.
    static std::optional<Duration> parse(const QString &text);

    constexpr std::chrono::milliseconds value() const { return m_value; }
    constexpr qint64 ms() const { return m_value.count(); }
    constexpr bool isZero() const { return m_value.count() == 0; }

    // The shortest exact form: "5m", "1h30m", "7d", "250ms".
    QString toString() const;

    friend constexpr bool operator==(Duration, Duration) = default;
    friend constexpr auto operator<=>(Duration a, Duration b) { return a.m_value <=> b.m_value; }

private:
    std::chrono::milliseconds m_value{0};
};

} // namespace cutover::config
