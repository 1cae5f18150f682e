#include "app/backends/prometheus_client.h"

#include "app/backends/http_settings.h"
#include "app/backends/log.h"
#include "app/backends/prometheus_decoder.h"

#include <QPointer>
#include <QUrl>

#include <memory>

using namespace Qt::StringLiterals;
using namespace cutover::net;

namespace cutover::backends {

namespace {

QByteArray seconds(qint64 ms) {
    return QByteArray::number(double(ms) / 1000.0, 'f', 3);
}

QByteArray formField(const char *name, const QByteArray &value) {
    // Percent-encode everything but unreserved characters: a '+' in PromQL must not become
    // a space in a form body.
    return QByteArray(name) + '=' + QUrl::toPercentEncoding(QString::fromUtf8(value));
}

} // namespace

PrometheusClient::PrometheusClient(const config::HttpEndpoint &endpoint, QObject *parent,
                                   const QString &name)
    : QObject(parent)
    , m_name(name)
    , m_options(readOptions(endpoint.timeout.value())) {
    HttpSetup setup = httpSetupFor(name, endpoint);
    m_configProblem = setup.caProblem;
    m_http = new HttpClient(std::move(setup.settings), this);
}

Reply<QueryResult> *PrometheusClient::post(const QString &path, const QByteArray &form) {
    HttpRequestSpec spec;
    spec.method = HttpRequestSpec::Method::Post;
    spec.url = QUrl(path);
    spec.contentType = "application/x-www-form-urlencoded";
    spec.body = form;
    const QString name = m_name;
    return m_http->send<QueryResult>(std::move(spec), m_options,
                                     [name](const HttpResponse &response) {
                                         return prometheus::decodeQueryResponse(response, name);
                                     });
}

Reply<QueryResult> *PrometheusClient::query(const QString &promql, std::optional<QDateTime> at) {
    QByteArray form = formField("query", promql.toUtf8());
    if (at)
        form += '&' + formField("time", seconds(at->toMSecsSinceEpoch()));
    return post(u"api/v1/query"_s, form);
}

QList<RangeChunk> PrometheusClient::splitRange(qint64 startMs, qint64 endMs, qint64 stepMs,
                                               int maxPoints) {
    QList<RangeChunk> chunks;
    if (stepMs <= 0 || endMs < startMs || maxPoints < 1)
        return chunks;
    const qint64 span = qint64(maxPoints - 1) * stepMs; // maxPoints samples, both ends included
    for (qint64 from = startMs; from <= endMs; from += span + stepMs) {
        chunks.append({from, std::min(endMs, from + span)});
        if (chunks.size() > kMaxChunks)
            break;
    }
    return chunks;
}

Reply<QueryResult> *PrometheusClient::queryRange(const QString &promql, const QDateTime &start,
                                                 const QDateTime &end,
                                                 std::chrono::milliseconds step) {
    const auto chunks =
        splitRange(start.toMSecsSinceEpoch(), end.toMSecsSinceEpoch(), step.count());
    if (chunks.isEmpty() || chunks.size() > kMaxChunks) {
        return finishedReply<QueryResult>(
            m_name,
            Error{ErrorKind::Protocol, m_name,
                  chunks.isEmpty()
                      ? u"empty range: the end is before the start, or step <= 0"_s
                      : u"range needs more than %1 requests: widen the step"_s.arg(kMaxChunks),
                  0, u"bad_range"_s});
    }
    // -> QByteArray: with QT_USE_QSTRINGBUILDER an `auto` return would be a builder expression
    // that refers to the formField() temporaries after they are gone.
    auto makeForm = [&promql, step](const RangeChunk &chunk) -> QByteArray {
        return formField("query", promql.toUtf8()) + '&' +
               formField("start", seconds(chunk.startMs)) + '&' +
               formField("end", seconds(chunk.endMs)) + '&' +
               formField("step", seconds(step.count()));
    };
    if (chunks.size() == 1)
        return post(u"api/v1/query_range"_s, makeForm(chunks.constFirst()));

    qCDebug(lcPrometheus) << "range query split into" << chunks.size() << "requests";
    auto *reply = new Reply<QueryResult>(m_name);
    auto parts = std::make_shared<QList<QueryResult>>(chunks.size());
    auto remaining = std::make_shared<qsizetype>(chunks.size());
    auto pending = std::make_shared<QList<QPointer<Request>>>();
    for (qsizetype i = 0; i < chunks.size(); ++i) {
        auto *part = post(u"api/v1/query_range"_s, makeForm(chunks.at(i)));
        pending->append(part);
        part->onFinished(reply, [reply, parts, remaining, i](const Result<QueryResult> &r) {
            if (!r.ok()) {
                reply->fail(r.error()); // the cleanup cancels the other parts
                return;
            }
            (*parts)[i] = r.value();
            if (--*remaining == 0)
                reply->succeed(prometheus::mergeRangeChunks(*parts));
        });
    }
    reply->setCleanup([pending] {
        for (const QPointer<Request> &part : *pending) {
            if (part)
                part->cancel(u"range query ended"_s);
        }
    });
    return reply;
}

} // namespace cutover::backends
