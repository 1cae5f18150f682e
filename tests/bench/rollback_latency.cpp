// Rollback latency on the lab (DESIGN.md, "Performance targets": 2 LBs x 5 servers, from
// CutoverEngine::rollback to "verified on every LB", audit and state included, p99 under 5 ms;
// the seed's rewrite-and-reload takes ~100 ms), against the seed's way in the same run.
//
// The console: one engine as a desk runs it (tests/support's Console: a real SqliteStore in a
// temporary directory, WAL and synchronous=FULL) on the lab plan, resources/plans/lab.yaml loaded
// with the lab's state and the test operators (alice: release manager, bob: on call). The
// pre-cutover checklist is ticked and signed once. Per run:
//   1. untimed: alice shifts the lab to 10% through the engine (guards, passphrase, state write,
//      both LBs verified), and its webhooks are let through, so that the rollback starts from a
//      real stage and really changes the weights;
//   2. timed: bob's CutoverEngine::rollback("lab"), from the call until its Operation finishes
//      verified on both LBs. That includes the guards, the apply with the plan's rollback
//      options and its read-back, the audited state writes (rollback_started,
//      rollback_completed), the reset of the gates rolled back over and the queued webhooks;
//   3. untimed: the rollback's follow-ups (legacy verification, evidence archive, upload) and
//      webhooks end, and both LBs are read back once more.
//
// The baseline, alternating with the console runs: what an operator without the console does.
// Two private HAProxy instances shaped like the lab's LBs (one backend, 2 legacy + 3 OTel
// servers) run in master-worker mode as Debian's haproxy.service runs them. Its timed part: both
// configs rewritten with the new weights, then for each, in parallel, `systemctl reload`'s
// steps (`haproxy -c -q -f CFG`, then SIGUSR2 to the master), until `get weight` on the Runtime
// API shows every new weight on both (asked every 1 ms). Before it, untimed, the same reload
// puts both on the 10% weights. These instances carry no traffic and have no health checks, so
// their reload is as quick as a reload gets: the baseline is on the seed's side.
//
// Also printed, as parts of the same runs: when rollback() returned (it runs the guards and
// writes rollback_started before returning), when both LBs' results were in (the rest is the
// rollback_completed write, the gate reset and the webhooks queued), and for the baseline, when
// both configuration checks had passed. --reload-runs below 100 is allowed (reloads are slow);
// the output then says which percentiles that count supports.
//
// Usage: rollback_latency [--runs N=200] [--reload-runs M=N] [--max-seconds S=1200]; the lab from
// CUTOVER_LAB_STATE, else $LAB_DIR/state.env, else <build>/lab/state.env (start it with
// `ctest -R lab_up` or scripts/lab up). Prints p50, p90, p99 (nearest rank, only from 100 runs)
// and max. Exit 0 when the console's p99 is under 5 ms over N verified runs, 1 otherwise, 2 when
// the lab or the baseline's HAProxy cannot be used.

#include "app/backends/lb_fleet.h"
#include "app/backends/weight_plan.h"
#include "lab_state.h"
#include "private_haproxy.h"
#include "tests/support/engine_test_support.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTextStream>

#include <array>
#include <memory>
#include <optional>

using namespace Qt::StringLiterals;
using namespace cutover;
using namespace std::chrono_literals;
using enginetest::Console;
using enginetest::kEnv;

namespace {

QTextStream out(stdout);
QTextStream err(stderr);

constexpr double kTargetP99Ms = 5.0;
constexpr int kMaxFailures = 5;

QElapsedTimer g_total;
qint64 g_totalLimitMs = 1'200'000;

qint64 remainingMs() {
    return std::max<qint64>(0, g_totalLimitMs - g_total.elapsed());
}

qint64 bounded(qint64 ms) {
    return std::min(ms, remainingMs());
}

double msSince(const QElapsedTimer &clock) {
    return double(clock.nsecsElapsed()) / 1e6;
}

// One of the baseline's two HAProxy instances.
struct ReloadedLb {
    QString name;
    quint16 port = 0;
    QString config;
    QString log;
    QProcess *master = nullptr;
    std::unique_ptr<backends::HaproxyRuntimeClient> client;
};

class Bench {
public:
    Bench(QHash<QString, QString> state, int runs, int reloadRuns)
        : m_state(std::move(state))
        , m_runs(runs)
        , m_reloadRuns(reloadRuns) {}

