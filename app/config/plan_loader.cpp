// The plan file's entry points: screening the bytes, parsing them, and reading the plan section by
// section (plan_loader_*.cpp) before checking what refers across sections.

#include "app/config/plan_loader.h"

#include "app/config/plan_loader_internal.h"
#include "app/config/yaml_reader.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QProcessEnvironment>
#include <QSet>
#include <QStringDecoder>

#include <yaml-cpp/yaml.h>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcPlan, "cutover.config", QtInfoMsg)

namespace cutover::config {

namespace detail {

void SchemaReader::read(const YAML::Node &root, Plan &plan) {
    m_root = root;
    MapReader top(d, root, QString(),
                  {"version",    "name",          "store",          "operators",  "roles",
                   "prometheus", "alertmanager",  "load_balancers", "pools",      "environments",
                   "validation", "pre_cutover",   "stages",         "gates",      "rollback",
                   "drift",      "notifications", "escalation",     "controller", "panels",
                   "score",      "decommission",  "audit"});
    if (!top.isMap())
        return;
    if (auto node = top.required("version", u"the plan format version, 1"_s)) {
        if (auto v = yaml::readInteger(d, *node, u"version"_s, 1, 1,
                                       u"format version 1 (the only one this console reads)"_s))
            plan.version = int(*v);
    }
    if (auto node = top.required("name", u"a title for the cutover"_s)) {
        if (auto v = yaml::readString(d, *node, u"name"_s))
            plan.name = *v;
    }
    readStore(top, plan);
    readOperators(top, plan);
    readRoles(top, plan);
    if (auto node = top.required("prometheus", u"a mapping with the Prometheus url"_s)) {
        if (auto endpoint = readEndpoint(*node, u"prometheus"_s))
            plan.prometheus = *endpoint;
    }
    if (auto node = top.optional("alertmanager")) {
        m_hasAlertmanager = true;
        if (auto endpoint = readEndpoint(*node, u"alertmanager"_s))
            plan.alertmanager = *endpoint;
    }
    readLoadBalancers(top, plan);
    readPools(top, plan);
    readEnvironments(top, plan);
    readValidation(top, plan);
    if (auto node = top.optional("pre_cutover")) {
        if (auto id = identifier(*node, u"pre_cutover"_s)) {
            plan.preCutoverGate = *id;
            refer(Reference::Kind::Gate, *id, *node, u"pre_cutover"_s);
        }
    }
    readStages(top, plan);
    if (auto node = top.optional("score")) {
        if (auto thresholds = readScoreThresholds(*node, u"score"_s))
            plan.score = *thresholds;
    }
    readGates(top, plan);
    readRollback(top, plan);
    readDrift(top, plan);
    readNotifications(top, plan);
    readEscalation(top, plan);
    readController(top, plan);
    readAudit(top, plan);
    readPanels(top, plan);
    readDecommission(top, plan);
    top.finish();
    checkReferences(plan);
    checkEveryNotificationIsReached(plan);
    checkStableSignOffs(plan);
}

void SchemaReader::checkReferences(const Plan &plan) {
    // In the plan's order: an error message must read the same on every run (QSet's order is
    // seeded per process).
    QSet<QString> gateIds;
    QStringList gateList;
    for (const Gate &g : plan.gates) {
        if (!gateIds.contains(g.id))
            gateList.append(g.id);
        gateIds.insert(g.id);
    }
    QStringList roleNames;
    for (const Role &r : plan.roles)
        roleNames.append(r.name);
    QStringList lbNames;
    for (const LoadBalancer &lb : plan.loadBalancers)
        lbNames.append(lb.name);

    auto unknown = [&](const Reference &ref, const QString &what, const QStringList &known) {
        d.error(ref.mark, ref.path, unknownName(what, ref.name, known));
    };
    for (const Reference &ref : std::as_const(m_references)) {
        switch (ref.kind) {
        case Reference::Kind::Gate:
            if (!gateIds.contains(ref.name))
                unknown(ref, u"gate"_s, gateList);
            break;
        case Reference::Kind::LoadBalancer:
            if (!lbNames.contains(ref.name))
                unknown(ref, u"load balancer"_s, lbNames);
            break;
        case Reference::Kind::Role:
        case Reference::Kind::RoleWithPermission: {
            const Role *role = plan.role(ref.name);
            if (!role) {
                unknown(ref, u"role"_s, roleNames);
            } else if (ref.kind == Reference::Kind::RoleWithPermission &&
                       !role->grants(ref.permission)) {
                d.error(ref.mark, ref.path,
                        u"role '%1' is named here but lacks the '%2' permission in roles.%1"_s.arg(
                            ref.name, permissionName(ref.permission)));
            }
            break;
        }
        }
    }
}

} // namespace detail

namespace {

using yaml::Diagnostics;

QByteArray sha256Hex(const QByteArray &bytes) {
    return QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
}

// Rejects what would make yaml-cpp slow or its messages useless, before it sees the bytes.
bool screenBytes(const QByteArray &bytes, Diagnostics &d, const PlanLoadOptions &options) {
    if (bytes.size() > options.maxFileBytes) {
        d.fileError(u"expected a plan of at most %1 KiB, found %2 KiB: not a plan file?"_s
                        .arg(options.maxFileBytes / 1024)
                        .arg(bytes.size() / 1024));
        return false;
    }
    if (bytes.trimmed().isEmpty()) {
        d.fileError(u"expected a YAML mapping (version, name, stages, …), found an empty file"_s);
        return false;
    }
    if (const qsizetype nul = bytes.indexOf('\0'); nul >= 0) {
        const qsizetype lineStart = bytes.lastIndexOf('\n', nul) + 1;
        YAML::Mark mark;
        mark.line = int(bytes.left(nul).count('\n'));
        mark.column = int(nul - lineStart);
        d.error(mark, QString(), u"expected UTF-8 text, found a NUL byte: binary file?"_s);
        return false;
    }
    QStringDecoder strict(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    (void)QString(strict.decode(bytes));
    if (strict.hasError()) {
        // Find the first bad line by decoding line by line; the column is the first
        // replacement character of that line.
        const QList<QByteArray> lines = bytes.split('\n');
        for (int i = 0; i < lines.size(); ++i) {
            QStringDecoder lineDecoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
            const QString text = lineDecoder.decode(lines.at(i));
            if (lineDecoder.hasError()) {
                YAML::Mark mark;
                mark.line = i;
                mark.column =
                    int(std::max<qsizetype>(0, text.indexOf(QChar::ReplacementCharacter)));
                d.error(mark, QString(), u"expected UTF-8 text, found bytes that are not UTF-8"_s);
                return false;
            }
        }
        d.fileError(u"expected UTF-8 text, found bytes that are not UTF-8"_s);
        return false;
    }
    return true;
}

} // namespace

QString PlanError::toString() const {
    QString text = file;
    if (line > 0)
        text += u':' + QString::number(line) + u':' + QString::number(column);
    text += u": "_s;
    if (!path.isEmpty())
        text += path + u": "_s;
    return text + message;
}

QString PlanLoadResult::errorText() const {
    QStringList lines;
    for (const PlanError &error : errors)
        lines.append(error.toString());
    return lines.join(u'\n');
}

EnvironmentLookup processEnvironment() {
    return [](const QString &name) -> std::optional<QString> {
        const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        if (!env.contains(name))
            return std::nullopt;
        return env.value(name);
    };
}

PlanLoadResult loadPlanBytes(const QByteArray &bytes, const QString &displayName,
                             const QString &baseDirectory, const PlanLoadOptions &options) {
    Diagnostics diagnostics(displayName, options.maxNodes, options.environment);
    PlanLoadResult result;
    if (!screenBytes(bytes, diagnostics, options)) {
        result.errors = diagnostics.errors();
        return result;
    }
    Plan plan;
    plan.sourceFile = displayName;
    plan.sha256Hex = sha256Hex(bytes);
    try {
        const YAML::Node root = YAML::Load(bytes.toStdString());
        if (root.IsNull()) {
            diagnostics.fileError(
                u"expected a YAML mapping (version, name, stages, …), found only comments"_s);
        } else {
            detail::SchemaReader(diagnostics, baseDirectory).read(root, plan);
        }
    } catch (const YAML::ParserException &e) {
        // DeepRecursion (yaml-cpp stops at 2,000 levels) is a ParserException too.
        diagnostics.error(e.mark, QString(),
                          u"YAML syntax: %1"_s.arg(QString::fromStdString(e.msg)));
    } catch (const yaml::NodeBudgetExceeded &) {
        diagnostics.fileError(
            u"expected a plan of at most %1 values, found more (an alias bomb?)"_s.arg(
                options.maxNodes));
    } catch (const YAML::Exception &e) {
        diagnostics.error(e.mark, QString(), u"YAML: %1"_s.arg(QString::fromStdString(e.msg)));
    } catch (const std::exception &e) {
        diagnostics.fileError(
            u"could not read the plan: %1"_s.arg(QString::fromLocal8Bit(e.what())));
    }
    result.errors = diagnostics.errors();
    if (result.errors.isEmpty())
        result.plan = std::move(plan);
    else
        qCDebug(lcPlan) << displayName << "has" << result.errors.size() << "errors";
    return result;
}

PlanLoadResult loadPlanFile(const QString &path, const PlanLoadOptions &options) {
    QFile file(path);
    const QFileInfo info(path);
    if (!path.startsWith(u':') && info.isDir()) {
        return PlanLoadResult{
            std::nullopt,
            {PlanError{path, 0, 0, QString(), u"expected a plan file, found a folder"_s}},
            true};
    }
    if (!file.open(QIODevice::ReadOnly)) {
        return PlanLoadResult{
            std::nullopt,
            {PlanError{path, 0, 0, QString(), u"cannot open: %1"_s.arg(file.errorString())}},
            true};
    }
    if (file.size() > options.maxFileBytes) {
        return PlanLoadResult{
            std::nullopt,
            {PlanError{path, 0, 0, QString(),
                       u"expected a plan of at most %1 KiB, found %2 KiB: not a plan file?"_s
                           .arg(options.maxFileBytes / 1024)
                           .arg(file.size() / 1024)}}};
    }
    const QByteArray bytes = file.read(options.maxFileBytes + 1);
    const QString base = path.startsWith(u':') ? QString() : info.absolutePath();
    PlanLoadResult result = loadPlanBytes(bytes, path, base, options);
    if (result.plan && !path.startsWith(u':'))
        result.plan->sourceFile = info.absoluteFilePath();
    return result;
}

QString expandQuery(const QString &query, const Environment &environment) {
    QString text = query;
    return text.replace(u"{{selector}}"_s, environment.selector);
}

} // namespace cutover::config
