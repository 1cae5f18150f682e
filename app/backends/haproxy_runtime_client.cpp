#include "app/backends/haproxy_runtime_client.h"

#include "app/backends/haproxy_reply_parser.h"
#include "app/backends/log.h"

using namespace Qt::StringLiterals;
using namespace cutover::net;

namespace cutover::backends {

namespace {
constexpr qint64 kMaxReplyBytes = 16LL * 1024 * 1024; // `show stat` of a large config fits
constexpr int kMaxInFlight = 4;
const QString kProbeServer = u"__cutover_console_admin_probe__"_s;

QString serverPath(const QString &backend, const QString &server) {
    return backend + u'/' + server;
}
} // namespace

HaproxyRuntimeClient::HaproxyRuntimeClient(QString name, net::StreamAddress address,
                                           std::chrono::milliseconds timeout, QObject *parent)
    : QObject(parent)
    , m_name(std::move(name))
    , m_address(std::move(address))
    , m_lane(m_name, kMaxInFlight) {
    m_defaults.deadline = timeout;
    m_defaults.idempotent = true;
    m_defaults.retry = RetryPolicy::attempts(3, std::chrono::milliseconds(20));
}

HaproxyRuntimeClient::HaproxyRuntimeClient(const config::LoadBalancer &lb, QObject *parent)
    : HaproxyRuntimeClient(lb.name, addressOf(lb.runtimeApi), lb.timeout.value(), parent) {}

HaproxyRuntimeClient::~HaproxyRuntimeClient() {
    m_lane.cancelAll(u"client destroyed"_s);
}

StreamAddress HaproxyRuntimeClient::addressOf(const config::RuntimeApiAddress &address) {
    if (address.kind == config::RuntimeApiAddress::Kind::Unix)
        return StreamAddress::unixSocket(address.path);
    return StreamAddress::tcp(address.host, address.port);
}

template <typename T>
Reply<T> *
HaproxyRuntimeClient::run(const QStringList &commands, std::optional<CallOptions> options,
                          std::function<Result<T>(const QList<QStringList> &)> interpret) {
    const QByteArray request = commands.join(u"; "_s).toUtf8() + '\n';
    const QString name = m_name;
    const StreamAddress address = m_address;
    const int count = int(commands.size());
    qCDebug(lcHaproxy).noquote() << m_name << commands.join(u"; "_s);
    return startCall<T>(&m_lane, options.value_or(m_defaults), [=](Completion<T> done) {
        return startStreamExchange(
            name, address, request, kMaxReplyBytes, [=](Result<QByteArray> raw) {
                if (!raw.ok()) {
                    done(raw.error());
                    return;
                }
                auto replies = haproxy::splitReplies(raw.value(), count, name);
                if (!replies.ok())
                    done(replies.error());
                else
                    done(interpret(replies.value()));
            });
    });
}

template <typename T>
Reply<T> *HaproxyRuntimeClient::invalidName(const QString &name) {
    return finishedReply<T>(m_name, Error{ErrorKind::Protocol, m_name,
                                          u"refusing to send the name '%1': HAProxy names use "
                                          u"only letters, digits and _.:-"_s.arg(name.left(64)),
                                          0, u"invalid_name"_s});
}

Reply<QList<QStringList>> *HaproxyRuntimeClient::execute(const QStringList &commands,
                                                         std::optional<CallOptions> options) {
    for (const QString &command : commands) {
        if (command.contains(u'\n') || command.contains(u';'))
            return invalidName<QList<QStringList>>(command);
    }
    return run<QList<QStringList>>(commands, options,
                                   [](const QList<QStringList> &replies) { return replies; });
}

Reply<Ack> *HaproxyRuntimeClient::setWeight(const QString &backend, const QString &server,
                                            int weight) {
    return setWeights(backend, {{server, weight}});
}

Reply<Ack> *HaproxyRuntimeClient::setWeights(const QString &backend,
                                             const QMap<QString, int> &weights,
                                             std::optional<CallOptions> options) {
    if (!haproxy::isValidName(backend))
        return invalidName<Ack>(backend);
    QStringList commands;
    for (auto it = weights.cbegin(); it != weights.cend(); ++it) {
        if (!haproxy::isValidName(it.key()))
            return invalidName<Ack>(it.key());
        // Out-of-range values are sent as they are: HAProxy's own refusal is the typed error.
        commands.append(
            u"set server %1 weight %2"_s.arg(serverPath(backend, it.key())).arg(it.value()));
    }
    const QString name = m_name;
    return run<Ack>(commands, options,
                    [name, commands](const QList<QStringList> &replies) -> Result<Ack> {
                        for (qsizetype i = 0; i < replies.size(); ++i) {
                            auto ack = haproxy::expectEmpty(replies.at(i), name, commands.at(i));
                            if (!ack.ok())
                                return ack.error();
                        }
                        return Ack{};
                    });
}

Reply<QMap<QString, ServerWeight>> *HaproxyRuntimeClient::setWeightsAndReadBack(
    const QString &backend, const QMap<QString, int> &weights, std::optional<CallOptions> options) {
    using Weights = QMap<QString, ServerWeight>;
    if (!haproxy::isValidName(backend))
        return invalidName<Weights>(backend);
    QStringList commands;
    for (auto it = weights.cbegin(); it != weights.cend(); ++it) {
        if (!haproxy::isValidName(it.key()))
            return invalidName<Weights>(it.key());
        commands.append(
            u"set server %1 weight %2"_s.arg(serverPath(backend, it.key())).arg(it.value()));
    }
    const QStringList servers = weights.keys();
    for (const QString &server : servers)
        commands.append(u"get weight "_s + serverPath(backend, server));
    const QString name = m_name;
    const qsizetype sets = servers.size();
    return run<Weights>(
        commands, options,
        [name, commands, servers, sets](const QList<QStringList> &replies) -> Result<Weights> {
            for (qsizetype i = 0; i < sets; ++i) {
                auto ack = haproxy::expectEmpty(replies.at(i), name, commands.at(i));
                if (!ack.ok())
                    return ack.error();
            }
            Weights readBack;
            for (qsizetype i = 0; i < servers.size(); ++i) {
                auto weight =
                    haproxy::parseWeight(replies.at(sets + i), name, commands.at(sets + i));
                if (!weight.ok())
                    return weight.error();
                readBack.insert(servers.at(i), weight.value());
            }
            return readBack;
        });
}

Reply<ServerWeight> *HaproxyRuntimeClient::getWeight(const QString &backend,
                                                     const QString &server) {
    if (!haproxy::isValidName(backend) || !haproxy::isValidName(server))
        return invalidName<ServerWeight>(haproxy::isValidName(backend) ? server : backend);
    const QString command = u"get weight "_s + serverPath(backend, server);
    const QString name = m_name;
    return run<ServerWeight>({command}, std::nullopt,
                             [name, command](const QList<QStringList> &replies) {
                                 return haproxy::parseWeight(replies.constFirst(), name, command);
                             });
}

Reply<QMap<QString, ServerWeight>> *
HaproxyRuntimeClient::getWeights(const QString &backend, const QStringList &servers,
                                 std::optional<CallOptions> options) {
    if (!haproxy::isValidName(backend))
        return invalidName<QMap<QString, ServerWeight>>(backend);
    QStringList commands;
    for (const QString &server : servers) {
        if (!haproxy::isValidName(server))
            return invalidName<QMap<QString, ServerWeight>>(server);
        commands.append(u"get weight "_s + serverPath(backend, server));
    }
    const QString name = m_name;
    return run<QMap<QString, ServerWeight>>(
        commands, options,
        [name, commands,
         servers](const QList<QStringList> &replies) -> Result<QMap<QString, ServerWeight>> {
            QMap<QString, ServerWeight> weights;
            for (qsizetype i = 0; i < replies.size(); ++i) {
                auto weight = haproxy::parseWeight(replies.at(i), name, commands.at(i));
                if (!weight.ok())
                    return weight.error();
                weights.insert(servers.at(i), weight.value());
            }
            return weights;
        });
}

Reply<QList<StatRow>> *HaproxyRuntimeClient::showStat() {
    const QString name = m_name;
    return run<QList<StatRow>>({u"show stat"_s}, std::nullopt,
                               [name](const QList<QStringList> &replies) {
                                   return haproxy::parseStat(replies.constFirst(), name);
                               });
}

Reply<QList<ServerStateRow>> *HaproxyRuntimeClient::showServersState(const QString &backend) {
    if (!backend.isEmpty() && !haproxy::isValidName(backend))
        return invalidName<QList<ServerStateRow>>(backend);
    const QString name = m_name;
    const QString command =
        backend.isEmpty() ? u"show servers state"_s : u"show servers state "_s + backend;
    return run<QList<ServerStateRow>>(
        {command}, std::nullopt, [name](const QList<QStringList> &replies) {
            return haproxy::parseServersState(replies.constFirst(), name);
        });
}

Reply<Ack> *HaproxyRuntimeClient::setServerState(const QString &backend, const QString &server,
                                                 ServerAdminState state) {
    if (!haproxy::isValidName(backend) || !haproxy::isValidName(server))
        return invalidName<Ack>(haproxy::isValidName(backend) ? server : backend);
    const QString command =
        u"set server %1 state %2"_s.arg(serverPath(backend, server), serverAdminStateName(state));
    const QString name = m_name;
    return run<Ack>({command}, std::nullopt, [name, command](const QList<QStringList> &replies) {
        return haproxy::expectEmpty(replies.constFirst(), name, command);
    });
}

Reply<ProcessInfo> *HaproxyRuntimeClient::showInfo() {
    const QString name = m_name;
    return run<ProcessInfo>({u"show info"_s}, std::nullopt,
                            [name](const QList<QStringList> &replies) {
                                return haproxy::parseInfo(replies.constFirst(), name);
                            });
}

Reply<Ack> *HaproxyRuntimeClient::probeAdmin(const QString &backend) {
    if (!haproxy::isValidName(backend))
        return invalidName<Ack>(backend);
    const QString command = u"set weight %1 0"_s.arg(serverPath(backend, kProbeServer));
    const QString name = m_name;
    return run<Ack>(
        {command}, std::nullopt, [name, command](const QList<QStringList> &replies) -> Result<Ack> {
            const auto refusal = haproxy::classifyRefusal(replies.constFirst());
            if (refusal == RuntimeRefusal::NoSuchServer)
                return Ack{}; // admin: allowed to try, and the probe server does not exist
            if (replies.constFirst().isEmpty()) {
                return Error{
                    ErrorKind::Protocol, name,
                    u"the admin probe unexpectedly succeeded: a server named %1 exists"_s.arg(
                        kProbeServer),
                    0, u"refused"_s};
            }
            return haproxy::refusalError(replies.constFirst(), name, command);
        });
}

} // namespace cutover::backends
