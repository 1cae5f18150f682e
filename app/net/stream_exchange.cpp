#include "app/net/stream_exchange.h"

#include "app/net/log.h"

#include <QLocalSocket>
#include <QPointer>
#include <QTcpSocket>

#include <memory>

using namespace Qt::StringLiterals;

namespace cutover::net {

QString StreamAddress::toString() const {
    if (kind == Kind::Unix)
        return u"unix://"_s + path;
    return u"tcp://%1:%2"_s.arg(host).arg(port);
}

namespace {

// What both socket flavours share: the bytes so far and the single completion.
struct Exchange {
    QString backend;
    QString where;
    qint64 maxReplyBytes = 0;
    QByteArray reply;
    bool connected = false;
    Completion<QByteArray> done;
    QPointer<QIODevice> socket;

    void finish(Result<QByteArray> result) {
        if (!done)
            return;
        auto callback = std::exchange(done, nullptr);
        if (socket) {
            // No disconnect(): we may be inside one of the socket's slots. Later signals find
            // `done` empty and do nothing; deleteLater() drops the connections.
            socket->close();
            socket->deleteLater();
        }
        callback(std::move(result));
    }

    void read() {
        if (!socket || !done)
            return;
        reply += socket->readAll();
        if (reply.size() > maxReplyBytes) {
            finish(Error{ErrorKind::Protocol, backend,
                         u"reply larger than %1 bytes from %2"_s.arg(maxReplyBytes).arg(where), 0,
                         u"response_too_large"_s});
        }
    }

    void peerClosed() {
        read();
        finish(std::move(reply));
    }

    void failed(const QString &socketError) {
        if (!connected) {
            finish(Error{ErrorKind::Connect, backend,
                         u"cannot connect to %1: %2"_s.arg(where, socketError), 0, u"connect"_s});
            return;
        }
        read();
        finish(Error{reply.isEmpty() ? ErrorKind::Connect : ErrorKind::Protocol, backend,
                     u"connection to %1 lost mid-reply: %2"_s.arg(where, socketError), 0,
                     u"connection_lost"_s});
    }

    Abort abortFunction(const std::shared_ptr<Exchange> &self) {
        std::weak_ptr<Exchange> weak = self;
        return [weak] {
            if (auto exchange = weak.lock()) {
                exchange->done = nullptr; // aborted: never complete
                if (exchange->socket) {
                    exchange->socket->close();
                    exchange->socket->deleteLater();
                }
            }
        };
    }
};

Abort startTcp(const std::shared_ptr<Exchange> &exchange, const StreamAddress &address,
               const QByteArray &request) {
    auto *socket = new QTcpSocket;
    exchange->socket = socket;
    // The exchange lives as long as the socket's connections (they hold the shared pointer).
    QObject::connect(socket, &QTcpSocket::connected, socket, [exchange, socket, request] {
        exchange->connected = true;
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        socket->write(request);
    });
    QObject::connect(socket, &QTcpSocket::readyRead, socket, [exchange] { exchange->read(); });
    QObject::connect(socket, &QTcpSocket::disconnected, socket,
                     [exchange] { exchange->peerClosed(); });
    QObject::connect(socket, &QTcpSocket::errorOccurred, socket,
                     [exchange, socket](QAbstractSocket::SocketError error) {
                         if (error == QAbstractSocket::RemoteHostClosedError && exchange->connected)
                             exchange->peerClosed();
                         else
                             exchange->failed(socket->errorString());
                     });
    socket->connectToHost(address.host, address.port);
    return exchange->abortFunction(exchange);
}

Abort startLocal(const std::shared_ptr<Exchange> &exchange, const StreamAddress &address,
                 const QByteArray &request) {
    auto *socket = new QLocalSocket;
    exchange->socket = socket;
    QObject::connect(socket, &QLocalSocket::connected, socket, [exchange, socket, request] {
        exchange->connected = true;
        socket->write(request);
    });
    QObject::connect(socket, &QLocalSocket::readyRead, socket, [exchange] { exchange->read(); });
    QObject::connect(socket, &QLocalSocket::disconnected, socket,
                     [exchange] { exchange->peerClosed(); });
    QObject::connect(socket, &QLocalSocket::errorOccurred, socket,
                     [exchange, socket](QLocalSocket::LocalSocketError error) {
                         if (error == QLocalSocket::PeerClosedError && exchange->connected)
                             exchange->peerClosed();
                         else
                             exchange->failed(socket->errorString());
                     });
    // Deferred: QLocalSocket may report a missing socket file synchronously, and a completion
    // must never run inside the starter.
    QMetaObject::invokeMethod(
        socket, [socket, path = address.path] { socket->connectToServer(path); },
        Qt::QueuedConnection);
    return exchange->abortFunction(exchange);
}

} // namespace

Abort startStreamExchange(const QString &backend, const StreamAddress &address,
                          const QByteArray &request, qint64 maxReplyBytes,
                          Completion<QByteArray> done) {
    auto exchange = std::make_shared<Exchange>();
    exchange->backend = backend;
    exchange->where = address.toString();
    exchange->maxReplyBytes = maxReplyBytes;
    exchange->done = std::move(done);
    qCDebug(lcNetStream).noquote() << backend << "exchange with" << exchange->where;
    if (address.kind == StreamAddress::Kind::Unix)
        return startLocal(exchange, address, request);
    return startTcp(exchange, address, request);
}

} // namespace cutover::net
