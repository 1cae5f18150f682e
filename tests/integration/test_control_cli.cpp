// Headless control, the real binary on the lab: `--status --json` is JSON with the environment;
// `--shift lab --to 25` at 0% is refused (exit 3) with its reasons; a wrong passphrase is
// refused (exit 3) and audited; `--rollback lab` is done (exit 0) with a line per LB.

#include "tests/support/engine_test_support.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QScopeGuard>
#include <QTemporaryDir>

using namespace cutover;
using namespace enginetest;

class TestControlCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void statusJson();
    void shiftToTheWrongStageIsRefused();
    void wrongPassphraseIsRefused();
    void unknownOperatorGetsTheSameAnswer();
    void tickIsDone();
    void rollbackPrintsALinePerLb();

private:
    QStringList base() const {
        return {u"--plan"_s, QStringLiteral(CONSOLE_SOURCE_DIR "/resources/plans/lab.yaml"),
                u"--store"_s, m_storePath};
    }
    static void show(const char *what, const ProcessRun &run) {
        qInfo().noquote() << what << "exit" << run.exitCode << "\n--- stdout\n"
                          << run.out.trimmed() << "\n--- stderr\n"
                          << run.err.trimmed();
    }

    QHash<QString, QString> m_state;
    QTemporaryDir m_dir;
    QString m_storePath;
    std::optional<config::Plan> m_plan;
    std::unique_ptr<LabControl> m_lab;
};

void TestControlCli::initTestCase() {
    m_state = lab::loadState();
    REQUIRE_LAB(m_state);
    QVERIFY(m_dir.isValid());
    QVERIFY(writeOperatorsFile(m_dir.filePath(u"operators.json"_s)));
    // Also exports the lab's variables and CUTOVER_OPERATORS to the child processes.
    m_plan = loadLabPlan(m_state, m_dir.filePath(u"operators.json"_s));
    QVERIFY(m_plan);
    m_storePath = m_dir.filePath(u"store.sqlite"_s);
    m_lab = std::make_unique<LabControl>(m_state, *m_plan);
    QVERIFY(m_lab->reset(this));
}

void TestControlCli::statusJson() {
    const ProcessRun run = runConsole(base() << u"--status"_s << u"--json"_s);
    show("--status --json", run);
    QVERIFY(!run.timedOut && !run.crashed);
    QCOMPARE(run.exitCode, 0);
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(run.out.toUtf8(), &error);
    QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
    QVERIFY(doc.isObject());
    QCOMPARE(doc.object().value(u"plan"_s).toString(), m_plan->name);
    const QJsonArray environments = doc.object().value(u"environments"_s).toArray();
    QCOMPARE(environments.size(), 1);
    const QJsonObject env = environments.at(0).toObject();
    QCOMPARE(env.value(u"environment"_s).toString(), u"lab"_s);
    QCOMPARE(env.value(u"percent"_s).toInt(-1), 0);
    QCOMPARE(env.value(u"next_percent"_s).toInt(), 10);
    QVERIFY(env.value(u"gates"_s).toArray().size() == m_plan->gates.size());
    QStringList backends;
    for (const QJsonValue &b : env.value(u"backends"_s).toArray())
        backends.append(b.toObject().value(u"name"_s).toString());
    QVERIFY2(backends.contains(u"lb-a"_s) && backends.contains(u"lb-b"_s),
             qPrintable(backends.join(u", "_s)));
}

void TestControlCli::shiftToTheWrongStageIsRefused() {
    const ProcessRun run = runConsole(base() << u"--shift"_s << u"lab"_s << u"--to"_s << u"25"_s
                                             << u"--operator"_s << u"alice"_s,
                                      "passphrase-alice\n");
    show("--shift lab --to 25", run);
    QVERIFY(!run.timedOut && !run.crashed);
    QCOMPARE(run.exitCode, 3);
    QVERIFY2(run.err.contains(u"refused"_s), qPrintable(run.err));
    QVERIFY2(run.err.contains(u"next stage is 10%"_s), qPrintable(run.err));
    QVERIFY(m_lab->lbsHold(m_lab->rollbackWeights().weights, this));
}

