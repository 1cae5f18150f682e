#pragma once

// What `--status` prints: a few lines per environment for people, or JSON for scripts.

#include "app/cutover/cutover_engine.h"

#include <QJsonObject>
#include <QTextStream>

namespace cutover::cli {

QString shareText(std::optional<double> share);
QString healthName(engine::BackendHealth::State state);
// `shift_refusals` carries the texts; `shift_refusal_codes` each refusal's code, text and args.
QJsonObject snapshotJson(const engine::EnvironmentSnapshot &s,
                         const engine::Refusals &shiftRefusals);
void printSnapshot(QTextStream &out, const engine::EnvironmentSnapshot &s,
                   const QStringList &shiftRefusals, bool withOperator);
// Who decides, one line: "decisions: controller host-a · leading 3d · evaluated 1s ago".
void printDecision(QTextStream &out, const engine::DecisionStatus &decision);

} // namespace cutover::cli
