#include "app/cutover/phase.h"

#include <array>

using namespace Qt::StringLiterals;

namespace cutover::engine {

namespace {
constexpr std::array kPhases{Phase::Holding,    Phase::Shifting,    Phase::Stabilizing,
                             Phase::Validating, Phase::RollingBack, Phase::RolledBack,
                             Phase::Complete};
} // namespace

QString phaseName(Phase phase) {
    switch (phase) {
    case Phase::Holding:
        return u"Holding"_s;
    case Phase::Shifting:
        return u"Shifting"_s;
    case Phase::Stabilizing:
        return u"Stabilizing"_s;
    case Phase::Validating:
        return u"Validating"_s;
    case Phase::RollingBack:
        return u"RollingBack"_s;
    case Phase::RolledBack:
        return u"RolledBack"_s;
    case Phase::Complete:
        return u"Complete"_s;
    }
    return QString();
}

std::optional<Phase> phaseFromName(const QString &name) {
    for (Phase phase : kPhases) {
        if (phaseName(phase) == name)
            return phase;
    }
    return std::nullopt;
}

} // namespace cutover::engine
