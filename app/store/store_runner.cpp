#include "app/store/store_runner.h"

#include "app/store/store_log.h"
#include "app/store/store_watcher.h"

using namespace Qt::StringLiterals;

namespace cutover::store {

StoreRunner::StoreRunner(Store &store, QObject *parent)
    : QObject(parent)
    , m_inlineStore(&store)
    , m_description(store.description()) {}

StoreRunner::StoreRunner(Opener open, QObject *parent)
    : QObject(parent)
    , m_thread(new QThread)
    , m_worker(new QObject) {
    m_thread->setObjectName(u"store"_s);
    m_worker->moveToThread(m_thread);
    m_thread->start();
    // The first job on the thread: everything posted later finds the store open (or its error).
    QPointer<StoreRunner> self(this);
    QMetaObject::invokeMethod(
        m_worker,
        [this, self, open = std::move(open)] {
            auto opened = open();
            QString error;
            if (opened) {
                m_ownedStore = std::move(opened.value());
                const QString description = m_ownedStore->description();
                QMutexLocker lock(&m_descriptionMutex);
                m_description = description;
            } else {
                m_openError = opened.error();
                error = opened.error().toString();
                qCWarning(lcStore) << "the store could not be opened:" << error;
            }
            const bool ok = error.isEmpty();
            QMetaObject::invokeMethod(
                this,
                [self, ok, error] {
                    if (self)
                        Q_EMIT self->opened(ok, error);
                },
                Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
}

StoreRunner::~StoreRunner() {
    if (!m_thread)
        return;
    // Finish what was posted (a write must not be cut in half), then close the store on its own
    // thread: a QSqlDatabase connection is closed where it was opened.
    QMetaObject::invokeMethod(
        m_worker,
        [this] {
            qDeleteAll(m_worker->children()); // watchers stop their timers on their thread
            m_ownedStore.reset();
            QThread::currentThread()->quit();
        },
        Qt::QueuedConnection);
    m_thread->wait();
    delete m_worker; // childless, its thread finished
    delete m_thread;
}

QString StoreRunner::description() const {
    QMutexLocker lock(&m_descriptionMutex);
    return m_description;
}

void StoreRunner::post(std::function<void(Store *, const StoreError &)> work) {
    QMetaObject::invokeMethod(
        m_worker,
        [this, work = std::move(work)] {
            work(m_ownedStore.get(), m_openError);
            if (m_ownedStore)
                m_auditEntriesWaiting = m_ownedStore->auditEntriesWaiting();
        },
        Qt::QueuedConnection);
}

void StoreRunner::noteJobAnswered() {
    if (m_jobsInFlight > 0)
        --m_jobsInFlight;
}

void StoreRunner::createWatcher(int intervalMs, QObject *context,
                                std::function<void(StoreWatcher *)> done) {
    if (!isThreaded()) {
        done(m_inlineStore->createWatcher(context, intervalMs));
        return;
    }
    // Made on the store's thread, a child of the worker: it polls (or listens) there and its
    // signals reach the engine queued. No deadline: it waits for the store to open.
    QObject *worker = m_worker;
    run<StoreWatcher *>(
        context,
        [worker, intervalMs](Store &store) -> StoreResult<StoreWatcher *> {
            return store.createWatcher(worker, intervalMs);
        },
        [done = std::move(done)](const StoreResult<StoreWatcher *> &made) {
            done(made ? made.value() : nullptr);
        },
        kOpenDeadline);
}

} // namespace cutover::store
