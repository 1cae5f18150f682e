// The sign-off and sign-in dialogs, offscreen, filled from the keyboard with QTest: Sign is
// enabled only with a meaning and a passphrase, the statement names what is signed, a refusal
// is shown without closing, and every control has an accessible name.
//
// Set WAR_ROOM_PNG_DIR to save what the dialogs look like.

#include "app/config/plan_loader.h"
#include "app/cutover/gate_status.h"
#include "theme_screenshots.h"
#include "ui/dialogs/sign_in_dialog.h"
#include "ui/dialogs/sign_off_dialog.h"
#include "ui/war_room/step_back_dialog.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QStyleFactory>
#include <QTest>
#include <QTreeWidget>

using namespace Qt::StringLiterals;
using namespace cutover;

namespace {

const QDateTime Now = QDateTime(QDate(2024, 5, 1), QTime(10, 0), Qt::UTC);

engine::GateStatus gate1() {
    const auto result = config::loadPlanFile(u":/plans/default.yaml"_s);
    if (!result.ok())
        qFatal("default plan does not load");
    engine::GateInputs in;
    in.plan = &*result.plan;
    in.now = Now;
    in.ticks.append(store::Tick{u"production"_s, u"gate_1"_s, u"no_complaints"_s, u"alice"_s,
                                u"release_manager"_s, Now.addSecs(-600)});
    engine::GateStatus gate = engine::evaluateGate(*result.plan->gate(u"gate_1"_s), in);
    for (int i = 0; i < 3; ++i) {
        gate.checks[i].state = engine::CheckStatus::State::Pass;
        gate.checks[i].detail = u"within bounds for 10m"_s;
    }
    return gate;
}

// Every interactive control of `root` (and labels that carry state) has an accessible name.
QStringList controlsWithoutAccessibleName(QWidget *root) {
    QStringList missing;
    const auto widgets = root->findChildren<QWidget *>();
    for (QWidget *w : widgets) {
        const bool interactive = qobject_cast<QLineEdit *>(w) || qobject_cast<QComboBox *>(w) ||
                                 qobject_cast<QPushButton *>(w) ||
                                 qobject_cast<QPlainTextEdit *>(w) ||
                                 qobject_cast<QTreeWidget *>(w);
        // A combo box's own line edit is named through the combo box.
        if (qobject_cast<QLineEdit *>(w) && qobject_cast<QComboBox *>(w->parentWidget()))
            continue;
        if (interactive && w->accessibleName().isEmpty())
            missing.append(QString::fromLatin1(w->metaObject()->className()) + u' ' +
                           w->objectName());
    }
    return missing;
}

} // namespace

class TestWarRoomDialogs : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void signOffEnabledOnlyWhenValid();
    void signOffOffersEveryEligibleRole();
    void signOffShowsARefusalWithoutClosing();
    void signOffAcknowledgesAMarginalScore();
    void signInRequestsAndShowsMessages();
    void stepBackNeedsAReasonAndKeepsRollbackNear();
};

void TestWarRoomDialogs::initTestCase() {
    QApplication::setStyle(QStyleFactory::create(u"Fusion"_s));
}

