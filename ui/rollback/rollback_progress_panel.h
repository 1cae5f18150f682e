#pragma once

#include "app/backends/lb_types.h"

#include <QWidget>

#include <optional>

class QLabel;
class QTableView;

namespace cutover::models {
class RollbackProgressModel;
}

namespace cutover::ui {

// Per-LB progress of a rollback: a headline that says at a glance whether every load balancer
// is back on legacy, and a table (sent, verified, elapsed, attempts, error) filled as each
// LbApplyResult arrives. Wiring: start() when the rollback begins, addResult() on
// Operation::lbFinished, finish() on Operation::finished.
class RollbackProgressPanel : public QWidget {
    Q_OBJECT
public:
    enum class Outcome { Idle, InProgress, Verified, NotVerified };
    Q_ENUM(Outcome)

    explicit RollbackProgressPanel(QWidget *parent = nullptr);
    ~RollbackProgressPanel() override;

    void start(const QString &environment, const QStringList &loadBalancers);
    void addResult(const backends::LbApplyResult &result);
    // The operation's end: `ok` and its summary (shown under the headline). Without a call, the
    // headline turns final by itself once every announced load balancer has reported.
    void finish(bool ok, const QString &summary = QString());
    void reset();

    Outcome outcome() const { return m_outcome; }
    QString headline() const;
    QString summary() const;

    models::RollbackProgressModel *model() const { return m_model; }
    QTableView *tableView() const { return m_table; }
    QLabel *headlineLabel() const { return m_headline; }

Q_SIGNALS:
    void outcomeChanged(cutover::ui::RollbackProgressPanel::Outcome outcome);

protected:
    void changeEvent(QEvent *event) override;

private:
    void updateHeadline();

    QString m_environment;
    Outcome m_outcome = Outcome::Idle;
    bool m_finished = false;
    std::optional<bool> m_operationOk;
    models::RollbackProgressModel *m_model;
    QLabel *m_headline;
    QLabel *m_summary;
    QTableView *m_table;
};

} // namespace cutover::ui
