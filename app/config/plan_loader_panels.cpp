// The charts: groups of PromQL panels.

#include "app/config/named_list_reader.h"
#include "app/config/plan_loader_internal.h"

namespace cutover::config::detail {

void SchemaReader::readPanels(MapReader &top, Plan &plan) {
    auto node = top.optional("panels");
    if (!node)
        return;
    static const QStringList units{u"ratio"_s, u"percent"_s, u"seconds"_s,
                                   u"bytes"_s, u"count"_s,   u"per_second"_s};
    MapReader groups(d, *node, u"panels"_s, {});
    // Panel ids are unique across every group: the views key their charts by panel id.
    yaml::TakenNames panelIds;
    for (const auto &entry : groups.entries()) {
        const QString groupPath = u"panels."_s + entry.key;
        PanelGroup group;
        if (auto name = identifier(entry.keyNode, groupPath))
            group.name = *name;
        else
            continue;
        const yaml::NamedList list{
            .path = groupPath,
            .items = u"panels"_s,
            .nonEmpty = true,
            .key = "id",
            .duplicate = u"duplicate panel id '%1' (first at %2)"_s,
        };
        const bool isList = yaml::readNamedList(
            d, entry.value, list, panelIds, group.panels,
            [&](const YAML::Node &item, const QString &path,
                yaml::ItemName &id) -> std::optional<Panel> {
                MapReader map(d, item, path, {"id", "title", "query", "unit"});
                if (!map.isMap())
                    return std::nullopt;
                Panel panel;
                if (auto v = id.read(map, u"a unique panel name"_s))
                    panel.id = *v;
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
                return panel;
            });
        if (isList)
            plan.panelGroups.append(group);
    }
}

} // namespace cutover::config::detail
