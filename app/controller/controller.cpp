#include "app/controller/controller.h"

#include "app/controller/controller_metrics.h"
#include "app/controller/metrics_server.h"
#include "app/controller/unix_signals.h"
#include "app/cutover/cutover_engine.h"
#include "app/store/decision_lease.h"
#include "app/store/operators_file.h"
#include "app/store/store.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QSysInfo>
#include <QTimer>

#include <csignal>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcController, "cutover.controller", QtInfoMsg)

namespace cutover::controller {

namespace {

// journald reads a "<N>" prefix as the line's priority when stderr is its stream (systemd sets
// JOURNAL_STREAM then); on a terminal the lines stay plain.
void installLogFormat() {
    if (qEnvironmentVariableIsSet("JOURNAL_STREAM"))
        qSetMessagePattern(u"%{if-debug}<7>%{endif}%{if-info}<6>%{endif}%{if-warning}<4>%{endif}"
                           u"%{if-critical}<3>%{endif}%{if-fatal}<2>%{endif}%{category}: "
                           u"%{message}"_s);
    else
        qSetMessagePattern(u"%{time yyyy-MM-ddTHH:mm:ss.zzz} %{if-debug}debug%{endif}"
                           u"%{if-info}info%{endif}%{if-warning}warning%{endif}"
                           u"%{if-critical}critical%{endif}%{if-fatal}fatal%{endif} "
                           u"%{category}: %{message}"_s);
}

bool processAlive(qint64 pid) {
    return pid > 0 && (::kill(pid_t(pid), 0) == 0 || errno == EPERM);
}

// One controller per SQLite file: the lease would keep a second one idle forever, so it refuses
// at start and names the holder. A lease left by a controller of this host that is dead is free.
QString sqliteHolder(store::Store &store, const QString &thisHost) {
    if (!store.description().startsWith(u"sqlite:"_s))
        return {};
    auto backend = store.createLeaseBackend();
    if (!backend || !backend->open())
        return {};
    auto reading = backend->read();
    if (!reading || !reading.value().holder)
        return {};
    const store::LeaseHolder &h = *reading.value().holder;
    if (h.kind != store::LeaseHolderKind::Controller || !h.freshAt(reading.value().now))
        return {};
    if (h.host == thisHost && !processAlive(h.pid))
        return {};
    return u"another controller runs on this store: %1, leading since %2"_s.arg(
        h.describe(), h.leadingSince.toString(Qt::ISODate));
}

class Controller : public QObject {
public:
    Controller(const config::Plan &plan, std::unique_ptr<store::Store> store,
               engine::CutoverEngine::Options options)
        : m_plan(plan)
        , m_store(std::move(store)) {
        std::optional<store::OperatorsFile> operators;
        if (!m_plan.operators.file.isEmpty()) {
            auto loaded = store::loadOperatorsFile(m_plan.operators.file, &m_plan);
            if (loaded.ok())
                operators = loaded.file;
        }
        m_engine = std::make_unique<engine::CutoverEngine>(m_plan, *m_store, operators, options);
        m_startedAt = QDateTime::currentDateTimeUtc();
        auto head = m_store->lastChangeId();
        m_firstNewSeq = head ? head.value() + 1 : 0;
        connect(m_engine.get(), &engine::CutoverEngine::auditAppended, this,
                [this](const store::AuditEntry &e) { onAudit(e); });
        connect(m_engine.get(), &engine::CutoverEngine::alarm, this,
                [](const QString &env, const QString &kind, const QString &text) {
                    qCWarning(lcController).noquote()
                        << "alarm" << kind << (env.isEmpty() ? u"-"_s : env) << text;
                });
        connect(m_engine.get(), &engine::CutoverEngine::decisionChanged, this,
                [this] { logDecision(); });
        connect(m_engine.get(), &engine::CutoverEngine::resumed, this,
                [](const QString &, const QString &, const QString &text) {
                    qCInfo(lcController).noquote() << text;
                });
    }

    bool serveMetrics(const QString &address, QString *error) {
        m_metrics = std::make_unique<MetricsServer>([this] { return metrics(); },
                                                    [this] { return health(); }, this);
        if (!m_metrics->listen(address, error))
            return false;
        qCInfo(lcController).noquote() << "serving /metrics and /healthz on" << address;
        return true;
    }

    void start() {
        qCInfo(lcController).noquote()
            << "controller" << QSysInfo::machineHostName() << "pid"
            << QCoreApplication::applicationPid() << "version" << CONSOLE_VERSION << "plan"
            << m_plan.name << "store" << m_store->description();
        m_engine->start();
    }

