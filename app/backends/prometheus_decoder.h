#pragma once

// Prometheus' HTTP API answers (success and error envelopes) into QueryResult or a typed
// Error. Pure: hostile bodies are unit-tested without a server.

#include "app/backends/prometheus_types.h"
#include "app/net/http_client.h"
#include "app/net/result.h"

#include <QJsonValue>

namespace cutover::backends::prometheus {

net::Result<QueryResult> decodeQueryResponse(const net::HttpResponse &response,
                                             const QString &backend);

// "1.5", "NaN", "+Inf", "-Inf" -> double; empty when not a number.
std::optional<double> parseSampleValue(const QString &text);

// Merges the chunks of a split range query: series with equal labels are concatenated in
// chunk order; warnings are united.
QueryResult mergeRangeChunks(const QList<QueryResult> &chunks);

} // namespace cutover::backends::prometheus
