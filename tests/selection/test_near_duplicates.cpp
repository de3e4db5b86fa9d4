// SPDX-License-Identifier: GPL-3.0-or-later
// Near-duplicate groups from global features (core/selection/near_duplicates.h).
#include "selection/near_duplicates.h"

#include <QtTest>
#include <cmath>
#include <random>
#include <set>

using namespace freesel;

namespace {

PatternPool globalOf(const std::vector<std::vector<float>>& rows) {
    PatternPool pool(int(rows.front().size()));
    for (const auto& row : rows)
        pool.addImage(row.data(), 1);
    return pool;
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
    double dot = 0, na = 0, nb = 0;
    for (size_t k = 0; k < a.size(); ++k) {
        dot += double(a[k]) * b[k];
        na += double(a[k]) * a[k];
        nb += double(b[k]) * b[k];
    }
    return dot / std::sqrt(na * nb);
}

} // namespace

class TestNearDuplicates : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void groupsAndTheKeptImage() {
        // a, b nearly parallel (cos 0.995); c alone; e = 2 d (cos 1, a larger copy).
        const PatternPool pool =
            globalOf({{1, 0, 0}, {0.99f, 0.1f, 0}, {0, 1, 0}, {0, 0, 1}, {0, 0, 2}});
        const auto groups = findNearDuplicates(pool, 0.95, {10, 10, 10, 10, 40}, false);
        QCOMPARE(groups.size(), size_t(2));
        QCOMPARE(groups[0].members, (std::vector<int>{0, 1}));
        QCOMPARE(groups[0].keep, 0); // a tie: the first in pool order
        QVERIFY(std::abs(groups[0].minSimilarity - 0.99 / std::sqrt(0.99 * 0.99 + 0.01)) < 1e-5);
        QCOMPARE(groups[1].members, (std::vector<int>{3, 4}));
        QCOMPARE(groups[1].keep, 4); // the larger preference
        QVERIFY(std::abs(groups[1].maxSimilarity - 1.0) < 1e-6);
    }
    void aChainIsOneGroup() {
        // 0 and 2 are 40 degrees apart (cos 0.766), each 20 degrees from 1 (cos 0.940).
        const double r = M_PI / 180.0;
        const PatternPool pool = globalOf({{1, 0},
                                           {float(std::cos(20 * r)), float(std::sin(20 * r))},
                                           {float(std::cos(40 * r)), float(std::sin(40 * r))}});
        const auto groups = findNearDuplicates(pool, std::cos(25 * r), {}, false);
        QCOMPARE(groups.size(), size_t(1));
        QCOMPARE(groups[0].members, (std::vector<int>{0, 1, 2}));
        QVERIFY(std::abs(groups[0].minSimilarity - std::cos(20 * r)) < 1e-5);
        QVERIFY(findNearDuplicates(pool, std::cos(15 * r), {}, false).empty());
    }
    void matchesABruteForceScan() {
        // 300 random rows (more than one block of the product) with 20 planted noisy copies.
        std::mt19937_64 random(5);
        std::normal_distribution<float> normal;
        std::vector<std::vector<float>> rows(300, std::vector<float>(32));
        for (auto& row : rows)
            for (float& v : row)
                v = normal(random);
        for (int k = 0; k < 20; ++k) {
            std::vector<float> copy = rows[size_t(k * 7)];
            for (float& v : copy)
                v += 0.05f * normal(random);
            rows.push_back(copy);
        }
        const double threshold = 0.95;
        std::set<int> expected;
        for (size_t i = 0; i < rows.size(); ++i)
            for (size_t j = i + 1; j < rows.size(); ++j)
                if (cosine(rows[i], rows[j]) >= threshold) {
                    expected.insert(int(i));
                    expected.insert(int(j));
                }
        std::set<int> found;
        for (const DuplicateGroup& group : findNearDuplicates(globalOf(rows), threshold, {}, false))
            found.insert(group.members.begin(), group.members.end());
        QCOMPARE(found, expected);
        QVERIFY(found.size() >= 40);
    }
    void centringSeparatesACommonOffset() {
        // Positive features sharing a large offset: raw cosines are all above 0.99, so every
        // image would be a near-duplicate of every other. Less the mean (10.5, 10.25, 10.25,
        // 10.25), only the exact copy (rows 0 and 3) stays above 0.95 (at 1).
        const PatternPool pool =
            globalOf({{11, 10, 10, 10}, {10, 11, 10, 10}, {10, 10, 11, 11}, {11, 10, 10, 10}});
        QCOMPARE(findNearDuplicates(pool, 0.95, {}, false).size(), size_t(1));
        QCOMPARE(findNearDuplicates(pool, 0.95, {}, false)[0].members.size(), size_t(4));
        const auto centred = findNearDuplicates(pool, 0.95);
        QCOMPARE(centred.size(), size_t(1));
        QCOMPARE(centred[0].members, (std::vector<int>{0, 3}));
    }
    void refusesAThresholdOutsideItsRange() {
        const PatternPool pool = globalOf({{1, 0}, {0, 1}});
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, findNearDuplicates(pool, 0.0));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, findNearDuplicates(pool, 1.5));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, findNearDuplicates(pool, 0.9, {1.0}));
    }
};

QTEST_APPLESS_MAIN(TestNearDuplicates)
#include "test_near_duplicates.moc"
