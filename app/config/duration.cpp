#include "app/config/duration.h"

#include <QRegularExpression>

#include <array>
#include <limits>

namespace cutover::config {

namespace {

struct Unit {
    QStringView suffix;
    qint64 ms;
};

constexpr qint64 kSecond = 1000;
constexpr qint64 kMinute = 60 * kSecond;
constexpr qint64 kHour = 60 * kMinute;
constexpr qint64 kDay = 24 * kHour;

// Longest suffix first so "ms" is not read as "m".
const std::array<Unit, 5> kUnits{{
    {u"ms", 1},
    {u"d", kDay},
    {u"h", kHour},
    {u"m", kMinute},
    {u"s", kSecond},
}};

} // namespace

std::optional<Duration> Duration::parse(const QString &text) {
    static const QRegularExpression part(QStringLiteral(R"(\G(\d{1,9})(ms|d|h|m|s))"));
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty())
        return std::nullopt;
    if (trimmed == u"0")
        return Duration();
    qint64 total = 0;
    qsizetype offset = 0;
    while (offset < trimmed.size()) {
        const auto match = part.match(trimmed, offset, QRegularExpression::NormalMatch,
                                      QRegularExpression::AnchorAtOffsetMatchOption);
        if (!match.hasMatch())
            return std::nullopt;
        const qint64 count = match.captured(1).toLongLong();
        const QStringView suffix = match.capturedView(2);
        for (const Unit &unit : kUnits) {
            if (unit.suffix == suffix) {
                if (count > (std::numeric_limits<qint64>::max() - total) / unit.ms)
                    return std::nullopt;
                total += count * unit.ms;
                break;
            }
        }
        offset = match.capturedEnd(0);
    }
    return Duration::milliseconds(total);
}

QString Duration::toString() const {
    qint64 rest = m_value.count();
    if (rest == 0)
        return QStringLiteral("0s");
    QString text;
    // People say "72 hours" and "7 days": days only from a week up.
    const bool useDays = rest >= 7 * kDay;
    for (const Unit &unit : {kUnits[1], kUnits[2], kUnits[3], kUnits[4], kUnits[0]}) {
        if (unit.ms == kDay && !useDays)
            continue;
        if (rest >= unit.ms) {
            text += QString::number(rest / unit.ms) + unit.suffix;
            rest %= unit.ms;
        }
    }
    return text;
}

} // namespace cutover::config
