#include "app/net/http_client.h"

#include "app/net/log.h"

#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QSslError>

#include <memory>

using namespace Qt::StringLiterals;

namespace cutover::net {

namespace {

struct Transfer {
    QByteArray body;
    QStringList tlsProblems;
    bool tooLarge = false;
    bool aborted = false;
    Completion<HttpResponse> done;
};

// Qt turns HTTP error statuses into errors too (400 becomes ProtocolInvalidOperationError,
// 404 ContentNotFoundError...). With a status line received and no transport failure, it is an
// answer: its status and body are for the decoder to judge.
bool isHttpAnswer(QNetworkReply *reply) {
    const auto error = reply->error();
    if (error == QNetworkReply::NoError)
        return true;
    const bool hasStatus = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).isValid();
    return hasStatus && error >= QNetworkReply::ContentAccessDenied &&
           error != QNetworkReply::ProtocolFailure;
}

Error transportError(const QString &backend, const QString &where, QNetworkReply *reply,
                     const Transfer &transfer, bool secretPath) {
    const auto code = reply->error();
    // Qt's texts quote the whole URL ("Error transferring https://… - server replied: …"):
    // replaced by what may be shown, so a secret path never reaches a message.
    QString detail = reply->errorString();
    const QUrl url = reply->url();
    for (const QString &shown :
         {url.toString(), url.toDisplayString(), url.toString(QUrl::FullyEncoded)})
        if (!shown.isEmpty())
            detail.replace(shown, where);
    if (secretPath && url.path().size() > 1)
        detail.replace(url.path(), u"/…"_s);
    switch (code) {
    case QNetworkReply::ConnectionRefusedError:
    case QNetworkReply::HostNotFoundError:
    case QNetworkReply::NetworkSessionFailedError:
    case QNetworkReply::TemporaryNetworkFailureError:
    case QNetworkReply::BackgroundRequestNotAllowedError:
    case QNetworkReply::ProxyConnectionRefusedError:
    case QNetworkReply::ProxyConnectionClosedError:
    case QNetworkReply::ProxyNotFoundError:
    case QNetworkReply::ProxyTimeoutError:
    case QNetworkReply::UnknownNetworkError:
        return {ErrorKind::Connect, backend, u"cannot reach %1: %2"_s.arg(where, detail), 0,
                u"connect"_s};
    case QNetworkReply::RemoteHostClosedError:
        if (transfer.body.isEmpty() &&
            !reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).isValid())
            return {ErrorKind::Connect, backend,
                    u"%1 closed the connection without answering"_s.arg(where), 0,
                    u"connection_lost"_s};
        return {ErrorKind::Protocol, backend,
                u"%1 closed the connection in the middle of the reply"_s.arg(where), 0,
                u"truncated"_s};
    case QNetworkReply::TimeoutError:
        return {ErrorKind::Timeout, backend, u"%1 timed out: %2"_s.arg(where, detail), 0,
                u"transfer_timeout"_s};
    case QNetworkReply::SslHandshakeFailedError:
    case QNetworkReply::InsecureRedirectError:
        return {ErrorKind::Tls, backend,
                u"TLS failure with %1: %2"_s.arg(where, transfer.tlsProblems.isEmpty()
                                                            ? detail
                                                            : transfer.tlsProblems.join(u"; "_s)),
                0, u"tls"_s};
    case QNetworkReply::OperationCanceledError:
        return {ErrorKind::Cancelled, backend, u"request to %1 cancelled"_s.arg(where), 0,
                QString()};
    default:
        return {ErrorKind::Protocol, backend, u"bad answer from %1: %2"_s.arg(where, detail), 0,
                u"protocol"_s};
    }
}

} // namespace

HttpClient::HttpClient(HttpSettings settings, QObject *parent)
    : QObject(parent)
    , m_settings(std::move(settings))
    , m_network(new QNetworkAccessManager(this))
    , m_tls(QSslConfiguration::defaultConfiguration())
    , m_lane(m_settings.backend, m_settings.maxInFlight) {
    if (!m_settings.extraCaCertificates.isEmpty())
        m_tls.addCaCertificates(m_settings.extraCaCertificates);
    // Redirects could carry the Authorization header elsewhere: refuse them.
    m_network->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
}

