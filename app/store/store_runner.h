#pragma once

// Where store calls run. A window must never wait on a database (a shared PostgreSQL store may
// answer in hundreds of milliseconds, or hold an advisory lock for seconds), so the window's
// store lives on a thread of its own — the way qBittorrent keeps its resume-data SQLite in a
// worker — and every call is a job posted to that thread, answered later on the caller's thread.
// The command line, the controller and unit tests keep the simple synchronous store: the same
// runner, inline, answers before run() returns, so the engine has one code path for both.
//
// Guarantees of run():
// - Jobs run one at a time, in the order they were posted (a write is followed by the reads
//   posted after it): the store is used from exactly one thread.
// - `context` lives on the runner's thread (the engine and the window do).
// - `done` is called at most once, on `context`'s thread (never once `context` is gone), with the
// job's result or with
//   Kind::Timeout when `deadline` passed first; a late result is then dropped (the job itself
//   may still have committed — the caller reloads).
// - A store that could not be opened answers every job with the opening error.

#include "app/store/store.h"
#include "app/store/store_error.h"

#include <QMutex>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QThread>
#include <QTimer>
#include <QWaitCondition>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace cutover::store {

class StoreWatcher;

class StoreRunner : public QObject {
    Q_OBJECT
public:
    using Opener = std::function<StoreResult<std::unique_ptr<Store>>()>;
    // PostgreSQL gives up on a statement after 15 s and on the audit lock after 5 s; a job's
    // default deadline leaves room for one retry on top.
    static constexpr std::chrono::milliseconds kDefaultDeadline{20'000};
    // For what waits for the store to open (a watcher, the decision lease): opening has its own
    // connect timeouts, this only bounds the wait.
    static constexpr std::chrono::milliseconds kOpenDeadline{600'000};

    // Inline: jobs run on the calling thread against `store` (which must outlive the runner).
    explicit StoreRunner(Store &store, QObject *parent = nullptr);
    // Threaded: `open` runs first on the runner's own thread, which then owns the store; the
    // store is closed there when the runner is destroyed.
    explicit StoreRunner(Opener open, QObject *parent = nullptr);
    ~StoreRunner() override;

    bool isThreaded() const { return m_thread != nullptr; }
    // "sqlite:/path", "postgresql://host/db" — empty until a threaded store has opened.
    QString description() const;
    // Audit entries held locally while the store cannot take them (read after every job).
    qint64 auditEntriesWaiting() const { return m_auditEntriesWaiting.load(); }
    // Jobs posted and not answered yet.
    int jobsInFlight() const { return m_jobsInFlight; }

    template <typename R>
    using Job = std::function<StoreResult<R>(Store &)>;
    template <typename R>
    using Done = std::function<void(StoreResult<R>)>;

    template <typename R>
    void run(QObject *context, Job<R> job, Done<R> done,
             std::chrono::milliseconds deadline = kDefaultDeadline);

    // Waits for the answer: only for callers that are not a UI thread (the command line, the
    // controller, tests) or for work that must finish before the caller goes on (shutdown).
    template <typename R>
    StoreResult<R> runBlocking(Job<R> job);

    // A watcher living on the store's thread (its signals arrive queued), owned by the runner,
    // handed to `done` on `context`'s thread (nullptr: the store did not open).
    void createWatcher(int intervalMs, QObject *context, std::function<void(StoreWatcher *)> done);

Q_SIGNALS:
    // Threaded only: the store opened (ok) or could not be opened (error).
    void opened(bool ok, const QString &error);
    // A job ran into its deadline.
    void timedOut(const QString &what);

private:
    // Runs `work` on the store's thread (or now, inline) with the store or the opening error.
    void post(std::function<void(Store *, const StoreError &)> work);
    void noteJobAnswered();

    Store *m_inlineStore = nullptr;
    QThread *m_thread = nullptr;
    QObject *m_worker = nullptr;         // lives on m_thread
    std::unique_ptr<Store> m_ownedStore; // touched only on m_thread
    StoreError m_openError;              // touched only on m_thread
    mutable QMutex m_descriptionMutex;
    QString m_description;
    std::atomic<qint64> m_auditEntriesWaiting{0};
    int m_jobsInFlight = 0;
};

template <typename R>
void StoreRunner::run(QObject *context, Job<R> job, Done<R> done,
                      std::chrono::milliseconds deadline) {
    if (!isThreaded()) {
        done(job(*m_inlineStore));
        m_auditEntriesWaiting = m_inlineStore->auditEntriesWaiting();
        return;
    }
    // Whichever comes first, the answer or the deadline, calls `done`; the other finds
    // `answered` set. Both run on the context's thread.
    struct Pending {
        Done<R> done;
        bool answered = false;
    };
    auto pending = std::make_shared<Pending>(Pending{std::move(done)});
    ++m_jobsInFlight;
    QPointer<StoreRunner> self(this);
    QTimer::singleShot(deadline, context, [pending, self, deadline] {
        if (pending->answered)
            return;
        pending->answered = true;
        if (self) {
            self->noteJobAnswered();
            Q_EMIT self->timedOut(tr("a store call"));
        }
        pending->done(StoreError::timeout(
            tr("the store did not answer within %1 s").arg(double(deadline.count()) / 1000.0)));
    });
    QPointer<QObject> target(context);
    // The answer goes to the runner (alive while its thread runs: the destructor waits), and
    // from there to `context`, checked on the thread they share.
    post([this, pending, target, job = std::move(job)](Store *store, const StoreError &openError) {
        StoreResult<R> result = store ? job(*store) : StoreResult<R>(openError);
        auto answer = std::make_shared<StoreResult<R>>(std::move(result));
        QMetaObject::invokeMethod(
            this,
            [this, pending, target, answer] {
                if (pending->answered)
                    return;
                pending->answered = true;
                noteJobAnswered();
                if (target)
                    pending->done(std::move(*answer));
            },
            Qt::QueuedConnection);
    });
}

template <typename R>
StoreResult<R> StoreRunner::runBlocking(Job<R> job) {
    if (!isThreaded()) {
        StoreResult<R> result = job(*m_inlineStore);
        m_auditEntriesWaiting = m_inlineStore->auditEntriesWaiting();
        return result;
    }
    std::optional<StoreResult<R>> result;
    QMutex mutex;
    QWaitCondition answered;
    post([&](Store *store, const StoreError &openError) {
        StoreResult<R> r = store ? job(*store) : StoreResult<R>(openError);
        QMutexLocker lock(&mutex);
        result.emplace(std::move(r));
        answered.wakeAll();
    });
    QMutexLocker lock(&mutex);
    while (!result)
        answered.wait(&mutex);
    return std::move(*result);
}

} // namespace cutover::store
