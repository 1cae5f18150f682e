#include "models/rollback_progress_model.h"

#include <QColor>
#include <QFont>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace cutover::models {

RollbackProgressModel::RollbackProgressModel(QObject *parent)
    : QAbstractTableModel(parent) {}

void RollbackProgressModel::start(const QStringList &loadBalancers) {
    beginResetModel();
    m_rows.clear();
    for (const QString &lb : loadBalancers)
        m_rows.append(Row{lb, std::nullopt});
    endResetModel();
}

void RollbackProgressModel::addResult(const backends::LbApplyResult &result) {
    for (int row = 0; row < int(m_rows.size()); ++row) {
        if (m_rows.at(row).lb == result.lb) {
            m_rows[row].result = result;
            Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
            return;
        }
    }
    const int row = int(m_rows.size());
    beginInsertRows({}, row, row);
    m_rows.append(Row{result.lb, result});
    endInsertRows();
}

int RollbackProgressModel::finishedCount() const {
    return int(std::count_if(m_rows.cbegin(), m_rows.cend(),
                             [](const Row &r) { return r.result.has_value(); }));
}

int RollbackProgressModel::verifiedCount() const {
    return int(std::count_if(m_rows.cbegin(), m_rows.cend(),
                             [](const Row &r) { return r.result && r.result->verified; }));
}

qint64 RollbackProgressModel::maxElapsedMs() const {
    qint64 most = 0;
    for (const Row &r : m_rows) {
        if (r.result)
            most = std::max(most, r.result->elapsedMs);
    }
    return most;
}

QStringList RollbackProgressModel::failedLbs() const {
    QStringList names;
    for (const Row &r : m_rows) {
        if (r.result && !r.result->verified)
            names.append(r.lb);
    }
    return names;
}

QStringList RollbackProgressModel::failureTexts() const {
    QStringList texts;
    for (const Row &r : m_rows) {
        if (r.result && !r.result->verified)
            texts.append(r.lb + u": "_s + errorText(*r.result));
    }
    return texts;
}

std::optional<backends::LbApplyResult> RollbackProgressModel::resultFor(const QString &lb) const {
    for (const Row &r : m_rows) {
        if (r.lb == lb)
            return r.result;
    }
    return std::nullopt;
}

QString RollbackProgressModel::errorText(const backends::LbApplyResult &result) {
    if (result.error) {
        // Error::toString() starts with the backend's name; the row already shows it.
        QString text = result.error->message;
        if (text.isEmpty())
            text = result.error->toString();
        return text;
    }
    if (!result.verified && !result.mismatches.isEmpty())
        return tr("read-back differs on %n server(s)", nullptr, int(result.mismatches.size()));
    if (!result.verified)
        return tr("not verified");
    return QString();
}

int RollbackProgressModel::rowCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int RollbackProgressModel::columnCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RollbackProgressModel::data(const QModelIndex &index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows.at(index.row());
    const auto yesNo = [](bool value) {
        return value ? tr("yes") : tr("NO");
    };
    switch (role) {
    case Qt::DisplayRole:
        if (index.column() == LbColumn)
            return row.lb;
        if (!row.result)
            return index.column() == SentColumn ? tr("waiting…") : QVariant();
        switch (index.column()) {
        case SentColumn:
            return yesNo(row.result->sent);
        case VerifiedColumn:
            return yesNo(row.result->verified);
        case ElapsedColumn:
            return row.result->elapsedMs;
        case AttemptsColumn:
            return row.result->attempts;
        case ErrorColumn:
            return errorText(*row.result);
        }
        return {};
    case Qt::ToolTipRole:
        if (row.result && row.result->error)
            return row.result->error->toString();
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == ElapsedColumn || index.column() == AttemptsColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::DecorationRole:
        // A colour swatch on the name: green verified, red failed, amber waiting.
        if (index.column() != LbColumn)
            return {};
        if (!row.result)
            return QColor(0xe0, 0x9b, 0x1a);
        return row.result->verified ? QColor(0x2e, 0xa0, 0x43) : QColor(0xe0, 0x3c, 0x31);
    case Qt::FontRole:
        if (row.result && !row.result->verified) {
            QFont font;
            font.setBold(true);
            return font;
        }
        return {};
    case FinishedRole:
        return row.result.has_value();
    case VerifiedRole:
        return row.result && row.result->verified;
    default:
        return {};
    }
}

QVariant RollbackProgressModel::headerData(int section, Qt::Orientation orientation,
                                           int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case LbColumn:
        return tr("Load balancer");
    case SentColumn:
        return tr("Sent");
    case VerifiedColumn:
        return tr("Verified");
    case ElapsedColumn:
        return tr("Elapsed (ms)");
    case AttemptsColumn:
        return tr("Attempts");
    case ErrorColumn:
        return tr("Error");
    default:
        return {};
    }
}

} // namespace cutover::models
