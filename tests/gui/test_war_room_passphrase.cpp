// The passphrase is checked off the UI thread, offscreen, on a real engine and SQLite store (no
// lab needed: nothing here reaches a backend). The operator's hash uses the default cost, so the
// derivation takes a human-visible ~0.3 s:
// - Enter in the sign-in dialog returns at once with the dialog "Checking the passphrase…",
//   fields and Sign in disabled; a second Enter submits nothing; the sign-in then completes and
//   is audited exactly once;
// - Esc while checking closes the dialog and nothing is signed in or audited;
// - a dialog set aside (hidden, as the rollback hotkey does) while checking discards the check
//   and says so when it comes back.

#include "app/config/plan_loader.h"
#include "app/cutover/cutover_engine.h"
#include "app/store/passphrase.h"
#include "app/store/sqlite_store.h"
#include "ui/dialogs/passphrase_check.h"
#include "ui/dialogs/sign_in_dialog.h"
#include "ui/war_room/war_room_window.h"

#include <QApplication>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QStyleFactory>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using namespace cutover;

class TestWarRoomPassphrase : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void signInChecksOffTheUiThread();
    void escapeWhileCheckingSubmitsNothing();
    void setAsideWhileCheckingDiscardsTheCheck();

private:
    ui::SignInDialog *typeIntoSignIn(const QString &passphrase);
    int auditCount(const QString &action) const;

    store::OperatorsFile m_operators;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<store::Store> m_store;
    std::unique_ptr<engine::CutoverEngine> m_engine;
    std::unique_ptr<ui::WarRoomWindow> m_window;
};

void TestWarRoomPassphrase::initTestCase() {
    QApplication::setStyle(QStyleFactory::create(u"Fusion"_s));
    store::Operator alice;
    alice.name = u"alice"_s;
    alice.displayName = u"Alice Example"_s;
    alice.roles = {u"release_manager"_s};
    store::setPassphrase(alice, u"pass-alice"_s); // the default cost on purpose
    m_operators.upsert(alice);
}

void TestWarRoomPassphrase::init() {
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    auto loaded = config::loadPlanFile(u":/plans/default.yaml"_s);
    QVERIFY(loaded.ok());
    store::SqliteStore::Options options;
    options.path = m_dir->filePath(u"store.sqlite"_s);
    auto opened = store::SqliteStore::open(options);
    QVERIFY(opened);
    m_store = std::move(opened.value());
    engine::CutoverEngine::Options engineOptions;
    engineOptions.monitor = false;
    engineOptions.coordinate = false;
    m_engine =
        std::make_unique<engine::CutoverEngine>(*loaded.plan, *m_store, m_operators, engineOptions);
    m_window = std::make_unique<ui::WarRoomWindow>(*m_engine);
    m_window->resize(1366, 768);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_engine->start();
}

void TestWarRoomPassphrase::cleanup() {
    m_window.reset();
    m_engine.reset();
    m_store.reset();
    m_dir.reset();
}

ui::SignInDialog *TestWarRoomPassphrase::typeIntoSignIn(const QString &passphrase) {
    m_window->askSignIn();
    ui::SignInDialog *dialog = m_window->signInDialog();
    if (!dialog || !QTest::qWaitForWindowExposed(dialog))
        return nullptr;
    dialog->nameEdit()->clear();
    QTest::keyClicks(dialog->nameEdit(), u"alice"_s);
    QTest::keyClicks(dialog->passphraseEdit(), passphrase);
    return dialog;
}

int TestWarRoomPassphrase::auditCount(const QString &action) const {
    const auto entries = m_store->auditEntries(0);
    if (!entries)
        return -1;
    return int(std::count_if(entries.value().cbegin(), entries.value().cend(),
                             [&](const store::AuditEntry &e) { return e.action == action; }));
}

