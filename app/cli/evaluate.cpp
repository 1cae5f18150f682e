#include "app/cli/evaluate.h"

#include "app/backends/prometheus_client.h"
#include "app/cli/command_store.h"
#include "app/config/duration.h"
#include "app/cutover/history.h"
#include "app/cutover/phase.h"
#include "app/store/store.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimeZone>
#include <QTimer>

#include <cmath>

using namespace Qt::StringLiterals;

namespace cutover::cli {

namespace {

enum EvaluateExit : int { EvaluatePass = 0, EvaluateFail = 1, EvaluateUsage = 2 };

QJsonValue number(double v) {
    return std::isfinite(v) ? QJsonValue(v) : QJsonValue(QJsonValue::Null);
}

QJsonObject compareJson(const analysis::CompareResult &r, const QDateTime &at) {
    return QJsonObject{{u"verdict"_s, analysis::verdictName(r.verdict)},
                       {u"reason"_s, r.reason},
                       {u"u"_s, number(r.u)},
                       {u"p_value"_s, number(r.pValue)},
                       {u"hl_shift"_s, number(r.hlShift)},
                       {u"hl_low"_s, number(r.hlLow)},
                       {u"hl_high"_s, number(r.hlHigh)},
                       {u"mean_ratio"_s, number(r.meanRatio)},
                       {u"mean_legacy"_s, number(r.meanLegacy)},
                       {u"mean_otel"_s, number(r.meanOtel)},
                       {u"n_legacy"_s, double(r.nLegacy)},
                       {u"n_otel"_s, double(r.nOtel)},
                       {u"window_end"_s, at.toString(Qt::ISODate)}};
}

QJsonObject scoreJson(const analysis::GateScore &score) {
    QJsonArray groups;
    for (const analysis::GroupScore &g : score.groups) {
        groups.append(QJsonObject{{u"name"_s, g.name},
                                  {u"weight"_s, g.weight},
                                  {u"score"_s, g.score},
                                  {u"pass"_s, g.pass},
                                  {u"high"_s, g.high},
                                  {u"low"_s, g.low},
                                  {u"nodata"_s, g.noData}});
    }
    return QJsonObject{{u"score"_s, score.score},
                       {u"classification"_s, analysis::gateClassName(score.classification)},
                       {u"pass_threshold"_s, score.thresholds.pass},
                       {u"marginal_threshold"_s, score.thresholds.marginal},
                       {u"critical_failures"_s, QJsonArray::fromStringList(score.criticalFailures)},
                       {u"groups"_s, groups},
                       {u"reason"_s, score.reason}};
}

class EvaluateRun : public QObject {
public:
    EvaluateRun(const config::Plan &plan, const EvaluateRequest &request, QTextStream &out,
                QTextStream &err)
        : m_plan(plan)
        , m_request(request)
        , m_out(out)
        , m_err(err) {}

    int prepare();
    void begin();

private:
    void report();
    void finish(int code) {
        m_out.flush();
        m_err.flush();
        QCoreApplication::exit(code);
    }