HttpClient::~HttpClient() {
    m_lane.cancelAll(u"client destroyed"_s);
}

QUrl HttpClient::resolve(const QString &path) const {
    QUrl base = m_settings.baseUrl;
    QString basePath = base.path();
    if (!basePath.endsWith(u'/'))
        basePath += u'/';
    base.setPath(basePath);
    return base.resolved(QUrl(path));
}

QString HttpClient::displayUrl(const QUrl &url) {
    return url.toDisplayString(QUrl::RemoveUserInfo | QUrl::RemoveQuery);
}

QString HttpClient::redactedUrl(const QUrl &url) {
    const int port = url.port(url.scheme() == u"https"_s ? 443 : 80);
    return u"%1://%2:%3"_s.arg(url.scheme(), url.host()).arg(port);
}

Abort HttpClient::startAttempt(const HttpRequestSpec &spec, Completion<HttpResponse> done) {
    const QUrl url = spec.url.isRelative() ? resolve(spec.url.toString()) : spec.url;
    const QString where = m_settings.secretPath ? redactedUrl(url) : displayUrl(url);
    QNetworkRequest request(url);
    request.setSslConfiguration(m_tls);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    if (!m_settings.authorization.isEmpty())
        request.setRawHeader("Authorization", m_settings.authorization);
    if (!spec.contentType.isEmpty())
        request.setHeader(QNetworkRequest::ContentTypeHeader, spec.contentType);
    for (const auto &[name, value] : spec.headers)
        request.setRawHeader(name, value);

    qCDebug(lcNetHttp).noquote() << m_settings.backend
                                 << (spec.method == HttpRequestSpec::Method::Get ? "GET" : "POST")
                                 << where;
    QNetworkReply *reply = spec.method == HttpRequestSpec::Method::Get
                               ? m_network->get(request)
                               : m_network->post(request, spec.body);
    auto transfer = std::make_shared<Transfer>();
    transfer->done = std::move(done);
    const qint64 limit = m_settings.maxResponseBytes;
    const QString backend = m_settings.backend;

    auto tooLarge = [transfer, reply, limit] {
        transfer->tooLarge = true;
        reply->abort(); // emits finished(): reported there
        Q_UNUSED(limit);
    };
    connect(reply, &QNetworkReply::metaDataChanged, reply, [reply, limit, tooLarge] {
        const QVariant length = reply->header(QNetworkRequest::ContentLengthHeader);
        if (length.isValid() && length.toLongLong() > limit)
            tooLarge();
    });
    connect(reply, &QNetworkReply::readyRead, reply, [reply, transfer, limit, tooLarge] {
        if (transfer->tooLarge)
            return;
        transfer->body += reply->readAll();
        if (transfer->body.size() > limit)
            tooLarge();
    });
    connect(reply, &QNetworkReply::sslErrors, reply, [transfer](const QList<QSslError> &errors) {
        // Recorded for the message; never ignored, so the handshake fails.
        for (const QSslError &error : errors)
            transfer->tlsProblems.append(error.errorString());
    });
    connect(reply, &QNetworkReply::finished, reply,
            [reply, transfer, backend, where, limit, secretPath = m_settings.secretPath] {
                reply->deleteLater();
                if (transfer->aborted || !transfer->done)
                    return;
                auto callback = std::exchange(transfer->done, nullptr);
                if (transfer->tooLarge) {
                    transfer->body.clear();
                    callback(Error{ErrorKind::Protocol, backend,
                                   u"response from %1 larger than %2 bytes"_s.arg(where).arg(limit),
                                   0, u"response_too_large"_s});
                    return;
                }
                if (!isHttpAnswer(reply)) {
                    callback(transportError(backend, where, reply, *transfer, secretPath));
                    return;
                }
                transfer->body += reply->readAll();
                HttpResponse response;
                response.status =
                    reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                response.body = std::move(transfer->body);
                response.contentType =
                    reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
                callback(std::move(response));
            });

    QPointer<QNetworkReply> guard(reply);
    return [guard, transfer] {
        transfer->aborted = true;
        transfer->done = nullptr;
        if (guard)
            guard->abort();
    };
}

} // namespace cutover::net
