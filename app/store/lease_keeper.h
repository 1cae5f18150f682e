#pragma once

// Keeps (or watches) the decision lease (decision_lease.h) on a thread of its own: QtSql is
// synchronous, and a renewal that waited on a slow database in the engine's thread would both
// stall the engine and let the lease lapse. The keeper's thread looks at the lease every quarter of
// its duration; this object, in the engine's thread, only hears the results.
//
// Fencing: holding the lease in the store is not enough to decide. deciding() is true only until
// `lease - margin` after the last renewal was *sent* (a monotonic clock), so a holder that cannot
// renew (database away, process stalled) stops deciding before anybody else may take over, and a
// controller that took the lease from a desk waits until that desk's lease would have ended.

#include "app/store/decision_lease.h"

#include <QObject>
#include <QTimer>

#include <chrono>
#include <memory>

class QThread;

namespace cutover::store {

class LeaseWorker;

class LeaseKeeper final : public QObject {
    Q_OBJECT
public:
    struct Options {
        qint64 leaseMs = 3000;
        // Whether to seek the lease at all: a controller always does; a desk does while no
        // controller holds it (the worker checks); false: only watch (e.g. a report).
        bool seek = true;
        // How often the watch mark is moved forward while holding.
        qint64 markEveryMs = 5000;
    };

    // `candidate` describes this process; its id is made here when empty.
    LeaseKeeper(std::unique_ptr<LeaseBackend> backend, LeaseHolder candidate, Options options,
                QObject *parent = nullptr);
    ~LeaseKeeper() override; // releases the lease if held (bounded wait for the thread)

    void start();
    const LeaseHolder &candidate() const { return m_candidate; }

    // True while this process may take automatic decisions (see the fencing note above).
    bool deciding() const;
    // The last look at the lease; `now` is the lease clock's time then.
    const LeaseReading &lastReading() const { return m_reading; }
    bool hasReading() const { return m_hasReading; }
    // The watch mark as it was when this process took the lease (the start of the time nobody
    // evaluated); invalid when none was recorded.
    const WatchMark &markAtAcquisition() const { return m_markAtAcquisition; }
    // The last error talking to the store; empty when the last look worked.
    const QString &problem() const { return m_problem; }
    // Whether the store still names this process as the holder (deciding() may be false while
    // it does: a renewal came too late, or a preempted desk's lease has not ended yet).
    bool holds() const { return m_holding; }
    // The term of this process's current (or last) lease; 0 before the first.
    qint64 term() const { return m_term; }
    // Why deciding() last turned false: "taken over by …" or "not renewed within … ms".
    const QString &lastLoss() const { return m_lastLoss; }

    // The engine's last evaluation round: written with every renewal and as the watch mark.
    void setLastEvaluation(const QDateTime &at);
    // A desk signing in or out changes what others see ("console of alice on host-b").
    void setOperatorName(const QString &name);

Q_SIGNALS:
    // deciding() changed.
    void decidingChanged(bool deciding);
    // Every look at the lease (about every quarter of its duration).
    void observed(const cutover::store::LeaseReading &reading);
    // Taking, renewing or reading the lease failed (text free of secrets); or works again (empty).
    void problemChanged(const QString &problem);

private:
    void onAcquired(const cutover::store::LeaseAcquisition &acquisition, qint64 sentAtNs,
                    const cutover::store::WatchMark &mark);
    void onRenewed(qint64 sentAtNs);
    void onLost(const QString &why);
    void onObserved(const cutover::store::LeaseReading &reading);
    void onFailed(const QString &problem);
    void reevaluate();

    LeaseHolder m_candidate;
    Options m_options;
    QThread *m_thread = nullptr;
    LeaseWorker *m_worker = nullptr;
    bool m_holding = false;
    qint64 m_fenceAtNs = 0;  // steady clock: deciding stops here unless renewed
    qint64 m_decideAtNs = 0; // steady clock: deciding starts here (after a preempted desk)
    bool m_deciding = false;
    QTimer m_recheck;
    LeaseReading m_reading;
    bool m_hasReading = false;
    WatchMark m_markAtAcquisition;
    QString m_problem;
    qint64 m_term = 0;
    QString m_lastLoss;
};

// The steady clock in nanoseconds (the keeper's fencing clock).
qint64 steadyNowNs();

} // namespace cutover::store
