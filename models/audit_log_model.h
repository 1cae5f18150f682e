#pragma once

#include "app/store/records.h"

#include <QAbstractTableModel>
#include <QDateTime>
#include <QSortFilterProxyModel>

namespace cutover::models {

// The audit log as a table, oldest first. Append-only like the log itself: appendEntries() adds
// the entries it has not seen (by seq), so a caller may hand it overlapping batches (the
// engine's auditAppended signal and a Store::auditEntries(afterSeq) catch-up).
class AuditLogModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        SeqColumn,
        TimeColumn,
        ActorColumn,
        RoleColumn,
        ActionColumn,
        EnvironmentColumn,
        SubjectColumn,
        DetailsColumn,
        ColumnCount
    };
    enum Role {
        SeqRole = Qt::UserRole + 1, // qint64
        TimeRole,                   // QDateTime (UTC)
        ActorRole,
        ActionRole,
        HashRole,
    };

    explicit AuditLogModel(QObject *parent = nullptr);

    // Appends the entries whose seq is above the last one held; returns how many were added.
    int appendEntries(const QList<store::AuditEntry> &entries);
    void clear();

    const QList<store::AuditEntry> &entries() const { return m_entries; }
    qint64 lastSeq() const { return m_entries.isEmpty() ? 0 : m_entries.constLast().seq; }
    QString headHash() const {
        return m_entries.isEmpty() ? QString() : m_entries.constLast().hash;
    }
    // Distinct values, sorted, for filter choices.
    QStringList actors() const;
    QStringList actions() const;

    static QString timeText(const QDateTime &at); // "2024-05-01 10:00:00.123 UTC"

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    QList<store::AuditEntry> m_entries;
};

// Filters an AuditLogModel by actor, action (exact, case-insensitive; empty: any) and a time
// range (either end invalid: open). Sorts by seq unless a view asks otherwise.
class AuditFilterModel : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit AuditFilterModel(QObject *parent = nullptr);

    void setActor(const QString &actor);
    void setAction(const QString &action);
    void setTimeRange(const QDateTime &from, const QDateTime &to);
    void clearFilters();

    const QString &actor() const { return m_actor; }
    const QString &action() const { return m_action; }
    const QDateTime &from() const { return m_from; }
    const QDateTime &to() const { return m_to; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    QString m_actor;
    QString m_action;
    QDateTime m_from;
    QDateTime m_to;
};

} // namespace cutover::models
