#pragma once

// Headless control: the same engine and guards as the window, from a terminal, for scripts and
// for the day the desktop is gone.
//
//   cutover-console --status [--json]
//   cutover-console --shift ENV --to PERCENT --operator NAME [--wait]   (passphrase on stdin)
//   cutover-console --rollback ENV --operator NAME                      (passphrase on stdin)
//   cutover-console --rollback ENV --to PERCENT --reason TEXT --operator NAME [--wait]
//   cutover-console --tick GATE/ITEM --env ENV --operator NAME          (passphrase on stdin)
//   cutover-console --sign GATE --env ENV --meaning TEXT [--comment TEXT] --operator NAME
//                   [--acknowledge-marginal]   (a marginal score: needs --comment saying why)
//   cutover-console --decommission ENV --step ID --operator NAME [--confirm TEXT]
//                   [--evidence FILE|URL|TEXT] [--permanence TEXT]        (passphrase on stdin)
//   cutover-console --decommission ENV --step ID --approve ROLE --operator NAME (passphrase)
//
// Exit codes: 0 done, 1 failed (tried and did not work), 2 usage or unreadable input,
// 3 refused (the reasons are printed, one a line).

#include "app/config/plan.h"

#include <QString>
#include <QTextStream>

namespace cutover::cli {

enum ControlExit : int { ControlDone = 0, ControlFailed = 1, ControlUsage = 2, ControlRefused = 3 };

struct ControlRequest {
    enum class Kind { Status, Shift, Rollback, StepBack, Tick, Sign, Decommission, Approve };
    Kind kind = Kind::Status;
    QString environment;
    int percent = -1;
    QString gate;
    QString item;
    QString meaning;
    QString comment;
    QString operatorName;
    QString storePath; // --store: overrides the plan's
    bool json = false;
    bool dryRun = false;
    bool wait = false;                // shift: wait for the validation
    bool acknowledgeMarginal = false; // sign: the gate's marginal score is acknowledged
    // decommission: the step, the typed confirmation of an irreversible one, its evidence, the
    // approving role (Approve), and what the operator says of the LBs' permanence.
    QString step;
    QString confirmation;
    QString evidence;
    QString role;
    QString permanence;
};

// Runs one control request to completion on the application's event loop (which must exist and
// not be running yet: this runs it as the top-level loop). The passphrase is read from the first
// line of `in` when the request needs one.
int runControl(const config::Plan &plan, const ControlRequest &request, QTextStream &in,
               QTextStream &out, QTextStream &err);

} // namespace cutover::cli
