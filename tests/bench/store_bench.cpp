// Store benchmark (not a test): audit append and stage-update latency, chain verification, and
// propagation to a second console (a second store on the same data, through its StoreWatcher):
// a tick, and a sign-off (timed until the other console reads the signature).
// - SQLite: WAL, synchronous=FULL, so every write figure includes an fsync; the watcher polls
//   the change counter every 500 ms.
// - PostgreSQL, when PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE are set (e.g.
//   `set -a; source build/dev/postgres/state.env; set +a` after tests/lab/postgres.sh start):
//   the same figures in a schema of its own (store_bench, dropped afterwards), the watcher on
//   LISTEN/NOTIFY.
// Usage: store_bench [COUNT] [FOLDER]  (default 1000, a temp dir)

#include "app/store/postgres_store.h"
#include "app/store/postgres_watcher.h"
#include "app/store/sqlite_store.h"
#include "app/store/store_watcher.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTimer>
#include <QUrlQuery>

#include <algorithm>
#include <cstdio>
#include <functional>

using namespace Qt::StringLiterals;
using namespace cutover::store;

namespace {

void report(const QString &what, QList<qint64> nanos) {
    if (nanos.isEmpty()) {
        std::printf("%-40s no samples\n", qPrintable(what));
        return;
    }
    std::sort(nanos.begin(), nanos.end());
    auto at = [&nanos](double q) {
        return nanos.at(std::min<qsizetype>(nanos.size() - 1, qsizetype(q * nanos.size()))) / 1e6;
    };
    std::printf("%-40s n=%-5lld p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms\n", qPrintable(what),
                static_cast<long long>(nanos.size()), at(0.50), at(0.99), nanos.constLast() / 1e6);
    std::fflush(stdout);
}

[[noreturn]] void fail(const QString &what, const StoreError &error) {
    std::fprintf(stderr, "%s: %s\n", qPrintable(what), qPrintable(error.toString()));
    std::exit(1);
}

std::unique_ptr<Store> openSqlite(const QString &path) {
    SqliteStore::Options options;
    options.path = path;
    auto opened = SqliteStore::open(options);
    if (!opened)
        fail(u"sqlite"_s, opened.error());
    return std::move(opened).value();
}

const QString kPgSchema = u"store_bench"_s;

bool pgConfigured() {
    for (const char *name : {"PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"}) {
        if (qEnvironmentVariableIsEmpty(name))
            return false;
    }
    return true;
}

// SQL on a connection of its own (the bench's schema, before and after).
bool pgRaw(const QString &sql) {
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQL"_s, u"bench-raw"_s);
        db.setHostName(qEnvironmentVariable("PGHOST"));
        db.setPort(qEnvironmentVariable("PGPORT").toInt());
        db.setDatabaseName(qEnvironmentVariable("PGDATABASE"));
        db.setUserName(qEnvironmentVariable("PGUSER"));
        db.setPassword(qEnvironmentVariable("PGPASSWORD"));
        if (db.open()) {
            QSqlQuery q(db);
            ok = q.exec(sql);
            if (!ok)
                std::fprintf(stderr, "postgresql: %s\n", qPrintable(q.lastError().text()));
        } else {
            std::fprintf(stderr, "postgresql: %s\n", qPrintable(db.lastError().text()));
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(u"bench-raw"_s);
    return ok;
}

std::unique_ptr<Store> openPostgres(const QString &journalPath) {
    PostgresStore::Options options;
    QUrl url(u"postgresql://%1:%2/%3"_s.arg(qEnvironmentVariable("PGHOST"),
                                            qEnvironmentVariable("PGPORT"),
                                            qEnvironmentVariable("PGDATABASE")));
    QUrlQuery query;
    query.addQueryItem(u"options"_s, u"-csearch_path="_s + kPgSchema);
    url.setQuery(query);
    options.url = url;
    options.user = qEnvironmentVariable("PGUSER");
    options.password = qEnvironmentVariable("PGPASSWORD");
    options.journalPath = journalPath;
    auto opened = PostgresStore::open(options);
    if (!opened)
        fail(u"postgresql"_s, opened.error());
    return std::move(opened).value();
}

// `rounds` writes on `writer`, each timed until `reader`'s watcher has fired and `visible()`
// says the reader sees it. The next write starts at a different phase of a polling interval.
QList<qint64> propagation(QCoreApplication &app, Store &writer, Store &reader, int rounds,
                          const std::function<bool(Store &, int)> &write,
                          const std::function<bool(Store &, int)> &visible) {
    QList<qint64> samples;
    StoreWatcher *watcher = reader.createWatcher(&app, 500);
    QEventLoop loop;
    int round = 0;
    bool waiting = false;
    QElapsedTimer since;
    auto next = [&] {
        since.start();
        waiting = true;
        if (!write(writer, round)) {
            std::fprintf(stderr, "propagation: write %d failed\n", round);
            loop.exit(1);
        }
    };
    QObject::connect(watcher, &StoreWatcher::changed, &loop, [&] {
        if (!waiting || !visible(reader, round))
            return; // a poll of something older, or not yet readable
        waiting = false;
        samples.append(since.nsecsElapsed());
        if (++round == rounds) {
            loop.quit();
            return;
        }
        QTimer::singleShot(37 * (round % 13), &loop, next);
    });
    QTimer::singleShot(30'000 + rounds * 1'000, &loop, [&] {
        std::fprintf(stderr, "propagation: timed out after %d of %d rounds\n", round, rounds);
        loop.exit(1);
    });
    // PostgreSQL: start once LISTEN is in place.
    auto *pg = qobject_cast<PostgresWatcher *>(watcher);
    QElapsedTimer ready;
    ready.start();
    while (pg && !pg->listening() && ready.elapsed() < 10'000)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    QTimer::singleShot(0, &loop, next);
    loop.exec();
    delete watcher;
    return samples;
}

void bench(QCoreApplication &app, const QString &backend, Store &store, Store &second, int count) {
    std::printf("--- %s (%s)\n", qPrintable(backend), qPrintable(store.description()));
    QList<qint64> append;
    QElapsedTimer timer;
    for (int i = 0; i < count; ++i) {
        timer.start();
        auto appended = store.appendAudit({u"bench"_s,
                                           u"release_manager"_s,
                                           u"bench_event"_s,
                                           u"prod"_s,
                                           u"item %1"_s.arg(i),
                                           {{u"i"_s, i}}});
        append.append(timer.nsecsElapsed());
        if (!appended)
            fail(u"audit append"_s, appended.error());
    }
    report(backend + u" audit append"_s, append);

    QList<qint64> stage;
    qint64 version = 0;
    for (int i = 0; i < count / 4; ++i) {
        StageState s;
        s.environment = u"prod"_s;
        s.stageIndex = i % 4;
        s.phase = u"Holding"_s;
        s.changedBy = u"bench"_s;
        timer.start();
        auto written = store.updateStageState(version, s);
        stage.append(timer.nsecsElapsed());
        if (!written)
            fail(u"stage update"_s, written.error());
        version = written.value().version;
    }
    report(backend + u" stage update (versioned)"_s, stage);

    timer.start();
    const auto verified = store.verifyAuditChain();
    std::printf("%s verify %lld entries: %.1f ms (%s)\n", qPrintable(backend),
                static_cast<long long>(verified ? verified.value().entries : 0),
                timer.nsecsElapsed() / 1e6, verified && verified.value().ok ? "ok" : "BROKEN");

    const auto ticks = propagation(
        app, store, second, 20,
        [](Store &s, int round) {
            return bool(s.tick({u"prod"_s, u"g"_s, u"c%1"_s.arg(round), u"bench"_s, u"r"_s, {}}));
        },
        [](Store &s, int round) {
            const auto list = s.ticks(u"prod"_s);
            return list && std::any_of(list.value().cbegin(), list.value().cend(),
                                       [&](auto &t) { return t.check == u"c%1"_s.arg(round); });
        });
    report(backend + u" tick -> other console"_s, ticks);

    const auto signOffs = propagation(
        app, store, second, 20,
        [](Store &s, int round) {
            SignOff so;
            so.environment = u"prod"_s;
            so.gate = u"gate-%1"_s.arg(round);
            so.role = u"release_manager"_s;
            so.operatorName = u"bench"_s;
            so.printedName = u"Bench"_s;
            so.meaning = u"approved"_s;
            return bool(s.signOff(so));
        },
        [](Store &s, int round) {
            const auto list = s.signOffs(u"prod"_s);
            return list && std::any_of(list.value().cbegin(), list.value().cend(), [&](auto &so) {
                       return so.gate == u"gate-%1"_s.arg(round);
                   });
        });
    report(backend + u" sign-off -> other console"_s, signOffs);
}

} // namespace

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    const int count = app.arguments().size() > 1 ? app.arguments().at(1).toInt() : 1000;
    QTemporaryDir tmp;
    const QString folder = app.arguments().size() > 2 ? app.arguments().at(2) : tmp.path();
    {
        const QString path = folder + u"/bench.sqlite"_s;
        auto store = openSqlite(path);
        auto second = openSqlite(path);
        bench(app, u"sqlite"_s, *store, *second, count);
    }
    if (!pgConfigured()) {
        std::printf("--- postgresql: skipped (set PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE)\n");
        return 0;
    }
    if (!pgRaw(u"DROP SCHEMA IF EXISTS %1 CASCADE; CREATE SCHEMA %1"_s.arg(kPgSchema)))
        return 1;
    {
        auto store = openPostgres(folder + u"/journal-a.sqlite"_s);
        auto second = openPostgres(folder + u"/journal-b.sqlite"_s);
        bench(app, u"postgresql"_s, *store, *second, count);
    }
    (void)pgRaw(u"DROP SCHEMA IF EXISTS %1 CASCADE"_s.arg(kPgSchema));
    return 0;
}
