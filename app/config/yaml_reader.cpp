#include "app/config/yaml_reader.h"

#include <QHash>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace cutover::config::yaml {

namespace {

QString fromStd(const std::string &text) {
    return QString::fromUtf8(text.data(), qsizetype(text.size()));
}

QString quoted(const QString &text) {
    constexpr qsizetype kMax = 60;
    QString shown = text.size() > kMax ? text.left(kMax) + u"…"_s : text;
    shown.replace(u'\n', u"\\n"_s);
    return u'\'' + shown + u'\'';
}

// Expands ${NAME} and ${NAME:-default}. Unset variables without a default are errors.
std::optional<QString> expandEnvironment(Diagnostics &d, const YAML::Node &node,
                                         const QString &path, const QString &text) {
    static const QRegularExpression reference(u"\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\\}"_s);
    if (!text.contains(u"${"_s))
        return text;
    QString result;
    qsizetype last = 0;
    bool ok = true;
    auto it = reference.globalMatch(text);
    while (it.hasNext()) {
        const auto match = it.next();
        result += QStringView(text).mid(last, match.capturedStart(0) - last);
        const QString name = match.captured(1);
        const auto value = d.environment()(name);
        if (value && !value->isEmpty()) {
            result += *value;
        } else if (match.capturedLength(2) > 0 || match.captured(0).contains(u":-"_s)) {
            result += match.captured(2);
        } else {
            d.error(node.Mark(), path,
                    u"environment variable %1 is not set (referenced as ${%1})"_s.arg(name));
            ok = false;
        }
        last = match.capturedEnd(0);
    }
    result += QStringView(text).mid(last);
    if (result.contains(u"${"_s)) {
        d.error(node.Mark(), path,
                u"expected ${NAME} or ${NAME:-default} with NAME made of letters, digits and "
                u"'_', found %1"_s.arg(quoted(text)));
        return std::nullopt;
    }
    return ok ? std::optional<QString>(result) : std::nullopt;
}

int editDistance(const QString &a, const QString &b) {
    // Levenshtein distance: tiny inputs (key names), and neither Qt nor yaml-cpp offers one.
    QList<int> previous(b.size() + 1);
    QList<int> current(b.size() + 1);
    for (qsizetype j = 0; j <= b.size(); ++j)
        previous[j] = int(j);
    for (qsizetype i = 1; i <= a.size(); ++i) {
        current[0] = int(i);
        for (qsizetype j = 1; j <= b.size(); ++j) {
            const int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
        }
        std::swap(previous, current);
    }
    return previous[b.size()];
}

} // namespace

Diagnostics::Diagnostics(QString file, int maxNodes, EnvironmentLookup environment)
    : m_file(std::move(file))
    , m_nodesLeft(maxNodes)
    , m_environment(std::move(environment)) {}

void Diagnostics::error(const YAML::Mark &mark, const QString &path, const QString &message) {
    if (m_errors.size() >= kMaxErrors) {
        ++m_suppressed;
        return;
    }
    PlanError error;
    error.file = m_file;
    error.line = mark.is_null() ? 0 : mark.line + 1;
    error.column = mark.is_null() ? 0 : mark.column + 1;
    error.path = path;
    error.message = message;
    m_errors.append(error);
}

