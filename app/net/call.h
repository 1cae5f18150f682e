#pragma once

// Runs one logical call as a sequence of attempts: each attempt waits for a slot in the
// backend's Lane, may have its own timeout, and on a transient failure of an idempotent call is
// retried after a capped, jittered exponential backoff - all inside one overall deadline.

#include "app/net/lane.h"
#include "app/net/request.h"
#include "app/net/retry_policy.h"

#include <QMetaObject>
#include <QTimer>

#include <chrono>
#include <functional>
#include <memory>

namespace cutover::net {

struct CallOptions {
    std::chrono::milliseconds deadline{5000};
    // 0: an attempt may use the whole remaining deadline. Otherwise a hung attempt is
    // abandoned after this long and, if the call is idempotent, retried.
    std::chrono::milliseconds attemptTimeout{0};
    bool idempotent = false; // retries happen only for idempotent calls
    RetryPolicy retry;
};

// Aborts an attempt in flight. Must be safe to call after the attempt completed.
using Abort = std::function<void()>;

template <typename T>
using Completion = std::function<void(Result<T>)>;

// Starts one attempt; calls the completion once (unless aborted first); returns its abort.
template <typename T>
using AttemptStarter = std::function<Abort(Completion<T>)>;

template <typename T>
class Call final : public Reply<T> {
public:
    Call(Lane *lane, CallOptions options, AttemptStarter<T> starter, QObject *parent = nullptr)
        : Reply<T>(lane->backend(), parent)
        , m_lane(lane)
        , m_options(options)
        , m_starter(std::move(starter)) {
        m_lane->track(this);
        this->setDeadline(m_options.deadline);
        this->setCleanup([this] { stopAttempt(); });
        // Never finish inside the caller's stack frame: it must get to attach onFinished().
        QMetaObject::invokeMethod(
            this, [this] { queueAttempt(); }, Qt::QueuedConnection);
    }

private:
    void queueAttempt() {
        if (this->isFinished())
            return;
        m_lane->acquire(this, [this] { startAttempt(); });
    }

    void startAttempt() {
        m_holdingSlot = true;
        ++m_attempt;
        m_attemptStartMs = this->elapsedMs();
        const quint64 generation = ++m_generation;
        if (m_options.attemptTimeout.count() > 0) {
            if (!m_attemptTimer) {
                m_attemptTimer = new QTimer(this);
                m_attemptTimer->setSingleShot(true);
                m_attemptTimer->setTimerType(Qt::PreciseTimer);
            }
            QObject::disconnect(m_attemptTimer, nullptr, this, nullptr);
            QObject::connect(m_attemptTimer, &QTimer::timeout, this, [this, generation] {
                attemptDone(generation,
                            Error{ErrorKind::Timeout, this->backend(),
                                  QStringLiteral("no answer within the attempt timeout of %1 ms")
                                      .arg(m_options.attemptTimeout.count()),
                                  0, QStringLiteral("attempt_timeout")});
            });
            m_attemptTimer->start(int(m_options.attemptTimeout.count()));
        }
        QPointer<Call> self(this);
        m_abort = m_starter([self, generation](Result<T> result) {
            if (!self)
                return;
            // Completing inside the starter would re-enter the lane; defer to the loop.
            QMetaObject::invokeMethod(
                self.data(),
                [self, generation, r = std::move(result)]() mutable {
                    if (self)
                        self->attemptDone(generation, std::move(r));
                },
                Qt::QueuedConnection);
        });
    }

    // Aborts the attempt in flight (if any) and gives its slot back.
    void stopAttempt() {
        ++m_generation; // late completions of the old attempt are ignored
        if (m_attemptTimer)
            m_attemptTimer->stop();
        if (m_backoffTimer)
            m_backoffTimer->stop();
        if (auto abort = std::exchange(m_abort, nullptr))
            abort();
        if (std::exchange(m_holdingSlot, false))
            m_lane->release();
    }

    void attemptDone(quint64 generation, Result<T> result) {
        if (generation != m_generation || this->isFinished())
            return;
        const qint64 now = this->elapsedMs();
        AttemptRecord record{m_attempt, m_attemptStartMs, now - m_attemptStartMs, std::nullopt};
        if (!result.ok())
            record.error = result.error();
        stopAttempt();
        this->recordAttempt(record);
        if (result.ok() || !shouldRetry(result.error())) {
            this->complete(std::move(result));
            return;
        }
        const auto delay = m_options.retry.delayBefore(m_attempt + 1);
        const qint64 remaining = this->remainingMs();
        if (remaining >= 0 && delay.count() >= remaining) {
            this->complete(std::move(result)); // no time for another try: report the real cause
            return;
        }
        if (!m_backoffTimer) {
            m_backoffTimer = new QTimer(this);
            m_backoffTimer->setSingleShot(true);
            QObject::connect(m_backoffTimer, &QTimer::timeout, this, [this] { queueAttempt(); });
        }
        m_backoffTimer->start(int(delay.count()));
    }

    bool shouldRetry(const Error &error) const {
        return m_options.idempotent && m_attempt < m_options.retry.maxAttempts &&
               isTransient(error);
    }

    Lane *m_lane;
    CallOptions m_options;
    AttemptStarter<T> m_starter;
    Abort m_abort;
    QTimer *m_attemptTimer = nullptr;
    QTimer *m_backoffTimer = nullptr;
    quint64 m_generation = 0;
    int m_attempt = 0;
    qint64 m_attemptStartMs = 0;
    bool m_holdingSlot = false;
};

// Creates a call; it starts on the next turn of the event loop.
template <typename T>
Reply<T> *startCall(Lane *lane, const CallOptions &options, AttemptStarter<T> starter) {
    return new Call<T>(lane, options, std::move(starter));
}

// A reply that finishes on the next turn of the event loop with a result already known
// (an invalid argument, say), so callers handle it like any other.
template <typename T>
Reply<T> *finishedReply(const QString &backend, Result<T> result) {
    auto *reply = new Reply<T>(backend);
    QMetaObject::invokeMethod(
        reply, [reply, r = std::move(result)]() mutable { reply->complete(std::move(r)); },
        Qt::QueuedConnection);
    return reply;
}

} // namespace cutover::net
