// The decommission's actions that need no load balancer (issue 12): archive_files (libarchive,
// off the caller's thread, hashed) and command (argv, exit code, output hashed, timeout kills).

#include "app/decommission/step_runner.h"
#include "app/store/evidence_archive.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace cutover;
using config::DecommissionStep;

namespace {

bool writeFile(const QString &path, const QByteArray &bytes) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

// Runs the step's action and waits (bounded) for its one answer.
std::optional<decommission::StepResult> runAction(QObject *context, const DecommissionStep &step,
                                                  int timeoutMs = 10'000) {
    std::optional<decommission::StepResult> result;
    int answers = 0;
    decommission::runAction(context, step, {}, [&](const decommission::StepResult &r) {
        ++answers;
        result = r;
    });
    if (!QTest::qWaitFor([&] { return answers > 0; }, timeoutMs))
        return std::nullopt;
    return result;
}

} // namespace

class TestDecommissionActions : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void archiveFilesWritesEveryFileAndItsHash();
    void archiveOfAMissingPathFails();
    void relativeOutputGoesToTheDataFolder();
    void commandExitCodeAndOutput();
    void commandPastItsTimeoutIsKilled();
};

void TestDecommissionActions::archiveFilesWritesEveryFileAndItsHash() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(writeFile(dir.filePath(u"etc/legacy-collector/collector.yaml"_s), "receivers: {}\n"));
    QVERIFY(writeFile(dir.filePath(u"etc/legacy-collector/conf.d/extra.yaml"_s), "x: 1\n"));
    QVERIFY(writeFile(dir.filePath(u"etc/prometheus/prometheus.yml"_s), "scrape_configs: []\n"));
    QVERIFY(writeFile(dir.filePath(u"etc/prometheus/rules.bak"_s), "old\n"));
    DecommissionStep step;
    step.action = DecommissionStep::Action::ArchiveFiles;
    step.paths = {dir.filePath(u"etc/legacy-collector"_s), dir.filePath(u"etc/prometheus/*.yml"_s)};
    step.output = dir.filePath(u"out/legacy_configs.tar.gz"_s);

    const auto result = runAction(this, step);
    QVERIFY(result);
    QVERIFY2(result->ok, qPrintable(result->error));
    QCOMPARE(result->details.value(u"files"_s).toInt(), 3); // the glob leaves rules.bak out
    QFile archive(step.output);
    QVERIFY(archive.open(QIODevice::ReadOnly));
    QCOMPARE(result->details.value(u"sha256"_s).toString(),
             QString::fromLatin1(
                 QCryptographicHash::hash(archive.readAll(), QCryptographicHash::Sha256).toHex()));
    const auto read = store::readEvidenceArchive(step.output);
    QVERIFY(read);
    QStringList names;
    for (const auto &file : read.value())
        names.append(file.name);
    const QString root = QDir::cleanPath(dir.path()).mid(1);
    QCOMPARE(names, (QStringList{root + u"/etc/legacy-collector/collector.yaml"_s,
                                 root + u"/etc/legacy-collector/conf.d/extra.yaml"_s,
                                 root + u"/etc/prometheus/prometheus.yml"_s}));
    QCOMPARE(read.value().first().data, QByteArray("receivers: {}\n"));
}

void TestDecommissionActions::archiveOfAMissingPathFails() {
    QTemporaryDir dir;
    DecommissionStep step;
    step.action = DecommissionStep::Action::ArchiveFiles;
    step.paths = {dir.filePath(u"etc/grafana"_s)};
    step.output = dir.filePath(u"a.tar.gz"_s);
    const auto result = runAction(this, step);
    QVERIFY(result);
    QVERIFY(!result->ok);
    QCOMPARE(result->error, dir.filePath(u"etc/grafana"_s) + u": no such file or folder"_s);
    QVERIFY(!QFile::exists(step.output));
}

