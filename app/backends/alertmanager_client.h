#pragma once

// Alertmanager API v2: the alerts it holds, filtered as its own UI filters them.

#include "app/config/plan.h"
#include "app/net/call.h"
#include "app/net/http_client.h"

#include <QDateTime>
#include <QMap>
#include <QObject>
#include <QStringList>

#include <optional>

namespace cutover::backends {

struct AlertFilter {
    std::optional<bool> active; // empty: Alertmanager's default (true)
    std::optional<bool> silenced;
    std::optional<bool> inhibited;
    std::optional<bool> unprocessed;
    QStringList matchers; // label matchers: alertname="X", severity=~"crit.*"
    QString receiver;     // regular expression on receiver names
};

struct Alert {
    QMap<QString, QString> labels;
    QMap<QString, QString> annotations;
    QString state; // active, suppressed, unprocessed
    QStringList silencedBy;
    QStringList inhibitedBy;
    QStringList receivers;
    QDateTime startsAt;
    QDateTime endsAt;
    QString fingerprint;

    QString name() const { return labels.value(QStringLiteral("alertname")); }
};

class AlertmanagerClient : public QObject {
    Q_OBJECT
public:
    explicit AlertmanagerClient(const config::HttpEndpoint &endpoint, QObject *parent = nullptr,
                                const QString &name = QStringLiteral("alertmanager"));

    const QString &name() const { return m_name; }
    const QString &configProblem() const { return m_configProblem; }
    net::HttpClient &http() { return *m_http; }

    net::Reply<QList<Alert>> *alerts(const AlertFilter &filter = {});

    // The query string for `filter`, every value percent-encoded (public for tests).
    static QString queryFor(const AlertFilter &filter);

private:
    QString m_name;
    QString m_configProblem;
    net::HttpClient *m_http;
    net::CallOptions m_options;
};

// The body of GET /api/v2/alerts -> alerts; anything else is a typed error.
net::Result<QList<Alert>> decodeAlerts(const net::HttpResponse &response, const QString &backend);

} // namespace cutover::backends
