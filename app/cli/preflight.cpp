#include "app/cli/preflight.h"

#include "app/backends/alertmanager_client.h"
#include "app/backends/balance_assessment.h"
#include "app/backends/haproxy_runtime_client.h"
#include "app/backends/prometheus_client.h"
#include "app/backends/weight_plan.h"
#include "app/config/plan_loader.h"
#include "app/store/postgres_store.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTimer>

#include <cmath>
#include <memory>
#include <optional>

using namespace Qt::StringLiterals;
using namespace cutover::backends;
using namespace cutover::net;

namespace cutover::cli {

namespace {

QString describe(const Error &error) {
    QString text = errorKindName(error.kind);
    if (error.httpStatus > 0)
        text += u' ' + QString::number(error.httpStatus);
    if (!error.reason.isEmpty() && error.reason != text)
        text += u" ["_s + error.reason + u']';
    return text + u": "_s + error.message;
}

QString percent(double share) {
    return std::isnan(share) ? u"n/a (all weights 0)"_s : u"%1%"_s.arg(share * 100.0, 0, 'f', 2);
}

struct NamedQuery {
    QString what; // "split", "check gate_1/error_rate", "trigger data_loss", "panel queue_depths"
    QString query;
};

// Both sides of a comparison and, with `per`, their denominators.
void appendCompareQueries(QList<NamedQuery> &queries, const QString &what,
                          const config::CompareSpec &spec) {
    queries.append({what + u" (legacy)"_s, spec.legacy});
    queries.append({what + u" (OTel)"_s, spec.otel});
    if (spec.per != config::CompareSpec::Per::None) {
        queries.append({what + u" (legacy per)"_s, spec.legacyPer});
        queries.append({what + u" (OTel per)"_s, spec.otelPer});
    }
}

QList<NamedQuery> queriesOf(const config::Plan &plan) {
    QList<NamedQuery> queries;
    if (!plan.validation.splitQuery.isEmpty())
        queries.append({u"validation split"_s, plan.validation.splitQuery});
    for (const config::Gate &gate : plan.gates) {
        for (const config::Check &check : gate.checks) {
            if (check.kind == config::Check::Kind::Automatic && !check.query.isEmpty())
                queries.append({u"check %1/%2"_s.arg(gate.id, check.id), check.query});
            if (check.kind == config::Check::Kind::Compare)
                appendCompareQueries(queries, u"check %1/%2"_s.arg(gate.id, check.id),
                                     check.compare);
        }
    }
    for (const config::Trigger &trigger : plan.rollback.triggers) {
        if (trigger.compare)
            appendCompareQueries(queries, u"trigger "_s + trigger.id, *trigger.compare);
        else
            queries.append({u"trigger "_s + trigger.id, trigger.query});
    }
    for (const config::PanelGroup &group : plan.panelGroups) {
        for (const config::Panel &panel : group.panels)
            queries.append({u"panel "_s + panel.id, panel.query});
    }
    return queries;
}

QString summarize(const QueryResult &result) {
    QString text;
    switch (result.type) {
    case QueryResult::Type::Vector:
        text = result.vector.isEmpty() ? u"evaluates, no data yet"_s
                                       : u"vector, %1 series"_s.arg(result.vector.size());
        break;
    case QueryResult::Type::Matrix:
        text = u"matrix, %1 series"_s.arg(result.matrix.size());
        break;
    case QueryResult::Type::Scalar:
        text = u"scalar %1"_s.arg(result.scalar.value);
        break;
    case QueryResult::Type::String:
        text = u"string"_s;
        break;
    }
    if (!result.warnings.isEmpty())
        text += u" (warnings: "_s + result.warnings.join(u"; "_s) + u')';
    return text;
}

} // namespace

Preflight::Preflight(const config::Plan &plan, QTextStream &out, QTextStream &err, QObject *parent)
    : QObject(parent)
    , m_plan(plan)
    , m_out(out)
    , m_err(err) {}

Preflight::~Preflight() = default;

int Preflight::exitCode() const {
    for (const Row &row : m_rows) {
        if (!row.done || !row.pass)
            return 1;
    }
    return m_rows.isEmpty() ? 1 : 0;
}

int Preflight::addRow(const QString &subject, const QString &check) {
    m_rows.append({subject, check, false, false, false, QString()});
    ++m_open;
    return int(m_rows.size()) - 1;
}

void Preflight::complete(int row, bool pass, const QString &detail, bool warn) {
    Row &r = m_rows[row];
    if (r.done)
        return;
    r.done = true;
    r.pass = pass;
    r.warn = pass && warn;
    r.detail = detail;
    --m_open;
    flush();
}

void Preflight::flush() {
    // In plan order: a row prints once every row above it has.
    while (m_printed < m_rows.size() && m_rows.at(m_printed).done) {
        const Row &r = m_rows.at(m_printed++);
        m_out << (!r.pass  ? "FAIL  "
                  : r.warn ? "WARN  "
                           : "PASS  ")
              << r.subject.leftJustified(14) << ' ' << r.check.leftJustified(40) << ' ' << r.detail
              << '\n';
    }
    m_out.flush();
    if (m_started && m_open == 0 && !m_finished) {
        m_finished = true;
        const int failed = int(
            std::count_if(m_rows.cbegin(), m_rows.cend(), [](const Row &r) { return !r.pass; }));
        const int warned =
            int(std::count_if(m_rows.cbegin(), m_rows.cend(), [](const Row &r) { return r.warn; }));
        const QString warnings = warned == 0 ? QString() : u" (%1 with a warning)"_s.arg(warned);
        m_out << (failed == 0 ? u"preflight passed: %1 checks%2"_s.arg(m_rows.size()).arg(warnings)
                              : u"preflight FAILED: %1 of %2 checks%3"_s.arg(failed)
                                    .arg(m_rows.size())
                                    .arg(warnings))
              << '\n';
        m_out.flush();
        if (failed > 0)
            m_err << "preflight: " << failed << " check(s) failed\n";
        m_err.flush();
        const int code = exitCode();
        QMetaObject::invokeMethod(
            this, [this, code] { Q_EMIT finished(code); }, Qt::QueuedConnection);
    }
}

void Preflight::start() {
    m_out << "Preflight of \"" << m_plan.name << "\"\n";
    for (const config::LoadBalancer &lb : m_plan.loadBalancers)
        checkLoadBalancer(lb);
    checkPrometheus();
    checkAlertmanager();
    checkDecommission();
    checkStoreTransport();
    m_started = true;
    flush(); // nothing to check at all finishes here
}

void Preflight::checkLoadBalancer(const config::LoadBalancer &lb) {
    auto *client = new HaproxyRuntimeClient(lb, this);
    const QString where = lb.runtimeApi.toString();
    const QStringList legacy = m_plan.pools.legacy;
    const QStringList otel = m_plan.pools.otel;
    const QStringList servers = legacy + otel;

    const int reachable = addRow(lb.name, u"reachable at "_s + where);
    client->showInfo()->onFinished(this, [this, reachable](const Result<ProcessInfo> &r) {
        if (r.ok())
            complete(reachable, true,
                     u"HAProxy %1, pid %2, up %3 s"_s.arg(r.value().version)
                         .arg(r.value().pid)
                         .arg(r.value().uptimeSec));
        else
            complete(reachable, false, describe(r.error()));
    });

    // The algorithm row needs both `show stat` (the algo) and `get weight` (a weight HAProxy
    // already accepted proves consistent hashing): it completes when the second answer comes.
    struct Facts {
        std::optional<Result<QString>> algorithm;
        std::optional<Result<QMap<QString, ServerWeight>>> weights;
    };
    auto facts = std::make_shared<Facts>();
    const int backendRow = addRow(lb.name, u"backend "_s + lb.backend);
    const int algorithmRow = addRow(lb.name, u"balance algorithm"_s);
    const auto judgeAlgorithm = [this, facts, algorithmRow, hashType = lb.hashType] {
        if (!facts->algorithm || !facts->weights)
            return;
        if (!facts->algorithm->ok()) {
            complete(algorithmRow, false, describe(facts->algorithm->error()));
            return;
        }
        const auto weights =
            facts->weights->ok() ? facts->weights->value() : QMap<QString, ServerWeight>();
        const Assessment a = assessBalance(facts->algorithm->value(), hashType, weights);
        complete(algorithmRow, a.verdict != Assessment::Verdict::Fail, a.detail,
                 a.verdict == Assessment::Verdict::Warn);
    };
    QList<int> serverRows;
    for (const QString &server : servers)
        serverRows.append(addRow(lb.name, u"server "_s + server));
    client->showStat()->onFinished(this, [this, backendRow, serverRows, servers, facts,
                                          judgeAlgorithm,
                                          backend = lb.backend](const Result<QList<StatRow>> &r) {
        if (!r.ok()) {
            complete(backendRow, false, describe(r.error()));
            for (int row : serverRows)
                complete(row, false, u"unknown: `show stat` failed"_s);
            facts->algorithm = r.error();
            judgeAlgorithm();
            return;
        }
        QHash<QString, StatRow> found;
        bool backendFound = false;
        QString algorithm;
        for (const StatRow &row : r.value()) {
            if (row.proxy != backend)
                continue;
            if (row.server == u"BACKEND"_s) {
                backendFound = true;
                algorithm = row.field(u"algo"_s);
            } else if (row.isServer()) {
                found.insert(row.server, row);
            }
        }
        complete(backendRow, backendFound,
                 backendFound ? u"found, %1 servers, balance %2"_s.arg(found.size()).arg(algorithm)
                              : u"no such backend in `show stat`"_s);
        if (backendFound)
            facts->algorithm = algorithm;
        else
            facts->algorithm = Error{ErrorKind::Protocol, backend,
                                     u"no such backend in `show stat`"_s, 0, u"no_such_backend"_s};
        judgeAlgorithm();
        for (qsizetype i = 0; i < servers.size(); ++i) {
            const auto it = found.constFind(servers.at(i));
            if (it == found.cend()) {
                complete(serverRows.at(i), false, u"not found in backend "_s + backend);
                continue;
            }
            const Assessment a = assessServer(*it);
            complete(serverRows.at(i), true, a.detail, a.verdict == Assessment::Verdict::Warn);
        }
    });

    const int permission = addRow(lb.name, u"admin permission"_s);
    client->probeAdmin(lb.backend)->onFinished(this, [this, permission](const Result<Ack> &r) {
        complete(permission, r.ok(),
                 r.ok() ? u"admin level (probe: weight change of a nonexistent server refused "
                          u"as 'No such server.', not 'Permission denied')"_s
                        : describe(r.error()));
    });

    const int weightsRow = addRow(lb.name, u"current weights"_s);
    const int reloadRow = addRow(lb.name, u"weights survive a reload"_s);
    client->getWeights(lb.backend, servers)
        ->onFinished(this, [this, weightsRow, reloadRow, otel, facts,
                            judgeAlgorithm](const Result<QMap<QString, ServerWeight>> &r) {
            facts->weights = r;
            judgeAlgorithm();
            if (!r.ok()) {
                complete(weightsRow, false, describe(r.error()));
                complete(reloadRow, false, u"unknown: `get weight` failed"_s);
                return;
            }
            QMap<QString, int> weights;
            QStringList parts;
            for (auto it = r.value().cbegin(); it != r.value().cend(); ++it) {
                weights.insert(it.key(), it.value().current);
                parts.append(u"%1=%2"_s.arg(it.key()).arg(it.value().current));
            }
            complete(weightsRow, true,
                     parts.join(u' ') + u"; realized OTel share "_s +
                         percent(realizedShare(weights, otel)));
            const Assessment reload = assessReloadSurvival(r.value());
            complete(reloadRow, true, reload.detail, reload.verdict == Assessment::Verdict::Warn);
        });
}

void Preflight::checkPrometheus() {
    auto *prometheus = new PrometheusClient(m_plan.prometheus, this);
    const QString subject = prometheus->name();
    if (!prometheus->configProblem().isEmpty())
        complete(addRow(subject, u"TLS configuration"_s), false, prometheus->configProblem());

    const int reachable =
        addRow(subject, u"reachable at "_s + HttpClient::displayUrl(m_plan.prometheus.url));
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    prometheus->query(u"vector(1)"_s)
        ->onFinished(this, [this, reachable, clock](const Result<QueryResult> &r) {
            complete(reachable, r.ok(),
                     r.ok() ? u"answered in %1 ms"_s.arg(clock->elapsed()) : describe(r.error()));
        });

    const QList<NamedQuery> queries = queriesOf(m_plan);
    for (const config::Environment &environment : m_plan.environments) {
        for (const NamedQuery &named : queries) {
            const int row = addRow(subject, environment.name + u": "_s + named.what);
            prometheus->query(config::expandQuery(named.query, environment))
                ->onFinished(this, [this, row](const Result<QueryResult> &r) {
                    complete(row, r.ok(), r.ok() ? summarize(r.value()) : describe(r.error()));
                });
        }
    }
}

void Preflight::checkAlertmanager() {
    if (!m_plan.alertmanager)
        return;
    auto *alertmanager = new AlertmanagerClient(*m_plan.alertmanager, this);
    const QString subject = alertmanager->name();
    if (!alertmanager->configProblem().isEmpty())
        complete(addRow(subject, u"TLS configuration"_s), false, alertmanager->configProblem());
    const int row =
        addRow(subject, u"reachable at "_s + HttpClient::displayUrl(m_plan.alertmanager->url));
    AlertFilter filter;
    filter.active = true;
    alertmanager->alerts(filter)->onFinished(this, [this, row](const Result<QList<Alert>> &r) {
        complete(row, r.ok(),
                 r.ok() ? u"%1 active alert(s)"_s.arg(r.value().size()) : describe(r.error()));
    });
}

void Preflight::checkStoreTransport() {
    if (m_plan.store.url.isEmpty())
        return;
    const int row = addRow(u"store"_s, u"TLS to "_s + m_plan.store.url.host());
    if (auto weakened = store::postgresTlsWeakened(m_plan.store.url))
        complete(row, true, *weakened, true);
    else
        complete(row, true,
                 store::isLoopbackPostgresHost(m_plan.store.url.host())
                     ? u"on this machine"_s
                     : u"sslmode=verify-full: certificate and name checked"_s);
}

void Preflight::checkDecommission() {
    // Weeks 9-12 are weeks away at a preflight: a step still to fill in, or a program this
    // machine lacks, is worth knowing now, but does not fail the cutover's preflight.
    const config::DecommissionConfig &d = m_plan.decommission;
    if (!d.isSet())
        return;
    int notReady = 0;
    for (const config::DecommissionStep &step : d.steps) {
        QStringList problems;
        if (const QStringList placeholders = step.placeholders(); !placeholders.isEmpty())
            problems.append(u"not configured: fill in %1"_s.arg(placeholders.join(u", "_s)));
        for (const QStringList *argv : {&step.argv, &step.validation.argv}) {
            if (argv->isEmpty())
                continue;
            const QString program = argv->constFirst();
            const bool found = program.contains(u'/')
                                   ? QFileInfo(program).isExecutable()
                                   : !QStandardPaths::findExecutable(program).isEmpty();
            if (!found)
                problems.append(u"%1 not found on this machine"_s.arg(program));
        }
        if (problems.isEmpty())
            continue;
        ++notReady;
        complete(addRow(u"decommission"_s, u"step "_s + step.id), true, problems.join(u"; "_s),
                 true);
    }
    const int steps = int(d.steps.size());
    complete(addRow(u"decommission"_s, u"steps"_s), true,
             notReady == 0
                 ? u"%1 steps configured"_s.arg(steps)
                 : u"%1 of %2 steps to finish before weeks 9-12 (above)"_s.arg(notReady).arg(steps),
             notReady > 0);
}

int runPreflight(const config::Plan &plan, QTextStream &out, QTextStream &err) {
    Q_ASSERT(QCoreApplication::instance());
    Preflight preflight(plan, out, err);
    int exitCode = 1;
    QObject::connect(&preflight, &Preflight::finished, QCoreApplication::instance(),
                     [&exitCode](int code) {
                         exitCode = code;
                         QCoreApplication::exit(code);
                     });
    QTimer::singleShot(0, &preflight, [&preflight] { preflight.start(); });
    QCoreApplication::exec();
    return exitCode;
}

} // namespace cutover::cli
