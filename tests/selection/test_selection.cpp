// SPDX-License-Identifier: GPL-3.0-or-later
// Selection strategies (docs/ALGORITHM.md sections 6 and 7).
#include "selection/distance_kernels.h"
#include "selection/distance_sampling.h"
#include "selection/random_selection.h"
#include "selection/selection.h"
#include "support/synthetic_pool.h"

#include <QtTest>
#include <cstring>
#include <map>
#include <numeric>
#include <set>

using namespace freesel;
using namespace freesel::testing;

namespace {

bool allDistinct(const std::vector<int>& images) {
    return std::set<int>(images.begin(), images.end()).size() == images.size();
}

SelectionResult run(StrategyKind kind, const PatternPool& pool, int64_t budget, uint64_t seed,
                    DistanceMetric metric = DistanceMetric::Cosine) {
    SelectionRequest request;
    request.budget = budget;
    request.seed = seed;
    request.metric = metric;
    return makeSelectionStrategy(kind)->select(pool, request);
}

} // namespace

class TestSelection : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void dSquaredDrawsFollowTheDistribution();
    void matchesTheFloat64Reference_data();
    void matchesTheFloat64Reference();
    void pruningChangesNothingButTheWork();
    void prefilterMarginsCoverWorstCaseRounding_data();
    void prefilterMarginsCoverWorstCaseRounding();
    void fdsPicksTheFarthestPatternsImage();
    void budgetsZeroOneAllAndMore_data();
    void budgetsZeroOneAllAndMore();
    void poolOfIdenticalImages();
    void coverageFallsToZero();
    void replayMeasuresAGivenOrder();
    void kCenterIsGreedyFarthestOnGlobalFeatures();
    void kMeansTakesOneImagePerCluster();
    void randomIsReproducibleAndDistinct();
    void refusesBadInput();
    void coverageIsTheMeanNearestDistance();
    void farthestTiesGoToTheLowerImage();
    void kMeansRepresentativesAndOrder();
    void randomOrdersAreUniform();
    void strategiesDeclareTheirInput();
};

void TestSelection::dSquaredDrawsFollowTheDistribution() {
    // 5 images, 1-2 patterns in 3-D. For each first pick f, the second pick must be image j
    // with probability sum_{p in j} D_p^2 / sum_p D_p^2. Chi-square over all f, alpha = 0.001.
    const PatternPool pool = poolOfVectors({{{1, 0, 0}},
                                            {{0.8f, 0.6f, 0}, {0, 0, 1}},
                                            {{0, 1, 0}},
                                            {{-1, 0.2f, 0}},
                                            {{0.5f, 0.5f, 0.7f}, {0.9f, 0, 0.1f}}});
    std::map<int, std::map<int, int>> counts;
    const int draws = 30000;
    for (int seed = 0; seed < draws; ++seed) {
        const auto images = imagesOf(run(StrategyKind::FreeSel, pool, 2, seed));
        ++counts[images[0]][images[1]];
    }
    double chiSquare = 0.0;
    int degreesOfFreedom = 0;
    for (int first = 0; first < 5; ++first) {
        // Expected probabilities from the float64 reference distances.
        std::vector<double> mass(5, 0.0);
        for (int64_t r = 0; r < pool.patternCount(); ++r) {
            if (pool.imageOf(r) == first)
                continue;
            double best = 2.0;
            for (int q = 0; q < pool.patternCountOf(first); ++q) {
                const float* a = pool.pattern(r);
                const float* b = pool.pattern(pool.firstPatternOf(first) + q);
                double dot = 0, na = 0, nb = 0;
                for (int k = 0; k < 3; ++k) {
                    dot += double(a[k]) * b[k];
                    na += double(a[k]) * a[k];
                    nb += double(b[k]) * b[k];
                }
                best = std::min(best, 1.0 - dot / std::sqrt(na * nb));
            }
            mass[pool.imageOf(r)] += best * best;
        }
        const double total = std::accumulate(mass.begin(), mass.end(), 0.0);
        int observedTotal = 0;
        for (const auto& [image, count] : counts[first])
            observedTotal += count;
        QVERIFY(observedTotal > 5000); // the first pick is uniform
        for (int image = 0; image < 5; ++image) {
            if (image == first)
                continue;
            const double expected = observedTotal * mass[image] / total;
            const double observed = counts[first][image];
            chiSquare += (observed - expected) * (observed - expected) / expected;
        }
        degreesOfFreedom += 3;
    }
    QCOMPARE(degreesOfFreedom, 15);
    QVERIFY2(chiSquare < 37.697,
             qPrintable(QStringLiteral("chi2 = %1").arg(chiSquare))); // chi2_{0.999}(15)
}

