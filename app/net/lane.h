#pragma once

// A bound on the requests in flight to one backend. A request takes a slot for each attempt
// and gives it back when the attempt ends; the rest wait in FIFO order. Waiting counts against
// the request's own deadline, so a queue behind a hung backend turns into timeouts, not into
// an ever-growing backlog.

#include <QObject>
#include <QPointer>
#include <QQueue>
#include <QString>

#include <functional>

namespace cutover::net {

class Request;

class Lane {
public:
    Lane(QString backend, int maxInFlight);
    ~Lane();
    Lane(const Lane &) = delete;
    Lane &operator=(const Lane &) = delete;

    const QString &backend() const { return m_backend; }
    int maxInFlight() const { return m_maxInFlight; }
    int inFlight() const { return m_inFlight; }
    int waiting() const { return int(m_waiting.size()); }

    // Registers a request with this lane so that cancelAll() reaches it even before its first
    // attempt. Every Call does this when it is created.
    void track(Request *request);

    // Runs `start` now when a slot is free, else when one frees up - unless `request` has
    // finished (cancelled, timed out) or is gone by then. `start` owns the slot until it calls
    // release().
    void acquire(Request *request, std::function<void()> start);
    void release();

    // Cancels every request that waits or runs here: the owner is going away.
    void cancelAll(const QString &reason);

private:
    struct Waiter {
        QPointer<Request> request;
        std::function<void()> start;
    };
    void startWaiting();

    QString m_backend;
    int m_maxInFlight;
    int m_inFlight = 0;
    QQueue<Waiter> m_waiting;
    QList<QPointer<Request>> m_running;
};

} // namespace cutover::net
