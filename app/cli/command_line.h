#pragma once

#include <QCommandLineParser>
#include <QString>
#include <QStringList>

namespace cutover::cli {

// Exit codes shared by every headless command, so scripts can tell them apart.
enum ExitCode : int {
    ExitOk = 0,
    ExitInvalid = 1, // the plan (or the thing checked) is invalid, or the action was refused
    ExitUsage = 2,   // bad command line or an unreadable file
};

// The whole command line of cutover-console. Parsed before any QCoreApplication exists, so
// main() can pick a GUI or a headless application from it.
class CommandLine {
public:
    enum class Mode { Window, Headless, Help, Version, Error };

    CommandLine();
    Mode parse(const QStringList &arguments);

    QString errorText() const { return m_error; }
    QString helpText() const;
    QString versionText() const;

    QString planFile() const; // --plan, empty: the embedded default plan
    QString operatorName() const;
    QString storePath() const;
    bool dryRun() const;

    // What the window needs from the command line (declared in ui/application.h).
    template <typename Options>
    Options windowOptionsAs() const {
        Options options;
        options.planFile = planFile();
        options.operatorName = operatorName();
        options.storePath = storePath();
        options.dryRun = dryRun();
        return options;
    }
    QString checkPlanFile() const;
    bool wantsCheckPlan() const;
    // --report and --signoff-record lay text out (QtGui fonts, PDF): main() then creates a
    // QGuiApplication on the offscreen platform instead of a QCoreApplication.
    bool needsGuiApplication() const;

    // Runs the headless command given; needs a QCoreApplication whose loop is not running.
    int runHeadless() const;

private:
    QCommandLineParser m_parser;
    QString m_error;
};

// Runs the headless command the command line asked for; returns the process exit code.
int runHeadless(const CommandLine &commandLine);

} // namespace cutover::cli
