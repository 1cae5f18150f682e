#include "app/cli/control.h"

#include "app/cutover/cutover_engine.h"
#include "app/store/operators_file.h"
#include "app/store/store.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

#include <cmath>

using namespace Qt::StringLiterals;

namespace cutover::cli {

namespace {

QString shareText(std::optional<double> share) {
    return share ? QString::number(*share * 100.0, 'f', 1) + u'%' : u"unknown"_s;
}

QString healthName(engine::BackendHealth::State state) {
    switch (state) {
    case engine::BackendHealth::State::Ok:
        return u"ok"_s;
    case engine::BackendHealth::State::Degraded:
        return u"degraded"_s;
    case engine::BackendHealth::State::Down:
        return u"down"_s;
    case engine::BackendHealth::State::Unknown:
        return u"unknown"_s;
    }
    return QString();
}

QJsonObject snapshotJson(const engine::EnvironmentSnapshot &s, const QStringList &shiftRefusals) {
    QJsonArray gates;
    for (const engine::GateStatus &g : s.gates) {
        QJsonArray checks;
        for (const engine::CheckStatus &c : g.checks) {
            QJsonObject check{{u"id"_s, c.id},
                              {u"title"_s, c.title},
                              {u"state"_s, engine::checkStateName(c.state)},
                              {u"detail"_s, c.detail}};
            if (c.value)
                check.insert(u"value"_s, *c.value);
            checks.append(check);
        }
        QJsonArray signatures;
        for (const engine::SignatureStatus &sig : g.signatures) {
            QJsonObject signature{{u"role"_s, sig.role}, {u"signed"_s, sig.signOff.has_value()}};
            if (sig.signOff) {
                signature.insert(u"printed_name"_s, sig.signOff->printedName);
                signature.insert(u"meaning"_s, sig.signOff->meaning);
                signature.insert(u"at"_s, sig.signOff->at.toString(Qt::ISODateWithMs));
            }
            signatures.append(signature);
        }
        gates.append(QJsonObject{{u"id"_s, g.id},
                                 {u"title"_s, g.title},
                                 {u"ready"_s, g.ready()},
                                 {u"checks"_s, checks},
                                 {u"signatures"_s, signatures}});
    }
    QJsonArray backends;
    for (const engine::BackendHealth &b : s.backends) {
        backends.append(QJsonObject{{u"name"_s, b.name},
                                    {u"state"_s, healthName(b.state)},
                                    {u"problem"_s, b.problem},
                                    {u"last_good_at"_s, b.lastGoodAt.toString(Qt::ISODateWithMs)}});
    }
    QJsonObject object{{u"environment"_s, s.environment},
                       {u"phase"_s, engine::phaseName(s.phase)},
                       {u"stage_index"_s, s.stageIndex},
                       {u"percent"_s, s.currentPercent},
                       {u"next_percent"_s, s.nextPercent},
                       {u"target_share"_s, s.targetShare},
                       {u"lower_bound"_s, s.lowerBound},
                       {u"upper_bound"_s, s.upperBound},
                       {u"version"_s, double(s.state.version)},
                       {u"changed_by"_s, s.state.changedBy},
                       {u"changed_at"_s, s.state.changedAt.toString(Qt::ISODateWithMs)},
                       {u"hold_started_at"_s, s.state.holdStartedAt.toString(Qt::ISODateWithMs)},
                       {u"validation"_s, s.lastValidation},
                       {u"validation_failed"_s, s.validationFailed},
                       {u"gates"_s, gates},
                       {u"backends"_s, backends},
                       {u"firing_triggers"_s, QJsonArray::fromStringList(s.firingTriggers)},
                       {u"drift"_s, QJsonArray::fromStringList(s.driftAlarms)},
                       {u"shift_refusals"_s, QJsonArray::fromStringList(shiftRefusals)}};
    if (s.measuredShare)
        object.insert(u"measured_share"_s, *s.measuredShare);
    return object;
}

void printSnapshot(QTextStream &out, const engine::EnvironmentSnapshot &s,
                   const QStringList &shiftRefusals, bool withOperator) {
    out << s.environment << ": " << s.currentPercent << "% OTel, " << engine::phaseName(s.phase);
    if (s.stageIndex >= 0 && s.phase != engine::Phase::RolledBack)
        out << " (accept " << shareText(s.lowerBound) << ".." << shareText(s.upperBound) << ")";
    out << "; measured " << shareText(s.measuredShare) << '\n';
    if (!s.state.changedBy.isEmpty())
        out << "  last change: " << s.state.changedBy << " at "
            << s.state.changedAt.toString(Qt::ISODate) << " (version " << s.state.version << ")\n";
    if (!s.progressLabel.isEmpty()) {
        out << "  " << s.progressLabel;
        if (s.progressEnd.isValid())
            out << " until " << s.progressEnd.toString(Qt::ISODate);
        out << '\n';
    }
    if (!s.lastValidation.isEmpty())
        out << "  validation " << s.lastValidation << '\n';
    for (const engine::GateStatus &g : s.gates) {
        if (!s.gatesBeforeNextShift.contains(g.id))
            continue;
        int passing = 0;
        for (const auto &c : g.checks)
            passing += c.state == engine::CheckStatus::State::Pass ? 1 : 0;
        out << "  " << g.title << ": " << passing << '/' << g.checks.size() << " items, "
            << (g.isSigned() ? "signed" : "not signed") << '\n';
    }
    QStringList backends;
    for (const engine::BackendHealth &b : s.backends)
        backends.append(b.name + u' ' + healthName(b.state));
    out << "  backends: " << backends.join(u", "_s) << '\n';
    for (const QString &t : s.firingTriggers)
        out << "  TRIGGER FIRING: " << t << '\n';
    for (const QString &d : s.driftAlarms)
        out << "  DRIFT: " << d << '\n';
    if (s.nextPercent >= 0 && withOperator) {
        if (shiftRefusals.isEmpty())
            out << "  shift to " << s.nextPercent << "%: allowed\n";
        else
            out << "  shift to " << s.nextPercent << "%: refused:\n    - "
                << shiftRefusals.join(u"\n    - "_s) << '\n';
    }
}

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
    void act();

private:
    void finish(int code) {
        m_out.flush();
        m_err.flush();
        // Incident and chat webhooks are part of the action: give them a bounded while.
        if (m_engine && m_engine->pendingNotifications() > 0) {
            connect(m_engine.get(), &engine::CutoverEngine::notificationsIdle, this,
                    [code] { QCoreApplication::exit(code); });
            QTimer::singleShot(15'000, this, [code] { QCoreApplication::exit(code); });
            return;
        }
        QCoreApplication::exit(code);
    }
    // Refusals (guards, a wrong passphrase) exit 3; an attempt that failed exits 1.
    void refuse(const QStringList &reasons, const QString &error, bool refused = true) {
        if (!error.isEmpty())
            m_err << error << '\n';
        for (const QString &reason : reasons)
            m_err << "refused: " << reason << '\n';
        finish(refused || !reasons.isEmpty() ? ControlRefused : ControlFailed);
    }
    void followOperation(engine::Operation *operation);

    const config::Plan &m_plan;
    ControlRequest m_request;
    QTextStream &m_in;
    QTextStream &m_out;
    QTextStream &m_err;
    std::unique_ptr<store::Store> m_store;
    std::unique_ptr<engine::CutoverEngine> m_engine;
    std::optional<engine::Operator> m_operator;
    QString m_passphrase;
    bool m_acted = false;
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
    config::StoreConfig storeConfig = m_plan.store;
    if (!m_request.storePath.isEmpty())
        storeConfig.path = m_request.storePath;
    auto opened = store::openStore(storeConfig);
    if (!opened) {
        m_err << "store: " << opened.error().toString() << '\n';
        return ControlFailed;
    }
    m_store = std::move(opened.value());

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
        m_passphrase = m_in.readLine();
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
    // Act once the monitor has looked at everything once (so guards know the backends), or
    // after a deadline: a backend that does not answer is itself a reason to refuse a shift.
    connect(m_engine.get(), &engine::CutoverEngine::monitorRoundFinished, this, [this] { act(); });
    QTimer::singleShot(10'000, this, [this] { act(); });
    m_engine->start();
}

void ControlRun::act() {
    if (m_acted)
        return;
    m_acted = true;
    engine::CutoverEngine &engine = *m_engine;
    const QString env = m_request.environment;

    switch (m_request.kind) {
    case ControlRequest::Kind::Status: {
        QJsonArray environments;
        for (const QString &name : engine.environments()) {
            if (!env.isEmpty() && name != env)
                continue;
            const auto snapshot = engine.snapshot(name);
            const QStringList refusals =
                m_operator ? engine.guards(engine::Action::Shift, *m_operator, name)
                           : QStringList();
            if (m_request.json)
                environments.append(snapshotJson(snapshot, refusals));
            else
                printSnapshot(m_out, snapshot, refusals, m_operator.has_value());
        }
        if (m_request.json)
            m_out << QJsonDocument(
                         QJsonObject{{u"plan"_s, m_plan.name}, {u"environments"_s, environments}})
                         .toJson(QJsonDocument::Indented);
        finish(ControlDone);
        return;
    }
    case ControlRequest::Kind::Shift: {
        if (!m_operator)
            return refuse({}, u"refused: wrong operator name or passphrase"_s);
        followOperation(engine.shift(env, *m_operator, m_passphrase, m_request.percent));
        return;
    }
    case ControlRequest::Kind::Sign: {
        if (!m_operator)
            return refuse({}, u"refused: wrong operator name or passphrase"_s);
        const auto outcome = engine.signOff(env, m_request.gate, {}, *m_operator, m_passphrase,
                                            m_request.meaning, m_request.comment);
        if (!outcome.ok)
            return refuse(outcome.refusals, outcome.error, true);
        m_out << "signed " << m_request.gate << " in " << env << " as " << m_operator->printedName
              << " (" << m_request.meaning << ")\n";
        finish(ControlDone);
        return;
    }
    case ControlRequest::Kind::Rollback:
    case ControlRequest::Kind::Tick:
        break;
    }
    // Rollback and tick carry no passphrase of their own in the engine: sign in first.
    const auto signedIn = engine.signIn(m_request.operatorName, m_passphrase);
    if (!signedIn.ok() || !m_operator)
        return refuse({}, u"refused: "_s + signedIn.message);
    if (m_request.kind == ControlRequest::Kind::Tick) {
        const auto outcome = engine.tick(env, m_request.gate, m_request.item, *m_operator);
        if (!outcome.ok)
            return refuse(outcome.refusals, outcome.error);
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

void ControlRun::followOperation(engine::Operation *operation) {
    connect(operation, &engine::Operation::progressed, this, [this](const QString &text) {
        m_out << text << '\n';
        m_out.flush();
    });
    connect(operation, &engine::Operation::finished, this,
            [this, operation](bool ok, const QString &summary) {
                if (!ok && !operation->refusals().isEmpty())
                    return refuse(operation->refusals(), {});
                (ok ? m_out : m_err) << summary << '\n';
                if (!ok || !m_request.wait || operation->kind() != engine::Operation::Kind::Shift) {
                    finish(ok ? ControlDone : ControlFailed);
                    return;
                }
                // --wait: until validation passes or fails.
                const QString env = m_request.environment;
                auto check = [this, env] {
                    const auto s = m_engine->snapshot(env);
                    if (s.phase == engine::Phase::Holding || s.phase == engine::Phase::Complete) {
                        m_out << "validation " << s.lastValidation << '\n';
                        finish(s.validationFailed ? ControlFailed : ControlDone);
                    } else if (s.phase == engine::Phase::RolledBack ||
                               s.phase == engine::Phase::RollingBack) {
                        m_err << "validation failed: rolled back\n";
                        finish(ControlFailed);
                    }
                };
                connect(m_engine.get(), &engine::CutoverEngine::snapshotChanged, this, check);
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
