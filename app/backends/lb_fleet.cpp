#include "app/backends/lb_fleet.h"

#include "app/backends/log.h"
#include "app/net/call.h"

#include <QElapsedTimer>
#include <QTimer>

#include <memory>

using namespace Qt::StringLiterals;
using namespace cutover::net;

namespace cutover::backends {

bool FleetApplyResult::allVerified() const {
    return !lbs.isEmpty() &&
           std::all_of(lbs.cbegin(), lbs.cend(), [](const LbApplyResult &r) { return r.verified; });
}

QStringList FleetApplyResult::failedLbs() const {
    QStringList failed;
    for (const LbApplyResult &r : lbs) {
        if (!r.verified)
            failed.append(r.lb);
    }
    return failed;
}

ApplyOptions ApplyOptions::forShift(std::chrono::milliseconds deadline) {
    ApplyOptions options;
    options.maxAttempts = 3;
    options.deadline = deadline;
    options.attemptTimeout = std::max(std::chrono::milliseconds(100), deadline / 2);
    options.backoff = RetryPolicy::attempts(3, std::chrono::milliseconds(50));
    return options;
}

ApplyOptions ApplyOptions::forRollback(const config::RollbackConfig &rollback) {
    ApplyOptions options;
    options.maxAttempts = std::max(1, rollback.maxAttempts);
    options.deadline = rollback.deadline.value();
    options.attemptTimeout =
        std::max(std::chrono::milliseconds(100), options.deadline / (options.maxAttempts + 1));
    options.backoff = RetryPolicy::attempts(options.maxAttempts, rollback.retryBackoff.value());
    return options;
}

namespace {

// One LB's part of an apply: set, read back, compare; again after a backoff while it is
// worth it. Lives as a child of the fleet's reply, so cancelling the apply ends it.
class LbApplyJob : public QObject {
public:
    LbApplyJob(HaproxyRuntimeClient *client, QString backend, QMap<QString, int> weights,
               ApplyOptions options, std::function<void(LbApplyResult)> done, QObject *parent)
        : QObject(parent)
        , m_client(client)
        , m_backend(std::move(backend))
        , m_weights(std::move(weights))
        , m_options(options)
        , m_done(std::move(done)) {
        m_result.lb = client->name();
        m_clock.start();
    }

    ~LbApplyJob() override {
        if (m_pending)
            m_pending->cancel(u"apply cancelled"_s);
    }

    void start() { attempt(); }

private:
    CallOptions stepOptions() const {
        CallOptions options;
        options.deadline = std::chrono::milliseconds(std::max<qint64>(1, remainingMs()));
        options.attemptTimeout = m_options.attemptTimeout;
        options.idempotent = true;
        options.retry = RetryPolicy::none(); // this job does the retrying, with read-back
        return options;
    }

    qint64 remainingMs() const { return m_options.deadline.count() - m_clock.elapsed(); }

    void attempt() {
        ++m_result.attempts;
        m_result.sent = false;
        // One connection per LB and attempt: the sets, then the gets that verify them.
        auto *call = m_client->setWeightsAndReadBack(m_backend, m_weights, stepOptions());
        m_pending = call;
        call->onFinished(this, [this](const Result<QMap<QString, ServerWeight>> &r) {
            m_pending.clear();
            if (!r.ok()) {
                failed(r.error());
                return;
            }
            m_result.sent = true;
            m_result.readBack.clear();
            for (auto it = r.value().cbegin(); it != r.value().cend(); ++it)
                m_result.readBack.insert(it.key(), it.value().current);
            m_result.mismatches = compareWeights(m_weights, m_result.readBack);
            if (m_result.mismatches.isEmpty()) {
                m_result.verified = true;
                m_result.error.reset();
                finish();
                return;
            }
            failed(Error{ErrorKind::Protocol, m_client->name(),
                         u"read-back differs from what was set on %1 server(s), e.g. %2 is %3, "
                         u"not %4"_s.arg(m_result.mismatches.size())
                             .arg(m_result.mismatches.constFirst().server)
                             .arg(m_result.mismatches.constFirst().actual)
                             .arg(m_result.mismatches.constFirst().intended),
                         0, u"readback_mismatch"_s});
        });
    }

