#pragma once

// SIGTERM / SIGINT as a Qt signal (the self-pipe pattern): the handler only writes a byte to a
// socket pair; a QSocketNotifier turns it into `received` on the event loop, where it is safe to
// do anything. Written by hand: Qt has no portable API for POSIX signals.

#include <QObject>

class QSocketNotifier;

namespace cutover::controller {

class UnixSignals : public QObject {
    Q_OBJECT
public:
    // Installs handlers for SIGTERM, SIGINT and SIGHUP (ignored: a controller does not reload).
    // One instance per process.
    explicit UnixSignals(QObject *parent = nullptr);
    ~UnixSignals() override;

Q_SIGNALS:
    void received(int signal);

private:
    void onReadable();
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace cutover::controller
