// A gate's checks, and the legacy-vs-OTel comparison that checks and triggers share.

#include "app/config/plan_loader_internal.h"

#include <QRegularExpression>

namespace cutover::config::detail {

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

} // namespace cutover::config::detail
