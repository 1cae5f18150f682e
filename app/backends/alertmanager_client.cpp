#include "app/backends/alertmanager_client.h"

#include "app/backends/http_settings.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>

using namespace Qt::StringLiterals;
using namespace cutover::net;

namespace cutover::backends {

namespace {

QMap<QString, QString> stringMap(const QJsonValue &value) {
    QMap<QString, QString> map;
    const QJsonObject object = value.toObject();
    for (auto it = object.constBegin(); it != object.constEnd(); ++it)
        map.insert(it.key(), it.value().toString());
    return map;
}

QStringList stringList(const QJsonValue &value) {
    QStringList list;
    for (const QJsonValue &item : value.toArray())
        list.append(item.toString());
    return list;
}

QString boolText(bool value) {
    return value ? u"true"_s : u"false"_s;
}

} // namespace

AlertmanagerClient::AlertmanagerClient(const config::HttpEndpoint &endpoint, QObject *parent,
                                       const QString &name)
    : QObject(parent)
    , m_name(name)
    , m_options(readOptions(endpoint.timeout.value())) {
    HttpSetup setup = httpSetupFor(name, endpoint);
    m_configProblem = setup.caProblem;
    m_http = new HttpClient(std::move(setup.settings), this);
}

QString AlertmanagerClient::queryFor(const AlertFilter &filter) {
    QStringList items;
    auto add = [&items](const QString &key, const QString &value) {
        items.append(key + u'=' + QString::fromLatin1(QUrl::toPercentEncoding(value)));
    };
    if (filter.active)
        add(u"active"_s, boolText(*filter.active));
    if (filter.silenced)
        add(u"silenced"_s, boolText(*filter.silenced));
    if (filter.inhibited)
        add(u"inhibited"_s, boolText(*filter.inhibited));
    if (filter.unprocessed)
        add(u"unprocessed"_s, boolText(*filter.unprocessed));
    for (const QString &matcher : filter.matchers)
        add(u"filter"_s, matcher);
    if (!filter.receiver.isEmpty())
        add(u"receiver"_s, filter.receiver);
    return items.join(u'&');
}

Reply<QList<Alert>> *AlertmanagerClient::alerts(const AlertFilter &filter) {
    QUrl url = m_http->resolve(u"api/v2/alerts"_s);
    const QString query = queryFor(filter);
    if (!query.isEmpty())
        url.setQuery(query, QUrl::StrictMode);
    HttpRequestSpec spec;
    spec.url = url;
    spec.headers.append(std::pair<QByteArray, QByteArray>("Accept", "application/json"));
    const QString name = m_name;
    return m_http->send<QList<Alert>>(
        std::move(spec), m_options,
        [name](const HttpResponse &response) { return decodeAlerts(response, name); });
}

Result<QList<Alert>> decodeAlerts(const HttpResponse &response, const QString &backend) {
    if (response.status < 200 || response.status >= 300) {
        // Alertmanager answers errors as a JSON string or plain text.
        const QString text = QString::fromUtf8(response.body.left(300)).simplified();
        return Error{
            ErrorKind::Http, backend,
            u"HTTP %1: %2"_s.arg(response.status).arg(text.isEmpty() ? u"(no body)"_s : text),
            response.status, QString()};
    }
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(response.body, &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isArray()) {
        return Error{ErrorKind::Protocol, backend,
                     u"the answer is not a JSON array of alerts (%1)"_s.arg(
                         parseError.error != QJsonParseError::NoError ? parseError.errorString()
                                                                      : u"another JSON value"_s),
                     response.status, u"protocol"_s};
    }
    QList<Alert> alerts;
    for (const QJsonValue &item : document.array()) {
        if (!item.isObject())
            return Error{ErrorKind::Protocol, backend, u"an alert is not a JSON object"_s,
                         response.status, u"protocol"_s};
        const QJsonObject object = item.toObject();
        Alert alert;
        alert.labels = stringMap(object.value(u"labels"_s));
        alert.annotations = stringMap(object.value(u"annotations"_s));
        const QJsonObject status = object.value(u"status"_s).toObject();
        alert.state = status.value(u"state"_s).toString();
        alert.silencedBy = stringList(status.value(u"silencedBy"_s));
        alert.inhibitedBy = stringList(status.value(u"inhibitedBy"_s));
        for (const QJsonValue &receiver : object.value(u"receivers"_s).toArray())
            alert.receivers.append(receiver.toObject().value(u"name"_s).toString());
        alert.startsAt =
            QDateTime::fromString(object.value(u"startsAt"_s).toString(), Qt::ISODateWithMs);
        alert.endsAt =
            QDateTime::fromString(object.value(u"endsAt"_s).toString(), Qt::ISODateWithMs);
        alert.fingerprint = object.value(u"fingerprint"_s).toString();
        alerts.append(alert);
    }
    return alerts;
}

} // namespace cutover::backends
