#pragma once

#include <QString>
#include <QTextStream>

namespace cutover::cli {

// Reads one line, the passphrase, without its line ending. When `in` reads this process's
// standard input and that is a terminal, `prompt` goes to `err` and the terminal's echo is off
// while the line is typed (and restored afterwards, whatever happens). From a pipe or a file
// nothing is prompted and nothing is changed.
QString readPassphraseLine(QTextStream &in, QTextStream &err, const QString &prompt);

} // namespace cutover::cli