void TestWarRoomDialogs::signOffEnabledOnlyWhenValid() {
    ui::SignOffDialog dialog(u"production"_s, gate1(), u"Alice Smith"_s, {u"release_manager"_s});
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QCOMPARE(controlsWithoutAccessibleName(&dialog), QStringList());

    // What is signed: every item of the gate (the seed's 4 and 7 of data parity), the parity
    // score and the signature row, as they stand.
    QCOMPARE(dialog.itemsView()->topLevelItemCount(), 13);
    QCOMPARE(dialog.itemsView()->topLevelItem(11)->text(0), u"Parity score"_s);
    QCOMPARE(dialog.itemsView()->topLevelItem(3)->text(0), u"No customer complaints"_s);
    QCOMPARE(dialog.itemsView()->topLevelItem(3)->text(1), u"ticked"_s);
    QCOMPARE(dialog.roleBox()->count(), 1); // one eligible role: no choice to make
    QCOMPARE(dialog.role(), u"release_manager"_s);

    QVERIFY(!dialog.signButton()->isEnabled());
    // A meaning alone is not enough.
    dialog.meaningBox()->setFocus();
    QTest::keyClicks(dialog.meaningBox(), u"Approved"_s);
    QCOMPARE(dialog.meaning(), u"Approved"_s);
    QVERIFY(!dialog.signButton()->isEnabled());
    // A passphrase makes it signable.
    QTest::keyClicks(dialog.passphraseEdit(), u"correct horse"_s);
    QVERIFY(dialog.signButton()->isEnabled());
    QCOMPARE(dialog.passphraseEdit()->echoMode(), QLineEdit::Password);
    // Clearing the meaning disables it again.
    dialog.meaningBox()->setCurrentText(QString());
    QVERIFY(!dialog.signButton()->isEnabled());
    // Choosing a standard meaning from the list.
    dialog.meaningBox()->setCurrentIndex(2);
    QCOMPARE(dialog.meaning(), u"Verified"_s);
    QVERIFY(dialog.signButton()->isEnabled());
    QTest::keyClicks(dialog.commentEdit(), u"Error rate flat since the shift"_s);

    const QString statement = dialog.statement();
    QVERIFY(statement.startsWith(u"By signing you confirm"_s));
    QVERIFY(statement.contains(u"Alice Smith"_s));
    QVERIFY(statement.contains(u"release_manager"_s));
    QVERIFY(statement.contains(u"Gate 1: 10% stable (24 hours)"_s));
    QVERIFY(statement.contains(u"“Verified”"_s));
    QVERIFY(statement.contains(u"date and time"_s));
    saveInBothThemes(&dialog, u"sign_off_dialog"_s);

    QSignalSpy requests(&dialog, &ui::SignOffDialog::signRequested);
    QTest::mouseClick(dialog.signButton(), Qt::LeftButton);
    QCOMPARE(requests.size(), 1);
    QCOMPARE(requests.at(0).at(0).toString(), u"release_manager"_s);
    QCOMPARE(requests.at(0).at(1).toString(), u"Verified"_s);
    QCOMPARE(requests.at(0).at(2).toString(), u"Error rate flat since the shift"_s);
    QCOMPARE(requests.at(0).at(3).toString(), u"correct horse"_s);
    QVERIFY(dialog.isVisible()); // the window decides: accept() or setMessage()
    dialog.accept();
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
}

void TestWarRoomDialogs::signOffOffersEveryEligibleRole() {
    ui::SignOffDialog dialog(u"production"_s, gate1(), u"Erin Exec"_s,
                             {u"release_manager"_s, u"executive"_s});
    QCOMPARE(dialog.roleBox()->count(), 2);
    dialog.roleBox()->setCurrentIndex(1);
    QCOMPARE(dialog.role(), u"executive"_s);
    QVERIFY(dialog.statement().contains(u"acting as executive"_s));
    // Enter on the passphrase field signs, once valid.
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QSignalSpy requests(&dialog, &ui::SignOffDialog::signRequested);
    dialog.meaningBox()->setCurrentIndex(0);
    dialog.passphraseEdit()->setFocus();
    QTest::keyClick(dialog.passphraseEdit(), Qt::Key_Return);
    QCOMPARE(requests.size(), 0);
    QTest::keyClicks(dialog.passphraseEdit(), u"pw"_s);
    QTest::keyClick(dialog.passphraseEdit(), Qt::Key_Return);
    QCOMPARE(requests.size(), 1);
    QCOMPARE(requests.at(0).at(0).toString(), u"executive"_s);
}

void TestWarRoomDialogs::signOffShowsARefusalWithoutClosing() {
    ui::SignOffDialog dialog(u"production"_s, gate1(), u"Alice Smith"_s, {u"release_manager"_s});
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    dialog.meaningBox()->setCurrentIndex(0);
    QTest::keyClicks(dialog.passphraseEdit(), u"wrong"_s);
    QSignalSpy requests(&dialog, &ui::SignOffDialog::signRequested);
    QTest::mouseClick(dialog.signButton(), Qt::LeftButton);
    QCOMPARE(requests.size(), 1);
    dialog.setMessage(u"Wrong passphrase: the signature was not recorded."_s);
    QVERIFY(dialog.isVisible());
    QVERIFY(dialog.messageLabel()->isVisible());
    QVERIFY(dialog.passphraseEdit()->text().isEmpty());
    QVERIFY(!dialog.signButton()->isEnabled());
    QCOMPARE(dialog.meaning(), u"Approved"_s);
    saveInBothThemes(&dialog, u"sign_off_refused"_s);
}

