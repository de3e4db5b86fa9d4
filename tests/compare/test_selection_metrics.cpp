// SPDX-License-Identifier: GPL-3.0-or-later
// The metrics of freesel compare, against values worked out by hand or by brute force here.
#include "compare/comparison.h"
#include "compare/comparison_report.h"
#include "compare/line_chart.h"
#include "compare/selection_metrics.h"

#include <QTest>

#include <cmath>

using namespace freesel;

namespace {

/// One row per image, in 2-D.
PatternPool globalPool(const std::vector<std::pair<float, float>>& points) {
    PatternPool pool(2);
    for (const auto& [x, y] : points) {
        const float row[2] = {x, y};
        pool.addImage(row, 1);
    }
    return pool;
}

/// Unit vector at `degrees`.
std::pair<float, float> pointAt(double degrees) {
    const double r = degrees * M_PI / 180.0;
    return {float(std::cos(r)), float(std::sin(r))};
}

double cosineDistance(double degreesApart) {
    return 1.0 - std::cos(degreesApart * M_PI / 180.0);
}

/// C(n, k) as a double (small n only).
double choose(int n, int k) {
    if (k < 0 || k > n)
        return 0;
    double c = 1;
    for (int i = 1; i <= k; ++i)
        c = c * (n - k + i) / i;
    return c;
}

} // namespace

