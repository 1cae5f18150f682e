#include "ui/dialogs/passphrase_check.h"

#include <QCoreApplication>
#include <QDialog>
#include <QFutureWatcher>

namespace cutover::ui {

void whenPassphraseChecked(QDialog *dialog, const QFuture<store::PassphraseProof> &check,
                           std::function<void(const store::PassphraseProof &)> then,
                           std::function<void()> discarded) {
    // A child of the dialog: a dialog closed while checking takes the watcher with it.
    auto *watcher = new QFutureWatcher<store::PassphraseProof>(dialog);
    QObject::connect(watcher, &QFutureWatcherBase::finished, dialog,
                     [dialog, watcher, then = std::move(then), discarded = std::move(discarded)] {
                         watcher->deleteLater();
                         if (!dialog->isVisible() || !watcher->future().isResultReadyAt(0)) {
                             if (discarded)
                                 discarded();
                             return;
                         }
                         then(watcher->result());
                     });
    watcher->setFuture(check);
}

QString passphraseCheckDiscardedText() {
    return QCoreApplication::translate("cutover::ui::PassphraseCheck",
                                       "Not submitted: the dialog was set aside for a rollback. "
                                       "Type the passphrase again.");
}

} // namespace cutover::ui
