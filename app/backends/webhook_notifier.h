#pragma once

// Incident tickets, paging and chat: a JSON POST to a plan's notification URL, retried with
// backoff on transient failures. The delivery reports every attempt, so the audit log can say
// "3 attempts: connect refused, HTTP 503, HTTP 200".
//
// A retried POST may arrive twice (the first answer was lost): every attempt of one delivery
// carries the same Idempotency-Key header so that receivers can drop the duplicate.

#include "app/config/plan.h"
#include "app/net/call.h"
#include "app/net/http_client.h"

#include <QJsonObject>
#include <QObject>

namespace cutover::backends {

struct WebhookDelivery {
    QString notification; // the plan's name for it: "incident", "paging"...
    QString event;
    bool delivered = false;
    int httpStatus = 0; // of the last attempt, when one answered
    QList<net::AttemptRecord> attempts;
    std::optional<net::Error> error; // why it was not delivered
};

class WebhookNotifier : public QObject {
    Q_OBJECT
public:
    explicit WebhookNotifier(const config::Notification &notification, QObject *parent = nullptr);

    const config::Notification &notification() const { return m_notification; }
    bool wants(const QString &event) const { return m_notification.events.contains(event); }
    const QString &configProblem() const { return m_configProblem; }

    // Retry policy and deadline of deliveries (default: 4 attempts within 15 s).
    void setOptions(const net::CallOptions &options) { m_options = options; }

    // POSTs {"event": event, ...payload}. Always succeeds with a WebhookDelivery (delivered
    // or not), unless cancelled.
    net::Reply<WebhookDelivery> *send(const QString &event, const QJsonObject &payload);

Q_SIGNALS:
    void attemptFinished(const QString &notification, const cutover::net::AttemptRecord &attempt);

private:
    config::Notification m_notification;
    QString m_configProblem;
    net::HttpClient *m_http;
    net::CallOptions m_options;
};

} // namespace cutover::backends