void TestSelection::matchesTheFloat64Reference_data() {
    QTest::addColumn<bool>("farthest");
    QTest::addColumn<bool>("cosine");
    QTest::addColumn<bool>("pruning");
    QTest::newRow("D^2 cosine pruned") << false << true << true;
    QTest::newRow("D^2 cosine naive") << false << true << false;
    QTest::newRow("D^2 euclidean pruned") << false << false << true;
    QTest::newRow("FDS cosine pruned") << true << true << true;
    QTest::newRow("FDS euclidean pruned") << true << false << true;
}

void TestSelection::matchesTheFloat64Reference() {
    QFETCH(bool, farthest);
    QFETCH(bool, cosine);
    QFETCH(bool, pruning);
    const PatternPool pool = makeClusteredPool(400, 24, 12, 5, 0.6, 99);
    const int64_t budget = 150;
    for (uint64_t seed : {1u, 2u, 3u}) {
        const auto reference = referenceDistanceSampling(pool, budget, seed, farthest, cosine);
        DistanceSamplingOptions options;
        options.rule = farthest ? SamplingRule::Farthest : SamplingRule::DSquared;
        options.metric = cosine ? DistanceMetric::Cosine : DistanceMetric::Euclidean;
        options.pruning = pruning;
        const SelectionResult result = distanceSampling(pool, budget, seed, options);
        QCOMPARE(result.picks.size(), reference.size());
        for (size_t k = 0; k < reference.size(); ++k) {
            QCOMPARE(result.picks[k].image, reference[k].image);
            if (k == 0) {
                QVERIFY(std::isnan(result.picks[k].score));
                continue;
            }
            const double tolerance = cosine ? 2e-6 : 2e-6 * std::max(1.0, reference[k].score);
            QVERIFY2(std::abs(result.picks[k].score - reference[k].score) < tolerance,
                     qPrintable(QStringLiteral("rank %1: %2 vs %3")
                                    .arg(k)
                                    .arg(result.picks[k].score)
                                    .arg(reference[k].score)));
        }
    }
}

void TestSelection::pruningChangesNothingButTheWork() {
    const PatternPool pool = makeClusteredPool(3000, 64, 40, 5, 0.35, 5);
    for (SamplingRule rule : {SamplingRule::DSquared, SamplingRule::Farthest}) {
        DistanceSamplingOptions naive;
        naive.rule = rule;
        naive.pruning = false;
        DistanceSamplingOptions pruned = naive;
        pruned.pruning = true;
        DistanceSamplingStats naiveStats, prunedStats;
        const auto a = distanceSampling(pool, 1000, 17, naive, &naiveStats);
        const auto b = distanceSampling(pool, 1000, 17, pruned, &prunedStats);
        QCOMPARE(imagesOf(a), imagesOf(b));
        for (size_t k = 1; k < a.picks.size(); ++k)
            QCOMPARE(a.picks[k].score, b.picks[k].score); // bit for bit
        QCOMPARE(a.coverage, b.coverage);
        QCOMPARE(naiveStats.distanceEvaluations, naiveStats.candidatePairs);
        // The bounds must actually skip most of the work on clustered data.
        QVERIFY2(prunedStats.distanceEvaluations < naiveStats.distanceEvaluations / 3,
                 qPrintable(QStringLiteral("%1 of %2 evaluated")
                                .arg(prunedStats.distanceEvaluations)
                                .arg(naiveStats.distanceEvaluations)));
        // The group and top bounds, not only the per-row ones, must skip most rows (4% of the
        // pairs are checked here; with bounds never tightened after a step, all of them).
        QVERIFY2(prunedStats.rowChecks < naiveStats.candidatePairs / 5,
                 qPrintable(QStringLiteral("%1 of %2 pairs checked")
                                .arg(prunedStats.rowChecks)
                                .arg(naiveStats.candidatePairs)));
    }
}

