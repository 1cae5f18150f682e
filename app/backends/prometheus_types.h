#pragma once

// Prometheus query results as typed values. Sample values arrive as strings and may be
// "NaN", "+Inf" or "-Inf": they become the matching doubles, never an error and never 0.

#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

namespace cutover::backends {

using Labels = QMap<QString, QString>;

struct PromPoint {
    double time = 0; // unix seconds
    double value = 0;
};

struct PromSample {
    Labels labels;
    PromPoint point;
};

struct PromSeries {
    Labels labels;
    QList<PromPoint> points; // in time order
};

struct QueryResult {
    enum class Type { Vector, Matrix, Scalar, String };
    Type type = Type::Vector;
    QList<PromSample> vector; // Vector
    QList<PromSeries> matrix; // Matrix
    PromPoint scalar;         // Scalar
    QString string;           // String (its time in `scalar.time`)
    QStringList warnings;
    int requests = 1; // how many HTTP requests it took (range queries are split)

    // The single number of a one-element vector or a scalar; NaN otherwise (empty, many).
    double singleValue() const;
};

QString queryResultTypeName(QueryResult::Type type);

} // namespace cutover::backends
