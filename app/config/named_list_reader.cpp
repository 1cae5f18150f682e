#include "app/config/named_list_reader.h"

using namespace Qt::StringLiterals;

namespace cutover::config::yaml {

bool expectList(Diagnostics &d, const YAML::Node &node, const QString &path, const QString &items,
                bool nonEmpty) {
    if (node.IsSequence() && (!nonEmpty || node.size() > 0))
        return true;
    d.error(node.Mark(), path,
            u"expected a %1list of %2, found %3"_s.arg(
                nonEmpty ? u"non-empty "_s : QString(), items,
                node.IsSequence() ? u"an empty list"_s : describe(node)));
    return false;
}

ItemName::ItemName(Diagnostics &diagnostics, const NamedList &list, TakenNames &taken,
                   YAML::Node item, int index)
    : m_diagnostics(diagnostics)
    , m_list(list)
    , m_taken(taken)
    , m_item(std::move(item))
    , m_path(indexed(list.path, index))
    , m_where(list.shortPath.isEmpty() ? m_path : indexed(list.shortPath, index)) {}

std::optional<QString> ItemName::read(MapReader &map, const QString &expected) {
    auto node = map.required(m_list.key, expected);
    if (!node)
        return std::nullopt;
    auto name = readIdentifier(m_diagnostics, *node, map.pathOf(m_list.key));
    if (!name)
        return std::nullopt;
    if (m_taken.contains(*name))
        reportRepeat(*name, node->Mark(), map.pathOf(m_list.key));
    // The item is kept, so a later repeat is reported against this one.
    m_taken.insert(*name, m_where);
    return name;
}

bool ItemName::claim(const QString &name) {
    if (m_taken.contains(name)) {
        reportRepeat(name, m_item[m_list.key].Mark(),
                     m_path + u'.' + QLatin1StringView(m_list.key));
        return false;
    }
    m_taken.insert(name, m_where);
    return true;
}

void ItemName::reportRepeat(const QString &name, const YAML::Mark &mark,
                            const QString &path) const {
    m_diagnostics.error(mark, path, m_list.duplicate.arg(name, m_taken.value(name)));
}

} // namespace cutover::config::yaml
