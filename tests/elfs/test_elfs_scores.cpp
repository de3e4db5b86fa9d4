// SPDX-License-Identifier: GPL-3.0-or-later
// ELFS scores and selection (docs/ALGORITHM.md sections E2-E3) from hand-built logit
// sequences and hand-worked windows and CCS allocations.
#include "elfs/coreset_window.h"
#include "elfs/training_dynamics.h"

#include <QtTest>

#include <cmath>
#include <numeric>
#include <set>

using namespace freesel;

namespace {

/// Logits whose softmax is exactly `p`.
std::vector<float> logitsOf(std::initializer_list<double> p) {
    std::vector<float> z;
    for (double v : p)
        z.push_back(float(std::log(v)));
    return z;
}

void recordOne(TrainingDynamics& dynamics, int64_t sample, const std::vector<float>& z, int epoch) {
    dynamics.record(&sample, z.data(), 1, epoch);
}

} // namespace

class TestElfsScores : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void aumSumsProbabilityMargins() {
        TrainingDynamics dynamics({1, 0}, 3);
        // Sample 0 (label 1): margins 0.3 - 0.5 = -0.2, 0.6 - 0.3 = 0.3, 0.4 - 0.4 = 0.
        recordOne(dynamics, 0, logitsOf({0.5, 0.3, 0.2}), 0);
        recordOne(dynamics, 0, logitsOf({0.3, 0.6, 0.1}), 1);
        recordOne(dynamics, 0, logitsOf({0.4, 0.4, 0.2}), 2);
        // Sample 1 (label 0): 0.7 - 0.2 = 0.5 twice.
        recordOne(dynamics, 1, logitsOf({0.7, 0.2, 0.1}), 0);
        recordOne(dynamics, 1, logitsOf({0.7, 0.1, 0.2}), 1);
        const DynamicsScores s = dynamics.scores();
        QVERIFY(std::abs(s.aum[0] - 0.1) < 1e-6);
        QVERIFY(std::abs(s.aum[1] - 1.0) < 1e-6);
    }

    void forgettingStartsUnlearned() {
        TrainingDynamics dynamics({0, 0, 0, 0}, 2);
        const auto right = logitsOf({0.8, 0.2}), wrong = logitsOf({0.3, 0.7});
        // 0: wrong right wrong right wrong -> 2; 1: right wrong -> 1 (learned at epoch 0);
        // 2: never learned -> 0; 3: always right -> 0.
        const std::vector<std::vector<bool>> sequences = {
            {false, true, false, true, false}, {true, false}, {false, false, false}, {true, true}};
        for (size_t i = 0; i < sequences.size(); ++i)
            for (size_t t = 0; t < sequences[i].size(); ++t)
                recordOne(dynamics, int64_t(i), sequences[i][t] ? right : wrong, int(t));
        const DynamicsScores s = dynamics.scores();
        QCOMPARE(s.forgetting, (std::vector<double>{2, 1, 0, 0}));
    }

    void el2nSumsOnlyTheFirstTenEpochs() {
        TrainingDynamics dynamics({0}, 3);
        for (int t = 0; t < 10; ++t)
            recordOne(dynamics, 0, logitsOf({0.5, 0.3, 0.2}), t);
        recordOne(dynamics, 0, logitsOf({0.1, 0.1, 0.8}), 10);
        recordOne(dynamics, 0, logitsOf({0.1, 0.8, 0.1}), 11);
        // ||(0.5, 0.3, 0.2) - (1, 0, 0)|| = sqrt(0.25 + 0.09 + 0.04)
        QVERIFY(std::abs(dynamics.scores().el2n[0] - 10 * std::sqrt(0.38)) < 1e-6);
    }

    void batchesRecordTheirRows() {
        TrainingDynamics dynamics({0, 1}, 2);
        const std::vector<int64_t> samples = {1, 0};
        std::vector<float> logits = logitsOf({0.9, 0.1});
        const auto second = logitsOf({0.6, 0.4});
        logits.insert(logits.end(), second.begin(), second.end());
        dynamics.record(samples.data(), logits.data(), 2, 0);
        const DynamicsScores s = dynamics.scores();
        QVERIFY(std::abs(s.aum[1] - (0.1 - 0.9)) < 1e-6);
        QVERIFY(std::abs(s.aum[0] - (0.6 - 0.4)) < 1e-6);
    }

    void labelsOutOfRangeAreRefused() {
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, TrainingDynamics({0, 3}, 3));
    }

    void hardnessOrderPerScore() {
        const std::vector<double> score = {0.5, -1.0, 0.5, 2.0};
        QCOMPARE(hardnessOrder(score, ElfsScore::Aum), (std::vector<int>{1, 0, 2, 3}));
        QCOMPARE(hardnessOrder(score, ElfsScore::Forgetting), (std::vector<int>{3, 0, 2, 1}));
        QCOMPARE(hardnessOrder(score, ElfsScore::El2n), (std::vector<int>{3, 0, 2, 1}));
    }

    void windowEdgeCases() {
        const std::vector<int> order = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
        // beta = 0: the c hardest.
        QCOMPARE(doubleEndWindow(order, 3, 0.0).images, (std::vector<int>{9, 8, 7}));
        // m = floor(0.35 * 10) = 3: skip three, keep the next four.
        QCOMPARE(doubleEndWindow(order, 4, 0.35).images, (std::vector<int>{6, 5, 4, 3}));
        // m + c = N: the easiest c (the official slice returned nothing here).
        const WindowSelection full = doubleEndWindow(order, 4, 0.6);
        QCOMPARE(full.images, (std::vector<int>{3, 2, 1, 0}));
        QVERIFY(!full.clamped);
        // m + c > N: beta clamped to 1 - r and said.
        const WindowSelection clamped = doubleEndWindow(order, 4, 0.8);
        QVERIFY(clamped.clamped);
        QCOMPARE(clamped.dropped, int64_t(6));
        QVERIFY(std::abs(clamped.beta - 0.6) < 1e-12);
        QVERIFY(!clamped.note.empty());
        QCOMPARE(clamped.images, (std::vector<int>{3, 2, 1, 0}));
        // r = 1: everything, whatever beta.
        QCOMPARE(doubleEndWindow(order, 10, 0.4).images, order);
        QCOMPARE(doubleEndWindow(order, 50, 0.0).images, order);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, doubleEndWindow(order, 3, 1.0));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, doubleEndWindow(order, 3, -0.1));
    }

    void defaultBetaFollowsTheTable() {
        QVERIFY(std::abs(defaultElfsBeta(0.1) - 0.7) < 1e-12);
        QVERIFY(std::abs(defaultElfsBeta(0.3) - 0.4) < 1e-12);
        QVERIFY(std::abs(defaultElfsBeta(0.4) - 0.3) < 1e-12); // halfway 0.4 .. 0.2
        QVERIFY(std::abs(defaultElfsBeta(0.05) - 0.7) < 1e-12);
        QVERIFY(std::abs(defaultElfsBeta(0.95) - 0.05) < 1e-12); // 0.1 clamped to 1 - r
        QCOMPARE(defaultElfsBeta(1.0), 0.0);
    }

    void ccsAllocationHandCases() {
        // Smallest first: 0 -> 0 (share 2), 1 -> 1 (share 2), 5 -> 3 (share 7/2), 10 -> 4.
        QCOMPARE(allocateStrata({5, 1, 0, 10}, 8), (std::vector<int64_t>{3, 1, 0, 4}));
        QCOMPARE(allocateStrata({5, 1, 0, 10}, 100), (std::vector<int64_t>{5, 1, 0, 10}));
        QCOMPARE(allocateStrata({4, 4, 4}, 7), (std::vector<int64_t>{2, 2, 3}));
        // The sum is min(c, pool) for arbitrary sizes and budgets.
        uint64_t state = 7;
        for (int trial = 0; trial < 200; ++trial) {
            std::vector<int64_t> sizes(size_t(1 + trial % 50));
            for (int64_t& s : sizes)
                s = int64_t((state = state * 6364136223846793005ULL + 1) >> 59);
            const int64_t pool = std::accumulate(sizes.begin(), sizes.end(), int64_t{0});
            const int64_t budget = trial % 40;
            const auto allocation = allocateStrata(sizes, budget);
            QCOMPARE(std::accumulate(allocation.begin(), allocation.end(), int64_t{0}),
                     std::min(budget, pool));
            for (size_t i = 0; i < sizes.size(); ++i)
                QVERIFY(allocation[i] <= sizes[i]);
        }
    }

    void ccsDrawsOnePerStratumOfPairs() {
        // Scores 0..99 in 50 strata of width 99.0001 / 50: stratum j holds {2j, 2j + 1}.
        std::vector<double> score(100);
        std::iota(score.begin(), score.end(), 0.0);
        const std::vector<int> order = hardnessOrder(score, ElfsScore::Aum);
        const WindowSelection a = ccsSelection(order, score, 50, 0.0, 11);
        QCOMPARE(int(a.images.size()), 50);
        for (int j = 0; j < 50; ++j)
            QCOMPARE(int(std::count_if(a.images.begin(), a.images.end(),
                                       [&](int i) { return i / 2 == j; })),
                     1);
        QCOMPARE(ccsSelection(order, score, 50, 0.0, 11).images, a.images);
        // beta drops the 20 hardest (lowest AUM) before stratifying.
        const WindowSelection b = ccsSelection(order, score, 30, 0.2, 3);
        QCOMPARE(int(b.images.size()), 30);
        QCOMPARE(int(std::set<int>(b.images.begin(), b.images.end()).size()), 30);
        for (int i : b.images)
            QVERIFY(i >= 20);
    }
};

QTEST_APPLESS_MAIN(TestElfsScores)
#include "test_elfs_scores.moc"
