// Sends one command to an HAProxy Runtime API and prints the answer: what `socat` would do,
// without needing socat. The lab script and the smoke test use it for the unix socket, which bash
// cannot open.
//
// Usage: lab_runtime tcp://127.0.0.1:PORT|unix:///path/admin.sock "show info" [--timeout-ms 3000]
// Exit status: 0 answered, 1 connection or timeout error, 2 usage.

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QHostAddress>
#include <QLocalSocket>
#include <QTcpSocket>
#include <QTextStream>
#include <QTimer>
#include <QUrl>

#include <cstdio>

using namespace Qt::StringLiterals;

namespace {

// HAProxy answers one non-interactive command and closes the connection: the answer is
// everything read until the close.
template <typename Socket, typename Start>
int run(Socket &socket, Start start, const QByteArray &command, int timeoutMs,
        const QString &address) {
    QByteArray answer;
    int status = 1;
    QString error;
    QObject::connect(&socket, &Socket::connected, &socket,
                     [&socket, &command] { socket.write(command + '\n'); });
    QObject::connect(&socket, &Socket::readyRead, &socket,
                     [&socket, &answer] { answer += socket.readAll(); });
    QObject::connect(&socket, &Socket::disconnected, &socket, [&socket, &answer, &status] {
        answer += socket.readAll();
        status = 0;
        QCoreApplication::quit();
    });
    QObject::connect(&socket, &Socket::errorOccurred, &socket, [&socket, &error, &status] {
        if (status == 0)
            return;
        error = socket.errorString();
        QCoreApplication::quit();
    });
    QTimer::singleShot(timeoutMs, &socket, [&error] {
        error = u"no answer within the timeout"_s;
        QCoreApplication::quit();
    });
    // Started from the event loop: a local socket may connect, or fail, and signal inside
    // connectToServer(), and quit() does nothing before exec().
    QTimer::singleShot(0, &socket, start);
    QCoreApplication::exec();
    if (status != 0 && error.isEmpty())
        error = u"connection failed"_s;
    if (status != 0) {
        QTextStream(stderr) << "lab_runtime: " << address << ": " << error << '\n';
        return 1;
    }
    fwrite(answer.constData(), 1, size_t(answer.size()), stdout);
    return 0;
}

} // namespace

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(u"Send one command to an HAProxy Runtime API."_s);
    parser.addHelpOption();
    parser.addPositionalArgument(u"address"_s, u"tcp://127.0.0.1:PORT or unix:///path"_s);
    parser.addPositionalArgument(u"command"_s, u"e.g. \"show info\""_s);
    const QCommandLineOption timeoutOption(u"timeout-ms"_s, u"Give up after this long."_s, u"ms"_s,
                                           u"3000"_s);
    parser.addOption(timeoutOption);
    parser.process(app);

    const QStringList args = parser.positionalArguments();
    bool ok = false;
    const int timeoutMs = parser.value(timeoutOption).toInt(&ok);
    if (args.size() != 2 || !ok || timeoutMs < 1 || timeoutMs > 60'000) {
        QTextStream(stderr) << "usage: lab_runtime ADDRESS COMMAND [--timeout-ms N]\n";
        return 2;
    }
    const QString address = args[0];
    const QByteArray command = args[1].toUtf8();
    const QUrl url(address, QUrl::StrictMode);
    if (url.scheme() == u"unix"_s && !url.path().isEmpty()) {
        QLocalSocket socket;
        return run(
            socket, [&] { socket.connectToServer(url.path()); }, command, timeoutMs, address);
    }
    if (url.scheme() == u"tcp"_s && url.host() == u"127.0.0.1"_s && url.port() > 0) {
        QTcpSocket socket;
        return run(
            socket, [&] { socket.connectToHost(QHostAddress::LocalHost, quint16(url.port())); },
            command, timeoutMs, address);
    }
    QTextStream(stderr) << "lab_runtime: expected tcp://127.0.0.1:PORT or unix:///path, found "
                        << address << '\n';
    return 2;
}
