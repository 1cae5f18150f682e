#pragma once

// One request/response exchange over a stream socket whose server closes the connection after
// answering (HAProxy's Runtime API outside "prompt" mode). The end of the reply is the end of
// the connection, so there is no framing to get wrong and no session state to lose on a
// reload: every exchange starts clean.

#include "app/net/call.h"

#include <QByteArray>
#include <QString>

namespace cutover::net {

struct StreamAddress {
    enum class Kind { Tcp, Unix };
    Kind kind = Kind::Tcp;
    QString host;
    quint16 port = 0;
    QString path; // Unix

    static StreamAddress tcp(QString host, quint16 port) {
        return {Kind::Tcp, std::move(host), port, {}};
    }
    static StreamAddress unixSocket(QString path) { return {Kind::Unix, {}, 0, std::move(path)}; }
    QString toString() const; // tcp://host:port, unix:///path
};

// Connects to `address`, writes `request`, and completes with every byte received once the
// peer closes. More than `maxReplyBytes` is a Protocol error ("response_too_large").
// Never completes synchronously.
Abort startStreamExchange(const QString &backend, const StreamAddress &address,
                          const QByteArray &request, qint64 maxReplyBytes,
                          Completion<QByteArray> done);

} // namespace cutover::net
