#pragma once

// `/metrics` (Prometheus text format) and `/healthz` over HTTP, with Qt HttpServer. The body is
// rendered on request from a callback, on the controller's thread; it takes microseconds.

#include <QByteArray>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>

class QHttpServer;

namespace cutover::controller {

class MetricsServer : public QObject {
    Q_OBJECT
public:
    struct Health {
        bool ok = true;
        QString text; // "leading" / "following controller-a" / "store unreachable: …"
    };

    MetricsServer(std::function<QByteArray()> metrics, std::function<Health()> health,
                  QObject *parent = nullptr);
    ~MetricsServer() override;

    // "127.0.0.1:9464", "[::1]:9464", "localhost:9464". False with `error` set when the address
    // is malformed or cannot be bound.
    bool listen(const QString &address, QString *error);
    quint16 port() const { return m_port; }

private:
    std::unique_ptr<QHttpServer> m_server;
    std::function<QByteArray()> m_metrics;
    std::function<Health()> m_health;
    quint16 m_port = 0;
};

// Splits "host:port" / "[v6]:port"; false when malformed.
bool parseListenAddress(const QString &address, QString *host, quint16 *port);

} // namespace cutover::controller
