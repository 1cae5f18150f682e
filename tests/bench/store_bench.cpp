// Store benchmark (not a test): audit append and stage-update latency on SQLite (WAL,
// synchronous=FULL, so every figure includes an fsync), and tick propagation to a second
// instance through StoreWatcher. Usage: store_bench [COUNT] [FOLDER]  (default 1000, a temp dir)

#include "app/store/sqlite_store.h"
#include "app/store/store_watcher.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>

using namespace Qt::StringLiterals;
using namespace cutover::store;

namespace {

void report(const char *what, QList<qint64> nanos) {
    std::sort(nanos.begin(), nanos.end());
    auto at = [&nanos](double q) {
        return nanos.at(std::min<qsizetype>(nanos.size() - 1, qsizetype(q * nanos.size()))) / 1e6;
    };
    std::printf("%-28s n=%-5lld p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms\n", what,
                static_cast<long long>(nanos.size()), at(0.50), at(0.99), nanos.constLast() / 1e6);
}

std::unique_ptr<SqliteStore> open(const QString &path) {
    SqliteStore::Options options;
    options.path = path;
    auto opened = SqliteStore::open(options);
    if (!opened) {
        std::fprintf(stderr, "%s\n", qPrintable(opened.error().toString()));
        std::exit(1);
    }
    return std::move(opened).value();
}

} // namespace

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    const int count = app.arguments().size() > 1 ? app.arguments().at(1).toInt() : 1000;
    QTemporaryDir tmp;
    const QString folder = app.arguments().size() > 2 ? app.arguments().at(2) : tmp.path();
    const QString path = folder + u"/bench.sqlite"_s;
    auto store = open(path);
    auto second = open(path);

    QList<qint64> append;
    QElapsedTimer timer;
    for (int i = 0; i < count; ++i) {
        timer.start();
        if (!store->appendAudit({u"bench"_s,
                                 u"release_manager"_s,
                                 u"bench_event"_s,
                                 u"prod"_s,
                                 u"item %1"_s.arg(i),
                                 {{u"i"_s, i}}}))
            return 1;
        append.append(timer.nsecsElapsed());
    }
    report("audit append", append);

    QList<qint64> stage;
    qint64 version = 0;
    for (int i = 0; i < count / 4; ++i) {
        StageState s;
        s.environment = u"prod"_s;
        s.stageIndex = i % 4;
        s.phase = u"Holding"_s;
        s.changedBy = u"bench"_s;
        timer.start();
        auto written = store->updateStageState(version, s);
        stage.append(timer.nsecsElapsed());
        if (!written)
            return 1;
        version = written.value().version;
    }
    report("stage update (versioned)", stage);

    timer.start();
    const auto verified = store->verifyAuditChain();
    std::printf("verify %lld entries: %.1f ms (%s)\n",
                static_cast<long long>(verified ? verified.value().entries : 0),
                timer.nsecsElapsed() / 1e6, verified && verified.value().ok ? "ok" : "BROKEN");

    // Propagation: a tick on one instance until the other's watcher (500 ms polling) fires.
    QList<qint64> propagation;
    StoreWatcher *watcher = second->createWatcher(&app, 500);
    int round = 0;
    QElapsedTimer since;
    auto tickNext = [&] {
        since.start();
        (void)store->tick({u"prod"_s, u"g"_s, u"c%1"_s.arg(round), u"bench"_s, u"r"_s, {}});
    };
    QObject::connect(watcher, &StoreWatcher::changed, &app, [&] {
        propagation.append(since.nsecsElapsed());
        if (++round == 20) {
            report("tick -> other console", propagation);
            app.quit();
            return;
        }
        // Start the next tick at a different phase of the polling interval.
        QTimer::singleShot(37 * (round % 13), &app, tickNext);
    });
    QTimer::singleShot(0, &app, tickNext);
    return app.exec();
}