void TestWarRoomPassphrase::signInChecksOffTheUiThread() {
    ui::SignInDialog *dialog = typeIntoSignIn(u"pass-alice"_s);
    QVERIFY(dialog);
    QSignalSpy changed(m_window.get(), &ui::WarRoomWindow::operatorChanged);
    QTest::keyClick(dialog->passphraseEdit(), Qt::Key_Return);
    // Back at once: the derivation runs elsewhere and the answer arrives through the event loop.
    QVERIFY(changed.isEmpty());
    QVERIFY(dialog->isChecking());
    QVERIFY2(dialog->message().startsWith(u"Checking the passphrase"_s),
             qPrintable(dialog->message()));
    QVERIFY(!dialog->signInButton()->isEnabled());
    QVERIFY(!dialog->passphraseEdit()->isEnabled());
    QVERIFY(!dialog->nameEdit()->isEnabled());
    if (const QString shots = qEnvironmentVariable("WAR_ROOM_PNG_DIR"); !shots.isEmpty())
        QVERIFY(dialog->grab().save(shots + u"/sign_in_checking.png"_s)); // no event processed
    // No double submission: Enter again (on the dialog, as a user would) sends nothing.
    QTest::keyClick(dialog, Qt::Key_Return);
    QVERIFY(changed.wait(10'000));
    QVERIFY(m_window->currentOperator());
    QCOMPARE(m_window->currentOperator()->name, u"alice"_s);
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->signInDialog(), 5000);
    QCOMPARE(auditCount(u"signed_in"_s), 1);
    QCOMPARE(auditCount(u"sign_in_failed"_s), 0);
}

void TestWarRoomPassphrase::escapeWhileCheckingSubmitsNothing() {
    ui::SignInDialog *dialog = typeIntoSignIn(u"pass-alice"_s);
    QVERIFY(dialog);
    QPointer<ui::SignInDialog> guard(dialog);
    QSignalSpy changed(m_window.get(), &ui::WarRoomWindow::operatorChanged);
    QTest::keyClick(dialog->passphraseEdit(), Qt::Key_Return);
    QVERIFY(dialog->isChecking());
    QTest::keyClick(dialog, Qt::Key_Escape);
    QTRY_VERIFY_WITH_TIMEOUT(!guard, 5000); // closed (and deleted) while checking
    // Far longer than the derivation: the dropped check must not sign anyone in.
    QVERIFY(!changed.wait(3000));
    QVERIFY(!m_window->currentOperator());
    QCOMPARE(auditCount(u"signed_in"_s), 0);
    QCOMPARE(auditCount(u"sign_in_failed"_s), 0);
}

void TestWarRoomPassphrase::setAsideWhileCheckingDiscardsTheCheck() {
    ui::SignInDialog *dialog = typeIntoSignIn(u"pass-alice"_s);
    QVERIFY(dialog);
    QTest::keyClick(dialog->passphraseEdit(), Qt::Key_Return);
    QVERIFY(dialog->isChecking());
    dialog->hide(); // what the rollback hotkey does to every open dialog
    QTRY_COMPARE_WITH_TIMEOUT(dialog->message(), ui::passphraseCheckDiscardedText(), 10'000);
    QVERIFY(!dialog->isChecking());
    QVERIFY(dialog->passphraseEdit()->text().isEmpty());
    QVERIFY(!m_window->currentOperator());
    QCOMPARE(auditCount(u"signed_in"_s), 0);
    dialog->show(); // brought back: it says why, and a retry goes through
    QTest::keyClicks(dialog->passphraseEdit(), u"pass-alice"_s);
    QSignalSpy changed(m_window.get(), &ui::WarRoomWindow::operatorChanged);
    QTest::keyClick(dialog->passphraseEdit(), Qt::Key_Return);
    QVERIFY(changed.wait(10'000));
    QCOMPARE(auditCount(u"signed_in"_s), 1);
}

QTEST_MAIN(TestWarRoomPassphrase)
#include "test_war_room_passphrase.moc"