    ~Bench() {
        // The engine's webhooks and follow-ups first, while the lab and the store are there.
        m_console.close();
    }

    int run() {
        if (!setUpConsole() || !setUpBaseline())
            return 2;
        printHeader();
        m_auditBefore = enginetest::auditOf(*m_console.store).size();
        m_cpu.emplace();
        for (int i = 0; i < m_runs && m_failures.size() < kMaxFailures; ++i) {
            if (remainingMs() < 30'000) {
                out << "stopping: the time limit (" << g_totalLimitMs / 1000
                    << " s) is nearly used up\n";
                break;
            }
            consoleRun(i);
            if (i < m_reloadRuns)
                reloadRun();
        }
        return printTable();
    }

private:
    // --- set-up ----------------------------------------------------------------------------------

    bool setUpConsole() {
        if (!m_dir.isValid()) {
            err << "rollback_latency: no temporary directory\n";
            return false;
        }
        m_plan = enginetest::labPlanWithOperators(m_state, m_dir.path());
        if (!m_plan) {
            err << "rollback_latency: the lab plan does not load with the lab's state\n";
            return false;
        }
        // The evidence archives of these runs go with the store, not into the lab's folder.
        m_plan->rollback.evidenceDirectory = m_dir.filePath(u"evidence"_s);
        m_env = m_plan->environment(kEnv);
        if (!m_env) {
            err << "rollback_latency: the lab plan has no environment '" << kEnv << "'\n";
            return false;
        }
        m_shiftWeights = backends::weightsFor(m_plan->stages.at(0).percent / 100.0,
                                              m_plan->pools.legacy, m_plan->pools.otel)
                             .weights;
        m_rollbackWeights =
            backends::rollbackWeights(m_plan->pools.legacy, m_plan->pools.otel).weights;
        m_lab = std::make_unique<enginetest::LabControl>(m_state, *m_plan);
        QObject context;
        if (!m_lab->reset(&context)) {
            err << "rollback_latency: the lab is not healthy (see the warnings above)\n";
            return false;
        }
        if (!m_console.open(*m_plan, m_dir.filePath(u"store.sqlite"_s))) {
            err << "rollback_latency: the console does not open\n";
            return false;
        }
        m_alice = m_console.who(u"alice"_s);
        m_bob = m_console.who(u"bob"_s);
        if (!enginetest::tickGate(m_console, m_plan->preCutoverGate) ||
            !enginetest::signGate(m_console, m_plan->preCutoverGate)) {
            err << "rollback_latency: the pre-cutover gate cannot be ticked and signed\n";
            return false;
        }
        return true;
    }

