// Anchored audit checkpoints on a real SQLite store: due by count and by time; the engine that
// decides signs the head with the console's key (made 0600), records it and publishes it (a line
// in a file, the audit_checkpoint webhook event to a local receiver); a rewrite of the log's tail
// with every hash recomputed passes the chain walk but is named by --verify-audit --checkpoints,
// as are a removed tail, an altered published line and a line that is not a checkpoint.

#include "app/cli/verify_audit.h"
#include "app/config/plan_loader.h"
#include "app/cutover/cutover_engine.h"
#include "app/store/audit_chain.h"
#include "app/store/audit_checkpoint.h"
#include "sqlite_test_support.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>

using namespace Qt::StringLiterals;
using namespace cutover;
using namespace cutover::store;

namespace {

struct Outcome {
    int code = -1;
    QString out;
    QString err;
};

// A webhook receiver (not a server we can install): answers 200, keeps the bodies.
class Receiver : public QObject {
public:
    QList<QJsonObject> bodies;
    QTcpServer server;
    Receiver() {
        server.listen(QHostAddress::LocalHost, 0);
        connect(&server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = server.nextPendingConnection()) {
                auto buffer = std::make_shared<QByteArray>();
                connect(socket, &QTcpSocket::readyRead, socket, [this, socket, buffer] {
                    *buffer += socket->readAll();
                    const qsizetype end = buffer->indexOf("\r\n\r\n");
                    if (end < 0)
                        return;
                    const qsizetype lengthAt = buffer->toLower().indexOf("content-length:");
                    const qsizetype length =
                        buffer->mid(lengthAt + 15, buffer->indexOf('\r', lengthAt) - lengthAt - 15)
                            .trimmed()
                            .toLongLong();
                    if (buffer->size() < end + 4 + length)
                        return;
                    bodies.append(QJsonDocument::fromJson(buffer->mid(end + 4, length)).object());
                    socket->write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
                });
            }
        });
    }
};

} // namespace

class TestAuditCheckpoints : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void dueByCountAndByTime();
    void consoleKeyIsPrivate();
    void engineSignsRecordsAndPublishes();
    void rewrittenTailIsNamed();
    void removedTailAndAlteredFileAreNamed();

private:
    QString storePath() const { return m_dir->filePath(u"store.sqlite"_s); }
    QString publishedPath() const { return m_dir->filePath(u"checkpoints.jsonl"_s); }
    void append(Store &store, int count);
    Outcome verify(const QString &checkpoints);
    // Changes entry `seq`'s details and recomputes every hash from there on, and the head: what
    // somebody with write access to the database would do to hide an edit.
    void rewriteTailFrom(qint64 seq);

    std::unique_ptr<QTemporaryDir> m_dir;
    QDateTime m_now = QDateTime(QDate(2026, 12, 1), QTime(9, 0), QTimeZone::utc());
};

