#pragma once

// The HTML pieces every printed record shares (QTextDocument's subset; black on white, every
// colour set explicitly so that paper looks the same whatever the screen theme).

#include "app/cutover/engine_snapshot.h"

#include <QDateTime>
#include <QString>
#include <QStringList>

namespace cutover::report {

QString esc(const QString &text);
// "2025-04-02 10:00 UTC"; empty for an invalid time.
QString utc(const QDateTime &at);
// A word in capitals, white on `background`.
QString badge(const QString &word, const QString &background);
QString stateColour(engine::CheckStatus::State state);
// "<ul><li>…</li></ul>", each line escaped.
QString bulletList(const QStringList &lines);
// The opening tag of a full-width table with thin borders.
QString tableOpen();
// One gate: its items with their states and who ticked them, then every signature (printed
// name, role, time, meaning, comment, signature hash).
QString gateRecordHtml(const engine::GateStatus &gate, bool guardsNextShift);

} // namespace cutover::report
