#include "ui/application.h"

#include "app/cli/command_line.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QTimer>

namespace cutover::ui {

int runWindow(int &argc, char **argv, const QString &planFile) {
    QApplication app(argc, argv);
    cli::setApplicationIdentity();
    QApplication::setApplicationDisplayName(QStringLiteral("Cutover Console"));

    MainWindow window;
    window.show();
    // Load after the first frame is up, so a slow disk never delays the window.
    QTimer::singleShot(0, &window, [&window, planFile] {
        window.openPlan(planFile.isEmpty() ? MainWindow::defaultPlanPath() : planFile);
    });
    return QApplication::exec();
}

} // namespace cutover::ui
