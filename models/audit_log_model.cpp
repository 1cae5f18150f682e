#include "models/audit_log_model.h"

#include <QFont>
#include <QFontDatabase>
#include <QJsonDocument>

#include <algorithm>
#include <set>

using namespace Qt::StringLiterals;

namespace cutover::models {

AuditLogModel::AuditLogModel(QObject *parent)
    : QAbstractTableModel(parent) {}

QString AuditLogModel::timeText(const QDateTime &at) {
    return at.isValid() ? at.toUTC().toString(u"yyyy-MM-dd HH:mm:ss.zzz 'UTC'"_s) : QString();
}

int AuditLogModel::appendEntries(const QList<store::AuditEntry> &entries) {
    QList<store::AuditEntry> fresh;
    qint64 last = lastSeq();
    for (const auto &entry : entries) {
        // The log only grows: anything at or below the last seq is a repeat.
        if (entry.seq > last) {
            fresh.append(entry);
            last = entry.seq;
        }
    }
    if (fresh.isEmpty())
        return 0;
    const int first = int(m_entries.size());
    beginInsertRows({}, first, first + int(fresh.size()) - 1);
    m_entries.append(fresh);
    endInsertRows();
    return int(fresh.size());
}

void AuditLogModel::clear() {
    if (m_entries.isEmpty())
        return;
    beginResetModel();
    m_entries.clear();
    endResetModel();
}

QStringList AuditLogModel::actors() const {
    std::set<QString> names;
    for (const auto &entry : m_entries)
        names.insert(entry.actor);
    return QStringList(names.begin(), names.end());
}

QStringList AuditLogModel::actions() const {
    std::set<QString> names;
    for (const auto &entry : m_entries)
        names.insert(entry.action);
    return QStringList(names.begin(), names.end());
}

int AuditLogModel::rowCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : int(m_entries.size());
}

int AuditLogModel::columnCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AuditLogModel::data(const QModelIndex &index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const store::AuditEntry &e = m_entries.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case SeqColumn:
            return e.seq;
        case TimeColumn:
            return timeText(e.at);
        case ActorColumn:
            return e.actor;
        case RoleColumn:
            return e.role;
        case ActionColumn:
            return e.action;
        case EnvironmentColumn:
            return e.environment;
        case SubjectColumn:
            return e.subject;
        case DetailsColumn:
            return e.details == u"{}"_s ? QString() : e.details;
        }
        return {};
    case Qt::ToolTipRole:
        if (index.column() == DetailsColumn) {
            const QByteArray pretty =
                QJsonDocument(e.detailsObject()).toJson(QJsonDocument::Indented);
            return QString::fromUtf8(pretty).trimmed();
        }
        return tr("#%1 · %2 · hash %3").arg(e.seq).arg(timeText(e.at), e.hash.left(16));
    case Qt::TextAlignmentRole:
        if (index.column() == SeqColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::FontRole:
        if (index.column() == DetailsColumn)
            return QFontDatabase::systemFont(QFontDatabase::FixedFont);
        return {};
    case SeqRole:
        return e.seq;
    case TimeRole:
        return e.at;
    case ActorRole:
        return e.actor;
    case ActionRole:
        return e.action;
    case HashRole:
        return e.hash;
    default:
        return {};
    }
}

QVariant AuditLogModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case SeqColumn:
        return tr("#");
    case TimeColumn:
        return tr("Time (UTC)");
    case ActorColumn:
        return tr("Actor");
    case RoleColumn:
        return tr("Role");
    case ActionColumn:
        return tr("Action");
    case EnvironmentColumn:
        return tr("Environment");
    case SubjectColumn:
        return tr("Subject");
    case DetailsColumn:
        return tr("Details");
    default:
        return {};
    }
}

AuditFilterModel::AuditFilterModel(QObject *parent)
    : QSortFilterProxyModel(parent) {
    setDynamicSortFilter(true);
}

void AuditFilterModel::setActor(const QString &actor) {
    if (actor == m_actor)
        return;
    m_actor = actor;
    invalidateFilter();
}

void AuditFilterModel::setAction(const QString &action) {
    if (action == m_action)
        return;
    m_action = action;
    invalidateFilter();
}

void AuditFilterModel::setTimeRange(const QDateTime &from, const QDateTime &to) {
    if (from == m_from && to == m_to)
        return;
    m_from = from;
    m_to = to;
    invalidateFilter();
}

void AuditFilterModel::clearFilters() {
    m_actor.clear();
    m_action.clear();
    m_from = QDateTime();
    m_to = QDateTime();
    invalidateFilter();
}

bool AuditFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const {
    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    if (!m_actor.isEmpty() &&
        index.data(AuditLogModel::ActorRole).toString().compare(m_actor, Qt::CaseInsensitive) != 0)
        return false;
    if (!m_action.isEmpty() &&
        index.data(AuditLogModel::ActionRole).toString().compare(m_action, Qt::CaseInsensitive) !=
            0)
        return false;
    if (m_from.isValid() || m_to.isValid()) {
        const QDateTime at = index.data(AuditLogModel::TimeRole).toDateTime();
        if (m_from.isValid() && at < m_from)
            return false;
        if (m_to.isValid() && at > m_to)
            return false;
    }
    return true;
}

bool AuditFilterModel::lessThan(const QModelIndex &left, const QModelIndex &right) const {
    // Time and seq sort by the value, not the text; everything else by text.
    if (left.column() == AuditLogModel::SeqColumn || left.column() == AuditLogModel::TimeColumn)
        return left.data(AuditLogModel::SeqRole).toLongLong() <
               right.data(AuditLogModel::SeqRole).toLongLong();
    return QSortFilterProxyModel::lessThan(left, right);
}

} // namespace cutover::models