    void failed(const Error &error) {
        // An attempt cut short by the job's own deadline says nothing new: the earlier cause
        // (connection refused, a refusal) is what the operator needs to read.
        const bool cutShortByDeadline = error.kind == ErrorKind::Timeout && remainingMs() <= 0;
        if (!(cutShortByDeadline && m_result.error && m_result.error->kind != ErrorKind::Timeout))
            m_result.error = error;
        const auto refusal = runtimeRefusal(error);
        // A refusal (no such server, permission...) will be the same next time.
        const bool permanent = refusal.has_value() && refusal != RuntimeRefusal::Other;
        const auto delay = m_options.backoff.delayBefore(m_result.attempts + 1);
        // An attempt needs time for a round trip; starting one in the last few milliseconds only
        // replaces the real cause with a timeout.
        constexpr qint64 kShortestUsefulAttemptMs = 50;
        if (permanent || m_result.attempts >= m_options.maxAttempts ||
            delay.count() + kShortestUsefulAttemptMs >= remainingMs() ||
            error.kind == ErrorKind::Cancelled) {
            finish();
            return;
        }
        qCInfo(lcFleet).noquote() << m_client->name() << "attempt" << m_result.attempts
                                  << "failed, retrying in" << delay.count()
                                  << "ms:" << error.toString();
        QTimer::singleShot(delay, this, [this] { attempt(); });
    }

    void finish() {
        m_result.elapsedMs = m_clock.elapsed();
        if (auto done = std::exchange(m_done, nullptr))
            done(m_result);
    }