    bool setUpBaseline() {
        const QList<quint16> ports = bench::reservePorts(2);
        if (ports.size() != 2) {
            err << "rollback_latency: no free loopback ports for the baseline\n";
            return false;
        }
        const QStringList servers = m_plan->pools.legacy + m_plan->pools.otel;
        for (int i = 0; i < 2; ++i) {
            ReloadedLb &lb = m_reloaded[i];
            lb.name = i == 0 ? u"reload-a"_s : u"reload-b"_s;
            lb.port = ports.at(i);
            lb.config = m_dir.filePath(lb.name + u".cfg"_s);
            lb.log = m_dir.filePath(lb.name + u".log"_s);
            if (!bench::writeFile(lb.config, bench::haproxyConfig(lb.port, m_rollbackWeights))) {
                err << "rollback_latency: cannot write " << lb.config << '\n';
                return false;
            }
            QString error;
            // -W: master-worker, as haproxy.service runs it (-Ws there only adds systemd's
            // notification); the master stays this process's child.
            lb.master = m_haproxy.start({u"-W"_s, u"-f"_s, lb.config}, lb.log, &error);
            if (!lb.master) {
                err << "rollback_latency: " << lb.name << ": " << error << '\n';
                return false;
            }
            if (!bench::waitAnswering(lb.master, lb.port, servers, bounded(10'000))) {
                err << "rollback_latency: " << lb.name << " (127.0.0.1:" << lb.port
                    << ") does not answer runtime commands; its log:\n    "
                    << bench::logTail(lb.log) << '\n';
                return false;
            }
            lb.client = std::make_unique<backends::HaproxyRuntimeClient>(
                lb.name, net::StreamAddress::tcp(u"127.0.0.1"_s, lb.port), 1s);
        }
        return true;
    }

    // --- the console -----------------------------------------------------------------------------

    // Runs the event loop until `done` holds, woken by the engine's signals that can change it.
    bool waitOnEngine(const std::function<bool()> &done, qint64 timeoutMs) {
        bench::Waiter waiter;
        QObject context;
        using engine::CutoverEngine;
        CutoverEngine *console = m_console.engine.get();
        const auto wake = [&waiter] {
            waiter.wake();
        };
        QObject::connect(console, &CutoverEngine::snapshotChanged, &context, wake);
        QObject::connect(console, &CutoverEngine::monitorRoundFinished, &context, wake);
        QObject::connect(console, &CutoverEngine::followUpsIdle, &context, wake);
        QObject::connect(console, &CutoverEngine::notificationsIdle, &context, wake);
        return waiter.until(done, bounded(timeoutMs));
    }

    bool engineIdle() const {
        return m_console.engine->pendingFollowUps() == 0 &&
               m_console.engine->pendingNotifications() == 0;
    }

    struct Finished {
        bool finished = false;
        bool ok = false;
        QString summary;
        QStringList refusals;
        QList<backends::LbApplyResult> results;
        double ms = std::nan("");
        double lbsMs = std::nan(""); // until the last LB's result (verified or not)
    };

    // The figures are read off `clock` in the slots, as the signals arrive, so the time the wait
    // itself takes to return is not in them.
    Finished awaitOperation(engine::Operation *op, const QElapsedTimer &clock, qint64 timeoutMs) {
        Finished f;
        bench::Waiter waiter;
        QObject context;
        int lbs = 0;
        QObject::connect(op, &engine::Operation::lbFinished, &context, [&] {
            if (++lbs == m_env->loadBalancers.size())
                f.lbsMs = msSince(clock);
        });
        QObject::connect(op, &engine::Operation::finished, &context, [&, op](bool ok) {
            f.ms = msSince(clock);
            f.finished = true;
            f.ok = ok;
            f.summary = op->summary();
            f.refusals = op->refusals();
            f.results = op->results();
            waiter.wake();
        });
        (void)waiter.until([&f] { return f.finished; }, bounded(timeoutMs));
        return f;
    }

    void consoleRun(int index) {
        if (!shiftConsole())
            return;
        QElapsedTimer clock;
        clock.start();
        double completedMs = std::nan("");
        QObject auditContext;
        QObject::connect(m_console.engine.get(), &engine::CutoverEngine::auditAppended,
                         &auditContext, [&](const store::AuditEntry &entry) {
                             if (entry.action == u"rollback_completed"_s)
                                 completedMs = msSince(clock);
                         });
        engine::Operation *op = m_console.engine->rollback(
            kEnv, m_bob, u"rollback_latency benchmark, run %1"_s.arg(index + 1));
        const double returnedMs = msSince(clock);
        const Finished f = awaitOperation(op, clock, m_plan->rollback.deadline.ms() + 10'000);
        if (!f.finished || !f.ok || !allVerified(f.results)) {
            fail(u"rollback"_s, f);
            return;
        }
        m_rollbacks.append(f.ms);
        m_rollbackLbs.append(f.lbsMs);
        m_rollbackReturns.append(returnedMs);
        m_rollbackCompleted.append(completedMs);
        if (!waitOnEngine([this] { return engineIdle(); }, 60'000)) {
            failure(u"the rollback's follow-ups and webhooks did not end within 60 s"_s);
            return;
        }
        if (!labHolds(m_rollbackWeights))
            failure(u"after the rollback, the lab's LBs do not hold the rollback weights"_s);
    }

    bool shiftConsole() {
        if (!waitOnEngine([this] { return m_console.shiftGuards().isEmpty(); }, 60'000)) {
            failure(u"the shift to 10% stayed refused for 60 s: "_s +
                    m_console.shiftGuards().join(u"; "_s));
            return false;
        }
        QElapsedTimer clock;
        clock.start();
        engine::Operation *op = m_console.engine->shift(
            kEnv, m_alice, enginetest::passphraseOf(u"alice"_s), m_plan->stages.at(0).percent);
        const Finished f = awaitOperation(op, clock, 30'000);
        if (!f.finished || !f.ok) {
            fail(u"shift to 10%"_s, f);
            return false;
        }
        // Its webhooks are not the rollback's traffic.
        if (!waitOnEngine([this] { return engineIdle(); }, 60'000)) {
            failure(u"the shift's webhooks did not end within 60 s"_s);
            return false;
        }
        return true;
    }

    bool allVerified(const QList<backends::LbApplyResult> &results) const {
        if (results.size() != m_env->loadBalancers.size())
            return false;
        return std::all_of(results.cbegin(), results.cend(), [this](const auto &r) {
            return r.verified && r.readBack == m_rollbackWeights;
        });
    }

    bool labHolds(const QMap<QString, int> &weights) {
        const auto r = bench::await(
            m_lab->fleet().readWeights(m_plan->pools.legacy + m_plan->pools.otel), 10'000);
        if (!r || !r->ok() || r->value().size() != m_env->loadBalancers.size())
            return false;
        return std::all_of(r->value().cbegin(), r->value().cend(), [&](const auto &read) {
            return !read.error && read.weights == weights;
        });
    }

    // --- the baseline ----------------------------------------------------------------------------

    void reloadRun() {
        QString why;
        if (!reloadBoth(m_shiftWeights, &why)) {
            failure(u"reload to the 10% weights: "_s + why);
            return;
        }
        const auto timing = reloadBoth(m_rollbackWeights, &why);
        if (!timing) {
            failure(u"reload to the rollback weights: "_s + why);
            return;
        }
        m_reloads.append(timing->ms);
        m_reloadChecks.append(timing->checkedMs);
    }

    struct ReloadTiming {
        double ms = 0;        // until both answer with the new weights
        double checkedMs = 0; // until both configuration checks passed
    };

    // From the first config write until both instances answer with `weights`.
    std::optional<ReloadTiming> reloadBoth(const QMap<QString, int> &weights, QString *why) {
        struct Progress {
            std::unique_ptr<QProcess> check;
            bool verified = false;
            QString failure;
            int polls = 0;
            double checkedMs = 0;
            double verifiedMs = 0;
        };
        std::array<Progress, 2> progress;
        bench::Waiter waiter;
        QObject context;
        net::CallOptions pollOptions;
        pollOptions.deadline = 500ms;
        pollOptions.retry = net::RetryPolicy::none();
        const QStringList servers = weights.keys();
        // The answer is looked for every 1 ms until the deadline: well under the reload's own
        // duration, so the figure is the reload's, not the polling's.
        constexpr int kMaxPolls = 20'000;
        QElapsedTimer clock;
        std::function<void(int)> poll = [&](int i) {
            if (++progress[i].polls > kMaxPolls) {
                progress[i].failure = u"the new weights never showed"_s;
                waiter.wake();
                return;
            }
            m_reloaded[i]
                .client->getWeights(bench::kBackend, servers, pollOptions)
                ->onFinished(
                    &context, [&, i](const net::Result<QMap<QString, backends::ServerWeight>> &r) {
                        bool same = r.ok() && r.value().size() == weights.size();
                        for (auto it = weights.cbegin(); same && it != weights.cend(); ++it)
                            same = r.value().value(it.key()).current == it.value();
                        if (same) {
                            progress[i].verifiedMs = msSince(clock);
                            progress[i].verified = true;
                            waiter.wake();
                            return;
                        }
                        QTimer::singleShot(1ms, Qt::PreciseTimer, &context, [&, i] { poll(i); });
                    });
        };

        clock.start();
        const QByteArray text0 = bench::haproxyConfig(m_reloaded[0].port, weights);
        const QByteArray text1 = bench::haproxyConfig(m_reloaded[1].port, weights);
        if (!bench::writeFile(m_reloaded[0].config, text0) ||
            !bench::writeFile(m_reloaded[1].config, text1)) {
            *why = u"cannot write the configuration"_s;
            return std::nullopt;
        }
        for (int i = 0; i < 2; ++i) {
            ReloadedLb &lb = m_reloaded[i];
            progress[i].check = bench::childProcess({u"-c"_s, u"-q"_s, u"-f"_s, lb.config}, lb.log);
            QProcess *check = progress[i].check.get();
            QObject::connect(check, &QProcess::finished, &context,
                             [&, i](int code, QProcess::ExitStatus status) {
                                 if (status != QProcess::NormalExit || code != 0) {
                                     progress[i].failure =
                                         u"haproxy -c failed (exit %1)"_s.arg(code);
                                     waiter.wake();
                                     return;
                                 }
                                 progress[i].checkedMs = msSince(clock);
                                 ::kill(pid_t(m_reloaded[i].master->processId()), SIGUSR2);
                                 poll(i);
                             });
            QObject::connect(check, &QProcess::errorOccurred, &context,
                             [&, i](QProcess::ProcessError e) {
                                 if (e == QProcess::FailedToStart) {
                                     progress[i].failure = u"haproxy -c did not start"_s;
                                     waiter.wake();
                                 }
                             });
            check->start();
        }
        const auto settled = [&] {
            return std::all_of(progress.cbegin(), progress.cend(), [](const Progress &p) {
                return p.verified || !p.failure.isEmpty();
            });
        };
        const bool ended = waiter.until(settled, bounded(10'000));
        for (Progress &p : progress) {
            if (p.check && p.check->state() != QProcess::NotRunning) {
                p.check->kill();
                p.check->waitForFinished(1'000);
            }
        }
        QStringList problems;
        for (int i = 0; i < 2; ++i) {
            if (!progress[i].failure.isEmpty())
                problems.append(m_reloaded[i].name + u": "_s + progress[i].failure);
            else if (!progress[i].verified)
                problems.append(m_reloaded[i].name + u": not verified within 10 s"_s);
            if (m_reloaded[i].master->state() != QProcess::Running)
                problems.append(m_reloaded[i].name + u": its master exited; log: "_s +
                                bench::logTail(m_reloaded[i].log));
        }
        if (!ended || !problems.isEmpty()) {
            *why = problems.join(u"; "_s);
            return std::nullopt;
        }
        return ReloadTiming{std::max(progress[0].verifiedMs, progress[1].verifiedMs),
                            std::max(progress[0].checkedMs, progress[1].checkedMs)};
    }

    // --- failures and output ---------------------------------------------------------------------

    void fail(const QString &what, const Finished &f) {
        QString why = f.finished ? f.summary : u"no end within its bound"_s;
        if (!f.refusals.isEmpty())
            why += u" (refused: "_s + f.refusals.join(u"; "_s) + u')';
        for (const auto &r : f.results) {
            if (!r.verified)
                why += u"; %1: %2"_s.arg(r.lb, r.error ? r.error->toString() : u"differs"_s);
        }
        failure(what + u": "_s + why);
    }

    void failure(const QString &text) {
        m_failures.append(text);
        out << "run failed: " << text << '\n';
        out.flush();
    }

    void printHeader() {
        const auto lbAddress = [this](const QString &name) {
            const config::LoadBalancer *lb = m_plan->loadBalancer(name);
            return lb ? name + u" ("_s + lb->runtimeApi.toString() + u')' : name;
        };
        QStringList lbs;
        for (const QString &name : m_env->loadBalancers)
            lbs.append(lbAddress(name));
        const config::RollbackConfig &rb = m_plan->rollback;
        out << "rollback_latency: the lab, " << m_env->loadBalancers.size() << " LBs x "
            << m_plan->pools.legacy.size() + m_plan->pools.otel.size()
            << " servers: " << lbs.join(u", "_s) << '\n'
            << "console: CutoverEngine::rollback(\"" << kEnv
            << "\", bob) until its Operation finished verified on every LB (guards, apply + "
               "read-back, audit, state in a SqliteStore: "
            << QDir(m_dir.path()).filePath(u"store.sqlite"_s) << ")\n"
            << "  rollback options from the plan: max_attempts " << rb.maxAttempts
            << ", retry_backoff " << rb.retryBackoff.toString() << ", deadline "
            << rb.deadline.toString() << "; before each run the engine shifts to "
            << m_plan->stages.at(0).percent << "% (untimed)\n"
            << "baseline: rewrite 2 haproxy.cfg + reload both (haproxy -c -q, SIGUSR2 to the "
               "master-worker) until the Runtime API shows the new weights on both; private "
               "HAProxy on 127.0.0.1:"
            << m_reloaded[0].port << " and :" << m_reloaded[1].port << ", same backend\n"
#ifdef NDEBUG
            << "build: optimised"
#else
            << "build: debug (assertions on)"
#endif
            << '\n';
        out.flush();
    }

    // The console's figures in run order: the engine, its store and its audit log live through
    // every run, as a desk's do through a cutover, so a cost that grows with them shows here.
    QString trend() const {
        const qsizetype n = std::min<qsizetype>(20, m_rollbacks.size() / 2);
        if (n == 0)
            return u"console by run order: too few runs"_s;
        const qsizetype audit = enginetest::auditOf(*m_console.store).size();
        return u"console by run order: p50 of the first %1 runs %2 ms, of the last %1 runs %3 ms; "
               u"audit log: %4 entries before the first run, %5 after the last"_s.arg(n)
                   .arg(bench::cell(bench::nearestRank(m_rollbacks.first(n), 0.5)),
                        bench::cell(bench::nearestRank(m_rollbacks.last(n), 0.5)))
                   .arg(m_auditBefore)
                   .arg(audit);
    }

    int printTable() {
        constexpr int width = 50;
        const double p99 = bench::quantileOf(m_rollbacks, 0.99);
        const bool enough = m_rollbacks.size() >= m_runs;
        const bool met = enough && !std::isnan(p99) && p99 < kTargetP99Ms;
        out << '\n'
            << bench::formatHeader(width) << '\n'
            << bench::formatRow(u"console: CutoverEngine::rollback -> verified"_s, m_rollbacks,
                                width)
            << '\n'
            << bench::formatRow(u"  of which: until rollback() returned"_s, m_rollbackReturns,
                                width)
            << '\n'
            << bench::formatRow(u"  of which: until both LBs' results were in"_s, m_rollbackLbs,
                                width)
            << '\n'
            << bench::formatRow(u"  of which: until rollback_completed was appended"_s,
                                m_rollbackCompleted, width)
            << '\n'
            << bench::formatRow(u"seed: rewrite 2 configs + reload -> verified"_s, m_reloads, width)
            << '\n'
            << bench::formatRow(u"  of which: until both `haproxy -c` passed"_s, m_reloadChecks,
                                width)
            << '\n'
            << bench::formatRatio(u"ratio seed / console"_s, m_reloads, m_rollbacks, width)
            << "\n\n"
            << "percentiles: nearest rank; the console's " << m_rollbacks.size() << " runs support "
            << bench::supportedPercentiles(m_rollbacks.size()) << ", the baseline's "
            << m_reloads.size() << " runs support " << bench::supportedPercentiles(m_reloads.size())
            << '\n'
            << "target: console p99 < " << kTargetP99Ms << " ms: "
            << (std::isnan(p99)
                    ? u"p99 not measured (needs >= 100 runs)"_s
                    : u"p99 %1 ms, %2"_s.arg(bench::cell(p99), met ? u"met"_s : u"missed"_s))
            << '\n'
            << "runs: console " << m_rollbacks.size() << " of " << m_runs << ", baseline "
            << m_reloads.size() << " of " << std::min(m_runs, m_reloadRuns) << "; failed "
            << m_failures.size() << '\n'
            << trend() << '\n';
        for (const QString &f : m_failures)
            out << "  failed " << f << '\n';
        out << (m_cpu ? m_cpu->summary() : QString()) << '\n';
        out.flush();
        return met && m_failures.isEmpty() ? 0 : 1;
    }

    QHash<QString, QString> m_state;
    int m_runs;
    int m_reloadRuns;
    QTemporaryDir m_dir;
    std::optional<config::Plan> m_plan;
    const config::Environment *m_env = nullptr;
    QMap<QString, int> m_shiftWeights, m_rollbackWeights;
    std::unique_ptr<enginetest::LabControl> m_lab;
    Console m_console;
    engine::Operator m_alice, m_bob;
    // After the directory (their logs are in it), so they stop before it goes.
    bench::HaproxyProcesses m_haproxy{2};
    std::array<ReloadedLb, 2> m_reloaded;
    QList<double> m_rollbacks, m_rollbackReturns, m_rollbackLbs, m_rollbackCompleted, m_reloads,
        m_reloadChecks;
    qsizetype m_auditBefore = 0;
    std::optional<bench::MachineCpu> m_cpu;
    QStringList m_failures;
};

} // namespace

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    g_total.start();
    const QStringList args = app.arguments();
    int runs = 200;
    int reloadRuns = -1;
    for (qsizetype i = 1; i < args.size(); ++i) {
        const QString &a = args.at(i);
        if (a == u"--runs"_s && i + 1 < args.size())
            runs = std::max(1, args.at(++i).toInt());
        else if (a == u"--reload-runs"_s && i + 1 < args.size())
            reloadRuns = std::max(0, args.at(++i).toInt());
        else if (a == u"--max-seconds"_s && i + 1 < args.size())
            g_totalLimitMs = std::max<qint64>(60, args.at(++i).toLongLong()) * 1000;
        else {
            err << "usage: rollback_latency [--runs N=200] [--reload-runs M=N] "
                   "[--max-seconds S=1200]\n";
            return 2;
        }
    }
    if (reloadRuns < 0)
        reloadRuns = runs;
    QString statePath = qEnvironmentVariable("CUTOVER_LAB_STATE");
    if (statePath.isEmpty() && qEnvironmentVariableIsSet("LAB_DIR"))
        statePath = qEnvironmentVariable("LAB_DIR") + u"/state.env"_s;
    if (statePath.isEmpty())
        statePath = QStringLiteral(CONSOLE_BINARY_DIR "/lab/state.env");
    auto state = bench::readLabState(statePath);
    if (!state.contains(u"LAB_LB_A_ADMIN"_s) || !state.contains(u"LAB_PROMETHEUS_URL"_s)) {
        err << "rollback_latency: no lab state at " << statePath
            << " (start one with `ctest -R lab_up` or scripts/lab up, or set CUTOVER_LAB_STATE)\n";
        return 2;
    }
    Bench bench(std::move(state), runs, reloadRuns);
    return bench.run();
}
