// The request machinery on its own: exactly-once completion, deadline, cancellation, retries
// with capped jittered backoff, the in-flight bound, and results dropped when the requester is
// gone or superseded. Attempts are timers here: what is tested is the bookkeeping around them.

#include "app/net/call.h"
#include "app/net/latest.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using namespace cutover::net;
using namespace std::chrono_literals;

namespace {

// An attempt that completes with `result` after `delayMs` (never, when negative).
struct ScriptedAttempts {
    QList<std::optional<Result<int>>> script; // one per attempt; nullopt: hang
    int started = 0;
    int aborted = 0;
    int running = 0;
    int maxRunning = 0;
    int delayMs = 5;
    QObject context;

    AttemptStarter<int> starter() {
        return [this](Completion<int> done) -> Abort {
            const int index = started++;
            ++running;
            maxRunning = std::max(maxRunning, running);
            auto alive = std::make_shared<bool>(true);
            const auto step = index < script.size() ? script.at(index) : script.constLast();
            if (step) {
                QTimer::singleShot(delayMs, &context, [this, alive, done, r = *step] {
                    if (!*alive)
                        return;
                    *alive = false;
                    --running;
                    done(r);
                });
            }
            return [this, alive] {
                if (*alive) {
                    *alive = false;
                    --running;
                    ++aborted;
                }
            };
        };
    }
};

Error connectError() {
    return Error{ErrorKind::Connect, u"test"_s, u"refused"_s, 0, {}};
}

template <typename T>
std::shared_ptr<std::optional<Result<T>>> capture(Reply<T> *reply, QObject *context) {
    auto slot = std::make_shared<std::optional<Result<T>>>();
    reply->onFinished(context, [slot](const Result<T> &r) { *slot = r; });
    return slot;
}

CallOptions options(std::chrono::milliseconds deadline, int attempts = 1) {
    CallOptions o;
    o.deadline = deadline;
    o.idempotent = attempts > 1;
    o.retry = RetryPolicy::attempts(attempts, 10ms);
    o.retry.maxDelay = 40ms;
    return o;
}

} // namespace

class TestNetRequest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void finishesExactlyOnceWithValue();
    void deadlineTimesOutAndAbortsTheAttempt();
    void cancelFinishesOnceAndIgnoresLateResults();
    void transientFailuresAreRetriedWithBackoff();
    void nonIdempotentCallsAreNotRetried();
    void refusalsAreNotRetried();
    void retriesStopAtTheDeadline();
    void deadlineInARetryReportsTheCause();
    void laneBoundsRequestsInFlight();
    void deadlineCountsTimeInTheQueue();
    void resultDroppedWhenRequesterIsGone();
    void latestDropsSupersededResults();
    void backoffIsCappedExponentialWithJitter();
    void laneCancelAllReachesQueuedRequests();
};

void TestNetRequest::finishesExactlyOnceWithValue() {
    ScriptedAttempts attempts;
    attempts.script = {Result<int>(42)};
    Lane lane(u"test"_s, 4);
    auto *reply = startCall<int>(&lane, options(1s), attempts.starter());
    QVERIFY(!reply->isFinished()); // never inside the caller's frame
    QSignalSpy finished(reply, &Request::finished);
    auto result = capture(reply, this);
    QVERIFY(finished.wait(2000));
    QVERIFY(result->has_value() && (*result)->ok());
    QCOMPARE((*result)->value(), 42);
    QVERIFY(!finished.wait(50)); // exactly once: no second finished follows
    QCOMPARE(finished.size(), 1);
    QCOMPARE(lane.inFlight(), 0);
}

void TestNetRequest::deadlineTimesOutAndAbortsTheAttempt() {
    ScriptedAttempts attempts;
    attempts.script = {std::nullopt};
    Lane lane(u"test"_s, 4);
    QElapsedTimer clock;
    clock.start();
    auto result = capture(startCall<int>(&lane, options(150ms), attempts.starter()), this);
    QTRY_VERIFY_WITH_TIMEOUT(result->has_value(), 3000);
    QCOMPARE((*result)->error().kind, ErrorKind::Timeout);
    QCOMPARE((*result)->error().backend, u"test"_s);
    QVERIFY2(clock.elapsed() >= 140, qPrintable(QString::number(clock.elapsed())));
    QVERIFY(clock.elapsed() < 2000);
    QCOMPARE(attempts.aborted, 1);
    QCOMPARE(lane.inFlight(), 0);
}

