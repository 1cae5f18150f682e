#pragma once

// The lab's state file (scripts/lab writes KEY=value lines to $LAB_DIR/state.env), for the
// benchmarks that run on the lab.

#include <QFile>
#include <QHash>
#include <QString>

namespace bench {

inline QHash<QString, QString> readLabState(const QString &path) {
    QHash<QString, QString> values;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return values;
    for (const QByteArray &raw : file.readAll().split('\n')) {
        const QString line = QString::fromUtf8(raw).trimmed();
        const qsizetype eq = line.indexOf(u'=');
        if (!line.startsWith(u'#') && eq > 0)
            values.insert(line.left(eq), line.mid(eq + 1));
    }
    return values;
}

} // namespace bench
