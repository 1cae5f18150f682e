// From an `auto` trigger's first true sample to "verified on every LB", on the real lab
// (DESIGN.md, "Performance targets"; issue 11): p99 under the trigger's `for` + one evaluation
// interval + 50 ms.
//
// The lab plan (resources/plans/lab.yaml) gets one more `auto` trigger, `bench_flip`:
//   max(lab_collector_mode{mode="slow",collector="otel-collector-1",env="lab"}) > 0, for 1s
// and one engine (coordinate = false: it decides alone; monitor = true: it polls Prometheus every
// evaluation interval, as in production) runs on a SqliteStore in a temporary directory. Per run:
//   1. the LBs get the 10% weights (store: Shifting at stage 0, LbFleet apply verified, store:
//      Holding at stage 0 with a hold running, then engine->reload());
//   2. two monitor rounds later (so that every trigger has a sample taken in Holding and none
//      fires), `scripts/lab collector otel-collector-1 slow 1` flips the mode metric (the stub
//      answers after 1 ms: the traffic is unaffected);
//   3. the engine fires bench_flip and rolls back; the run ends at its `rollback_completed`.
//      Total = rollback_completed.at - triggerHoldingSince(bench_flip), the latter read while the
//      engine appends `trigger_fired` for bench_flip (the first true sample's time, on the
//      engine's clock, the same clock as the audit's `at`). Detection = trigger_fired.at -
//      first true sample; rollback = rollback_completed.at - rollback_started.at;
//   4. the collector is set back to healthy, the run waits until Prometheus says 0 and the
//      engine's tracker has let go, for the rollback's follow-ups (legacy verification,
//      evidence) to end, and checks the LBs hold the rollback weights; then the next run.
//
// Also printed: the total until the rollback_completed record is committed and read back (the
// moment auditAppended delivers it; its `at` is taken before its transaction), and the total
// from the Prometheus scrape that first showed the flip (the series' own timestamp, asked after
// the run) to verified. Not in the target: how long Prometheus and the engine take to see the
// flip (switch -> that scrape; that scrape -> the engine's first true sample).
//
// One engine serves every run, as a long-running desk or controller would: its connections and
// its trackers are warm, and its monitor keeps one phase against Prometheus' 1 s scrapes for the
// whole benchmark (so "scrape -> first true sample" is one value, not a distribution). With
// --fresh-engine a new engine starts on the same store before each run; its monitor (a coarse
// 1 s QTimer, which Qt aligns to 500 ms boundaries) then lands on one of two phases. The
// headline figure (from the engine's own first true sample) does not depend on that phase.
//
// Usage: trigger_to_rollback [RUNS=20] [MAX_SECONDS=900] [--fresh-engine]; the lab from
// CUTOVER_LAB_STATE, else $LAB_DIR/state.env, else <build>/lab/state.env. Exit 0 when p99 < target
// over RUNS measured runs, 1 otherwise, 2 when the lab or the plan is not usable.
//
// Every wait is bounded and runs the event loop without blocking it (QTest::qWaitFor sleeps
// 10 ms between passes, which would hold back the very replies the measurement is made of).

#include "app/backends/lb_fleet.h"
#include "app/backends/prometheus_client.h"
#include "app/backends/weight_plan.h"
#include "app/config/plan.h"
#include "app/config/plan_loader.h"
#include "app/cutover/cutover_engine.h"
#include "app/cutover/phase.h"
#include "app/store/sqlite_store.h"
#include "app/store/store.h"
#include "lab_state.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTextStream>
#include <QTimeZone>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <optional>

using namespace Qt::StringLiterals;
using namespace cutover;
using cutover::engine::CutoverEngine;
using cutover::engine::Phase;

namespace {

QTextStream out(stdout);
QTextStream err(stderr);

const QString kEnv = u"lab"_s;
const QString kTrigger = u"bench_flip"_s;
const QString kCollector = u"otel-collector-1"_s;

// The deadline of the whole benchmark: no wait goes past it.
QElapsedTimer g_total;
qint64 g_totalLimitMs = 900'000;

qint64 remainingMs() {
    return std::max<qint64>(0, g_totalLimitMs - g_total.elapsed());
}

// Runs the event loop until `done()` holds or `timeoutMs` (capped by the total limit) passes.
// `done` is checked every 5 ms; events (sockets, the engine's timers) run in between, the thread
// never sleeps. The figures never come from this wait: they are the engine's own timestamps.
bool waitUntil(const std::function<bool()> &done, qint64 timeoutMs) {
    if (done())
        return true;
    QEventLoop loop;
    QTimer poll;
    poll.setInterval(5);
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (done())
            loop.quit();
    });
    QTimer deadline;
    deadline.setSingleShot(true);
    QObject::connect(&deadline, &QTimer::timeout, &loop, &QEventLoop::quit);
    poll.start();
    deadline.start(int(std::min(timeoutMs, remainingMs())));
    loop.exec();
    return done();
}

