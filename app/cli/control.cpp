#include "app/cli/control.h"

#include "app/cli/command_store.h"
#include "app/cli/passphrase_input.h"
#include "app/cli/status_output.h"
#include "app/cutover/cutover_engine.h"
#include "app/store/operators_file.h"
#include "app/store/rehearsal_store.h"
#include "app/store/store.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTimer>

#include <cmath>
#include <memory>

using namespace Qt::StringLiterals;

namespace cutover::cli {

namespace {

// One control request, as a small state machine on the event loop.
class ControlRun : public QObject {
public:
    ControlRun(const config::Plan &plan, const ControlRequest &request, QTextStream &in,
               QTextStream &out, QTextStream &err)
        : m_plan(plan)
        , m_request(request)
        , m_in(in)
        , m_out(out)
        , m_err(err) {}

    int prepare();
    void begin();

private:
    void act();
    bool settled() const;
    void finish(int code);
    // Refusals (guards, a wrong passphrase) exit 3; an attempt that failed exits 1.
    // With --json, the refusal is also printed as {"refused": …, "error": …, "refusals":
    // [{"code", "text", "args"}]} on standard output, for tools.
    void runDecommissionStep();
    QJsonObject withDecommission(QJsonObject environment, const QString &name) const;
    void printDecommission(const QString &name);
    // The passphrase is checked before anything else is judged, for a name in the operators
    // file and one that is not alike (the same derivation time, audit entry, lock-out and
    // words): a guard's refusal ("Gate 1 … not ticked") is only ever shown to the operator
    // himself, so no answer tells whether a name exists. False: refused (and finished).
    bool passphraseFirst() {
        const auto checked = m_engine->signIn(m_request.operatorName, m_passphrase);
        if (checked.ok() && m_operator)
            return true;
        refuse({}, u"refused: "_s + checked.message);
        return false;
    }

    void refuse(const engine::Refusals &reasons, const QString &error, bool refused = true) {
        if (!error.isEmpty())
            m_err << error << '\n';
        for (const engine::Refusal &reason : reasons)
            m_err << "refused: " << reason.text() << '\n';
        const bool isRefusal = refused || !reasons.isEmpty();
        if (m_request.json)
            m_out << QJsonDocument(QJsonObject{{u"refused"_s, isRefusal},
                                               {u"error"_s, error},
                                               {u"refusals"_s, engine::toJson(reasons)}})
                         .toJson(QJsonDocument::Indented);
        finish(isRefusal ? ControlRefused : ControlFailed);
    }
    void printStatus();
    void followOperation(engine::Operation *operation);
    void awaitShiftOutcome();
    void reportRolledBack(const QString &headline, int code);
    void afterRollback(int code);

