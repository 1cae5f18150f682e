// Rollback two keys away from anywhere (issue 13, item 5): with each dialog of the war room open
// - the F1 sheet, sign-in, the Shift confirmation, sign-off, step back, the executive board's PDF
// export and the audit export - Ctrl+Shift+R then Enter rolls the lab back. The dialog is set
// aside while the Rollback is armed (its passphrase cleared, the rest kept), comes back as it was
// when the arming is cancelled, and is closed once the rollback is confirmed. Every case first
// moves the lab's weights away from legacy, so each rollback has something to undo, and reads
// them back from HAProxy afterwards. A locked-out operator rolls back from the sign-in dialog
// (break-glass).

#include "app/backends/haproxy_runtime_client.h"
#include "app/backends/weight_plan.h"
#include "app/cutover/cutover_engine.h"
#include "app/store/passphrase.h"
#include "app/store/sqlite_store.h"
#include "tests/support/lab.h"
#include "ui/dialogs/sign_in_dialog.h"
#include "ui/dialogs/sign_off_dialog.h"
#include "ui/executive/executive_board.h"
#include "ui/rollback/rollback_progress_panel.h"
#include "ui/war_room/rollback_control.h"
#include "ui/war_room/rollback_hotkey.h"
#include "ui/war_room/shift_dialog.h"
#include "ui/war_room/step_back_dialog.h"
#include "ui/war_room/war_room_window.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFileDialog>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace cutover;

namespace {

const QString kEnvironment = u"lab"_s;

store::Operator makeOperator(const QString &name, const QString &role) {
    store::Operator op;
    op.name = name;
    op.displayName = name.left(1).toUpper() + name.mid(1) + u" Example"_s;
    op.roles = {role};
    store::setPassphrase(op, u"pass-"_s + name, store::kCheapestArgon2Cost);
    return op;
}

// A modal top-level widget of `type` that is visible now, other than the window.
template <typename T>
T *visibleModal() {
    for (QWidget *w : QApplication::topLevelWidgets()) {
        if (auto *t = qobject_cast<T *>(w); t && t->isVisible() && t->isModal())
            return t;
    }
    return nullptr;
}

QAction *menuAction(QWidget *window, const QString &text) {
    for (QAction *action : window->findChildren<QAction *>()) {
        if (action->text() == text)
            return action;
    }
    return nullptr;
}

} // namespace

class TestWarRoomRollbackKeys : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void cleanup();
    void rollbackFromInsideADialog_data();
    void rollbackFromInsideADialog();
    void cancellingBringsTheDialogBack();
    void breakGlassFromTheSignInDialog();

private:
    // The dialog a case opens, and the fields it types into (a passphrase, and a field that
    // must survive being set aside; either may be null).
    struct Opened {
        QPointer<QWidget> dialog;
        QPointer<QLineEdit> passphrase;
        QPointer<QLineEdit> kept;
    };
    Opened open(const QString &which);
    void moveLabAwayFromLegacy();
    void labIsOnLegacy();
    void pressRollbackKeys();

    QHash<QString, QString> m_state;
    std::optional<config::Plan> m_plan;
    QTemporaryDir m_dir;
    std::unique_ptr<store::SqliteStore> m_store;
    std::unique_ptr<engine::CutoverEngine> m_engine;
    std::unique_ptr<ui::WarRoomWindow> m_window;
    std::optional<engine::Operator> m_bob;
};

