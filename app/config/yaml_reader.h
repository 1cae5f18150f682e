#pragma once

// Typed, located reading of a yaml-cpp node tree. Each reader reports problems into Diagnostics
// (never throws to the caller) so that one pass collects every error of a plan.

#include "app/config/duration.h"
#include "app/config/plan_loader.h"
#include "app/config/secret.h"

#include <QList>
#include <QSet>
#include <QString>
#include <QStringList>

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <optional>
#include <stdexcept>

namespace cutover::config::yaml {

// Thrown when the node budget is spent (an alias bomb): the walk stops at once.
struct NodeBudgetExceeded : std::runtime_error {
    NodeBudgetExceeded()
        : std::runtime_error("node budget exceeded") {}
};

class Diagnostics {
public:
    Diagnostics(QString file, int maxNodes, EnvironmentLookup environment);

    void error(const YAML::Mark &mark, const QString &path, const QString &message);
    void fileError(const QString &message);
    void countNode();

    // Every error, capped at kMaxErrors with a last line counting the rest: a file of a
    // million unknown keys must not produce a million lines.
    QList<PlanError> errors() const;
    static constexpr int kMaxErrors = 200;
    qsizetype errorCount() const { return m_errors.size() + m_suppressed; }
    const EnvironmentLookup &environment() const { return m_environment; }

private:
    QString m_file;
    int m_nodesLeft;
    EnvironmentLookup m_environment;
    QList<PlanError> m_errors;
    int m_suppressed = 0;
};

// A short description of what a node holds, for "found …" in messages. Never call it on a
// secret's node.
QString describe(const YAML::Node &node);

// Reads a mapping: remembers which keys were asked for, and at finish() reports every other key
// as unknown with the closest known key as a suggestion. Duplicate keys are reported here too:
// yaml-cpp keeps both entries silently.
class MapReader {
public:
    MapReader(Diagnostics &diagnostics, const YAML::Node &node, QString path,
              std::initializer_list<const char *> knownKeys);
    ~MapReader();
    MapReader(const MapReader &) = delete;
    MapReader &operator=(const MapReader &) = delete;

    bool isMap() const { return m_isMap; }
    const YAML::Node &node() const { return m_node; }
    const QString &path() const { return m_path; }
    QString pathOf(const char *key) const;

    std::optional<YAML::Node> optional(const char *key);
    std::optional<YAML::Node> required(const char *key, const QString &expected);

    // Every key/value in file order (for maps keyed by name, like `roles` and `gates`).
    struct Entry {
        QString key;
        YAML::Node keyNode;
        YAML::Node value;
    };
    QList<Entry> entries() const;

    void finish();

private:
    Diagnostics &m_diagnostics;
    YAML::Node m_node;
    QString m_path;
    QStringList m_known;
    bool m_isMap = false;
    bool m_finished = false;
};

// "stages[2]": the key path of a list's item.
QString indexed(const QString &path, int index);

std::optional<QString> readString(Diagnostics &d, const YAML::Node &node, const QString &path,
                                  bool allowEmpty = false);
// Names appear in key paths, the store and the audit log: letters, digits, '_', '-' and '.',
// starting with a letter, at most 64.
std::optional<QString> readIdentifier(Diagnostics &d, const YAML::Node &node, const QString &path);
std::optional<qint64> readInteger(Diagnostics &d, const YAML::Node &node, const QString &path,
                                  qint64 min, qint64 max, const QString &expected);
std::optional<double> readNumber(Diagnostics &d, const YAML::Node &node, const QString &path,
                                 const QString &expected);
std::optional<bool> readBool(Diagnostics &d, const YAML::Node &node, const QString &path);
std::optional<Duration> readDuration(Diagnostics &d, const YAML::Node &node, const QString &path);
std::optional<QStringList> readStringList(Diagnostics &d, const YAML::Node &node,
                                          const QString &path, bool allowEmpty);
// A secret must be exactly "${VARIABLE}": a literal credential in a plan file is an error.
std::optional<Secret> readSecret(Diagnostics &d, const YAML::Node &node, const QString &path);

// Closest candidate within a small edit distance, or empty.
QString suggestion(const QString &word, const QStringList &candidates);

} // namespace cutover::config::yaml