void TestSelection::prefilterMarginsCoverWorstCaseRounding_data() {
    QTest::addColumn<bool>("roundedQuery");
    QTest::newRow("the row rounds badly") << false;
    QTest::newRow("the query rounds badly") << true;
}

void TestSelection::prefilterMarginsCoverWorstCaseRounding() {
    // The 8-bit prefilter's error bound |x - x^| |q| + |x^| |q - q^| is reached when one
    // vector's rounding error points along the other. Here `skewed` has a spike that sets its
    // scale and 63 components just short of half a step past a code, so all 63 round down by
    // 0.45 steps, and `flat` lies exactly along those errors (and quantises without error).
    // Image A (labelled) sits a hair farther from C than B is; FDS picks B first (farthest from
    // A), and B must then lower C's D. The rough dot of B and C underestimates their true dot by
    // ~0.027, far more than the hair (0.01): without the full margin the pair (or C's group)
    // would be ruled out and C would keep A's distance.
    QFETCH(bool, roundedQuery);
    const int dims = 65;
    std::vector<double> skewed(dims, 0.0), flat(dims, 0.0);
    skewed[0] = 127.0;
    for (int i = 1; i < 64; ++i) {
        skewed[size_t(i)] = 3.45;
        flat[size_t(i)] = 1.0;
    }
    const auto unit = [](std::vector<double> v) {
        double n2 = 0.0;
        for (double x : v)
            n2 += x * x;
        for (double& x : v)
            x /= std::sqrt(n2);
        return v;
    };
    skewed = unit(skewed);
    flat = unit(flat);
    const std::vector<double>& b = roundedQuery ? skewed : flat; // B's row is the query
    const std::vector<double>& c = roundedQuery ? flat : skewed; // C's row is the candidate
    double bc = 0.0;
    for (int i = 0; i < dims; ++i)
        bc += b[size_t(i)] * c[size_t(i)];
    const double ac = bc - 0.01; // A: at cos(theta) = bc - 0.01 from C, along a spare axis
    std::vector<double> a(dims);
    for (int i = 0; i < dims; ++i)
        a[size_t(i)] = ac * c[size_t(i)];
    a[size_t(dims - 1)] = std::sqrt(1.0 - ac * ac);
    PatternPool pool(dims);
    const std::vector<const std::vector<double>*> rows = {&a, &b, &c};
    for (const std::vector<double>* row : rows) {
        std::vector<float> values(row->begin(), row->end());
        pool.addImage(values.data(), 1);
    }
    for (DenseScan scan : {DenseScan::Never, DenseScan::Always}) { // both 8-bit tests
        DistanceSamplingOptions options;
        options.rule = SamplingRule::Farthest;
        options.seedImages = {0};
        options.threads = 1;
        options.denseScan = scan;
        const SelectionResult result = distanceSampling(pool, 2, 1, options);
        QCOMPARE(imagesOf(result), (std::vector<int>{1, 2}));
        // C's D is its distance to B, not the larger distance to A.
        QVERIFY2(std::abs(result.picks[1].score - (1.0 - bc)) < 2e-6,
                 qPrintable(QStringLiteral("%1 vs %2").arg(result.picks[1].score).arg(1.0 - bc)));
    }
}

void TestSelection::fdsPicksTheFarthestPatternsImage() {
    // a = (1,0), b close to a, c opposite a, d orthogonal. Whatever comes first, the second
    // pick is the image whose pattern is farthest from it: from a (or b) that is c; from c or
    // d it is a (D(d, a) = 1 beats D(d, c) = 0.95).
    const PatternPool pool = poolOfVectors({{{1, 0}}, {{0.9f, 0.1f}}, {{-1, 0.05f}}, {{0, 1}}});
    const std::map<int, int> farthestFrom = {{0, 2}, {1, 2}, {2, 0}, {3, 0}};
    std::set<int> firsts;
    for (uint64_t seed = 0; seed < 40; ++seed) {
        const auto images = imagesOf(run(StrategyKind::Fds, pool, 2, seed));
        firsts.insert(images[0]);
        QCOMPARE(images[1], farthestFrom.at(images[0]));
    }
    QCOMPARE(firsts.size(), size_t(4));
    // From a: D(c) = 1 - cos(a, c), the score that picked c.
    for (uint64_t seed = 0; seed < 40; ++seed) {
        const auto result = run(StrategyKind::Fds, pool, 2, seed);
        if (result.picks[0].image == 0) {
            const double expected = 1.0 + 1.0 / std::sqrt(1.0 + 0.05 * 0.05);
            QVERIFY(std::abs(result.picks[1].score - expected) < 1e-6);
            return;
        }
    }
    QFAIL("no seed started from image 0");
}

