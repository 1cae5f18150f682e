#include "app/store/rehearsal_store.h"

#include "app/store/sqlite_store.h"
#include "app/store/store_log.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

using namespace Qt::StringLiterals;

namespace cutover::store {

namespace {

constexpr auto kStarted = "rehearsal_started";

// The live store's head, or 0 when it does not exist yet.
StoreResult<qint64> liveHead(Store *live) {
    if (!live)
        return qint64(0);
    return live->lastChangeId();
}

// The head the rehearsal at `path` was copied from; -1 when unknown (not a rehearsal, damaged).
qint64 copiedFrom(Store &rehearsal) {
    auto first = rehearsal.auditEntries(0, 1);
    if (!first || first.value().isEmpty() ||
        first.value().constFirst().action != QLatin1StringView(kStarted))
        return -1;
    return qint64(
        first.value().constFirst().detailsObject().value(u"live_head_seq"_s).toDouble(-1));
}

StoreResult<void> copyState(Store &live, Store &rehearsal, const QStringList &environments) {
    auto states = live.stageStates();
    if (!states)
        return states.error();
    for (StageState state : states.value()) {
        state.version = 0;
        if (auto copied = rehearsal.updateStageState(
                0, state,
                AuditContext{u"rehearsal_copied"_s, {}, {{u"environment"_s, state.environment}}});
            !copied)
            return copied.error();
    }
    for (const QString &environment : environments) {
        auto ticks = live.ticks(environment);
        if (!ticks)
            return ticks.error();
        for (const Tick &tick : ticks.value()) {
            if (auto copied = rehearsal.tick(tick, {{u"copied_from_live"_s, true}}); !copied)
                return copied.error();
        }
        auto signOffs = live.signOffs(environment);
        if (!signOffs)
            return signOffs.error();
        for (SignOff signOff : signOffs.value()) {
            signOff.id = 0;
            if (auto copied = rehearsal.signOff(signOff); !copied)
                return copied.error();
        }
    }
    return {};
}

} // namespace

QString rehearsalPathFor(const config::StoreConfig &live) {
    return QFileInfo(sqlitePathFor(live)).absoluteDir().filePath(u"rehearsal.sqlite"_s);
}

StoreResult<Rehearsal> openRehearsalStore(const config::StoreConfig &live,
                                          const QStringList &environments, Clock clock) {
    std::unique_ptr<Store> liveStore;
    const bool liveExists = !live.url.isEmpty() || QFileInfo::exists(sqlitePathFor(live));
    if (liveExists) {
        auto opened = openExistingStore(live, clock);
        if (!opened)
            return opened.error();
        liveStore = std::move(opened.value());
    }
    auto head = liveHead(liveStore.get());
    if (!head)
        return head.error();

    Rehearsal rehearsal;
    rehearsal.path = rehearsalPathFor(live);
    rehearsal.liveHeadSeq = head.value();
    SqliteStore::Options options;
    options.path = rehearsal.path;
    options.clock = clock;
    if (QFileInfo::exists(rehearsal.path)) {
        auto existing = SqliteStore::open(options);
        if (existing && copiedFrom(*existing.value()) == head.value()) {
            rehearsal.store = std::move(existing.value());
            return rehearsal;
        }
    }
    // Stale or damaged: made again from the live state.
    for (const QString &suffix : {u""_s, u"-wal"_s, u"-shm"_s}) {
        const QString file = rehearsal.path + suffix;
        if (QFileInfo::exists(file) && !QFile::remove(file))
            return StoreError::io(u"cannot replace the old rehearsal store %1"_s.arg(file));
    }
    auto created = SqliteStore::open(options);
    if (!created)
        return created.error();
    auto started = created.value()->appendAudit(
        {u"system"_s,
         {},
         QString::fromLatin1(kStarted),
         {},
         {},
         {{u"live_store"_s, liveStore ? liveStore->description() : u"(none yet)"_s},
          {u"live_head_seq"_s, double(head.value())}}});
    if (!started)
        return started.error();
    if (liveStore) {
        if (auto copied = copyState(*liveStore, *created.value(), environments); !copied)
            return copied.error();
    }
    qCInfo(lcStore) << "rehearsal store" << rehearsal.path << "copied from"
                    << (liveStore ? liveStore->description() : u"(no live store yet)"_s)
                    << "at head" << head.value();
    rehearsal.store = std::move(created.value());
    rehearsal.copiedNow = true;
    return rehearsal;
}

} // namespace cutover::store
