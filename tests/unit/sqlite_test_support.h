#pragma once

// SQLite store helpers shared by the store's unit tests.

#include "app/store/sqlite_store.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QString>
#include <QtDebug>

#include <memory>

namespace sqlitetest {

// Runs SQL on the file behind the store's back, as a tamperer or an older/newer program would.
inline bool rawSql(const QString &path, const QString &sql) {
    const QString name = QStringLiteral("sqlitetest-raw");
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        if (db.open()) {
            QSqlQuery q(db);
            ok = q.exec(sql);
            if (!ok)
                qWarning() << q.lastError().text();
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return ok;
}

// The store on `path`, or null with a warning saying why.
inline std::unique_ptr<cutover::store::SqliteStore>
openOrFail(const QString &path, cutover::store::Clock clock = cutover::store::systemClock()) {
    cutover::store::SqliteStore::Options options;
    options.path = path;
    options.clock = std::move(clock);
    auto opened = cutover::store::SqliteStore::open(options);
    if (!opened) {
        qWarning() << opened.error().toString();
        return nullptr;
    }
    return std::move(opened).value();
}

} // namespace sqlitetest
