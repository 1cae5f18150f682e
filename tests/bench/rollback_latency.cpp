// Rollback latency on the lab's two HAProxy instances (5 servers each):
//
//   1. Runtime API: from fleet.apply(rollback weights) to "verified on both LBs", N runs
//      (each preceded, untimed, by a shift to 10% so that every rollback changes something).
//   2. The seed's way, on a private HAProxy started here on a free loopback port: rewrite its
//      configuration with the new weight, reload it (haproxy -sf OLDPID), and poll until the
//      new weight is live.
//
// Usage: rollback_latency [RUNS] [RELOAD_RUNS]; the lab from CUTOVER_LAB_STATE or
// <build>/lab/state.env (start it with scripts/lab up). Prints p50 / p99 / max in ms.

#include "app/backends/haproxy_runtime_client.h"
#include "app/backends/lb_fleet.h"
#include "lab_state.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTextStream>
#include <QTimer>

#include <algorithm>
#include <csignal>
#include <functional>
#include <memory>
#include <signal.h>

using namespace Qt::StringLiterals;
using namespace cutover;
using namespace cutover::backends;
using namespace cutover::net;
using namespace std::chrono_literals;

namespace {

QTextStream out(stdout);

config::LoadBalancer labLb(const QString &name, const QString &adminUrl) {
    const QUrl url(adminUrl);
    config::LoadBalancer lb;
    lb.name = name;
    lb.runtimeApi.kind = config::RuntimeApiAddress::Kind::Tcp;
    lb.runtimeApi.host = url.host();
    lb.runtimeApi.port = quint16(url.port());
    lb.backend = u"telemetry_backend"_s;
    lb.timeout = config::Duration::seconds(2);
    return lb;
}

void printStats(const QString &title, QList<double> samples) {
    std::sort(samples.begin(), samples.end());
    auto at = [&samples](double q) {
        return samples.at(std::min<qsizetype>(samples.size() - 1, qsizetype(q * samples.size())));
    };
    out << title << ": " << samples.size() << " runs, p50 " << QString::number(at(0.50), 'f', 3)
        << " ms, p99 " << QString::number(at(0.99), 'f', 3) << " ms, max "
        << QString::number(samples.constLast(), 'f', 3) << " ms\n";
    out.flush();
}

quint16 freePort() {
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

// Part 1: the Runtime API through the fleet.
class RuntimeBench : public QObject {
public:
    RuntimeBench(const QList<config::LoadBalancer> &lbs, int runs, std::function<void()> done)
        : m_fleet(lbs)
        , m_runs(runs)
        , m_done(std::move(done)) {
        const QStringList legacy{u"legacy-collector-1"_s, u"legacy-collector-2"_s};
        const QStringList otel{u"otel-collector-1"_s, u"otel-collector-2"_s, u"otel-collector-3"_s};
        m_shift = weightsFor(0.10, legacy, otel).weights;
        m_rollback = rollbackWeights(legacy, otel).weights;
        m_options = ApplyOptions::forShift(2s);
    }

    void start() { shift(); }

private:
    void shift() {
        m_fleet.apply(m_shift, m_options)
            ->onFinished(this, [this](const Result<FleetApplyResult> &r) {
                if (!r.ok() || !r.value().allVerified()) {
                    out << "shift failed: "
                        << (r.ok() ? r.value().failedLbs().join(u", "_s) : r.error().toString())
                        << '\n';
                    m_done();
                    return;
                }
                rollback();
            });
    }

    void rollback() {
        QElapsedTimer clock;
        clock.start();
        m_fleet.apply(m_rollback, m_options)
            ->onFinished(this, [this, clock](const Result<FleetApplyResult> &r) {
                const double ms = double(clock.nsecsElapsed()) / 1e6;
                if (!r.ok() || !r.value().allVerified()) {
                    out << "rollback failed: "
                        << (r.ok() ? r.value().failedLbs().join(u", "_s) : r.error().toString())
                        << '\n';
                    m_done();
                    return;
                }
                m_samples.append(ms);
                if (m_samples.size() >= m_runs) {
                    printStats(
                        u"Runtime API rollback, 2 LBs x 5 servers, apply + read-back verified"_s,
                        m_samples);
                    m_done();
                    return;
                }
                shift();
            });
    }

    LbFleet m_fleet;
    int m_runs;
    std::function<void()> m_done;
    QMap<QString, int> m_shift;
    QMap<QString, int> m_rollback;
    ApplyOptions m_options;
    QList<double> m_samples;
};

// Part 2: the seed's way, on a private HAProxy.
class ReloadBench : public QObject {
public:
    ReloadBench(int runs, std::function<void()> done)
        : m_runs(runs)
        , m_done(std::move(done)) {
        m_adminPort = freePort();
        m_frontendPort = freePort();
        m_config = m_dir.filePath(u"haproxy.cfg"_s);
        m_pidFile = m_dir.filePath(u"haproxy.pid"_s);
        m_client = std::make_unique<HaproxyRuntimeClient>(
            u"private"_s, StreamAddress::tcp(u"127.0.0.1"_s, m_adminPort), 2s);
    }

    ~ReloadBench() override { stop(); }

    void start() {
        writeConfig(0);
        runHaproxy({}, [this] { next(); });
    }

private:
    void writeConfig(int otelWeight) {
        QFile file(m_config);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return;
        QTextStream cfg(&file);
        cfg << "global\n    nbthread 1\n    hard-stop-after 2s\n"
            << "    stats socket ipv4@127.0.0.1:" << m_adminPort << " level admin\n"
            << "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n"
            << "    timeout server 5s\n"
            << "frontend fe\n    bind 127.0.0.1:" << m_frontendPort << "\n"
            << "    default_backend telemetry_backend\n"
            << "backend telemetry_backend\n    balance roundrobin\n";
        for (int i = 1; i <= 2; ++i)
            cfg << "    server legacy-collector-" << i << " 127.0.0.1:9 weight 100\n";
        for (int i = 1; i <= 3; ++i)
            cfg << "    server otel-collector-" << i << " 127.0.0.1:9 weight " << otelWeight
                << "\n";
        // Like the seed: "tee haproxy.cfg" means the bytes are on disk before the reload.
        file.flush();
    }

    void runHaproxy(const QStringList &extra, std::function<void()> then) {
        auto *process = new QProcess(this);
        process->setProgram(u"haproxy"_s);
        process->setArguments(QStringList{u"-D"_s, u"-f"_s, m_config, u"-p"_s, m_pidFile} + extra);
        process->setProcessChannelMode(QProcess::ForwardedChannels);
        connect(process, &QProcess::finished, this, [this, process, then](int code) {
            process->deleteLater();
            if (code != 0) {
                out << "haproxy failed to start (exit " << code << ")\n";
                m_done();
                return;
            }
            rememberPid();
            then();
        });
        process->start();
    }

    void rememberPid() {
        QFile file(m_pidFile);
        if (file.open(QIODevice::ReadOnly))
            m_pids.append(QString::fromLatin1(file.readAll()).trimmed().toLongLong());
    }

    void next() {
        if (m_samples.size() >= m_runs) {
            printStats(u"Seed's way: rewrite haproxy.cfg + reload (-sf) until the weight is live"_s,
                       m_samples);
            stop();
            m_done();
            return;
        }
        const int weight = 1 + int(m_samples.size() % 200); // a new value every run
        m_clock.start();
        writeConfig(weight);
        runHaproxy({u"-sf"_s, QString::number(m_pids.constLast())},
                   [this, weight] { poll(weight); });
    }

    void poll(int weight) {
        m_client->getWeight(u"telemetry_backend"_s, u"otel-collector-1"_s)
            ->onFinished(this, [this, weight](const Result<ServerWeight> &r) {
                if (r.ok() && r.value().current == weight) {
                    m_samples.append(double(m_clock.nsecsElapsed()) / 1e6);
                    next();
                    return;
                }
                if (m_clock.elapsed() > 10'000) {
                    out << "reload never became live\n";
                    stop();
                    m_done();
                    return;
                }
                QTimer::singleShot(0, this, [this, weight] { poll(weight); });
            });
    }

    void stop() {
        // By PID only: every process this benchmark started (old ones exit by themselves via
        // -sf; signalling a gone PID is harmless only if it is ours, so check it is haproxy).
        for (qint64 pid : std::exchange(m_pids, {})) {
            QFile comm(u"/proc/%1/comm"_s.arg(pid));
            if (comm.open(QIODevice::ReadOnly) && comm.readAll().trimmed() == "haproxy")
                ::kill(pid_t(pid), SIGTERM);
        }
    }

    QTemporaryDir m_dir;
    int m_runs;
    std::function<void()> m_done;
    quint16 m_adminPort = 0;
    quint16 m_frontendPort = 0;
    QString m_config;
    QString m_pidFile;
    std::unique_ptr<HaproxyRuntimeClient> m_client;
    QList<qint64> m_pids;
    QElapsedTimer m_clock;
    QList<double> m_samples;
};

} // namespace

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int runs = args.size() > 1 ? args.at(1).toInt() : 1000;
    const int reloadRuns = args.size() > 2 ? args.at(2).toInt() : 30;
    QString statePath = qEnvironmentVariable("CUTOVER_LAB_STATE");
    if (statePath.isEmpty())
        statePath = QStringLiteral(CONSOLE_BINARY_DIR "/lab/state.env");
    const auto state = bench::readLabState(statePath);
    if (!state.contains(u"LAB_LB_A_ADMIN"_s) || !state.contains(u"LAB_LB_B_ADMIN"_s)) {
        QTextStream(stderr) << "rollback_latency: no lab state at " << statePath
                            << " (start one with scripts/lab up, or set CUTOVER_LAB_STATE)\n";
        return 2;
    }
    const QList<config::LoadBalancer> lbs{labLb(u"lb-a"_s, state.value(u"LAB_LB_A_ADMIN"_s)),
                                          labLb(u"lb-b"_s, state.value(u"LAB_LB_B_ADMIN"_s))};
    std::unique_ptr<ReloadBench> reload;
    RuntimeBench runtime(lbs, runs, [&] {
        reload = std::make_unique<ReloadBench>(reloadRuns, [] { QCoreApplication::quit(); });
        reload->start();
    });
    QTimer::singleShot(0, &runtime, [&runtime] { runtime.start(); });
    return app.exec();
}