// Waits `ms` in the event loop (a poll period or a deliberate random offset, never a
// synchronisation).
void pause(qint64 ms) {
    QElapsedTimer clock;
    clock.start();
    (void)waitUntil([&] { return clock.elapsed() >= ms; }, ms + 1000);
}

template <typename T>
std::optional<net::Result<T>> await(net::Reply<T> *reply, qint64 timeoutMs) {
    auto slot = std::make_shared<std::optional<net::Result<T>>>();
    QObject context;
    reply->onFinished(&context, [slot](const net::Result<T> &r) { *slot = r; });
    (void)waitUntil([&] { return slot->has_value(); }, timeoutMs);
    return *slot;
}

QString ms(double value) {
    return std::isnan(value) ? u"-"_s : QString::number(value, 'f', 0);
}

// Nearest rank: the smallest sample with at least q of them at or below it (p99 of 20 runs is
// their maximum).
double percentile(QList<double> samples, double q) {
    if (samples.isEmpty())
        return std::nan("");
    std::sort(samples.begin(), samples.end());
    const auto rank = qsizetype(std::ceil(q * double(samples.size())));
    return samples.at(std::clamp<qsizetype>(rank - 1, 0, samples.size() - 1));
}

QList<double> knownOf(const QList<double> &samples) {
    QList<double> known;
    for (double x : samples) {
        if (!std::isnan(x))
            known.append(x);
    }
    return known;
}

class Bench {
public:
    Bench(QHash<QString, QString> state, QString buildDir, bool freshEngine)
        : m_state(std::move(state))
        , m_buildDir(std::move(buildDir))
        , m_freshEngine(freshEngine) {}

    ~Bench() { teardown(); }

    int run(int runs) {
        if (!setUp())
            return 2;
        printHeader();
        const int maxAttempts = runs + std::max(5, runs / 2);
        int attempt = 0;
        while (m_totals.size() < runs && attempt < maxAttempts) {
            if (remainingMs() < 30'000) {
                out << "stopping: the time limit (" << g_totalLimitMs / 1000
                    << " s) is nearly used up\n";
                break;
            }
            ++attempt;
            if (!oneRun(attempt))
                break; // the lab is not in a state to go on (printed)
        }
        const bool restored = restoreLab();
        return printTable(runs) && restored ? 0 : 1;
    }

private:
    struct Run {
        bool active = false;
        QDateTime switchRequestedAt;
        QDateTime switchedAt;
        QDateTime firstTrueSample; // triggerHoldingSince(bench_flip) at trigger_fired
        QDateTime firedAt;
        QDateTime startedAt;
        QDateTime completedAt;
        QDateTime completedSeenAt;     // when auditAppended delivered it: committed and read back
        double applyMs = std::nan(""); // the fleet's apply + read-back, from its details
        bool verified = false;
        QString cause;
        QStringList otherTriggers; // "id (value)"
        QStringList actions;       // every audited action of the run, in order
    };

    // --- set-up ------------------------------------------------------------------------------

