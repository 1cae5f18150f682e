#pragma once

// The plan's lists of named items (load balancers, environments, notifications, panels, checks,
// triggers): a YAML sequence of mappings in which no two items may share a name. Read in one
// place so that every such list is checked, and its errors worded, alike.

#include "app/config/yaml_reader.h"

#include <QHash>
#include <QList>
#include <QString>

#include <yaml-cpp/yaml.h>

#include <optional>
#include <utility>

namespace cutover::config::yaml {

// Reports `node` at `path` unless it is a list: "expected a list of checks, found …", or with
// `nonEmpty` "expected a non-empty list of stages, found an empty list".
bool expectList(Diagnostics &d, const YAML::Node &node, const QString &path, const QString &items,
                bool nonEmpty);

// How a list of named items is written, and what a repeated name says.
struct NamedList {
    QString path;  // of the list: "load_balancers", "gates.gate_1.checks"
    QString items; // for "expected a list of …": "load balancers"
    bool nonEmpty = false;
    const char *key = "name"; // the key that names an item
    // %1 the name, %2 where it was first: "duplicate load balancer name '%1' (first at %2)".
    QString duplicate;
    // The list as %2 writes it, when not by its path: a check is located within its gate, as
    // "checks[2]".
    QString shortPath = {};
};

// Each name taken so far and where. Shared when names must be unique across several lists, as
// panel ids are across every group.
using TakenNames = QHash<QString, QString>;

// The name of one item of a NamedList, checked against the names of the items before it.
class ItemName {
public:
    ItemName(Diagnostics &diagnostics, const NamedList &list, TakenNames &taken, YAML::Node item,
             int index);

    const QString &path() const { return m_path; }

    // For an item whose name is read first: the required key, as an identifier. A repeated name
    // is reported, yet the item is kept so that its other errors are reported too.
    std::optional<QString> read(MapReader &map, const QString &expected);
    // For an item read whole first (a check, a trigger): false, reported at its name, when an
    // earlier item has `name`; the caller then drops the item.
    bool claim(const QString &name);

private:
    void reportRepeat(const QString &name, const YAML::Mark &mark, const QString &path) const;

    Diagnostics &m_diagnostics;
    const NamedList &m_list;
    TakenNames &m_taken;
    YAML::Node m_item;
    QString m_path;
    QString m_where; // the item as a duplicate's message locates it
};

// Reads every item with `readItem(item, path, name)`, which returns the item, or nothing to
// leave it out, and appends it to `out`. False when `node` is not such a list (reported).
template <typename Item, typename ReadItem>
bool readNamedList(Diagnostics &d, YAML::Node node, const NamedList &list, TakenNames &taken,
                   QList<Item> &out, ReadItem readItem) {
    if (!expectList(d, node, list.path, list.items, list.nonEmpty))
        return false;
    for (int i = 0; i < int(node.size()); ++i) {
        const YAML::Node item = node[i];
        ItemName name(d, list, taken, item, i);
        if (std::optional<Item> value = readItem(item, name.path(), name))
            out.append(std::move(*value));
    }
    return true;
}

template <typename Item, typename ReadItem>
bool readNamedList(Diagnostics &d, const YAML::Node &node, const NamedList &list, QList<Item> &out,
                   ReadItem readItem) {
    TakenNames taken;
    return readNamedList(d, node, list, taken, out, std::move(readItem));
}

} // namespace cutover::config::yaml
