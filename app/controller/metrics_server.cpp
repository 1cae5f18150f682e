#include "app/controller/metrics_server.h"

#include <QHostAddress>
#include <QHostInfo>
#include <QHttpServer>
#include <QHttpServerResponse>

using namespace Qt::StringLiterals;

namespace cutover::controller {

bool parseListenAddress(const QString &address, QString *host, quint16 *port) {
    const qsizetype colon = address.lastIndexOf(u':');
    if (colon <= 0 || colon == address.size() - 1)
        return false;
    QString h = address.left(colon);
    if (h.startsWith(u'[') && h.endsWith(u']'))
        h = h.mid(1, h.size() - 2);
    bool ok = false;
    const uint p = address.mid(colon + 1).toUInt(&ok);
    if (!ok || p == 0 || p > 65535 || h.isEmpty())
        return false;
    *host = h;
    *port = quint16(p);
    return true;
}

MetricsServer::MetricsServer(std::function<QByteArray()> metrics, std::function<Health()> health,
                             QObject *parent)
    : QObject(parent)
    , m_server(std::make_unique<QHttpServer>())
    , m_metrics(std::move(metrics))
    , m_health(std::move(health)) {
    m_server->route(u"/metrics"_s, [this] {
        return QHttpServerResponse("text/plain; version=0.0.4; charset=utf-8"_ba, m_metrics());
    });
    m_server->route(u"/healthz"_s, [this] {
        const Health h = m_health();
        return QHttpServerResponse("text/plain; charset=utf-8"_ba, h.text.toUtf8() + '\n',
                                   h.ok ? QHttpServerResponse::StatusCode::Ok
                                        : QHttpServerResponse::StatusCode::ServiceUnavailable);
    });
}

MetricsServer::~MetricsServer() = default;

bool MetricsServer::listen(const QString &address, QString *error) {
    QString host;
    quint16 port = 0;
    if (!parseListenAddress(address, &host, &port)) {
        *error = u"--listen expects HOST:PORT (e.g. 127.0.0.1:9464), found '%1'"_s.arg(address);
        return false;
    }
    QHostAddress bindTo;
    if (!bindTo.setAddress(host)) {
        // A name: only "localhost" is resolved here (a controller binds where it is told, and a
        // lookup must not stall its start).
        if (host.compare(u"localhost"_s, Qt::CaseInsensitive) != 0) {
            *error = u"--listen: '%1' is not an IP address (or localhost)"_s.arg(host);
            return false;
        }
        bindTo = QHostAddress(QHostAddress::LocalHost);
    }
    m_port = m_server->listen(bindTo, port);
    if (m_port == 0) {
        *error = u"cannot serve /metrics on %1: the port is taken or not allowed"_s.arg(address);
        return false;
    }
    return true;
}

} // namespace cutover::controller
