#include "app/cli/passphrase_input.h"

#include <QFile>

#ifdef Q_OS_UNIX
#include <termios.h>
#include <unistd.h>
#endif

namespace cutover::cli {

namespace {

bool readsTerminal(const QTextStream &in) {
#ifdef Q_OS_UNIX
    const auto *file = qobject_cast<const QFile *>(in.device());
    return file && file->handle() == STDIN_FILENO && ::isatty(STDIN_FILENO) == 1;
#else
    Q_UNUSED(in)
    return false;
#endif
}

#ifdef Q_OS_UNIX
// Echo off for its lifetime; restores the saved settings even when reading throws or fails.
class EchoOff {
public:
    EchoOff() {
        m_saved = ::tcgetattr(STDIN_FILENO, &m_settings) == 0;
        if (!m_saved)
            return;
        termios quiet = m_settings;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        quiet.c_lflag |= ECHONL; // the Enter still moves to the next line
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    ~EchoOff() {
        if (m_saved)
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &m_settings);
    }
    EchoOff(const EchoOff &) = delete;
    EchoOff &operator=(const EchoOff &) = delete;

private:
    termios m_settings{};
    bool m_saved = false;
};
#endif

} // namespace

QString readPassphraseLine(QTextStream &in, QTextStream &err, const QString &prompt) {
    QString line;
    if (readsTerminal(in)) {
        err << prompt;
        err.flush();
#ifdef Q_OS_UNIX
        EchoOff quiet;
        line = in.readLine();
#endif
    } else {
        line = in.readLine();
    }
    if (line.endsWith(u'\r'))
        line.chop(1);
    return line;
}

} // namespace cutover::cli
