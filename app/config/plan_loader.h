#pragma once

#include "app/config/plan.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <functional>
#include <optional>

namespace cutover::config {

// One problem in a plan file, located precisely enough to fix it without guessing.
struct PlanError {
    QString file;
    int line = 0;   // 1-based; 0 when the problem is the file as a whole
    int column = 0; // 1-based
    QString path;   // key path, e.g. "stages[2].percent"; empty for file-level problems
    QString message;

    // "plan.yaml:12:5: stages[2].percent: expected an integer in (0, 100], found 120"
    QString toString() const;
};

struct PlanLoadResult {
    std::optional<Plan> plan; // set only when errors is empty
    QList<PlanError> errors;
    bool unreadable = false; // the file could not be read at all (missing, a folder, no access)

    bool ok() const { return plan.has_value(); }
    QString errorText() const; // every error, one a line
};

// Looks an environment variable up; injectable so tests never touch the real environment.
using EnvironmentLookup = std::function<std::optional<QString>(const QString &name)>;
EnvironmentLookup processEnvironment();

struct PlanLoadOptions {
    EnvironmentLookup environment = processEnvironment();
    // Hostile-input bounds: checked before and during parsing, so a bad file costs little.
    qint64 maxFileBytes = 4 * 1024 * 1024;
    int maxNodes = 200'000; // after alias expansion: stops "billion laughs" files
};

// Reads, parses and validates a plan file. Never throws; every problem becomes a PlanError,
// all of them reported at once. ":/plans/default.yaml" loads the embedded default plan.
PlanLoadResult loadPlanFile(const QString &path, const PlanLoadOptions &options = {});

// The same for bytes in memory. `displayName` is used in errors; relative paths in the plan
// (store, operators) are resolved against `baseDirectory`.
PlanLoadResult loadPlanBytes(const QByteArray &bytes, const QString &displayName,
                             const QString &baseDirectory, const PlanLoadOptions &options = {});

// Substitutes the environment's selector for {{selector}} in a PromQL text.
QString expandQuery(const QString &query, const Environment &environment);

} // namespace cutover::config
