// The Mann-Whitney U test against SciPy as the oracle: U and the two-sided p-value of
// scipy.stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic",
// use_continuity=True) on seeded samples, |dU| < 1e-9 and |dp| < 1e-6. SciPy comes from Debian's
// python3-scipy, which only /usr/bin/python3 sees (python3 on PATH may be a pyenv shim): without
// it every test here skips, and CTest reports the test skipped (SKIP_REGULAR_EXPRESSION).
// CONSOLE_SCIPY_PYTHON names another interpreter (e.g. /bin/false, to see the skip happen).

#include "app/analysis/compare.h"
#include "app/analysis/mann_whitney.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>

using namespace Qt::StringLiterals;
using namespace cutover::analysis;

namespace {

const QString Python = qEnvironmentVariable("CONSOLE_SCIPY_PYTHON", u"/usr/bin/python3"_s);
constexpr double NaN = std::numeric_limits<double>::quiet_NaN();
constexpr double Inf = std::numeric_limits<double>::infinity();

// Reads the cases (two lines each: x, then y, values separated by spaces, "nan"/"inf" as Python
// spells them) and prints "U p" per case with every digit.
const QString Script = uR"(
import sys, warnings
import numpy as np
from scipy.stats import mannwhitneyu
warnings.simplefilter("ignore")
lines = open(sys.argv[1]).read().split("\n")
out = []
for i in range(0, len(lines) - 1, 2):
    x = np.array([float(v) for v in lines[i].split()])
    y = np.array([float(v) for v in lines[i + 1].split()])
    r = mannwhitneyu(x, y, alternative="two-sided", method="asymptotic", use_continuity=True,
                     nan_policy="omit")
    out.append("%.17g %.17g" % (r.statistic, r.pvalue))
print("\n".join(out))
)"_s;

// Deterministic across standard libraries (std::normal_distribution is not): mt19937_64 is
// specified exactly, and the transforms below are ours.
class Generator {
public:
    explicit Generator(quint64 seed)
        : engine_(seed) {}
    double uniform() { return double(engine_() >> 11) * 0x1.0p-53; } // [0, 1)
    double normal(double mean = 0, double sd = 1) {
        const double u1 = 1 - uniform();
        const double u2 = uniform();
        return mean + sd * std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
    }
    double exponential(double mean) { return -mean * std::log(1 - uniform()); }
    int below(int n) { return int(uniform() * n); }

private:
    std::mt19937_64 engine_;
};

struct Case {
    QString name;
    QList<double> x;
    QList<double> y;
    bool viaCompare = false; // NaNs in the data: through compare() with nan: remove
};

QList<double> normals(Generator &g, int n, double mean = 0, double sd = 1, double round = 0) {
    QList<double> v;
    for (int i = 0; i < n; ++i) {
        const double d = g.normal(mean, sd);
        v.append(round > 0 ? std::round(d / round) * round : d);
    }
    return v;
}

