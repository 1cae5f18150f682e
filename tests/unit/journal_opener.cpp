// Opens (creating it if new) the audit journal named on the command line, then exits: 0, or 1
// with the error on standard error. test_store_sqlite starts several at once, as separate
// processes, because SQLite's file locks only contend across processes.

#include "app/store/postgres_journal.h"

#include <QCoreApplication>
#include <QTextStream>

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    if (argc != 2)
        return 2;
    auto opened = cutover::store::AuditJournal::open(QString::fromLocal8Bit(argv[1]));
    if (!opened) {
        QTextStream(stderr) << opened.error().toString() << '\n';
        return 1;
    }
    return 0;
}
