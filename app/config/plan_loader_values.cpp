// Readers of the values that several sections of the plan share: names, URLs, conditions,
// durations, paths and escalation levels.

#include "app/config/plan_loader_internal.h"

#include <QDir>
#include <QHash>
#include <QRegularExpression>

#include <cmath>

namespace cutover::config::detail {

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

void SchemaReader::refuseCleartextCredentials(const QUrl &url, const YAML::Node &node,
                                              const QString &path, const QString &what) {
    if (url.scheme() != u"http"_s)
        return;
    // By hand rather than QHostAddress: the plan's library links QtCore only. Names other than
    // "localhost" are not resolved: a name that points at 127.0.0.1 today may not tomorrow.
    static const QRegularExpression ipv4Loopback(u"^127(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}$"_s);
    const QString host = url.host();
    if (host.compare(u"localhost"_s, Qt::CaseInsensitive) == 0 || host == u"::1"_s ||
        ipv4Loopback.match(host).hasMatch())
        return;
    d.error(node.Mark(), path,
            u"%1 would cross the network in clear text to %2 over http://: use https:// (plain "
            u"http is accepted with credentials only to a loopback address)"_s.arg(what, host));
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

} // namespace cutover::config::detail
