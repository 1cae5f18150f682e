// A rollback on a large fleet (DESIGN.md, "Performance targets": 50 LBs x 10 servers, p99 under
// 15 ms), against the same 50 applied one after another.
//
// Starts 50 private HAProxy 2.6 instances on 127.0.0.1 (free ports; Runtime API over TCP at admin
// level; one backend of 5 legacy and 5 OTel servers that no traffic reaches, since only weights
// matter), and waits, bounded, until each answers runtime commands. Then, per run:
//   1. untimed: every LB gets the 10% weights (verified), so that the rollback changes something;
//   2. timed: LbFleet::apply(rollback weights, ApplyOptions::forRollback) on all 50 in parallel,
//      until every LB is verified (each read back in the connection that set it);
//   3. untimed: the 10% weights again;
//   4. timed, the baseline: the same rollback through 50 one-LB fleets (the same client code),
//      each started when the previous one is verified.
// Parallel and sequential runs alternate, so both see the same machine. Unlike production, where
// each LB is a machine of its own, the 50 instances share this machine's cores with the client:
// the client's own CPU time per run is printed beside each figure to show which side waited.
//
// Usage: fleet_rollback [--runs N=200] [--max-seconds S=600]. Exit 0 when the parallel p99 is
// under 15 ms over N verified runs, 1 otherwise, 2 when the instances cannot be started. Every
// HAProxy it started is stopped by PID before it returns (also on failure).

#include "app/backends/lb_fleet.h"
#include "app/backends/weight_plan.h"
#include "app/config/plan.h"
#include "private_haproxy.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTextStream>

#include <ctime>
#include <memory>
#include <optional>
#include <vector>

using namespace Qt::StringLiterals;
using namespace cutover;
using namespace std::chrono_literals;