void TestSelection::budgetsZeroOneAllAndMore_data() {
    QTest::addColumn<int>("strategy");
    for (auto kind : {StrategyKind::FreeSel, StrategyKind::Fds, StrategyKind::Random,
                      StrategyKind::KCenter, StrategyKind::KMeans})
        QTest::newRow(strategyName(kind).c_str()) << int(kind);
}

void TestSelection::budgetsZeroOneAllAndMore() {
    QFETCH(int, strategy);
    const auto kind = StrategyKind(strategy);
    const int images = 60;
    const int perImage = makeSelectionStrategy(kind)->usesPatterns() ? 4 : 1;
    const PatternPool pool = makeClusteredPool(images, 16, 6, perImage, 0.5, 3, true);
    QCOMPARE(run(kind, pool, 0, 1).picks.size(), size_t(0));
    QCOMPARE(run(kind, pool, 1, 1).picks.size(), size_t(1));
    for (int64_t budget : {int64_t(images), int64_t(images + 25)}) {
        const auto selected = imagesOf(run(kind, pool, budget, 1));
        QCOMPARE(selected.size(), size_t(images));
        QVERIFY(allDistinct(selected));
    }
}

void TestSelection::poolOfIdenticalImages() {
    std::vector<std::vector<std::vector<float>>> same(30, {{0.3f, 0.4f, 0.5f}, {1, 0, 0}});
    const PatternPool pool = poolOfVectors(same);
    for (auto kind : {StrategyKind::FreeSel, StrategyKind::Fds}) {
        const auto result = run(kind, pool, 30, 8);
        QVERIFY(allDistinct(imagesOf(result)));
        QCOMPARE(result.picks.size(), size_t(30));
        for (size_t k = 1; k < result.picks.size(); ++k)
            QCOMPARE(result.picks[k].score, 0.0); // nothing is farther than anything else
        QVERIFY(imagesOf(result) != imagesOf(run(kind, pool, 30, 9))); // still seeded
        // Every pick after the first is uniform over the rest, not the lowest index of the
        // zero-distance rows (rules out taking duplicates by index in farthest-first).
        std::set<int> seconds;
        for (uint64_t seed = 0; seed < 20; ++seed)
            seconds.insert(run(kind, pool, 2, seed).picks[1].image);
        QVERIFY(seconds.size() > 2);
    }
}

void TestSelection::coverageFallsToZero() {
    const PatternPool pool = makeClusteredPool(200, 16, 10, 5, 0.5, 4);
    const auto result = run(StrategyKind::FreeSel, pool, 200, 5);
    QCOMPARE(result.coverage.size(), size_t(200));
    for (size_t k = 1; k < result.coverage.size(); ++k)
        QVERIFY(result.coverage[k] <= result.coverage[k - 1] + 1e-9);
    QVERIFY(std::abs(result.coverage.back()) < 1e-9);
    QVERIFY(result.coverage.front() > 0.1);
}

void TestSelection::replayMeasuresAGivenOrder() {
    const PatternPool pool = makeClusteredPool(100, 16, 8, 3, 0.5, 6);
    const auto sampled = run(StrategyKind::FreeSel, pool, 40, 2);
    DistanceSamplingOptions replay;
    replay.rule = SamplingRule::Replay;
    replay.replayOrder = imagesOf(sampled);
    const auto replayed = distanceSampling(pool, 40, 999, replay);
    QCOMPARE(imagesOf(replayed), imagesOf(sampled));
    QCOMPARE(replayed.coverage, sampled.coverage);
}

