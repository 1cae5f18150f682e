#pragma once

// The tests' PostgreSQL (tests/lab/postgres.sh start DIR; the CTest fixture `postgres` sets
// CUTOVER_PG_DIR and CUTOVER_PG_SCRIPT): its state file, start/stop, and SQL behind the stores'
// backs on a connection of its own. Header-only, Qt only: shared by the store's unit suites and
// the engine's integration tests.

#include <QFile>
#include <QHash>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QString>
#include <QtDebug>

namespace pglab {

inline QString dir() {
    return qEnvironmentVariable("CUTOVER_PG_DIR");
}

// KEY=VALUE lines of DIR/state.env (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, …); empty
// when the file is missing.
inline QHash<QString, QString> state(const QString &folder = dir()) {
    QHash<QString, QString> values;
    QFile file(folder + QStringLiteral("/state.env"));
    if (!file.open(QIODevice::ReadOnly))
        return values;
    for (const QByteArray &line : file.readAll().split('\n')) {
        const qsizetype eq = line.indexOf('=');
        if (eq > 0)
            values.insert(QString::fromUtf8(line.left(eq)), QString::fromUtf8(line.mid(eq + 1)));
    }
    return values;
}

// tests/lab/postgres.sh start|stop on the fixture's server (same data, same port).
inline bool script(const QString &command) {
    return QProcess::execute(qEnvironmentVariable("CUTOVER_PG_SCRIPT"), {command, dir()}) == 0;
}

// An unopened connection to the server `values` describes.
inline QSqlDatabase addConnection(const QHash<QString, QString> &values, const QString &name) {
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
    db.setHostName(values.value(QStringLiteral("PGHOST")));
    db.setPort(values.value(QStringLiteral("PGPORT")).toInt());
    db.setDatabaseName(values.value(QStringLiteral("PGDATABASE")));
    db.setUserName(values.value(QStringLiteral("PGUSER")));
    db.setPassword(values.value(QStringLiteral("PGPASSWORD")));
    return db;
}

// Runs `sql` (several statements allowed) on a connection of its own; false and a warning when
// it fails.
inline bool rawSql(const QString &sql) {
    const QString name = QStringLiteral("pglab-raw");
    bool ok = false;
    {
        QSqlDatabase db = addConnection(state(), name);
        if (db.open()) {
            QSqlQuery q(db);
            ok = q.exec(sql);
            if (!ok)
                qWarning() << q.lastError().text();
        } else {
            qWarning() << db.lastError().text();
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return ok;
}

} // namespace pglab