    HaproxyRuntimeClient *m_client;
    QString m_backend;
    QMap<QString, int> m_weights;
    ApplyOptions m_options;
    std::function<void(LbApplyResult)> m_done;
    LbApplyResult m_result;
    QElapsedTimer m_clock;
    QPointer<Request> m_pending;
};

} // namespace

LbFleet::LbFleet(const QList<config::LoadBalancer> &loadBalancers, QObject *parent)
    : QObject(parent)
    , m_loadBalancers(loadBalancers) {
    for (const config::LoadBalancer &lb : m_loadBalancers)
        m_clients.append(new HaproxyRuntimeClient(lb, this));
}

namespace {
QList<config::LoadBalancer> loadBalancersOf(const config::Plan &plan,
                                            const config::Environment &environment) {
    QList<config::LoadBalancer> lbs;
    for (const QString &name : environment.loadBalancers) {
        if (const auto *lb = plan.loadBalancer(name))
            lbs.append(*lb);
    }
    return lbs;
}
} // namespace

LbFleet::LbFleet(const config::Plan &plan, const config::Environment &environment, QObject *parent)
    : LbFleet(loadBalancersOf(plan, environment), parent) {}

LbFleet::~LbFleet() {
    if (m_currentApply)
        m_currentApply->cancel(u"fleet destroyed"_s);
    // Now, while this fleet is whole: their cancelled calls report to callbacks that use it.
    qDeleteAll(std::exchange(m_clients, {}));
}

QStringList LbFleet::names() const {
    QStringList names;
    for (const auto &lb : m_loadBalancers)
        names.append(lb.name);
    return names;
}

HaproxyRuntimeClient *LbFleet::client(const QString &lb) const {
    for (HaproxyRuntimeClient *client : m_clients) {
        if (client->name() == lb)
            return client;
    }
    return nullptr;
}

const config::LoadBalancer *LbFleet::loadBalancer(const QString &lb) const {
    for (const auto &candidate : m_loadBalancers) {
        if (candidate.name == lb)
            return &candidate;
    }
    return nullptr;
}

Reply<FleetApplyResult> *LbFleet::apply(const QMap<QString, int> &weights,
                                        const ApplyOptions &options) {
    if (m_currentApply && !m_currentApply->isFinished())
        m_currentApply->cancel(u"superseded"_s);
    auto *reply = new Reply<FleetApplyResult>(u"fleet"_s);
    m_currentApply = reply;
    // Backstop only: every job ends by its own deadline.
    reply->setDeadline(options.deadline + std::chrono::seconds(1));

    auto state = std::make_shared<FleetApplyResult>();
    state->weights = weights;
    state->lbs.resize(m_clients.size());
    auto remaining = std::make_shared<int>(int(m_clients.size()));
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    qCDebug(lcFleet).noquote() << "applying weights to" << names().join(u", "_s);

    for (qsizetype i = 0; i < m_clients.size(); ++i) {
        HaproxyRuntimeClient *client = m_clients.at(i);
        QPointer<LbFleet> fleet(this);
        auto *job = new LbApplyJob(
            client, m_loadBalancers.at(i).backend, weights, options,
            [reply, state, remaining, clock, i, fleet](LbApplyResult result) {
                if (fleet)
                    Q_EMIT fleet->lbApplied(result);
                state->lbs[i] = std::move(result);
                if (--*remaining == 0) {
                    state->elapsedMs = clock->elapsed();
                    reply->succeed(*state);
                }
            },
            reply);
        QMetaObject::invokeMethod(
            job, [job] { job->start(); }, Qt::QueuedConnection);
    }
    if (m_clients.isEmpty())
        QMetaObject::invokeMethod(
            reply, [reply, state] { reply->succeed(*state); }, Qt::QueuedConnection);
    return reply;
}

void LbFleet::noteInfo(LbWeightsRead &read) {
    if (!read.info)
        return;
    const auto previous = m_lastInfo.constFind(read.lb);
    if (previous != m_lastInfo.cend())
        read.reloaded =
            previous->pid != read.info->pid || read.info->uptimeSec < previous->uptimeSec;
    m_lastInfo.insert(read.lb, *read.info);
}

Reply<QList<LbWeightsRead>> *LbFleet::readWeights(const QStringList &servers) {
    auto *reply = new Reply<QList<LbWeightsRead>>(u"fleet"_s);
    auto reads = std::make_shared<QList<LbWeightsRead>>(m_clients.size());
    // Two calls per LB (weights, then info): finished when all are in.
    auto remaining = std::make_shared<int>(int(m_clients.size()) * 2);
    auto finishOne = [this, reply, reads, remaining] {
        if (--*remaining > 0)
            return;
        for (LbWeightsRead &read : *reads)
            noteInfo(read);
        reply->succeed(*reads);
    };
    for (qsizetype i = 0; i < m_clients.size(); ++i) {
        HaproxyRuntimeClient *client = m_clients.at(i);
        (*reads)[i].lb = client->name();
        client->getWeights(m_loadBalancers.at(i).backend, servers)
            ->onFinished(reply,
                         [reads, i, finishOne](const Result<QMap<QString, ServerWeight>> &r) {
                             if (r.ok()) {
                                 for (auto it = r.value().cbegin(); it != r.value().cend(); ++it)
                                     (*reads)[i].weights.insert(it.key(), it.value().current);
                             } else {
                                 (*reads)[i].error = r.error();
                             }
                             finishOne();
                         });
        client->showInfo()->onFinished(reply, [reads, i, finishOne](const Result<ProcessInfo> &r) {
            if (r.ok())
                (*reads)[i].info = r.value();
            else if (!(*reads)[i].error)
                (*reads)[i].error = r.error();
            finishOne();
        });
    }
    if (m_clients.isEmpty())
        QMetaObject::invokeMethod(
            reply, [reply] { reply->succeed({}); }, Qt::QueuedConnection);
    return reply;
}

Reply<QList<LbDrift>> *LbFleet::checkDrift(const QMap<QString, int> &intended) {
    auto *reply = new Reply<QList<LbDrift>>(u"fleet"_s);
    auto *read = readWeights(intended.keys());
    read->onFinished(reply, [reply, intended](const Result<QList<LbWeightsRead>> &r) {
        if (!r.ok()) {
            reply->fail(r.error());
            return;
        }
        QList<LbDrift> drifts;
        for (const LbWeightsRead &lbRead : r.value()) {
            LbDrift drift{lbRead.lb, {}, lbRead};
            if (!lbRead.error)
                drift.drifts = compareWeights(intended, lbRead.weights);
            if (drift.drifted())
                qCWarning(lcFleet).noquote()
                    << lbRead.lb << "drifted on" << drift.drifts.size() << "server(s)";
            drifts.append(drift);
        }
        reply->succeed(drifts);
    });
    // Cancelling the drift check cancels the read.
    QPointer<Request> readGuard(read);
    reply->setCleanup([readGuard] {
        if (readGuard)
            readGuard->cancel(u"drift check ended"_s);
    });
    return reply;
}

} // namespace cutover::backends