void TestSelection::kCenterIsGreedyFarthestOnGlobalFeatures() {
    const PatternPool pool = makeClusteredPool(300, 8, 5, 1, 1.0, 12);
    const auto result = run(StrategyKind::KCenter, pool, 50, 4, DistanceMetric::Euclidean);
    const auto reference = referenceDistanceSampling(pool, 50, 4, true, false);
    QCOMPARE(result.picks.size(), reference.size());
    for (size_t k = 0; k < reference.size(); ++k)
        QCOMPARE(result.picks[k].image, reference[k].image);
}

void TestSelection::kMeansTakesOneImagePerCluster() {
    // Four tight, far-apart clusters of 10 images; budget 4 must take one image from each.
    std::vector<std::vector<std::vector<float>>> images;
    RandomStream random(3);
    const float centres[4][2] = {{0, 0}, {100, 0}, {0, 100}, {100, 100}};
    for (int c = 0; c < 4; ++c)
        for (int i = 0; i < 10; ++i)
            images.push_back({{centres[c][0] + float(random.uniform01()),
                               centres[c][1] + float(random.uniform01())}});
    const PatternPool pool = poolOfVectors(images);
    const auto selected = imagesOf(run(StrategyKind::KMeans, pool, 4, 7));
    std::set<int> clusters;
    for (int image : selected)
        clusters.insert(image / 10);
    QCOMPARE(clusters.size(), size_t(4));
}

void TestSelection::randomIsReproducibleAndDistinct() {
    const PatternPool pool = makeClusteredPool(500, 4, 3, 1, 0.5, 1);
    const auto a = imagesOf(run(StrategyKind::Random, pool, 100, 21));
    QCOMPARE(a, imagesOf(run(StrategyKind::Random, pool, 100, 21)));
    QVERIFY(a != imagesOf(run(StrategyKind::Random, pool, 100, 22)));
    QVERIFY(allDistinct(a));
}

void TestSelection::refusesBadInput() {
    const PatternPool pool = makeClusteredPool(10, 4, 3, 1, 0.5, 1);
    try {
        run(StrategyKind::FreeSel, pool, -1, 0);
        QFAIL("negative budget accepted");
    } catch (const std::invalid_argument& error) {
        QCOMPARE(QString::fromUtf8(error.what()), QStringLiteral("budget must be >= 0, got -1"));
    }
    try {
        parseStrategyKind("greedy");
        QFAIL("unknown strategy accepted");
    } catch (const std::invalid_argument& error) {
        QVERIFY(QString::fromUtf8(error.what()).contains(QStringLiteral("freesel, fds, random")));
    }
    PatternPool bad(2);
    const float values[] = {1.0f, std::nanf("")};
    bad.addImage(values, 1);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, run(StrategyKind::FreeSel, bad, 1, 0));
}

void TestSelection::coverageIsTheMeanNearestDistance() {
    // Coverage after k picks, computed here from its definition (docs/ALGORITHM.md section 7): the
    // mean over ALL pattern rows of the Euclidean distance to the nearest pattern of a picked
    // image. Rules out a mean over images instead of rows, or a sum that is not lowered.
    const PatternPool pool = makeClusteredPool(60, 6, 5, 4, 0.5, 31);
    const auto result = run(StrategyKind::FreeSel, pool, 25, 3, DistanceMetric::Euclidean);
    QCOMPARE(result.coverage.size(), size_t(25));
    std::vector<double> nearest(size_t(pool.patternCount()), std::numeric_limits<double>::max());
    for (size_t k = 0; k < result.picks.size(); ++k) {
        const int image = result.picks[k].image;
        for (int64_t row = 0; row < pool.patternCount(); ++row) {
            for (int q = 0; q < pool.patternCountOf(image); ++q) {
                const float* a = pool.pattern(row);
                const float* b = pool.pattern(pool.firstPatternOf(image) + q);
                double sum = 0.0;
                for (int i = 0; i < pool.dims(); ++i)
                    sum += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
                nearest[size_t(row)] = std::min(nearest[size_t(row)], std::sqrt(sum));
            }
        }
        const double expected =
            std::accumulate(nearest.begin(), nearest.end(), 0.0) / double(nearest.size());
        QVERIFY2(
            std::abs(result.coverage[k] - expected) < 1e-5 * std::max(1.0, expected),
            qPrintable(
                QStringLiteral("pick %1: %2 vs %3").arg(k).arg(result.coverage[k]).arg(expected)));
    }
}

