#include "app/store/store.h"

#include "app/store/decision_lease.h"
#include "app/store/postgres_store.h"
#include "app/store/sqlite_store.h"
#include "app/store/store_log.h"
#include "app/store/store_watcher.h"

#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

using namespace Qt::StringLiterals;

namespace cutover::store {

Q_LOGGING_CATEGORY(lcStore, "cutover.store")

StoreWatcher *Store::createWatcher(QObject *parent, int intervalMs) {
    return new StoreWatcher(*this, intervalMs, parent);
}

StoreResult<AuditEntry> recordPlanLoaded(Store &store, const config::Plan &plan,
                                         const QString &actor) {
    return store.appendAudit({actor,
                              {},
                              u"plan_loaded"_s,
                              {},
                              plan.name,
                              {{u"file"_s, plan.sourceFile},
                               {u"sha256"_s, QString::fromLatin1(plan.sha256Hex)},
                               {u"plan_version"_s, plan.version}}});
}

QString sqlitePathFor(const config::StoreConfig &config) {
    if (!config.path.isEmpty())
        return config.path;
    const QString folder = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    return QDir(folder).filePath(u"store.sqlite"_s);
}

QString auditJournalPathFor(const config::StoreConfig &config) {
    return QFileInfo(sqlitePathFor(config)).absoluteDir().filePath(u"audit-journal.sqlite"_s);
}

namespace {

enum class Purpose { Console, ReadExisting };

StoreResult<std::unique_ptr<Store>> open(const config::StoreConfig &config, Clock clock,
                                         Purpose purpose, StoreStart start) {
    if (!config.url.isEmpty()) {
        PostgresStore::Options options = PostgresStore::optionsFrom(config, std::move(clock));
        if (purpose == Purpose::Console) {
            // Audit entries made while the server is away wait beside where the SQLite store
            // would be.
            options.journalPath = auditJournalPathFor(config);
            options.startUnreachable = start == StoreStart::AllowUnreachable;
        } else {
            options.createIfMissing = false;
        }
        auto opened = PostgresStore::open(options);
        if (!opened)
            return opened.error();
        return std::unique_ptr<Store>(std::move(opened).value());
    }
    SqliteStore::Options options;
    options.path = sqlitePathFor(config);
    options.clock = std::move(clock);
    options.createIfMissing = purpose == Purpose::Console;
    auto opened = SqliteStore::open(options);
    if (!opened)
        return opened.error();
    return std::unique_ptr<Store>(std::move(opened).value());
}

} // namespace

StoreResult<std::unique_ptr<Store>> openStore(const config::StoreConfig &config, Clock clock,
                                              StoreStart start) {
    return open(config, std::move(clock), Purpose::Console, start);
}

StoreResult<std::unique_ptr<Store>> openExistingStore(const config::StoreConfig &config,
                                                      Clock clock) {
    return open(config, std::move(clock), Purpose::ReadExisting, StoreStart::RequireServer);
}

std::unique_ptr<LeaseBackend> Store::createLeaseBackend() const {
    return nullptr;
}

} // namespace cutover::store
