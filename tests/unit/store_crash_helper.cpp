// Test helper for test_store_crash: appends audit entries (and stage changes) to a store until
// killed, printing "appended N" after each commit (N counts committed entries only).
// Usage: store_crash_helper PATH NAME
//
// Writes come in small bursts from a 5 ms timer rather than a tight loop: a tight loop would
// starve the other helper (SQLite's busy handler backs off while the winner re-locks at once),
// which is a property of the test rig, not of the consoles (which write a few times a minute).

#include "app/store/sqlite_store.h"

#include <QCoreApplication>
#include <QTimer>

#include <cstdio>

using namespace Qt::StringLiterals;
using namespace cutover::store;

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() != 3) {
        std::fprintf(stderr, "usage: store_crash_helper PATH NAME\n");
        return 2;
    }
    SqliteStore::Options options;
    options.path = args.at(1);
    auto opened = SqliteStore::open(options);
    if (!opened) {
        std::fprintf(stderr, "%s\n", qPrintable(opened.error().toString()));
        return 1;
    }
    Store &store = *opened.value();
    const QString name = args.at(2);
    int committed = 0;
    QTimer timer;
    timer.setInterval(5);
    QObject::connect(&timer, &QTimer::timeout, &app, [&] {
        for (int burst = 0; burst < 2; ++burst) {
            const int i = committed + 1;
            auto appended = store.appendAudit({name,
                                               u"release_manager"_s,
                                               u"crash_test"_s,
                                               u"prod"_s,
                                               u"entry %1"_s.arg(i),
                                               {{u"i"_s, i}, {u"padding"_s, QString(200, u'p')}}});
            if (!appended) {
                std::fprintf(stderr, "%s\n", qPrintable(appended.error().toString()));
                if (appended.error().kind != StoreError::Kind::Busy)
                    app.exit(1);
                return; // busy: try again on the next tick
            }
            ++committed;
            // Every few entries a stage change too, so a kill can land inside any kind of write.
            if (committed % 5 == 0) {
                if (const auto current = store.stageState(u"prod"_s)) {
                    StageState s;
                    s.environment = u"prod"_s;
                    s.stageIndex = committed % 4;
                    s.phase = u"Holding"_s;
                    s.changedBy = name;
                    (void)store.updateStageState(current.value() ? current.value()->version : 0, s);
                }
            }
            std::printf("appended %d\n", committed);
            std::fflush(stdout);
        }
    });
    timer.start();
    return app.exec();
}