void TestNetRequest::cancelFinishesOnceAndIgnoresLateResults() {
    ScriptedAttempts attempts;
    attempts.script = {Result<int>(1)};
    attempts.delayMs = 50;
    Lane lane(u"test"_s, 4);
    auto *reply = startCall<int>(&lane, options(1s), attempts.starter());
    QSignalSpy finished(reply, &Request::finished);
    auto result = capture(reply, this);
    QTRY_COMPARE_WITH_TIMEOUT(attempts.started, 1, 2000); // the attempt is running
    QCOMPARE(finished.size(), 0);
    reply->cancel(u"operator"_s);
    QCOMPARE(finished.size(), 1);
    QCOMPARE((*result)->error().kind, ErrorKind::Cancelled);
    QCOMPARE(attempts.aborted, 1);
    // The attempt's result was due 50 ms after it started: it must not finish the call again.
    QVERIFY(!finished.wait(150));
    QCOMPARE(finished.size(), 1);
}

void TestNetRequest::transientFailuresAreRetriedWithBackoff() {
    ScriptedAttempts attempts;
    attempts.script = {Result<int>(connectError()), Result<int>(connectError()), Result<int>(7)};
    Lane lane(u"test"_s, 4);
    auto *reply = startCall<int>(&lane, options(2s, 5), attempts.starter());
    QList<AttemptRecord> records;
    connect(reply, &Request::attemptFinished, this,
            [&records](const AttemptRecord &r) { records.append(r); });
    auto result = capture(reply, this);
    QTRY_VERIFY_WITH_TIMEOUT(result->has_value(), 3000);
    QVERIFY((*result)->ok());
    QCOMPARE((*result)->value(), 7);
    QCOMPARE(attempts.started, 3);
    QCOMPARE(records.size(), 3);
    QCOMPARE(records.at(0).error->kind, ErrorKind::Connect);
    QVERIFY(!records.at(2).error.has_value());
    // The second attempt waited for a backoff of at least 10 ms * (1 - jitter 0.5).
    QVERIFY(records.at(1).startedAtMs - (records.at(0).startedAtMs + records.at(0).elapsedMs) >= 4);
}

void TestNetRequest::nonIdempotentCallsAreNotRetried() {
    ScriptedAttempts attempts;
    attempts.script = {Result<int>(connectError()), Result<int>(7)};
    Lane lane(u"test"_s, 4);
    CallOptions o = options(1s, 5);
    o.idempotent = false;
    auto result = capture(startCall<int>(&lane, o, attempts.starter()), this);
    QTRY_VERIFY_WITH_TIMEOUT(result->has_value(), 3000);
    QCOMPARE((*result)->error().kind, ErrorKind::Connect);
    QCOMPARE(attempts.started, 1);
}

void TestNetRequest::refusalsAreNotRetried() {
    ScriptedAttempts attempts;
    attempts.script = {Result<int>(Error{ErrorKind::Protocol, u"test"_s, u"No such server."_s, 0,
                                         u"no_such_server"_s}),
                       Result<int>(7)};
    Lane lane(u"test"_s, 4);
    auto result = capture(startCall<int>(&lane, options(1s, 5), attempts.starter()), this);
    QTRY_VERIFY_WITH_TIMEOUT(result->has_value(), 3000);
    QCOMPARE((*result)->error().reason, u"no_such_server"_s);
    QCOMPARE(attempts.started, 1);
}

