#pragma once

// The verdict of one compare check, shared by the check (compare.h) and the gate score
// (gate_score.h). Kayenta's metric classifications, without its Error: a check that cannot be
// judged is NoData, and NoData never passes.

#include <QString>
#include <QStringView>

#include <optional>

namespace cutover::analysis {

enum class Verdict {
    Pass,   // no significant change in the bad direction, or one within the allowance
    High,   // OTel significantly higher than legacy, by more than the allowance
    Low,    // OTel significantly lower than legacy, by more than the allowance
    NoData, // too few samples on a side, or nothing to compare: never a pass
};

// Which change counts against OTel.
enum class Direction { Increase, Decrease, Either };

// What a NaN (or an infinity) in a sample means: a point that is not there (Remove), or a
// point where nothing was delivered (Replace, with 0; Kayenta's "replace").
enum class NanPolicy { Remove, Replace };

// "pass", "high", "low", "nodata": the words of the plan, the CLI and the JSON output.
QString verdictName(Verdict verdict);
QString directionName(Direction direction);
QString nanPolicyName(NanPolicy policy);
std::optional<Verdict> parseVerdict(QStringView text);
std::optional<Direction> parseDirection(QStringView text);
std::optional<NanPolicy> parseNanPolicy(QStringView text);

} // namespace cutover::analysis
