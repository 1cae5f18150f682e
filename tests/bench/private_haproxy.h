#pragma once

// What the HAProxy benchmarks (rollback_latency, fleet_rollback) share: private HAProxy
// processes on 127.0.0.1, event-loop waits that wake on signals, nearest-rank percentiles, and the
// machine's CPU use over a run.
//
// The processes are children of the benchmark: stopped by PID when their owner goes (also while
// unwinding from an error), and by the kernel should the benchmark die without unwinding
// (PR_SET_PDEATHSIG), so no run leaves HAProxy instances behind.

#include "app/backends/haproxy_runtime_client.h"
#include "app/net/request.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QList>
#include <QMap>
#include <QProcess>
#include <QString>
#include <QTcpServer>
#include <QTextStream>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <functional>
#include <memory>
#include <optional>
#include <sys/prctl.h>
#include <unistd.h>
#include <vector>

namespace bench {

using namespace Qt::StringLiterals;

inline const QString kHaproxy = u"/usr/sbin/haproxy"_s;
inline const QString kBackend = u"telemetry_backend"_s;

// --- waiting -------------------------------------------------------------------------------------

// Runs the event loop until `done()` holds or the time is up. `done` is looked at again only when
// wake() is called, so the wait costs nothing while the awaited replies travel: connect wake() to
// the signals that can change the answer.
class Waiter {
public:
    void wake() { m_loop.quit(); }

    bool until(const std::function<bool()> &done, qint64 timeoutMs) {
        QElapsedTimer clock;
        clock.start();
        QTimer deadline;
        deadline.setSingleShot(true);
        QObject::connect(&deadline, &QTimer::timeout, &m_loop, &QEventLoop::quit);
        while (!done()) {
            const qint64 left = timeoutMs - clock.elapsed();
            if (left <= 0)
                return false;
            deadline.start(int(std::min<qint64>(left, 24 * 3600 * 1000)));
            m_loop.exec();
        }
        return true;
    }

private:
    QEventLoop m_loop;
};

// The result of `reply`, or nothing when it did not finish within `timeoutMs` (it is then
// cancelled, so nothing of it outlives the wait).
template <typename T>
std::optional<cutover::net::Result<T>> await(cutover::net::Reply<T> *reply, qint64 timeoutMs) {
    auto slot = std::make_shared<std::optional<cutover::net::Result<T>>>();
    Waiter waiter;
    QObject context;
    reply->onFinished(&context, [slot, &waiter](const cutover::net::Result<T> &r) {
        *slot = r;
        waiter.wake();
    });
    if (!waiter.until([&slot] { return slot->has_value(); }, timeoutMs))
        reply->cancel(u"benchmark wait over"_s);
    return *slot;
}

// --- percentiles ---------------------------------------------------------------------------------

// Nearest rank: the smallest sample with at least q of all samples at or below it.
inline double nearestRank(QList<double> samples, double q) {
    if (samples.isEmpty())
        return std::nan("");
    std::sort(samples.begin(), samples.end());
    const auto rank = qsizetype(std::ceil(q * double(samples.size()) - 1e-9));
    return samples.at(std::clamp<qsizetype>(rank - 1, 0, samples.size() - 1));
}

// Whether `runs` samples say anything about the q-quantile beyond their maximum: p99 needs 100
// runs, p90 10 (with fewer, "p99" would only be the maximum under another name).
inline bool supports(qsizetype runs, double q) {
    return double(runs) * (1.0 - q) >= 1.0 - 1e-9;
}

struct Row {
    QString label;
    QList<double> samples;
};

inline const QList<double> kQuantiles{0.50, 0.90, 0.99, 1.0};

inline QString cell(double value) {
    return std::isnan(value) ? u"-"_s : QString::number(value, 'f', 3);
}

inline double quantileOf(const QList<double> &samples, double q) {
    return supports(samples.size(), q) || q >= 1.0 ? nearestRank(samples, q) : std::nan("");
}

// "label  runs  p50  p90  p99  max" in ms; a percentile its run count cannot support is "-".
inline QString formatRow(const QString &label, const QList<double> &samples, int width) {
    QString line = u"%1 %2"_s.arg(label, -width).arg(samples.size(), 5);
    for (double q : kQuantiles)
        line += u" %1"_s.arg(cell(quantileOf(samples, q)), 9);
    return line;
}

inline QString formatHeader(int width) {
    return u"%1 %2 %3 %4 %5 %6"_s.arg(u"(ms)"_s, -width)
        .arg(u"runs"_s, 5)
        .arg(u"p50"_s, 9)
        .arg(u"p90"_s, 9)
        .arg(u"p99"_s, 9)
        .arg(u"max"_s, 9);
}

// baseline / measured per column, where both have the percentile.
inline QString formatRatio(const QString &label, const QList<double> &baseline,
                           const QList<double> &measured, int width) {
    QString line = u"%1 %2"_s.arg(label, -width).arg(QString(), 5);
    for (double q : kQuantiles) {
        const double b = quantileOf(baseline, q);
        const double m = quantileOf(measured, q);
        const bool known = !std::isnan(b) && !std::isnan(m) && m > 0;
        line += u" %1"_s.arg(known ? QString::number(b / m, 'f', 1) + u'x' : u"-"_s, 9);
    }
    return line;
}

// Which percentiles `runs` supports, for the output's footnote.
inline QString supportedPercentiles(qsizetype runs) {
    QStringList names;
    for (double q : {0.50, 0.90, 0.99}) {
        if (supports(runs, q))
            names.append(u"p%1"_s.arg(int(std::lround(q * 100))));
    }
    names.append(u"max"_s);
    return names.join(u", "_s);
}

// --- private HAProxy instances -------------------------------------------------------------------

// Free loopback ports, distinct from each other: every probe stays bound until all are taken.
inline QList<quint16> reservePorts(int count) {
    std::vector<std::unique_ptr<QTcpServer>> probes;
    QList<quint16> ports;
    for (int i = 0; i < count; ++i) {
        auto probe = std::make_unique<QTcpServer>();
        if (!probe->listen(QHostAddress::LocalHost, 0))
            return {};
        ports.append(probe->serverPort());
        probes.push_back(std::move(probe));
    }
    return ports;
}

// One backend of weighted servers that no traffic reaches: only the weights matter, so the
// servers point at a closed loopback port and have no health checks.
inline QByteArray haproxyConfig(quint16 adminPort, const QMap<QString, int> &weights) {
    QByteArray text;
    QTextStream cfg(&text);
    cfg << "global\n"
        << "    nbthread 1\n"
        << "    stats socket ipv4@127.0.0.1:" << adminPort << " level admin\n"
        << "    stats timeout 10s\n"
        // Nothing holds a connection to a reload's old process; this only bounds a surprise.
        << "    hard-stop-after 2s\n"
        << "defaults\n"
        << "    mode http\n"
        << "    timeout connect 1s\n"
        << "    timeout client 5s\n"
        << "    timeout server 5s\n"
        << "backend " << kBackend << "\n"
        << "    balance roundrobin\n";
    for (auto it = weights.cbegin(); it != weights.cend(); ++it)
        cfg << "    server " << it.key() << " 127.0.0.1:9 weight " << it.value() << '\n';
    cfg.flush();
    return text;
}

// Written the way `tee` writes: the bytes are in the file (not necessarily on the disk) before
// the reload reads it.
inline bool writeFile(const QString &path, const QByteArray &bytes) {
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) &&
           file.write(bytes) == bytes.size() && file.flush();
}

