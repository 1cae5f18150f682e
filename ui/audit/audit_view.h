#pragma once

#include "app/store/records.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QDateTimeEdit;
class QLabel;
class QPushButton;
class QTableView;

namespace cutover::models {
class AuditLogModel;
class AuditFilterModel;
} // namespace cutover::models

namespace cutover::ui {

// The audit log: newest first, filtered by actor, action and a from/to time (UTC). Feed it the
// engine's auditAppended entries and, at start or after a reconnect, Store::auditEntries(lastSeq)
// — repeats are ignored.
class AuditView : public QWidget {
    Q_OBJECT
public:
    explicit AuditView(QWidget *parent = nullptr);
    ~AuditView() override;

    void appendEntries(const QList<store::AuditEntry> &entries);
    void appendEntry(const store::AuditEntry &entry) { appendEntries({entry}); }
    void clear();
    // The chain's verified head, e.g. from Store::verifyAuditChain(); shown under the table.
    void setChainStatus(const QString &text);

    // Filters (also reachable from the controls). Empty / invalid: no filter.
    void setActorFilter(const QString &actor);
    void setActionFilter(const QString &action);
    void setTimeRange(const QDateTime &from, const QDateTime &to);
    void clearFilters();

    models::AuditLogModel *model() const { return m_model; }
    models::AuditFilterModel *filterModel() const { return m_filter; }
    QTableView *tableView() const { return m_table; }
    QComboBox *actorBox() const { return m_actor; }
    QComboBox *actionBox() const { return m_action; }
    QCheckBox *fromCheck() const { return m_fromEnabled; }
    QCheckBox *toCheck() const { return m_toEnabled; }
    QDateTimeEdit *fromEdit() const { return m_from; }
    QDateTimeEdit *toEdit() const { return m_to; }
    QLabel *countLabel() const { return m_count; }
    QPushButton *clearButton() const { return m_clear; }

private:
    void refreshChoices();
    void applyControls();
    void updateCount();
    static void setChoices(QComboBox *box, const QString &allText, const QStringList &values);

    models::AuditLogModel *m_model;
    models::AuditFilterModel *m_filter;
    QComboBox *m_actor;
    QComboBox *m_action;
    QCheckBox *m_fromEnabled;
    QDateTimeEdit *m_from;
    QCheckBox *m_toEnabled;
    QDateTimeEdit *m_to;
    QPushButton *m_clear;
    QTableView *m_table;
    QLabel *m_count;
    QLabel *m_chain;
    bool m_applying = false;
};

} // namespace cutover::ui
