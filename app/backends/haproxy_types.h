#pragma once

// What the HAProxy Runtime API tells us, as typed values.

#include "app/net/error.h"

#include <QHash>
#include <QList>
#include <QMap>
#include <QString>

#include <optional>

namespace cutover::backends {

// Every refusal text HAProxy 2.6 gives to the commands we send. It travels in
// net::Error::reason (kind Protocol) so the engine can tell "LB said no" from garbage.
enum class RuntimeRefusal {
    NoSuchBackend,    // "No such backend." / "Can't find backend."
    NoSuchServer,     // "No such server."
    WeightOutOfRange, // "Absolute weight can only be between 0 and 256 inclusive."
    PermissionDenied, // "Permission denied" (a level user/operator socket)
    StaticAlgorithm,  // "Backend is using a static LB algorithm and only accepts weights ..."
    UnknownCommand,   // "Unknown command..." (an older HAProxy, a typo)
    Other,            // any other text where an empty line or data was expected
};

QString refusalReason(RuntimeRefusal refusal); // "no_such_backend", ...
std::optional<RuntimeRefusal> runtimeRefusal(const net::Error &error);

struct ServerWeight {
    int current = 0; // what the LB uses now (runtime changes included)
    int initial = 0; // from the configuration file: what a reload goes back to
};

enum class ServerAdminState { Ready, Drain, Maint };
QString serverAdminStateName(ServerAdminState state); // "ready", "drain", "maint"

// One line of `show stat`, read by column name (the column set varies across versions).
struct StatRow {
    QString proxy;  // pxname
    QString server; // svname: a server, or FRONTEND / BACKEND
    QString status; // UP, DOWN, MAINT, DRAIN, no check...
    int weight = 0;
    qint64 currentSessions = 0;
    qint64 totalSessions = 0;
    qint64 currentQueue = 0;
    qint64 responses5xx = 0;
    QHash<QString, QString> fields; // every column, by name

    bool isServer() const {
        return server != QLatin1String("FRONTEND") && server != QLatin1String("BACKEND");
    }
    QString field(const QString &name) const { return fields.value(name); }
};

// One line of `show servers state`.
struct ServerStateRow {
    QString backend;
    QString server;
    QString address;
    int operationalState = 0; // 0 stopped, 1 starting, 2 running, 3 stopping
    int adminState = 0;       // bit field: 0x01 forced maint, 0x08 drain...
    int userWeight = 0;
    int initialWeight = 0;
    QHash<QString, QString> fields;
};

// `show info`: a reload changes Pid and resets Uptime_sec.
struct ProcessInfo {
    qint64 pid = 0;
    qint64 uptimeSec = 0;
    QString version;
    QHash<QString, QString> fields;
};

// One server whose read-back weight differs from the intended one.
struct WeightDrift {
    QString server;
    int intended = 0;
    int actual = -1; // -1: the server was missing from the read-back
};

} // namespace cutover::backends
