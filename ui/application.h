#pragma once

#include <QString>

namespace cutover::ui {

// Creates the QApplication, opens the main window on `planFile` (empty: the embedded default
// plan) and runs the event loop.
int runWindow(int &argc, char **argv, const QString &planFile);

} // namespace cutover::ui