namespace {

QTextStream out(stdout);
QTextStream err(stderr);

constexpr int kLbs = 50;
constexpr int kServersPerPool = 5;
constexpr double kTargetP99Ms = 15.0;
// A run that fails (not verified) says the set-up is broken; a few are reported, then we stop.
constexpr int kMaxFailures = 5;

QElapsedTimer g_total;
qint64 g_totalLimitMs = 600'000;

// This process's CPU time: with 50 HAProxy instances and the client on one small machine, it
// tells how much of a run's wall time the client itself spent.
double cpuMs() {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

qint64 remainingMs() {
    return std::max<qint64>(0, g_totalLimitMs - g_total.elapsed());
}

QStringList serverNames(const QString &prefix) {
    QStringList names;
    for (int i = 1; i <= kServersPerPool; ++i)
        names.append(u"%1-collector-%2"_s.arg(prefix).arg(i));
    return names;
}

struct Instance {
    QString name;
    quint16 port = 0;
    QString config;
    QString log;
    QProcess *process = nullptr;
};

class FleetBench {
public:
    int run(int runs) {
        if (!m_dir.isValid()) {
            err << "fleet_rollback: no temporary directory\n";
            return 2;
        }
        m_legacy = serverNames(u"legacy"_s);
        m_otel = serverNames(u"otel"_s);
        m_shift = backends::weightsFor(0.10, m_legacy, m_otel).weights;
        m_rollback = backends::rollbackWeights(m_legacy, m_otel).weights;
        m_rollbackOptions = backends::ApplyOptions::forRollback(m_rollbackConfig);
        m_shiftOptions = backends::ApplyOptions::forShift(2s);

        QElapsedTimer startup;
        startup.start();
        if (!startInstances())
            return 2;
        const qint64 startupMs = startup.elapsed();
        printHeader(startupMs);
        m_cpu.emplace();

        for (int i = 0; i < runs && m_failures.size() < kMaxFailures; ++i) {
            if (remainingMs() < 10'000) {
                out << "stopping: the time limit (" << g_totalLimitMs / 1000
                    << " s) is nearly used up\n";
                break;
            }
            if (!shift())
                continue;
            const double parallelCpuStart = cpuMs();
            if (const auto ms = rollBack(/*parallel=*/true)) {
                m_parallel.append(*ms);
                m_parallelCpu.append(cpuMs() - parallelCpuStart);
            }
            if (!shift())
                continue;
            const double sequentialCpuStart = cpuMs();
            if (const auto ms = rollBack(/*parallel=*/false)) {
                m_sequential.append(*ms);
                m_sequentialCpu.append(cpuMs() - sequentialCpuStart);
            }
        }
        const bool holding = fleetHolds(m_rollback);
        m_fleet.reset();
        m_single.clear();
        const int started = m_processes.count();
        m_processes.stopAll();
        return printTable(runs, holding, started);
    }

private:
    // --- the instances ---------------------------------------------------------------------------

    bool startInstances() {
        const QList<quint16> ports = bench::reservePorts(kLbs);
        if (ports.size() != kLbs) {
            err << "fleet_rollback: could not find " << kLbs << " free loopback ports\n";
            return false;
        }
        m_instances.resize(kLbs);
        for (int i = 0; i < kLbs; ++i) {
            Instance &in = m_instances[i];
            in.name = u"lb-%1"_s.arg(i + 1, 2, 10, QLatin1Char('0'));
            in.config = m_dir.filePath(in.name + u".cfg"_s);
            in.log = m_dir.filePath(in.name + u".log"_s);
            in.port = ports.at(i);
            if (!launch(in))
                return false;
        }
        // Another program may take a reserved port between the probe and HAProxy's bind: such an
        // instance exits and gets another port (a bounded number of times).
        QList<config::LoadBalancer> lbs;
        for (Instance &in : m_instances) {
            bool ready = false;
            for (int attempt = 1; attempt <= 3 && !ready; ++attempt) {
                ready = answers(in);
                if (ready || attempt == 3)
                    break;
                m_processes.stop(in.process);
                const QList<quint16> fresh = bench::reservePorts(1);
                if (fresh.isEmpty())
                    break;
                in.port = fresh.constFirst();
                if (!launch(in))
                    return false;
            }
            if (!ready) {
                err << "fleet_rollback: " << in.name << " (127.0.0.1:" << in.port
                    << ") does not answer runtime commands; its log:\n    "
                    << bench::logTail(in.log) << '\n';
                return false;
            }
            lbs.append(loadBalancer(in));
        }
        m_fleet = std::make_unique<backends::LbFleet>(lbs);
        for (const config::LoadBalancer &lb : lbs)
            m_single.push_back(
                std::make_unique<backends::LbFleet>(QList<config::LoadBalancer>{lb}));
        return true;
    }

    bool launch(Instance &in) {
        if (!bench::writeFile(in.config, bench::haproxyConfig(in.port, m_rollback))) {
            err << "fleet_rollback: cannot write " << in.config << '\n';
            return false;
        }
        QString error;
        in.process = m_processes.start({u"-db"_s, u"-f"_s, in.config}, in.log, &error);
        if (!in.process) {
            err << "fleet_rollback: " << in.name << ": " << error << '\n';
            return false;
        }
        return true;
    }

    static config::LoadBalancer loadBalancer(const Instance &in) {
        config::LoadBalancer lb;
        lb.name = in.name;
        lb.runtimeApi.kind = config::RuntimeApiAddress::Kind::Tcp;
        lb.runtimeApi.host = u"127.0.0.1"_s;
        lb.runtimeApi.port = in.port;
        lb.backend = bench::kBackend;
        lb.timeout = config::Duration::seconds(1);
        return lb;
    }

    bool answers(const Instance &in) {
        return bench::waitAnswering(in.process, in.port, m_legacy + m_otel,
                                    std::min<qint64>(10'000, remainingMs()));
    }

    // --- the runs --------------------------------------------------------------------------------

    bool shift() {
        const auto r = bench::await(m_fleet->apply(m_shift, m_shiftOptions), 10'000);
        if (!r || !r->ok() || !r->value().allVerified()) {
            fail(u"shift to 10%"_s, r);
            return false;
        }
        return true;
    }

    // Milliseconds from the first command to "verified on all 50", or nothing (reported). Both
    // ways run in one event loop and are timed in the callback that sees the last LB verified:
    // the sequential one starts each LB's apply from the previous one's callback, as a client
    // on this event loop would, so neither pays for a wait the other does not.
    std::optional<double> rollBack(bool parallel) {
        using Outcome = std::optional<net::Result<backends::FleetApplyResult>>;
        bench::Waiter waiter;
        QObject context;
        Outcome failed;
        bool failedAtAll = false;
        double ms = -1;
        size_t next = 0;
        QElapsedTimer clock;
        const auto verified = [](const net::Result<backends::FleetApplyResult> &r, int lbs) {
            return r.ok() && r.value().allVerified() && r.value().lbs.size() == lbs;
        };
        std::function<void()> applyNext = [&] {
            m_single.at(next)
                ->apply(m_rollback, m_rollbackOptions)
                ->onFinished(&context, [&](const net::Result<backends::FleetApplyResult> &r) {
                    if (!verified(r, 1)) {
                        failed = r;
                        failedAtAll = true;
                        waiter.wake();
                    } else if (++next == m_single.size()) {
                        ms = double(clock.nsecsElapsed()) / 1e6;
                        waiter.wake();
                    } else {
                        applyNext();
                    }
                });
        };
        clock.start();
        if (parallel) {
            m_fleet->apply(m_rollback, m_rollbackOptions)
                ->onFinished(&context, [&](const net::Result<backends::FleetApplyResult> &r) {
                    if (verified(r, kLbs))
                        ms = double(clock.nsecsElapsed()) / 1e6;
                    else {
                        failed = r;
                        failedAtAll = true;
                    }
                    waiter.wake();
                });
        } else {
            applyNext();
        }
        const qint64 bound = m_rollbackOptions.deadline.count() * (parallel ? 1 : kLbs) + 2'000;
        if (!waiter.until([&] { return ms >= 0 || failedAtAll; }, std::min(bound, remainingMs())) ||
            failedAtAll) {
            fail(parallel ? u"parallel rollback"_s : u"sequential rollback"_s, failed);
            return std::nullopt;
        }
        return ms;
    }

    void fail(const QString &what,
              const std::optional<net::Result<backends::FleetApplyResult>> &result) {
        QString why = u"no result in time"_s;
        if (result && !result->ok())
            why = result->error().toString();
        else if (result) {
            QStringList problems;
            for (const auto &lb : result->value().lbs) {
                if (!lb.verified)
                    problems.append(
                        u"%1: %2"_s.arg(lb.lb, lb.error ? lb.error->toString() : u"differs"_s));
            }
            why = problems.join(u"; "_s);
        }
        m_failures.append(what + u": "_s + why);
        out << "run failed: " << m_failures.constLast() << '\n';
        out.flush();
    }

    bool fleetHolds(const QMap<QString, int> &weights) {
        if (!m_fleet)
            return false;
        const auto r = bench::await(m_fleet->readWeights(m_legacy + m_otel), 10'000);
        if (!r || !r->ok() || r->value().size() != kLbs)
            return false;
        return std::all_of(r->value().cbegin(), r->value().cend(),
                           [&](const backends::LbWeightsRead &read) {
                               return !read.error && read.weights == weights;
                           });
    }

    // --- output ----------------------------------------------------------------------------------

    void printHeader(qint64 startupMs) {
        out << "fleet_rollback: " << kLbs << " private HAProxy instances (" << bench::kHaproxy
            << ", 127.0.0.1, Runtime API over TCP, admin) x " << 2 * kServersPerPool << " servers ("
            << kServersPerPool << " legacy, " << kServersPerPool << " otel), all answering after "
            << startupMs << " ms\n"
            << "rollback: LbFleet::apply(legacy 100 / otel 0, ApplyOptions::forRollback: "
            << "max_attempts " << m_rollbackConfig.maxAttempts << ", retry_backoff "
            << m_rollbackConfig.retryBackoff.toString() << ", deadline "
            << m_rollbackConfig.deadline.toString()
            << ") until verified (read back) on every LB; before each run every LB gets the 10% "
               "weights (untimed)\n"
#ifdef NDEBUG
            << "build: optimised"
#else
            << "build: debug (assertions on)"
#endif
            << '\n';
        out.flush();
    }

    int printTable(int runs, bool holding, int stopped) {
        constexpr int width = 50;
        const double p99 = bench::quantileOf(m_parallel, 0.99);
        const bool enough = m_parallel.size() >= runs && m_sequential.size() >= runs;
        const bool met = enough && !std::isnan(p99) && p99 < kTargetP99Ms;
        out << '\n'
            << bench::formatHeader(width) << '\n'
            << bench::formatRow(u"parallel: one LbFleet over all 50 (product)"_s, m_parallel, width)
            << '\n'
            << bench::formatRow(u"  CPU time of the client (this process)"_s, m_parallelCpu, width)
            << '\n'
            << bench::formatRow(u"sequential: 50 one-LB fleets, one after another"_s, m_sequential,
                                width)
            << '\n'
            << bench::formatRow(u"  CPU time of the client (this process)"_s, m_sequentialCpu,
                                width)
            << '\n'
            << bench::formatRatio(u"ratio sequential / parallel"_s, m_sequential, m_parallel, width)
            << "\n\n"
            << "target: parallel p99 < " << kTargetP99Ms << " ms: "
            << (std::isnan(p99)
                    ? u"p99 not measured (needs >= 100 runs)"_s
                    : u"p99 %1 ms, %2"_s.arg(bench::cell(p99), met ? u"met"_s : u"missed"_s))
            << '\n'
            << "runs: " << m_parallel.size() << " parallel and " << m_sequential.size()
            << " sequential verified of " << runs << " asked; failed " << m_failures.size() << '\n';
        for (const QString &f : m_failures)
            out << "  failed " << f << '\n';
        out << "every LB holds the rollback weights at the end: " << (holding ? "yes" : "NO")
            << '\n'
            << "stopped " << stopped
            << " HAProxy processes (by PID); still running: " << m_processes.count() << '\n'
            << (m_cpu ? m_cpu->summary() : QString()) << '\n';
        out.flush();
        return met && m_failures.isEmpty() && holding ? 0 : 1;
    }

    QTemporaryDir m_dir{QDir::tempPath() + u"/fleet_rollback-XXXXXX"_s};
    // Declared after the directory: the processes stop before their logs go.
    bench::HaproxyProcesses m_processes{kLbs};
    std::vector<Instance> m_instances;
    QStringList m_legacy, m_otel;
    QMap<QString, int> m_shift, m_rollback;
    // default.yaml's rollback section: 5 attempts, 100 ms apart, within 10 s.
    config::RollbackConfig m_rollbackConfig;
    backends::ApplyOptions m_rollbackOptions, m_shiftOptions;
    std::unique_ptr<backends::LbFleet> m_fleet;
    std::vector<std::unique_ptr<backends::LbFleet>> m_single;
    QList<double> m_parallel, m_sequential, m_parallelCpu, m_sequentialCpu;
    QStringList m_failures;
    std::optional<bench::MachineCpu> m_cpu;
};

} // namespace

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    g_total.start();
    const QStringList args = app.arguments();
    int runs = 200;
    for (qsizetype i = 1; i < args.size(); ++i) {
        const QString &a = args.at(i);
        if (a == u"--runs"_s && i + 1 < args.size())
            runs = std::max(1, args.at(++i).toInt());
        else if (a == u"--max-seconds"_s && i + 1 < args.size())
            g_totalLimitMs = std::max<qint64>(30, args.at(++i).toLongLong()) * 1000;
        else {
            err << "usage: fleet_rollback [--runs N=200] [--max-seconds S=600]\n";
            return 2;
        }
    }
    FleetBench bench;
    return bench.run(runs);
}