// A marginal parity score: Sign stays disabled until the signer ticks the acknowledgement
// (Alt+A) and says why in the comment; the request carries the acknowledgement.
void TestWarRoomDialogs::signOffAcknowledgesAMarginalScore() {
    engine::GateStatus gate = gate1();
    analysis::GateScore score;
    score.score = 83.3;
    score.classification = analysis::GateClass::Marginal;
    score.reason = u"Score 83.3 (marginal: pass needs 95); latency 100, completeness 66.7."_s;
    gate.score = score;
    ui::SignOffDialog dialog(u"production"_s, gate, u"Alice Smith"_s, {u"release_manager"_s});
    dialog.resize(900, 640);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QVERIFY(dialog.acknowledgeBox()->isVisible());
    score.thresholds.pass = 95;
    QVERIFY2(
        dialog.acknowledgeBox()->text().contains(u"marginal parity score 83.3 (pass needs 95)"_s),
        qPrintable(dialog.acknowledgeBox()->text()));
    // The score is an item of what is signed, with its reason.
    const auto scoreRows = dialog.itemsView()->findItems(u"Parity score"_s, Qt::MatchExactly);
    QCOMPARE(scoreRows.size(), 1);
    QCOMPARE(scoreRows.first()->text(1), u"marginal"_s);
    QCOMPARE(scoreRows.first()->text(2), score.reason);
    QCOMPARE(controlsWithoutAccessibleName(&dialog), QStringList());
    dialog.meaningBox()->setCurrentIndex(0);
    QTest::keyClicks(dialog.passphraseEdit(), u"pw"_s);
    QVERIFY(!dialog.signButton()->isEnabled());
    dialog.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&dialog));
    QTest::keyClick(&dialog, Qt::Key_A, Qt::AltModifier);
    // A mnemonic clicks the box with an animation: it toggles a moment later.
    QTRY_VERIFY_WITH_TIMEOUT(dialog.acknowledgeBox()->isChecked(), 2000);
    QVERIFY(!dialog.signButton()->isEnabled()); // still no comment
    dialog.commentEdit()->setFocus();
    QTest::keyClicks(dialog.commentEdit(), u"One collector replays a known backlog"_s);
    QVERIFY(dialog.signButton()->isEnabled());
    saveInBothThemes(&dialog, u"sign_off_marginal"_s);
    QSignalSpy requests(&dialog, &ui::SignOffDialog::signRequested);
    QTest::mouseClick(dialog.signButton(), Qt::LeftButton);
    QCOMPARE(requests.size(), 1);
    QCOMPARE(requests.at(0).at(4).toBool(), true);

    // Not marginal: no acknowledgement shown, and none sent.
    ui::SignOffDialog plain(u"production"_s, gate1(), u"Alice Smith"_s, {u"release_manager"_s});
    plain.show();
    QVERIFY(QTest::qWaitForWindowExposed(&plain));
    QVERIFY(!plain.acknowledgeBox()->isVisible());
    QVERIFY(!plain.acknowledgesMarginal());
}

void TestWarRoomDialogs::signInRequestsAndShowsMessages() {
    ui::SignInDialog dialog(u"Phase 3: production cutover"_s);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QCOMPARE(controlsWithoutAccessibleName(&dialog), QStringList());
    QSignalSpy requests(&dialog, &ui::SignInDialog::signInRequested);

    QVERIFY(!dialog.signInButton()->isEnabled());
    QTest::keyClicks(dialog.nameEdit(), u"alice"_s);
    QVERIFY(!dialog.signInButton()->isEnabled());
    QTest::keyClicks(dialog.passphraseEdit(), u"wrong"_s);
    QVERIFY(dialog.signInButton()->isEnabled());
    QTest::keyClick(dialog.passphraseEdit(), Qt::Key_Return);
    QCOMPARE(requests.size(), 1);
    QCOMPARE(requests.at(0).at(0).toString(), u"alice"_s);
    QCOMPARE(requests.at(0).at(1).toString(), u"wrong"_s);

    dialog.setMessage(u"Locked until 10:42 UTC after 5 failed attempts."_s);
    QVERIFY(dialog.isVisible());
    QVERIFY(dialog.messageLabel()->isVisible());
    QCOMPARE(dialog.message(), u"Locked until 10:42 UTC after 5 failed attempts."_s);
    QVERIFY(dialog.passphraseEdit()->text().isEmpty());
    QCOMPARE(dialog.name(), u"alice"_s);
    QVERIFY(!dialog.signInButton()->isEnabled());
    saveInBothThemes(&dialog, u"sign_in_dialog"_s);

    dialog.setBusy(true);
    QTest::keyClicks(dialog.passphraseEdit(), u"x"_s);
    QVERIFY(!dialog.signInButton()->isEnabled());
    dialog.setBusy(false);
    dialog.passphraseEdit()->setText(u"right"_s);
    QTest::mouseClick(dialog.signInButton(), Qt::LeftButton);
    QCOMPARE(requests.size(), 2);

    // Locked out with a role that may roll back: break-glass, from the keyboard (Alt+G).
    QVERIFY(!dialog.breakGlassButton()->isVisible());
    dialog.setMessage(u"alice is locked after 5 wrong passphrases until 10:42:00 UTC."_s);
    dialog.offerBreakGlass(u"production"_s);
    QVERIFY(dialog.breakGlassButton()->isVisible());
    QCOMPARE(controlsWithoutAccessibleName(&dialog), QStringList());
    QVERIFY(!dialog.breakGlassButton()->isEnabled()); // the passphrase is typed again
    QSignalSpy breakGlass(&dialog, &ui::SignInDialog::breakGlassRequested);
    QTest::keyClicks(dialog.passphraseEdit(), u"right"_s);
    QVERIFY(dialog.breakGlassButton()->isEnabled());
    saveInBothThemes(&dialog, u"sign_in_break_glass"_s);
    QVERIFY(QTest::qWaitForWindowActive(&dialog));
    QTest::keyClick(&dialog, Qt::Key_G, Qt::AltModifier);
    QTRY_COMPARE_WITH_TIMEOUT(breakGlass.size(), 1, 2000); // a mnemonic animates the click
    QCOMPARE(breakGlass.at(0).at(0).toString(), u"alice"_s);
    QCOMPARE(breakGlass.at(0).at(1).toString(), u"right"_s);
    QCOMPARE(requests.size(), 2); // not a sign-in
    dialog.accept();
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
}

