#pragma once

// Shared by the plan loader's files (plan_loader.cpp and one plan_loader_*.cpp per section of
// the plan): the reader of the plan's schema and the value readers the sections have in common.
// Not part of the loader's interface.

#include "app/config/named_list_reader.h"
#include "app/config/plan_loader.h"
#include "app/config/yaml_reader.h"

#include <QList>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <yaml-cpp/yaml.h>

#include <optional>
#include <utility>

namespace cutover::config::detail {

using namespace Qt::StringLiterals;
using yaml::Diagnostics;
using yaml::indexed;
using yaml::MapReader;

// "unknown gate 'gate_9'; did you mean 'gate_1'?" or, with nothing close, the names it may be.
QString unknownName(const QString &what, const QString &name, const QStringList &known);

// The accepted range of a duration: above zero unless `min` says more; a zero `max` is no limit.
struct DurationBounds {
    Duration min = Duration::milliseconds(1);
    Duration max;

    QString expected() const {
        const bool positive = min == Duration::milliseconds(1);
        if (max.isZero())
            return positive ? u"a duration above zero"_s
                            : u"a duration of at least %1"_s.arg(min.toString());
        return positive ? u"a duration above zero and at most %1"_s.arg(max.toString())
                        : u"a duration from %1 to %2"_s.arg(min.toString(), max.toString());
    }
    bool contains(Duration value) const { return value >= min && (max.isZero() || value <= max); }
};

// "host:port" with a hostname, an IPv4 address or a bracketed IPv6 address; port 1-65535.
std::optional<std::pair<QString, quint16>> parseHostPort(const QString &text);

class SchemaReader {
public:
    SchemaReader(Diagnostics &diagnostics, QString baseDirectory)
        : d(diagnostics)
        , m_baseDirectory(std::move(baseDirectory)) {}

    void read(const YAML::Node &root, Plan &plan);

private:
    // Values (plan_loader_values.cpp).
    std::optional<QString> identifier(const YAML::Node &node, const QString &path) {
        return yaml::readIdentifier(d, node, path);
    }
    std::optional<QUrl> httpUrl(const YAML::Node &node, const QString &path);
    // Refuses credentials (`what`: "a bearer token", "basic auth") sent to `url` over plain
    // http:// unless its host is a loopback address; reported at `node` (the credential's key).
    void refuseCleartextCredentials(const QUrl &url, const YAML::Node &node, const QString &path,
                                    const QString &what);
    std::optional<Condition> condition(const YAML::Node &node, const QString &path);
    QString resolvePath(const QString &path) const;
    std::optional<Duration> boundedDuration(const YAML::Node &node, const QString &path,
                                            DurationBounds bounds = {});
    void optionalDuration(MapReader &map, const char *key, Duration &out,
                          DurationBounds bounds = {});
    std::optional<QStringList> namesFrom(const YAML::Node &node, const QString &path,
                                         const QStringList &known, const QString &what);
    std::optional<EscalationLevel> escalationLevel(const YAML::Node &node, const QString &path);
    // One of `words` (as written in the plan): its index, or an error naming them all.
    std::optional<int> word(const YAML::Node &node, const QString &path, const QStringList &words);

    // Operators and roles (plan_loader_roles.cpp).
    void readOperators(MapReader &root, Plan &plan);
    void readRoles(MapReader &root, Plan &plan);

    // What the console talks to (plan_loader_endpoints.cpp).
    void readStore(MapReader &root, Plan &plan);
    std::optional<HttpEndpoint> readEndpoint(const YAML::Node &node, const QString &path);
    void readLoadBalancers(MapReader &root, Plan &plan);
    void readPools(MapReader &root, Plan &plan);
    void readEnvironments(MapReader &root, Plan &plan);
    void readValidation(MapReader &root, Plan &plan);
    void readController(MapReader &root, Plan &plan);
    void readAudit(MapReader &root, Plan &plan);

    // Stages and gates (plan_loader_stages.cpp).
    void readStages(MapReader &root, Plan &plan);
    void readTolerance(MapReader &stage, Stage &out);
    void readGates(MapReader &root, Plan &plan);
    std::optional<ScoreThresholds> readScoreThresholds(const YAML::Node &node, const QString &path);
    void checkStableSignOffs(const Plan &plan);

    // A gate's checks, and the comparison triggers share (plan_loader_checks.cpp).
    std::optional<Check> readCheck(const YAML::Node &node, const QString &path);
    bool readAlertDelivery(const YAML::Node &node, const QString &path, Check &check);
    bool readCompare(const YAML::Node &node, const QString &path, CompareSpec &spec);

    // Rollback, drift and who hears of it (plan_loader_rollback.cpp).
    void readRollback(MapReader &root, Plan &plan);
    void readTriggers(MapReader &rollback, Plan &plan);
    std::optional<Trigger> readTrigger(const YAML::Node &node, const QString &path);
    void readLegacyVerification(MapReader &rollback, Plan &plan);
    void readEvidence(MapReader &rollback, Plan &plan);
    void readUpload(MapReader &rollback, Plan &plan);
    void readDrift(MapReader &root, Plan &plan);
    void readNotifications(MapReader &root, Plan &plan);
    void readEscalation(MapReader &root, Plan &plan);
    void readEscalationEvents(const YAML::Node &node, const QString &path, Plan &plan);
    void checkEveryNotificationIsReached(const Plan &plan);

    // Weeks 9-12 (plan_loader_decommission.cpp).
    void readDecommission(MapReader &root, Plan &plan);
    std::optional<DecommissionStep> readStep(const YAML::Node &node, const QString &path,
                                             yaml::ItemName &name, const Plan &plan);
    void readStepAction(MapReader &map, DecommissionStep &step, const Plan &plan);
    std::optional<StepValidation> readStepValidation(const YAML::Node &node, const QString &path);
    std::optional<QStringList> argvList(const YAML::Node &node, const QString &path);

    // Charts (plan_loader_panels.cpp).
    void readPanels(MapReader &root, Plan &plan);

    // Cross-references are checked once everything is read, so their order in the file
    // does not matter.
    struct Reference {
        enum class Kind { Gate, Role, RoleWithPermission, LoadBalancer };
        Kind kind;
        QString name;
        YAML::Mark mark;
        QString path;
        Permission permission = Permission::View;
    };
    void refer(Reference::Kind kind, const QString &name, const YAML::Node &node,
               const QString &path, Permission permission = Permission::View) {
        m_references.append(Reference{kind, name, node.Mark(), path, permission});
    }
    void checkReferences(const Plan &plan);

    Diagnostics &d;
    QString m_baseDirectory;
    QList<Reference> m_references;
    // Where each notification without events of its own was written: escalation must name it.
    struct Located {
        QString name;
        YAML::Mark mark;
        QString path;
    };
    QList<Located> m_notificationsWithoutEvents;
    // Gates written with `sign_after: stable`: a stage with a hold must list each.
    QList<Located> m_stableSignOffs;
    // Whether the plan has an `alertmanager` section (valid or not): alert_delivery needs one.
    bool m_hasAlertmanager = false;
    YAML::Node m_root;
};

} // namespace cutover::config::detail
