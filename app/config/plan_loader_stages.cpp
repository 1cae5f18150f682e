// The cutover's steps: the stages with their traffic shares and bands, and the gates signed
// between them.

#include "app/config/named_list_reader.h"
#include "app/config/plan_loader_internal.h"

namespace cutover::config::detail {

void SchemaReader::readStages(MapReader &top, Plan &plan) {
    auto node = top.required("stages", u"the list of traffic shares, e.g. 10, 25, 50, 100"_s);
    if (!node)
        return;
    if (!yaml::expectList(d, *node, u"stages"_s, u"stages"_s, true))
        return;
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
            const yaml::NamedList list{
                .path = map.pathOf("checks"),
                .items = u"checks"_s,
                .key = "id",
                .duplicate = u"duplicate check id '%1' in this gate (first at %2)"_s,
                .shortPath = u"checks"_s,
            };
            yaml::readNamedList(
                d, *n, list, gate.checks,
                [&](const YAML::Node &item, const QString &checkPath,
                    yaml::ItemName &id) -> std::optional<Check> {
                    auto check = readCheck(item, checkPath);
                    if (!check || !id.claim(check->id))
                        return std::nullopt;
                    if (check->kind == Check::Kind::GateRef && check->gates.contains(gate.id)) {
                        d.error(
                            item.Mark(), checkPath + u".gates",
                            u"expected earlier gates, found the gate itself ('%1')"_s.arg(gate.id));
                    }
                    return check;
                });
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

} // namespace cutover::config::detail