class TestSelectionMetrics : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void globalCoverageIsTheDistanceToTheNearestSelected() {
        // Images at 0, 10, 60 and 90 degrees; selecting 0 and 90: the others lie 10 and 30
        // degrees from their nearest selected image. Lengths differ to rule out a metric that
        // forgets to normalise (the distance is cosine, not Euclidean).
        PatternPool pool = globalPool({pointAt(0), pointAt(10), pointAt(60), pointAt(90)});
        pool.pattern(1)[0] *= 3;
        pool.pattern(1)[1] *= 3;
        const GlobalCoverage c = globalCoverage(pool, {0, 3});
        const double expectedMean = (0 + cosineDistance(10) + cosineDistance(30) + 0) / 4;
        QVERIFY(std::abs(c.meanDistance - expectedMean) < 1e-6);
        QVERIFY(std::abs(c.radius - cosineDistance(30)) < 1e-6);
        // The order of the selection does not matter; the set does.
        QVERIFY(std::abs(globalCoverage(pool, {3, 0}).radius - c.radius) < 1e-9);
    }

    void patternCoverageCurveFollowsThePicks() {
        // Image 0 has patterns at 0 and 90 degrees, image 1 one at 45, image 2 one at 90.
        PatternPool pool(2);
        const float first[4] = {1, 0, 0, 1};
        const float second[2] = {float(std::sqrt(0.5)), float(std::sqrt(0.5))};
        const float third[2] = {0, 2};
        pool.addImage(first, 2);
        pool.addImage(second, 1);
        pool.addImage(third, 1);
        const std::vector<double> curve = patternCoverageCurve(pool, {1, 0}, 1);
        QCOMPARE(curve.size(), size_t(2));
        // After image 1 (45 degrees): every other pattern is 45 degrees away.
        QVERIFY(std::abs(curve[0] - 3 * cosineDistance(45) / 4) < 1e-5);
        // After image 0 too: the pattern at 90 (image 2) is covered exactly, all are.
        QVERIFY(std::abs(curve[1]) < 1e-5);
        // Picking image 2 first covers image 0's second pattern and itself only.
        const std::vector<double> other = patternCoverageCurve(pool, {2}, 1);
        QVERIFY(std::abs(other[0] - (cosineDistance(90) + cosineDistance(45)) / 4) < 1e-5);
    }

    void redundancyFindsDuplicates() {
        const PatternPool pool = globalPool({pointAt(0), pointAt(0), pointAt(90), pointAt(60)});
        // 0 and 1 are the same image: each has a twin (similarity 1); 2's nearest is 1 (cos 90).
        const double expected = (1.0 + 1.0 + 0.0) / 3.0;
        QVERIFY(std::abs(redundancy(pool, {0, 1, 2}) - expected) < 1e-6);
        QVERIFY(std::abs(redundancy(pool, {2, 3}) - std::cos(30 * M_PI / 180)) < 1e-6);
        QCOMPARE(redundancy(pool, {2}), 0.0);
    }

    void labelMetricsFromTheHistograms() {
        // Pool: three of class 0, two of class 1, one of class 2, one unlabelled.
        const std::vector<int> labels = {0, 0, 0, 1, 1, 2, -1};
        const LabelMetrics m = labelMetrics(labels, 3, {0, 3, 6});
        QCOMPARE(m.classes, 3);
        QCOMPARE(m.classesCovered, 2);
        // Selected labelled: one of 0, one of 1 -> q = (1/2, 1/2, 0), p = (3/6, 2/6, 1/6).
        QVERIFY(std::abs(m.entropy - std::log(2.0)) < 1e-12);
        const double kl = 0.5 * std::log(0.5 / 0.5) + 0.5 * std::log(0.5 / (2.0 / 6.0));
        QVERIFY(std::abs(m.klDivergence - kl) < 1e-12);
        QCOMPARE(m.smallestClassShare, 0.0); // class 2 was missed
        const LabelMetrics all = labelMetrics(labels, 3, {0, 3, 5});
        QVERIFY(std::abs(all.smallestClassShare - 1.0 / 3.0) < 1e-12);
        QVERIFY(std::abs(all.klDivergence - (std::log(2.0 / 3.0) / 3 + std::log(1.0) / 3 +
                                             std::log(2.0) / 3)) < 1e-12);
        // A selection of one class only: no entropy, KL = ln(1 / p_0), two classes missed.
        const LabelMetrics single = labelMetrics(labels, 3, {0, 1, 2});
        QCOMPARE(single.classesCovered, 1);
        QCOMPARE(single.entropy, 0.0);
        QVERIFY(std::abs(single.klDivergence - std::log(2.0)) < 1e-12);
        QCOMPARE(single.smallestClassShare, 0.0);
        // A class the pool never shows is not counted, nor can it be missed.
        QCOMPARE(labelMetrics(labels, 5, {0}).classes, 3);
    }

    void instancesCountEveryBox() {
        const std::vector<std::vector<int>> boxes = {{0, 0, 1}, {}, {2}, {1}};
        const InstanceMetrics m = instanceMetrics(boxes, {0, 3});
        QCOMPARE(m.instances, int64_t(4));
        QCOMPARE(m.categoriesCovered, 2);
    }

    void randomExpectationMatchesEnumeration() {
        // N = 7 images in classes of sizes 3, 2, 1 (one unlabelled): average the classes
        // covered over every subset of size B, by brute force.
        const std::vector<int> labels = {0, 0, 0, 1, 1, 2, -1};
        for (int budget = 0; budget <= 7; ++budget) {
            double total = 0;
            int subsets = 0;
            for (int mask = 0; mask < (1 << 7); ++mask) {
                if (__builtin_popcount(unsigned(mask)) != budget)
                    continue;
                bool seen[3] = {false, false, false};
                for (int i = 0; i < 7; ++i)
                    if ((mask >> i) & 1 && labels[size_t(i)] >= 0)
                        seen[labels[size_t(i)]] = true;
                total += seen[0] + seen[1] + seen[2];
                ++subsets;
            }
            QCOMPARE(double(subsets), choose(7, budget));
            const double expected = expectedClassesCoveredByRandom({3, 2, 1}, 7, budget);
            QVERIFY2(std::abs(expected - total / subsets) < 1e-9,
                     qPrintable(QStringLiteral("B=%1: %2 vs %3")
                                    .arg(budget)
                                    .arg(expected)
                                    .arg(total / subsets)));
        }
    }

    void budgetsAndStrategiesAreParsedOrRefused() {
        const std::vector<BudgetSpec> budgets = parseBudgetList(QStringLiteral("1%, 5%,40"));
        QCOMPARE(budgets.size(), size_t(3));
        QCOMPARE(budgets[0].resolve(250), int64_t(3)); // 2.5 rounds away from zero
        QCOMPARE(budgets[2].resolve(250), int64_t(40));
        QCOMPARE(budgets[2].resolve(30), int64_t(30)); // never more than the pool
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, budgets[0].resolve(40)); // 0.4 images
        for (const char* bad : {"0", "-5", "150%", "2.5", "ten"})
            try {
                parseBudgetList(QString::fromLatin1(bad));
                QFAIL(bad);
            } catch (const std::invalid_argument& e) {
                QVERIFY(QString::fromUtf8(e.what()).contains(QStringLiteral("--budgets")));
            }
        const std::vector<StrategyKind> kinds =
            parseStrategyList(QStringLiteral("random,freesel,random"));
        QCOMPARE(kinds.size(), size_t(2)); // duplicates once
        QCOMPARE(kinds[0], StrategyKind::Random);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parseStrategyList(QStringLiteral("best")));
    }

    void summariesAverageOverSeedsOnly() {
        std::vector<MetricValue> values;
        for (double v : {1.0, 2.0, 6.0})
            values.push_back({QStringLiteral("fds"), QStringLiteral("5%"), 10, 0, 0,
                              QStringLiteral("pattern_coverage"), v});
        values.push_back({QStringLiteral("random"), QStringLiteral("5%"), 10, -1, 0,
                          QStringLiteral("classes_covered"), 4.5}); // an expectation
        const std::vector<MetricSummary> s = summarise(values);
        QCOMPARE(s.size(), size_t(1));
        QCOMPARE(s[0].mean, 3.0);
        QCOMPARE(s[0].min, 1.0);
        QCOMPARE(s[0].max, 6.0);
        QVERIFY(std::abs(s[0].stddev - std::sqrt((4.0 + 1.0 + 9.0) / 2.0)) < 1e-12);
        ComparisonResult result;
        result.values = values;
        const QStringList csv = comparisonCsv(result).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(csv.size(), 5);
        QCOMPARE(csv[0], QStringLiteral("strategy,budget,images,seed,metric,value"));
        QCOMPARE(csv[3], QStringLiteral("fds,5%,10,0,pattern_coverage,6"));
        QCOMPARE(csv[4], QStringLiteral("random,5%,10,expected,classes_covered,4.5"));
    }

    void ticksAreRoundAndCoverTheRange() {
        // (0.118 - 0.063) / 5 = 0.011 per tick: the next round step is 2 x 10^-2.
        const std::vector<double> t = niceTicks(0.063, 0.118, 5);
        QCOMPARE(t.size(), size_t(4));
        QVERIFY(std::abs(t.front() - 0.06) < 1e-12 && std::abs(t.back() - 0.12) < 1e-12);
        for (size_t i = 1; i < t.size(); ++i)
            QVERIFY(std::abs((t[i] - t[i - 1]) - 0.02) < 1e-12);
        LineChart chart;
        chart.title = QStringLiteral("a < b & c");
        chart.series.push_back({QStringLiteral("s"), {1, 2}, {3, 4}, {}, {}, true});
        const QString svg = chartSvg(chart);
        QVERIFY(svg.startsWith(QStringLiteral("<svg")));
        QVERIFY(svg.contains(QStringLiteral("a &lt; b &amp; c"))); // escaped
        QCOMPARE(svg.count(QStringLiteral("<circle")), 2);
    }
};

QTEST_GUILESS_MAIN(TestSelectionMetrics)
#include "test_selection_metrics.moc"
