#include "app/net/request.h"

#include "app/net/log.h"

using namespace Qt::StringLiterals;

namespace cutover::net {

Request::Request(QString backend, QObject *parent)
    : QObject(parent)
    , m_backend(std::move(backend)) {
    m_clock.start();
}

Request::~Request() = default;

qint64 Request::remainingMs() const {
    if (m_deadlineMs < 0)
        return -1;
    return std::max<qint64>(0, m_deadlineMs - m_clock.elapsed());
}

void Request::setDeadline(std::chrono::milliseconds deadline) {
    if (m_finished)
        return;
    m_deadlineMs = deadline.count();
    if (!m_deadlineTimer) {
        m_deadlineTimer = new QTimer(this);
        m_deadlineTimer->setSingleShot(true);
        // Precise: a 2 s deadline must not become 2.1 s under coarse timer slack.
        m_deadlineTimer->setTimerType(Qt::PreciseTimer);
        connect(m_deadlineTimer, &QTimer::timeout, this, [this] { fail(deadlineError()); });
    }
    m_deadlineTimer->start(int(std::max<qint64>(0, m_deadlineMs - m_clock.elapsed())));
}

Error Request::deadlineError() const {
    // Retrying after failures when time ran out: the failures are the real cause (connection
    // refused, a 503), the deadline only why the retries stopped. A bare timeout would hide it.
    if (!m_attempts.isEmpty() && m_attempts.constLast().error &&
        m_attempts.constLast().error->kind != ErrorKind::Timeout) {
        Error cause = *m_attempts.constLast().error;
        const qsizetype failed = m_attempts.size();
        cause.message +=
            u" (after %1 failed %2; the deadline of %3 ms ended the retries)"_s.arg(failed)
                .arg(failed == 1 ? u"attempt"_s : u"attempts"_s)
                .arg(m_deadlineMs);
        return cause;
    }
    return Error{ErrorKind::Timeout, m_backend,
                 u"no answer within the deadline of %1 ms"_s.arg(m_deadlineMs), 0, u"deadline"_s};
}

void Request::cancel(const QString &reason) {
    fail(Error{ErrorKind::Cancelled, m_backend,
               reason.isEmpty() ? u"cancelled"_s : u"cancelled: "_s + reason, 0, reason});
}

void Request::fail(Error error) {
    if (m_finished)
        return;
    if (error.backend.isEmpty())
        error.backend = m_backend;
    m_failure = error;
    storeError(std::move(error));
    if (beginFinish())
        endFinish();
}

void Request::recordAttempt(AttemptRecord record) {
    m_attempts.append(record);
    Q_EMIT attemptFinished(record);
}

bool Request::beginFinish() {
    if (m_finished)
        return false;
    m_finished = true;
    if (m_deadlineTimer)
        m_deadlineTimer->stop();
    if (auto cleanup = std::exchange(m_cleanup, nullptr))
        cleanup();
    return true;
}

void Request::endFinish() {
    if (m_failure && m_failure->kind != ErrorKind::Cancelled)
        qCDebug(lcNet).noquote() << "request failed after" << m_clock.elapsed()
                                 << "ms:" << m_failure->toString();
    Q_EMIT finished();
    deleteLater();
}

} // namespace cutover::net
