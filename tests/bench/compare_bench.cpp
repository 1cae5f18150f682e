// Benchmark: one evaluation round of 20 compare checks, 30-minute windows at 5 s (360 samples a
// side), CPU time of the round on this thread (clock_gettime(CLOCK_THREAD_CPUTIME_ID): the
// time the statistics cost, not the time the machine lent to others), p50/p99 over the rounds.
// Target (DESIGN.md "Performance targets", issue 14): p99 under 5 ms. Exit 0 when met, 1 when
// not (or when the baseline disagrees with the result).
//
// The baseline, measured in the same run on the same data: the same statistics the obvious way
// (U by comparing all n*m pairs, the Hodges-Lehmann estimate and interval by materialising the
// n*m differences and nth_element at each rank), in the same language with the same compiler.
// It isolates what the algorithms buy (merge of sorted samples; selection among the
// differences without building them) from everything else, and it cross-checks the numbers:
// both must agree to the bit. For reference, SciPy's mannwhitneyu alone (no interval) on the
// same samples is timed inside one /usr/bin/python3 process when SciPy is there.
//
//   compare_bench [--rounds N] [--baseline-rounds N] [--no-scipy]

#include "app/analysis/compare.h"
#include "app/analysis/hodges_lehmann.h"
#include "app/analysis/normal.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <numbers>
#include <numeric>
#include <optional>
#include <random>
#include <vector>

using namespace Qt::StringLiterals;
using namespace cutover::analysis;