void TestDecommissionActions::relativeOutputGoesToTheDataFolder() {
    // The embedded default plan's outputs are relative: they go to the data folder, never to
    // the working directory of whoever started the console.
    QStandardPaths::setTestModeEnabled(true);
    QTemporaryDir dir;
    QVERIFY(writeFile(dir.filePath(u"collector.yaml"_s), "receivers: {}\n"));
    DecommissionStep step;
    step.action = DecommissionStep::Action::ArchiveFiles;
    step.paths = {dir.filePath(u"collector.yaml"_s)};
    step.output = u"relative-test/legacy_configs.tar.gz"_s;
    const auto result = runAction(this, step);
    QVERIFY(result);
    QVERIFY2(result->ok, qPrintable(result->error));
    const QString expected = QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation))
                                 .filePath(u"decommission/relative-test/legacy_configs.tar.gz"_s);
    QCOMPARE(result->details.value(u"archive"_s).toString(), expected);
    QVERIFY(QFile::exists(expected));
    QVERIFY(!QFile::exists(QDir::current().filePath(step.output)));
    QVERIFY(QDir(QFileInfo(expected).absolutePath()).removeRecursively());
}

void TestDecommissionActions::commandExitCodeAndOutput() {
    DecommissionStep step;
    step.action = DecommissionStep::Action::Command;
    step.argv = {u"/bin/sh"_s, u"-c"_s, u"echo detached; echo 'still attached' >&2; exit 3"_s};
    step.secretEnvironment = {{u"TOKEN"_s, config::Secret(u"TOKEN"_s, u"s3cr3t"_s)}};
    auto result = runAction(this, step);
    QVERIFY(result);
    QVERIFY(!result->ok);
    QCOMPARE(result->error, u"/bin/sh exited with 3"_s);
    QCOMPARE(result->details.value(u"exit_code"_s).toInt(), 3);
    QCOMPARE(result->details.value(u"stdout"_s).toString(), u"detached\n"_s);
    QCOMPARE(result->details.value(u"stderr"_s).toString(), u"still attached\n"_s);
    QCOMPARE(result->details.value(u"stdout_sha256"_s).toString(),
             QString::fromLatin1(
                 QCryptographicHash::hash("detached\n", QCryptographicHash::Sha256).toHex()));

    QCOMPARE(result->details.value(u"program"_s).toString(), u"/bin/sh"_s);

    // The secret reaches the command's environment, never the result: echoed, it is redacted,
    // and the arguments (which the plan may have expanded) are not recorded.
    step.argv = {u"/bin/sh"_s, u"-c"_s,
                 u"test \"$TOKEN\" = \"$EXPECTED\" && echo \"token $TOKEN\""_s};
    step.environment = {{u"EXPECTED"_s, u"s3cr3t"_s}};
    result = runAction(this, step);
    QVERIFY(result && result->ok);
    QCOMPARE(result->details.value(u"stdout"_s).toString(), u"token ${TOKEN}\n"_s);
    QVERIFY(!QString::fromUtf8(QJsonDocument(result->details).toJson()).contains(u"s3cr3t"_s));

    step.argv = {u"/nonexistent/terraform"_s};
    result = runAction(this, step);
    QVERIFY(result && !result->ok);
    QVERIFY2(result->error.startsWith(u"/nonexistent/terraform did not start"_s),
             qPrintable(result->error));
}

void TestDecommissionActions::commandPastItsTimeoutIsKilled() {
    DecommissionStep step;
    step.action = DecommissionStep::Action::Command;
    step.argv = {u"/bin/sh"_s, u"-c"_s, u"exec sleep 30"_s}; // the product must kill it
    step.timeout = config::Duration::milliseconds(300);
    const auto result = runAction(this, step);
    QVERIFY(result);
    QVERIFY(!result->ok);
    QVERIFY2(result->error.contains(u"ran past its timeout of 0.3 s and was killed"_s),
             qPrintable(result->error));
}

QTEST_GUILESS_MAIN(TestDecommissionActions)
#include "test_decommission_actions.moc"