QList<Case> makeCases() {
    Generator g(20240614);
    QList<Case> cases;
    auto add = [&cases](const QString &name, QList<double> x, QList<double> y) {
        cases.append({name, std::move(x), std::move(y), false});
    };

    // Ties: small integers, and two values only.
    {
        QList<double> x, y;
        for (int i = 0; i < 30; ++i)
            x.append(g.below(6));
        for (int i = 0; i < 40; ++i)
            y.append(g.below(6) + (i % 3 == 0 ? 1 : 0));
        add(u"ties small integers"_s, x, y);
        QList<double> a, b;
        for (int i = 0; i < 100; ++i)
            a.append(g.uniform() < 0.3 ? 1 : 0);
        for (int i = 0; i < 120; ++i)
            b.append(g.uniform() < 0.45 ? 1 : 0);
        add(u"ties binary"_s, a, b);
        add(u"ties rounded normals"_s, normals(g, 200, 10, 2, 0.5), normals(g, 180, 10.4, 2, 0.5));
    }
    // n = 1.
    add(u"n=1 vs n=1, different"_s, {1.5}, {2.5});
    add(u"n=1 vs n=1, equal"_s, {2.0}, {2.0});
    add(u"n=1 vs 20"_s, {0.7}, normals(g, 20));
    add(u"20 vs n=1"_s, normals(g, 20), {-3.0});
    add(u"n=1 above all of 30"_s, {10.0}, normals(g, 30));
    // Identical and constant samples.
    {
        const QList<double> same = normals(g, 50);
        add(u"identical samples"_s, same, same);
        add(u"constant, equal"_s, QList<double>(30, 7.0), QList<double>(25, 7.0));
        add(u"constant, different"_s, QList<double>(30, 3.0), QList<double>(25, 5.0));
        add(u"one side constant"_s, QList<double>(30, 0.0), normals(g, 25));
        add(u"signed zeros tie"_s, {0.0, -0.0, 1.0, -1.0}, {-0.0, 0.0, 0.0, 2.0});
        // Only +inf: SciPy 1.10 looks for NaN by summing, and inf + -inf is NaN to it.
        add(u"infinities rank"_s, {Inf, 1.0, 2.0, -3.0, 3.0}, {0.5, Inf, 2.5, 4.0});
    }
    // 5,000 points.
    add(u"5000 vs 5000, same distribution"_s, normals(g, 5000), normals(g, 5000));
    add(u"5000 vs 4000, shifted 0.05 sd"_s, normals(g, 5000, 0.05), normals(g, 4000));
    // Shifted distributions, as a compare check sees them.
    add(u"normal +0.3 sd, 360"_s, normals(g, 360, 0.3), normals(g, 360));
    {
        QList<double> legacy, otel;
        for (int i = 0; i < 360; ++i) {
            legacy.append(0.120 * std::exp(g.normal(0, 0.2)));
            otel.append(1.15 * 0.120 * std::exp(g.normal(0, 0.2)));
        }
        add(u"lognormal latency x1.15, 360"_s, otel, legacy);
        QList<double> a, b;
        for (int i = 0; i < 200; ++i)
            a.append(g.exponential(1.0));
        for (int i = 0; i < 150; ++i)
            b.append(g.exponential(1.3));
        add(u"exponential 200 vs 150"_s, a, b);
    }
    add(u"fully separated, p far below 1e-90"_s, normals(g, 300, 100), normals(g, 300));
    // Random sizes, spreads and rounding (ties or none).
    for (int i = 0; i < 40; ++i) {
        const int n = 1 + g.below(400);
        const int m = 1 + g.below(400);
        const double shift = g.uniform() < 0.5 ? 0.0 : g.normal(0, 0.4);
        const double round = g.uniform() < 0.5 ? 0.0 : (g.uniform() < 0.5 ? 0.1 : 1.0);
        add(u"random %1: %2 vs %3"_s.arg(i).arg(n).arg(m), normals(g, n, shift, 1, round),
            normals(g, m, 0, 1, round));
    }
    // NaNs, removed: compare() drops them, SciPy omits them (nan_policy="omit").
    {
        QList<double> otel = normals(g, 360, 0.1);
        QList<double> legacy = normals(g, 340);
        for (int i = 0; i < 40; ++i) {
            otel[g.below(360)] = NaN;
            legacy[g.below(340)] = NaN;
        }
        cases.append({u"NaNs removed"_s, otel, legacy, true});
        QList<double> rounded = normals(g, 100, 0, 1, 0.5);
        for (int i = 0; i < 100; i += 7)
            rounded[i] = NaN;
        cases.append({u"NaNs removed, ties"_s, rounded, normals(g, 90, 0.2, 1, 0.5), true});
    }
    return cases;
}

