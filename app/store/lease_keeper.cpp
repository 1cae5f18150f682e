#include "app/store/lease_keeper.h"

#include "app/store/store_log.h"

#include <QDeadlineTimer>
#include <QMetaObject>
#include <QThread>
#include <QUuid>

#include <algorithm>
#include <mutex>

using namespace Qt::StringLiterals;

namespace cutover::store {

qint64 steadyNowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

namespace {
// How long the thread may take to stop at destruction (it may be waiting on the database).
constexpr int kStopWaitMs = 2500;

qint64 marginMs(qint64 leaseMs) {
    return std::max<qint64>(250, leaseMs / 6);
}
} // namespace

// Lives in the keeper's thread; owns the backend and its connection.
class LeaseWorker final : public QObject {
    Q_OBJECT
public:
    LeaseWorker(std::unique_ptr<LeaseBackend> backend, LeaseHolder candidate,
                LeaseKeeper::Options options)
        : m_backend(std::move(backend))
        , m_candidate(std::move(candidate))
        , m_options(options)
        , m_timer(this) { // a child, so it moves to the worker's thread with it
        // A look every quarter of the lease: a follower takes over at most a quarter after expiry.
        m_timer.setInterval(int(std::clamp<qint64>(options.leaseMs / 4, 100, 15'000)));
    }

    ~LeaseWorker() override {
        // Runs in the worker's thread as it stops: hand the lease over at once.
        if (m_holding && m_backend) {
            if (auto released = m_backend->release(m_candidate.id); !released)
                qCWarning(lcStore)
                    << "could not release the decision lease:" << released.error().toString();
            else
                qCInfo(lcStore) << "decision lease released";
        }
    }

    void start() {
        connect(&m_timer, &QTimer::timeout, this, &LeaseWorker::round);
        if (auto opened = m_backend->open(); !opened)
            Q_EMIT failed(opened.error().toString());
        round();
        m_timer.start();
    }

    void setLastEvaluation(const QDateTime &at) {
        std::scoped_lock lock(m_mutex);
        if (!m_lastEvaluation.isValid() || at > m_lastEvaluation)
            m_lastEvaluation = at;
    }
    void setOperatorName(const QString &name) {
        std::scoped_lock lock(m_mutex);
        m_operatorName = name;
    }

Q_SIGNALS:
    void acquired(const cutover::store::LeaseAcquisition &acquisition, qint64 sentAtNs,
                  const cutover::store::WatchMark &mark);
    void renewed(qint64 sentAtNs);
    void lost(const QString &why);
    void observed(const cutover::store::LeaseReading &reading);
    void failed(const QString &problem);

private:
    QDateTime lastEvaluation() {
        std::scoped_lock lock(m_mutex);
        return m_lastEvaluation;
    }

    void round() {
        const qint64 sentAt = steadyNowNs();
        if (m_holding) {
            auto renewedOk = m_backend->renew(m_candidate.id, m_options.leaseMs, lastEvaluation());
            if (!renewedOk) {
                Q_EMIT failed(renewedOk.error().toString());
                return; // the keeper's fence ends deciding if this goes on
            }
            if (!renewedOk.value()) {
                m_holding = false;
                auto reading = m_backend->read();
                Q_EMIT lost(reading && reading.value().holder
                                ? u"taken over by %1"_s.arg(reading.value().holder->describe())
                                : u"the lease was taken over"_s);
                if (reading)
                    Q_EMIT observed(reading.value());
                return;
            }
            Q_EMIT renewed(sentAt);
            moveMark();
        }
        auto reading = m_backend->read();
        if (!reading) {
            Q_EMIT failed(reading.error().toString());
            return;
        }
        Q_EMIT observed(reading.value());
        if (m_holding || !m_options.seek)
            return;
        const LeaseReading &r = reading.value();
        const bool free = !r.holder || !r.holder->freshAt(r.now);
        const bool preemptable = m_candidate.kind == LeaseHolderKind::Controller && r.holder &&
                                 r.holder->kind == LeaseHolderKind::Desk;
        if (!free && !preemptable)
            return;
        LeaseHolder candidate = m_candidate;
        {
            std::scoped_lock lock(m_mutex);
            candidate.operatorName = m_operatorName;
        }
        auto acquisition = m_backend->tryAcquire(candidate, m_options.leaseMs);
        if (!acquisition) {
            Q_EMIT failed(acquisition.error().toString());
            return;
        }
        if (!acquisition.value().won)
            return;
        m_holding = true;
        m_lastMarkNs = 0;
        Q_EMIT acquired(acquisition.value(), sentAt, r.mark);
    }

    void moveMark() {
        const QDateTime at = lastEvaluation();
        const qint64 now = steadyNowNs();
        if (!at.isValid() ||
            (m_lastMarkNs != 0 && now - m_lastMarkNs < m_options.markEveryMs * 1'000'000))
            return;
        if (auto marked = m_backend->markEvaluated(at, m_candidate.describe()); !marked)
            Q_EMIT failed(marked.error().toString());
        else
            m_lastMarkNs = now;
    }

    std::unique_ptr<LeaseBackend> m_backend;
    LeaseHolder m_candidate;
    LeaseKeeper::Options m_options;
    QTimer m_timer;
    bool m_holding = false;
    qint64 m_lastMarkNs = 0;
    std::mutex m_mutex;
    QDateTime m_lastEvaluation;
    QString m_operatorName;
};

LeaseKeeper::LeaseKeeper(std::unique_ptr<LeaseBackend> backend, LeaseHolder candidate,
                         Options options, QObject *parent)
    : QObject(parent)
    , m_candidate(std::move(candidate))
    , m_options(options) {
    if (m_candidate.id.isEmpty())
        m_candidate.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    m_thread = new QThread;
    m_thread->setObjectName(u"cutover-lease"_s);
    m_worker = new LeaseWorker(std::move(backend), m_candidate, m_options);
    m_worker->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_thread, &QThread::started, m_worker, &LeaseWorker::start);
    connect(m_worker, &LeaseWorker::acquired, this, &LeaseKeeper::onAcquired);
    connect(m_worker, &LeaseWorker::renewed, this, &LeaseKeeper::onRenewed);
    connect(m_worker, &LeaseWorker::lost, this, &LeaseKeeper::onLost);
    connect(m_worker, &LeaseWorker::observed, this, &LeaseKeeper::onObserved);
    connect(m_worker, &LeaseWorker::failed, this, &LeaseKeeper::onFailed);
    m_recheck.setSingleShot(true);
    m_recheck.setTimerType(Qt::PreciseTimer);
    connect(&m_recheck, &QTimer::timeout, this, &LeaseKeeper::reevaluate);
    qRegisterMetaType<cutover::store::LeaseAcquisition>();
    qRegisterMetaType<cutover::store::LeaseReading>();
    qRegisterMetaType<cutover::store::WatchMark>();
}

LeaseKeeper::~LeaseKeeper() {
    if (!m_thread->isRunning()) {
        delete m_worker;
        delete m_thread;
        return;
    }
    m_thread->quit();
    if (m_thread->wait(QDeadlineTimer(kStopWaitMs))) {
        delete m_thread; // the worker (and its release) went with the thread's finished()
        return;
    }
    qCWarning(lcStore) << "the decision lease's thread is still waiting on the store; it is left "
                          "to end with the process";
}

void LeaseKeeper::start() {
    if (!m_thread->isRunning())
        m_thread->start();
}

bool LeaseKeeper::deciding() const {
    const qint64 now = steadyNowNs();
    return m_holding && now < m_fenceAtNs && now >= m_decideAtNs;
}

void LeaseKeeper::setLastEvaluation(const QDateTime &at) {
    m_worker->setLastEvaluation(at);
}

void LeaseKeeper::setOperatorName(const QString &name) {
    m_worker->setOperatorName(name);
}

void LeaseKeeper::onAcquired(const LeaseAcquisition &acquisition, qint64 sentAtNs,
                             const WatchMark &mark) {
    m_holding = true;
    m_term = acquisition.holder.term;
    m_markAtAcquisition = mark;
    m_fenceAtNs = sentAtNs + (m_options.leaseMs - marginMs(m_options.leaseMs)) * 1'000'000;
    m_decideAtNs = 0;
    if (acquisition.previousExpiresAt.isValid() && acquisition.previousExpiresAt > acquisition.now)
        m_decideAtNs =
            steadyNowNs() + acquisition.now.msecsTo(acquisition.previousExpiresAt) * 1'000'000;
    qCInfo(lcStore).noquote() << "took the decision lease, term" << acquisition.holder.term
                              << (m_decideAtNs ? u"(after a console's lease ends)"_s : QString());
    reevaluate();
}

void LeaseKeeper::onRenewed(qint64 sentAtNs) {
    m_fenceAtNs = sentAtNs + (m_options.leaseMs - marginMs(m_options.leaseMs)) * 1'000'000;
    if (!m_problem.isEmpty()) {
        m_problem.clear();
        Q_EMIT problemChanged(m_problem);
    }
    reevaluate();
}

void LeaseKeeper::onLost(const QString &why) {
    qCWarning(lcStore).noquote() << "lost the decision lease:" << why;
    m_holding = false;
    m_lastLoss = why;
    reevaluate();
}

void LeaseKeeper::onObserved(const LeaseReading &reading) {
    m_reading = reading;
    m_hasReading = true;
    if (!m_problem.isEmpty() && !m_holding) {
        m_problem.clear();
        Q_EMIT problemChanged(m_problem);
    }
    Q_EMIT observed(reading);
}

void LeaseKeeper::onFailed(const QString &problem) {
    if (problem != m_problem) {
        m_problem = problem;
        qCWarning(lcStore).noquote() << problem;
        Q_EMIT problemChanged(m_problem);
    }
    reevaluate();
}

void LeaseKeeper::reevaluate() {
    const bool now = deciding();
    const qint64 t = steadyNowNs();
    // Look again at the next instant the answer can change by itself (fence, preemption wait).
    qint64 nextNs = 0;
    if (m_holding && t < m_decideAtNs)
        nextNs = m_decideAtNs;
    else if (m_holding && t < m_fenceAtNs)
        nextNs = m_fenceAtNs;
    if (nextNs > 0)
        m_recheck.start(int(std::max<qint64>(1, (nextNs - t) / 1'000'000 + 1)));
    if (!now && m_deciding && m_holding && t >= m_fenceAtNs)
        m_lastLoss = u"not renewed within %1 ms (the store answered too slowly)"_s.arg(
            m_options.leaseMs - marginMs(m_options.leaseMs));
    if (now != m_deciding) {
        m_deciding = now;
        Q_EMIT decidingChanged(now);
    }
}

} // namespace cutover::store

#include "lease_keeper.moc"
