#include "app/net/lane.h"

#include "app/net/request.h"

#include <algorithm>

namespace cutover::net {

Lane::Lane(QString backend, int maxInFlight)
    : m_backend(std::move(backend))
    , m_maxInFlight(std::max(1, maxInFlight)) {}

Lane::~Lane() = default;

void Lane::track(Request *request) {
    m_running.removeIf([](const QPointer<Request> &r) { return r.isNull() || r->isFinished(); });
    m_running.append(request);
}

void Lane::acquire(Request *request, std::function<void()> start) {
    if (m_inFlight < m_maxInFlight && m_waiting.isEmpty()) {
        ++m_inFlight;
        start();
        return;
    }
    m_waiting.enqueue({request, std::move(start)});
}

void Lane::release() {
    m_inFlight = std::max(0, m_inFlight - 1);
    startWaiting();
}

void Lane::startWaiting() {
    while (m_inFlight < m_maxInFlight && !m_waiting.isEmpty()) {
        Waiter next = m_waiting.dequeue();
        if (next.request.isNull() || next.request->isFinished())
            continue; // its deadline passed in the queue, or it was cancelled
        ++m_inFlight;
        next.start();
    }
}

void Lane::cancelAll(const QString &reason) {
    m_waiting.clear(); // first: a cancelled runner's release() must not start a waiter
    const auto running = std::exchange(m_running, {});
    for (const QPointer<Request> &request : running) {
        if (request)
            request->cancel(reason);
    }
    m_waiting.clear();
}

} // namespace cutover::net