QByteArray line(const QList<double> &values) {
    QByteArray text;
    for (double v : values) {
        if (!text.isEmpty())
            text += ' ';
        if (std::isnan(v))
            text += "nan";
        else if (std::isinf(v))
            text += v > 0 ? "inf" : "-inf";
        else
            text += QByteArray::number(v, 'g', 17);
    }
    return text + '\n';
}

} // namespace

class TestAnalysisScipy : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void mannWhitneyMatchesScipy();

private:
    bool haveScipy_ = false;
};

void TestAnalysisScipy::initTestCase() {
    QProcess probe;
    probe.start(Python, {u"-c"_s, u"import scipy.stats"_s});
    if (!probe.waitForFinished(60'000) || probe.exitStatus() != QProcess::NormalExit ||
        probe.exitCode() != 0) {
        probe.kill();
        QSKIP("SciPy is not available to /usr/bin/python3: install python3-scipy "
              "(apt-get install -y --no-install-recommends python3-scipy) to check the "
              "Mann-Whitney test against it");
    }
    haveScipy_ = true;
}

void TestAnalysisScipy::mannWhitneyMatchesScipy() {
    QVERIFY(haveScipy_);
    const QList<Case> cases = makeCases();
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"cases.txt"_s);
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        for (const Case &c : cases)
            file.write(line(c.x) + line(c.y));
    }

    QProcess python;
    python.start(Python, {u"-c"_s, Script, path});
    const bool finished = python.waitForFinished(120'000);
    if (!finished)
        python.kill();
    QVERIFY2(finished, "SciPy did not answer within 120 s");
    QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
    const QList<QByteArray> answers = python.readAllStandardOutput().trimmed().split('\n');
    QCOMPARE(answers.size(), cases.size());

    double maxDu = 0;
    double maxDp = 0;
    double maxRelDp = 0; // for information: p-values far below 1e-6 agree in relative terms too
    for (qsizetype i = 0; i < cases.size(); ++i) {
        const Case &c = cases[i];
        const QList<QByteArray> fields = answers[i].split(' ');
        QCOMPARE(fields.size(), 2);
        bool okU = false;
        bool okP = false;
        const double scipyU = fields[0].toDouble(&okU);
        const double scipyP = fields[1].toDouble(&okP);
        QVERIFY2(okU && okP, answers[i].constData());

        double u = 0;
        double p = 0;
        if (c.viaCompare) {
            CompareOptions options;
            options.minSamples = 1;
            options.nan = NanPolicy::Remove;
            const CompareResult r = compare(c.y, c.x, options); // legacy = y, OTel = x
            QVERIFY2(r.verdict != Verdict::NoData, qPrintable(r.reason));
            u = r.u;
            p = r.pValue;
        } else {
            const auto r = mannWhitneyU(c.x, c.y);
            QVERIFY2(r.has_value(), qPrintable(c.name));
            u = r->u;
            p = r->pValue;
        }
        const double du = std::abs(u - scipyU);
        const double dp = std::abs(p - scipyP);
        maxDu = std::max(maxDu, du);
        maxDp = std::max(maxDp, dp);
        if (scipyP > 0)
            maxRelDp = std::max(maxRelDp, dp / scipyP);
        QVERIFY2(
            du < 1e-9,
            qPrintable(
                u"%1: U %2, SciPy %3"_s.arg(c.name).arg(u, 0, 'g', 17).arg(scipyU, 0, 'g', 17)));
        QVERIFY2(
            dp < 1e-6,
            qPrintable(
                u"%1: p %2, SciPy %3"_s.arg(c.name).arg(p, 0, 'g', 17).arg(scipyP, 0, 'g', 17)));
    }
    qInfo("%lld cases against SciPy: max |dU| = %.3g, max |dp| = %.3g, max relative dp = %.3g",
          qlonglong(cases.size()), maxDu, maxDp, maxRelDp);
}

QTEST_GUILESS_MAIN(TestAnalysisScipy)
#include "test_analysis_scipy.moc"