void TestNetRequest::retriesStopAtTheDeadline() {
    ScriptedAttempts attempts;
    attempts.script = {Result<int>(connectError())};
    Lane lane(u"test"_s, 4);
    QElapsedTimer clock;
    clock.start();
    auto result = capture(startCall<int>(&lane, options(300ms, 1000), attempts.starter()), this);
    QTRY_VERIFY_WITH_TIMEOUT(result->has_value(), 3000);
    // The real cause, not a bare timeout, whether the deadline fell in a backoff or an attempt.
    QCOMPARE((*result)->error().kind, ErrorKind::Connect);
    QVERIFY2((*result)->error().message.startsWith(u"refused"_s),
             qPrintable((*result)->error().message));
    QVERIFY(clock.elapsed() < 1500);
    QVERIFY(attempts.started > 2);
}

// The deadline falls while a retry hangs: the refusal before it is the cause, the deadline says
// why the retries stopped. A first attempt that hangs is a plain timeout.
void TestNetRequest::deadlineInARetryReportsTheCause() {
    ScriptedAttempts attempts;
    attempts.script = {Result<int>(connectError()), std::nullopt};
    Lane lane(u"test"_s, 4);
    auto retried = capture(startCall<int>(&lane, options(200ms, 5), attempts.starter()), this);
    QTRY_VERIFY_WITH_TIMEOUT(retried->has_value(), 3000);
    QCOMPARE(attempts.started, 2);
    QCOMPARE((*retried)->error().kind, ErrorKind::Connect);
    QVERIFY2((*retried)->error().message.startsWith(u"refused"_s) &&
                 (*retried)->error().message.contains(u"after 1 failed attempt;"_s) &&
                 (*retried)->error().message.contains(u"deadline of 200 ms"_s),
             qPrintable((*retried)->error().message));

    ScriptedAttempts hanging;
    hanging.script = {std::nullopt};
    auto first = capture(startCall<int>(&lane, options(100ms, 5), hanging.starter()), this);
    QTRY_VERIFY_WITH_TIMEOUT(first->has_value(), 3000);
    QCOMPARE((*first)->error().kind, ErrorKind::Timeout);
}

void TestNetRequest::laneBoundsRequestsInFlight() {
    ScriptedAttempts attempts;
    attempts.script = {Result<int>(1)};
    attempts.delayMs = 20;
    Lane lane(u"test"_s, 2);
    QList<std::shared_ptr<std::optional<Result<int>>>> results;
    for (int i = 0; i < 7; ++i)
        results.append(capture(startCall<int>(&lane, options(5s), attempts.starter()), this));
    QTRY_VERIFY_WITH_TIMEOUT(
        std::all_of(results.cbegin(), results.cend(), [](const auto &r) { return r->has_value(); }),
        5000);
    QCOMPARE(attempts.maxRunning, 2);
    QCOMPARE(attempts.started, 7);
    QCOMPARE(lane.inFlight(), 0);
}

void TestNetRequest::deadlineCountsTimeInTheQueue() {
    ScriptedAttempts attempts;
    attempts.script = {std::nullopt};
    Lane lane(u"test"_s, 1);
    auto first = capture(startCall<int>(&lane, options(2s), attempts.starter()), this);
    auto queued = capture(startCall<int>(&lane, options(100ms), attempts.starter()), this);
    QTRY_VERIFY_WITH_TIMEOUT(queued->has_value(), 1500);
    QCOMPARE((*queued)->error().kind, ErrorKind::Timeout);
    QCOMPARE(attempts.started, 1); // it never got a slot
    QVERIFY(!first->has_value());
    // The first runs into its own deadline (and frees itself) before the lane goes away: a
    // call still pending at the end of the test is what LeakSanitizer reported.
    QTRY_VERIFY_WITH_TIMEOUT(first->has_value(), 3000);
    QCOMPARE((*first)->error().kind, ErrorKind::Timeout);
}

void TestNetRequest::resultDroppedWhenRequesterIsGone() {
    ScriptedAttempts attempts;
    attempts.script = {Result<int>(5)};
    attempts.delayMs = 20;
    Lane lane(u"test"_s, 4);
    auto *requester = new QObject;
    bool delivered = false;
    auto *reply = startCall<int>(&lane, options(1s), attempts.starter());
    reply->onFinished(requester, [&delivered](const Result<int> &) { delivered = true; });
    QSignalSpy finished(reply, &Request::finished);
    delete requester;
    QVERIFY(finished.wait(2000));
    QVERIFY(!delivered);
}

