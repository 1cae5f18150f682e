#include "app/backends/haproxy_reply_parser.h"

#include <QRegularExpression>

using namespace Qt::StringLiterals;
using cutover::net::Error;
using cutover::net::ErrorKind;

namespace cutover::backends {

QString refusalReason(RuntimeRefusal refusal) {
    switch (refusal) {
    case RuntimeRefusal::NoSuchBackend:
        return u"no_such_backend"_s;
    case RuntimeRefusal::NoSuchServer:
        return u"no_such_server"_s;
    case RuntimeRefusal::WeightOutOfRange:
        return u"weight_out_of_range"_s;
    case RuntimeRefusal::PermissionDenied:
        return u"permission_denied"_s;
    case RuntimeRefusal::StaticAlgorithm:
        return u"static_algorithm"_s;
    case RuntimeRefusal::UnknownCommand:
        return u"unknown_command"_s;
    case RuntimeRefusal::Other:
        return u"refused"_s;
    }
    return u"refused"_s;
}

std::optional<RuntimeRefusal> runtimeRefusal(const net::Error &error) {
    for (auto refusal :
         {RuntimeRefusal::NoSuchBackend, RuntimeRefusal::NoSuchServer,
          RuntimeRefusal::WeightOutOfRange, RuntimeRefusal::PermissionDenied,
          RuntimeRefusal::StaticAlgorithm, RuntimeRefusal::UnknownCommand, RuntimeRefusal::Other}) {
        if (error.reason == refusalReason(refusal))
            return refusal;
    }
    return std::nullopt;
}

QString serverAdminStateName(ServerAdminState state) {
    switch (state) {
    case ServerAdminState::Ready:
        return u"ready"_s;
    case ServerAdminState::Drain:
        return u"drain"_s;
    case ServerAdminState::Maint:
        return u"maint"_s;
    }
    return u"ready"_s;
}

namespace haproxy {

net::Result<QList<QStringList>> splitReplies(const QByteArray &text, int count,
                                             const QString &backend) {
    QList<QStringList> replies;
    QStringList current;
    const QString whole = QString::fromUtf8(text);
    const QStringList lines = whole.split(u'\n');
    // split() yields a trailing "" after the final newline; it terminates nothing.
    const qsizetype usable = whole.endsWith(u'\n') ? lines.size() - 1 : lines.size();
    for (qsizetype i = 0; i < usable; ++i) {
        const QString &line = lines.at(i);
        if (line.isEmpty()) {
            replies.append(current);
            current.clear();
        } else {
            current.append(line);
        }
    }
    if (!current.isEmpty()) {
        return Error{ErrorKind::Protocol, backend,
                     u"reply ends in the middle of an answer (connection cut short?)"_s, 0,
                     u"truncated"_s};
    }
    if (replies.size() != count) {
        return Error{ErrorKind::Protocol, backend,
                     u"expected %1 answers, received %2"_s.arg(count).arg(replies.size()), 0,
                     u"truncated"_s};
    }
    return replies;
}

std::optional<RuntimeRefusal> classifyRefusal(const QStringList &lines) {
    if (lines.isEmpty())
        return std::nullopt;
    const QString &first = lines.constFirst();
    if (first.startsWith(u"No such backend"_s) || first.startsWith(u"Can't find backend"_s))
        return RuntimeRefusal::NoSuchBackend;
    if (first.startsWith(u"No such server"_s))
        return RuntimeRefusal::NoSuchServer;
    if (first.startsWith(u"Absolute weight can only be between"_s) ||
        first.startsWith(u"Relative weight"_s))
        return RuntimeRefusal::WeightOutOfRange;
    if (first.startsWith(u"Permission denied"_s))
        return RuntimeRefusal::PermissionDenied;
    if (first.contains(u"static LB algorithm"_s))
        return RuntimeRefusal::StaticAlgorithm;
    if (first.startsWith(u"Unknown command"_s))
        return RuntimeRefusal::UnknownCommand;
    return std::nullopt;
}

Error refusalError(const QStringList &lines, const QString &backend, const QString &command) {
    const RuntimeRefusal refusal = classifyRefusal(lines).value_or(RuntimeRefusal::Other);
    QString text = lines.isEmpty() ? u"(nothing)"_s : lines.constFirst().left(200);
    return Error{ErrorKind::Protocol, backend, u"`%1` refused: %2"_s.arg(command, text), 0,
                 refusalReason(refusal)};
}

bool isValidName(const QString &name) {
    static const QRegularExpression allowed(u"^[A-Za-z0-9_.:-]{1,128}$"_s);
    return allowed.match(name).hasMatch();
}

net::Result<net::Ack> expectEmpty(const QStringList &lines, const QString &backend,
                                  const QString &command) {
    if (lines.isEmpty())
        return net::Ack{};
    return refusalError(lines, backend, command);
}

net::Result<ServerWeight> parseWeight(const QStringList &lines, const QString &backend,
                                      const QString &command) {
    static const QRegularExpression format(u"^(\\d+) \\(initial (\\d+)\\)$"_s);
    if (lines.size() == 1) {
        const auto match = format.match(lines.constFirst());
        if (match.hasMatch())
            return ServerWeight{match.captured(1).toInt(), match.captured(2).toInt()};
    }
    return refusalError(lines, backend, command);
}

QStringList splitCsvLine(const QString &line) {
    QStringList fields;
    QString field;
    bool quoted = false;
    for (qsizetype i = 0; i < line.size(); ++i) {
        const QChar c = line.at(i);
        if (quoted) {
            if (c == u'"' && i + 1 < line.size() && line.at(i + 1) == u'"') {
                field += u'"';
                ++i;
            } else if (c == u'"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == u'"') {
            quoted = true;
        } else if (c == u',') {
            fields.append(field);
            field.clear();
        } else {
            field += c;
        }
    }
    fields.append(field);
    return fields;
}

net::Result<QList<StatRow>> parseStat(const QStringList &lines, const QString &backend) {
    if (lines.isEmpty() || !lines.constFirst().startsWith(u"# "_s))
        return refusalError(lines, backend, u"show stat"_s);
    const QStringList header = splitCsvLine(lines.constFirst().mid(2));
    const auto index = [&header](const char16_t *name) {
        return header.indexOf(QString::fromUtf16(name));
    };
    if (index(u"pxname") < 0 || index(u"svname") < 0) {
        return Error{ErrorKind::Protocol, backend, u"`show stat` header lacks pxname/svname"_s, 0,
                     u"protocol"_s};
    }
    QList<StatRow> rows;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QStringList values = splitCsvLine(lines.at(i));
        StatRow row;
        for (qsizetype c = 0; c < header.size() && c < values.size(); ++c)
            row.fields.insert(header.at(c), values.at(c));
        row.proxy = row.fields.value(u"pxname"_s);
        row.server = row.fields.value(u"svname"_s);
        row.status = row.fields.value(u"status"_s);
        row.weight = row.fields.value(u"weight"_s).toInt();
        row.currentSessions = row.fields.value(u"scur"_s).toLongLong();
        row.totalSessions = row.fields.value(u"stot"_s).toLongLong();
        row.currentQueue = row.fields.value(u"qcur"_s).toLongLong();
        row.responses5xx = row.fields.value(u"hrsp_5xx"_s).toLongLong();
        rows.append(row);
    }
    return rows;
}

net::Result<QList<ServerStateRow>> parseServersState(const QStringList &lines,
                                                     const QString &backend) {
    // "1" (format version), then "# be_id be_name srv_id srv_name ...", then one row a server.
    if (lines.size() < 2 || !lines.at(1).startsWith(u"# "_s))
        return refusalError(lines, backend, u"show servers state"_s);
    const QStringList header = lines.at(1).mid(2).split(u' ', Qt::SkipEmptyParts);
    QList<ServerStateRow> rows;
    for (qsizetype i = 2; i < lines.size(); ++i) {
        const QStringList values = lines.at(i).split(u' ', Qt::SkipEmptyParts);
        ServerStateRow row;
        for (qsizetype c = 0; c < header.size() && c < values.size(); ++c)
            row.fields.insert(header.at(c), values.at(c));
        row.backend = row.fields.value(u"be_name"_s);
        row.server = row.fields.value(u"srv_name"_s);
        row.address = row.fields.value(u"srv_addr"_s);
        row.operationalState = row.fields.value(u"srv_op_state"_s).toInt();
        row.adminState = row.fields.value(u"srv_admin_state"_s).toInt();
        row.userWeight = row.fields.value(u"srv_uweight"_s).toInt();
        row.initialWeight = row.fields.value(u"srv_iweight"_s).toInt();
        rows.append(row);
    }
    return rows;
}

net::Result<ProcessInfo> parseInfo(const QStringList &lines, const QString &backend) {
    ProcessInfo info;
    for (const QString &line : lines) {
        const qsizetype colon = line.indexOf(u": "_s);
        if (colon > 0)
            info.fields.insert(line.left(colon), line.mid(colon + 2));
    }
    bool pidOk = false;
    info.pid = info.fields.value(u"Pid"_s).toLongLong(&pidOk);
    info.uptimeSec = info.fields.value(u"Uptime_sec"_s).toLongLong();
    info.version = info.fields.value(u"Version"_s);
    if (!pidOk || info.version.isEmpty())
        return refusalError(lines, backend, u"show info"_s);
    return info;
}

} // namespace haproxy
} // namespace cutover::backends