// A child process that gets SIGTERM from the kernel when the benchmark dies.
inline std::unique_ptr<QProcess> childProcess(const QStringList &arguments,
                                              const QString &logPath) {
    auto process = std::make_unique<QProcess>();
    process->setProgram(kHaproxy);
    process->setArguments(arguments);
    process->setStandardInputFile(QProcess::nullDevice());
    process->setStandardOutputFile(logPath, QIODevice::Append);
    process->setStandardErrorFile(logPath, QIODevice::Append);
    const pid_t parent = ::getpid();
    process->setChildProcessModifier([parent] {
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        // The benchmark may have died between fork and prctl.
        if (::getppid() != parent)
            ::_exit(1);
    });
    return process;
}

inline QString logTail(const QString &path, int lines = 5) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QList<QByteArray> all = file.readAll().trimmed().split('\n');
    QStringList tail;
    for (qsizetype i = std::max<qsizetype>(0, all.size() - lines); i < all.size(); ++i)
        tail.append(QString::fromUtf8(all.at(i)));
    return tail.join(u"\n    "_s);
}

// Whether the HAProxy at 127.0.0.1:`port` (run by `process`) answers `get weight` for every one
// of `servers` within `timeoutMs`. HAProxy gives no readiness signal in the foreground, so the
// Runtime API is asked again every 5 ms; a process that exits ends the wait at once.
inline bool waitAnswering(QProcess *process, quint16 port, const QStringList &servers,
                          qint64 timeoutMs) {
    using namespace std::chrono_literals;
    cutover::backends::HaproxyRuntimeClient client(
        u"probe"_s, cutover::net::StreamAddress::tcp(u"127.0.0.1"_s, port), 1s);
    cutover::net::CallOptions options;
    options.deadline = 500ms;
    options.retry = cutover::net::RetryPolicy::none();
    QElapsedTimer clock;
    clock.start();
    for (int attempt = 0; attempt < 5'000 && clock.elapsed() < timeoutMs; ++attempt) {
        if (process->state() != QProcess::Running)
            return false;
        const auto r = await(client.getWeights(kBackend, servers, options), 1'000);
        if (r && r->ok())
            return true;
        Waiter gap;
        QObject context;
        QObject::connect(process, &QProcess::finished, &context, [&gap] { gap.wake(); });
        (void)gap.until([process] { return process->state() != QProcess::Running; }, 5);
    }
    return false;
}

// The machine's CPU (all processes, the benchmark's included) between construction and
// summary(), from /proc/stat: on a small shared VM, other work and the hypervisor's steal are
// what makes figures noisy, so the output says how much of both there was.
class MachineCpu {
public:
    MachineCpu()
        : m_start(read()) {}

    QString summary() const {
        const Ticks end = read();
        const double total = double(end.total - m_start.total);
        if (total <= 0)
            return u"machine CPU over the run: unknown"_s;
        const double busy = 100.0 * double((end.total - end.idle) - (m_start.total - m_start.idle));
        const double steal = 100.0 * double(end.steal - m_start.steal);
        return u"machine CPU over the run (every process, this one included): %1% busy, %2% "
               u"stolen by the hypervisor"_s.arg(busy / total, 0, 'f', 0)
                   .arg(steal / total, 0, 'f', 0);
    }

private:
    struct Ticks {
        qint64 total = 0;
        qint64 idle = 0; // idle + iowait
        qint64 steal = 0;
    };

    static Ticks read() {
        QFile file(u"/proc/stat"_s);
        if (!file.open(QIODevice::ReadOnly))
            return {};
        const QList<QByteArray> fields = file.readLine().simplified().split(' ');
        // cpu user nice system idle iowait irq softirq steal ...
        if (fields.size() < 9 || fields.at(0) != "cpu")
            return {};
        Ticks t;
        for (qsizetype i = 1; i <= 8; ++i)
            t.total += fields.at(i).toLongLong();
        t.idle = fields.at(4).toLongLong() + fields.at(5).toLongLong();
        t.steal = fields.at(8).toLongLong();
        return t;
    }

    Ticks m_start;
};

// The HAProxy processes a benchmark runs, at most `maxCount` of them. Each is stopped by its own
// PID: SIGTERM, a bounded wait for it to exit, then SIGKILL.
class HaproxyProcesses {
public:
    explicit HaproxyProcesses(int maxCount)
        : m_maxCount(maxCount) {}
    ~HaproxyProcesses() { stopAll(); }
    HaproxyProcesses(const HaproxyProcesses &) = delete;
    HaproxyProcesses &operator=(const HaproxyProcesses &) = delete;

    // Started (QProcess::Running) or null, with the reason in `error`.
    QProcess *start(const QStringList &arguments, const QString &logPath, QString *error) {
        if (int(m_processes.size()) >= m_maxCount) {
            *error = u"more than %1 HAProxy processes asked for"_s.arg(m_maxCount);
            return nullptr;
        }
        auto process = childProcess(arguments, logPath);
        {
            Waiter waiter;
            QObject context;
            QObject::connect(process.get(), &QProcess::started, &context,
                             [&waiter] { waiter.wake(); });
            QObject::connect(process.get(), &QProcess::errorOccurred, &context,
                             [&waiter] { waiter.wake(); });
            process->start();
            (void)waiter.until(
                [&] {
                    return process->state() == QProcess::Running ||
                           process->state() == QProcess::NotRunning;
                },
                10'000);
        }
        if (process->state() != QProcess::Running) {
            *error = u"%1 did not start: %2"_s.arg(kHaproxy, process->errorString());
            return nullptr;
        }
        m_processes.push_back(std::move(process));
        return m_processes.back().get();
    }

    // Stops one now (a start that failed later, e.g. its port was taken).
    void stop(QProcess *process) {
        const auto it = std::find_if(m_processes.begin(), m_processes.end(),
                                     [process](const auto &p) { return p.get() == process; });
        if (it == m_processes.end())
            return;
        std::vector<std::unique_ptr<QProcess>> one;
        one.push_back(std::move(*it));
        m_processes.erase(it);
        stopEach(one);
    }

    void stopAll() {
        auto all = std::exchange(m_processes, {});
        stopEach(all);
    }

    int count() const { return int(m_processes.size()); }

private:
    static void stopEach(std::vector<std::unique_ptr<QProcess>> &processes) {
        Waiter waiter;
        QObject context;
        int running = 0;
        for (auto &p : processes) {
            if (p->state() == QProcess::NotRunning)
                continue;
            ++running;
            QObject::connect(p.get(), &QProcess::finished, &context, [&waiter] { waiter.wake(); });
            ::kill(pid_t(p->processId()), SIGTERM);
        }
        if (running == 0)
            return;
        (void)waiter.until(
            [&] {
                return std::all_of(processes.cbegin(), processes.cend(), [](const auto &p) {
                    return p->state() == QProcess::NotRunning;
                });
            },
            5'000);
        for (auto &p : processes) {
            if (p->state() != QProcess::NotRunning) {
                p->kill(); // SIGKILL to its PID
                p->waitForFinished(1'000);
            }
        }
    }

    int m_maxCount;
    std::vector<std::unique_ptr<QProcess>> m_processes;
};

} // namespace bench
