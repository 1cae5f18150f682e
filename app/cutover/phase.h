#pragma once

#include <QString>

#include <optional>

namespace cutover::engine {

// Where one environment's cutover stands (DESIGN.md, "The engine").
enum class Phase {
    Holding,     // at a stage (or before the first), waiting for hold and gates
    Shifting,    // weights being applied to the load balancers
    Stabilizing, // applied; waiting before measuring the split
    Validating,  // measuring the split against the stage's tolerance
    RollingBack, // legacy 100 / OTel 0 being applied
    RolledBack,  // all traffic back on legacy after a rollback
    Complete,    // 100% on OTel, validated
};

QString phaseName(Phase phase);
std::optional<Phase> phaseFromName(const QString &name);

// A shift or rollback is under way: no other change may start.
inline bool isBusy(Phase phase) {
    return phase == Phase::Shifting || phase == Phase::Stabilizing || phase == Phase::Validating ||
           phase == Phase::RollingBack;
}

} // namespace cutover::engine
