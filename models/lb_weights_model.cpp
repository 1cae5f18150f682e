#include "models/lb_weights_model.h"

#include <QBrush>
#include <QColor>

using namespace Qt::StringLiterals;

namespace cutover::models {

LbWeightsModel::LbWeightsModel(QObject *parent)
    : QAbstractTableModel(parent) {}

void LbWeightsModel::setPools(const QStringList &legacy, const QStringList &otel) {
    if (legacy == m_legacy && otel == m_otel)
        return;
    beginResetModel();
    m_legacy = legacy;
    m_otel = otel;
    endResetModel();
}

void LbWeightsModel::setLoadBalancers(const QStringList &loadBalancers) {
    if (loadBalancers == m_lbs)
        return;
    beginResetModel();
    m_lbs = loadBalancers;
    m_observed.clear();
    endResetModel();
}

void LbWeightsModel::setWeights(const QMap<QString, int> &intended,
                                const QMap<QString, QMap<QString, int>> &observed) {
    if (intended == m_intended && observed == m_observed)
        return;
    const QMap<QString, int> oldIntended = m_intended;
    const QMap<QString, QMap<QString, int>> oldObserved = m_observed;
    m_intended = intended;
    m_observed = observed;
    // Only the rows whose numbers moved: a view redraws them, not the table.
    for (int row = 0; row < rowCount(); ++row) {
        bool changed = false;
        for (int column = 0; column < columnCount(); ++column) {
            const QString server = serverAt(column);
            if (row == IntendedRow) {
                changed = changed || oldIntended.value(server, -1) != m_intended.value(server, -1);
            } else {
                const QString &lb = m_lbs.at(row - FirstLbRow);
                changed = changed || oldObserved.value(lb).value(server, -1) !=
                                         m_observed.value(lb).value(server, -1);
            }
        }
        if (changed)
            Q_EMIT dataChanged(index(row, 0), index(row, columnCount() - 1));
    }
}

QStringList LbWeightsModel::differingLoadBalancers() const {
    QStringList lbs;
    for (const QString &lb : m_lbs) {
        for (int column = 0; column < columnCount(); ++column) {
            if (differs(lb, serverAt(column))) {
                lbs.append(lb);
                break;
            }
        }
    }
    return lbs;
}

int LbWeightsModel::rowCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : FirstLbRow + int(m_lbs.size());
}

int LbWeightsModel::columnCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : int(m_legacy.size() + m_otel.size());
}

QString LbWeightsModel::serverAt(int column) const {
    return column < m_legacy.size() ? m_legacy.at(column)
                                    : m_otel.value(column - int(m_legacy.size()));
}

bool LbWeightsModel::differs(const QString &lb, const QString &server) const {
    const auto read = m_observed.constFind(lb);
    if (read == m_observed.cend() || !read->contains(server) || !m_intended.contains(server))
        return false; // unknown is not a difference; the cell says what is unknown
    return read->value(server) != m_intended.value(server);
}

QVariant LbWeightsModel::data(const QModelIndex &index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const QString server = serverAt(index.column());
    const bool intendedRow = index.row() == IntendedRow;
    const QString lb = intendedRow ? QString() : m_lbs.value(index.row() - FirstLbRow);
    const bool known =
        intendedRow ? m_intended.contains(server) : m_observed.value(lb).contains(server);
    const int weight = intendedRow ? m_intended.value(server) : m_observed.value(lb).value(server);
    const bool differ = !intendedRow && differs(lb, server);
    switch (role) {
    case Qt::DisplayRole:
        return known ? QString::number(weight) : u"—"_s;
    case Qt::TextAlignmentRole:
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    case WeightRole:
        return known ? QVariant(weight) : QVariant();
    case DiffersRole:
        return differ;
    case Qt::ForegroundRole:
        return differ ? QVariant(QBrush(QColor(0xd3, 0x2f, 0x2f))) : QVariant();
    case Qt::ToolTipRole:
        if (intendedRow)
            return known ? tr("%1: the stage intends weight %2").arg(server).arg(weight)
                         : tr("%1: no intended weight known yet").arg(server);
        if (!known)
            return tr("%1 on %2: not read back yet").arg(server, lb);
        return differ ? tr("%1 on %2 reads %3, the stage intends %4")
                            .arg(server, lb)
                            .arg(weight)
                            .arg(m_intended.value(server))
                      : tr("%1 on %2 reads %3, as intended").arg(server, lb).arg(weight);
    default:
        return {};
    }
}

QVariant LbWeightsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation == Qt::Vertical) {
        if (role != Qt::DisplayRole)
            return {};
        return section == IntendedRow ? tr("Intended") : m_lbs.value(section - FirstLbRow);
    }
    const bool legacy = section < m_legacy.size();
    if (role == Qt::DisplayRole)
        return serverAt(section);
    if (role == Qt::ToolTipRole)
        return legacy ? tr("%1: legacy pool").arg(serverAt(section))
                      : tr("%1: OTel pool").arg(serverAt(section));
    return {};
}

} // namespace cutover::models
