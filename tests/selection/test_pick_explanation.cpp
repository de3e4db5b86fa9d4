// SPDX-License-Identifier: GPL-3.0-or-later
// "Why was this picked" (core/selection/pick_explanation.h): hand-derived distances, and the
// sampler's own scores recomputed after the fact.
#include "selection/distance_sampling.h"
#include "selection/pick_explanation.h"
#include "support/synthetic_pool.h"

#include <QtTest>
#include <cmath>

using namespace freesel;
using freesel::testing::poolOfVectors;

namespace {

/// A pool of `images` images with 1-4 random patterns each.
PatternPool randomPool(int images, int dims, uint64_t seed) {
    std::mt19937_64 random(seed);
    std::normal_distribution<float> normal;
    PatternPool pool(dims);
    for (int i = 0; i < images; ++i) {
        const int count = 1 + int(random() % 4);
        std::vector<float> rows(size_t(count * dims));
        for (float& v : rows)
            v = normal(random);
        pool.addImage(rows.data(), count);
    }
    return pool;
}

std::vector<int> imagesOf(const SelectionResult& result) {
    std::vector<int> order;
    for (const Pick& pick : result.picks)
        order.push_back(pick.image);
    return order;
}

} // namespace

class TestPickExplanation : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void handDerivedEuclidean() {
        // image 0 {(0,0)}, image 1 {(3,0), (0,1)}, image 2 {(10,0)}; order 0, 2, 1.
        const PatternPool pool = poolOfVectors({{{0, 0}}, {{3, 0}, {0, 1}}, {{10, 0}}});
        const PickExplanation e = explainPick(pool, {0, 2, 1}, 3, DistanceMetric::Euclidean);
        QCOMPARE(e.image, 1);
        QVERIFY(!e.uniform);
        QCOMPARE(e.patternDistances.size(), size_t(2));
        QVERIFY(std::abs(e.patternDistances[0] - 3.0) < 1e-9); // (3,0) to (0,0); (10,0) is 7
        QVERIFY(std::abs(e.patternDistances[1] - 1.0) < 1e-9); // (0,1) to (0,0)
        QCOMPARE(e.farthestPattern, 0);
        QVERIFY(std::abs(e.farthestDistance - 3.0) < 1e-9);
        QCOMPARE(e.nearestImage, 0);
        QCOMPARE(e.nearestRank, 1);
        QVERIFY(std::abs(e.nearestDistance - 1.0) < 1e-9);
    }
    void handDerivedCosine() {
        // (0,1) is orthogonal to (1,0): 1 - 0; (1,1) is at 45 degrees: 1 - 1/sqrt(2).
        const PatternPool pool = poolOfVectors({{{1, 0}}, {{0, 1}, {1, 1}}});
        const PickExplanation e = explainPick(pool, {0, 1}, 2);
        QVERIFY(std::abs(e.patternDistances[0] - 1.0) < 1e-6);
        QVERIFY(std::abs(e.patternDistances[1] - (1.0 - 1.0 / std::sqrt(2.0))) < 1e-6);
        QCOMPARE(e.farthestPattern, 0);
        QVERIFY(std::abs(e.nearestDistance - (1.0 - 1.0 / std::sqrt(2.0))) < 1e-6);
    }
    void firstPickIsUniform() {
        const PatternPool pool = poolOfVectors({{{1, 0}}, {{0, 1}}});
        const PickExplanation e = explainPick(pool, {1, 0}, 1);
        QVERIFY(e.uniform);
        QCOMPARE(e.nearestImage, -1);
        QCOMPARE(e.farthestPattern, -1);
        QVERIFY(std::isnan(e.farthestDistance));
    }
    void seededImagesCountAsSelected() {
        // Image 2 (seeded, already labelled) is right next to image 1: it is the nearest,
        // with rank 0, and rank 1 is no longer a uniform draw.
        const PatternPool pool = poolOfVectors({{{0, 0}}, {{5, 0}}, {{5, 1}}});
        const PickExplanation e = explainPick(pool, {1, 0}, 1, DistanceMetric::Euclidean, {2});
        QVERIFY(!e.uniform);
        QCOMPARE(e.nearestImage, 2);
        QCOMPARE(e.nearestRank, 0);
        QVERIFY(std::abs(e.nearestDistance - 1.0) < 1e-9);
    }
    void farthestSamplingScoresAreTheFarthestPattern() {
        // FDS takes the row with the largest D: the D of the drawn image's farthest pattern
        // must equal the score the sampler recorded, at every rank.
        const PatternPool pool = randomPool(60, 8, 7);
        DistanceSamplingOptions options;
        options.rule = SamplingRule::Farthest;
        const SelectionResult result = distanceSampling(pool, 20, 3, options);
        const std::vector<int> order = imagesOf(result);
        for (int rank = 2; rank <= int(order.size()); ++rank) {
            const PickExplanation e = explainPick(pool, order, rank);
            QVERIFY2(std::abs(e.farthestDistance - result.picks[size_t(rank - 1)].score) < 1e-4,
                     qPrintable(QStringLiteral("rank %1").arg(rank)));
        }
    }
    void dSquaredScoreIsOneOfItsPatterns() {
        // D^2 sampling draws a row, not the farthest: its score is the D of one of the image's
        // patterns, and never above the farthest.
        const PatternPool pool = randomPool(60, 8, 11);
        const SelectionResult result = distanceSampling(pool, 20, 5, DistanceSamplingOptions{});
        const std::vector<int> order = imagesOf(result);
        for (int rank = 2; rank <= int(order.size()); ++rank) {
            const PickExplanation e = explainPick(pool, order, rank);
            const double score = result.picks[size_t(rank - 1)].score;
            bool found = false;
            for (double d : e.patternDistances)
                found = found || std::abs(d - score) < 1e-4;
            QVERIFY2(found, qPrintable(QStringLiteral("rank %1 score %2").arg(rank).arg(score)));
            QVERIFY(score <= e.farthestDistance + 1e-4);
        }
    }
    void refusesARankOutsideTheOrder() {
        const PatternPool pool = poolOfVectors({{{1, 0}}, {{0, 1}}});
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, explainPick(pool, {0, 1}, 0));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, explainPick(pool, {0, 1}, 3));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, explainPick(pool, {0, 7}, 2));
    }
};

QTEST_APPLESS_MAIN(TestPickExplanation)
#include "test_pick_explanation.moc"
