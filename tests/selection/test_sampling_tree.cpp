// SPDX-License-Identifier: GPL-3.0-or-later
// SumTree (core/selection/sampling_tree.h): totals and draws equal a plain prefix scan over the
// weights, through every kind of update, at sizes around the tree's fan-out and levels.
#include "selection/sampling_tree.h"

#include <QtTest>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

using namespace freesel;

class TestSamplingTree : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void drawsMatchAPrefixScan_data();
    void drawsMatchAPrefixScan();
    void threadedUpdatesEqualSingleUpdates_data();
    void threadedUpdatesEqualSingleUpdates();
};

namespace {
/// The first leaf whose running sum exceeds target (the definition findByMass implements).
int64_t scanForMass(const std::vector<uint64_t>& weights, uint64_t target) {
    uint64_t running = 0;
    for (size_t leaf = 0; leaf < weights.size(); ++leaf) {
        running += weights[leaf];
        if (running > target)
            return static_cast<int64_t>(leaf);
    }
    return -1;
}
} // namespace

void TestSamplingTree::drawsMatchAPrefixScan_data() {
    QTest::addColumn<int>("leaves");
    for (int leaves : {1, 7, 8, 9, 63, 64, 65, 513, 4097})
        QTest::newRow(qPrintable(QString::number(leaves))) << leaves;
}

void TestSamplingTree::drawsMatchAPrefixScan() {
    QFETCH(int, leaves);
    std::mt19937_64 random(leaves);
    SumTree tree(leaves);
    std::vector<uint64_t> weights(size_t(leaves), 0);
    QCOMPARE(tree.total(), uint64_t(0));
    for (int round = 0; round < 6; ++round) {
        // Raise, lower and zero weights (a lower D, a selected row); a lowered weight moves
        // the sums by a wrapped (modular) difference. Weights below 2^51: no true sum wraps.
        for (int update = 0; update < 3 * leaves; ++update) {
            const auto leaf = static_cast<int64_t>(random() % uint64_t(leaves));
            const uint64_t kind = random() % 4;
            const uint64_t weight = kind == 0 ? 0 : random() >> (kind == 1 ? 13 : 40);
            tree.set(leaf, weight);
            weights[size_t(leaf)] = weight;
        }
        uint64_t total = 0;
        for (uint64_t w : weights)
            total += w;
        QCOMPARE(tree.total(), total);
        for (int leaf = 0; leaf < leaves; ++leaf)
            QCOMPARE(tree.weight(leaf), weights[size_t(leaf)]);
        if (total == 0)
            continue;
        std::vector<uint64_t> targets = {0, total - 1};
        uint64_t running = 0; // the edges: the last unit of each leaf and the first of the next
        for (uint64_t w : weights) {
            running += w;
            if (running > 0)
                targets.push_back(running - 1);
            if (running < total)
                targets.push_back(running);
        }
        for (int k = 0; k < 200; ++k)
            targets.push_back(random() % total);
        for (uint64_t target : targets) {
            const int64_t leaf = tree.findByMass(target);
            QCOMPARE(leaf, scanForMass(weights, target));
            QVERIFY(weights[size_t(leaf)] > 0);
        }
    }
}

void TestSamplingTree::threadedUpdatesEqualSingleUpdates_data() {
    QTest::addColumn<int>("leaves");
    // One level; split at the leaves; split one level up (4097 leaves: 513 sums) and higher.
    for (int leaves : {5, 4096, 4097, 40000, 300000})
        QTest::newRow(qPrintable(QString::number(leaves))) << leaves;
}

/// The evaluating threads' path (setBelowSplit from three threads at once, each owning the
/// leaves of its residue, then refreshAboveSplit) leaves the tree that one update at a time
/// leaves: weights, total and draws.
void TestSamplingTree::threadedUpdatesEqualSingleUpdates() {
    QFETCH(int, leaves);
    std::mt19937_64 random(leaves + 1);
    SumTree single(leaves), threaded(leaves);
    constexpr int kThreads = 3;
    for (int round = 0; round < 4; ++round) {
        std::vector<std::pair<int64_t, uint64_t>> updates;
        for (int update = 0; update < leaves / 2 + 1; ++update) {
            const auto leaf = static_cast<int64_t>(random() % uint64_t(leaves));
            updates.emplace_back(leaf, random() % 4 == 0 ? 0 : random() >> 20);
        }
        for (const auto& [leaf, weight] : updates)
            single.set(leaf, weight);
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&, t] {
                for (const auto& [leaf, weight] : updates) // a leaf's updates in order
                    if (leaf % kThreads == t) {
                        threaded.prefetchBelowSplit(leaf);
                        threaded.setBelowSplit(leaf, weight);
                    }
            });
        for (std::thread& thread : threads)
            thread.join();
        threaded.refreshAboveSplit();
        QCOMPARE(threaded.total(), single.total());
        for (int leaf = 0; leaf < leaves; ++leaf)
            QCOMPARE(threaded.weight(leaf), single.weight(leaf));
        for (int k = 0; k < 500 && single.total() > 0; ++k) {
            const uint64_t target = random() % single.total();
            QCOMPARE(threaded.findByMass(target), single.findByMass(target));
        }
    }
}

QTEST_GUILESS_MAIN(TestSamplingTree)
#include "test_sampling_tree.moc"
