#pragma once

#include <QString>

namespace cutover::config {

// A credential resolved from an environment variable that the plan names ("${PROM_TOKEN}").
// Only value() reveals it; every printable form names the variable, never the content.
class Secret {
public:
    Secret() = default;
    Secret(QString variable, QString value)
        : m_variable(std::move(variable))
        , m_value(std::move(value)) {}

    bool isSet() const { return !m_variable.isEmpty(); }
    const QString &variable() const { return m_variable; }
    const QString &value() const { return m_value; }
    QString redacted() const {
        return isSet() ? QStringLiteral("${") + m_variable + QLatin1Char('}') : QString();
    }

private:
    QString m_variable;
    QString m_value;
};

} // namespace cutover::config
