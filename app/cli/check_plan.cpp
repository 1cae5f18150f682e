#include "app/cli/check_plan.h"

#include "app/cli/command_line.h"
#include "app/config/plan_loader.h"

using namespace Qt::StringLiterals;

namespace cutover::cli {

int checkPlan(const QString &path, QTextStream &out, QTextStream &err) {
    const config::PlanLoadResult result = config::loadPlanFile(path);
    if (!result.ok()) {
        for (const config::PlanError &error : result.errors)
            err << error.toString() << '\n';
        if (!result.unreadable)
            err << u"%1 error(s) in %2\n"_s.arg(result.errors.size()).arg(path);
        err.flush();
        return result.unreadable ? ExitUsage : ExitInvalid;
    }
    const config::Plan &plan = *result.plan;
    out << u"OK: %1: %2 environments, %3 stages, %4 gates, %5 checks\n"_s.arg(plan.name)
               .arg(plan.environments.size())
               .arg(plan.stages.size())
               .arg(plan.gates.size())
               .arg(plan.checkCount());
    out.flush();
    return ExitOk;
}

} // namespace cutover::cli