void TestWarRoomDialogs::stepBackNeedsAReasonAndKeepsRollbackNear() {
    auto stepBackButton = [](ui::StepBackDialog &dialog) -> QAbstractButton * {
        for (QAbstractButton *b : dialog.buttons()->buttons())
            if (dialog.buttons()->buttonRole(b) == QDialogButtonBox::AcceptRole)
                return b;
        return nullptr;
    };
    {
        ui::StepBackDialog dialog(u"production"_s, 50, {25, 10}, u"Alice Smith"_s);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QCOMPARE(controlsWithoutAccessibleName(&dialog), QStringList());
        QCOMPARE(dialog.targetBox()->count(), 2);
        QCOMPARE(dialog.percent(), 25); // the nearest earlier stage first
        QAbstractButton *confirm = stepBackButton(dialog);
        QVERIFY(confirm);
        QVERIFY(!confirm->isEnabled());
        // The reason field has the focus: typing goes there.
        QTest::keyClicks(QApplication::focusWidget(), u"queue saturated at 50%"_s);
        QCOMPARE(dialog.reason(), u"queue saturated at 50%"_s);
        QVERIFY(!confirm->isEnabled()); // no passphrase yet
        QTest::keyClicks(dialog.passphraseEdit(), u"pass"_s);
        QVERIFY(confirm->isEnabled());
        QTest::keyClick(dialog.targetBox(), Qt::Key_Down);
        QCOMPARE(dialog.percent(), 10);
        dialog.reasonEdit()->clear();
        QVERIFY(!confirm->isEnabled()); // a blank reason is no reason
        QTest::keyClicks(dialog.reasonEdit(), u"cold fleet: return gradually"_s);
        saveInBothThemes(&dialog, u"step_back_dialog"_s);
        // Enter asks for the passphrase check; the window accepts once it is verified.
        QSignalSpy requested(&dialog, &ui::StepBackDialog::confirmRequested);
        QTest::keyClick(dialog.passphraseEdit(), Qt::Key_Return);
        QCOMPARE(requested.size(), 1);
        QVERIFY(dialog.isVisible());
        QCOMPARE(dialog.passphrase(), u"pass"_s);
        dialog.setChecking(true);
        QVERIFY(!confirm->isEnabled());
        QVERIFY(!dialog.passphraseEdit()->isEnabled());
        QVERIFY(dialog.hintLabel()->text().startsWith(u"Checking the passphrase"_s));
        QTest::keyClick(&dialog, Qt::Key_Return);
        QCOMPARE(requested.size(), 1); // no second submission while checking
        dialog.setMessage(u"wrong operator name or passphrase"_s);
        QVERIFY(!dialog.isChecking());
        QVERIFY(dialog.passphrase().isEmpty());
        QCOMPARE(dialog.hintLabel()->text(), u"wrong operator name or passphrase"_s);
        QVERIFY(!confirm->isEnabled()); // typed again first
        QTest::keyClicks(dialog.passphraseEdit(), u"pass"_s);
        QVERIFY(confirm->isEnabled());
        QTest::keyClick(dialog.passphraseEdit(), Qt::Key_Return);
        QCOMPARE(requested.size(), 2);
    }
}

QTEST_MAIN(TestWarRoomDialogs)
#include "test_war_room_dialogs.moc"
