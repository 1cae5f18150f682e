#include "tests/support/lab.h"

#include <QFile>
#include <QProcess>
#include <QSignalSpy>

namespace lab {

QHash<QString, QString> loadState() {
    QHash<QString, QString> values;
    QFile file(qEnvironmentVariable("CUTOVER_LAB_STATE"));
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return values;
    for (const QByteArray &raw : file.readAll().split('\n')) {
        const QString line = QString::fromUtf8(raw).trimmed();
        const qsizetype eq = line.indexOf(u'=');
        if (line.startsWith(u'#') || eq <= 0)
            continue;
        QString value = line.mid(eq + 1);
        if (value.size() >= 2 && (value.startsWith(u'\'') || value.startsWith(u'"')) &&
            value.endsWith(value.at(0)))
            value = value.mid(1, value.size() - 2);
        values.insert(line.left(eq), value);
    }
    return values;
}

std::optional<cutover::config::Plan> loadPlan(const QHash<QString, QString> &state) {
    cutover::config::PlanLoadOptions options;
    options.environment = [state](const QString &name) -> std::optional<QString> {
        if (state.contains(name))
            return state.value(name);
        return std::nullopt;
    };
    auto result = cutover::config::loadPlanFile(
        QStringLiteral(CONSOLE_SOURCE_DIR "/resources/plans/lab.yaml"), options);
    if (!result.ok())
        qWarning().noquote() << result.errorText();
    return result.plan;
}

bool run(const QStringList &arguments, const QHash<QString, QString> &state) {
    QProcess process;
    process.setProgram(QStringLiteral(CONSOLE_SOURCE_DIR "/scripts/lab"));
    process.setArguments(arguments);
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert(u"LAB_DIR"_s, state.value(u"LAB_DIR"_s));
    env.insert(u"CONSOLE_BUILD_DIR"_s, QStringLiteral(CONSOLE_BUILD_DIR));
    process.setProcessEnvironment(env);
    process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QSignalSpy finished(&process, &QProcess::finished);
    process.start();
    if (!finished.wait(30'000)) {
        process.kill();
        process.waitForFinished(1000);
        return false;
    }
    return process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0;
}

} // namespace lab
