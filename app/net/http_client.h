#pragma once

// HTTP(S) calls on QNetworkAccessManager, through the Call machinery (deadline, retries, the
// in-flight bound). Transport problems become typed errors here; what a status code or a body
// means is decided by the caller's decoder, so that "HTTP 400 with Prometheus' error
// envelope" stays a Prometheus matter.
//
// TLS: certificate errors are never ignored. Extra CAs (a plan's ca_file) are added to the
// system's. The Authorization value is a secret: it is set on requests and nowhere else.

#include "app/net/call.h"

#include <QByteArray>
#include <QList>
#include <QNetworkAccessManager>
#include <QObject>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QUrl>

namespace cutover::net {

struct HttpSettings {
    QString backend;          // name used in errors and logs
    QUrl baseUrl;             // paths are resolved against it
    QByteArray authorization; // "Bearer …" / "Basic …"; secret, never logged
    QList<QSslCertificate> extraCaCertificates;
    qint64 maxResponseBytes = 64LL * 1024 * 1024;
    int maxInFlight = 6; // QNAM opens at most 6 connections per host anyway
    // Webhook URLs often carry their token in the path (…/services/T0/B0/XXXX): then errors and
    // logs name scheme, host and port only.
    bool secretPath = false;
};

struct HttpRequestSpec {
    enum class Method { Get, Post };
    Method method = Method::Get;
    QUrl url; // absolute, or relative to the base URL
    QByteArray contentType;
    QByteArray body;
    QList<std::pair<QByteArray, QByteArray>> headers; // not secret: they may be logged
};

struct HttpResponse {
    int status = 0;
    QByteArray body;
    QByteArray contentType;
};

class HttpClient : public QObject {
    Q_OBJECT
public:
    explicit HttpClient(HttpSettings settings, QObject *parent = nullptr);
    ~HttpClient() override;

    const HttpSettings &settings() const { return m_settings; }
    Lane &lane() { return m_lane; }

    // The URL for `path` below the base URL ("api/v1/query" under "http://h:9090/prom/").
    QUrl resolve(const QString &path) const;
    // `url` without user info and query, for messages.
    static QString displayUrl(const QUrl &url);
    // Scheme, host and port only ("https://hooks.example.com:443"), for URLs whose path is secret.
    static QString redactedUrl(const QUrl &url);

    // Sends `spec`; `decode` turns an HTTP answer (any status) into the value or an Error.
    template <typename T>
    Reply<T> *send(HttpRequestSpec spec, const CallOptions &options,
                   std::function<Result<T>(const HttpResponse &)> decode) {
        return startCall<T>(
            &m_lane, options,
            [this, spec = std::move(spec), decode = std::move(decode)](Completion<T> done) {
                return startAttempt(spec, [decode, done](Result<HttpResponse> r) {
                    if (!r.ok())
                        done(r.error());
                    else
                        done(decode(r.value()));
                });
            });
    }

private:
    Abort startAttempt(const HttpRequestSpec &spec, Completion<HttpResponse> done);

    HttpSettings m_settings;
    QNetworkAccessManager *m_network;
    QSslConfiguration m_tls;
    Lane m_lane;
};

} // namespace cutover::net
