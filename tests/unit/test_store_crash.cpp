// Crash consistency: helper processes append to one store in a loop and are killed with SIGKILL
// mid-way (after they have shown progress); the store then opens, and the audit chain verifies,
// holding at least every entry a helper reported as committed.

#include "app/store/sqlite_store.h"

#include <QDeadlineTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace cutover::store;

namespace {

// Reads a helper's "appended N" lines; remembers the last N.
struct Helper {
    QProcess process;
    qint64 lastReported = 0;
    QByteArray buffer;

    void consume() {
        buffer += process.readAllStandardOutput();
        qsizetype newline;
        while ((newline = buffer.indexOf('\n')) >= 0) {
            const QByteArray line = buffer.left(newline);
            buffer.remove(0, newline + 1);
            if (line.startsWith("appended "))
                lastReported = line.mid(9).toLongLong();
        }
    }
};

} // namespace

class TestStoreCrash : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void killedWritersLeaveAVerifiableChain();
};

void TestStoreCrash::killedWritersLeaveAVerifiableChain() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"crash.sqlite"_s);
    { // create the schema first, so the helpers do not race to migrate
        SqliteStore::Options options;
        options.path = path;
        QVERIFY(SqliteStore::open(options));
    }

    for (int round = 0; round < 3; ++round) {
        Helper helpers[2];
        for (int h = 0; h < 2; ++h) {
            helpers[h].process.setProgram(QStringLiteral(STORE_CRASH_HELPER));
            helpers[h].process.setArguments({path, u"helper-%1-%2"_s.arg(round).arg(h)});
            helpers[h].process.setProcessChannelMode(QProcess::SeparateChannels);
            helpers[h].process.start();
            QVERIFY(helpers[h].process.waitForStarted(10'000));
        }
        // Wait for progress from both (a different amount each round), then kill both.
        const qint64 wanted = 20 + 37 * round;
        QDeadlineTimer deadline(30'000);
        for (Helper &helper : helpers) {
            QSignalSpy output(&helper.process, &QProcess::readyReadStandardOutput);
            helper.consume();
            while (helper.lastReported < wanted && !deadline.hasExpired()) {
                if (!output.wait(int(qMax<qint64>(1, deadline.remainingTime()))))
                    break;
                helper.consume();
            }
            QVERIFY2(helper.lastReported >= wanted,
                     qPrintable(QString::fromUtf8(helper.process.readAllStandardError())));
        }
        for (Helper &helper : helpers) {
            QSignalSpy finished(&helper.process, &QProcess::finished);
            helper.process.kill(); // SIGKILL: no destructor, no COMMIT, no checkpoint
            QVERIFY(finished.wait(10'000));
            QCOMPARE(helper.process.exitStatus(), QProcess::CrashExit);
            helper.consume();
        }

        SqliteStore::Options options;
        options.path = path;
        auto reopened = SqliteStore::open(options);
        QVERIFY2(reopened, qPrintable(reopened ? QString() : reopened.error().toString()));
        const auto verification = reopened.value()->verifyAuditChain();
        QVERIFY(verification);
        QVERIFY2(verification.value().ok, qPrintable(verification.value().toString()));
        // Everything reported as committed is there, per helper.
        const auto entries = reopened.value()->auditEntries().value();
        for (int h = 0; h < 2; ++h) {
            const QString name = u"helper-%1-%2"_s.arg(round).arg(h);
            qint64 count = 0;
            for (const AuditEntry &e : entries) {
                if (e.actor == name && e.action == u"crash_test"_s)
                    ++count;
            }
            QVERIFY2(count >= helpers[h].lastReported,
                     qPrintable(u"%1: %2 stored, %3 reported"_s.arg(name).arg(count).arg(
                         helpers[h].lastReported)));
        }
        QVERIFY(reopened.value()->stageState(u"prod"_s));
    }
}

QTEST_GUILESS_MAIN(TestStoreCrash)
#include "test_store_crash.moc"
