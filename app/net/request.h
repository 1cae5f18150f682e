#pragma once

// The handle of one asynchronous call. It finishes exactly once - with a value or an Error -
// emits finished(), then deletes itself on the next turn of the event loop. Results travel
// through onFinished(context, f): when `context` is destroyed first, Qt drops the connection,
// so a result whose requester is gone is never delivered.
//
// A request never finishes inside the call that created it (work starts on the next turn of
// the event loop), so attaching onFinished() right after creating it is always in time.

#include "app/net/error.h"
#include "app/net/result.h"

#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <chrono>
#include <functional>
#include <optional>

namespace cutover::net {

// One try of a call, kept so that operators (and webhooks' "result per attempt") see them all.
struct AttemptRecord {
    int number = 0;         // 1-based
    qint64 startedAtMs = 0; // since the request was created
    qint64 elapsedMs = 0;   // duration of this attempt
    std::optional<Error> error;
};

class Request : public QObject {
    Q_OBJECT
public:
    explicit Request(QString backend, QObject *parent = nullptr);
    ~Request() override;

    const QString &backend() const { return m_backend; }
    bool isFinished() const { return m_finished; }
    // Empty until finished; empty after a success.
    const std::optional<Error> &failure() const { return m_failure; }
    const QList<AttemptRecord> &attempts() const { return m_attempts; }
    qint64 elapsedMs() const { return m_clock.elapsed(); }
    // Milliseconds until the overall deadline; 0 when passed; -1 when there is none.
    qint64 remainingMs() const;

    // The overall deadline, counted from creation: time in a queue, every attempt and every
    // backoff all count. Expiry finishes the request with ErrorKind::Timeout, or, when it cuts
    // retries short, with the last attempt's error (the real cause), noting the deadline.
    void setDeadline(std::chrono::milliseconds deadline);

    // Finishes with ErrorKind::Cancelled unless already finished. `reason`: "superseded"...
    void cancel(const QString &reason = QString());

    // Finishes with `error` unless already finished. For producers and composite calls.
    void fail(Error error);

    // Called exactly once when the request finishes by any route (value, error, cancel,
    // deadline), before finished() is emitted: producers abort their in-flight work here.
    void setCleanup(std::function<void()> cleanup) { m_cleanup = std::move(cleanup); }

    void recordAttempt(AttemptRecord record);

Q_SIGNALS:
    void finished();
    void attemptFinished(const cutover::net::AttemptRecord &record);

protected:
    // Marks finished, runs the cleanup, emits finished() and schedules deletion. Returns false
    // when the request had already finished (the caller must then drop its value).
    bool beginFinish();
    void endFinish();
    virtual void storeError(Error error) = 0;

private:
    Error deadlineError() const;

    QString m_backend;
    QElapsedTimer m_clock;
    QTimer *m_deadlineTimer = nullptr;
    qint64 m_deadlineMs = -1;
    bool m_finished = false;
    std::optional<Error> m_failure;
    QList<AttemptRecord> m_attempts;
    std::function<void()> m_cleanup;
};

template <typename T>
class Reply : public Request {
public:
    using Request::Request;

    // Set once finished.
    const std::optional<Result<T>> &result() const { return m_result; }

    // Delivers the result to `f(const Result<T> &)` in `context`'s thread, unless `context` is
    // destroyed first.
    template <typename F>
    QMetaObject::Connection onFinished(const QObject *context, F f) {
        return QObject::connect(this, &Request::finished, context,
                                [this, f = std::move(f)]() mutable { f(*m_result); });
    }

    // Finishes with a value unless already finished.
    void succeed(T value) {
        if (isFinished())
            return;
        m_result.emplace(std::move(value));
        if (beginFinish())
            endFinish();
    }

    // Finishes with either; the form producers use.
    void complete(Result<T> result) {
        if (result.ok())
            succeed(std::move(result.value()));
        else
            fail(result.error());
    }

protected:
    void storeError(Error error) override { m_result.emplace(std::move(error)); }

private:
    std::optional<Result<T>> m_result;
};

} // namespace cutover::net
