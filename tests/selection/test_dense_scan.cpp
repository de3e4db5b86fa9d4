// SPDX-License-Identifier: GPL-3.0-or-later
// The dense scan of exact pruned D^2 sampling (DistanceSamplingOptions::denseScan): the 8-bit
// dots of a row with many queries at once (packed_query_dots.h) must be the exact integer sums
// on every path, and scanning densely must select the same images with the same D bits and
// coverage as testing pair by pair, and as the float64 reference.
#include "selection/distance_sampling.h"
#include "selection/packed_query_dots.h"
#include "support/synthetic_pool.h"

#include <QtTest>
#include <cmath>

using namespace freesel;
using namespace freesel::testing;

namespace {

SelectionResult select(const PatternPool& pool, DenseScan scan, const std::vector<int>& seeds,
                       int threads, DistanceSamplingStats& stats) {
    DistanceSamplingOptions options;
    options.denseScan = scan;
    options.seedImages = seeds;
    options.threads = threads;
    return distanceSampling(pool, 150, 5, options, &stats);
}

} // namespace

class TestDenseScan : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void packedSumsAreExactOnEveryPath();
    void selectsWhatThePairScanSelects_data();
    void selectsWhatThePairScanSelects();
};

void TestDenseScan::packedSumsAreExactOnEveryPath() {
    // Dimensions with and without a partial last quad; query counts across one to five blocks
    // of 16 (the kernel takes up to four blocks per pass); the extreme codes included.
    Gaussian gaussian(17);
    for (int dims : {1, 3, 5, 63, 64, 65, 384, 385}) {
        for (int count : {1, 5, 16, 17, 40, 64, 65, 80}) {
            std::vector<uint8_t> rows(size_t(3) * dims);
            for (uint8_t& v : rows)
                v = uint8_t(1 + gaussian.random().uniformIndex(255));
            std::vector<std::vector<int8_t>> queries(count, std::vector<int8_t>(dims));
            for (auto& query : queries)
                for (int8_t& v : query)
                    v = int8_t(int(gaussian.random().uniformIndex(255)) - 127);
            rows[0] = 255;
            queries[0][0] = -127;
            std::vector<const int8_t*> codes;
            for (const auto& query : queries)
                codes.push_back(query.data());
            PackedQueries packed;
            packQueries(codes.data(), count, dims, packed);
            QCOMPARE(packed.count, count);
            QVERIFY(packed.lanes() >= count && packed.lanes() < count + 16);
            // Four rows, one repeated (a short tile is padded so).
            const uint8_t* tile[4] = {&rows[0], &rows[size_t(dims)], &rows[0],
                                      &rows[size_t(2) * dims]};
            std::vector<int32_t> fast(size_t(4) * packed.lanes(), -1);
            std::vector<int32_t> portable(fast.size(), -1);
            packedQueryDots(tile, packed, fast.data());
            packedQueryDotsPortable(tile, packed, portable.data());
            for (int r = 0; r < 4; ++r)
                for (int k = 0; k < packed.lanes(); ++k) {
                    int64_t exact = 0;
                    for (int i = 0; k < count && i < dims; ++i)
                        exact += int64_t(tile[r][i]) * int64_t(queries[k][i]);
                    const size_t at = size_t(r) * packed.lanes() + k;
                    QCOMPARE(int64_t(fast[at]), exact);
                    QCOMPARE(int64_t(portable[at]), exact);
                }
        }
    }
}

void TestDenseScan::selectsWhatThePairScanSelects_data() {
    QTest::addColumn<bool>("onFile");
    QTest::addColumn<bool>("seeded");
    QTest::addColumn<int>("threads");
    QTest::newRow("in memory, 1 thread") << false << false << 1;
    QTest::newRow("in memory, 2 threads") << false << false << 2;
    QTest::newRow("labelled images first") << false << true << 2;
    QTest::newRow("rows on file") << true << false << 2;
}

void TestDenseScan::selectsWhatThePairScanSelects() {
    QFETCH(bool, onFile);
    QFETCH(bool, seeded);
    QFETCH(int, threads);
    // Groups of about 60 rows and 10 concepts: early batches reach most rows of most groups
    // (dense), later ones a few groups with a few queries (pair by pair with Auto).
    const PatternPool memory = makeClusteredPool(3000, 48, 10, 5, 0.5, 23);
    const PatternPool pool = onFile ? copyToFile(memory) : memory;
    const std::vector<int> seeds = seeded ? std::vector<int>{7, 1500, 2999} : std::vector<int>{};
    DistanceSamplingStats pairStats, denseStats, autoStats;
    const SelectionResult pairs = select(pool, DenseScan::Never, seeds, threads, pairStats);
    const SelectionResult dense = select(pool, DenseScan::Always, seeds, threads, denseStats);
    const SelectionResult automatic = select(pool, DenseScan::Auto, seeds, threads, autoStats);
    QCOMPARE(pairStats.denseEvaluations, int64_t(0));
    QVERIFY(denseStats.denseEvaluations > 0);
    QCOMPARE(denseStats.denseEvaluations, denseStats.distanceEvaluations);
    if (packedQueryDotsAreFast()) // both scans, each where it pays
        QVERIFY2(autoStats.denseEvaluations > 0 &&
                     autoStats.denseEvaluations < autoStats.distanceEvaluations,
                 qPrintable(QStringLiteral("%1 of %2")
                                .arg(autoStats.denseEvaluations)
                                .arg(autoStats.distanceEvaluations)));
    else
        QCOMPARE(autoStats.denseEvaluations, int64_t(0));
    QCOMPARE(pairs.picks.size(), size_t(150));
    for (const SelectionResult* other : {&dense, &automatic}) {
        QCOMPARE(imagesOf(*other), imagesOf(pairs));
        for (size_t k = 0; k < pairs.picks.size(); ++k) // the same bits (NaN for a first pick)
            QVERIFY(other->picks[k].score == pairs.picks[k].score ||
                    (std::isnan(other->picks[k].score) && std::isnan(pairs.picks[k].score)));
        QCOMPARE(other->coverage, pairs.coverage);
    }
    const auto reference = referenceDistanceSampling(memory, 150, 5, false, true, seeds);
    QCOMPARE(dense.picks.size(), reference.size());
    for (size_t k = 0; k < reference.size(); ++k) {
        QCOMPARE(dense.picks[k].image, reference[k].image);
        if (!std::isnan(dense.picks[k].score))
            QVERIFY(std::abs(dense.picks[k].score - reference[k].score) <
                    2e-6 * std::max(1.0, reference[k].score));
    }
}

QTEST_GUILESS_MAIN(TestDenseScan)
#include "test_dense_scan.moc"