    const config::Plan &m_plan;
    EvaluateRequest m_request;
    QTextStream &m_out;
    QTextStream &m_err;
    const config::Environment *m_environment = nullptr;
    QDateTime m_at;
    std::unique_ptr<store::Store> m_store;
    engine::GateInputs m_inputs;
    backends::PrometheusClient *m_prometheus = nullptr;
    engine::HistoryEvaluation *m_history = nullptr;
    bool m_reported = false;
};

int EvaluateRun::prepare() {
    const config::Gate *gate = m_plan.gate(m_request.gate);
    if (!gate) {
        QStringList ids;
        for (const config::Gate &g : m_plan.gates)
            ids.append(g.id);
        m_err << "--evaluate: no gate '" << m_request.gate << "' in the plan; its gates are "
              << ids.join(u", "_s) << '\n';
        return EvaluateUsage;
    }
    if (!m_request.check.isEmpty()) {
        const bool known =
            std::any_of(gate->checks.cbegin(), gate->checks.cend(),
                        [&](const config::Check &c) { return c.id == m_request.check; });
        if (!known) {
            QStringList ids;
            for (const config::Check &c : gate->checks)
                ids.append(c.id);
            m_err << "--evaluate: no check '" << m_request.check << "' in " << gate->id
                  << "; its checks are " << ids.join(u", "_s) << '\n';
            return EvaluateUsage;
        }
    }
    m_environment = m_request.environment.isEmpty() ? &m_plan.environments.constFirst()
                                                    : m_plan.environment(m_request.environment);
    if (!m_environment) {
        m_err << "--evaluate: no environment '" << m_request.environment << "' in the plan\n";
        return EvaluateUsage;
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    m_at = m_request.at.isValid() ? m_request.at.toUTC() : now;
    if (m_at > now.addSecs(60)) {
        m_err << "--evaluate: --at " << m_at.toString(Qt::ISODate)
              << " is in the future: Prometheus has no data there yet\n";
        return EvaluateUsage;
    }

    // Manual items, stability and signatures: the store's, as they stood at `at`.
    m_store = openCommandStore(m_plan, m_request.storePath, m_err);
    if (!m_store)
        return EvaluateUsage;
    const QString env = m_environment->name;
    auto ticks = m_store->ticks(env);
    auto signOffs = m_store->signOffs(env);
    auto state = m_store->stageState(env);
    if (!ticks || !signOffs || !state) {
        const store::StoreError &e =
            !ticks ? ticks.error() : (!signOffs ? signOffs.error() : state.error());
        m_err << "store: " << e.toString() << '\n';
        return EvaluateUsage;
    }
    for (const store::Tick &t : ticks.value()) {
        if (t.at <= m_at)
            m_inputs.ticks.append(t);
    }
    for (const store::SignOff &s : signOffs.value()) {
        if (s.at <= m_at)
            m_inputs.signOffs.append(s);
    }
    if (const auto &s = state.value();
        s && s->holdStartedAt.isValid() && s->holdStartedAt <= m_at) {
        const auto phase = engine::phaseFromName(s->phase);
        if (phase == engine::Phase::Holding || phase == engine::Phase::Complete)
            m_inputs.holdStartedAt = s->holdStartedAt;
    }
    m_inputs.plan = &m_plan;
    m_inputs.now = m_at;

    m_prometheus = new backends::PrometheusClient(m_plan.prometheus, this);
    if (!m_prometheus->configProblem().isEmpty()) {
        m_err << "prometheus: " << m_prometheus->configProblem() << '\n';
        return EvaluateUsage;
    }
    return -1;
}

void EvaluateRun::begin() {
    m_history = new engine::HistoryEvaluation(m_plan, *m_environment, *m_prometheus, this);
    connect(m_history, &engine::HistoryEvaluation::finished, this, [this] { report(); });
    // Bounded: each query has its own deadline; this is the whole command's.
    QTimer::singleShot(m_request.waitMs, this, [this] {
        m_err << "Prometheus did not answer every query within " << m_request.waitMs / 1000
              << " s: what it did not answer is unknown\n";
        report();
    });
    m_history->start({m_request.gate}, m_at);
}

void EvaluateRun::report() {
    if (m_reported)
        return;
    m_reported = true;
    m_inputs.trackers = &m_history->trackers();
    m_inputs.compares = &m_history->compares();

    const config::Gate &gate = *m_plan.gate(m_request.gate);
    engine::GateStatus status = engine::evaluateGate(gate, m_inputs);
    QList<engine::CheckStatus> judged;
    for (const engine::CheckStatus &c : std::as_const(status.checks)) {
        if (m_request.check.isEmpty() || c.id == m_request.check)
            judged.append(c);
    }
    bool pass = std::all_of(judged.cbegin(), judged.cend(), [](const engine::CheckStatus &c) {
        return c.state == engine::CheckStatus::State::Pass;
    });
    if (m_request.check.isEmpty() && status.score)
        pass = pass && status.score->classification == analysis::GateClass::Pass;
    const QHash<QString, QString> &errors = m_history->errors();

    if (m_request.json) {
        QJsonArray checks;
        for (const engine::CheckStatus &c : judged) {
            QJsonObject check{{u"id"_s, c.id},
                              {u"title"_s, c.title},
                              {u"state"_s, engine::checkStateName(c.state)},
                              {u"detail"_s, c.detail}};
            if (c.value)
                check.insert(u"value"_s, number(*c.value));
            const QString key = engine::checkKey(gate.id, c.id);
            if (c.kind == config::Check::Kind::Compare && m_history->compares().contains(key)) {
                const engine::CompareOutcome &o = m_history->compares()[key];
                check.insert(u"compare"_s, compareJson(o.result, o.at));
            }
            if (errors.contains(key))
                check.insert(u"error"_s, errors.value(key));
            checks.append(check);
        }
        QJsonObject object{
            {u"environment"_s, m_environment->name}, {u"gate"_s, gate.id}, {u"title"_s, gate.title},
            {u"at"_s, m_at.toString(Qt::ISODate)},   {u"pass"_s, pass},    {u"checks"_s, checks}};
        if (!m_request.check.isEmpty())
            object.insert(u"check"_s, m_request.check);
        if (status.score && m_request.check.isEmpty())
            object.insert(u"score"_s, scoreJson(*status.score));
        m_out << QJsonDocument(object).toJson(QJsonDocument::Indented);
    } else {
        m_out << gate.title << " — " << m_environment->name << " at "
              << m_at.toString(u"yyyy-MM-dd HH:mm:ss 'UTC'"_s) << '\n';
        for (const engine::CheckStatus &c : judged) {
            m_out << "  " << engine::checkStateName(c.state).toUpper().leftJustified(8) << c.title
                  << '\n';
            m_out << "          " << c.detail << '\n';
            const QString key = engine::checkKey(gate.id, c.id);
            if (errors.contains(key))
                m_out << "          Prometheus: " << errors.value(key) << '\n';
        }
        if (status.score && m_request.check.isEmpty())
            m_out << "  " << status.score->reason << '\n';
        if (m_request.check.isEmpty()) {
            for (const engine::SignatureStatus &s : std::as_const(status.signatures)) {
                m_out << "  signature " << s.role << ": "
                      << (s.signOff ? u"signed by %1 at %2"_s.arg(
                                          s.signOff->printedName,
                                          s.signOff->at.toString(u"yyyy-MM-dd HH:mm:ss 'UTC'"_s))
                                    : u"awaited"_s)
                      << '\n';
            }
        }
        m_out << (pass ? "PASS" : "NOT PASSING") << '\n';
    }
    finish(pass ? EvaluatePass : EvaluateFail);
}

} // namespace

QDateTime parseEvaluationTime(const QString &text, const QDateTime &now, QString *error) {
    const QString trimmed = text.trimmed();
    if (const auto ago = config::Duration::parse(trimmed); ago && ago->ms() > 0)
        return now.addMSecs(-ago->ms());
    QDateTime at = QDateTime::fromString(trimmed, Qt::ISODateWithMs);
    if (!at.isValid())
        at = QDateTime::fromString(trimmed, u"yyyy-MM-dd HH:mm"_s);
    if (at.isValid()) {
        // A time without an offset is UTC, as every time this console prints.
        if (at.timeSpec() == Qt::LocalTime)
            at.setTimeZone(QTimeZone::utc());
        return at.toUTC();
    }
    if (error)
        *error = u"--at expects an ISO 8601 time (2026-12-01T09:30:00Z) or a span ago (90m, 2h, "
                 u"1d), found '%1'"_s.arg(text);
    return {};
}

int evaluateCommand(const config::Plan &plan, const EvaluateRequest &request, QTextStream &out,
                    QTextStream &err) {
    EvaluateRun run(plan, request, out, err);
    if (const int code = run.prepare(); code >= 0) {
        out.flush();
        err.flush();
        return code;
    }
    QTimer::singleShot(0, &run, [&run] { run.begin(); });
    return QCoreApplication::exec();
}

} // namespace cutover::cli
