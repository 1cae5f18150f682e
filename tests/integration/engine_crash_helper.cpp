// A console that dies: test_engine_crash_recovery runs it and it is killed with SIGKILL.
//
//   engine_crash_helper shift STORE OPERATORS
//       opens the store and an engine on the lab plan, waits (bounded) until alice may shift,
//       starts the shift to 10% and raises SIGKILL as soon as shift() returns: the state
//       Shifting is committed, the weights are on their way but not verified.
//   engine_crash_helper sign STORE OPERATORS
//       ticks the pre-cutover checklist, signs it and resets it, in a loop, through the store,
//       printing "cycle N" after each signature; the test kills it from outside.
//
// The lab's state comes from CUTOVER_LAB_STATE, as for the tests. Exit 2: could not start.

#include "tests/support/engine_test_support.h"

#include <QCoreApplication>

#include <csignal>
#include <cstdio>

using namespace cutover;
using namespace enginetest;

namespace {

int shiftAndDie(const config::Plan &plan, const QString &storePath) {
    Console console;
    if (!console.open(plan, storePath))
        return 2;
    if (!waitFor(
            console, [&] { return console.shiftGuards().isEmpty(); }, 60'000, u"shift allowed"_s,
            [&] { return console.shiftGuards(); }))
        return 2;
    std::fputs("shifting\n", stdout);
    std::fflush(stdout);
    Operation *op =
        console.engine->shift(kEnv, console.who(u"alice"_s), passphraseOf(u"alice"_s), 10);
    // shift() reports its first progress ("applying 10% to lb-a, lb-b") before it returns, so
    // right after it returns is the earliest point a caller can act on: the stage is Shifting in
    // the store, the LB commands not sent yet (they go out from the event loop).
    if (op && op->isFinished()) {
        std::fprintf(stderr, "shift finished at once: %s\n", qPrintable(op->summary()));
        return 2;
    }
    std::raise(SIGKILL);
    return 3; // not reached
}

int signInALoop(const config::Plan &plan, const QString &storePath) {
    store::SqliteStore::Options options;
    options.path = storePath;
    auto opened = store::SqliteStore::open(options);
    if (!opened) {
        std::fprintf(stderr, "store: %s\n", qPrintable(opened.error().toString()));
        return 2;
    }
    store::SqliteStore &s = *opened.value();
    const config::Gate *gate = plan.gate(plan.preCutoverGate);
    if (!gate)
        return 2;
    QHash<QString, QString> nameOfRole;
    QHash<QString, QString> printedOf;
    for (const Person &p : people()) {
        nameOfRole.insert(p.role, p.name);
        printedOf.insert(p.name, p.displayName);
    }
    for (int cycle = 1; cycle <= 100'000; ++cycle) {
        // Start each cycle from an empty gate (a previous run may have been killed anywhere).
        if (auto reset = s.resetGate(kEnv, gate->id, u"alice"_s, u"release_manager"_s,
                                     u"crash test cycle"_s);
            !reset) {
            std::fprintf(stderr, "reset: %s\n", qPrintable(reset.error().toString()));
            return 1;
        }
        for (const config::Check &check : gate->checks) {
            if (check.kind != config::Check::Kind::Manual)
                continue;
            const QString who = nameOfRole.value(check.role);
            if (auto ticked = s.tick(store::Tick{kEnv, gate->id, check.id, who, check.role, {}});
                !ticked) {
                std::fprintf(stderr, "tick: %s\n", qPrintable(ticked.error().toString()));
                return 1;
            }
        }
        for (const QString &role : gate->signOff) {
            store::SignOff signature;
            signature.environment = kEnv;
            signature.gate = gate->id;
            signature.role = role;
            signature.operatorName = nameOfRole.value(role);
            signature.printedName = printedOf.value(signature.operatorName);
            signature.meaning = u"Approved"_s;
            signature.comment = u"cycle %1"_s.arg(cycle);
            if (auto signedOff = s.signOff(signature); !signedOff) {
                std::fprintf(stderr, "sign: %s\n", qPrintable(signedOff.error().toString()));
                return 1;
            }
        }
        std::fprintf(stdout, "cycle %d\n", cycle);
        std::fflush(stdout);
    }
    return 0;
}

} // namespace

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() != 4) {
        std::fputs("usage: engine_crash_helper shift|sign STORE OPERATORS\n", stderr);
        return 2;
    }
    const auto state = lab::loadState();
    if (state.isEmpty()) {
        std::fputs("no lab: CUTOVER_LAB_STATE unset or unreadable\n", stderr);
        return 2;
    }
    const auto plan = loadLabPlan(state, args.at(3));
    if (!plan)
        return 2;
    if (args.at(1) == u"shift"_s)
        return shiftAndDie(*plan, args.at(2));
    if (args.at(1) == u"sign"_s)
        return signInALoop(*plan, args.at(2));
    return 2;
}
