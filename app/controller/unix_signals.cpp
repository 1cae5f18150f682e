#include "app/controller/unix_signals.h"

#include <QSocketNotifier>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

namespace cutover::controller {

namespace {
int g_fds[2] = {-1, -1};

extern "C" void onSignal(int signal) {
    const char byte = char(signal);
    // Async-signal-safe: write(2) only. A full pipe loses the byte, and a signal already pending
    // says the same thing.
    [[maybe_unused]] const ssize_t written = ::write(g_fds[0], &byte, 1);
}

void install(int signal, void (*handler)(int)) {
    struct sigaction action {};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(signal, &action, nullptr);
}
} // namespace

UnixSignals::UnixSignals(QObject *parent)
    : QObject(parent) {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, g_fds) != 0)
        return;
    m_notifier = new QSocketNotifier(g_fds[1], QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &UnixSignals::onReadable);
    install(SIGTERM, onSignal);
    install(SIGINT, onSignal);
    install(SIGHUP, SIG_IGN);
}

UnixSignals::~UnixSignals() {
    install(SIGTERM, SIG_DFL);
    install(SIGINT, SIG_DFL);
    for (int &fd : g_fds) {
        if (fd >= 0)
            ::close(fd);
        fd = -1;
    }
}

void UnixSignals::onReadable() {
    char byte = 0;
    if (::read(g_fds[1], &byte, 1) == 1)
        Q_EMIT received(int(byte));
}

} // namespace cutover::controller