void TestAuditCheckpoints::init() {
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestAuditCheckpoints::append(Store &store, int count) {
    for (int i = 0; i < count; ++i)
        QVERIFY(store.appendAudit({u"alice"_s,
                                   u"release_manager"_s,
                                   u"check_ticked"_s,
                                   u"lab"_s,
                                   u"gate_1/item_%1"_s.arg(i),
                                   {{u"n"_s, i}}}));
}

Outcome TestAuditCheckpoints::verify(const QString &checkpoints) {
    config::StoreConfig config;
    config.path = storePath();
    Outcome outcome;
    QTextStream out(&outcome.out);
    QTextStream err(&outcome.err);
    outcome.code = cli::verifyAuditCommand(config, out, err, checkpoints);
    return outcome;
}

void TestAuditCheckpoints::rewriteTailFrom(qint64 seq) {
    auto store = sqlitetest::openOrFail(storePath());
    QList<AuditEntry> entries = store->auditEntries().value();
    store.reset();
    QString prev = seq == 1 ? genesisHash() : entries.at(seq - 2).hash;
    for (AuditEntry &e : entries) {
        if (e.seq < seq)
            continue;
        if (e.seq == seq)
            e.details = uR"({"n":"edited"})"_s;
        e.prevHash = prev;
        e.hash = auditHash(e);
        prev = e.hash;
        QVERIFY(sqlitetest::rawSql(
            storePath(),
            u"UPDATE audit_log SET details = '%1', prev_hash = '%2', hash = '%3' "
            u"WHERE seq = %4"_s.arg(QString(e.details).replace(u"'"_s, u"''"_s), e.prevHash, e.hash)
                .arg(e.seq)));
    }
    QVERIFY(sqlitetest::rawSql(storePath(),
                               u"UPDATE audit_head SET hash = '%1' WHERE id = 1"_s.arg(prev)));
}

void TestAuditCheckpoints::dueByCountAndByTime() {
    auto store = sqlitetest::openOrFail(storePath(), [this] { return m_now; });
    const auto key = SigningKey::generate();
    const CheckpointPolicy policy{5, 10 * 60 * 1000};
    append(*store, 4);
    QVERIFY(!writeCheckpointIfDue(*store, *key, policy, m_now).value());
    append(*store, 1);
    const auto first = writeCheckpointIfDue(*store, *key, policy, m_now).value();
    QVERIFY(first);
    QCOMPARE(first->seq, 5);
    QCOMPARE(first->hash, store->auditEntries(4, 1).value().constFirst().hash);
    QVERIFY(first->verifies());
    const AuditEntry recorded = store->auditEntries(5, 1).value().constFirst();
    QCOMPARE(recorded.action, u"audit_checkpoint"_s);
    QCOMPARE(recorded.detailsObject().value(u"hash"_s).toString(), first->hash);
    QCOMPARE(recorded.detailsObject().value(u"key_fingerprint"_s).toString(),
             keyFingerprint(key->publicKey()));
    // Four more entries (the checkpoint entry counts): not due; ten minutes later it is.
    append(*store, 3);
    QVERIFY(!writeCheckpointIfDue(*store, *key, policy, m_now).value());
    m_now = m_now.addSecs(10 * 60);
    const auto second = writeCheckpointIfDue(*store, *key, policy, m_now).value();
    QVERIFY(second);
    QCOMPARE(second->seq, 9);
    // Nothing appended since (but the checkpoint itself): never a checkpoint of a checkpoint.
    m_now = m_now.addSecs(3600);
    QVERIFY(!writeCheckpointIfDue(*store, *key, policy, m_now).value());
    QVERIFY(store->verifyAuditChain().value().ok);
}

void TestAuditCheckpoints::consoleKeyIsPrivate() {
    const QString path = m_dir->filePath(u"data/checkpoint-key"_s);
    QString error;
    const auto made = loadOrCreateConsoleKey(path, &error);
    QVERIFY2(made, qPrintable(error));
    QCOMPARE(QFile::permissions(path) & ~(QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                          QFileDevice::ReadUser | QFileDevice::WriteUser),
             QFileDevice::Permissions());
    const auto again = loadOrCreateConsoleKey(path, &error);
    QVERIFY(again);
    QCOMPARE(again->publicKey(), made->publicKey());
    QVERIFY(QFile::setPermissions(path, QFile::permissions(path) | QFileDevice::ReadOther));
    QVERIFY(!loadOrCreateConsoleKey(path, &error));
    QVERIFY2(error.contains(u"chmod 600"_s), qPrintable(error));
}

void TestAuditCheckpoints::engineSignsRecordsAndPublishes() {
    Receiver receiver;
    QVERIFY(receiver.server.isListening());
    auto loaded = config::loadPlanFile(u":/plans/default.yaml"_s);
    QVERIFY(loaded.ok());
    config::Plan plan = *loaded.plan;
    plan.audit.checkpointEveryEntries = 2;
    plan.audit.checkpointFile = publishedPath();
    config::Notification hook;
    hook.name = u"auditor"_s;
    hook.url = QUrl(u"http://127.0.0.1:%1/checkpoints"_s.arg(receiver.server.serverPort()));
    hook.events = {u"audit_checkpoint"_s};
    plan.notifications = {hook};
    auto store = sqlitetest::openOrFail(storePath(), [this] { return m_now; });
    engine::CutoverEngine::Options options;
    options.monitor = false;
    options.coordinate = false; // decides alone
    options.clock = [this] {
        return m_now;
    };
    options.checkpointCheckMs = 0; // driven by hand below
    options.checkpointKeyPath = m_dir->filePath(u"console-key"_s);
    engine::CutoverEngine engine(plan, *store, std::nullopt, options);
    engine.start();
    append(*store, 3);
    std::optional<std::pair<qint64, QString>> answer;
    engine.checkpointIfDue([&answer](qint64 seq, const QString &error) { answer = {seq, error}; });
    QTRY_VERIFY_WITH_TIMEOUT(answer.has_value(), 5000);
    QVERIFY2(answer->second.isEmpty(), qPrintable(answer->second));
    const qint64 head = answer->first;
    QVERIFY(head >= 3);
    const CheckpointFile published = readCheckpointFile(publishedPath());
    QVERIFY2(published.errors.isEmpty(), qPrintable(published.errors.join(u'\n')));
    QCOMPARE(published.checkpoints.size(), 1);
    QCOMPARE(published.checkpoints.constFirst().seq, head);
    QVERIFY(published.checkpoints.constFirst().verifies());
    QCOMPARE(store->lastAuditEntry(u"audit_checkpoint"_s).value()->seq, head + 1);
    QTRY_COMPARE_WITH_TIMEOUT(receiver.bodies.size(), 1, 10000);
    QCOMPARE(receiver.bodies.constFirst().value(u"event"_s).toString(), u"audit_checkpoint"_s);
    QCOMPARE(receiver.bodies.constFirst().value(u"seq"_s).toInteger(), head);
    // Not due again until two more entries.
    answer.reset();
    engine.checkpointIfDue([&answer](qint64 seq, const QString &error) { answer = {seq, error}; });
    QTRY_VERIFY_WITH_TIMEOUT(answer.has_value(), 5000);
    QCOMPARE(answer->first, 0);

    const Outcome result = verify(publishedPath());
    QVERIFY2(result.code == 0, qPrintable(result.out + result.err));
    QVERIFY2(result.out.contains(u"checkpoints: 1 published in"_s), qPrintable(result.out));
    QVERIFY(result.out.contains(u"all match the log (the last signs seq %1"_s.arg(head)));
}

void TestAuditCheckpoints::rewrittenTailIsNamed() {
    {
        auto store = sqlitetest::openOrFail(storePath(), [this] { return m_now; });
        const auto key = SigningKey::generate();
        append(*store, 10);
        const auto checkpoint = writeCheckpointIfDue(*store, *key, {10, 600'000}, m_now).value();
        QVERIFY(checkpoint);
        QVERIFY(!appendCheckpointLine(publishedPath(), *checkpoint));
        append(*store, 5);
    }
    QCOMPARE(verify(publishedPath()).code, 0);
    // Entry 7 edited, 7…16 re-hashed, head updated: the chain alone sees nothing.
    rewriteTailFrom(7);
    const Outcome chainOnly = verify({});
    QVERIFY2(chainOnly.code == 0, qPrintable(chainOnly.err));
    QVERIFY(chainOnly.out.startsWith(u"OK: 16 entries"_s));
    const Outcome anchored = verify(publishedPath());
    QCOMPARE(anchored.code, 1);
    QVERIFY2(anchored.err.contains(u"BROKEN at seq 10: entry 10 has hash"_s),
             qPrintable(anchored.err));
    QVERIFY(anchored.err.contains(u"the log was rewritten at or before seq 10"_s));
}

void TestAuditCheckpoints::removedTailAndAlteredFileAreNamed() {
    Checkpoint checkpoint;
    {
        auto store = sqlitetest::openOrFail(storePath(), [this] { return m_now; });
        const auto key = SigningKey::generate();
        append(*store, 6);
        checkpoint = *writeCheckpointIfDue(*store, *key, {6, 600'000}, m_now).value();
        QVERIFY(!appendCheckpointLine(publishedPath(), checkpoint));
    }
    // The tail from seq 4 removed and the head set back: consistent, but shorter than published.
    const QString entry3 = [this] {
        auto store = sqlitetest::openOrFail(storePath());
        return store->auditEntries(2, 1).value().constFirst().hash;
    }();
    QVERIFY(sqlitetest::rawSql(storePath(), u"DELETE FROM audit_log WHERE seq > 3"_s));
    QVERIFY(sqlitetest::rawSql(
        storePath(), u"UPDATE audit_head SET seq = 3, hash = '%1' WHERE id = 1"_s.arg(entry3)));
    Outcome result = verify(publishedPath());
    QCOMPARE(result.code, 1);
    QVERIFY2(result.err.contains(u"signs seq 6, but the log ends at seq 3 (entries removed"_s),
             qPrintable(result.err));

    // A published line edited by hand no longer verifies with its key.
    QFile file(publishedPath());
    QVERIFY(file.open(QIODevice::ReadOnly));
    QByteArray text = file.readAll();
    file.close();
    text.replace(checkpoint.hash.toLatin1(), entry3.toLatin1());
    text.replace("\"seq\":6", "\"seq\":3");
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(text + "not a checkpoint\n");
    file.close();
    result = verify(publishedPath());
    QCOMPARE(result.code, 1);
    QVERIFY2(result.err.contains(u"checkpoints.jsonl:2: not a JSON object"_s),
             qPrintable(result.err));
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(text);
    file.close();
    result = verify(publishedPath());
    QCOMPARE(result.code, 1);
    QVERIFY2(result.err.contains(u"does not verify with its key"_s), qPrintable(result.err));
}

QTEST_GUILESS_MAIN(TestAuditCheckpoints)
#include "test_audit_checkpoints.moc"
