#pragma once

// The slow half of a passphrase check (the key derivation) runs on a worker thread; the dialog
// that asked shows that it is checking, keeps Esc, and takes no second submission meanwhile.

#include "app/store/passphrase_proof.h"

#include <QFuture>

#include <functional>

class QDialog;

namespace cutover::ui {

// Calls `then` with the proof on the UI thread once `check` finishes — unless `dialog` was
// closed (the check is dropped with it: Esc cancels) or set aside for a rollback (hidden) in the
// meantime: then `discarded` runs instead and nothing is submitted.
void whenPassphraseChecked(QDialog *dialog, const QFuture<store::PassphraseProof> &check,
                           std::function<void(const store::PassphraseProof &)> then,
                           std::function<void()> discarded);

// What a dialog says when its check was discarded because it was set aside.
QString passphraseCheckDiscardedText();

} // namespace cutover::ui
