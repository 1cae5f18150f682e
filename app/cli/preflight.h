#pragma once

// `cutover-console --preflight --plan FILE`: the seed's "final system health checks" before a
// cutover. Connects to every LB, Prometheus and Alertmanager of the plan, asynchronously, and
// prints one row per check, in plan order, as results come in:
//
//   PASS  lb-a          reachable            HAProxy 2.6.12-1+deb12u4, pid 4242, up 310 s
//   WARN  lb-b          balance algorithm    balance leastconn: short requests ignore weights...
//   FAIL  prometheus    production: trigger data_loss   bad_data: parse error at char 12...
//   WARN  decommission  step terminate_instances     not configured: fill in <legacy-...>
//
// Exit code 0 only when every check passes (a warning passes), 1 otherwise.

#include "app/config/plan.h"

#include <QList>
#include <QObject>
#include <QString>
#include <QTextStream>

namespace cutover::cli {

class Preflight : public QObject {
    Q_OBJECT
public:
    struct Row {
        QString subject; // lb-a, prometheus, alertmanager
        QString check;
        bool done = false;
        bool pass = false;
        bool warn = false; // passes, with something the operator should know
        QString detail;
    };

    Preflight(const config::Plan &plan, QTextStream &out, QTextStream &err,
              QObject *parent = nullptr);
    ~Preflight() override;

    // Starts every check; finished() follows once all have a result (each has a deadline).
    void start();
    const QList<Row> &rows() const { return m_rows; }
    int exitCode() const;

Q_SIGNALS:
    void finished(int exitCode);

private:
    int addRow(const QString &subject, const QString &check);
    void complete(int row, bool pass, const QString &detail, bool warn = false);
    void flush();
    void checkLoadBalancer(const config::LoadBalancer &lb);
    void checkPrometheus();
    void checkAlertmanager();
    void checkDecommission();
    void checkStoreTransport();

    config::Plan m_plan;
    QTextStream &m_out;
    QTextStream &m_err;
    QList<Row> m_rows;
    int m_printed = 0;
    int m_open = 0;
    bool m_started = false;
    bool m_finished = false;
};

// Runs the preflight of `plan` to completion on the application's event loop: call it with a
// QCoreApplication alive and its loop NOT yet running (it runs QCoreApplication::exec() itself,
// as the top-level loop, and quits it when done). Returns the exit code (0: all checks pass).
int runPreflight(const config::Plan &plan, QTextStream &out, QTextStream &err);

} // namespace cutover::cli
