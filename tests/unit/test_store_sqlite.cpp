// What only SqliteStore has: a new file in new folders (WAL journal, every migration recorded), and
// files it did not write or that were damaged: zero bytes, garbage, truncated pages, a newer
// schema, a missing file when creating is not allowed. The behaviours every store shares
// (concurrency between consoles, ticks, sign-offs, holds, the change counter, the watcher, the
// audit chain) are in test_store_contract.cpp, which runs on SQLite as test_store_contract_sqlite.

#include "app/store/schema.h"
#include "app/store/sqlite_store.h"
#include "sqlite_test_support.h"

#include <QFile>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <vector>

using namespace Qt::StringLiterals;
using namespace cutover::store;

using sqlitetest::openOrFail;
using sqlitetest::rawSql;

class TestStoreSqlite : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() {
        m_dir.emplace(); // a fresh folder per test function
        QVERIFY(m_dir->isValid());
    }
    void newFileInNewFoldersUsesWal();
    void migratesZeroByteFile();
    void newerSchemaRefused();
    void garbageFileIsCorrupt();
    void truncatedDatabaseIsTypedError();
    void missingFileNotCreatedWhenAsked();
    void newJournalOpenedByManyAtOnce();

private:
    QString path(const QString &name = u"store.sqlite"_s) const { return m_dir->filePath(name); }
    std::optional<QTemporaryDir> m_dir;
};

void TestStoreSqlite::newFileInNewFoldersUsesWal() {
    // Migrating and reopening as such is in the contract suite; here what is SQLite's own.
    const QString file = m_dir->filePath(u"sub/dir/store.sqlite"_s); // folders are created
    {
        auto store = openOrFail(file);
        QVERIFY(store);
        QCOMPARE(store->schemaVersion(), latestSchemaVersion());
        QCOMPARE(store->description(), u"sqlite:"_s + file);
    }
    QVERIFY(QFile::exists(file));
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"check"_s);
    db.setDatabaseName(file);
    QVERIFY(db.open());
    {
        QSqlQuery q(db);
        QVERIFY(q.exec(u"SELECT COUNT(*) FROM schema_version"_s) && q.next());
        QCOMPARE(q.value(0).toInt(), migrations(SqlDialect::SQLite).size());
        QVERIFY(q.exec(u"PRAGMA journal_mode"_s) && q.next());
        QCOMPARE(q.value(0).toString(), u"wal"_s);
    }
    db.close();
    db = {};
    QSqlDatabase::removeDatabase(u"check"_s);
}

void TestStoreSqlite::migratesZeroByteFile() {
    QFile empty(path());
    QVERIFY(empty.open(QIODevice::WriteOnly));
    empty.close();
    auto store = openOrFail(path());
    QVERIFY(store);
    QCOMPARE(store->schemaVersion(), latestSchemaVersion());
}

void TestStoreSqlite::newerSchemaRefused() {
    { QVERIFY(openOrFail(path())); }
    QVERIFY(rawSql(path(), u"INSERT INTO schema_version VALUES (999, 'from the future', 0)"_s));
    SqliteStore::Options options;
    options.path = path();
    auto opened = SqliteStore::open(options);
    QVERIFY(!opened);
    QCOMPARE(opened.error().kind, StoreError::Kind::Schema);
    QVERIFY2(opened.error().message.contains(u"999"_s), qPrintable(opened.error().message));
    QVERIFY(opened.error().message.contains(u"newer"_s));
    // Not downgraded: the future version is still recorded.
    QVERIFY(!SqliteStore::open(options));
}

void TestStoreSqlite::garbageFileIsCorrupt() {
    QFile garbage(path());
    QVERIFY(garbage.open(QIODevice::WriteOnly));
    QByteArray bytes;
    for (int i = 0; i < 64 * 1024; ++i)
        bytes.append(char((i * 7919 + 13) % 251));
    garbage.write(bytes);
    garbage.close();
    SqliteStore::Options options;
    options.path = path();
    auto opened = SqliteStore::open(options);
    QVERIFY(!opened);
    QCOMPARE(opened.error().kind, StoreError::Kind::Corrupt);
    QVERIFY2(opened.error().message.contains(path()), qPrintable(opened.error().message));
}

void TestStoreSqlite::truncatedDatabaseIsTypedError() {
    {
        auto store = openOrFail(path());
        QVERIFY(store);
        for (int i = 0; i < 200; ++i)
            QVERIFY(store->appendAudit({u"a"_s, {}, u"fill"_s, {}, QString(500, u'x'), {}}));
    }
    // Keep the valid header, overwrite the pages after it: a damaged, not an alien, file.
    QFile file(path());
    QVERIFY(file.open(QIODevice::ReadWrite));
    QVERIFY(file.size() > 8192);
    file.seek(4096);
    file.write(QByteArray(int(file.size()) - 4096, '\xa5'));
    file.close();
    SqliteStore::Options options;
    options.path = path();
    auto opened = SqliteStore::open(options);
    if (opened) { // the damage may only surface on use; it must still be typed
        auto verified = opened.value()->verifyAuditChain();
        QVERIFY(!verified || !verified.value().ok);
    } else {
        QVERIFY2(opened.error().kind == StoreError::Kind::Corrupt,
                 qPrintable(opened.error().toString()));
    }
}

void TestStoreSqlite::missingFileNotCreatedWhenAsked() {
    SqliteStore::Options options;
    options.path = path(u"absent.sqlite"_s);
    options.createIfMissing = false;
    auto opened = SqliteStore::open(options);
    QVERIFY(!opened);
    QCOMPARE(opened.error().kind, StoreError::Kind::Io);
    QVERIFY(!QFile::exists(options.path));
}

QTEST_GUILESS_MAIN(TestStoreSqlite)
void TestStoreSqlite::newJournalOpenedByManyAtOnce() {
    // Two controllers started together on a fresh machine open the same new audit journal:
    // switching it to WAL must wait for the other, not fail with "database is locked". Six
    // processes at once on a new file, 40 times (bounded: each open waits at most 5 s). Before
    // the fix about one round in a hundred failed.
    for (int round = 0; round < 40; ++round) {
        const QString file = path(u"journal-%1.sqlite"_s.arg(round));
        std::vector<std::unique_ptr<QProcess>> openers;
        for (int i = 0; i < 6; ++i) {
            openers.push_back(std::make_unique<QProcess>());
            openers.back()->start(QStringLiteral(JOURNAL_OPENER), {file});
        }
        for (const auto &opener : openers) {
            QVERIFY(opener->waitForFinished(20'000));
            QVERIFY2(opener->exitStatus() == QProcess::NormalExit && opener->exitCode() == 0,
                     qPrintable(u"round %1: %2"_s.arg(round).arg(
                         QString::fromUtf8(opener->readAllStandardError()))));
        }
    }
}

#include "test_store_sqlite.moc"