    // SIGTERM: finish a rollback in flight (bounded), let webhooks go, then quit.
    void stop(int signal) {
        if (m_stopping) {
            // `timeout` and some supervisors signal the process and its group: the same stop.
            // A second request a while later is an operator insisting.
            if (m_stopDeadline.elapsed() > 1000) {
                qCWarning(lcController) << "second signal: exiting now";
                QCoreApplication::exit(0);
            }
            return;
        }
        m_stopping = true;
        const qint64 bound = std::max<qint64>(2000, m_plan.rollback.deadline.ms());
        qCInfo(lcController).noquote()
            << "signal" << signal << "received: stopping after work in flight (at most" << bound
            << "ms)";
        m_stopDeadline.start();
        auto *poll = new QTimer(this);
        connect(poll, &QTimer::timeout, this, [this, bound] {
            if (busy() && m_stopDeadline.elapsed() < bound)
                return;
            if (busy())
                qCWarning(lcController) << "stopping with work still in flight";
            else
                qCInfo(lcController) << "stopped cleanly";
            QCoreApplication::exit(0);
        });
        poll->start(20);
    }

private:
    bool busy() const {
        for (const QString &env : m_engine->environments()) {
            const auto s = m_engine->snapshot(env);
            if (m_engine->operationInFlight(env) || s.phase == engine::Phase::RollingBack)
                return m_engine->decides() || m_engine->operationInFlight(env);
        }
        return m_engine->pendingNotifications() > 0 || m_engine->pendingFollowUps() > 0;
    }

    void onAudit(const store::AuditEntry &e) {
        if (e.action == u"rollback_started"_s) {
            const QString cause = e.detailsObject().value(u"cause"_s).toString(u"operator"_s);
            ++m_rollbacks[e.environment][cause];
        }
        if (e.seq < m_firstNewSeq)
            return; // history, read at start
        qCInfo(lcController).noquote()
            << "audit" << e.seq << e.action << (e.environment.isEmpty() ? u"-"_s : e.environment)
            << (e.subject.isEmpty() ? u"-"_s : e.subject) << "by" << e.actor;
    }

    void logDecision() {
        const engine::DecisionStatus d = m_engine->decisionStatus();
        const QString line = d.thisEngine     ? u"leading"_s
                             : d.backfilling  ? u"back-filling before leading"_s
                             : d.rollbackOnly ? u"store unreachable: automatic rollbacks only"_s
                             : d.holder && d.holderFresh
                                 ? u"following %1"_s.arg(d.holder->describe())
                                 : u"waiting for the decision lease"_s;
        if (line != m_lastDecisionLine) {
            m_lastDecisionLine = line;
            qCInfo(lcController).noquote() << line;
        }
    }

    QByteArray metrics() const {
        MetricsInput in;
        for (const QString &env : m_engine->environments())
            in.environments.append(m_engine->snapshot(env));
        in.leader = m_engine->decides();
        in.lastEvaluationAt = m_engine->lastEvaluationAt();
        in.rollbacks = m_rollbacks;
        in.startedAt = m_startedAt;
        return renderMetrics(in);
    }

    MetricsServer::Health health() const {
        const engine::DecisionStatus d = m_engine->decisionStatus();
        if (!d.problem.isEmpty())
            return {false, u"store: "_s + d.problem};
        return {true, m_lastDecisionLine.isEmpty() ? u"starting"_s : m_lastDecisionLine};
    }

    const config::Plan &m_plan;
    std::unique_ptr<store::Store> m_store;
    std::unique_ptr<engine::CutoverEngine> m_engine;
    std::unique_ptr<MetricsServer> m_metrics;
    QDateTime m_startedAt;
    qint64 m_firstNewSeq = 0;
    QMap<QString, QMap<QString, qint64>> m_rollbacks;
    QString m_lastDecisionLine;
    bool m_stopping = false;
    QElapsedTimer m_stopDeadline;
};

} // namespace

int runController(const config::Plan &plan, const ControllerRequest &request, QTextStream &err) {
    installLogFormat();
    config::StoreConfig storeConfig = plan.store;
    if (!request.storePath.isEmpty()) {
        storeConfig = {};
        storeConfig.path = request.storePath;
    }
    auto opened = store::openStore(storeConfig);
    if (!opened) {
        err << "cutover-console --serve: the store cannot be opened: " << opened.error().toString()
            << '\n';
        return 2;
    }
    const QString host =
        request.hostName.isEmpty() ? QSysInfo::machineHostName() : request.hostName;
    if (const QString holder = sqliteHolder(*opened.value(), host); !holder.isEmpty()) {
        err << "cutover-console --serve: " << holder
            << " (one controller per SQLite store; share a PostgreSQL store for a standby)\n";
        return 2;
    }
    engine::CutoverEngine::Options options;
    options.role = engine::CutoverEngine::Role::Controller;
    options.hostName = host;
    options.actorForAutomatic = u"controller"_s;
    Controller controller(plan, std::move(opened.value()), options);
    QString listen = request.listen;
    if (listen.isEmpty() && plan.controller.listenPort != 0)
        listen = u"%1:%2"_s.arg(plan.controller.listenHost).arg(plan.controller.listenPort);
    if (!listen.isEmpty()) {
        QString error;
        if (!controller.serveMetrics(listen, &error)) {
            err << "cutover-console --serve: " << error << '\n';
            return 2;
        }
    }
    UnixSignals signals_;
    QObject::connect(&signals_, &UnixSignals::received, &controller,
                     [&controller](int signal) { controller.stop(signal); });
    controller.start();
    err.flush();
    return QCoreApplication::exec();
}

} // namespace cutover::controller
