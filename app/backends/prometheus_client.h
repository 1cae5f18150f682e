#pragma once

// Prometheus HTTP API: instant and range queries, typed results, typed errors (the error
// envelope with HTTP 400/422/503 keeps Prometheus' errorType in Error::reason). Range queries
// longer than Prometheus' 11,000 points per series are split into several requests and merged,
// so a 24 h chart at 5 s (17,280 points) needs no special care from callers.

#include "app/backends/prometheus_types.h"
#include "app/config/plan.h"
#include "app/net/call.h"
#include "app/net/http_client.h"

#include <QDateTime>
#include <QObject>

#include <chrono>
#include <optional>

namespace cutover::backends {

struct RangeChunk {
    qint64 startMs = 0;
    qint64 endMs = 0; // inclusive: the last sample time of this chunk
};

class PrometheusClient : public QObject {
    Q_OBJECT
public:
    static constexpr int kMaxPointsPerSeries = 11'000;
    static constexpr int kMaxChunks = 64;

    explicit PrometheusClient(const config::HttpEndpoint &endpoint, QObject *parent = nullptr,
                              const QString &name = QStringLiteral("prometheus"));

    const QString &name() const { return m_name; }
    // A ca_file that yielded no certificate; empty when fine.
    const QString &configProblem() const { return m_configProblem; }
    net::HttpClient &http() { return *m_http; }
    void setDefaultOptions(const net::CallOptions &options) { m_options = options; }
    net::CallOptions defaultOptions() const { return m_options; }

    // Evaluates `promql` now, or at `at`.
    net::Reply<QueryResult> *query(const QString &promql,
                                   std::optional<QDateTime> at = std::nullopt);

    // Evaluates `promql` from `start` to `end` every `step`; split when needed.
    net::Reply<QueryResult> *queryRange(const QString &promql, const QDateTime &start,
                                        const QDateTime &end, std::chrono::milliseconds step);

    // The requests a range query takes: at most kMaxPointsPerSeries samples each.
    static QList<RangeChunk> splitRange(qint64 startMs, qint64 endMs, qint64 stepMs,
                                        int maxPoints = kMaxPointsPerSeries);

private:
    net::Reply<QueryResult> *post(const QString &path, const QByteArray &form);

    QString m_name;
    QString m_configProblem;
    net::HttpClient *m_http;
    net::CallOptions m_options;
};

} // namespace cutover::backends
