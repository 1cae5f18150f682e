#include "app/cli/command_line.h"

#include "app/cli/check_plan.h"
#include "app/cli/control.h"
#include "app/cli/evaluate.h"
#include "app/cli/hash_passphrase.h"
#include "app/cli/preflight.h"
#include "app/cli/report.h"
#include "app/cli/verify_audit.h"
#include "app/cli/verify_signoffs.h"
#include "app/config/plan_loader.h"
#include "app/controller/controller.h"
#include "app/store/store.h"

#include <QCoreApplication>
#include <QTextStream>

#include <cstdio>

using namespace Qt::StringLiterals;

namespace cutover::cli {

namespace {
const QCommandLineOption kPlan({u"p"_s, u"plan"_s},
                               u"Cutover plan to use (default: the embedded default plan)."_s,
                               u"file"_s);
const QCommandLineOption kCheckPlan(u"check-plan"_s,
                                    u"Validate a plan file, print every error, and exit: 0 valid, "
                                    u"1 invalid, 2 unreadable."_s,
                                    u"file"_s);
const QCommandLineOption kPreflight(u"preflight"_s,
                                    u"Check every load balancer, Prometheus, Alertmanager and "
                                    u"PromQL of the plan; one row per check; 0 when all pass."_s);
const QCommandLineOption kHashPassphrase(
    u"hash-passphrase"_s,
    u"Add or replace an operator in the operators file; the passphrase is read from standard "
    u"input (needs --operator and --roles)."_s);
const QCommandLineOption kOperator(u"operator"_s, u"Operator name."_s, u"name"_s);
const QCommandLineOption kRoles(u"roles"_s, u"Comma-separated roles of the operator."_s,
                                u"roles"_s);
const QCommandLineOption kDisplayName(u"display-name"_s,
                                      u"Printed name of the operator (signatures show it)."_s,
                                      u"text"_s);
const QCommandLineOption kOperatorsFile(u"operators-file"_s,
                                        u"Operators file (default: the plan's operators.file)."_s,
                                        u"file"_s);
const QCommandLineOption kVerifyAudit(u"verify-audit"_s,
                                      u"Walk the audit log's hash chain: prints 'OK: N entries, "
                                      u"head <hash>' or the first broken entry (exit 1)."_s);
const QCommandLineOption kCheckpoints(u"checkpoints"_s,
                                      u"With --verify-audit: compare the log with the signed "
                                      u"checkpoints published in FILE (the plan's "
                                      u"audit.checkpoints.file)."_s,
                                      u"file"_s);
const QCommandLineOption kVerifySignoffs(
    u"verify-signoffs"_s,
    u"Check every sign-off's Ed25519 signature offline against the public keys the audit log "
    u"recorded, and the operators file's keys against them: one line per sign-off (exit 1 when "
    u"one fails)."_s);
const QCommandLineOption kExportAudit(u"export-audit"_s,
                                      u"Write the audit log to a file: CSV when it ends in .csv, "
                                      u"else JSON."_s,
                                      u"file"_s);
const QCommandLineOption kStore(u"store"_s,
                                u"SQLite store file to use instead of the plan's store (store.url, "
                                u"store.path, or the user's data folder)."_s,
                                u"path"_s);

const QCommandLineOption kStatus(u"status"_s,
                                 u"Print where every environment stands (with --operator: "
                                 u"whether they may shift, and why not)."_s);
const QCommandLineOption kJson(u"json"_s,
                               u"With --status or --evaluate: print JSON. With an action "
                               u"(--shift, --sign …): a refusal is printed as JSON with its "
                               u"codes."_s);
const QCommandLineOption kEvaluate(
    u"evaluate"_s,
    u"Judge a gate or one of its checks from Prometheus' history and the store: every check's "
    u"verdict with its numbers, and the gate's score. 0 when all pass, 1 when any fails or is "
    u"unknown."_s,
    u"gate[/check]"_s);
const QCommandLineOption kAt(u"at"_s,
                             u"With --evaluate: when (ISO 8601, UTC unless it says otherwise, or "
                             u"a span ago such as 2h; default: now)."_s,
                             u"time"_s);
const QCommandLineOption kShift(u"shift"_s,
                                u"Shift an environment to its next stage (needs --to, "
                                u"--operator; passphrase on standard input)."_s,
                                u"environment"_s);
const QCommandLineOption kTo(u"to"_s,
                             u"With --shift: the next stage's percent, as a check. With "
                             u"--rollback: step back to this earlier stage instead (planned, "
                             u"validated; needs --reason)."_s,
                             u"percent"_s);
const QCommandLineOption kWait(u"wait"_s,
                               u"With --shift or --rollback --to: wait for the validation."_s);
const QCommandLineOption kRollback(u"rollback"_s,
                                   u"Roll an environment back: legacy 100 / OTel 0 on every load "
                                   u"balancer (needs --operator)."_s,
                                   u"environment"_s);
const QCommandLineOption kReason(u"reason"_s,
                                 u"With --rollback --to: why this planned step back (audited)."_s,
                                 u"text"_s);
const QCommandLineOption kTick(u"tick"_s, u"Tick a manual checklist item (needs --operator)."_s,
                               u"gate/item"_s);
const QCommandLineOption kSign(u"sign"_s,
                               u"Sign a gate (needs --meaning and --operator; passphrase on "
                               u"standard input)."_s,
                               u"gate"_s);
const QCommandLineOption kMeaning(u"meaning"_s, u"With --sign: what the signature means."_s,
                                  u"text"_s);
const QCommandLineOption kComment(u"comment"_s, u"With --sign: a comment."_s, u"text"_s);
const QCommandLineOption kAcknowledgeMarginal(
    u"acknowledge-marginal"_s,
    u"With --sign: acknowledge the gate's marginal parity score (--comment says why)."_s);
const QCommandLineOption
    kEnv(u"env"_s,
         u"Environment for --tick, --sign, --status and --evaluate (default: the "
         u"plan's first)."_s,
         u"environment"_s);
const QCommandLineOption kDecommission(
    u"decommission"_s,
    u"Run a decommission step (needs --step and --operator; passphrase on standard input)."_s,
    u"environment"_s);
const QCommandLineOption kStep(u"step"_s, u"With --decommission: the step's id."_s, u"id"_s);
const QCommandLineOption kConfirm(u"confirm"_s,
                                  u"With --decommission: the typed confirmation of an "
                                  u"irreversible step (e.g. \"REMOVE legacy-1 FROM lb-a\")."_s,
                                  u"text"_s);
const QCommandLineOption kEvidence(u"evidence"_s,
                                   u"With --decommission: the step's evidence (a file, a URL or "
                                   u"a note, as the plan asks)."_s,
                                   u"file|url|text"_s);
const QCommandLineOption kApprove(u"approve"_s,
                                  u"With --decommission: approve the step in this role instead "
                                  u"of running it (a signature: passphrase on standard input)."_s,
                                  u"role"_s);
const QCommandLineOption kPermanence(
    u"permanence"_s,
    u"With --decommission: the load balancers keep a server-state-file, so a reload keeps the "
    u"runtime weights although the configured ones differ (recorded as evidence)."_s,
    u"text"_s);
const QCommandLineOption kDryRun(u"dry-run"_s,
                                 u"Rehearse: everything but writing weights; the audit log says "
                                 u"what would have been sent."_s);

const QCommandLineOption kReport(u"report"_s,
                                 u"Write the status report (the seed's weekly template) from the "
                                 u"store and Prometheus: Markdown to standard output, or --format "
                                 u"pdf --out FILE."_s);
const QCommandLineOption kFormat(u"format"_s, u"With --report: md (default) or pdf."_s,
                                 u"md|pdf"_s);
const QCommandLineOption
    kOut(u"out"_s,
         u"With --report, --signoff-record or --completion-report: the file to write (written "
         u"whole or not at all)."_s,
         u"file"_s);
const QCommandLineOption kSignoffRecord(u"signoff-record"_s,
                                        u"Write the executive sign-off record as a PDF (needs "
                                        u"--out): every gate, every signature, the audit chain's "
                                        u"head hash."_s);
const QCommandLineOption kCompletionReport(
    u"completion-report"_s,
    u"Write the cutover completion report as a PDF (needs --out): stages with dates, rollbacks "
    u"and incidents, gates with signatures, decommission steps with evidence hashes, the cost "
    u"analysis, exit criteria, handoff checklist, the audit chain's head hash."_s);

const QCommandLineOption kServe(
    u"serve"_s,
    u"Run the always-on controller: the engine without a window (validation, holds, triggers "
    u"with automatic rollback, drift, webhooks) until SIGTERM. Several controllers may share a "
    u"PostgreSQL store: one leads, the others take over when it stops."_s);
const QCommandLineOption kListen(u"listen"_s,
                                 u"With --serve: serve /metrics and /healthz on HOST:PORT "
                                 u"(default: the plan's controller.listen)."_s,
                                 u"host:port"_s);

const QList<QCommandLineOption> &headlessCommands() {
    static const QList<QCommandLineOption> commands{
        kCheckPlan,    kPreflight,       kHashPassphrase, kVerifyAudit, kVerifySignoffs,
        kExportAudit,  kStatus,          kShift,          kRollback,    kTick,
        kSign,         kReport,          kSignoffRecord,  kServe,       kEvaluate,
        kDecommission, kCompletionReport};
    return commands;
}

// Loads --plan (or the default plan), printing every error. Empty on failure.
std::optional<config::Plan> loadPlanOrReport(const QString &file, QTextStream &err) {
    const QString path = file.isEmpty() ? u":/plans/default.yaml"_s : file;
    config::PlanLoadResult result = config::loadPlanFile(path);
    if (!result.ok()) {
        err << result.errorText() << '\n';
        err.flush();
        return std::nullopt;
    }
    return std::move(result.plan);
}

} // namespace

CommandLine::CommandLine() {
    m_parser.setApplicationDescription(
        u"Cutover Console: cut production telemetry over from a legacy collector fleet to "
        u"OpenTelemetry, stage by stage, with gates, sign-off and one-press rollback."_s);
    m_parser.addHelpOption();
    m_parser.addVersionOption();
    m_parser.addOptions({kPlan,
                         kCheckPlan,
                         kPreflight,
                         kStatus,
                         kJson,
                         kShift,
                         kTo,
                         kWait,
                         kRollback,
                         kReason,
                         kTick,
                         kSign,
                         kDecommission,
                         kStep,
                         kConfirm,
                         kEvidence,
                         kApprove,
                         kPermanence,
                         kMeaning,
                         kComment,
                         kEnv,
                         kOperator,
                         kDryRun,
                         kHashPassphrase,
                         kRoles,
                         kDisplayName,
                         kOperatorsFile,
                         kVerifyAudit,
                         kVerifySignoffs,
                         kCheckpoints,
                         kExportAudit,
                         kStore,
                         kReport,
                         kFormat,
                         kOut,
                         kSignoffRecord,
                         kCompletionReport,
                         kServe,
                         kListen,
                         kEvaluate,
                         kAt,
                         kAcknowledgeMarginal});
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
    QStringList commands;
    for (const QCommandLineOption &command : headlessCommands()) {
        if (m_parser.isSet(command))
            commands.append(u"--"_s + command.names().constLast());
    }
    if (commands.size() > 1) {
        m_error =
            u"%1 cannot be combined: give one command at a time"_s.arg(commands.join(u" and "_s));
        return Mode::Error;
    }
    return commands.isEmpty() ? Mode::Window : Mode::Headless;
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

QString CommandLine::operatorName() const {
    return m_parser.value(kOperator);
}

QString CommandLine::storePath() const {
    return m_parser.value(kStore);
}

bool CommandLine::dryRun() const {
    return m_parser.isSet(kDryRun);
}

QString CommandLine::checkPlanFile() const {
    return m_parser.value(kCheckPlan);
}

bool CommandLine::needsGuiApplication() const {
    return m_parser.isSet(kReport) || m_parser.isSet(kSignoffRecord) ||
           m_parser.isSet(kCompletionReport);
}

bool CommandLine::wantsCheckPlan() const {
    return m_parser.isSet(kCheckPlan);
}

int CommandLine::runHeadless() const {
    QTextStream out(stdout);
    QTextStream err(stderr);
    if (m_parser.isSet(kCheckPlan))
        return checkPlan(m_parser.value(kCheckPlan), out, err);

    if (m_parser.isSet(kPreflight)) {
        const auto plan = loadPlanOrReport(planFile(), err);
        return plan ? runPreflight(*plan, out, err) : int(ExitUsage);
    }

    if (m_parser.isSet(kHashPassphrase)) {
        std::optional<config::Plan> plan;
        if (m_parser.isSet(kPlan)) {
            plan = loadPlanOrReport(planFile(), err);
            if (!plan)
                return ExitUsage;
        }
        HashPassphraseRequest request;
        request.operatorName = m_parser.value(kOperator);
        request.roles = m_parser.value(kRoles).split(u',', Qt::SkipEmptyParts);
        for (QString &role : request.roles)
            role = role.trimmed();
        request.displayName = m_parser.value(kDisplayName);
        request.operatorsFile = m_parser.value(kOperatorsFile);
        QTextStream in(stdin);
        return hashPassphraseCommand(request, plan ? &*plan : nullptr, in, out, err);
    }

    if (m_parser.isSet(kVerifySignoffs)) {
        const auto plan = loadPlanOrReport(planFile(), err);
        if (!plan)
            return ExitUsage;
        config::StoreConfig storeConfig = plan->store;
        if (m_parser.isSet(kStore)) {
            storeConfig = config::StoreConfig();
            storeConfig.path = m_parser.value(kStore);
        }
        const QString operatorsFile =
            m_parser.isSet(kOperatorsFile) ? m_parser.value(kOperatorsFile) : plan->operators.file;
        return verifySignoffsCommand(storeConfig, operatorsFile, out, err);
    }

    if (m_parser.isSet(kVerifyAudit) || m_parser.isSet(kExportAudit)) {
        // --store names a SQLite file; without it, the plan's store (SQLite or PostgreSQL).
        config::StoreConfig storeConfig;
        storeConfig.path = m_parser.value(kStore);
        if (storeConfig.path.isEmpty()) {
            const auto plan = loadPlanOrReport(planFile(), err);
            if (!plan)
                return ExitUsage;
            storeConfig = plan->store;
        }
        if (m_parser.isSet(kVerifyAudit))
            return verifyAuditCommand(storeConfig, out, err, m_parser.value(kCheckpoints));
        return exportAuditCommand(storeConfig, m_parser.value(kExportAudit), out, err);
    }
    const auto plan = loadPlanOrReport(planFile(), err);
    if (!plan)
        return ExitUsage;
    if (m_parser.isSet(kServe)) {
        controller::ControllerRequest request;
        request.listen = m_parser.value(kListen);
        request.storePath = m_parser.value(kStore);
        return controller::runController(*plan, request, err);
    }
    if (m_parser.isSet(kEvaluate)) {
        EvaluateRequest evaluate;
        const QStringList parts = m_parser.value(kEvaluate).split(u'/');
        if (parts.size() > 2 || parts.at(0).isEmpty() ||
            (parts.size() == 2 && parts.at(1).isEmpty())) {
            err << "--evaluate expects GATE or GATE/CHECK, e.g. gate_1 or gate_1/latency_parity\n";
            return ExitUsage;
        }
        evaluate.gate = parts.at(0);
        evaluate.check = parts.value(1);
        evaluate.environment = m_parser.value(kEnv);
        evaluate.storePath = m_parser.value(kStore);
        evaluate.json = m_parser.isSet(kJson);
        if (m_parser.isSet(kAt)) {
            QString problem;
            evaluate.at =
                parseEvaluationTime(m_parser.value(kAt), QDateTime::currentDateTimeUtc(), &problem);
            if (!evaluate.at.isValid()) {
                err << problem << '\n';
                return ExitUsage;
            }
        }
        return evaluateCommand(*plan, evaluate, out, err);
    }
    if (m_parser.isSet(kReport) || m_parser.isSet(kSignoffRecord) ||
        m_parser.isSet(kCompletionReport)) {
        ReportRequest report;
        report.kind = m_parser.isSet(kSignoffRecord)      ? ReportRequest::Kind::SignOffRecord
                      : m_parser.isSet(kCompletionReport) ? ReportRequest::Kind::Completion
                                                          : ReportRequest::Kind::Status;
        report.outFile = m_parser.value(kOut);
        report.storePath = m_parser.value(kStore);
        if (m_parser.isSet(kFormat) &&
            !parseReportFormat(m_parser.value(kFormat), &report.format)) {
            err << "--format expects md or pdf\n";
            return ExitUsage;
        }
        if (report.kind != ReportRequest::Kind::Status && report.outFile.isEmpty()) {
            err << (report.kind == ReportRequest::Kind::SignOffRecord ? "--signoff-record"
                                                                      : "--completion-report")
                << " needs --out FILE (a PDF)\n";
            return ExitUsage;
        }
        return reportCommand(*plan, report, out, err);
    }
    ControlRequest request;
    request.operatorName = m_parser.value(kOperator);
    request.environment = m_parser.value(kEnv);
    request.storePath = m_parser.value(kStore);
    request.json = m_parser.isSet(kJson);
    request.dryRun = m_parser.isSet(kDryRun);
    request.wait = m_parser.isSet(kWait);
    if (m_parser.isSet(kShift)) {
        request.kind = ControlRequest::Kind::Shift;
        request.environment = m_parser.value(kShift);
        bool ok = false;
        request.percent = m_parser.value(kTo).toInt(&ok);
        if (!ok) {
            err << "--shift needs --to PERCENT: the next stage's percent, typed as a check\n";
            return ExitUsage;
        }
    } else if (m_parser.isSet(kRollback)) {
        request.kind = ControlRequest::Kind::Rollback;
        request.environment = m_parser.value(kRollback);
        if (m_parser.isSet(kTo)) {
            bool ok = false;
            request.kind = ControlRequest::Kind::StepBack;
            request.percent = m_parser.value(kTo).toInt(&ok);
            request.comment = m_parser.value(kReason);
            if (!ok) {
                err << "--rollback ENV --to PERCENT: PERCENT is an earlier stage's percent\n";
                return ExitUsage;
            }
            if (request.comment.trimmed().isEmpty()) {
                err << "--rollback --to needs --reason TEXT (a planned step back is audited "
                       "with its reason)\n";
                return ExitUsage;
            }
        }
    } else if (m_parser.isSet(kTick)) {
        request.kind = ControlRequest::Kind::Tick;
        const QStringList parts = m_parser.value(kTick).split(u'/');
        if (parts.size() != 2 || parts.at(0).isEmpty() || parts.at(1).isEmpty()) {
            err << "--tick expects GATE/ITEM, e.g. pre_cutover/runbooks\n";
            return ExitUsage;
        }
        request.gate = parts.at(0);
        request.item = parts.at(1);
    } else if (m_parser.isSet(kDecommission)) {
        request.kind = m_parser.isSet(kApprove) ? ControlRequest::Kind::Approve
                                                : ControlRequest::Kind::Decommission;
        request.environment = m_parser.value(kDecommission);
        request.step = m_parser.value(kStep);
        request.role = m_parser.value(kApprove);
        request.confirmation = m_parser.value(kConfirm);
        request.evidence = m_parser.value(kEvidence);
        request.permanence = m_parser.value(kPermanence);
        if (request.step.isEmpty()) {
            err << "--decommission ENV needs --step ID (see --status for the steps)\n";
            return ExitUsage;
        }
    } else if (m_parser.isSet(kSign)) {
        request.kind = ControlRequest::Kind::Sign;
        request.gate = m_parser.value(kSign);
        request.meaning = m_parser.value(kMeaning);
        request.comment = m_parser.value(kComment);
        request.acknowledgeMarginal = m_parser.isSet(kAcknowledgeMarginal);
        if (request.meaning.trimmed().isEmpty()) {
            err << "--sign needs --meaning TEXT (what the signature means, e.g. Approved)\n";
            return ExitUsage;
        }
    }
    QTextStream in(stdin);
    return runControl(*plan, request, in, out, err);
    return ExitUsage;
}

int runHeadless(const CommandLine &commandLine) {
    return commandLine.runHeadless();
}

} // namespace cutover::cli
