// `cutover-console --check-plan`, `--version`, `--help` as a user runs them: the real binary,
// its output and its exit codes.

#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

namespace {

struct Run {
    int exitCode = -1;
    QString out;
    QString err;
};

Run run(const QStringList &arguments) {
    QProcess process;
    process.setProgram(QStringLiteral(CONSOLE_BINARY));
    process.setArguments(arguments);
    auto env = QProcessEnvironment::systemEnvironment();
    env.remove(u"DISPLAY"_s); // headless commands must not need a display
    env.insert(u"QT_QPA_PLATFORM"_s, u"offscreen"_s);
    process.setProcessEnvironment(env);
    QSignalSpy finished(&process, &QProcess::finished);
    process.start();
    if (!finished.wait(60'000)) {
        process.kill();
        return {};
    }
    return {process.exitCode(), QString::fromUtf8(process.readAllStandardOutput()),
            QString::fromUtf8(process.readAllStandardError())};
}

} // namespace

class TestCheckPlanCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void defaultPlanIsOk();
    void invalidPlanPrintsEveryError();
    void unreadableFileIsUsageError();
    void badOptionIsUsageError();
    void versionAndHelp();
};

void TestCheckPlanCli::defaultPlanIsOk() {
    const Run r = run(
        {u"--check-plan"_s, QStringLiteral(CONSOLE_SOURCE_DIR "/resources/plans/default.yaml")});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(
        r.out.trimmed(),
        u"OK: OTel cutover: production telemetry: 2 environments, 4 stages, 8 gates, 48 checks"_s);
    QVERIFY(r.err.isEmpty());
}

void TestCheckPlanCli::invalidPlanPrintsEveryError() {
    QTemporaryDir dir;
    const QString path = dir.filePath(u"bad.yaml"_s);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("version: 1\nname: x\nstagez: []\nroles: 5\n");
    file.close();
    const Run r = run({u"--check-plan"_s, path});
    QCOMPARE(r.exitCode, 1);
    QVERIFY(r.out.isEmpty());
    QVERIFY2(r.err.contains(path + u":3:1: stagez: unknown key 'stagez'; did you mean 'stages'?"_s),
             qPrintable(r.err));
    QVERIFY2(r.err.contains(path + u":4:8: roles: expected a mapping"_s), qPrintable(r.err));
    QVERIFY(r.err.contains(u"missing required key 'prometheus'"_s));
    QVERIFY(r.err.contains(u"error(s) in "_s + path));
}

void TestCheckPlanCli::unreadableFileIsUsageError() {
    const Run r = run({u"--check-plan"_s, u"/nonexistent/plan.yaml"_s});
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.err.contains(u"/nonexistent/plan.yaml: cannot open"_s));
}

void TestCheckPlanCli::badOptionIsUsageError() {
    Run r = run({u"--no-such-option"_s});
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.err.contains(u"no-such-option"_s));
    r = run({u"--check-plan"_s});
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.err.contains(u"Missing value after '--check-plan'"_s));
}

void TestCheckPlanCli::versionAndHelp() {
    Run r = run({u"--version"_s});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.trimmed(), u"cutover-console "_s + QStringLiteral(CONSOLE_VERSION));
    r = run({u"--help"_s});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.contains(u"--check-plan <file>"_s));
    QVERIFY(r.out.contains(u"--plan <file>"_s));
}

QTEST_GUILESS_MAIN(TestCheckPlanCli)
#include "test_check_plan_cli.moc"