    const config::Plan &m_plan;
    ControlRequest m_request;
    QTextStream &m_in;
    QTextStream &m_out;
    QTextStream &m_err;
    std::unique_ptr<store::Store> m_store;
    std::unique_ptr<engine::CutoverEngine> m_engine;
    std::optional<engine::Operator> m_operator;
    QString m_passphrase;
    bool m_roundDone = false;
    bool m_acted = false;
    bool m_finishing = false;
    QSet<QString> m_resumed;         // environments whose interrupted work this command resumed
    QString m_lastValidationFailure; // from the audit log, whoever judged it
};

int ControlRun::prepare() {
    const bool needsOperator = m_request.kind != ControlRequest::Kind::Status;
    if (needsOperator && m_request.operatorName.isEmpty()) {
        m_err << "this command needs --operator NAME (the passphrase is read from standard "
                 "input)\n";
        return ControlUsage;
    }
    if (m_request.kind != ControlRequest::Kind::Status && m_request.environment.isEmpty())
        m_request.environment = m_plan.environments.constFirst().name;
    if (!m_request.environment.isEmpty() && !m_plan.environment(m_request.environment)) {
        QStringList names;
        for (const auto &env : m_plan.environments)
            names.append(env.name);
        m_err << "no environment '" << m_request.environment
              << "' in the plan (environments: " << names.join(u", "_s) << ")\n";
        return ControlUsage;
    }
    const config::StoreConfig storeConfig = commandStoreConfig(m_plan, m_request.storePath);
    if (m_request.dryRun) {
        // A rehearsal never touches the live store: it runs on a copy of its state.
        QStringList environments;
        for (const auto &env : m_plan.environments)
            environments.append(env.name);
        auto rehearsal = store::openRehearsalStore(storeConfig, environments);
        if (!rehearsal) {
            m_err << "rehearsal store: " << rehearsal.error().toString() << '\n';
            return ControlFailed;
        }
        m_out << "REHEARSAL on " << rehearsal.value().path << " ("
              << (rehearsal.value().copiedNow
                      ? u"copied from the live store at audit entry %1"_s.arg(
                            rehearsal.value().liveHeadSeq)
                      : u"continuing the rehearsal of audit entry %1"_s.arg(
                            rehearsal.value().liveHeadSeq))
              << "); the live store is not touched\n";
        m_store = std::move(rehearsal.value().store);
    } else {
        auto opened = store::openStore(storeConfig);
        if (!opened) {
            m_err << "store: " << opened.error().toString() << '\n';
            return ControlFailed;
        }
        m_store = std::move(opened.value());
    }

    std::optional<store::OperatorsFile> operators;
    if (!m_plan.operators.file.isEmpty()) {
        auto loaded = store::loadOperatorsFile(m_plan.operators.file, &m_plan);
        if (loaded.ok())
            operators = loaded.file;
        else if (needsOperator) {
            m_err << loaded.errorText() << '\n';
            return ControlUsage;
        }
    } else if (needsOperator) {
        m_err << "the plan names no operators file (operators.file)\n";
        return ControlUsage;
    }
    if (needsOperator) {
        if (const store::Operator *op = operators->find(m_request.operatorName))
            m_operator = engine::Operator{
                op->name, op->displayName.isEmpty() ? op->name : op->displayName, op->roles};
        m_passphrase =
            readPassphraseLine(m_in, m_err, u"Passphrase for %1: "_s.arg(m_request.operatorName));
        if (m_passphrase.isEmpty()) {
            m_err << "expected the passphrase on standard input (one line)\n";
            return ControlUsage;
        }
    } else if (!m_request.operatorName.isEmpty() && operators) {
        if (const store::Operator *op = operators->find(m_request.operatorName))
            m_operator = engine::Operator{op->name, op->displayName, op->roles};
    }

    engine::CutoverEngine::Options options;
    options.dryRun = m_request.dryRun;
    m_engine = std::make_unique<engine::CutoverEngine>(m_plan, *m_store, operators, options);
    return -1;
}

void ControlRun::begin() {
    // Act once the monitor has looked at everything once (so guards know the backends) and it
    // is known who decides (a command with no controller and no window decides, and first
    // resumes what was left half done); or after a deadline: a backend that does not answer is
    // itself a reason to refuse a shift.
    connect(m_engine.get(), &engine::CutoverEngine::monitorRoundFinished, this, [this] {
        m_roundDone = true;
        if (settled())
            act();
    });
    connect(m_engine.get(), &engine::CutoverEngine::decisionChanged, this, [this] {
        if (m_roundDone && settled())
            act();
    });
    connect(m_engine.get(), &engine::CutoverEngine::auditAppended, this,
            [this](const store::AuditEntry &entry) {
                if (entry.action == u"validation_failed"_s &&
                    entry.environment == m_request.environment)
                    m_lastValidationFailure = u"%1: %2"_s.arg(
                        entry.subject, entry.detailsObject().value(u"problem"_s).toString());
            });
    connect(m_engine.get(), &engine::CutoverEngine::resumed, this,
            [this](const QString &env, const QString &, const QString &text) {
                m_resumed.insert(env);
                m_out << text << '\n';
                m_out.flush();
            });
    QTimer::singleShot(10'000, this, [this] { act(); });
    m_engine->start();
}

bool ControlRun::settled() const {
    const engine::DecisionStatus d = m_engine->decisionStatus();
    if (!d.coordinated || !d.problem.isEmpty())
        return true;
    if (d.backfilling)
        return false;
    // Deciding (after the back-fill and any resume), or somebody else holds the lease.
    return d.thisEngine || (d.holder && d.holderFresh);
}

void ControlRun::finish(int code) {
    if (m_finishing)
        return;
    m_finishing = true;
    m_out.flush();
    m_err.flush();
    // Incident and chat webhooks are part of the action: give them a bounded while.
    auto check = [this, code] {
        if (m_engine->pendingNotifications() == 0)
            QCoreApplication::exit(code);
    };
    connect(m_engine.get(), &engine::CutoverEngine::notificationsIdle, this, check);
    QTimer::singleShot(15'000, this, [code] { QCoreApplication::exit(code); });
    check();
}

void ControlRun::printStatus() {
    const QString env = m_request.environment;
    QJsonArray environments;
    for (const QString &name : m_engine->environments()) {
        if (!env.isEmpty() && name != env)
            continue;
        const auto snapshot = m_engine->snapshot(name);
        const engine::Refusals refusals =
            m_operator ? m_engine->refusals(engine::Action::Shift, *m_operator, name)
                       : engine::Refusals();
        if (m_request.json)
            environments.append(snapshotJson(snapshot, refusals));
        else
            printSnapshot(m_out, snapshot, texts(refusals), m_operator.has_value());
        if (m_engine->hasDecommission()) {
            if (m_request.json)
                environments.last() = withDecommission(environments.last().toObject(), name);
            else
                printDecommission(name);
        }
    }
    if (m_request.json)
        m_out << QJsonDocument(
                     QJsonObject{{u"plan"_s, m_plan.name}, {u"environments"_s, environments}})
                     .toJson(QJsonDocument::Indented);
    else
        printDecision(m_out, m_engine->decisionStatus());
}

QJsonObject ControlRun::withDecommission(QJsonObject environment, const QString &name) const {
    const auto progress = m_engine->decommissionProgress(name);
    const auto cost = m_engine->decommissionCost(name);
    QJsonArray steps;
    for (const auto &p : progress.steps) {
        QJsonObject step{{u"id"_s, p.step->id},
                         {u"phase"_s, config::phaseName(p.step->phase)},
                         {u"state"_s, decommission::stepStateName(p.state)}};
        if (p.waitUntil.isValid())
            step.insert(u"wait_until"_s, p.waitUntil.toUTC().toString(Qt::ISODate));
        if (!p.error.isEmpty())
            step.insert(u"error"_s, p.error);
        steps.append(step);
    }
    QJsonObject d{{u"steps"_s, steps},
                  {u"done"_s, progress.doneCount()},
                  {u"currency"_s, cost.currency},
                  {u"baseline_per_month"_s, cost.baselinePerMonth},
                  {u"retired_per_month"_s, cost.retiredPerMonth},
                  {u"realized_percent"_s, cost.realizedPercent()},
                  {u"target_percent"_s, QJsonArray{cost.targetLowPercent, cost.targetHighPercent}}};
    if (progress.pointOfNoReturn)
        d.insert(
            u"point_of_no_return"_s,
            QJsonObject{{u"step"_s, progress.pointOfNoReturn->stepId},
                        {u"by"_s, progress.pointOfNoReturn->by},
                        {u"at"_s, progress.pointOfNoReturn->at.toUTC().toString(Qt::ISODate)}});
    environment.insert(u"decommission"_s, d);
    return environment;
}

void ControlRun::printDecommission(const QString &name) {
    const auto progress = m_engine->decommissionProgress(name);
    const auto cost = m_engine->decommissionCost(name);
    m_out << "  decommission: " << progress.doneCount() << "/" << progress.steps.size()
          << " steps done\n";
    for (const auto &p : progress.steps) {
        QString line =
            u"    %1 %2 [%3]"_s.arg(p.state == decommission::StepState::Done ? u"[x]"_s : u"[ ]"_s,
                                    p.step->title, decommission::stepStateName(p.state));
        if (p.state == decommission::StepState::Waiting)
            line += u" until "_s + p.waitUntil.toUTC().toString(Qt::ISODate);
        if (p.state == decommission::StepState::AwaitingApproval)
            line += u" needs: "_s + (p.missingRoles().isEmpty() ? u"a second person"_s
                                                                : p.missingRoles().join(u", "_s));
        if (!p.error.isEmpty())
            line += u": "_s + p.error;
        m_out << line << '\n';
    }
    if (progress.pointOfNoReturn)
        m_out << "    point of no return passed: " << progress.pointOfNoReturn->stepTitle << " at "
              << progress.pointOfNoReturn->at.toUTC().toString(Qt::ISODate) << " by "
              << progress.pointOfNoReturn->by << " (rollback refused)\n";
    m_out << "    saving: " << QString::number(cost.retiredPerMonth, 'f', 0) << ' ' << cost.currency
          << "/month = " << QString::number(cost.realizedPercent(), 'f', 1) << "% of "
          << QString::number(cost.baselinePerMonth, 'f', 0) << " (target " << cost.targetLowPercent
          << "-" << cost.targetHighPercent << "%; planned "
          << QString::number(cost.plannedPercent(), 'f', 1) << "%)\n";
}

void ControlRun::act() {
    if (m_acted)
        return;
    m_acted = true;
    engine::CutoverEngine &engine = *m_engine;
    const QString env = m_request.environment;

    switch (m_request.kind) {
    case ControlRequest::Kind::Status: {
        // A status that resumed an interrupted rollback says so and reports it once verified.
        QStringList resumedHere;
        for (const QString &name : std::as_const(m_resumed)) {
            if (engine.operationInFlight(name))
                resumedHere.append(name);
        }
        if (resumedHere.isEmpty()) {
            printStatus();
            finish(ControlDone);
            return;
        }
        connect(&engine, &engine::CutoverEngine::snapshotChanged, this, [this, resumedHere] {
            for (const QString &name : resumedHere) {
                if (m_engine->operationInFlight(name))
                    return;
            }
            disconnect(m_engine.get(), &engine::CutoverEngine::snapshotChanged, this, nullptr);
            printStatus();
            finish(ControlDone);
        });
        return;
    }
    case ControlRequest::Kind::Shift: {
        if (!passphraseFirst())
            return;
        followOperation(engine.shift(env, *m_operator, m_passphrase, m_request.percent));
        return;
    }
    case ControlRequest::Kind::StepBack: {
        if (!passphraseFirst())
            return;
        followOperation(
            engine.stepBack(env, *m_operator, m_passphrase, m_request.percent, m_request.comment));
        return;
    }
    case ControlRequest::Kind::Sign: {
        if (!passphraseFirst())
            return;
        const auto outcome =
            engine.signOff(env, m_request.gate, {}, *m_operator, m_passphrase, m_request.meaning,
                           m_request.comment, m_request.acknowledgeMarginal);
        if (!outcome.ok)
            return refuse(outcome.refused, outcome.error, true);
        m_out << "signed " << m_request.gate << " in " << env << " as " << m_operator->printedName
              << " (" << m_request.meaning << ")\n";
        finish(ControlDone);
        return;
    }
    case ControlRequest::Kind::Approve: {
        if (!passphraseFirst())
            return;
        const auto outcome = engine.approveDecommissionStep(env, m_request.step, m_request.role,
                                                            *m_operator, m_passphrase);
        if (!outcome.ok)
            return refuse(outcome.refused, outcome.error, outcome.error.isEmpty());
        m_out << "approved " << m_request.step << " in " << env << " as " << m_operator->printedName
              << " (" << m_request.role << ")\n";
        finish(ControlDone);
        return;
    }
    case ControlRequest::Kind::Rollback:
    case ControlRequest::Kind::Tick:
    case ControlRequest::Kind::Decommission:
        break;
    }
    // Rollback and tick carry no passphrase of their own in the engine: sign in first.
    const auto signedIn = engine.signIn(m_request.operatorName, m_passphrase);
    if (!signedIn.ok() || !m_operator)
        return refuse({}, u"refused: "_s + signedIn.message);
    if (m_request.kind == ControlRequest::Kind::Decommission) {
        runDecommissionStep();
        return;
    }
    if (m_request.kind == ControlRequest::Kind::Tick) {
        const auto outcome = engine.tick(env, m_request.gate, m_request.item, *m_operator);
        if (!outcome.ok)
            return refuse(outcome.refused, outcome.error);
        m_out << "ticked " << m_request.gate << '/' << m_request.item << " in " << env << '\n';
        finish(ControlDone);
        return;
    }
    auto *operation = engine.rollback(env, *m_operator, u"command line"_s);
    connect(operation, &engine::Operation::lbFinished, this,
            [this](const backends::LbApplyResult &r) {
                m_out << "  " << r.lb << ": " << (r.verified ? "verified" : "NOT verified")
                      << " in " << r.elapsedMs << " ms, " << r.attempts << " attempt(s)";
                if (r.error)
                    m_out << ": " << r.error->toString();
                m_out << '\n';
                m_out.flush();
            });
    followOperation(operation);
}

void ControlRun::runDecommissionStep() {
    engine::CutoverEngine::DecommissionRequest request;
    request.confirmation = m_request.confirmation;
    request.evidence = m_request.evidence;
    request.permanenceEvidence = m_request.permanence;
    const QString env = m_request.environment;
    connect(m_engine.get(), &engine::CutoverEngine::decommissionProgressed, this,
            [this](const QString &, const QString &, const QString &text) {
                m_out << text << '\n';
                m_out.flush();
            });
    // A long export or backup: a line at each tenth of the way, not one per request.
    connect(m_engine.get(), &engine::CutoverEngine::decommissionStepProgress, this,
            [this, lastTenth = std::make_shared<qint64>(-1)](
                const QString &, const QString &, qint64 done, qint64 total, const QString &unit) {
                const qint64 tenth = total > 0 ? done * 10 / total : 10;
                if (tenth == *lastTenth)
                    return;
                *lastTenth = tenth;
                m_out << "  " << done << " of " << total << ' ' << unit << '\n';
                m_out.flush();
            });
    // Only what the store recorded is reported: the answer comes after the audit entry.
    m_engine->runDecommissionStep(
        env, m_request.step, *m_operator, request, [this, env](const engine::ActionOutcome &o) {
            if (!o.ok)
                return refuse(o.refused, o.error, o.error.isEmpty());
            const auto progress = m_engine->decommissionProgress(env);
            const decommission::StepProgress *p = progress.step(m_request.step);
            if (p && p->state == decommission::StepState::Waiting)
                m_out << m_request.step << " in " << env << ": validated; waiting until "
                      << p->waitUntil.toUTC().toString(Qt::ISODate)
                      << " (the validation must still hold then; the controller checks it)\n";
            else
                m_out << m_request.step << " in " << env << ": done\n";
            finish(ControlDone);
        });
}

void ControlRun::followOperation(engine::Operation *operation) {
    connect(operation, &engine::Operation::progressed, this, [this](const QString &text) {
        m_out << text << '\n';
        m_out.flush();
    });
    connect(operation, &engine::Operation::finished, this,
            [this, operation](bool ok, const QString &summary) {
                if (!ok && !operation->refused().isEmpty())
                    return refuse(operation->refused(), {});
                (ok ? m_out : m_err) << summary << '\n';
                if (operation->kind() == engine::Operation::Kind::Rollback) {
                    afterRollback(ok ? ControlDone : ControlFailed);
                    return;
                }
                if (!ok || !m_request.wait) {
                    finish(ok ? ControlDone : ControlFailed);
                    return;
                }
                awaitShiftOutcome();
            });
}

// --wait: returns only when the outcome is final — validation passed (0), or a rollback verified
// or failed on the load balancers (1, with each LB's read-back). Never "rolled back" before it is.
void ControlRun::awaitShiftOutcome() {
    const QString env = m_request.environment;
    const auto s0 = m_engine->snapshot(env);
    const config::Stage &stage = m_plan.stages.at(std::max(0, s0.stageIndex));
    const qint64 boundMs = stage.stabilization.ms() +
                           std::max<qint64>(60'000, 3 * m_plan.validation.rateWindow.ms()) +
                           2 * m_plan.rollback.deadline.ms() + 30'000;
    m_out << "waiting for the validation (at most " << engine::formatSpan(boundMs) << ")\n";
    m_out.flush();
    auto check = [this, env] {
        if (m_finishing)
            return;
        const auto s = m_engine->snapshot(env);
        if ((s.phase == engine::Phase::Holding || s.phase == engine::Phase::Complete) &&
            !s.validationFailed) {
            m_out << "validation " << s.lastValidation << '\n';
            finish(ControlDone);
        } else if (s.phase == engine::Phase::Holding && s.validationFailed) {
            m_err << "validation " << s.lastValidation << "; holding at " << s.currentPercent
                  << "% (policy: hold): an operator decides\n";
            finish(ControlFailed);
        } else if (s.phase == engine::Phase::RolledBack) {
            reportRolledBack(m_lastValidationFailure.isEmpty()
                                 ? u"rolled back before the validation passed"_s
                                 : u"validation failed at "_s + m_lastValidationFailure,
                             ControlFailed);
        }
        // RollingBack: not final yet.
    };
    connect(m_engine.get(), &engine::CutoverEngine::snapshotChanged, this, check);
    QTimer::singleShot(boundMs, this, [this, env] {
        if (m_finishing)
            return;
        m_err << "no final outcome within the bound: " << env << " is still "
              << engine::phaseName(m_engine->snapshot(env).phase) << '\n';
        finish(ControlFailed);
    });
    check();
}

// Reads every load balancer back and prints what it holds against the rollback weights.
void ControlRun::reportRolledBack(const QString &headline, int code) {
    if (m_finishing)
        return;
    m_finishing = true; // one report
    const QString env = m_request.environment;
    m_err << headline << '\n';
    const auto expected = backends::rollbackWeights(m_plan.pools.legacy, m_plan.pools.otel).weights;
    m_engine->readBack(env)->onFinished(
        this, [this, code, expected](const net::Result<QList<backends::LbWeightsRead>> &reads) {
            int verified = 0;
            int total = 0;
            if (reads.ok()) {
                for (const backends::LbWeightsRead &read : reads.value()) {
                    ++total;
                    QStringList weights;
                    for (auto it = read.weights.cbegin(); it != read.weights.cend(); ++it)
                        weights.append(u"%1=%2"_s.arg(it.key()).arg(it.value()));
                    const bool ok =
                        !read.error && backends::compareWeights(expected, read.weights).isEmpty();
                    verified += ok ? 1 : 0;
                    m_out << "  " << read.lb << ": "
                          << (read.error ? u"NOT verified: "_s + read.error->toString()
                                         : (ok ? u"verified: "_s : u"NOT verified: "_s) +
                                               weights.join(u' '))
                          << '\n';
                }
            } else {
                m_err << "read-back failed: " << reads.error().toString() << '\n';
            }
            if (total > 0 && verified == total)
                m_out << "rolled back: legacy 100 / OTel 0 verified on " << verified << '/' << total
                      << " load balancer(s)\n";
            else
                m_err << "ROLLBACK NOT VERIFIED: " << verified << '/' << total
                      << " load balancer(s) hold legacy 100 / OTel 0\n";
            m_finishing = false;
            finish(code);
        });
}

// A rollback ran here: wait for its follow-up (legacy verification, evidence, upload), bounded.
void ControlRun::afterRollback(int code) {
    connect(m_engine.get(), &engine::CutoverEngine::rollbackFollowUp, this,
            [this](const QString &, const QString &step, const QString &text) {
                const bool bad = step.endsWith(u"failed"_s) || step.endsWith(u"unverified"_s);
                (bad ? m_err : m_out) << text << '\n';
            });
    if (m_engine->pendingFollowUps() == 0) {
        finish(code);
        return;
    }
    qint64 boundMs = 10'000;
    if (m_plan.rollback.verifyLegacy)
        boundMs += m_plan.rollback.verifyLegacy->deadline.ms();
    if (m_plan.rollback.upload)
        boundMs += m_plan.rollback.upload->timeout.ms();
    connect(m_engine.get(), &engine::CutoverEngine::followUpsIdle, this,
            [this, code] { finish(code); });
    QTimer::singleShot(boundMs, this, [this, code] {
        m_err << "rollback follow-up still running; see the audit log\n";
        finish(code);
    });
}

} // namespace

int runControl(const config::Plan &plan, const ControlRequest &request, QTextStream &in,
               QTextStream &out, QTextStream &err) {
    ControlRun run(plan, request, in, out, err);
    if (const int code = run.prepare(); code >= 0)
        return code;
    QTimer::singleShot(0, &run, [&run] { run.begin(); });
    return QCoreApplication::exec();
}

} // namespace cutover::cli
