#pragma once

// One HAProxy's Runtime API (admin level), over TCP or a unix socket.
//
// Each call is one connection in non-prompt mode: HAProxy answers and closes, so the end of the
// connection frames the reply and no session state can go stale across a reload or a dropped
// connection (~0.08 ms a round trip on loopback; persistent "prompt" mode would save ~0.04 ms at
// the price of framing and reconnect logic). Several commands of one call go in one connection,
// separated by ';' - so a whole pool's weights are set (or read) in one round trip.
//
// Every command here is idempotent (absolute weights, absolute states, reads), so transient
// failures are retried within the call's deadline.

#include "app/backends/haproxy_types.h"
#include "app/config/plan.h"
#include "app/net/call.h"
#include "app/net/stream_exchange.h"

#include <QMap>
#include <QObject>
#include <QStringList>

namespace cutover::backends {

class HaproxyRuntimeClient : public QObject {
    Q_OBJECT
public:
    // `name` is the plan's LB name; it is in every error.
    HaproxyRuntimeClient(QString name, net::StreamAddress address,
                         std::chrono::milliseconds timeout, QObject *parent = nullptr);
    explicit HaproxyRuntimeClient(const config::LoadBalancer &lb, QObject *parent = nullptr);
    ~HaproxyRuntimeClient() override;

    static net::StreamAddress addressOf(const config::RuntimeApiAddress &address);

    const QString &name() const { return m_name; }
    const net::StreamAddress &address() const { return m_address; }
    // Deadline, retries and attempt timeout of calls made without explicit options.
    net::CallOptions defaultOptions() const { return m_defaults; }
    void setDefaultOptions(const net::CallOptions &options) { m_defaults = options; }
    net::Lane &lane() { return m_lane; }

    net::Reply<net::Ack> *setWeight(const QString &backend, const QString &server, int weight);
    // Every server's weight in one connection. A refusal of any one fails the call (the
    // others may have been applied: read back to know).
    net::Reply<net::Ack> *setWeights(const QString &backend, const QMap<QString, int> &weights,
                                     std::optional<net::CallOptions> options = std::nullopt);
    // Sets every weight and reads every one back, in one connection ("set ...; set ...;
    // get weight ...; get weight ..."): the gets run after the sets, inside HAProxy, so the
    // read-back is what HAProxy now uses - at half the round trips of set-then-get.
    // A refusal of any set fails the call.
    net::Reply<QMap<QString, ServerWeight>> *
    setWeightsAndReadBack(const QString &backend, const QMap<QString, int> &weights,
                          std::optional<net::CallOptions> options = std::nullopt);
    net::Reply<ServerWeight> *getWeight(const QString &backend, const QString &server);
    net::Reply<QMap<QString, ServerWeight>> *
    getWeights(const QString &backend, const QStringList &servers,
               std::optional<net::CallOptions> options = std::nullopt);
    net::Reply<QList<StatRow>> *showStat();
    net::Reply<QList<ServerStateRow>> *showServersState(const QString &backend = QString());
    net::Reply<net::Ack> *setServerState(const QString &backend, const QString &server,
                                         ServerAdminState state);
    net::Reply<ProcessInfo> *showInfo();

    // Whether this socket accepts admin commands, without changing anything: a weight change
    // for a server that cannot exist. Admin level answers "No such server." (the permission
    // check passed, then the lookup failed); a lower level answers "Permission denied".
    // Unlike re-setting a weight to the value just read, there is no window in which a
    // concurrent change could be overwritten.
    net::Reply<net::Ack> *probeAdmin(const QString &backend);

    // Runs raw commands in one connection: the output lines of each, in order.
    net::Reply<QList<QStringList>> *execute(const QStringList &commands,
                                            std::optional<net::CallOptions> options = std::nullopt);

private:
    template <typename T>
    net::Reply<T> *run(const QStringList &commands, std::optional<net::CallOptions> options,
                       std::function<net::Result<T>(const QList<QStringList> &)> interpret);
    template <typename T>
    net::Reply<T> *invalidName(const QString &name);

    QString m_name;
    net::StreamAddress m_address;
    net::CallOptions m_defaults;
    net::Lane m_lane;
};

} // namespace cutover::backends
