#pragma once

#include <QString>
#include <QTextStream>

namespace cutover::cli {

// `--check-plan FILE`: "OK: <name>: N environments, N stages, N gates, N checks" on `out`, or
// every error on `err`. Returns 0 valid, 1 invalid, 2 unreadable.
int checkPlan(const QString &path, QTextStream &out, QTextStream &err);

} // namespace cutover::cli
