#include "app/backends/http_settings.h"

#include <QFile>

using namespace Qt::StringLiterals;

namespace cutover::backends {

HttpSetup httpSetupFor(const QString &backend, const QUrl &url, const config::Secret &bearer,
                       const QString &basicUser, const config::Secret &basicPassword,
                       const config::TlsConfig &tls) {
    HttpSetup setup;
    setup.settings.backend = backend;
    setup.settings.baseUrl = url;
    if (bearer.isSet() && !bearer.value().isEmpty()) {
        setup.settings.authorization = "Bearer " + bearer.value().toUtf8();
    } else if (!basicUser.isEmpty()) {
        const QByteArray pair = basicUser.toUtf8() + ':' + basicPassword.value().toUtf8();
        setup.settings.authorization = "Basic " + pair.toBase64();
    }
    if (!tls.caFile.isEmpty()) {
        const auto certificates = QSslCertificate::fromPath(tls.caFile, QSsl::Pem);
        if (certificates.isEmpty())
            setup.caProblem = u"no PEM certificate could be read from ca_file %1"_s.arg(tls.caFile);
        setup.settings.extraCaCertificates = certificates;
    }
    return setup;
}

HttpSetup httpSetupFor(const QString &backend, const config::HttpEndpoint &endpoint) {
    return httpSetupFor(backend, endpoint.url, endpoint.bearerToken, endpoint.basicUser,
                        endpoint.basicPassword, endpoint.tls);
}

net::CallOptions readOptions(std::chrono::milliseconds deadline) {
    net::CallOptions options;
    options.deadline = deadline;
    options.idempotent = true;
    options.retry = net::RetryPolicy::attempts(3, std::chrono::milliseconds(100));
    return options;
}

} // namespace cutover::backends
