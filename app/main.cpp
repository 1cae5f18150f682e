// Composition root: reads the command line, then either runs a headless command on a
// QCoreApplication (no display needed) or opens the window on a QApplication.

#include "app/cli/command_line.h"
#include "app/config/application_identity.h"
#include "app/report/pdf_writer.h"
#include "ui/application.h"

#include <QCoreApplication>
#include <QGuiApplication>
#include <QTextStream>

#include <cstdio>
#include <memory>

int main(int argc, char **argv) {
    QStringList arguments;
    arguments.reserve(argc);
    for (int i = 0; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));

    cutover::cli::CommandLine commandLine;
    const auto mode = commandLine.parse(arguments);
    if (mode == cutover::cli::CommandLine::Mode::Window)
        return cutover::ui::runWindow(argc, argv,
                                      commandLine.windowOptionsAs<cutover::ui::WindowOptions>());

    std::unique_ptr<QCoreApplication> app;
    if (mode == cutover::cli::CommandLine::Mode::Headless && commandLine.needsGuiApplication()) {
        // Reports lay text out with QtGui (fonts, QTextDocument, QPdfWriter) but never show a
        // window: the offscreen platform needs no display.
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
        app = std::make_unique<QGuiApplication>(argc, argv);
        cutover::report::installPdfRenderer();
    } else {
        app = std::make_unique<QCoreApplication>(argc, argv);
    }
    cutover::config::setApplicationIdentity();
    switch (mode) {
    case cutover::cli::CommandLine::Mode::Error:
        QTextStream(stderr) << "cutover-console: " << commandLine.errorText() << "\n(see --help)\n";
        return cutover::cli::ExitUsage;
    case cutover::cli::CommandLine::Mode::Help:
        QTextStream(stdout) << commandLine.helpText();
        return cutover::cli::ExitOk;
    case cutover::cli::CommandLine::Mode::Version:
        QTextStream(stdout) << commandLine.versionText();
        return cutover::cli::ExitOk;
    case cutover::cli::CommandLine::Mode::Headless:
    case cutover::cli::CommandLine::Mode::Window:
        break;
    }
    return cutover::cli::runHeadless(commandLine);
}