    bool setUp() {
        if (!m_dir.isValid()) {
            err << "trigger_to_rollback: no temporary directory\n";
            return false;
        }
        config::PlanLoadOptions options;
        options.environment = [state = m_state, fallback = config::processEnvironment()](
                                  const QString &name) -> std::optional<QString> {
            if (state.contains(name))
                return state.value(name);
            return fallback(name);
        };
        auto loaded = config::loadPlanFile(
            QStringLiteral(CONSOLE_SOURCE_DIR "/resources/plans/lab.yaml"), options);
        if (!loaded.ok() || !loaded.plan) {
            err << "trigger_to_rollback: resources/plans/lab.yaml: " << loaded.errorText() << '\n';
            return false;
        }
        m_plan = *loaded.plan;
        config::Trigger flip;
        flip.id = kTrigger;
        flip.title = u"Benchmark: otel-collector-1 switched to slow mode"_s;
        flip.query = u"max(lab_collector_mode{mode=\"slow\",collector=\"%1\",{{selector}}})"_s.arg(
            kCollector);
        flip.condition.op = config::Condition::Op::Greater;
        flip.condition.threshold = 0;
        flip.forDuration = config::Duration::seconds(1);
        flip.action = config::Trigger::Action::Auto;
        m_plan.rollback.triggers.append(flip);
        // The rollback's evidence archives go with the store, not into the lab's directory.
        m_plan.rollback.evidenceDirectory = m_dir.filePath(u"evidence"_s);
        m_env = m_plan.environment(kEnv);
        if (!m_env) {
            err << "trigger_to_rollback: the lab plan has no environment '" << kEnv << "'\n";
            return false;
        }
        m_flipQuery = config::expandQuery(flip.query, *m_env);
        m_forMs = flip.forDuration.ms();
        m_intervalMs = m_plan.validation.evaluationInterval.ms();
        m_targetMs = double(m_forMs + m_intervalMs + 50);
        m_shiftWeights = backends::weightsFor(m_plan.stages.at(0).percent / 100.0,
                                              m_plan.pools.legacy, m_plan.pools.otel)
                             .weights;
        m_rollbackWeights =
            backends::rollbackWeights(m_plan.pools.legacy, m_plan.pools.otel).weights;
        m_fleet = std::make_unique<backends::LbFleet>(m_plan, *m_env);
        m_prometheus = std::make_unique<backends::PrometheusClient>(m_plan.prometheus);

        // The lab as the benchmark needs it: the collector healthy, Prometheus answering the
        // trigger's query with exactly one series at 0, the LBs on the rollback weights.
        if (!lab({u"collector"_s, kCollector, u"healthy"_s})) {
            err << "trigger_to_rollback: scripts/lab collector " << kCollector
                << " healthy failed\n";
            return false;
        }
        if (!waitForFlipValue(0, 30'000)) {
            err << "trigger_to_rollback: Prometheus does not answer " << m_flipQuery
                << " with 0 (answer: " << describeFlipAnswer() << ")\n";
            return false;
        }
        if (!applyWeights(m_rollbackWeights, u"rollback weights"_s))
            return false;

        store::SqliteStore::Options storeOptions;
        storeOptions.path = m_dir.filePath(u"store.sqlite"_s);
        auto opened = store::SqliteStore::open(storeOptions);
        if (!opened) {
            err << "trigger_to_rollback: store: " << opened.error().toString() << '\n';
            return false;
        }
        m_store = std::move(opened).value();
        return startEngine();
    }

    // A new engine on the store; returns once it has finished two monitor rounds.
    bool startEngine() {
        stopEngine();
        CutoverEngine::Options engineOptions;
        engineOptions.coordinate = false; // decides alone: no lease
        engineOptions.monitor = true;
        m_engine = std::make_unique<CutoverEngine>(m_plan, *m_store, std::nullopt, engineOptions);
        QObject::connect(m_engine.get(), &CutoverEngine::auditAppended, m_engine.get(),
                         [this](const store::AuditEntry &entry) { onAudit(entry); });
        QObject::connect(m_engine.get(), &CutoverEngine::monitorRoundFinished, m_engine.get(),
                         [this] { ++m_rounds; });
        const int roundsBefore = m_rounds;
        m_engine->start();
        if (!waitUntil([&] { return m_rounds >= roundsBefore + 2; }, 15'000)) {
            err << "trigger_to_rollback: the engine finished no monitor round in 15 s\n";
            return false;
        }
        return true;
    }

    void stopEngine() {
        if (m_engine) {
            (void)waitUntil(
                [this] {
                    return m_engine->pendingFollowUps() == 0 &&
                           m_engine->pendingNotifications() == 0;
                },
                10'000);
        }
        m_engine.reset();
    }

    bool lab(const QStringList &arguments) {
        QProcess process;
        process.setProgram(QStringLiteral(CONSOLE_SOURCE_DIR "/scripts/lab"));
        process.setArguments(arguments);
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert(u"LAB_DIR"_s, m_state.value(u"LAB_DIR"_s));
        env.insert(u"CONSOLE_BUILD_DIR"_s, m_buildDir);
        process.setProcessEnvironment(env);
        process.setProcessChannelMode(QProcess::MergedChannels);
        bool finished = false;
        bool failed = false;
        QObject::connect(&process, &QProcess::finished, [&finished] { finished = true; });
        QObject::connect(&process, &QProcess::errorOccurred, [&failed](QProcess::ProcessError e) {
            failed = failed || e == QProcess::FailedToStart;
        });
        process.start();
        if (!waitUntil([&] { return finished || failed; }, 30'000)) {
            process.kill();
            process.waitForFinished(2'000);
            return false;
        }
        const QString text = QString::fromUtf8(process.readAll());
        const bool ok =
            finished && process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0;
        if (!ok)
            err << "scripts/lab " << arguments.join(u' ') << ": " << text.trimmed() << '\n';
        return ok;
    }

    std::optional<double> flipValue() {
        const auto r = await(m_prometheus->query(m_flipQuery), 5'000);
        if (!r || !r->ok())
            return std::nullopt;
        const double value = r->value().singleValue();
        return std::isnan(value) ? std::nullopt : std::optional<double>(value);
    }

    QString describeFlipAnswer() {
        const auto r = await(m_prometheus->query(m_flipQuery), 5'000);
        if (!r)
            return u"no answer"_s;
        if (!r->ok())
            return r->error().toString();
        return u"%1 series, value %2"_s.arg(r->value().vector.size()).arg(r->value().singleValue());
    }

    // Polls Prometheus every 100 ms (bounded) until the trigger's query answers `expected`.
    bool waitForFlipValue(double expected, qint64 timeoutMs) {
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < timeoutMs && remainingMs() > 0) {
            if (const auto value = flipValue(); value && *value == expected)
                return true;
            pause(100);
        }
        return false;
    }

    bool applyWeights(const QMap<QString, int> &weights, const QString &what) {
        const auto r = await(
            m_fleet->apply(weights, backends::ApplyOptions::forRollback(m_plan.rollback)), 20'000);
        if (!r || !r->ok() || !r->value().allVerified()) {
            err << "trigger_to_rollback: " << what << " not verified on every LB ("
                << (!r         ? u"no answer"_s
                    : !r->ok() ? r->error().toString()
                               : r->value().failedLbs().join(u", "_s))
                << ")\n";
            return false;
        }
        return true;
    }

    bool lbsHold(const QMap<QString, int> &expected) {
        const auto r = await(m_fleet->readWeights(m_plan.pools.legacy + m_plan.pools.otel), 10'000);
        if (!r || !r->ok())
            return false;
        for (const auto &read : r->value()) {
            if (read.error || !backends::compareWeights(expected, read.weights).isEmpty())
                return false;
        }
        return r->value().size() == m_env->loadBalancers.size();
    }

    // Writes the stage state as the engine lays it out (engine_internal.h), retrying on a
    // version conflict with the engine's own writes.
    bool writeStage(Phase phase, const QString &action) {
        QJsonObject weights;
        for (auto it = m_shiftWeights.cbegin(); it != m_shiftWeights.cend(); ++it)
            weights.insert(it.key(), it.value());
        for (int attempt = 0; attempt < 3; ++attempt) {
            auto current = m_store->stageState(kEnv);
            if (!current) {
                err << "trigger_to_rollback: store: " << current.error().toString() << '\n';
                return false;
            }
            store::StageState next = current.value().value_or(store::StageState{});
            const qint64 version = current.value() ? current.value()->version : 0;
            const QDateTime now = QDateTime::currentDateTimeUtc();
            next.environment = kEnv;
            next.stageIndex = 0;
            next.phase = engine::phaseName(phase);
            next.intendedWeights = QJsonObject{{u"weights"_s, weights}};
            next.enteredAt = now;
            next.holdStartedAt = phase == Phase::Holding ? now : QDateTime();
            next.changedBy = u"trigger_to_rollback"_s;
            next.changedAt = QDateTime();
            auto written = m_store->updateStageState(
                version, next,
                store::AuditContext{action,
                                    {},
                                    {{u"percent"_s, m_plan.stages.at(0).percent},
                                     {u"benchmark"_s, u"trigger_to_rollback"_s}}});
            if (written) {
                m_engine->reload();
                return true;
            }
            if (written.error().kind != store::StoreError::Kind::Conflict) {
                err << "trigger_to_rollback: store: " << written.error().toString() << '\n';
                return false;
            }
        }
        err << "trigger_to_rollback: the stage state kept changing under the benchmark\n";
        return false;
    }

    // --- one run ------------------------------------------------------------------------------

    void onAudit(const store::AuditEntry &entry) {
        if (!m_run.active || entry.environment != kEnv)
            return;
        m_run.actions.append(entry.action);
        const QJsonObject details = entry.detailsObject();
        if (entry.action == u"trigger_fired"_s) {
            if (entry.subject == kTrigger) {
                if (!m_run.firedAt.isValid()) {
                    m_run.firedAt = entry.at;
                    // Still valid here: the episode holds while the engine records it.
                    m_run.firstTrueSample = m_engine->triggerHoldingSince(kEnv, kTrigger);
                }
            } else {
                m_run.otherTriggers.append(
                    u"%1 (%2)"_s.arg(entry.subject).arg(details.value(u"value"_s).toDouble()));
            }
        } else if (entry.action == u"rollback_started"_s && !m_run.startedAt.isValid()) {
            m_run.startedAt = entry.at;
            m_run.cause = details.value(u"cause"_s).toString();
        } else if ((entry.action == u"rollback_completed"_s ||
                    entry.action == u"rollback_incomplete"_s) &&
                   !m_run.completedAt.isValid()) {
            m_run.completedAt = entry.at;
            m_run.completedSeenAt = QDateTime::currentDateTimeUtc();
            if (details.contains(u"elapsed_ms"_s))
                m_run.applyMs = details.value(u"elapsed_ms"_s).toDouble();
            m_run.verified = entry.action == u"rollback_completed"_s;
        }
    }

    QString engineView() const {
        const auto s = m_engine->snapshot(kEnv);
        QStringList firing;
        for (auto it = s.triggerStates.cbegin(); it != s.triggerStates.cend(); ++it) {
            if (it.value())
                firing.append(it.key());
        }
        return u"phase %1, stage %2, firing [%3], drift [%4], rollback problems [%5]"_s
            .arg(engine::phaseName(s.phase))
            .arg(s.stageIndex)
            .arg(firing.join(u", "_s), s.driftAlarms.join(u"; "_s),
                 s.rollbackProblems.join(u"; "_s));
    }

    void exclude(int attempt, const QString &why) {
        out << "run " << attempt << ": EXCLUDED: " << why << '\n';
        out.flush();
        m_exclusions.append(u"run %1: %2"_s.arg(attempt).arg(why));
    }

    void fail(int attempt, const QString &why) {
        out << "run " << attempt << ": FAILED: " << why << '\n';
        out.flush();
        m_failures.append(u"run %1: %2"_s.arg(attempt).arg(why));
    }

    // Returns false when the lab cannot be brought back to the start of a run.
    bool oneRun(int attempt) {
        // --fresh-engine: a new engine per run (a new start, a new monitor phase).
        if (m_freshEngine && attempt > 1 && !startEngine())
            return false;
        m_run = Run{};
        m_run.active = true;
        // 1. Holding at 10%: Shifting in the store, the weights on the LBs (verified), Holding.
        if (!writeStage(Phase::Shifting, u"benchmark_shift_started"_s) ||
            !applyWeights(m_shiftWeights, u"10% weights"_s) ||
            !writeStage(Phase::Holding, u"benchmark_holding"_s))
            return false;
        const int roundsBefore = m_rounds;
        if (!waitUntil([&] { return m_rounds >= roundsBefore + 2; }, 10'000)) {
            fail(attempt, u"no monitor round in 10 s at 10%: "_s + engineView());
            return recover();
        }
        const auto snapshot = m_engine->snapshot(kEnv);
        if (m_run.startedAt.isValid() || snapshot.phase != Phase::Holding) {
            exclude(attempt,
                    u"rolled back before the switch (cause %1; other triggers: %2): %3"_s.arg(
                        m_run.cause, m_run.otherTriggers.join(u", "_s), engineView()));
            return recover();
        }
        if (m_engine->triggerHoldingSince(kEnv, kTrigger).isValid()) {
            exclude(attempt, u"bench_flip already holds before the switch"_s);
            return recover();
        }
        // A random offset against the monitor's and the scrapes' phase, so that the runs do not
        // all see the flip at the same point of the 1 s cycles (not a synchronisation).
        pause(QRandomGenerator::global()->bounded(1000));

        // 2. The flip.
        m_run.switchRequestedAt = QDateTime::currentDateTimeUtc();
        if (!lab({u"collector"_s, kCollector, u"slow"_s, u"1"_s})) {
            fail(attempt, u"scripts/lab collector %1 slow 1 failed"_s.arg(kCollector));
            return recover();
        }
        m_run.switchedAt = QDateTime::currentDateTimeUtc();

        // 3. The automatic rollback.
        const bool ended = waitUntil([&] { return m_run.completedAt.isValid(); }, 30'000);
        m_run.active = false;
        if (!ended) {
            fail(attempt, u"no rollback_completed within 30 s of the switch: "_s + engineView());
            return recover();
        }
        const QDateTime scrapedAt = firstScrapeShowingFlip();
        record(attempt, scrapedAt);
        return recover();
    }

    // The timestamp of the first scrape (Prometheus' own) at which the mode metric read 1 for
    // this run, from the series itself (asked after the run: no extra query while measuring).
    QDateTime firstScrapeShowingFlip() {
        const QString range = u"lab_collector_mode{mode=\"slow\",collector=\"%1\",%2}[1m]"_s.arg(
            kCollector, m_env->selector);
        const auto r = await(m_prometheus->query(range), 5'000);
        if (!r || !r->ok() || r->value().matrix.size() != 1)
            return {};
        const qint64 from = m_run.switchRequestedAt.toMSecsSinceEpoch();
        for (const auto &point : r->value().matrix.constFirst().points) {
            const auto atMs = qint64(std::llround(point.time * 1000.0));
            if (atMs >= from && point.value > 0)
                return QDateTime::fromMSecsSinceEpoch(atMs, QTimeZone::utc());
        }
        return {};
    }

    void record(int attempt, const QDateTime &scrapedAt) {
        const Run &r = m_run;
        if (!r.firedAt.isValid() || !r.firstTrueSample.isValid()) {
            exclude(attempt, u"rolled back without bench_flip firing (cause %1; other triggers: "
                             u"%2)"_s.arg(r.cause, r.otherTriggers.join(u", "_s)));
            return;
        }
        if (r.cause != u"trigger:"_s + kTrigger) {
            exclude(attempt,
                    u"the rollback was caused by %1, not bench_flip (other triggers: %2)"_s.arg(
                        r.cause, r.otherTriggers.join(u", "_s)));
            return;
        }
        if (!r.verified) {
            fail(attempt, u"rollback_incomplete (not verified on every LB): "_s + engineView());
            return;
        }
        const auto total = double(r.firstTrueSample.msecsTo(r.completedAt));
        // The engine claims the rollback (rollback_started) before it records trigger_fired:
        // detection ends at the claim.
        const auto detection = double(r.firstTrueSample.msecsTo(r.startedAt));
        const auto rollback = double(r.startedAt.msecsTo(r.completedAt));
        m_totals.append(total);
        m_detections.append(detection);
        m_rollbacks.append(rollback);
        m_records.append(double(r.startedAt.msecsTo(r.firedAt)));
        m_applies.append(r.applyMs);
        m_committed.append(double(r.firstTrueSample.msecsTo(r.completedSeenAt)));
        m_fromScrape.append(scrapedAt.isValid() ? double(scrapedAt.msecsTo(r.completedAt))
                                                : std::nan(""));
        const double toScrape =
            scrapedAt.isValid() ? double(r.switchRequestedAt.msecsTo(scrapedAt)) : std::nan("");
        const double toEngine =
            scrapedAt.isValid() ? double(scrapedAt.msecsTo(r.firstTrueSample)) : std::nan("");
        m_toScrape.append(toScrape);
        m_toEngine.append(toEngine);
        m_switchCommand.append(double(r.switchRequestedAt.msecsTo(r.switchedAt)));
        if (!r.otherTriggers.isEmpty())
            m_otherTriggerRuns.append(
                u"run %1: %2"_s.arg(attempt).arg(r.otherTriggers.join(u", "_s)));
        QStringList extra;
        for (const QString &action : r.actions) {
            if (action == u"hold_restarted"_s || action.startsWith(u"drift"_s))
                extra.append(action);
        }
        out << "run " << attempt << ": total " << ms(total) << " ms = detection " << ms(detection)
            << " (trigger_fired recorded " << ms(double(r.startedAt.msecsTo(r.firedAt)))
            << " ms after the claim) + rollback " << ms(rollback) << " ms (LBs " << ms(r.applyMs)
            << " ms); switch -> scrape " << ms(toScrape) << " ms, scrape -> first true sample "
            << ms(toEngine) << " ms"
            << (r.otherTriggers.isEmpty() ? QString()
                                          : u"; other triggers: "_s + r.otherTriggers.join(u", "_s))
            << (extra.isEmpty() ? QString() : u"; also audited: "_s + extra.join(u", "_s)) << '\n';
        out.flush();
    }

    // Back to the start of a run: collector healthy and seen so by Prometheus and the engine,
    // the rollback's follow-ups done, the LBs on the rollback weights.
    bool recover() {
        m_run.active = false;
        const QDateTime healthyAt = QDateTime::currentDateTimeUtc();
        if (!lab({u"collector"_s, kCollector, u"healthy"_s}))
            return false;
        if (!waitForFlipValue(0, 30'000)) {
            err << "trigger_to_rollback: Prometheus still shows " << kCollector
                << " slow 30 s after it was set healthy\n";
            return false;
        }
        m_toHealthy.append(double(healthyAt.msecsTo(QDateTime::currentDateTimeUtc())));
        const bool settled = waitUntil(
            [&] {
                return !m_engine->triggerHoldingSince(kEnv, kTrigger).isValid() &&
                       m_engine->pendingFollowUps() == 0 && !m_engine->operationInFlight(kEnv);
            },
            30'000);
        if (!settled) {
            err << "trigger_to_rollback: the engine did not settle after the run: " << engineView()
                << '\n';
            return false;
        }
        if (!lbsHold(m_rollbackWeights)) {
            // The engine's rollback was verified, so this is a run that ended early: put the
            // rollback weights back ourselves.
            out << "  (the LBs did not hold the rollback weights after the run: applied them)\n";
            if (!applyWeights(m_rollbackWeights, u"rollback weights"_s))
                return false;
        }
        return true;
    }

    bool restoreLab() {
        bool ok = lab({u"collector"_s, kCollector, u"healthy"_s});
        if (m_fleet)
            ok = applyWeights(m_rollbackWeights, u"rollback weights"_s) && ok;
        return ok;
    }

    void teardown() {
        stopEngine();
        m_store.reset();
    }

    // --- output -------------------------------------------------------------------------------

    void printHeader() {
        out << "trigger_to_rollback: auto trigger '" << kTrigger << "' (" << m_flipQuery << " > 0, "
            << "for " << m_forMs << " ms) on the lab, " << m_env->loadBalancers.size() << " LBs x "
            << m_plan.pools.legacy.size() + m_plan.pools.otel.size() << " servers; "
            << (m_freshEngine ? "a new engine per run" : "one engine for every run")
            << " (coordinate=false, monitor=true), SqliteStore\n"
            << "from the first true sample (triggerHoldingSince) to rollback_completed (verified "
               "on every LB)\n";
        out.flush();
    }

    bool printTable(int runs) {
        const auto row = [](const QString &name, const QList<double> &v) {
            const QList<double> known = knownOf(v);
            return u"%1 %2 %3 %4 %5\n"_s.arg(name, -58)
                .arg(known.size(), 4)
                .arg(ms(percentile(known, 0.50)), 7)
                .arg(ms(percentile(known, 0.99)), 7)
                .arg(ms(percentile(known, 1.0)), 7);
        };
        const auto ratio = [this](double p) {
            return std::isnan(p) ? u"-"_s : QString::number(p / m_targetMs, 'f', 3);
        };
        const double p99 = percentile(m_totals, 0.99);
        const bool enough = m_totals.size() >= runs;
        const bool pass = enough && m_failures.isEmpty() && p99 < m_targetMs;
        out << '\n'
            << u"%1 %2 %3 %4 %5\n"_s.arg(u"(ms)"_s, -58)
                   .arg(u"runs"_s, 4)
                   .arg(u"p50"_s, 7)
                   .arg(u"p99"_s, 7)
                   .arg(u"max"_s, 7)
            << row(u"total: first true sample -> verified on every LB"_s, m_totals)
            << row(u"  detection: first true sample -> rollback claimed"_s, m_detections)
            << row(u"  (trigger_fired recorded after the claim)"_s, m_records)
            << row(u"  rollback: rollback_started -> rollback_completed"_s, m_rollbacks)
            << row(u"    of which the LBs: fleet apply + read-back (elapsed_ms)"_s, m_applies)
            << row(u"total until rollback_completed is committed"_s, m_committed)
            << row(u"from the scrape that first showed the flip -> verified"_s, m_fromScrape)
            << u"not in the target:\n"_s
            << row(u"  lab command (collector slow 1)"_s, m_switchCommand)
            << row(u"  switch -> first scrape showing it (Prometheus)"_s, m_toScrape)
            << row(u"  that scrape -> the engine's first true sample"_s, m_toEngine)
            << row(u"  healthy again -> Prometheus answers 0"_s, m_toHealthy) << '\n'
            << "trigger for: " << m_forMs << " ms, evaluation interval: " << m_intervalMs
            << " ms, target = for + interval + 50 ms = " << ms(m_targetMs) << " ms\n"
            << "p99 " << ms(p99) << " ms, p99/target = "
            << (std::isnan(p99) ? u"-"_s : QString::number(p99 / m_targetMs, 'f', 3)) << " ("
            << (pass ? "PASS" : "FAIL") << ")\n"
            << "the same against the target: committed " << ratio(percentile(m_committed, 0.99))
            << ", from the scrape " << ratio(percentile(knownOf(m_fromScrape), 0.99)) << '\n'
            << "engine: " << (m_freshEngine ? "a new one per run" : "one for every run") << '\n'
            << "runs measured: " << m_totals.size() << " of " << runs << " asked; excluded "
            << m_exclusions.size() << ", failed " << m_failures.size() << '\n';
        for (const QString &e : m_exclusions)
            out << "  excluded " << e << '\n';
        for (const QString &f : m_failures)
            out << "  failed " << f << '\n';
        if (m_otherTriggerRuns.isEmpty())
            out << "other triggers fired during the measured runs: none\n";
        for (const QString &o : m_otherTriggerRuns)
            out << "  other triggers fired: " << o << '\n';
        out.flush();
        return pass;
    }

    QHash<QString, QString> m_state;
    QString m_buildDir;
    bool m_freshEngine = false;
    QTemporaryDir m_dir;
    config::Plan m_plan;
    const config::Environment *m_env = nullptr;
    QString m_flipQuery;
    qint64 m_forMs = 0;
    qint64 m_intervalMs = 0;
    double m_targetMs = 0;
    QMap<QString, int> m_shiftWeights;
    QMap<QString, int> m_rollbackWeights;
    std::unique_ptr<backends::LbFleet> m_fleet;
    std::unique_ptr<backends::PrometheusClient> m_prometheus;
    std::unique_ptr<store::Store> m_store;
    std::unique_ptr<CutoverEngine> m_engine;
    int m_rounds = 0;
    Run m_run;
    QList<double> m_totals, m_detections, m_records, m_rollbacks, m_applies, m_committed,
        m_fromScrape;
    QList<double> m_switchCommand, m_toScrape, m_toEngine, m_toHealthy;
    QStringList m_exclusions, m_failures, m_otherTriggerRuns;
};

} // namespace

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    g_total.start();
    QStringList args = app.arguments().mid(1);
    const bool freshEngine = args.removeAll(u"--fresh-engine"_s) > 0;
    const int runs = !args.isEmpty() ? std::max(1, args.at(0).toInt()) : 20;
    if (args.size() > 1)
        g_totalLimitMs = std::max<qint64>(60, args.at(1).toLongLong()) * 1000;
    QString statePath = qEnvironmentVariable("CUTOVER_LAB_STATE");
    if (statePath.isEmpty() && qEnvironmentVariableIsSet("LAB_DIR"))
        statePath = qEnvironmentVariable("LAB_DIR") + u"/state.env"_s;
    if (statePath.isEmpty())
        statePath = QStringLiteral(CONSOLE_BINARY_DIR "/lab/state.env");
    auto state = bench::readLabState(statePath);
    if (!state.contains(u"LAB_PROMETHEUS_URL"_s) || !state.contains(u"LAB_LB_A_ADMIN"_s)) {
        err << "trigger_to_rollback: no lab state at " << statePath
            << " (start one with scripts/lab up, or set CUTOVER_LAB_STATE)\n";
        return 2;
    }
    Bench bench(std::move(state), QStringLiteral(CONSOLE_BINARY_DIR), freshEngine);
    return bench.run(runs);
}
