#pragma once

// A plan's HTTP endpoint (URL, timeout, credentials from the environment, extra CA) turned
// into what the network layer needs. The only place that reads a Secret's value for HTTP.

#include "app/config/plan.h"
#include "app/net/call.h"
#include "app/net/http_client.h"

namespace cutover::backends {

struct HttpSetup {
    net::HttpSettings settings;
    // A ca_file that could not be read is reported once, by preflight and at first use.
    QString caProblem;
};

HttpSetup httpSetupFor(const QString &backend, const QUrl &url, const config::Secret &bearer,
                       const QString &basicUser, const config::Secret &basicPassword,
                       const config::TlsConfig &tls);
HttpSetup httpSetupFor(const QString &backend, const config::HttpEndpoint &endpoint);

// Options for a read-only query: the endpoint's timeout as the overall deadline, a few
// retries of transient failures.
net::CallOptions readOptions(std::chrono::milliseconds deadline);

} // namespace cutover::backends
