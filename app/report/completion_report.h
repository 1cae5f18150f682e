#pragma once

// The seed's deliverables "cutover completion report" and "cost analysis" in one printable
// record: per environment the stages with their dates, the rollbacks and incidents, every gate
// with its signatures, the decommission steps with their evidence and hashes, the cost
// analysis, the exit criteria and the handoff checklist; and the audit chain's head hash that
// ties the paper to the log. Pure: built from the plan, the engine's snapshots and the audit log
// (the decommission is folded from the log, as the engine does), no I/O, no clock.

#include "app/config/plan.h"
#include "app/cutover/engine_snapshot.h"
#include "app/store/records.h"

#include <QDateTime>
#include <QList>
#include <QString>

namespace cutover::report {

struct CompletionReportInputs {
    const config::Plan *plan = nullptr;
    QList<engine::EnvironmentSnapshot> snapshots;
    QList<store::AuditEntry> audit; // the whole log, oldest first
    store::AuditVerification verification;
    QDateTime now;
};

// HTML for the PDF writer (app/report/pdf_output.h).
QString completionReportHtml(const CompletionReportInputs &inputs);

} // namespace cutover::report
