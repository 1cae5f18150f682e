// What the console talks to and where: the store, Prometheus and Alertmanager, the HAProxy
// load balancers with their pools, the environments, the validation query and the controller.

#include "app/config/named_list_reader.h"
#include "app/config/plan_loader_internal.h"

#include <QHash>
#include <QRegularExpression>

namespace cutover::config::detail {

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
        if (ok)
            refuseCleartextCredentials(endpoint.url, *token, map.pathOf("bearer_token"),
                                       u"the bearer token"_s);
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
        else if (ok)
            refuseCleartextCredentials(endpoint.url, *basic, basicPath,
                                       u"the basic-auth password"_s);
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
    static const QRegularExpression tcp(u"^tcp://([^:/\\s]+|\\[[0-9a-fA-F:]+\\]):(\\d{1,5})$"_s);
    static const QRegularExpression unix(u"^unix://(/[^\\s]*)$"_s);
    const yaml::NamedList list{
        .path = u"load_balancers"_s,
        .items = u"load balancers"_s,
        .nonEmpty = true,
        .duplicate = u"duplicate load balancer name '%1' (first at %2)"_s,
    };
    yaml::readNamedList(
        d, *node, list, plan.loadBalancers,
        [&](const YAML::Node &item, const QString &path,
            yaml::ItemName &name) -> std::optional<LoadBalancer> {
            MapReader map(d, item, path,
                          {"name", "runtime_api", "backend", "timeout", "hash_type"});
            if (!map.isMap())
                return std::nullopt;
            LoadBalancer lb;
            if (auto v = name.read(map, u"a unique name such as lb-a"_s))
                lb.name = *v;
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
                        d.error(
                            api->Mark(), map.pathOf("runtime_api"),
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
            if (auto hash = map.optional("hash_type")) {
                if (auto v = yaml::readString(d, *hash, map.pathOf("hash_type"))) {
                    if (*v == u"map-based"_s)
                        lb.hashType = HashType::MapBased;
                    else if (*v == u"consistent"_s)
                        lb.hashType = HashType::Consistent;
                    else
                        d.error(hash->Mark(), map.pathOf("hash_type"),
                                u"expected map-based or consistent (the backend's HAProxy "
                                u"hash-type), found '%1'"_s.arg(*v));
                }
            }
            return lb;
        });
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
    const yaml::NamedList list{
        .path = u"environments"_s,
        .items = u"environments"_s,
        .nonEmpty = true,
        .duplicate = u"duplicate environment name '%1' (first at %2)"_s,
    };
    yaml::readNamedList(
        d, *node, list, plan.environments,
        [&](const YAML::Node &item, const QString &path,
            yaml::ItemName &name) -> std::optional<Environment> {
            MapReader map(d, item, path, {"name", "load_balancers", "selector"});
            if (!map.isMap())
                return std::nullopt;
            Environment env;
            if (auto v = name.read(map, u"a unique name such as production"_s))
                env.name = *v;
            if (auto lbs = map.required("load_balancers", u"a list of load balancer names"_s)) {
                if (auto names =
                        yaml::readStringList(d, *lbs, map.pathOf("load_balancers"), false)) {
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
            return env;
        });
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

void SchemaReader::readAudit(MapReader &top, Plan &plan) {
    auto node = top.optional("audit");
    if (!node)
        return;
    MapReader audit(d, *node, u"audit"_s, {"checkpoints"});
    auto checkpoints = audit.optional("checkpoints");
    if (!checkpoints)
        return;
    MapReader map(d, *checkpoints, audit.pathOf("checkpoints"), {"every_entries", "every", "file"});
    if (auto n = map.optional("every_entries")) {
        if (auto v = yaml::readInteger(d, *n, map.pathOf("every_entries"), 1, 1'000'000,
                                       u"a number of entries from 1 to 1000000"_s))
            plan.audit.checkpointEveryEntries = int(*v);
    }
    optionalDuration(map, "every", plan.audit.checkpointEvery,
                     DurationBounds{.min = Duration::seconds(10), .max = Duration::days(1)});
    if (auto n = map.optional("file")) {
        if (auto v = yaml::readString(d, *n, map.pathOf("file")))
            plan.audit.checkpointFile = resolvePath(*v);
    }
}

} // namespace cutover::config::detail
