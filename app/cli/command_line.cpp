#include "app/cli/command_line.h"

#include "app/cli/check_plan.h"

#include <QCoreApplication>
#include <QTextStream>

#include <cstdio>

using namespace Qt::StringLiterals;

namespace cutover::cli {

namespace {
const QCommandLineOption kPlan({u"p"_s, u"plan"_s},
                               u"Cutover plan to open (default: the embedded default plan)."_s,
                               u"file"_s);
const QCommandLineOption kCheckPlan(u"check-plan"_s,
                                    u"Validate a plan file, print every error, and exit: 0 valid, "
                                    u"1 invalid, 2 unreadable."_s,
                                    u"file"_s);
} // namespace

CommandLine::CommandLine() {
    m_parser.setApplicationDescription(
        u"Cutover Console: cut production telemetry over from a legacy collector fleet to "
        u"OpenTelemetry, stage by stage, with gates, sign-off and one-press rollback."_s);
    m_parser.addHelpOption();
    m_parser.addVersionOption();
    m_parser.addOption(kPlan);
    m_parser.addOption(kCheckPlan);
}

CommandLine::Mode CommandLine::parse(const QStringList &arguments) {
    if (!m_parser.parse(arguments)) {
        m_error = m_parser.errorText();
        return Mode::Error;
    }
    if (!m_parser.positionalArguments().isEmpty()) {
        m_error = u"unexpected argument '%1' (options start with --; see --help)"_s.arg(
            m_parser.positionalArguments().constFirst());
        return Mode::Error;
    }
    if (m_parser.isSet(u"help"_s))
        return Mode::Help;
    if (m_parser.isSet(u"version"_s))
        return Mode::Version;
    if (m_parser.isSet(kCheckPlan))
        return Mode::Headless;
    return Mode::Window;
}

QString CommandLine::helpText() const {
    return m_parser.helpText();
}

QString CommandLine::versionText() const {
    return u"cutover-console "_s + QStringLiteral(CONSOLE_VERSION) + u'\n';
}

QString CommandLine::planFile() const {
    return m_parser.value(kPlan);
}

QString CommandLine::checkPlanFile() const {
    return m_parser.value(kCheckPlan);
}

bool CommandLine::wantsCheckPlan() const {
    return m_parser.isSet(kCheckPlan);
}

void setApplicationIdentity() {
    QCoreApplication::setOrganizationName(u"cutover-console"_s);
    QCoreApplication::setApplicationName(u"cutover-console"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(CONSOLE_VERSION));
}

int runHeadless(const CommandLine &commandLine) {
    QTextStream out(stdout);
    QTextStream err(stderr);
    if (commandLine.wantsCheckPlan())
        return checkPlan(commandLine.checkPlanFile(), out, err);
    err << "nothing to do\n";
    return ExitUsage;
}

} // namespace cutover::cli
