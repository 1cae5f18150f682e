#pragma once

#include <QString>

namespace cutover::ui {

struct WindowOptions {
    QString planFile;     // empty: the embedded default plan
    QString operatorName; // pre-filled in the sign-in dialog
    QString storePath;    // overrides the plan's store.path
    bool dryRun = false;  // everything but writing weights
};

// Creates the QApplication, opens the war room on the plan (or, when the plan is invalid, the
// plan window listing every error) and runs the event loop.
int runWindow(int &argc, char **argv, const WindowOptions &options);

} // namespace cutover::ui