void TestControlCli::wrongPassphraseIsRefused() {
    const ProcessRun run = runConsole(base() << u"--tick"_s << u"pre_cutover/phase2_criteria"_s
                                             << u"--operator"_s << u"alice"_s,
                                      "not-alices-passphrase\n");
    show("--tick with a wrong passphrase", run);
    QVERIFY(!run.timedOut && !run.crashed);
    QCOMPARE(run.exitCode, 3);
    QVERIFY2(run.err.contains(u"refused"_s), qPrintable(run.err));
    QVERIFY(!run.err.contains(u"not-alices-passphrase"_s));

    store::SqliteStore::Options options;
    options.path = m_storePath;
    auto opened = store::SqliteStore::open(options);
    QVERIFY(opened);
    const auto entries = auditOf(*opened.value());
    QVERIFY2(actionsOf(entries).contains(u"sign_in_failed"_s),
             qPrintable(actionsOf(entries).join(u", "_s)));
    QVERIFY(!actionsOf(entries).contains(u"check_ticked"_s));
    for (const auto &e : entries)
        QVERIFY(!e.details.contains(u"not-alices-passphrase"_s));
}

// A name that is not in the operators file is answered in the same words as a known name with a
// wrong passphrase, after the same check (audited, counted): no command tells who exists.
void TestControlCli::unknownOperatorGetsTheSameAnswer() {
    // --sign at 0% would be refused by its guards for alice: the passphrase is judged first, so
    // a wrong one gets the same answer as a name that does not exist.
    const QList<QStringList> commands{base() << u"--tick"_s << u"pre_cutover/phase2_criteria"_s,
                                      base() << u"--sign"_s << u"gate_1"_s << u"--meaning"_s
                                             << u"Approved"_s,
                                      base() << u"--shift"_s << u"lab"_s << u"--to"_s << u"25"_s};
    for (const QStringList &command : commands) {
        const ProcessRun wrong = runConsole(QStringList(command) << u"--operator"_s << u"alice"_s,
                                            "not-alices-passphrase\n");
        const ProcessRun nobody = runConsole(
            QStringList(command) << u"--operator"_s << u"mallory"_s, "not-alices-passphrase\n");
        show("a known name, a wrong passphrase", wrong);
        show("a name not in the file", nobody);
        QCOMPARE(nobody.exitCode, wrong.exitCode);
        // What is said about the attempt (the lease lines around it differ by their term).
        const auto said = [](const QString &err) {
            return err.split(u'\n').filter(u"refused"_s);
        };
        QCOMPARE(said(nobody.err), said(wrong.err));
        QVERIFY2(nobody.err.contains(u"wrong operator name or passphrase"_s),
                 qPrintable(nobody.err));
        QVERIFY(!nobody.err.contains(u"mallory"_s));
    }
    store::SqliteStore::Options options;
    options.path = m_storePath;
    auto opened = store::SqliteStore::open(options);
    QVERIFY(opened);
    int unknownFailures = 0;
    for (const auto &e : auditOf(*opened.value())) {
        QVERIFY(!e.actor.contains(u"mallory"_s) && !e.subject.contains(u"mallory"_s));
        if (e.action == u"sign_in_failed"_s && e.actor == u"(unknown operator)"_s)
            ++unknownFailures;
    }
    QCOMPARE(unknownFailures, 3);
}

void TestControlCli::tickIsDone() {
    const ProcessRun run = runConsole(base() << u"--tick"_s << u"pre_cutover/phase2_criteria"_s
                                             << u"--operator"_s << u"alice"_s,
                                      "passphrase-alice\n");
    show("--tick", run);
    QCOMPARE(run.exitCode, 0);
    QVERIFY(run.out.contains(u"ticked pre_cutover/phase2_criteria"_s));
}

void TestControlCli::rollbackPrintsALinePerLb() {
    auto restore = qScopeGuard([&] { m_lab->reset(this); });
    const ProcessRun run = runConsole(
        base() << u"--rollback"_s << u"lab"_s << u"--operator"_s << u"bob"_s, "passphrase-bob\n");
    show("--rollback lab", run);
    QVERIFY(!run.timedOut && !run.crashed);
    QCOMPARE(run.exitCode, 0);
    for (const QString &lb : {u"lb-a"_s, u"lb-b"_s}) {
        bool found = false;
        for (const QString &line : run.out.split(u'\n')) {
            if (line.trimmed().startsWith(lb + u": verified"_s))
                found = true;
        }
        QVERIFY2(found, qPrintable(lb + u" has no 'verified' line"_s));
    }
    QVERIFY(m_lab->lbsHold(m_lab->rollbackWeights().weights, this));
    // The engine's first progress line is printed too (it is queued, so the caller sees it).
    QVERIFY2(run.out.contains(u"rolling back lab"_s), qPrintable(run.out));

    const ProcessRun verify = runConsole({u"--verify-audit"_s, u"--store"_s, m_storePath});
    QCOMPARE(verify.exitCode, 0);
    QVERIFY2(verify.out.startsWith(u"OK: "_s), qPrintable(verify.out));
}

QTEST_GUILESS_MAIN(TestControlCli)
#include "test_control_cli.moc"
