#pragma once

// Who decides, said for people, in one place: the window's header, `--status` and the
// controller's log use the same words.

#include "app/cutover/cutover_engine.h"

namespace cutover::engine {

struct DecisionText {
    enum class Tone { Ok, Warning, Alarm };
    Tone tone = Tone::Ok;
    QString text;    // one line
    QString tooltip; // the details
};

// `desk`: the words of a window ("this window") or of the command line ("this command").
DecisionText describeDecision(const DecisionStatus &status, const QDateTime &now,
                              const QString &desk = QStringLiteral("this window"));

} // namespace cutover::engine