void TestWarRoomRollbackKeys::initTestCase() {
    QCoreApplication::setOrganizationName(u"cutover-console-tests"_s);
    QCoreApplication::setApplicationName(u"test_war_room_rollback_keys"_s);
    m_state = lab::loadState();
    REQUIRE_LAB(m_state);
    m_plan = lab::loadPlan(m_state);
    QVERIFY(m_plan);
    auto opened = store::SqliteStore::open({m_dir.filePath(u"store.sqlite"_s)});
    QVERIFY(opened.ok());
    m_store = std::move(opened.value());
    store::OperatorsFile operators;
    operators.upsert(makeOperator(u"bob"_s, u"on_call"_s));
    operators.upsert(makeOperator(u"dave"_s, u"on_call"_s));
    m_engine = std::make_unique<engine::CutoverEngine>(*m_plan, *m_store, operators,
                                                       engine::CutoverEngine::Options{});
    m_window = std::make_unique<ui::WarRoomWindow>(*m_engine);
    m_window->resize(1366, 768);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_engine->start();

    // Bob (on call: view, tick, rollback) signs in through the dialog, as a person would.
    m_window->askSignIn();
    ui::SignInDialog *signIn = m_window->signInDialog();
    QVERIFY(signIn);
    QTRY_VERIFY_WITH_TIMEOUT(signIn->isVisible(), 5000);
    QTest::keyClicks(signIn->nameEdit(), u"bob"_s);
    QTest::keyClicks(signIn->passphraseEdit(), u"pass-bob"_s);
    QSignalSpy changed(m_window.get(), &ui::WarRoomWindow::operatorChanged);
    QTest::keyClick(signIn->passphraseEdit(), Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(changed.size(), 1, 10'000);
    m_bob = m_engine->operatorNamed(u"bob"_s);
    QVERIFY(m_bob);
    m_window->refresh();
    QTRY_VERIFY_WITH_TIMEOUT(m_window->rollbackControl()->button()->isEnabled(), 10'000);
}

void TestWarRoomRollbackKeys::cleanupTestCase() {
    if (m_engine && m_bob) {
        auto *op = m_engine->rollback(kEnvironment, *m_bob, u"cleanup"_s);
        QSignalSpy done(op, &engine::Operation::finished);
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 15'000);
    }
    m_window.reset();
    m_engine.reset();
}

void TestWarRoomRollbackKeys::cleanup() {
    // A failed case must not leave its dialog or an armed Rollback to the next one.
    m_window->rollbackControl()->disarm();
    while (QWidget *modal = QApplication::activeModalWidget())
        modal->close();
    m_window->rollbackHotkey()->dismissSetAside();
}

void TestWarRoomRollbackKeys::moveLabAwayFromLegacy() {
    const QString server = m_plan->pools.otel.constFirst();
    for (const config::LoadBalancer &lb : m_plan->loadBalancers) {
        backends::HaproxyRuntimeClient client(lb);
        const auto set = lab::await(client.setWeight(lb.backend, server, 10), this);
        QVERIFY2(set.ok(), qPrintable(lb.name));
    }
}

void TestWarRoomRollbackKeys::labIsOnLegacy() {
    const auto legacy = backends::rollbackWeights(m_plan->pools.legacy, m_plan->pools.otel).weights;
    for (const config::LoadBalancer &lb : m_plan->loadBalancers) {
        backends::HaproxyRuntimeClient client(lb);
        const auto read = lab::await(client.getWeights(lb.backend, legacy.keys()), this);
        QVERIFY2(read.ok(), qPrintable(lb.name));
        for (auto it = legacy.cbegin(); it != legacy.cend(); ++it)
            QCOMPARE(read.value().value(it.key()).current, it.value());
    }
}

void TestWarRoomRollbackKeys::pressRollbackKeys() {
    // The keys go where a person's keys go: the widget that has the keyboard focus, in the
    // active window (the dialog, once the platform has activated it).
    QTRY_VERIFY_WITH_TIMEOUT(
        QApplication::activeWindow() && QApplication::activeWindow() != m_window.get(), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(QApplication::focusWidget(), 5000);
    QWidget *focus = QApplication::focusWidget();
    QVERIFY(focus);
    QTest::keyClick(focus, Qt::Key_R, Qt::ControlModifier | Qt::ShiftModifier);
}

TestWarRoomRollbackKeys::Opened TestWarRoomRollbackKeys::open(const QString &which) {
    Opened o;
    QWidget *window = m_window.get();
    if (which == u"keyboard shortcuts"_s) {
        m_window->showShortcuts();
        o.dialog = visibleModal<QMessageBox>();
    } else if (which == u"sign-in"_s) {
        m_window->askSignIn();
        auto *d = m_window->signInDialog();
        o.dialog = d;
        if (d) {
            d->nameEdit()->clear();
            QTest::keyClicks(d->nameEdit(), u"carol"_s);
            QTest::keyClicks(d->passphraseEdit(), u"half-typ"_s);
            o.passphrase = d->passphraseEdit();
            o.kept = d->nameEdit();
        }
    } else if (which == u"shift confirmation"_s) {
        // The real preview (with the engine's refusals, which only decide whether the window
        // offers the dialog): the keys must work whatever the dialog shows.
        auto *d = new ui::ShiftDialog(m_engine->previewShift(kEnvironment, *m_bob),
                                      m_bob->printedName, window);
        d->setAttribute(Qt::WA_DeleteOnClose);
        d->open();
        QTest::keyClicks(d->passphraseEdit(), u"half-typ"_s);
        o.dialog = d;
        o.passphrase = d->passphraseEdit();
    } else if (which == u"sign-off"_s) {
        const auto snapshot = m_engine->snapshot(kEnvironment);
        if (snapshot.gates.isEmpty())
            return o;
        auto *d = new ui::SignOffDialog(kEnvironment, snapshot.gates.constFirst(),
                                        m_bob->printedName, {u"on_call"_s}, window);
        d->setAttribute(Qt::WA_DeleteOnClose);
        d->open();
        QTest::keyClicks(d->passphraseEdit(), u"half-typ"_s);
        o.dialog = d;
        o.passphrase = d->passphraseEdit();
    } else if (which == u"step back"_s) {
        auto *d = new ui::StepBackDialog(kEnvironment, 25, {10}, m_bob->printedName, window);
        d->setAttribute(Qt::WA_DeleteOnClose);
        d->open();
        QTest::keyClicks(d->reasonEdit(), u"queue saturated"_s);
        QTest::keyClicks(d->passphraseEdit(), u"half-typ"_s);
        o.dialog = d;
        o.passphrase = d->passphraseEdit();
        o.kept = d->reasonEdit();
    } else if (which == u"executive board export"_s) {
        for (auto *button : m_window->executiveBoard()->findChildren<QPushButton *>()) {
            if (button->text().contains(u"Export PDF"_s))
                button->click();
        }
        o.dialog = visibleModal<QFileDialog>();
    } else if (which == u"audit export"_s) {
        if (QAction *action = menuAction(window, u"&Export audit log…"_s))
            action->trigger();
        o.dialog = visibleModal<QFileDialog>();
    }
    return o;
}

void TestWarRoomRollbackKeys::rollbackFromInsideADialog_data() {
    QTest::addColumn<QString>("which");
    for (const char *which : {"keyboard shortcuts", "sign-in", "shift confirmation", "sign-off",
                              "step back", "executive board export", "audit export"})
        QTest::newRow(which) << QString::fromUtf8(which);
}

void TestWarRoomRollbackKeys::rollbackFromInsideADialog() {
    QFETCH(QString, which);
    moveLabAwayFromLegacy();
    const Opened o = open(which);
    QVERIFY2(o.dialog, "the dialog did not open");
    QTRY_VERIFY_WITH_TIMEOUT(o.dialog->isVisible(), 5000);
    ui::RollbackControl *control = m_window->rollbackControl();
    QVERIFY(!control->isArmed());

    pressRollbackKeys();
    QVERIFY2(!o.dialog->isVisible(), "the dialog was not set aside");
    QVERIFY(control->isArmed());
    QCOMPARE(m_window->rollbackHotkey()->setAside().size(), 1);
    if (o.passphrase)
        QVERIFY2(o.passphrase->text().isEmpty(), "a half-typed passphrase survived");
    // The window takes the keyboard back (activation goes through the platform), and Enter lands
    // on the armed button.
    QTRY_COMPARE_WITH_TIMEOUT(QApplication::focusWidget(), control->button(), 5000);

    QSignalSpy finished(m_window.get(), &ui::WarRoomWindow::operationFinished);
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_Return);
    QVERIFY(finished.wait(20'000));
    QVERIFY2(finished.first().first().toBool(), qPrintable(finished.first().at(1).toString()));
    QCOMPARE(m_window->rollbackProgress()->outcome(), ui::RollbackProgressPanel::Outcome::Verified);
    labIsOnLegacy();
    // What the dialog was about to do no longer holds: it is closed, not brought back.
    QTRY_VERIFY_WITH_TIMEOUT(!o.dialog || !o.dialog->isVisible(), 5000);
    QVERIFY(m_window->rollbackHotkey()->setAside().isEmpty());
    QVERIFY(!visibleModal<QDialog>());
}

void TestWarRoomRollbackKeys::cancellingBringsTheDialogBack() {
    const Opened o = open(u"step back"_s);
    QVERIFY(o.dialog && o.kept && o.passphrase);
    QTRY_VERIFY_WITH_TIMEOUT(o.dialog->isVisible(), 5000);
    pressRollbackKeys();
    ui::RollbackControl *control = m_window->rollbackControl();
    QVERIFY(control->isArmed());
    QVERIFY(!o.dialog->isVisible());
    // What the operator sees now: the dialog gone, the Rollback armed and counting down.
    const QString shots = qEnvironmentVariable("CUTOVER_SCREENSHOT_DIR",
                                               QStringLiteral(CONSOLE_BUILD_DIR "/screenshots"));
    QDir().mkpath(shots);
    QVERIFY(m_window->grab().save(shots + u"/rollback-armed-from-a-dialog.png"_s));

    QSignalSpy finished(m_window.get(), &ui::WarRoomWindow::operationFinished);
    QTest::keyClick(control->button(), Qt::Key_Escape);
    QVERIFY(!control->isArmed());
    QVERIFY2(o.dialog->isVisible(), "the dialog did not come back");
    QCOMPARE(o.kept->text(), u"queue saturated"_s); // what was typed, kept
    QVERIFY(o.passphrase->text().isEmpty());        // except the passphrase
    QCOMPARE(finished.size(), 0);
    qobject_cast<QDialog *>(o.dialog.data())->reject();
}

void TestWarRoomRollbackKeys::breakGlassFromTheSignInDialog() {
    // Someone typed five wrong passphrases under dave's name: he is locked out of signing in.
    for (int i = 0; i < 5; ++i)
        (void)m_engine->signIn(u"dave"_s, u"wrong"_s);
    moveLabAwayFromLegacy();
    m_window->askSignIn();
    ui::SignInDialog *dialog = m_window->signInDialog();
    QVERIFY(dialog);
    QTRY_VERIFY_WITH_TIMEOUT(dialog->isVisible(), 5000);
    QVERIFY(!dialog->breakGlassButton()->isVisible());
    dialog->nameEdit()->clear();
    QTest::keyClicks(dialog->nameEdit(), u"dave"_s);
    QTest::keyClicks(dialog->passphraseEdit(), u"pass-dave"_s);
    QTest::keyClick(dialog->passphraseEdit(), Qt::Key_Return);
    // Refused (locked), but the rollback is offered: his role may roll back.
    QTRY_VERIFY_WITH_TIMEOUT(dialog->breakGlassButton()->isVisible(), 5000);
    QVERIFY2(dialog->message().contains(u"locked"_s), qPrintable(dialog->message()));
    QVERIFY(dialog->passphraseEdit()->text().isEmpty());
    QVERIFY(!dialog->breakGlassButton()->isEnabled()); // the passphrase is typed again
    QTest::keyClicks(dialog->passphraseEdit(), u"pass-dave"_s);
    QVERIFY(dialog->breakGlassButton()->isEnabled());
    const QString shots = qEnvironmentVariable("CUTOVER_SCREENSHOT_DIR",
                                               QStringLiteral(CONSOLE_BUILD_DIR "/screenshots"));
    QVERIFY(dialog->grab().save(shots + u"/sign-in-break-glass.png"_s));

    QSignalSpy finished(m_window.get(), &ui::WarRoomWindow::operationFinished);
    QTest::mouseClick(dialog->breakGlassButton(), Qt::LeftButton);
    QVERIFY(finished.wait(20'000));
    QVERIFY2(finished.first().first().toBool(), qPrintable(finished.first().at(1).toString()));
    labIsOnLegacy();
    int breakGlass = 0;
    for (const auto &e : m_store->auditEntries().value())
        breakGlass += e.action == u"break_glass_rollback"_s && e.actor == u"dave"_s ? 1 : 0;
    QCOMPARE(breakGlass, 1);
    // Only the rollback: dave is still locked out, and the window's operator did not change.
    QCOMPARE(m_engine->signIn(u"dave"_s, u"pass-dave"_s).outcome,
             store::SignInResult::Outcome::Locked);
    QCOMPARE(m_window->currentOperator()->name, u"bob"_s);
}

QTEST_MAIN(TestWarRoomRollbackKeys)
#include "test_war_room_rollback_keys.moc"
