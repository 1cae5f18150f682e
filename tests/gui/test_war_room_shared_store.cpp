// The war-room window on the shared PostgreSQL store (the `postgres` fixture) and the lab: when
// the server goes away the header says so in words (unreachable for how long, reconnecting,
// Shift and sign-off wait, Rollback works, audit entries kept on this desk), Shift is refused
// with the store as the reason, a rollback from the window still runs and is verified on both
// LBs, and when the server is back the notice goes, the journal is written and the chain
// verifies. PNGs of each state go to CUTOVER_SCREENSHOT_DIR (default: the build dir).

#include "tests/support/postgres_test_support.h"
#include "ui/dialogs/sign_in_dialog.h"
#include "ui/rollback/rollback_progress_panel.h"
#include "ui/war_room/header_bar.h"
#include "ui/war_room/rollback_control.h"
#include "ui/war_room/shift_panel.h"
#include "ui/war_room/war_room_window.h"

#include <QApplication>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScopeGuard>
#include <QTemporaryDir>

using namespace cutover;
using namespace enginetest;

namespace {
const QString kSchema = u"gui_shared_store"_s;
} // namespace

class TestWarRoomSharedStore : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void storeOutageIsSaidAndRollbackStillWorks();

private:
    void screenshot(const QString &name) {
        QCoreApplication::processEvents();
        QVERIFY(m_window->grab().save(m_shots + u'/' + name + u".png"_s));
    }

    QHash<QString, QString> m_state;
    std::optional<config::Plan> m_plan;
    QTemporaryDir m_dir;
    Console m_console;
    store::PostgresStore *m_store = nullptr;
    std::unique_ptr<ui::WarRoomWindow> m_window;
    std::unique_ptr<LabControl> m_lab;
    QString m_shots;
    bool m_stopped = false;
};

void TestWarRoomSharedStore::initTestCase() {
    QCoreApplication::setOrganizationName(u"cutover-console-tests"_s);
    QCoreApplication::setApplicationName(u"test_war_room_shared_store"_s);
    m_state = lab::loadState();
    REQUIRE_LAB(m_state);
    REQUIRE_POSTGRES();
    QVERIFY(pg::freshSchema(kSchema));
    QVERIFY(m_dir.isValid());
    m_plan = labPlanWithOperators(m_state, m_dir.path());
    QVERIFY(m_plan);
    m_lab = std::make_unique<LabControl>(m_state, *m_plan);
    QVERIFY(m_lab->reset(this));
    m_store = pg::openConsole(m_console, *m_plan,
                              pg::options(kSchema, m_dir.filePath(u"journal/audit.sqlite"_s)));
    QVERIFY(m_store);
    m_window = std::make_unique<ui::WarRoomWindow>(*m_console.engine);
    m_window->resize(1366, 768);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_shots = qEnvironmentVariable("CUTOVER_SCREENSHOT_DIR",
                                   QStringLiteral(CONSOLE_BUILD_DIR "/screenshots"));
    QDir().mkpath(m_shots);
    QTRY_VERIFY_WITH_TIMEOUT(pg::storeOk(m_console.snapshot()), 10'000);
}

void TestWarRoomSharedStore::cleanupTestCase() {
    if (m_stopped)
        (void)pg::script(u"start"_s);
    m_window.reset();
    m_console.close();
    if (m_lab)
        m_lab->reset(this);
}

void TestWarRoomSharedStore::storeOutageIsSaidAndRollbackStillWorks() {
    // Signed in as the on-call engineer while the store is up.
    m_window->askSignIn();
    ui::SignInDialog *dialog = m_window->signInDialog();
    QVERIFY(dialog);
    QTRY_VERIFY_WITH_TIMEOUT(dialog->isVisible(), 5000);
    dialog->nameEdit()->clear();
    QTest::keyClicks(dialog->nameEdit(), u"bob"_s);
    QTest::keyClicks(dialog->passphraseEdit(), passphraseOf(u"bob"_s));
    QSignalSpy signedIn(m_window.get(), &ui::WarRoomWindow::operatorChanged);
    QTest::keyClick(dialog->passphraseEdit(), Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(signedIn.size(), 1, 10'000);
    QVERIFY(m_window->currentOperator());
    QVERIFY(!m_window->header()->storeNotice()->isVisible());

    QVERIFY(pg::script(u"stop"_s));
    m_stopped = true;
    QTRY_VERIFY_WITH_TIMEOUT(m_window->header()->storeNotice()->isVisible(), 10'000);
    const QString notice = m_window->header()->storeNotice()->text();
    QVERIFY2(notice.contains(u"Store unreachable"_s) && notice.contains(u"reconnecting"_s),
             qPrintable(notice));
    QVERIFY2(notice.contains(u"Rollback works"_s), qPrintable(notice));
    m_window->refresh();
    const QString reasons = m_window->shiftPanel()->reasonsLabel()->text();
    QVERIFY2(reasons.contains(u"store"_s), qPrintable(reasons));
    screenshot(u"09-store-down"_s);

    // Rollback from the window: armed, confirmed, verified on both LBs.
    ui::RollbackControl *control = m_window->rollbackControl();
    QVERIFY(control->button()->isEnabled());
    QSignalSpy finished(m_window.get(), &ui::WarRoomWindow::operationFinished);
    QTest::mouseClick(control->button(), Qt::LeftButton);
    QVERIFY(control->isArmed());
    QTest::mouseClick(control->button(), Qt::LeftButton);
    QVERIFY(finished.wait(20'000));
    QVERIFY2(finished.first().first().toBool(), qPrintable(finished.first().at(1).toString()));
    QCOMPARE(m_window->rollbackProgress()->outcome(), ui::RollbackProgressPanel::Outcome::Verified);
    QVERIFY(m_lab->lbsHold(m_lab->rollbackWeights().weights, this));
    QTRY_VERIFY_WITH_TIMEOUT(
        m_window->header()->storeNotice()->text().contains(u"kept on this desk"_s), 5'000);
    screenshot(u"10-store-down-rolled-back"_s);

    // The server is back: the notice goes once the journal is written.
    QVERIFY(pg::script(u"start"_s));
    m_stopped = false;
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->header()->storeNotice()->isVisible(), 30'000);
    QCOMPARE(m_store->journalPending(), 0);
    screenshot(u"11-store-back"_s);
    const auto verified = m_store->verifyAuditChain();
    QVERIFY(verified);
    QVERIFY2(verified.value().ok, qPrintable(verified.value().toString()));
}

QTEST_MAIN(TestWarRoomSharedStore)
#include "test_war_room_shared_store.moc"
