#include "app/config/plan_loader.h"

#include "app/config/yaml_reader.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QLoggingCategory>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QSet>
#include <QStringDecoder>

#include <yaml-cpp/yaml.h>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcPlan, "cutover.config", QtInfoMsg)

namespace cutover::config {

namespace {

using yaml::Diagnostics;
using yaml::MapReader;

// Names that appear in key paths, the store and the audit log: keep them simple.
const QRegularExpression &identifierPattern() {
    static const QRegularExpression pattern(u"^[A-Za-z][A-Za-z0-9_.-]{0,63}$"_s);
    return pattern;
}

QString indexed(const QString &path, int index) {
    return path + u'[' + QString::number(index) + u']';
}

// "unknown gate 'gate_9'; did you mean 'gate_1'?" or, with nothing close, the names it may be.
QString unknownName(const QString &what, const QString &name, const QStringList &known) {
    const QString closest = yaml::suggestion(name, known);
    QString message = u"unknown %1 '%2'"_s.arg(what, name);
    if (!closest.isEmpty())
        message += u"; did you mean '%1'?"_s.arg(closest);
    else if (!known.isEmpty())
        message += u"; expected one of: %1"_s.arg(known.join(u", "_s));
    else
        message += u"; the plan has none"_s;
    return message;
}

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
std::optional<std::pair<QString, quint16>> parseHostPort(const QString &text) {
    static const QRegularExpression pattern(
        u"^(?:\\[([0-9A-Fa-f:.]+)\\]|([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)):(\\d{1,5})$"_s);
    static const QRegularExpression dottedNumbers(u"^[0-9.]+$"_s);
    const auto match = pattern.match(text);
    if (!match.hasMatch())
        return std::nullopt;
    const int port = match.captured(3).toInt();
    if (port < 1 || port > 65535)
        return std::nullopt;
    const QString ipv6 = match.captured(1);
    if (!ipv6.isEmpty())
        return ipv6.contains(u':') ? std::optional(std::pair(ipv6, quint16(port))) : std::nullopt;
    const QString host = match.captured(2);
    if (dottedNumbers.match(host).hasMatch()) {
        // All digits and dots: it must be an IPv4 address, not a hostname.
        const QStringList parts = host.split(u'.');
        if (parts.size() != 4)
            return std::nullopt;
        for (const QString &part : parts) {
            bool ok = false;
            if (part.isEmpty() || part.size() > 3 || part.toInt(&ok) > 255 || !ok)
                return std::nullopt;
        }
    }
    return std::pair(host, quint16(port));
}

class SchemaReader {
public:
    SchemaReader(Diagnostics &diagnostics, QString baseDirectory)
        : d(diagnostics)
        , m_baseDirectory(std::move(baseDirectory)) {}

    void read(const YAML::Node &root, Plan &plan);

private:
    std::optional<QString> identifier(const YAML::Node &node, const QString &path);
    std::optional<QUrl> httpUrl(const YAML::Node &node, const QString &path);
    std::optional<Condition> condition(const YAML::Node &node, const QString &path);
    QString resolvePath(const QString &path) const;
    std::optional<Duration> boundedDuration(const YAML::Node &node, const QString &path,
                                            DurationBounds bounds = {});
    void optionalDuration(MapReader &map, const char *key, Duration &out,
                          DurationBounds bounds = {});
    std::optional<QStringList> namesFrom(const YAML::Node &node, const QString &path,
                                         const QStringList &known, const QString &what);
    std::optional<EscalationLevel> escalationLevel(const YAML::Node &node, const QString &path);