void TestSelection::farthestTiesGoToTheLowerImage() {
    // From a = (1, 0), b = (0, 1) and c = (0, -1) are both exactly D = 1 away: FDS breaks the
    // tie towards the lower image (so the order never depends on the tree's layout). Rules out
    // ties that go to the higher row.
    const PatternPool pool = poolOfVectors({{{1, 0}}, {{0, 1}}, {{0, -1}}});
    bool fromA = false;
    for (uint64_t seed = 0; seed < 30; ++seed) {
        const auto images = imagesOf(run(StrategyKind::Fds, pool, 2, seed));
        if (images[0] == 0) {
            QCOMPARE(images[1], 1);
            fromA = true;
        }
    }
    QVERIFY(fromA);
}

void TestSelection::kMeansRepresentativesAndOrder() {
    // Four far-apart clusters of 13, 10, 8 and 5 images. Expected, computed here: each cluster's
    // member nearest to its mean, largest cluster first. Rules out centres divided by the pool
    // size instead of the cluster's, and the smallest cluster first.
    const int sizes[4] = {8, 13, 5, 10};
    const float centres[4][2] = {{0, 0}, {100, 0}, {0, 100}, {100, 100}};
    std::vector<std::vector<std::vector<float>>> images;
    std::vector<int> clusterOf;
    RandomStream random(3);
    for (int c = 0; c < 4; ++c)
        for (int i = 0; i < sizes[c]; ++i) {
            images.push_back({{centres[c][0] + float(random.uniform01()),
                               centres[c][1] + float(random.uniform01())}});
            clusterOf.push_back(c);
        }
    std::vector<int> expected;
    for (int c : {1, 3, 0, 2}) { // by size, descending
        double mx = 0.0, my = 0.0;
        for (size_t i = 0; i < images.size(); ++i)
            if (clusterOf[i] == c) {
                mx += images[i][0][0] / double(sizes[c]);
                my += images[i][0][1] / double(sizes[c]);
            }
        int best = -1;
        double bestDistance = 1e300;
        for (size_t i = 0; i < images.size(); ++i) {
            const double d = std::hypot(images[i][0][0] - mx, images[i][0][1] - my);
            if (clusterOf[i] == c && d < bestDistance) {
                bestDistance = d;
                best = int(i);
            }
        }
        expected.push_back(best);
    }
    const PatternPool pool = poolOfVectors(images);
    for (uint64_t seed : {7u, 8u, 9u})
        QCOMPARE(imagesOf(run(StrategyKind::KMeans, pool, 4, seed)), expected);
}

void TestSelection::randomOrdersAreUniform() {
    // All 6 orders of 3 images, 12,000 seeds: each order 2,000 +- 45 (one sigma). The naive
    // shuffle (swap with any position) gives 4/27 or 5/27 (1,778 or 2,222): rules it out.
    std::map<std::vector<int>, int> counts;
    for (uint64_t seed = 0; seed < 12000; ++seed)
        ++counts[imagesOf(randomSelection(3, 3, seed))];
    QCOMPARE(counts.size(), size_t(6));
    for (const auto& [order, count] : counts)
        QVERIFY2(count > 1850 && count < 2150, qPrintable(QString::number(count)));
}

void TestSelection::strategiesDeclareTheirInput() {
    // docs/ALGORITHM.md section 6: FreeSel and FDS work on semantic patterns, the baselines on one
    // global feature per image.
    QVERIFY(makeSelectionStrategy(StrategyKind::FreeSel)->usesPatterns());
    QVERIFY(makeSelectionStrategy(StrategyKind::Fds)->usesPatterns());
    QVERIFY(!makeSelectionStrategy(StrategyKind::KCenter)->usesPatterns());
    QVERIFY(!makeSelectionStrategy(StrategyKind::KMeans)->usesPatterns());
    QVERIFY(!makeSelectionStrategy(StrategyKind::Random)->usesPatterns());
}

QTEST_APPLESS_MAIN(TestSelection)
#include "test_selection.moc"
