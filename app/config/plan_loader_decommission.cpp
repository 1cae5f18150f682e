// The second half of the mission: the legacy components, what they cost, and the steps of the
// seed's weeks 9-12 (plan.decommission).

#include "app/config/named_list_reader.h"
#include "app/config/plan_loader_internal.h"

#include <QSet>

namespace cutover::config::detail {

namespace {

using Action = DecommissionStep::Action;

const QStringList kPhases = {u"preparation"_s, u"collector_shutdown"_s, u"infrastructure_removal"_s,
                             u"final_cleanup"_s};
const QStringList kActions = {u"drain"_s,          u"maintenance"_s,   u"ready"_s,
                              u"remove_from_lb"_s, u"archive_files"_s, u"prometheus_snapshot"_s,
                              u"export_metrics"_s, u"http_backup"_s,   u"command"_s,
                              u"manual"_s};
const QStringList kEvidence = {u"none"_s, u"note"_s, u"file"_s, u"url"_s};
const QStringList kComponentKinds = {u"collector"_s, u"storage"_s,       u"compute"_s, u"network"_s,
                                     u"dns"_s,       u"load_balancer"_s, u"other"_s};
const QStringList kValidations = {u"no_active_connections"_s, u"zero_traffic"_s, u"query"_s,
                                  u"command"_s};

// The keys each action reads beyond the ones every step has.
QStringList keysOf(Action action) {
    switch (action) {
    case Action::Drain:
    case Action::Maintenance:
    case Action::Ready:
    case Action::RemoveFromLb:
        return {u"targets"_s};
    case Action::ArchiveFiles:
        return {u"paths"_s, u"output"_s};
    case Action::PrometheusSnapshot:
        return {u"prometheus"_s};
    case Action::ExportMetrics:
        return {u"prometheus"_s, u"queries"_s, u"range"_s, u"step"_s, u"output"_s};
    case Action::HttpBackup:
        return {u"endpoint"_s, u"urls"_s, u"each"_s, u"output"_s};
    case Action::Command:
        return {u"command"_s, u"env"_s, u"working_directory"_s, u"timeout"_s};
    case Action::Manual:
        break;
    }
    return {};
}

const char *const kActionKeys[] = {
    "targets", "paths", "output",  "prometheus", "queries",           "range",  "step", "endpoint",
    "urls",    "each",  "command", "env",        "working_directory", "timeout"};

} // namespace

std::optional<QStringList> SchemaReader::argvList(const YAML::Node &node, const QString &path) {
    const QString example = u"an argv list such as [terraform, destroy, -auto-approve]"_s;
    if (!node.IsSequence()) {
        d.error(node.Mark(), path,
                u"expected %1, found %2: the command runs without a shell, so it must be an argv "
                u"list, never a shell string"_s.arg(example, yaml::describe(node)));
        return std::nullopt;
    }
    return yaml::readStringList(d, node, path, false);
}

std::optional<StepValidation> SchemaReader::readStepValidation(const YAML::Node &node,
                                                               const QString &path) {
    StepValidation v;
    if (node.IsScalar()) {
        // The short form names a validation that needs nothing else.
        auto kind = word(node, path, kValidations);
        if (!kind)
            return std::nullopt;
        v.kind = StepValidation::Kind(*kind + 1);
        if (v.kind != StepValidation::Kind::NoActiveConnections) {
            d.error(node.Mark(), path,
                    u"'%1' needs parameters: write it as a mapping with kind: %1"_s.arg(
                        kValidations.at(*kind)));
            return std::nullopt;
        }
        return v;
    }
    MapReader map(d, node, path,
                  {"kind", "query", "condition", "for", "window", "command", "timeout"});
    if (!map.isMap())
        return std::nullopt;
    auto kindNode = map.required("kind", u"one of %1"_s.arg(kValidations.join(u", "_s)));
    if (!kindNode)
        return std::nullopt;
    auto kind = word(*kindNode, map.pathOf("kind"), kValidations);
    if (!kind)
        return std::nullopt;
    v.kind = StepValidation::Kind(*kind + 1);
    bool ok = true;
    using K = StepValidation::Kind;
    auto notFor = [&](const char *key) {
        if (auto n = map.optional(key)) {
            d.error(n->Mark(), map.pathOf(key),
                    u"'%1' does not apply to a %2 validation"_s.arg(QLatin1StringView(key),
                                                                    kValidations.at(*kind)));
            ok = false;
        }
    };
    if (v.kind == K::ZeroTraffic || v.kind == K::Query) {
        if (auto n = map.required("query", u"PromQL"_s)) {
            if (auto q = yaml::readString(d, *n, map.pathOf("query")))
                v.query = *q;
            else
                ok = false;
        } else {
            ok = false;
        }
    } else {
        notFor("query");
    }
    if (v.kind == K::Query) {
        if (auto n = map.required("condition", u"a comparison such as '< 1'"_s)) {
            if (auto c = condition(*n, map.pathOf("condition")))
                v.condition = *c;
            else
                ok = false;
        } else {
            ok = false;
        }
        if (auto n = map.optional("for")) {
            if (auto f = boundedDuration(*n, map.pathOf("for"), {Duration::milliseconds(0), {}}))
                v.forDuration = *f;
        }
    } else {
        notFor("condition");
        notFor("for");
    }
    if (v.kind == K::ZeroTraffic)
        optionalDuration(map, "window", v.window);
    else
        notFor("window");
    if (v.kind == K::Command) {
        if (auto n = map.required("command", u"an argv list"_s)) {
            if (auto argv = argvList(*n, map.pathOf("command")))
                v.argv = *argv;
            else
                ok = false;
        } else {
            ok = false;
        }
        optionalDuration(map, "timeout", v.timeout, {Duration::milliseconds(1), Duration::days(1)});
    } else {
        notFor("command");
        notFor("timeout");
    }
    return ok ? std::optional<StepValidation>(v) : std::nullopt;
}

void SchemaReader::readStepAction(MapReader &map, DecommissionStep &step, const Plan &plan) {
    const QStringList mine = keysOf(step.action);
    for (const char *key : kActionKeys) {
        if (mine.contains(QLatin1StringView(key)))
            continue;
        if (auto n = map.optional(key))
            d.error(n->Mark(), map.pathOf(key),
                    u"'%1' does not apply to a %2 step (it reads %3)"_s.arg(
                        QLatin1StringView(key), actionName(step.action),
                        mine.isEmpty() ? u"no parameters"_s : mine.join(u", "_s)));
    }
    switch (step.action) {
    case Action::Drain:
    case Action::Maintenance:
    case Action::Ready:
    case Action::RemoveFromLb: {
        if (auto n = map.optional("targets")) {
            auto names = yaml::readStringList(d, *n, map.pathOf("targets"), false);
            if (!names)
                break;
            const QStringList known = plan.pools.legacy + plan.pools.otel;
            for (int i = 0; i < names->size(); ++i) {
                if (!known.contains(names->at(i)))
                    d.error((*n)[i].Mark(), indexed(map.pathOf("targets"), i),
                            unknownName(u"server"_s, names->at(i), known) +
                                u" (targets are servers of pools.legacy or pools.otel)"_s);
                else
                    step.targets.append(names->at(i));
            }
        } else {
            step.targets = plan.pools.legacy; // the servers a decommission retires
        }
        break;
    }
    case Action::ArchiveFiles: {
        if (auto n = map.required("paths", u"a list of files, folders or globs"_s)) {
            if (auto paths = yaml::readStringList(d, *n, map.pathOf("paths"), false)) {
                for (const QString &p : *paths)
                    step.paths.append(resolvePath(p));
            }
        }
        if (auto n = map.required("output", u"the archive to write (.tar.gz)"_s)) {
            if (auto out = yaml::readString(d, *n, map.pathOf("output"))) {
                if (!out->endsWith(u".tar.gz"_s) && !out->endsWith(u".tgz"_s))
                    d.error(
                        n->Mark(), map.pathOf("output"),
                        u"expected a file name ending in .tar.gz or .tgz, found '%1'"_s.arg(*out));
                step.output = resolvePath(*out);
            }
        }
        break;
    }
    case Action::PrometheusSnapshot:
    case Action::ExportMetrics: {
        step.endpointUrl = plan.prometheus.url;
        step.bearerToken = plan.prometheus.bearerToken;
        if (auto n = map.optional("prometheus")) {
            if (auto endpoint = readEndpoint(*n, map.pathOf("prometheus"))) {
                step.endpointUrl = endpoint->url;
                step.bearerToken = endpoint->bearerToken;
            }
        }
        if (step.action == Action::PrometheusSnapshot)
            break;
        if (auto n = map.required("queries", u"a mapping of names to PromQL"_s)) {
            MapReader queries(d, *n, map.pathOf("queries"), {});
            if (queries.isMap()) {
                const auto entries = queries.entries();
                if (entries.isEmpty())
                    d.error(n->Mark(), map.pathOf("queries"),
                            u"expected at least one named query, found an empty mapping"_s);
                for (const auto &entry : entries) {
                    const QString path = map.pathOf("queries") + u'.' + entry.key;
                    if (!identifier(entry.keyNode, path))
                        continue;
                    if (auto q = yaml::readString(d, entry.value, path))
                        step.queries.append({entry.key, *q});
                }
            }
            // Every key is a name: nothing is unknown.
        }
        optionalDuration(map, "range", step.range, {Duration::minutes(1), Duration::days(3650)});
        optionalDuration(map, "step", step.step, {Duration::seconds(1), Duration::days(1)});
        if (auto n = map.required("output", u"the archive to write (.tar.gz)"_s)) {
            if (auto out = yaml::readString(d, *n, map.pathOf("output"))) {
                if (!out->endsWith(u".tar.gz"_s) && !out->endsWith(u".tgz"_s))
                    d.error(n->Mark(), map.pathOf("output"),
                            u"expected a file name ending in .tar.gz or .tgz (one JSON file per "
                            u"query inside), found '%1'"_s.arg(*out));
                step.output = resolvePath(*out);
            }
        }
        break;
    }
    case Action::HttpBackup: {
        if (auto n = map.required("endpoint", u"a mapping with the url the backups come from"_s)) {
            if (auto endpoint = readEndpoint(*n, map.pathOf("endpoint"))) {
                step.endpointUrl = endpoint->url;
                step.bearerToken = endpoint->bearerToken;
            }
        }
        if (auto n = map.required("urls", u"a list of paths under the endpoint"_s)) {
            if (auto urls = yaml::readStringList(d, *n, map.pathOf("urls"), false))
                step.urls = *urls;
        }
        if (auto n = map.optional("each")) {
            const QString path = map.pathOf("each");
            MapReader each(d, *n, path, {"items", "url"});
            if (each.isMap()) {
                if (auto items = each.optional("items")) {
                    if (auto v = yaml::readString(d, *items, each.pathOf("items"))) {
                        if (!v->isEmpty() && !v->startsWith(u'/'))
                            d.error(items->Mark(), each.pathOf("items"),
                                    u"expected a JSON pointer such as /data, found '%1'"_s.arg(*v));
                        else
                            step.eachItems = *v;
                    }
                }
                if (auto url = each.required("url", u"the path fetched for every item, e.g. "
                                                    u"/api/dashboards/uid/{uid}"_s)) {
                    if (auto v = yaml::readString(d, *url, each.pathOf("url"))) {
                        if (!v->contains(u'{') || !v->contains(u'}'))
                            d.error(url->Mark(), each.pathOf("url"),
                                    u"expected a path with a {field} placeholder (or {} for the "
                                    u"item itself), found '%1'"_s.arg(*v));
                        else
                            step.eachUrl = *v;
                    }
                }
            }
        }
        if (auto n = map.required("output", u"the folder the files go to"_s)) {
            if (auto out = yaml::readString(d, *n, map.pathOf("output")))
                step.output = resolvePath(*out);
        }
        break;
    }
    case Action::Command: {
        if (auto n = map.required("command", u"an argv list"_s)) {
            if (auto argv = argvList(*n, map.pathOf("command")))
                step.argv = *argv;
        }
        if (auto n = map.optional("env")) {
            MapReader env(d, *n, map.pathOf("env"), {});
            if (env.isMap()) {
                for (const auto &entry : env.entries()) {
                    const QString path = map.pathOf("env") + u'.' + entry.key;
                    const auto text = yaml::readString(d, entry.value, path, true);
                    if (!text)
                        continue;
                    // "${NAME}" is a secret, resolved now and never printed; anything else is
                    // a plain value.
                    if (text->startsWith(u"${"_s)) {
                        if (auto secret = yaml::readSecret(d, entry.value, path))
                            step.secretEnvironment.append({entry.key, *secret});
                    } else {
                        step.environment.append({entry.key, *text});
                    }
                }
            }
        }
        if (auto n = map.optional("working_directory")) {
            if (auto dir = yaml::readString(d, *n, map.pathOf("working_directory")))
                step.workingDirectory = resolvePath(*dir);
        }
        optionalDuration(map, "timeout", step.timeout,
                         {Duration::milliseconds(1), Duration::days(1)});
        break;
    }
    case Action::Manual:
        break;
    }
}

std::optional<DecommissionStep> SchemaReader::readStep(const YAML::Node &node, const QString &path,
                                                       yaml::ItemName &name, const Plan &plan) {
    MapReader map(d, node, path,
                  {"id",
                   "title",
                   "phase",
                   "action",
                   "validation",
                   "wait",
                   "approvals",
                   "evidence",
                   "retires",
                   "irreversible",
                   "targets",
                   "paths",
                   "output",
                   "prometheus",
                   "queries",
                   "range",
                   "step",
                   "endpoint",
                   "urls",
                   "each",
                   "command",
                   "env",
                   "working_directory",
                   "timeout"});
    if (!map.isMap())
        return std::nullopt;
    DecommissionStep step;
    auto id = name.read(map, u"a unique step id"_s);
    if (!id)
        return std::nullopt;
    step.id = *id;
    if (auto n = map.required("title", u"the step as people read it"_s)) {
        if (auto v = yaml::readString(d, *n, map.pathOf("title")))
            step.title = *v;
    }
    if (auto n = map.required("phase", kPhases.join(u", "_s))) {
        if (auto v = word(*n, map.pathOf("phase"), kPhases))
            step.phase = DecommissionStep::Phase(*v);
    }
    auto actionNode = map.required("action", kActions.join(u", "_s));
    if (!actionNode)
        return std::nullopt;
    auto action = word(*actionNode, map.pathOf("action"), kActions);
    if (!action)
        return std::nullopt;
    step.action = Action(*action);
    readStepAction(map, step, plan);
    if (auto n = map.optional("validation")) {
        if (auto v = readStepValidation(*n, map.pathOf("validation")))
            step.validation = *v;
    }
    if (auto n = map.optional("wait")) {
        if (auto v = boundedDuration(*n, map.pathOf("wait"), {Duration::milliseconds(0), {}}))
            step.wait = *v;
    }
    if (auto n = map.optional("evidence")) {
        if (auto v = word(*n, map.pathOf("evidence"), kEvidence))
            step.evidence = DecommissionStep::Evidence(*v);
    }
    if (auto n = map.optional("irreversible")) {
        if (auto v = yaml::readBool(d, *n, map.pathOf("irreversible")))
            step.irreversibleFlag = *v;
    }
    if (auto n = map.optional("approvals")) {
        if (auto roles = yaml::readStringList(d, *n, map.pathOf("approvals"), false)) {
            for (int i = 0; i < roles->size(); ++i)
                refer(Reference::Kind::RoleWithPermission, roles->at(i), (*n)[i],
                      indexed(map.pathOf("approvals"), i), Permission::Sign);
            step.approvals = *roles;
        }
    }
    if (step.isIrreversible() && step.approvals.isEmpty())
        d.error(node.Mark(), path,
                u"step '%1' cannot be undone (%2): it needs approvals, the roles that sign before "
                u"it runs (two distinct people)"_s.arg(step.id, step.action == Action::RemoveFromLb
                                                                    ? u"remove_from_lb"_s
                                                                    : u"irreversible: true"_s));
    if (auto n = map.optional("retires")) {
        if (auto ids = yaml::readStringList(d, *n, map.pathOf("retires"), false)) {
            QStringList known;
            for (const auto &c : plan.decommission.components)
                known.append(c.id);
            for (int i = 0; i < ids->size(); ++i) {
                if (!known.contains(ids->at(i)))
                    d.error((*n)[i].Mark(), indexed(map.pathOf("retires"), i),
                            unknownName(u"component"_s, ids->at(i), known));
                else
                    step.retires.append(ids->at(i));
            }
        }
    }
    return step;
}

void SchemaReader::readDecommission(MapReader &top, Plan &plan) {
    auto node = top.optional("decommission");
    if (!node)
        return;
    MapReader map(d, *node, u"decommission"_s,
                  {"currency", "baseline_cost_per_month", "target_reduction", "approval_gate",
                   "exit_criteria_gate", "handoff_gate", "components", "steps"});
    if (!map.isMap())
        return;
    DecommissionConfig &out = plan.decommission;
    if (auto n = map.optional("currency")) {
        if (auto v = yaml::readString(d, *n, map.pathOf("currency")))
            out.currency = *v;
    }
    if (auto n = map.required("baseline_cost_per_month",
                              u"the monthly cost of the whole telemetry infrastructure before the "
                              u"cutover (a number above zero)"_s)) {
        if (auto v = yaml::readNumber(d, *n, map.pathOf("baseline_cost_per_month"),
                                      u"a number above zero"_s)) {
            if (*v > 0)
                out.baselineCostPerMonth = *v;
            else
                d.error(n->Mark(), map.pathOf("baseline_cost_per_month"),
                        u"expected a number above zero, found %1"_s.arg(*v));
        }
    }
    if (auto n = map.optional("target_reduction")) {
        const QString path = map.pathOf("target_reduction");
        MapReader band(d, *n, path, {"min", "max"});
        if (band.isMap()) {
            auto percent = [&](const char *key, double &value) {
                if (auto k = band.optional(key)) {
                    if (auto v = yaml::readNumber(d, *k, band.pathOf(key),
                                                  u"a percentage from 0 to 100"_s)) {
                        if (*v < 0 || *v > 100)
                            d.error(k->Mark(), band.pathOf(key),
                                    u"expected a percentage from 0 to 100, found %1"_s.arg(*v));
                        else
                            value = *v;
                    }
                }
            };
            percent("min", out.targetLowPercent);
            percent("max", out.targetHighPercent);
            if (out.targetLowPercent > out.targetHighPercent)
                d.error(
                    n->Mark(), path,
                    u"expected min <= max, found min %1 above max %2"_s.arg(out.targetLowPercent)
                        .arg(out.targetHighPercent));
        }
    }
    auto gate = [&](const char *key, QString &into) {
        if (auto n = map.optional(key)) {
            if (auto id = identifier(*n, map.pathOf(key))) {
                into = *id;
                refer(Reference::Kind::Gate, *id, *n, map.pathOf(key));
            }
        }
    };
    gate("approval_gate", out.approvalGate);
    gate("exit_criteria_gate", out.exitCriteriaGate);
    gate("handoff_gate", out.handoffGate);
    if (auto n = map.optional("components")) {
        const yaml::NamedList list{map.pathOf("components"), u"components"_s, false, "id",
                                   u"duplicate component id '%1' (first at %2)"_s};
        yaml::readNamedList(
            d, *n, list, out.components,
            [&](const YAML::Node &item, const QString &path,
                yaml::ItemName &name) -> std::optional<DecommissionComponent> {
                MapReader c(d, item, path, {"id", "title", "kind", "cost_per_month", "servers"});
                if (!c.isMap())
                    return std::nullopt;
                DecommissionComponent component;
                auto id = name.read(c, u"a unique component id"_s);
                if (!id)
                    return std::nullopt;
                component.id = *id;
                if (auto t = c.required("title", u"the component as people read it"_s)) {
                    if (auto v = yaml::readString(d, *t, c.pathOf("title")))
                        component.title = *v;
                }
                if (auto k = c.required("kind", kComponentKinds.join(u", "_s))) {
                    if (auto v = word(*k, c.pathOf("kind"), kComponentKinds))
                        component.kind = DecommissionComponent::Kind(*v);
                }
                if (auto k = c.required("cost_per_month", u"a number, 0 or more"_s)) {
                    if (auto v = yaml::readNumber(d, *k, c.pathOf("cost_per_month"),
                                                  u"a number, 0 or more"_s)) {
                        if (*v < 0)
                            d.error(k->Mark(), c.pathOf("cost_per_month"),
                                    u"expected a number, 0 or more, found %1"_s.arg(*v));
                        else
                            component.costPerMonth = *v;
                    }
                }
                if (auto k = c.optional("servers")) {
                    if (auto names = yaml::readStringList(d, *k, c.pathOf("servers"), false)) {
                        for (int i = 0; i < names->size(); ++i) {
                            if (!plan.pools.legacy.contains(names->at(i)))
                                d.error((*k)[i].Mark(), indexed(c.pathOf("servers"), i),
                                        unknownName(u"legacy server"_s, names->at(i),
                                                    plan.pools.legacy));
                        }
                        component.servers = *names;
                    }
                }
                return component;
            });
    }
    double retired = 0;
    for (const auto &c : out.components)
        retired += c.costPerMonth;
    if (out.baselineCostPerMonth > 0 && retired > out.baselineCostPerMonth)
        d.error(node->Mark(), map.pathOf("components"),
                u"the components cost %1 a month together, more than baseline_cost_per_month %2: "
                u"the baseline is the whole infrastructure before the cutover"_s.arg(retired)
                    .arg(out.baselineCostPerMonth));
    if (auto n = map.required("steps", u"a list of the decommission's steps"_s)) {
        const yaml::NamedList list{map.pathOf("steps"), u"steps"_s, true, "id",
                                   u"duplicate step id '%1' (first at %2)"_s};
        readNamedList(d, *n, list, out.steps,
                      [&](const YAML::Node &item, const QString &path, yaml::ItemName &name) {
                          return readStep(item, path, name, plan);
                      });
        // Weeks run forward: a step of week 10 after one of week 11 is a plan error.
        for (int i = 1; i < out.steps.size(); ++i) {
            if (out.steps.at(i).phase < out.steps.at(i - 1).phase)
                d.error((*n)[i].Mark(), indexed(map.pathOf("steps"), i),
                        u"step '%1' (%2) comes after '%3' (%4): steps run in the order of their "
                        u"phases"_s.arg(out.steps.at(i).id, phaseName(out.steps.at(i).phase),
                                        out.steps.at(i - 1).id,
                                        phaseName(out.steps.at(i - 1).phase)));
        }
    }
}

} // namespace cutover::config::detail