void TestNetRequest::latestDropsSupersededResults() {
    ScriptedAttempts attempts;
    attempts.script = {Result<int>(1), Result<int>(2)};
    attempts.delayMs = 30;
    Lane lane(u"test"_s, 4);
    Latest latest;
    QList<int> delivered;
    auto *first = startCall<int>(&lane, options(1s), attempts.starter());
    QSignalSpy firstFinished(first, &Request::finished);
    latest.start(first, this,
                 [&delivered](const Result<int> &r) { delivered.append(r.ok() ? r.value() : -1); });
    auto *second = startCall<int>(&lane, options(1s), attempts.starter());
    latest.start(second, this,
                 [&delivered](const Result<int> &r) { delivered.append(r.ok() ? r.value() : -1); });
    QCOMPARE(firstFinished.size(), 1); // superseded: cancelled at once
    QTRY_COMPARE_WITH_TIMEOUT(delivered.size(), 1, 2000);
    // The superseded call's attempt was due 30 ms after it started: nothing of it is delivered.
    QVERIFY(!QTest::qWaitFor([&delivered] { return delivered.size() > 1; }, 60));
    QCOMPARE(delivered, QList<int>{1}); // the second call's first attempt: the script's first value
    QVERIFY(!latest.isRunning());
}

void TestNetRequest::backoffIsCappedExponentialWithJitter() {
    RetryPolicy policy;
    policy.initialDelay = 100ms;
    policy.maxDelay = 1000ms;
    policy.multiplier = 2;
    policy.jitter = 0.5;
    QCOMPARE(policy.cappedDelay(2).count(), 100);
    QCOMPARE(policy.cappedDelay(3).count(), 200);
    QCOMPARE(policy.cappedDelay(4).count(), 400);
    QCOMPARE(policy.cappedDelay(6).count(), 1000);
    QCOMPARE(policy.cappedDelay(60).count(), 1000);
    bool varied = false;
    qint64 previous = -1;
    for (int i = 0; i < 200; ++i) {
        const qint64 d = policy.delayBefore(4).count();
        QVERIFY2(d >= 200 && d <= 400, qPrintable(QString::number(d)));
        varied = varied || (previous >= 0 && d != previous);
        previous = d;
    }
    QVERIFY(varied);
    QVERIFY(isTransient(Error{ErrorKind::Http, {}, {}, 503, {}}));
    QVERIFY(!isTransient(Error{ErrorKind::Http, {}, {}, 400, {}}));
    QVERIFY(!isTransient(Error{ErrorKind::Tls, {}, {}, 0, {}}));
}

void TestNetRequest::laneCancelAllReachesQueuedRequests() {
    ScriptedAttempts attempts;
    attempts.script = {std::nullopt};
    auto lane = std::make_unique<Lane>(u"test"_s, 1);
    auto running = capture(startCall<int>(lane.get(), options(5s), attempts.starter()), this);
    auto queued = capture(startCall<int>(lane.get(), options(5s), attempts.starter()), this);
    auto notStarted = capture(startCall<int>(lane.get(), options(5s), attempts.starter()), this);
    QTRY_COMPARE_WITH_TIMEOUT(attempts.started, 1, 2000); // one running, two queued
    lane->cancelAll(u"client destroyed"_s);
    lane.reset();
    QVERIFY(running->has_value() && queued->has_value() && notStarted->has_value());
    QCOMPARE((*running)->error().kind, ErrorKind::Cancelled);
    QCOMPARE((*queued)->error().kind, ErrorKind::Cancelled);
    QCOMPARE((*notStarted)->error().kind, ErrorKind::Cancelled);
    QCOMPARE(attempts.started, 1);
    // Whatever the cancellation posted runs now; under ASan a touch of the destroyed lane fails.
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    QCoreApplication::processEvents();
}

QTEST_GUILESS_MAIN(TestNetRequest)
#include "test_net_request.moc"
