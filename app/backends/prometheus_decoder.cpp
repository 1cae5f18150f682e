#include "app/backends/prometheus_decoder.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;
using cutover::net::Error;
using cutover::net::ErrorKind;

namespace cutover::backends {

double QueryResult::singleValue() const {
    if (type == Type::Scalar)
        return scalar.value;
    if (type == Type::Vector && vector.size() == 1)
        return vector.constFirst().point.value;
    return std::numeric_limits<double>::quiet_NaN();
}

QString queryResultTypeName(QueryResult::Type type) {
    switch (type) {
    case QueryResult::Type::Vector:
        return u"vector"_s;
    case QueryResult::Type::Matrix:
        return u"matrix"_s;
    case QueryResult::Type::Scalar:
        return u"scalar"_s;
    case QueryResult::Type::String:
        return u"string"_s;
    }
    return QString();
}

namespace prometheus {

namespace {

Error protocolError(const QString &backend, const QString &message, int status = 0) {
    return Error{ErrorKind::Protocol, backend, message, status, u"protocol"_s};
}

std::optional<PromPoint> parsePoint(const QJsonValue &value) {
    const QJsonArray pair = value.toArray();
    if (pair.size() != 2 || !pair.at(0).isDouble() || !pair.at(1).isString())
        return std::nullopt;
    const auto number = parseSampleValue(pair.at(1).toString());
    if (!number)
        return std::nullopt;
    return PromPoint{pair.at(0).toDouble(), *number};
}

std::optional<Labels> parseLabels(const QJsonValue &value) {
    if (!value.isObject())
        return std::nullopt;
    Labels labels;
    const QJsonObject object = value.toObject();
    for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
        if (!it.value().isString())
            return std::nullopt;
        labels.insert(it.key(), it.value().toString());
    }
    return labels;
}

net::Result<QueryResult> parseData(const QJsonObject &data, const QString &backend) {
    QueryResult result;
    const QString type = data.value(u"resultType"_s).toString();
    const QJsonValue payload = data.value(u"result"_s);
    const QString bad = u"malformed %1 result"_s.arg(type.isEmpty() ? u"(untyped)"_s : type);
    if (type == u"vector"_s) {
        result.type = QueryResult::Type::Vector;
        for (const QJsonValue &item : payload.toArray()) {
            const auto labels = parseLabels(item.toObject().value(u"metric"_s));
            const auto point = parsePoint(item.toObject().value(u"value"_s));
            if (!labels || !point)
                return protocolError(backend, bad);
            result.vector.append({*labels, *point});
        }
    } else if (type == u"matrix"_s) {
        result.type = QueryResult::Type::Matrix;
        for (const QJsonValue &item : payload.toArray()) {
            const auto labels = parseLabels(item.toObject().value(u"metric"_s));
            if (!labels)
                return protocolError(backend, bad);
            PromSeries series{*labels, {}};
            const QJsonArray values = item.toObject().value(u"values"_s).toArray();
            series.points.reserve(values.size());
            for (const QJsonValue &v : values) {
                const auto point = parsePoint(v);
                if (!point)
                    return protocolError(backend, bad);
                series.points.append(*point);
            }
            result.matrix.append(std::move(series));
        }
    } else if (type == u"scalar"_s) {
        result.type = QueryResult::Type::Scalar;
        const auto point = parsePoint(payload);
        if (!point)
            return protocolError(backend, bad);
        result.scalar = *point;
    } else if (type == u"string"_s) {
        result.type = QueryResult::Type::String;
        const QJsonArray pair = payload.toArray();
        if (pair.size() != 2 || !pair.at(0).isDouble() || !pair.at(1).isString())
            return protocolError(backend, bad);
        result.scalar.time = pair.at(0).toDouble();
        result.string = pair.at(1).toString();
    } else {
        return protocolError(backend, u"unknown resultType '%1'"_s.arg(type.left(40)));
    }
    if (!payload.isArray() && type != u"scalar"_s && type != u"string"_s)
        return protocolError(backend, bad);
    return result;
}

} // namespace

std::optional<double> parseSampleValue(const QString &text) {
    if (text == u"NaN"_s)
        return std::numeric_limits<double>::quiet_NaN();
    if (text == u"+Inf"_s || text == u"Inf"_s)
        return std::numeric_limits<double>::infinity();
    if (text == u"-Inf"_s)
        return -std::numeric_limits<double>::infinity();
    bool ok = false;
    const double value = text.toDouble(&ok);
    if (!ok)
        return std::nullopt;
    return value;
}

net::Result<QueryResult> decodeQueryResponse(const net::HttpResponse &response,
                                             const QString &backend) {
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(response.body, &parseError);
    const bool httpOk = response.status >= 200 && response.status < 300;
    if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
        if (!httpOk) {
            return Error{ErrorKind::Http, backend,
                         u"HTTP %1 without a Prometheus error body"_s.arg(response.status),
                         response.status, QString()};
        }
        return protocolError(
            backend,
            u"the answer is not a JSON object (%1 at byte %2 of %3)"_s.arg(parseError.errorString())
                .arg(parseError.offset)
                .arg(response.body.size()),
            response.status);
    }
    const QJsonObject root = document.object();
    const QString status = root.value(u"status"_s).toString();
    if (status == u"error"_s || !httpOk) {
        const QString errorType = root.value(u"errorType"_s).toString();
        const QString message = root.value(u"error"_s).toString();
        return Error{httpOk ? ErrorKind::Protocol : ErrorKind::Http, backend,
                     message.isEmpty() ? u"HTTP %1"_s.arg(response.status) : message.left(500),
                     response.status, errorType};
    }
    if (status != u"success"_s || !root.value(u"data"_s).isObject())
        return protocolError(backend, u"neither success nor error in the answer"_s,
                             response.status);
    auto result = parseData(root.value(u"data"_s).toObject(), backend);
    if (result.ok()) {
        for (const QJsonValue &warning : root.value(u"warnings"_s).toArray())
            result.value().warnings.append(warning.toString());
    }
    return result;
}

QueryResult mergeRangeChunks(const QList<QueryResult> &chunks) {
    QueryResult merged;
    merged.type = QueryResult::Type::Matrix;
    merged.requests = 0;
    QHash<QString, qsizetype> index; // canonical label text -> position in merged.matrix
    for (const QueryResult &chunk : chunks) {
        merged.requests += chunk.requests;
        for (const QString &warning : chunk.warnings) {
            if (!merged.warnings.contains(warning))
                merged.warnings.append(warning);
        }
        for (const PromSeries &series : chunk.matrix) {
            QString key;
            for (auto label = series.labels.cbegin(); label != series.labels.cend(); ++label)
                key += label.key() + u'\x1f' + label.value() + u'\x1e';
            auto it = index.constFind(key);
            if (it == index.cend()) {
                index.insert(key, merged.matrix.size());
                merged.matrix.append(series);
                continue;
            }
            QList<PromPoint> &points = merged.matrix[*it].points;
            for (const PromPoint &point : series.points) {
                // Chunks do not overlap, but guard against a shared boundary sample.
                if (points.isEmpty() || point.time > points.constLast().time)
                    points.append(point);
            }
        }
    }
    return merged;
}

} // namespace prometheus
} // namespace cutover::backends