namespace {

constexpr int Checks = 20;
constexpr int Samples = 360; // 30 minutes at 5 s
constexpr double TargetMs = 5.0;

double threadCpuMs() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

struct Check {
    QList<double> legacy;
    QList<double> otel;
    CompareOptions options;
};

// The kinds of series a gate compares: latencies (continuous, some shifted), rates and ratios
// (a few NaN), counts (integers: heavy ties), and series counts (nearly constant).
QList<Check> makeChecks() {
    std::mt19937_64 engine(14);
    const auto uniform = [&engine] {
        return double(engine() >> 11) * 0x1.0p-53;
    };
    const auto normal = [&uniform](double mean, double sd) {
        const double u1 = 1 - uniform();
        const double u2 = uniform();
        return mean + sd * std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
    };
    QList<Check> checks;
    for (int c = 0; c < Checks; ++c) {
        Check check;
        check.options.confidence = 0.98;
        check.options.minSamples = 50;
        const double factor = std::array{1.0, 1.0, 1.03, 1.15, 0.9}[std::size_t(c % 5)];
        for (int i = 0; i < Samples; ++i) {
            switch (c % 4) {
            case 0: // p95 latency, lognormal
                check.legacy.append(0.120 * std::exp(normal(0, 0.15)));
                check.otel.append(factor * 0.120 * std::exp(normal(0, 0.15)));
                check.options.direction = Direction::Increase;
                check.options.allowedIncrease = 1.05;
                break;
            case 1: // accepted points per second, a NaN now and then
                check.legacy.append(uniform() < 0.02 ? std::numeric_limits<double>::quiet_NaN()
                                                     : normal(5000, 250));
                check.otel.append(uniform() < 0.02 ? std::numeric_limits<double>::quiet_NaN()
                                                   : factor * normal(5000, 250));
                check.options.direction = Direction::Either;
                check.options.allowedDecrease = 0.95;
                check.options.allowedIncrease = 1.05;
                break;
            case 2: // refused points per scrape: small integers
                check.legacy.append(std::floor(std::max(0.0, normal(3, 2))));
                check.otel.append(std::floor(std::max(0.0, normal(3 * factor, 2))));
                check.options.direction = Direction::Increase;
                check.options.nan = NanPolicy::Replace;
                break;
            default: // series count
                check.legacy.append(std::round(normal(12000, 3)));
                check.otel.append(std::round(normal(12000 * factor, 3)));
                check.options.direction = Direction::Either;
                check.options.allowedIncrease = 1.1;
                check.options.allowedDecrease = 0.9;
                break;
            }
        }
        checks.append(check);
    }
    return checks;
}

// The same statistics, the obvious way.
struct Naive {
    double u = 0;
    double p = 1;
    double shift = 0;
    double low = 0;
    double high = 0;
};

std::vector<double> cleaned(const QList<double> &values, NanPolicy policy) {
    std::vector<double> out;
    for (double v : values) {
        if (std::isfinite(v))
            out.push_back(v);
        else if (policy == NanPolicy::Replace)
            out.push_back(0);
    }
    return out;
}

double tieTermOf(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    double term = 0;
    for (std::size_t i = 0; i < values.size();) {
        std::size_t j = i;
        while (j < values.size() && values[j] == values[i])
            ++j;
        const double t = double(j - i);
        term += t * t * t - t;
        i = j;
    }
    return term;
}

Naive naive(const Check &check) {
    const std::vector<double> legacy = cleaned(check.legacy, check.options.nan);
    const std::vector<double> otel = cleaned(check.otel, check.options.nan);
    Naive r;
    for (double o : otel) {
        for (double l : legacy)
            r.u += o > l ? 1.0 : (o == l ? 0.5 : 0.0);
    }
    std::vector<double> both = legacy;
    both.insert(both.end(), otel.begin(), otel.end());
    const double n1 = double(otel.size());
    const double n2 = double(legacy.size());
    const double n = n1 + n2;
    const double variance = n1 * n2 / 12 * ((n + 1) - tieTermOf(both) / (n * (n - 1)));
    const double u = std::max(r.u, n1 * n2 - r.u);
    r.p = variance > 0
              ? std::clamp(2 * normalSurvival((u - n1 * n2 / 2 - 0.5) / std::sqrt(variance)), 0.0,
                           1.0)
              : 1.0;

    std::vector<double> differences;
    differences.reserve(otel.size() * legacy.size());
    for (double o : otel) {
        for (double l : legacy)
            differences.push_back(o - l);
    }
    const auto at = [&differences](qint64 rank) {
        const auto nth = differences.begin() + (rank - 1);
        std::nth_element(differences.begin(), nth, differences.end());
        return *nth;
    };
    const auto count = qint64(differences.size());
    r.shift =
        count % 2 == 1 ? at((count + 1) / 2) : std::midpoint(at(count / 2), at(count / 2 + 1));
    const auto [lowRank, highRank] =
        hodgesLehmannRanks(qsizetype(otel.size()), qsizetype(legacy.size()),
                           tieTermOf(otel) + tieTermOf(legacy), check.options.confidence);
    r.low = at(lowRank);
    r.high = at(highRank);
    return r;
}

struct Figures {
    double p50 = 0;
    double p99 = 0;
    double max = 0;
};

Figures figuresOf(std::vector<double> ms) {
    std::sort(ms.begin(), ms.end());
    const auto at = [&ms](double q) {
        return ms[std::min(ms.size() - 1, std::size_t(std::ceil(q * double(ms.size())) - 1))];
    };
    return {at(0.50), at(0.99), ms.back()};
}

// SciPy's mannwhitneyu on the same (cleaned) samples, timed inside Python per round of 20.
std::optional<Figures> scipyFigures(const QList<Check> &checks, int rounds) {
    QTemporaryDir dir;
    if (!dir.isValid())
        return std::nullopt;
    QFile file(dir.filePath(u"checks.txt"_s));
    if (!file.open(QIODevice::WriteOnly))
        return std::nullopt;
    const auto line = [](const std::vector<double> &values) -> QByteArray {
        QByteArray text;
        for (double v : values)
            text += QByteArray::number(v, 'g', 17) + ' ';
        return text + '\n';
    };
    for (const Check &c : checks)
        file.write(line(cleaned(c.otel, c.options.nan)) + line(cleaned(c.legacy, c.options.nan)));
    file.close();
    const QString script = uR"(
import sys, time
import numpy as np
from scipy.stats import mannwhitneyu
lines = open(sys.argv[1]).read().split("\n")
pairs = [(np.array([float(v) for v in lines[i].split()]),
          np.array([float(v) for v in lines[i + 1].split()])) for i in range(0, len(lines) - 1, 2)]
for x, y in pairs[:3]:
    mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")
for _ in range(int(sys.argv[2])):
    t0 = time.process_time()
    for x, y in pairs:
        mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")
    print((time.process_time() - t0) * 1e3)
)"_s;
    QProcess python;
    python.start(u"/usr/bin/python3"_s,
                 {u"-c"_s, script, file.fileName(), QString::number(rounds)});
    if (!python.waitForFinished(120'000) || python.exitCode() != 0) {
        python.kill();
        python.waitForFinished(5'000);
        return std::nullopt;
    }
    std::vector<double> ms;
    for (const QByteArray &l : python.readAllStandardOutput().trimmed().split('\n'))
        ms.push_back(l.toDouble());
    if (ms.empty())
        return std::nullopt;
    return figuresOf(ms);
}

} // namespace

int main(int argc, char *argv[]) {
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption roundsOption(u"rounds"_s, u"Rounds of the 20 checks (>= 200)."_s,
                                          u"N"_s, u"1000"_s);
    const QCommandLineOption baselineOption(u"baseline-rounds"_s, u"Rounds of the baseline."_s,
                                            u"N"_s, u"200"_s);
    const QCommandLineOption noScipyOption(u"no-scipy"_s, u"Skip the SciPy reference."_s);
    parser.addOptions({roundsOption, baselineOption, noScipyOption});
    parser.process(app);
    const int rounds = std::max(200, parser.value(roundsOption).toInt());
    const int baselineRounds = std::max(20, parser.value(baselineOption).toInt());

    const QList<Check> checks = makeChecks();
    int verdicts[4] = {};

    // Warm up (page in the code, size the allocator's pools), then measure.
    for (int i = 0; i < 20; ++i) {
        for (const Check &c : checks)
            (void)compare(c.legacy, c.otel, c.options);
    }
    std::vector<double> ours;
    ours.reserve(std::size_t(rounds));
    for (int round = 0; round < rounds; ++round) {
        const double start = threadCpuMs();
        for (const Check &c : checks) {
            const CompareResult r = compare(c.legacy, c.otel, c.options);
            if (round == 0)
                ++verdicts[int(r.verdict)];
        }
        ours.push_back(threadCpuMs() - start);
    }

    std::vector<double> baseline;
    for (int round = 0; round < baselineRounds; ++round) {
        const double start = threadCpuMs();
        for (const Check &c : checks)
            (void)naive(c);
        baseline.push_back(threadCpuMs() - start);
    }

    // Both ways must give the same numbers.
    bool agree = true;
    for (const Check &c : checks) {
        const CompareResult r = compare(c.legacy, c.otel, c.options);
        const Naive n = naive(c);
        if (r.u != n.u || r.pValue != n.p || r.hlShift != n.shift || r.hlLow != n.low ||
            r.hlHigh != n.high) {
            agree = false;
            std::printf("MISMATCH: U %.17g/%.17g p %.17g/%.17g HL %.17g/%.17g [%.17g, %.17g]/"
                        "[%.17g, %.17g]\n",
                        r.u, n.u, r.pValue, n.p, r.hlShift, n.shift, r.hlLow, r.hlHigh, n.low,
                        n.high);
        }
    }

    const Figures mine = figuresOf(ours);
    const Figures naiveFigures = figuresOf(baseline);
    std::printf("compare_bench: %d compare checks x %d samples a side (verdicts: %d pass, %d high, "
                "%d low, %d nodata)\n",
                Checks, Samples, verdicts[int(Verdict::Pass)], verdicts[int(Verdict::High)],
                verdicts[int(Verdict::Low)], verdicts[int(Verdict::NoData)]);
    std::printf(
        "CPU time of one round (this thread)        rounds    p50 ms    p99 ms    max ms\n");
    std::printf("%-42s %6d %9.3f %9.3f %9.3f\n", "analysis::compare (U, p, HL + CI, verdict)",
                rounds, mine.p50, mine.p99, mine.max);
    std::printf("%-42s %6d %9.3f %9.3f %9.3f\n", "baseline: all pairs, all differences",
                baselineRounds, naiveFigures.p50, naiveFigures.p99, naiveFigures.max);
    if (!parser.isSet(noScipyOption)) {
        if (const auto scipy = scipyFigures(checks, 200))
            std::printf("%-42s %6d %9.3f %9.3f %9.3f\n", "SciPy mannwhitneyu only (no HL, no CI)",
                        200, scipy->p50, scipy->p99, scipy->max);
        else
            std::printf("%-42s (no SciPy for /usr/bin/python3)\n", "SciPy mannwhitneyu only");
    }
    std::printf("baseline / analysis::compare at p50: %.1fx; results agree to the bit: %s\n",
                naiveFigures.p50 / mine.p50, agree ? "yes" : "NO");
    const bool met = mine.p99 < TargetMs;
    std::printf("target: p99 under %.0f ms of CPU per round: %s (%.3f ms)\n", TargetMs,
                met ? "met" : "NOT MET", mine.p99);
    return met && agree ? 0 : 1;
}