QList<PlanError> Diagnostics::errors() const {
    QList<PlanError> all = m_errors;
    // Read top to bottom, like the file; file-level problems (line 0) first.
    std::stable_sort(all.begin(), all.end(), [](const PlanError &a, const PlanError &b) {
        return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
    if (m_suppressed > 0)
        all.append(PlanError{m_file, 0, 0, QString(),
                             u"… and %1 more errors not shown"_s.arg(m_suppressed)});
    return all;
}

void Diagnostics::fileError(const QString &message) {
    m_errors.append(PlanError{m_file, 0, 0, QString(), message});
}

void Diagnostics::countNode() {
    if (--m_nodesLeft < 0)
        throw NodeBudgetExceeded();
}

QString describe(const YAML::Node &node) {
    switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
        return u"nothing"_s;
    case YAML::NodeType::Scalar:
        return quoted(fromStd(node.Scalar()));
    case YAML::NodeType::Sequence:
        return u"a list"_s;
    case YAML::NodeType::Map:
        return u"a mapping"_s;
    }
    return u"something else"_s;
}

MapReader::MapReader(Diagnostics &diagnostics, const YAML::Node &node, QString path,
                     std::initializer_list<const char *> knownKeys)
    : m_diagnostics(diagnostics)
    , m_node(node)
    , m_path(std::move(path)) {
    for (const char *key : knownKeys)
        m_known.append(QString::fromLatin1(key));
    m_diagnostics.countNode();
    m_isMap = node.IsMap();
    if (!m_isMap) {
        // A map keyed by names (roles, gates, escalation.events) has no fixed keys to list.
        const QString expected = m_known.isEmpty()
                                     ? u"a mapping"_s
                                     : u"a mapping with keys %1"_s.arg(m_known.join(u", "_s));
        m_diagnostics.error(node.Mark(), m_path,
                            u"expected %1, found %2"_s.arg(expected, describe(node)));
        m_finished = true;
    }
}

MapReader::~MapReader() {
    finish();
}

QString MapReader::pathOf(const char *key) const {
    const QString name = QString::fromLatin1(key);
    return m_path.isEmpty() ? name : m_path + u'.' + name;
}

std::optional<YAML::Node> MapReader::optional(const char *key) {
    if (!m_isMap)
        return std::nullopt;
    Q_ASSERT(m_known.contains(QString::fromLatin1(key)));
    // Look the key up by iterating: node[key] on a map with duplicate keys is ambiguous, and the
    // first occurrence is the one we report the duplicate against.
    for (auto it = m_node.begin(); it != m_node.end(); ++it) {
        if (it->first.IsScalar() && it->first.Scalar() == key) {
            m_diagnostics.countNode();
            // No key of the schema takes an empty value. Report it here, at the key: yaml-cpp
            // marks an empty value at the next token, often lines further down.
            if (it->second.IsNull()) {
                m_diagnostics.error(
                    it->first.Mark(), pathOf(key),
                    u"expected a value after '%1:', found nothing"_s.arg(QString::fromLatin1(key)));
                return std::nullopt;
            }
            return it->second;
        }
    }
    return std::nullopt;
}

std::optional<YAML::Node> MapReader::required(const char *key, const QString &expected) {
    if (!m_isMap)
        return std::nullopt;
    const qsizetype errorsBefore = m_diagnostics.errorCount();
    auto value = optional(key);
    if (!value && m_diagnostics.errorCount() == errorsBefore) {
        m_diagnostics.error(
            m_node.Mark(), pathOf(key),
            u"missing required key '%1': expected %2"_s.arg(QString::fromLatin1(key), expected));
    }
    return value;
}

QList<MapReader::Entry> MapReader::entries() const {
    QList<Entry> result;
    if (!m_isMap)
        return result;
    for (auto it = m_node.begin(); it != m_node.end(); ++it) {
        m_diagnostics.countNode();
        result.append(Entry{it->first.IsScalar() ? fromStd(it->first.Scalar()) : QString(),
                            it->first, it->second});
    }
    return result;
}

void MapReader::finish() {
    if (m_finished)
        return;
    m_finished = true;
    QHash<QString, int> firstLine;
    for (auto it = m_node.begin(); it != m_node.end(); ++it) {
        // A copy: it-> yields a temporary proxy, so a reference would dangle (ASan found it).
        const YAML::Node keyNode = it->first;
        if (!keyNode.IsScalar()) {
            m_diagnostics.error(
                keyNode.Mark(), m_path,
                u"expected a plain key, found %1 used as a key"_s.arg(describe(keyNode)));
            continue;
        }
        const QString key = fromStd(keyNode.Scalar());
        const QString keyPath = m_path.isEmpty() ? key : m_path + u'.' + key;
        if (firstLine.contains(key)) {
            m_diagnostics.error(keyNode.Mark(), keyPath,
                                u"duplicate key '%1' (first written on line %2)"_s.arg(
                                    key, QString::number(firstLine.value(key))));
            continue;
        }
        firstLine.insert(key, keyNode.Mark().line + 1);
        if (m_known.isEmpty() || m_known.contains(key))
            continue;
        const QString closest = suggestion(key, m_known);
        QString message = u"unknown key '%1'"_s.arg(key);
        message += closest.isEmpty() ? u"; expected one of: %1"_s.arg(m_known.join(u", "_s))
                                     : u"; did you mean '%1'?"_s.arg(closest);
        m_diagnostics.error(keyNode.Mark(), keyPath, message);
    }
}

QString indexed(const QString &path, int index) {
    return path + u'[' + QString::number(index) + u']';
}

std::optional<QString> readString(Diagnostics &d, const YAML::Node &node, const QString &path,
                                  bool allowEmpty) {
    d.countNode();
    if (!node.IsScalar()) {
        d.error(node.Mark(), path, u"expected a text, found %1"_s.arg(describe(node)));
        return std::nullopt;
    }
    auto text = expandEnvironment(d, node, path, fromStd(node.Scalar()));
    if (!text)
        return std::nullopt;
    if (!allowEmpty && text->trimmed().isEmpty()) {
        d.error(node.Mark(), path, u"expected a non-empty text, found an empty one"_s);
        return std::nullopt;
    }
    return text;
}

std::optional<QString> readIdentifier(Diagnostics &d, const YAML::Node &node, const QString &path) {
    static const QRegularExpression pattern(u"^[A-Za-z][A-Za-z0-9_.-]{0,63}$"_s);
    auto text = readString(d, node, path);
    if (!text)
        return std::nullopt;
    if (!pattern.match(*text).hasMatch()) {
        d.error(node.Mark(), path,
                u"expected a name of letters, digits, '_', '-' or '.' starting with a letter "
                u"(at most 64), found %1"_s.arg(describe(node)));
        return std::nullopt;
    }
    return text;
}

std::optional<qint64> readInteger(Diagnostics &d, const YAML::Node &node, const QString &path,
                                  qint64 min, qint64 max, const QString &expected) {
    d.countNode();
    if (node.IsScalar()) {
        bool ok = false;
        const qint64 value = fromStd(node.Scalar()).trimmed().toLongLong(&ok);
        if (ok && value >= min && value <= max)
            return value;
    }
    d.error(node.Mark(), path, u"expected %1, found %2"_s.arg(expected, describe(node)));
    return std::nullopt;
}

std::optional<double> readNumber(Diagnostics &d, const YAML::Node &node, const QString &path,
                                 const QString &expected) {
    d.countNode();
    if (node.IsScalar()) {
        bool ok = false;
        const double value = fromStd(node.Scalar()).trimmed().toDouble(&ok);
        if (ok && std::isfinite(value))
            return value;
    }
    d.error(node.Mark(), path, u"expected %1, found %2"_s.arg(expected, describe(node)));
    return std::nullopt;
}

std::optional<bool> readBool(Diagnostics &d, const YAML::Node &node, const QString &path) {
    d.countNode();
    if (node.IsScalar()) {
        const QString text = fromStd(node.Scalar());
        if (text == u"true")
            return true;
        if (text == u"false")
            return false;
    }
    d.error(node.Mark(), path, u"expected true or false, found %1"_s.arg(describe(node)));
    return std::nullopt;
}

std::optional<Duration> readDuration(Diagnostics &d, const YAML::Node &node, const QString &path) {
    d.countNode();
    if (node.IsScalar()) {
        if (auto value = Duration::parse(fromStd(node.Scalar())))
            return value;
    }
    d.error(
        node.Mark(), path,
        u"expected a duration such as 30s, 5m, 24h, 7d or 1h30m, found %1"_s.arg(describe(node)));
    return std::nullopt;
}

std::optional<QStringList> readStringList(Diagnostics &d, const YAML::Node &node,
                                          const QString &path, bool allowEmpty) {
    d.countNode();
    if (!node.IsSequence()) {
        d.error(node.Mark(), path, u"expected a list of names, found %1"_s.arg(describe(node)));
        return std::nullopt;
    }
    if (!allowEmpty && node.size() == 0) {
        d.error(node.Mark(), path, u"expected a non-empty list, found an empty one"_s);
        return std::nullopt;
    }
    QStringList result;
    bool ok = true;
    int index = 0;
    for (const YAML::Node &item : node) {
        const QString itemPath = path + u'[' + QString::number(index++) + u']';
        if (auto text = readString(d, item, itemPath))
            result.append(*text);
        else
            ok = false;
    }
    return ok ? std::optional<QStringList>(result) : std::nullopt;
}

std::optional<Secret> readSecret(Diagnostics &d, const YAML::Node &node, const QString &path) {
    static const QRegularExpression reference(u"^\\$\\{([A-Za-z_][A-Za-z0-9_]*)\\}$"_s);
    d.countNode();
    if (!node.IsScalar()) {
        d.error(node.Mark(), path,
                u"expected an environment reference such as ${PROM_TOKEN}, found %1"_s.arg(
                    describe(node)));
        return std::nullopt;
    }
    // Never echo the text back: it may be a credential pasted by mistake.
    const auto match = reference.match(fromStd(node.Scalar()).trimmed());
    if (!match.hasMatch()) {
        d.error(node.Mark(), path,
                u"expected an environment reference such as ${PROM_TOKEN}, found a literal "
                u"value (credentials must not be written in the plan; value not shown)"_s);
        return std::nullopt;
    }
    const QString name = match.captured(1);
    const auto value = d.environment()(name);
    if (!value || value->isEmpty()) {
        d.error(
            node.Mark(), path,
            u"environment variable %1 is not set (the plan reads this secret from it)"_s.arg(name));
        return std::nullopt;
    }
    return Secret(name, *value);
}

QString suggestion(const QString &word, const QStringList &candidates) {
    QString best;
    int bestDistance = std::max<int>(2, int(word.size()) / 3) + 1;
    for (const QString &candidate : candidates) {
        const int distance = editDistance(word.toLower(), candidate.toLower());
        if (distance < bestDistance) {
            bestDistance = distance;
            best = candidate;
        }
    }
    return best;
}

} // namespace cutover::config::yaml
