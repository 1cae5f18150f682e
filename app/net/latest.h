#pragma once

// Keeps only the newest request of one kind ("the split for this panel", "the weights of
// lb-a"): starting a new one cancels the previous, and a result of a superseded request is
// never delivered, even if it was already on its way.

#include "app/net/request.h"

#include <QPointer>

#include <memory>

namespace cutover::net {

class Latest {
public:
    Latest() = default;
    ~Latest() { cancel(); }
    Latest(const Latest &) = delete;
    Latest &operator=(const Latest &) = delete;

    // Supersedes the running request (if any) with `reply`; `f(const Result<T> &)` runs in
    // `context` only if `reply` is still the newest when it finishes.
    template <typename T, typename F>
    void start(Reply<T> *reply, const QObject *context, F f) {
        supersede();
        m_current = reply;
        const quint64 generation = ++*m_generation;
        std::weak_ptr<quint64> counter = m_generation;
        reply->onFinished(context,
                          [counter, generation, f = std::move(f)](const Result<T> &r) mutable {
                              const auto current = counter.lock();
                              if (current && *current == generation)
                                  f(r);
                          });
    }

    bool isRunning() const { return m_current && !m_current->isFinished(); }

    // Cancels the running request; its result is dropped.
    void cancel() {
        ++*m_generation;
        if (m_current)
            m_current->cancel(QStringLiteral("cancelled"));
        m_current.clear();
    }

private:
    void supersede() {
        ++*m_generation;
        if (m_current && !m_current->isFinished())
            m_current->cancel(QStringLiteral("superseded"));
        m_current.clear();
    }

    std::shared_ptr<quint64> m_generation = std::make_shared<quint64>(0);
    QPointer<Request> m_current;
};

} // namespace cutover::net