    void readStore(MapReader &root, Plan &plan);
    void readOperators(MapReader &root, Plan &plan);
    void readRoles(MapReader &root, Plan &plan);
    std::optional<HttpEndpoint> readEndpoint(const YAML::Node &node, const QString &path);
    void readLoadBalancers(MapReader &root, Plan &plan);
    void readPools(MapReader &root, Plan &plan);
    void readEnvironments(MapReader &root, Plan &plan);
    void readValidation(MapReader &root, Plan &plan);
    void readStages(MapReader &root, Plan &plan);
    void readTolerance(MapReader &stage, Stage &out);
    void readGates(MapReader &root, Plan &plan);
    std::optional<ScoreThresholds> readScoreThresholds(const YAML::Node &node, const QString &path);
    std::optional<Check> readCheck(const YAML::Node &node, const QString &path);
    bool readAlertDelivery(const YAML::Node &node, const QString &path, Check &check);
    bool readCompare(const YAML::Node &node, const QString &path, CompareSpec &spec);
    // One of `words` (as written in the plan): its index, or an error naming them all.
    std::optional<int> word(const YAML::Node &node, const QString &path, const QStringList &words);
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
    void checkStableSignOffs(const Plan &plan);
    void readController(MapReader &root, Plan &plan);
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

std::optional<QString> SchemaReader::identifier(const YAML::Node &node, const QString &path) {
    auto text = yaml::readString(d, node, path);
    if (!text)
        return std::nullopt;
    if (!identifierPattern().match(*text).hasMatch()) {
        d.error(node.Mark(), path,
                u"expected a name of letters, digits, '_', '-' or '.' starting with a letter "
                u"(at most 64), found %1"_s.arg(yaml::describe(node)));
        return std::nullopt;
    }
    return text;
}

std::optional<QUrl> SchemaReader::httpUrl(const YAML::Node &node, const QString &path) {
    auto text = yaml::readString(d, node, path);
    if (!text)
        return std::nullopt;
    const QUrl url(*text, QUrl::StrictMode);
    if (!url.userInfo().isEmpty() || text->contains(u'@')) {
        d.error(node.Mark(), path,
                u"expected a URL without credentials (use bearer_token or basic_auth with "
                u"${VARIABLE} references); value not shown"_s);
        return std::nullopt;
    }
    const QString scheme = url.scheme();
    if (!url.isValid() || (scheme != u"http" && scheme != u"https") || url.host().isEmpty()) {
        d.error(node.Mark(), path,
                u"expected an http:// or https:// URL with a host, found %1"_s.arg(
                    yaml::describe(node)));
        return std::nullopt;
    }
    return url;
}

std::optional<Condition> SchemaReader::condition(const YAML::Node &node, const QString &path) {
    static const QRegularExpression pattern(u"^\\s*(<=|>=|==|!=|<|>)\\s*([^\\s]+)\\s*$"_s);
    auto text = yaml::readString(d, node, path);
    if (!text)
        return std::nullopt;
    const auto match = pattern.match(*text);
    bool ok = false;
    const double threshold = match.hasMatch() ? match.captured(2).toDouble(&ok) : 0.0;
    if (!ok || !std::isfinite(threshold)) {
        d.error(node.Mark(), path,
                u"expected a comparison such as '< 0.01' or '>= 0.99' (operators < <= > >= == "
                u"!=), found %1"_s.arg(yaml::describe(node)));
        return std::nullopt;
    }
    static const QHash<QString, Condition::Op> ops{
        {u"<"_s, Condition::Op::Less},    {u"<="_s, Condition::Op::LessEqual},
        {u">"_s, Condition::Op::Greater}, {u">="_s, Condition::Op::GreaterEqual},
        {u"=="_s, Condition::Op::Equal},  {u"!="_s, Condition::Op::NotEqual}};
    return Condition{ops.value(match.captured(1)), threshold};
}

QString SchemaReader::resolvePath(const QString &path) const {
    if (QDir::isAbsolutePath(path) || m_baseDirectory.isEmpty())
        return path;
    return QDir::cleanPath(QDir(m_baseDirectory).absoluteFilePath(path));
}

std::optional<Duration> SchemaReader::boundedDuration(const YAML::Node &node, const QString &path,
                                                      DurationBounds bounds) {
    auto value = yaml::readDuration(d, node, path);
    if (!value || bounds.contains(*value))
        return value;
    d.error(node.Mark(), path,
            u"expected %1, found %2"_s.arg(bounds.expected(),
                                           value->isZero() ? u"0"_s : yaml::describe(node)));
    return std::nullopt;
}

void SchemaReader::optionalDuration(MapReader &map, const char *key, Duration &out,
                                    DurationBounds bounds) {
    if (auto node = map.optional(key)) {
        if (auto value = boundedDuration(*node, map.pathOf(key), bounds))
            out = *value;
    }
}

// A list of names, each one of `known`: an unknown one is reported at its item with the closest
// known name. Returns the known names, each once, in file order.
std::optional<QStringList> SchemaReader::namesFrom(const YAML::Node &node, const QString &path,
                                                   const QStringList &known, const QString &what) {
    const auto list = yaml::readStringList(d, node, path, true);
    if (!list)
        return std::nullopt;
    QStringList names;
    for (int i = 0; i < list->size(); ++i) {
        const QString &name = list->at(i);
        if (!known.contains(name))
            d.error(node[i].Mark(), indexed(path, i), unknownName(what, name, known));
        else if (!names.contains(name))
            names.append(name);
    }
    return names;
}

std::optional<EscalationLevel> SchemaReader::escalationLevel(const YAML::Node &node,
                                                             const QString &path) {
    const auto text = yaml::readString(d, node, path);
    if (!text)
        return std::nullopt;
    const auto level = escalationLevelFromName(*text);
    if (!level)
        d.error(
            node.Mark(), path,
            u"expected an escalation level L1, L2, L3 or L4, found %1"_s.arg(yaml::describe(node)));
    return level;
}

void SchemaReader::read(const YAML::Node &root, Plan &plan) {
    m_root = root;
    MapReader top(d, root, QString(),
                  {"version",    "name",          "store",          "operators",  "roles",
                   "prometheus", "alertmanager",  "load_balancers", "pools",      "environments",
                   "validation", "pre_cutover",   "stages",         "gates",      "rollback",
                   "drift",      "notifications", "escalation",     "controller", "panels",
                   "score"});
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
    readPanels(top, plan);
    top.finish();
    checkReferences(plan);
    checkEveryNotificationIsReached(plan);
    checkStableSignOffs(plan);
}

void SchemaReader::readStore(MapReader &top, Plan &plan) {
    auto node = top.optional("store");
    if (!node)
        return;
    MapReader store(d, *node, u"store"_s, {"path", "url", "user", "password"});
    if (auto path = store.optional("path")) {
        if (auto v = yaml::readString(d, *path, store.pathOf("path")))
            plan.store.path = resolvePath(*v);
    }
    if (auto url = store.optional("url")) {
        if (auto text = yaml::readString(d, *url, store.pathOf("url"))) {
            const QUrl parsed(*text, QUrl::StrictMode);
            if (!parsed.isValid() || parsed.scheme() != u"postgresql" || parsed.host().isEmpty() ||
                !parsed.password().isEmpty()) {
                d.error(url->Mark(), store.pathOf("url"),
                        u"expected postgresql://host:port/database without a password (use "
                        u"password: ${VARIABLE}), found a value that is not one"_s);
            } else {
                plan.store.url = parsed;
            }
        }
        if (store.optional("path"))
            d.error(url->Mark(), store.pathOf("url"),
                    u"expected either path (SQLite) or url (PostgreSQL), found both"_s);
    }
    if (auto user = store.optional("user")) {
        if (auto v = yaml::readString(d, *user, store.pathOf("user")))
            plan.store.user = *v;
    }
    if (auto password = store.optional("password")) {
        if (auto v = yaml::readSecret(d, *password, store.pathOf("password")))
            plan.store.password = *v;
    }
}

void SchemaReader::readOperators(MapReader &top, Plan &plan) {
    auto node = top.optional("operators");
    if (!node)
        return;
    MapReader operators(d, *node, u"operators"_s, {"file"});
    if (auto file = operators.required("file", u"the path of the operators file"_s)) {
        if (auto v = yaml::readString(d, *file, operators.pathOf("file")))
            plan.operators.file = resolvePath(*v);
    }
}

void SchemaReader::readRoles(MapReader &top, Plan &plan) {
    auto node = top.required("roles", u"a mapping of role name to permissions"_s);
    if (!node)
        return;
    MapReader roles(d, *node, u"roles"_s, {});
    if (roles.isMap() && node->size() == 0)
        d.error(node->Mark(), u"roles"_s, u"expected at least one role, found none"_s);
    for (const auto &entry : roles.entries()) {
        const QString path = u"roles."_s + entry.key;
        Role role;
        if (auto name = identifier(entry.keyNode, path))
            role.name = *name;
        else
            continue;
        auto permissions = yaml::readStringList(d, entry.value, path, false);
        if (!permissions)
            continue;
        int index = 0;
        for (const QString &text : *permissions) {
            const YAML::Node item = entry.value[index];
            if (auto permission = permissionFromName(text)) {
                if (!role.permissions.contains(*permission))
                    role.permissions.append(*permission);
            } else {
                d.error(item.Mark(), indexed(path, index),
                        u"expected one of view, tick, sign, shift, rollback, found %1"_s.arg(
                            yaml::describe(item)));
            }
            ++index;
        }
        plan.roles.append(role);
    }
}

std::optional<HttpEndpoint> SchemaReader::readEndpoint(const YAML::Node &node,
                                                       const QString &path) {
    MapReader map(d, node, path, {"url", "timeout", "bearer_token", "basic_auth", "ca_file"});
    if (!map.isMap())
        return std::nullopt;
    HttpEndpoint endpoint;
    bool ok = true;
    if (auto url = map.required("url", u"an http:// or https:// URL"_s)) {
        if (auto v = httpUrl(*url, map.pathOf("url")))
            endpoint.url = *v;
        else
            ok = false;
    } else {
        ok = false;
    }
    optionalDuration(map, "timeout", endpoint.timeout);
    if (auto token = map.optional("bearer_token")) {
        if (auto v = yaml::readSecret(d, *token, map.pathOf("bearer_token")))
            endpoint.bearerToken = *v;
    }
    if (auto basic = map.optional("basic_auth")) {
        const QString basicPath = map.pathOf("basic_auth");
        MapReader auth(d, *basic, basicPath, {"user", "password"});
        if (auto user = auth.required("user", u"the user name"_s)) {
            if (auto v = yaml::readString(d, *user, auth.pathOf("user")))
                endpoint.basicUser = *v;
        }
        if (auto password = auth.required("password", u"${VARIABLE} holding the password"_s)) {
            if (auto v = yaml::readSecret(d, *password, auth.pathOf("password")))
                endpoint.basicPassword = *v;
        }
        if (map.optional("bearer_token"))
            d.error(basic->Mark(), basicPath,
                    u"expected either bearer_token or basic_auth, found both"_s);
    }
    if (auto ca = map.optional("ca_file")) {
        if (auto v = yaml::readString(d, *ca, map.pathOf("ca_file")))
            endpoint.tls.caFile = resolvePath(*v);
    }
    return ok ? std::optional<HttpEndpoint>(endpoint) : std::nullopt;
}

void SchemaReader::readLoadBalancers(MapReader &top, Plan &plan) {
    auto node = top.required("load_balancers", u"a list of HAProxy load balancers"_s);
    if (!node)
        return;
    if (!node->IsSequence() || node->size() == 0) {
        d.error(node->Mark(), u"load_balancers"_s,
                u"expected a non-empty list of load balancers, found %1"_s.arg(
                    node->IsSequence() ? u"an empty list"_s : yaml::describe(*node)));
        return;
    }
    static const QRegularExpression tcp(u"^tcp://([^:/\\s]+|\\[[0-9a-fA-F:]+\\]):(\\d{1,5})$"_s);
    static const QRegularExpression unix(u"^unix://(/[^\\s]*)$"_s);
    QHash<QString, int> seen;
    for (int i = 0; i < int(node->size()); ++i) {
        const QString path = indexed(u"load_balancers"_s, i);
        MapReader map(d, (*node)[i], path, {"name", "runtime_api", "backend", "timeout"});
        if (!map.isMap())
            continue;
        LoadBalancer lb;
        if (auto name = map.required("name", u"a unique name such as lb-a"_s)) {
            if (auto v = identifier(*name, map.pathOf("name"))) {
                lb.name = *v;
                if (seen.contains(*v))
                    d.error(
                        name->Mark(), map.pathOf("name"),
                        u"duplicate load balancer name '%1' (first at load_balancers[%2])"_s.arg(*v)
                            .arg(seen.value(*v)));
                seen.insert(*v, i);
            }
        }
        if (auto api = map.required("runtime_api", u"tcp://host:port or unix:///path"_s)) {
            if (auto text = yaml::readString(d, *api, map.pathOf("runtime_api"))) {
                const auto t = tcp.match(*text);
                const auto u = unix.match(*text);
                const int port = t.hasMatch() ? t.captured(2).toInt() : 0;
                if (t.hasMatch() && port >= 1 && port <= 65535) {
                    lb.runtimeApi.kind = RuntimeApiAddress::Kind::Tcp;
                    lb.runtimeApi.host = t.captured(1);
                    lb.runtimeApi.port = quint16(port);
                } else if (u.hasMatch()) {
                    lb.runtimeApi.kind = RuntimeApiAddress::Kind::Unix;
                    lb.runtimeApi.path = u.captured(1);
                } else {
                    d.error(api->Mark(), map.pathOf("runtime_api"),
                            u"expected tcp://host:port (port 1-65535) or unix:///absolute/path, "
                            u"found %1"_s.arg(yaml::describe(*api)));
                }
            }
        }
        if (auto backend = map.required("backend", u"the HAProxy backend name"_s)) {
            if (auto v = yaml::readString(d, *backend, map.pathOf("backend")))
                lb.backend = *v;
        }
        optionalDuration(map, "timeout", lb.timeout);
        plan.loadBalancers.append(lb);
    }
}

void SchemaReader::readPools(MapReader &top, Plan &plan) {
    auto node = top.required("pools", u"a mapping with the legacy and otel server lists"_s);
    if (!node)
        return;
    MapReader pools(d, *node, u"pools"_s, {"legacy", "otel"});
    QHash<QString, QString> seen; // server -> path of first use
    auto readPool = [&](const char *key, QStringList &out) {
        auto list = pools.required(key, u"a non-empty list of HAProxy server names"_s);
        if (!list)
            return;
        auto names = yaml::readStringList(d, *list, pools.pathOf(key), false);
        if (!names)
            return;
        for (int i = 0; i < names->size(); ++i) {
            const QString path = indexed(pools.pathOf(key), i);
            const QString &server = names->at(i);
            if (seen.contains(server)) {
                d.error((*list)[i].Mark(), path,
                        u"expected distinct servers, found '%1' again (first at %2)"_s.arg(
                            server, seen.value(server)));
                continue;
            }
            seen.insert(server, path);
            out.append(server);
        }
    };
    readPool("legacy", plan.pools.legacy);
    readPool("otel", plan.pools.otel);
}

void SchemaReader::readEnvironments(MapReader &top, Plan &plan) {
    auto node =
        top.required("environments", u"a list of environments (e.g. staging, production)"_s);
    if (!node)
        return;
    if (!node->IsSequence() || node->size() == 0) {
        d.error(node->Mark(), u"environments"_s,
                u"expected a non-empty list of environments, found %1"_s.arg(
                    node->IsSequence() ? u"an empty list"_s : yaml::describe(*node)));
        return;
    }
    QHash<QString, int> seen;
    for (int i = 0; i < int(node->size()); ++i) {
        const QString path = indexed(u"environments"_s, i);
        MapReader map(d, (*node)[i], path, {"name", "load_balancers", "selector"});
        if (!map.isMap())
            continue;
        Environment env;
        if (auto name = map.required("name", u"a unique name such as production"_s)) {
            if (auto v = identifier(*name, map.pathOf("name"))) {
                env.name = *v;
                if (seen.contains(*v))
                    d.error(name->Mark(), map.pathOf("name"),
                            u"duplicate environment name '%1' (first at environments[%2])"_s.arg(*v)
                                .arg(seen.value(*v)));
                seen.insert(*v, i);
            }
        }
        if (auto lbs = map.required("load_balancers", u"a list of load balancer names"_s)) {
            if (auto names = yaml::readStringList(d, *lbs, map.pathOf("load_balancers"), false)) {
                for (int j = 0; j < names->size(); ++j) {
                    const QString itemPath = indexed(map.pathOf("load_balancers"), j);
                    if (env.loadBalancers.contains(names->at(j))) {
                        d.error((*lbs)[j].Mark(), itemPath,
                                u"expected distinct load balancers, found '%1' twice"_s.arg(
                                    names->at(j)));
                        continue;
                    }
                    refer(Reference::Kind::LoadBalancer, names->at(j), (*lbs)[j], itemPath);
                    env.loadBalancers.append(names->at(j));
                }
            }
        }
        if (auto selector = map.optional("selector")) {
            if (auto v = yaml::readString(d, *selector, map.pathOf("selector"), true))
                env.selector = *v;
        }
        plan.environments.append(env);
    }
}

void SchemaReader::readValidation(MapReader &top, Plan &plan) {
    auto node = top.required("validation", u"a mapping with split_query and rate_window"_s);
    if (!node)
        return;
    MapReader map(d, *node, u"validation"_s,
                  {"split_query", "rate_window", "scrape_interval", "evaluation_interval"});
    if (auto q = map.required("split_query", u"PromQL giving the OTel share of traffic (0..1)"_s)) {
        if (auto v = yaml::readString(d, *q, map.pathOf("split_query")))
            plan.validation.splitQuery = *v;
    }
    optionalDuration(map, "rate_window", plan.validation.rateWindow);
    optionalDuration(map, "scrape_interval", plan.validation.scrapeInterval);
    optionalDuration(map, "evaluation_interval", plan.validation.evaluationInterval);
}

void SchemaReader::readStages(MapReader &top, Plan &plan) {
    auto node = top.required("stages", u"the list of traffic shares, e.g. 10, 25, 50, 100"_s);
    if (!node)
        return;
    if (!node->IsSequence() || node->size() == 0) {
        d.error(node->Mark(), u"stages"_s,
                u"expected a non-empty list of stages, found %1"_s.arg(
                    node->IsSequence() ? u"an empty list"_s : yaml::describe(*node)));
        return;
    }
    int previousPercent = 0;
    YAML::Node lastPercentNode;
    bool lastPercentValid = false;
    for (int i = 0; i < int(node->size()); ++i) {
        const QString path = indexed(u"stages"_s, i);
        MapReader map(
            d, (*node)[i], path,
            {"percent", "stabilization", "tolerance", "tolerance_points", "hold", "gates"});
        if (!map.isMap())
            continue;
        Stage stage;
        lastPercentValid = false;
        if (auto percent = map.required("percent", u"an integer in (0, 100]"_s)) {
            if (auto v = yaml::readInteger(d, *percent, map.pathOf("percent"), 1, 100,
                                           u"an integer in (0, 100]"_s)) {
                stage.percent = int(*v);
                if (stage.percent <= previousPercent)
                    d.error(percent->Mark(), map.pathOf("percent"),
                            u"expected a percent above the previous stage's %1 (stages go up "
                            u"strictly), found %2"_s.arg(previousPercent)
                                .arg(stage.percent));
                previousPercent = std::max(previousPercent, stage.percent);
                lastPercentNode = *percent;
                lastPercentValid = true;
            }
        }
        if (auto n = map.required("stabilization", u"a duration such as 5m"_s)) {
            if (auto v = yaml::readDuration(d, *n, map.pathOf("stabilization")))
                stage.stabilization = *v;
        }
        readTolerance(map, stage);
        if (auto n = map.optional("hold")) {
            if (auto v = yaml::readDuration(d, *n, map.pathOf("hold")))
                stage.hold = *v;
        }
        if (auto n = map.optional("gates")) {
            if (auto ids = yaml::readStringList(d, *n, map.pathOf("gates"), true)) {
                for (int j = 0; j < ids->size(); ++j)
                    refer(Reference::Kind::Gate, ids->at(j), (*n)[j],
                          indexed(map.pathOf("gates"), j));
                stage.gates = *ids;
            }
        }
        plan.stages.append(stage);
    }
    // Judge the end only when the last stage's own percent was readable: otherwise its error
    // already says what is wrong.
    if (lastPercentValid && previousPercent != 100) {
        d.error(lastPercentNode.Mark(), indexed(u"stages"_s, int(node->size()) - 1) + u".percent",
                u"expected the last stage to be 100 (the cutover ends with all traffic on "
                u"OTel), found %1"_s.arg(previousPercent));
    }
}

// The validation band: `tolerance` (relative, 0.2 at 10% accepts 8%..12%) or `tolerance_points`
// (absolute, 2 at 10% accepts 8%..12% and at 50% 48%..52%), never both. Called once the stage's
// percent is read, which bounds the points.
void SchemaReader::readTolerance(MapReader &map, Stage &stage) {
    const auto relative = map.optional("tolerance");
    const auto points = map.optional("tolerance_points");
    if (relative && points) {
        // Reported at the one written second: the first reads as the stage's intent.
        const bool pointsSecond = std::pair(points->Mark().line, points->Mark().column) >
                                  std::pair(relative->Mark().line, relative->Mark().column);
        const char *second = pointsSecond ? "tolerance_points" : "tolerance";
        d.error((pointsSecond ? points : relative)->Mark(), map.pathOf(second),
                u"give tolerance (relative) or tolerance_points (absolute), not both"_s);
        return;
    }
    if (relative) {
        if (auto v = yaml::readNumber(d, *relative, map.pathOf("tolerance"),
                                      u"a relative tolerance in (0, 1), e.g. 0.2"_s)) {
            if (*v <= 0.0 || *v >= 1.0)
                d.error(relative->Mark(), map.pathOf("tolerance"),
                        u"expected a relative tolerance in (0, 1), e.g. 0.2, found %1"_s.arg(
                            yaml::describe(*relative)));
            else
                stage.tolerance = *v;
        }
    }
    if (points) {
        const QString expected = u"percentage points in (0, 50), e.g. 2 (10% accepts 8%..12%)"_s;
        if (auto v = yaml::readNumber(d, *points, map.pathOf("tolerance_points"), expected)) {
            if (*v <= 0.0 || *v >= 50.0) {
                d.error(points->Mark(), map.pathOf("tolerance_points"),
                        u"expected %1, found %2"_s.arg(expected, yaml::describe(*points)));
            } else if (stage.percent > 0 && *v >= stage.percent) {
                // The band would reach 0%: a validation would pass with no traffic on OTel.
                d.error(points->Mark(), map.pathOf("tolerance_points"),
                        u"expected fewer points than the stage's %1%, found %2: the band would "
                        u"reach 0% and accept no traffic on OTel"_s.arg(stage.percent)
                            .arg(yaml::describe(*points)));
            } else {
                stage.tolerancePoints = *v;
            }
        }
    }
}

// "All critical alerts functioning", end to end: an always-firing alert, the receiver it must be
// routed to, and how recent a delivery must be.
bool SchemaReader::readAlertDelivery(const YAML::Node &node, const QString &path, Check &check) {
    // A Prometheus alert name is a metric name (Prometheus refuses a rule with any other).
    static const QRegularExpression alertName(u"^[A-Za-z_:][A-Za-z0-9_:]*$"_s);
    MapReader map(d, node, path, {"alert", "receiver", "delivered_within", "delivery_query"});
    if (!map.isMap())
        return false;
    bool ok = true;
    const qsizetype errorsBefore = d.errorCount();
    if (auto n = map.optional("alert")) {
        const auto v = yaml::readString(d, *n, map.pathOf("alert"));
        if (v && alertName.match(*v).hasMatch()) {
            check.alertName = *v;
        } else {
            if (v)
                d.error(
                    n->Mark(), map.pathOf("alert"),
                    u"expected an alert name as Prometheus rules write it (letters, digits, "
                    u"'_' and ':', not starting with a digit), found %1"_s.arg(yaml::describe(*n)));
            ok = false;
        }
    } else {
        // An empty `alert:` was reported at its key already.
        if (d.errorCount() == errorsBefore)
            d.error(node.Mark(), path,
                    u"alert_delivery names no alert: expected alert: NAME, an always-firing alert "
                    u"of the Prometheus rules such as Watchdog"_s);
        ok = false;
    }
    if (auto n = map.optional("receiver")) {
        if (auto v = yaml::readString(d, *n, map.pathOf("receiver")))
            check.receiver = *v;
    }
    check.deliveredWithin = Duration::minutes(5);
    optionalDuration(map, "delivered_within", check.deliveredWithin);
    if (auto n = map.optional("delivery_query")) {
        if (auto v = yaml::readString(d, *n, map.pathOf("delivery_query")))
            check.deliveryQuery = *v;
    }
    return ok;
}

std::optional<int> SchemaReader::word(const YAML::Node &node, const QString &path,
                                      const QStringList &words) {
    const auto v = yaml::readString(d, node, path);
    if (!v)
        return std::nullopt;
    const qsizetype i = words.indexOf(*v);
    if (i < 0) {
        QStringList others = words;
        const QString last = others.takeLast();
        const QString expected =
            others.isEmpty() ? last : u"%1 or %2"_s.arg(others.join(u", "_s), last);
        d.error(node.Mark(), path, u"expected %1, found %2"_s.arg(expected, yaml::describe(node)));
        return std::nullopt;
    }
    return int(i);
}

// legacy vs OTel over a window, judged by statistics (see CompareSpec and app/analysis).
bool SchemaReader::readCompare(const YAML::Node &node, const QString &path, CompareSpec &c) {
    MapReader map(d, node, path,
                  {"legacy", "otel", "window", "step", "test", "confidence", "direction",
                   "allowed_increase", "allowed_decrease", "min_samples", "nan", "per",
                   "legacy_per", "otel_per"});
    if (!map.isMap())
        return false;
    const qsizetype errorsBefore = d.errorCount();
    for (const auto &[key, out] : {std::pair{"legacy", &c.legacy}, std::pair{"otel", &c.otel}}) {
        if (auto n = map.required(key, u"PromQL of one series"_s)) {
            if (auto v = yaml::readString(d, *n, map.pathOf(key)))
                *out = *v;
        }
    }
    optionalDuration(map, "window", c.window, {Duration::minutes(1), Duration::days(7)});
    optionalDuration(map, "step", c.step, {Duration::seconds(1), Duration::hours(1)});
    if (auto n = map.optional("test"))
        word(*n, map.pathOf("test"), {u"mann_whitney"_s});
    if (auto n = map.optional("confidence")) {
        const auto v = yaml::readNumber(d, *n, map.pathOf("confidence"), u"a number"_s);
        if (v && (*v < 0.5 || *v >= 1.0))
            d.error(n->Mark(), map.pathOf("confidence"),
                    u"expected a confidence in [0.5, 1), e.g. 0.98, found %1"_s.arg(*v));
        else if (v)
            c.confidence = *v;
    }
    if (auto n = map.optional("direction")) {
        if (auto i = word(*n, map.pathOf("direction"), {u"increase"_s, u"decrease"_s, u"either"_s}))
            c.direction = CompareSpec::Direction(*i);
    }
    auto allowance = [&](const char *key, double &out, bool above) {
        auto n = map.optional(key);
        if (!n)
            return;
        const auto v = yaml::readNumber(d, *n, map.pathOf(key), u"a number"_s);
        if (v && (above ? *v < 1.0 : (*v <= 0.0 || *v > 1.0)))
            d.error(
                n->Mark(), map.pathOf(key),
                above ? u"expected a mean ratio of at least 1 (1.05: 5% higher), found %1"_s.arg(*v)
                      : u"expected a mean ratio in (0, 1] (0.95: 5% lower), found %1"_s.arg(*v));
        else if (v)
            out = *v;
    };
    allowance("allowed_increase", c.allowedIncrease, true);
    allowance("allowed_decrease", c.allowedDecrease, false);
    if (auto n = map.optional("min_samples")) {
        if (auto v = yaml::readInteger(d, *n, map.pathOf("min_samples"), 5, 11'000,
                                       u"an integer in [5, 11000]"_s))
            c.minSamples = int(*v);
    }
    if (auto n = map.optional("nan")) {
        if (auto i = word(*n, map.pathOf("nan"), {u"remove"_s, u"replace"_s}))
            c.nan = CompareSpec::Nan(*i);
    }
    const auto per = map.optional("per");
    if (per) {
        if (auto i = word(*per, map.pathOf("per"), {u"request"_s, u"instance"_s}))
            c.per = CompareSpec::Per(*i + 1);
    }
    for (const auto &[key, out] :
         {std::pair{"legacy_per", &c.legacyPer}, std::pair{"otel_per", &c.otelPer}}) {
        auto n = per ? map.required(key, u"PromQL of the denominator (requests per second, or "
                                         u"instances) for per"_s)
                     : map.optional(key);
        if (!n)
            continue;
        if (!per)
            d.error(n->Mark(), map.pathOf(key),
                    u"'%1' applies only with per: request or per: instance"_s.arg(
                        QLatin1StringView(key)));
        else if (auto v = yaml::readString(d, *n, map.pathOf(key)))
            *out = *v;
    }
    // The window must hold min_samples points at `step`, or the check could never pass.
    if (d.errorCount() == errorsBefore && c.window.ms() / c.step.ms() + 1 < c.minSamples)
        d.error(node.Mark(), path,
                u"window %1 at step %2 gives %3 samples a side, fewer than min_samples %4: the "
                u"check could never pass"_s.arg(c.window.toString(), c.step.toString())
                    .arg(c.window.ms() / c.step.ms() + 1)
                    .arg(c.minSamples));
    return d.errorCount() == errorsBefore;
}

std::optional<Check> SchemaReader::readCheck(const YAML::Node &node, const QString &path) {
    MapReader map(d, node, path,
                  {"id", "title", "query", "condition", "for", "manual", "role", "gates",
                   "stable_for", "alert_delivery", "compare", "critical", "group", "weight"});
    if (!map.isMap())
        return std::nullopt;
    Check check;
    bool ok = true;
    if (auto n = map.required("id", u"a name unique within the gate"_s)) {
        if (auto v = identifier(*n, map.pathOf("id")))
            check.id = *v;
        else
            ok = false;
    } else {
        ok = false;
    }
    if (auto n = map.required("title", u"the item as people read it"_s)) {
        if (auto v = yaml::readString(d, *n, map.pathOf("title")))
            check.title = *v;
    }
    const auto query = map.optional("query");
    const auto manual = map.optional("manual");
    const auto gates = map.optional("gates");
    const auto stable = map.optional("stable_for");
    const auto delivery = map.optional("alert_delivery");
    const auto compare = map.optional("compare");
    const int kinds = int(query.has_value()) + int(manual.has_value()) + int(gates.has_value()) +
                      int(stable.has_value()) + int(delivery.has_value()) +
                      int(compare.has_value());
    if (kinds != 1) {
        d.error(node.Mark(), path,
                u"expected exactly one of query (automatic), manual: true (ticked by a role), "
                u"gates (earlier gates maintained), stable_for (time at the stage), "
                u"alert_delivery (an alert delivered by Alertmanager) or compare (legacy vs "
                u"OTel), found %1"_s.arg(kinds == 0 ? u"none"_s : QString::number(kinds)));
        return std::nullopt;
    }
    // `for` sustains a sampled result: a query's condition, or an alert's delivery.
    if (query || delivery) {
        if (auto n = map.optional("for")) {
            if (auto v = yaml::readDuration(d, *n, map.pathOf("for")))
                check.forDuration = *v;
        }
    } else if (auto n = map.optional("for")) {
        d.error(n->Mark(), map.pathOf("for"),
                u"'for' applies only to automatic checks (with a query) and alert_delivery"_s);
    }
    if (query) {
        check.kind = Check::Kind::Automatic;
        if (auto v = yaml::readString(d, *query, map.pathOf("query")))
            check.query = *v;
        else
            ok = false;
        if (auto n = map.required("condition", u"a comparison such as '< 0.01'"_s)) {
            if (auto c = condition(*n, map.pathOf("condition")))
                check.condition = *c;
            else
                ok = false;
        } else {
            ok = false;
        }
    } else if (auto n = map.optional("condition")) {
        d.error(n->Mark(), map.pathOf("condition"),
                u"'condition' applies only to automatic checks (with a query)"_s);
    }
    if (delivery) {
        check.kind = Check::Kind::AlertDelivery;
        if (!readAlertDelivery(*delivery, map.pathOf("alert_delivery"), check))
            ok = false;
        if (!m_hasAlertmanager) {
            d.error(node.Mark(), path,
                    u"alert_delivery asks Alertmanager, but the plan names no alertmanager (add "
                    u"alertmanager: { url: … })"_s);
            ok = false;
        }
    }
    if (compare) {
        check.kind = Check::Kind::Compare;
        if (!readCompare(*compare, map.pathOf("compare"), check.compare))
            ok = false;
        if (auto n = map.optional("critical")) {
            if (auto v = yaml::readBool(d, *n, map.pathOf("critical")))
                check.critical = *v;
        }
        if (auto n = map.optional("group")) {
            if (auto v = identifier(*n, map.pathOf("group")))
                check.group = *v;
        }
        if (auto n = map.optional("weight")) {
            const auto v = yaml::readNumber(d, *n, map.pathOf("weight"), u"a number"_s);
            if (v && (*v <= 0 || *v > 100))
                d.error(n->Mark(), map.pathOf("weight"),
                        u"expected a weight in (0, 100], found %1"_s.arg(*v));
            else if (v)
                check.weight = *v;
        }
    } else {
        for (const char *key : {"critical", "group", "weight"}) {
            if (auto n = map.optional(key))
                d.error(n->Mark(), map.pathOf(key),
                        u"'%1' applies only to compare checks"_s.arg(QLatin1StringView(key)));
        }
    }
    if (manual) {
        check.kind = Check::Kind::Manual;
        auto v = yaml::readBool(d, *manual, map.pathOf("manual"));
        if (v && !*v) {
            d.error(manual->Mark(), map.pathOf("manual"),
                    u"expected true (leave the key out for automatic checks), found false"_s);
            ok = false;
        }
        if (auto n = map.required("role", u"the role that ticks this item"_s)) {
            if (auto r = identifier(*n, map.pathOf("role"))) {
                check.role = *r;
                refer(Reference::Kind::RoleWithPermission, *r, *n, map.pathOf("role"),
                      Permission::Tick);
            }
        }
    } else if (auto n = map.optional("role")) {
        d.error(n->Mark(), map.pathOf("role"), u"'role' applies only to manual checks"_s);
    }
    if (gates) {
        check.kind = Check::Kind::GateRef;
        if (auto ids = yaml::readStringList(d, *gates, map.pathOf("gates"), false)) {
            for (int j = 0; j < ids->size(); ++j)
                refer(Reference::Kind::Gate, ids->at(j), (*gates)[j],
                      indexed(map.pathOf("gates"), j));
            check.gates = *ids;
        }
    }
    if (stable) {
        check.kind = Check::Kind::Stability;
        if (auto v = yaml::readDuration(d, *stable, map.pathOf("stable_for")))
            check.stableFor = *v;
    }
    return ok ? std::optional<Check>(check) : std::nullopt;
}

void SchemaReader::readGates(MapReader &top, Plan &plan) {
    auto node = top.required("gates", u"a mapping of gate id to its checks and sign-off"_s);
    if (!node)
        return;
    MapReader gates(d, *node, u"gates"_s, {});
    for (const auto &entry : gates.entries()) {
        const QString path = u"gates."_s + entry.key;
        Gate gate;
        if (auto id = identifier(entry.keyNode, path))
            gate.id = *id;
        else
            continue;
        MapReader map(d, entry.value, path, {"title", "checks", "sign_off", "sign_after", "score"});
        if (!map.isMap())
            continue;
        if (auto n = map.required("title", u"the gate as people read it"_s)) {
            if (auto v = yaml::readString(d, *n, map.pathOf("title")))
                gate.title = *v;
        }
        if (auto n = map.required("checks", u"a list of checks"_s)) {
            if (!n->IsSequence()) {
                d.error(n->Mark(), map.pathOf("checks"),
                        u"expected a list of checks, found %1"_s.arg(yaml::describe(*n)));
            } else {
                QHash<QString, int> seen;
                for (int i = 0; i < int(n->size()); ++i) {
                    const QString checkPath = indexed(map.pathOf("checks"), i);
                    auto check = readCheck((*n)[i], checkPath);
                    if (!check)
                        continue;
                    if (seen.contains(check->id)) {
                        d.error((*n)[i]["id"].Mark(), checkPath + u".id",
                                u"duplicate check id '%1' in this gate (first at checks[%2])"_s
                                    .arg(check->id)
                                    .arg(seen.value(check->id)));
                        continue;
                    }
                    if (check->kind == Check::Kind::GateRef && check->gates.contains(gate.id)) {
                        d.error(
                            (*n)[i].Mark(), checkPath + u".gates",
                            u"expected earlier gates, found the gate itself ('%1')"_s.arg(gate.id));
                    }
                    seen.insert(check->id, i);
                    gate.checks.append(*check);
                }
            }
        }
        if (auto n = map.optional("sign_off")) {
            if (auto roles = yaml::readStringList(d, *n, map.pathOf("sign_off"), true)) {
                for (int j = 0; j < roles->size(); ++j)
                    refer(Reference::Kind::RoleWithPermission, roles->at(j), (*n)[j],
                          indexed(map.pathOf("sign_off"), j), Permission::Sign);
                gate.signOff = *roles;
            }
        }
        if (auto n = map.optional("sign_after")) {
            const auto v = yaml::readString(d, *n, map.pathOf("sign_after"));
            if (v == u"stable") {
                gate.signAfter = Gate::SignAfter::Stable;
                m_stableSignOffs.append({gate.id, n->Mark(), map.pathOf("sign_after")});
            } else if (v == u"any") {
                gate.signAfter = Gate::SignAfter::Any;
            } else if (v) {
                d.error(n->Mark(), map.pathOf("sign_after"),
                        u"expected stable (once the hold of the gate's stage has been watched "
                        u"without a breach) or any (as soon as its checks pass), found %1"_s.arg(
                            yaml::describe(*n)));
            }
        }
        if (auto n = map.optional("score"))
            gate.score = readScoreThresholds(*n, map.pathOf("score"));
        plan.gates.append(gate);
    }
}

std::optional<ScoreThresholds> SchemaReader::readScoreThresholds(const YAML::Node &node,
                                                                 const QString &path) {
    MapReader map(d, node, path, {"pass", "marginal"});
    if (!map.isMap())
        return std::nullopt;
    ScoreThresholds thresholds;
    bool ok = true;
    auto percent = [&](const char *key, double &into) {
        if (auto n = map.optional(key)) {
            const auto v = yaml::readNumber(d, *n, map.pathOf(key), u"a score from 0 to 100"_s);
            if (v && (*v < 0 || *v > 100)) {
                d.error(n->Mark(), map.pathOf(key),
                        u"expected a score from 0 to 100, found %1"_s.arg(*v));
                ok = false;
            } else if (v) {
                into = *v;
            } else {
                ok = false;
            }
        }
    };
    percent("pass", thresholds.pass);
    percent("marginal", thresholds.marginal);
    if (ok && thresholds.marginal > thresholds.pass) {
        d.error(node.Mark(), path,
                u"expected marginal (%1) at or below pass (%2): a marginal score lies between "
                u"them"_s.arg(thresholds.marginal)
                    .arg(thresholds.pass));
        ok = false;
    }
    map.finish();
    return ok ? std::optional(thresholds) : std::nullopt;
}

std::optional<Trigger> SchemaReader::readTrigger(const YAML::Node &node, const QString &path) {
    MapReader map(d, node, path,
                  {"id", "title", "query", "condition", "for", "action", "level", "compare"});
    if (!map.isMap())
        return std::nullopt;
    Trigger trigger;
    bool ok = true;
    if (auto n = map.required("id", u"a unique name"_s)) {
        if (auto v = identifier(*n, map.pathOf("id")))
            trigger.id = *v;
        else
            ok = false;
    } else {
        ok = false;
    }
    if (auto n = map.required("title", u"the trigger as people read it"_s)) {
        if (auto v = yaml::readString(d, *n, map.pathOf("title")))
            trigger.title = *v;
    }
    if (auto compare = map.optional("compare")) {
        // Fires while legacy and OTel differ (high or low) for `for`; nodata never counts.
        CompareSpec spec;
        if (readCompare(*compare, map.pathOf("compare"), spec))
            trigger.compare = spec;
        else
            ok = false;
        trigger.condition = {Condition::Op::Greater, 0};
        for (const char *key : {"query", "condition"}) {
            if (auto n = map.optional(key))
                d.error(n->Mark(), map.pathOf(key),
                        u"'%1' does not apply to a compare trigger: it fires when the comparison "
                        u"is high or low"_s.arg(QLatin1StringView(key)));
        }
    } else {
        if (auto n = map.required("query", u"PromQL (or a compare: mapping)"_s)) {
            if (auto v = yaml::readString(d, *n, map.pathOf("query")))
                trigger.query = *v;
        }
        if (auto n = map.required("condition", u"a comparison such as '< 0.99'"_s)) {
            if (auto c = condition(*n, map.pathOf("condition")))
                trigger.condition = *c;
        }
    }
    if (auto n = map.optional("for")) {
        if (auto v = yaml::readDuration(d, *n, map.pathOf("for")))
            trigger.forDuration = *v;
    }
    if (auto n = map.required("action", u"auto or prompt"_s)) {
        auto v = yaml::readString(d, *n, map.pathOf("action"));
        if (v == u"auto")
            trigger.action = Trigger::Action::Auto;
        else if (v == u"prompt")
            trigger.action = Trigger::Action::Prompt;
        else if (v)
            d.error(n->Mark(), map.pathOf("action"),
                    u"expected auto (roll back at once) or prompt (alarm a human), found %1"_s.arg(
                        yaml::describe(*n)));
    }
    if (auto n = map.optional("level"))
        trigger.level = escalationLevel(*n, map.pathOf("level"));
    return ok ? std::optional<Trigger>(trigger) : std::nullopt;
}

void SchemaReader::readRollback(MapReader &top, Plan &plan) {
    auto node = top.optional("rollback");
    if (!node)
        return;
    MapReader map(d, *node, u"rollback"_s,
                  {"on_validation_failure", "reset", "max_attempts", "retry_backoff", "deadline",
                   "triggers", "assign_to", "verify_legacy", "evidence", "upload"});
    if (auto n = map.optional("on_validation_failure")) {
        const auto v = yaml::readString(d, *n, map.pathOf("on_validation_failure"));
        bool known = false;
        for (FailurePolicy p :
             {FailurePolicy::PreviousStage, FailurePolicy::Full, FailurePolicy::Hold}) {
            if (v == failurePolicyName(p)) {
                plan.rollback.onValidationFailure = p;
                known = true;
            }
        }
        if (v && !known)
            d.error(n->Mark(), map.pathOf("on_validation_failure"),
                    u"expected previous_stage, full or hold, found %1"_s.arg(yaml::describe(*n)));
    }
    if (auto n = map.optional("reset")) {
        const auto v = yaml::readString(d, *n, map.pathOf("reset"));
        if (v == u"stage_gates")
            plan.rollback.reset = RollbackConfig::Reset::StageGates;
        else if (v == u"all")
            plan.rollback.reset = RollbackConfig::Reset::All;
        else if (v)
            d.error(n->Mark(), map.pathOf("reset"),
                    u"expected stage_gates (void the gates of the stages rolled back over; the "
                    u"pre-cutover checklist stays signed) or all (void every gate), found %1"_s.arg(
                        yaml::describe(*n)));
    }
    if (auto n = map.optional("max_attempts")) {
        if (auto v = yaml::readInteger(d, *n, map.pathOf("max_attempts"), 1, 100,
                                       u"an integer from 1 to 100"_s))
            plan.rollback.maxAttempts = int(*v);
    }
    if (auto n = map.optional("retry_backoff")) {
        if (auto v = yaml::readDuration(d, *n, map.pathOf("retry_backoff")))
            plan.rollback.retryBackoff = *v;
    }
    optionalDuration(map, "deadline", plan.rollback.deadline);
    if (auto n = map.optional("assign_to")) {
        if (auto v = yaml::readString(d, *n, map.pathOf("assign_to")))
            plan.rollback.assignTo = *v;
    }
    readLegacyVerification(map, plan);
    readEvidence(map, plan);
    readUpload(map, plan);
    readTriggers(map, plan);
}

void SchemaReader::readTriggers(MapReader &rollback, Plan &plan) {
    auto n = rollback.optional("triggers");
    if (!n)
        return;
    if (!n->IsSequence()) {
        d.error(n->Mark(), rollback.pathOf("triggers"),
                u"expected a list of triggers, found %1"_s.arg(yaml::describe(*n)));
        return;
    }
    QHash<QString, int> seen;
    for (int i = 0; i < int(n->size()); ++i) {
        const QString path = indexed(rollback.pathOf("triggers"), i);
        auto trigger = readTrigger((*n)[i], path);
        if (!trigger)
            continue;
        if (seen.contains(trigger->id)) {
            d.error((*n)[i]["id"].Mark(), path + u".id",
                    u"duplicate trigger id '%1' (first at triggers[%2])"_s.arg(trigger->id)
                        .arg(seen.value(trigger->id)));
            continue;
        }
        seen.insert(trigger->id, i);
        plan.rollback.triggers.append(*trigger);
    }
}

// The seed's rollback step 2, "verify legacy collection".
void SchemaReader::readLegacyVerification(MapReader &rollback, Plan &plan) {
    auto node = rollback.optional("verify_legacy");
    if (!node)
        return;
    MapReader map(d, *node, rollback.pathOf("verify_legacy"), {"query", "condition", "deadline"});
    if (!map.isMap())
        return;
    LegacyVerification verification;
    bool ok = true;
    if (auto n = map.required("query", u"PromQL for legacy collection, e.g. its 2xx rate"_s)) {
        if (auto v = yaml::readString(d, *n, map.pathOf("query")))
            verification.query = *v;
        else
            ok = false;
    } else {
        ok = false;
    }
    if (auto n = map.required("condition", u"a comparison such as '> 0'"_s)) {
        if (auto c = condition(*n, map.pathOf("condition")))
            verification.condition = *c;
        else
            ok = false;
    } else {
        ok = false;
    }
    optionalDuration(map, "deadline", verification.deadline);
    if (ok)
        plan.rollback.verifyLegacy = verification;
}

// The seed's rollback step 4, "preserve evidence": where the archive goes and what it covers.
void SchemaReader::readEvidence(MapReader &rollback, Plan &plan) {
    auto node = rollback.optional("evidence");
    if (!node)
        return;
    MapReader map(d, *node, rollback.pathOf("evidence"), {"directory", "span"});
    if (auto n = map.optional("directory")) {
        if (auto v = yaml::readString(d, *n, map.pathOf("directory")))
            plan.rollback.evidenceDirectory = resolvePath(*v);
    }
    optionalDuration(map, "span", plan.rollback.evidenceSpan,
                     DurationBounds{.max = Duration::hours(24)});
}

// The seed's "upload_to_incident_bucket": run without a shell, so only an argv list is accepted.
void SchemaReader::readUpload(MapReader &rollback, Plan &plan) {
    auto node = rollback.optional("upload");
    if (!node)
        return;
    MapReader map(d, *node, rollback.pathOf("upload"), {"command", "timeout"});
    if (!map.isMap())
        return;
    UploadCommand upload;
    optionalDuration(map, "timeout", upload.timeout);
    const QString example =
        u"an argv list such as [aws, s3, cp, \"{archive}\", \"s3://bucket/\"]"_s;
    auto command = map.required("command", example);
    if (!command)
        return;
    if (!command->IsSequence()) {
        d.error(command->Mark(), map.pathOf("command"),
                u"expected %1, found %2: the command runs without a shell, so it must be an argv "
                u"list, never a shell string"_s.arg(example, yaml::describe(*command)));
        return;
    }
    if (auto argv = yaml::readStringList(d, *command, map.pathOf("command"), false)) {
        upload.argv = *argv;
        plan.rollback.upload = upload;
    }
}

void SchemaReader::readDrift(MapReader &top, Plan &plan) {
    auto node = top.optional("drift");
    if (!node)
        return;
    MapReader map(d, *node, u"drift"_s, {"interval", "policy"});
    optionalDuration(map, "interval", plan.drift.interval);
    if (auto n = map.optional("policy")) {
        const auto v = yaml::readString(d, *n, map.pathOf("policy"));
        if (v == u"alarm")
            plan.drift.policy = DriftConfig::Policy::Alarm;
        else if (v == u"reassert")
            plan.drift.policy = DriftConfig::Policy::Reassert;
        else if (v)
            d.error(n->Mark(), map.pathOf("policy"),
                    u"expected alarm or reassert, found %1"_s.arg(yaml::describe(*n)));
    }
}

void SchemaReader::readNotifications(MapReader &top, Plan &plan) {
    auto node = top.optional("notifications");
    if (!node)
        return;
    if (!node->IsSequence()) {
        d.error(node->Mark(), u"notifications"_s,
                u"expected a list of webhooks, found %1"_s.arg(yaml::describe(*node)));
        return;
    }
    QHash<QString, int> seen;
    for (int i = 0; i < int(node->size()); ++i) {
        const QString path = indexed(u"notifications"_s, i);
        MapReader map(d, (*node)[i], path, {"name", "url", "events", "bearer_token", "ca_file"});
        if (!map.isMap())
            continue;
        Notification notification;
        if (auto n = map.required("name", u"a unique name"_s)) {
            if (auto v = identifier(*n, map.pathOf("name"))) {
                notification.name = *v;
                if (seen.contains(*v))
                    d.error(
                        n->Mark(), map.pathOf("name"),
                        u"duplicate notification name '%1' (first at notifications[%2])"_s.arg(*v)
                            .arg(seen.value(*v)));
                seen.insert(*v, i);
            }
        }
        if (auto n = map.required("url", u"an http:// or https:// URL"_s)) {
            if (auto v = httpUrl(*n, map.pathOf("url")))
                notification.url = *v;
        }
        // Without events of its own, a target hears only what escalation sends it.
        const auto events = map.optional("events");
        if (events) {
            if (auto list =
                    namesFrom(*events, map.pathOf("events"), notificationEvents(), u"event"_s))
                notification.events = *list;
        }
        if (!events || (events->IsSequence() && events->size() == 0))
            m_notificationsWithoutEvents.append({notification.name, (*node)[i].Mark(), path});
        if (auto n = map.optional("bearer_token")) {
            if (auto v = yaml::readSecret(d, *n, map.pathOf("bearer_token")))
                notification.bearerToken = *v;
        }
        if (auto n = map.optional("ca_file")) {
            if (auto v = yaml::readString(d, *n, map.pathOf("ca_file")))
                notification.tls.caFile = resolvePath(*v);
        }
        plan.notifications.append(notification);
    }
}

// The seed's escalation matrix: which notifications each level L1..L4 reaches, and the level of
// an event when it is not its default.
void SchemaReader::readEscalation(MapReader &top, Plan &plan) {
    auto node = top.optional("escalation");
    if (!node)
        return;
    MapReader map(d, *node, u"escalation"_s, {"L1", "L2", "L3", "L4", "events"});
    QStringList notificationNames;
    for (const Notification &notification : std::as_const(plan.notifications)) {
        if (!notification.name.isEmpty())
            notificationNames.append(notification.name);
    }
    for (EscalationLevel level :
         {EscalationLevel::L1, EscalationLevel::L2, EscalationLevel::L3, EscalationLevel::L4}) {
        const QByteArray key = escalationLevelName(level).toLatin1();
        if (auto n = map.optional(key.constData())) {
            if (auto names = namesFrom(*n, map.pathOf(key.constData()), notificationNames,
                                       u"notification"_s))
                plan.escalation.targets.insert(int(level), *names);
        }
    }
    if (auto n = map.optional("events"))
        readEscalationEvents(*n, map.pathOf("events"), plan);
}

void SchemaReader::readEscalationEvents(const YAML::Node &node, const QString &path, Plan &plan) {
    MapReader events(d, node, path, {});
    for (const auto &entry : events.entries()) {
        const QString eventPath = path + u'.' + entry.key;
        if (!notificationEvents().contains(entry.key)) {
            d.error(entry.keyNode.Mark(), eventPath,
                    unknownName(u"event"_s, entry.key, notificationEvents()));
            continue;
        }
        if (auto level = escalationLevel(entry.value, eventPath))
            plan.escalation.eventLevels.insert(entry.key, *level);
    }
}

// A notification that neither lists events nor is named by a level would never be sent anything:
// surely a mistake in the plan.
void SchemaReader::checkEveryNotificationIsReached(const Plan &plan) {
    QSet<QString> named;
    for (const QStringList &names : plan.escalation.targets)
        named.unite(QSet<QString>(names.cbegin(), names.cend()));
    for (const Located &notification : std::as_const(m_notificationsWithoutEvents)) {
        if (!notification.name.isEmpty() && !named.contains(notification.name))
            d.error(notification.mark, notification.path,
                    u"never notified: give it events or name it in escalation"_s);
    }
}

// `sign_after: stable` waits for the hold of the stage that lists the gate: without one (the
// pre-cutover checklist, a stage without a hold) the gate could never be signed.
void SchemaReader::checkStableSignOffs(const Plan &plan) {
    for (const Located &gate : std::as_const(m_stableSignOffs)) {
        const int stage = plan.stageOfGate(gate.name);
        if (stage >= 0 && !plan.stages.at(stage).hold.isZero())
            continue;
        const QString where =
            stage < 0
                ? u"no stage lists gate '%1'"_s.arg(gate.name)
                : u"stages[%1], which lists gate '%2', has no hold"_s.arg(stage).arg(gate.name);
        d.error(
            gate.mark, gate.path,
            u"sign_after: stable waits for the hold of the gate's stage, but %1: it could "
            u"never be signed (write any, or list the gate in a stage with a hold)"_s.arg(where));
    }
}

// The always-on controller (--serve).
void SchemaReader::readController(MapReader &top, Plan &plan) {
    auto node = top.optional("controller");
    if (!node)
        return;
    MapReader map(d, *node, u"controller"_s, {"listen", "lease", "backfill_limit"});
    if (auto n = map.optional("listen")) {
        const auto text = yaml::readString(d, *n, map.pathOf("listen"), true);
        if (text && !text->isEmpty()) {
            if (const auto address = parseHostPort(*text)) {
                plan.controller.listenHost = address->first;
                plan.controller.listenPort = address->second;
            } else {
                d.error(n->Mark(), map.pathOf("listen"),
                        u"expected host:port such as 127.0.0.1:9464 (a hostname, an IPv4 address "
                        u"or [IPv6], port 1-65535) or \"\" to not serve, found %1"_s.arg(
                            yaml::describe(*n)));
            }
        }
    }
    optionalDuration(map, "lease", plan.controller.lease,
                     DurationBounds{.min = Duration::seconds(1), .max = Duration::seconds(60)});
    optionalDuration(map, "backfill_limit", plan.controller.backfillLimit);
}

void SchemaReader::readPanels(MapReader &top, Plan &plan) {
    auto node = top.optional("panels");
    if (!node)
        return;
    static const QStringList units{u"ratio"_s, u"percent"_s, u"seconds"_s,
                                   u"bytes"_s, u"count"_s,   u"per_second"_s};
    MapReader groups(d, *node, u"panels"_s, {});
    QHash<QString, QString> seen;
    for (const auto &entry : groups.entries()) {
        const QString groupPath = u"panels."_s + entry.key;
        PanelGroup group;
        if (auto name = identifier(entry.keyNode, groupPath))
            group.name = *name;
        else
            continue;
        if (!entry.value.IsSequence() || entry.value.size() == 0) {
            d.error(
                entry.value.Mark(), groupPath,
                u"expected a non-empty list of panels, found %1"_s.arg(
                    entry.value.IsSequence() ? u"an empty list"_s : yaml::describe(entry.value)));
            continue;
        }
        for (int i = 0; i < int(entry.value.size()); ++i) {
            const QString path = indexed(groupPath, i);
            MapReader map(d, entry.value[i], path, {"id", "title", "query", "unit"});
            if (!map.isMap())
                continue;
            Panel panel;
            if (auto n = map.required("id", u"a unique panel name"_s)) {
                if (auto v = identifier(*n, map.pathOf("id"))) {
                    panel.id = *v;
                    if (seen.contains(*v))
                        d.error(n->Mark(), map.pathOf("id"),
                                u"duplicate panel id '%1' (first at %2)"_s.arg(*v, seen.value(*v)));
                    seen.insert(*v, path);
                }
            }
            if (auto n = map.required("title", u"the chart title"_s)) {
                if (auto v = yaml::readString(d, *n, map.pathOf("title")))
                    panel.title = *v;
            }
            if (auto n = map.required("query", u"PromQL"_s)) {
                if (auto v = yaml::readString(d, *n, map.pathOf("query")))
                    panel.query = *v;
            }
            if (auto n = map.optional("unit")) {
                if (auto v = yaml::readString(d, *n, map.pathOf("unit"))) {
                    if (units.contains(*v))
                        panel.unit = *v;
                    else
                        d.error(n->Mark(), map.pathOf("unit"),
                                u"expected one of %1, found %2"_s.arg(units.join(u", "_s),
                                                                      yaml::describe(*n)));
                }
            }
            group.panels.append(panel);
        }
        plan.panelGroups.append(group);
    }
}

void SchemaReader::checkReferences(const Plan &plan) {
    QSet<QString> gateIds;
    for (const Gate &g : plan.gates)
        gateIds.insert(g.id);
    QStringList roleNames;
    for (const Role &r : plan.roles)
        roleNames.append(r.name);
    QStringList lbNames;
    for (const LoadBalancer &lb : plan.loadBalancers)
        lbNames.append(lb.name);
    const QStringList gateList(gateIds.cbegin(), gateIds.cend());

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
            SchemaReader(diagnostics, baseDirectory).read(root, plan);
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
