#pragma once

#include <QAbstractTableModel>
#include <QMap>
#include <QStringList>

namespace cutover::models {

// Each load balancer's weights beside what the stage intends: one column per server (the legacy
// pool, then OTel), the first row the intended weights, then one row per load balancer with its
// last read-back — a strip a few rows high under the charts however many servers there are. A
// cell that differs from the intended weight says so (DiffersRole, tooltip); one never read shows
// "—". Updates touch only the rows that changed.
class LbWeightsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Row { IntendedRow, FirstLbRow };
    enum Role {
        DiffersRole = Qt::UserRole + 1, // bool: this LB's read-back is not the intended weight
        WeightRole,                     // int, or invalid when unknown
    };

    explicit LbWeightsModel(QObject *parent = nullptr);

    void setPools(const QStringList &legacy, const QStringList &otel);
    void setLoadBalancers(const QStringList &loadBalancers);
    // `observed`: lb -> server -> weight (what was last read back; an LB missing: not read yet).
    void setWeights(const QMap<QString, int> &intended,
                    const QMap<QString, QMap<QString, int>> &observed);

    // Load balancers whose read-back differs from the intended weights somewhere.
    QStringList differingLoadBalancers() const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    QString serverAt(int column) const;
    bool differs(const QString &lb, const QString &server) const;

    QStringList m_legacy;
    QStringList m_otel;
    QStringList m_lbs;
    QMap<QString, int> m_intended;
    QMap<QString, QMap<QString, int>> m_observed;
};

} // namespace cutover::models
