#pragma once

#include "app/backends/lb_types.h"

#include <QAbstractTableModel>

#include <optional>

namespace cutover::models {

// One row per load balancer of a rollback (or shift) in flight: sent, verified, elapsed, attempts,
// error. start() lists the load balancers expected (rows waiting for their result); addResult()
// fills a row as each LbApplyResult arrives (a load balancer not announced gets a new row).
class RollbackProgressModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        LbColumn,
        SentColumn,
        VerifiedColumn,
        ElapsedColumn,
        AttemptsColumn,
        ErrorColumn,
        ColumnCount
    };
    enum Role {
        FinishedRole = Qt::UserRole + 1, // bool: the load balancer's result is in
        VerifiedRole,                    // bool
    };

    explicit RollbackProgressModel(QObject *parent = nullptr);

    // Empties the table and lists the load balancers about to be driven.
    void start(const QStringList &loadBalancers);
    void addResult(const backends::LbApplyResult &result);
    void clear() { start({}); }

    int expectedCount() const { return int(m_rows.size()); }
    int finishedCount() const;
    int verifiedCount() const;
    bool allFinished() const { return finishedCount() == expectedCount(); }
    qint64 maxElapsedMs() const;
    QStringList failedLbs() const; // finished and not verified
    // "lb-b: connect: connection refused" for each failed load balancer.
    QStringList failureTexts() const;
    std::optional<backends::LbApplyResult> resultFor(const QString &lb) const;

    static QString errorText(const backends::LbApplyResult &result);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    struct Row {
        QString lb;
        std::optional<backends::LbApplyResult> result;
    };
    QList<Row> m_rows;
};

} // namespace cutover::models
