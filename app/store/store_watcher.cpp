#include "app/store/store_watcher.h"

#include "app/store/store.h"

namespace cutover::store {

StoreWatcher::StoreWatcher(Store &store, int intervalMs, QObject *parent)
    : QObject(parent)
    , m_store(store) {
    qRegisterMetaType<cutover::store::StoreError>();
    if (const auto id = m_store.lastChangeId())
        m_lastSeen = id.value();
    m_timer.setInterval(intervalMs);
    connect(&m_timer, &QTimer::timeout, this, &StoreWatcher::poll);
    m_timer.start();
}

void StoreWatcher::poll() {
    const StoreResult<qint64> id = m_store.lastChangeId();
    if (!id) {
        if (!m_failing) {
            m_failing = true;
            Q_EMIT failed(id.error());
        }
        return;
    }
    if (m_failing) {
        m_failing = false;
        Q_EMIT recovered();
    }
    if (id.value() != m_lastSeen) {
        const qint64 previous = m_lastSeen;
        m_lastSeen = id.value();
        Q_EMIT changed(previous, m_lastSeen);
    }
}

} // namespace cutover::store
