// Who may do what: the operators file and the roles with their permissions.

#include "app/config/plan_loader_internal.h"

namespace cutover::config::detail {

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

} // namespace cutover::config::detail
