#include "app/backends/webhook_notifier.h"

#include "app/backends/http_settings.h"
#include "app/backends/log.h"

#include <QJsonDocument>
#include <QPointer>
#include <QUuid>

using namespace Qt::StringLiterals;
using namespace cutover::net;

namespace cutover::backends {

WebhookNotifier::WebhookNotifier(const config::Notification &notification, QObject *parent)
    : QObject(parent)
    , m_notification(notification) {
    HttpSetup setup =
        httpSetupFor(u"webhook "_s + notification.name, notification.url, notification.bearerToken,
                     QString(), config::Secret(), notification.tls);
    m_configProblem = setup.caProblem;
    setup.settings.maxResponseBytes = 1024 * 1024; // a receiver's answer is not data we need
    setup.settings.secretPath = true;
    m_http = new HttpClient(std::move(setup.settings), this);
    m_options.deadline = std::chrono::seconds(15);
    m_options.attemptTimeout = std::chrono::seconds(5);
    m_options.idempotent = true; // made safe by the Idempotency-Key
    m_options.retry = RetryPolicy::attempts(4, std::chrono::milliseconds(250));
}

Reply<WebhookDelivery> *WebhookNotifier::send(const QString &event, const QJsonObject &payload) {
    QJsonObject body = payload;
    body.insert(u"event"_s, event);
    HttpRequestSpec spec;
    spec.method = HttpRequestSpec::Method::Post;
    spec.url = m_notification.url;
    spec.contentType = "application/json";
    spec.body = QJsonDocument(body).toJson(QJsonDocument::Compact);
    spec.headers.append(std::pair<QByteArray, QByteArray>(
        "Idempotency-Key", QUuid::createUuid().toByteArray(QUuid::WithoutBraces)));

    const QString backend = m_http->settings().backend;
    auto *inner = m_http->send<int>(
        std::move(spec), m_options, [backend](const HttpResponse &response) -> Result<int> {
            if (response.status >= 200 && response.status < 300)
                return response.status;
            return Error{ErrorKind::Http, backend,
                         u"receiver answered HTTP %1"_s.arg(response.status), response.status,
                         QString()};
        });
    auto *outer = new Reply<WebhookDelivery>(backend);
    const QString name = m_notification.name;
    QPointer<WebhookNotifier> self(this);
    connect(inner, &Request::attemptFinished, this, [self, name](const AttemptRecord &attempt) {
        if (self)
            Q_EMIT self->attemptFinished(name, attempt);
    });
    QPointer<Request> innerGuard(inner);
    inner->onFinished(outer, [outer, inner, name, event](const Result<int> &r) {
        WebhookDelivery delivery;
        delivery.notification = name;
        delivery.event = event;
        delivery.attempts = inner->attempts();
        delivery.delivered = r.ok();
        if (r.ok()) {
            delivery.httpStatus = r.value();
        } else {
            delivery.error = r.error();
            delivery.httpStatus = r.error().httpStatus;
            qCWarning(lcWebhook).noquote()
                << "notification" << name << "not delivered after" << delivery.attempts.size()
                << "attempt(s):" << r.error().toString();
        }
        outer->succeed(delivery);
    });
    outer->setCleanup([innerGuard] {
        if (innerGuard)
            innerGuard->cancel(u"delivery cancelled"_s);
    });
    return outer;
}

} // namespace cutover::backends
