// SPDX-License-Identifier: GPL-3.0-or-later
// Pools whose float rows live in a file (issue 18, select_1m_rss_mb): the rows read back
// unchanged, and distance sampling over them keeps only an 8-bit copy resident yet selects
// exactly what it selects in memory (same picks, same D bits, same coverage) and what the
// float64 reference selects.
#include "patterns/pattern_pool.h"
#include "selection/distance_sampling.h"
#include "support/synthetic_pool.h"

#include <QtTest>
#include <cmath>
#include <limits>
#include <stdexcept>

using namespace freesel;
using namespace freesel::testing;

class TestRowsOnFile : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void rowsReadBackUnchanged();
    void selectsWhatMemorySelects_data();
    void selectsWhatMemorySelects();
    void nonFiniteRowIsNamed_data();
    void nonFiniteRowIsNamed();
    void hugeFiniteRowIsAccepted();
};

void TestRowsOnFile::rowsReadBackUnchanged() {
    PatternPool pool = PatternPool::withRowsInFile(3);
    const float first[] = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f};
    const float third[] = {-1.5f, 0.25f, 1e-30f};
    pool.addImage(first, 2);
    pool.addImage(nullptr, 0);
    pool.addImage(third, 1);
    QVERIFY(pool.rowsInFile());
    QCOMPARE(pool.imageCount(), 3);
    QCOMPARE(pool.patternCount(), int64_t(3));
    QCOMPARE(pool.imageOf(2), 2);
    float rows[6] = {};
    pool.readRows(1, 2, rows);
    const float expected[] = {4.0f, 5.0f, 6.0f, -1.5f, 0.25f, 1e-30f};
    for (int k = 0; k < 6; ++k)
        QCOMPARE(rows[k], expected[k]);
    QVERIFY(pool.memoryBytes() < int64_t(3 * 3 * sizeof(float) + 256)); // no float rows held
    PatternPool copy = pool;
    pool.readRows(0, 1, rows);
    QCOMPARE(rows[2], 3.0f);
    // The copy shares the file: only the pool that wrote the last row may append.
    pool.addImage(third, 1);
    QVERIFY_THROWS_EXCEPTION(std::logic_error, copy.addImage(third, 1));
}

void TestRowsOnFile::selectsWhatMemorySelects_data() {
    QTest::addColumn<bool>("farthest");
    QTest::addColumn<bool>("cosine");
    QTest::addColumn<bool>("prefilter");
    QTest::addColumn<bool>("seeded");
    QTest::newRow("D^2 cosine") << false << true << true << false;
    QTest::newRow("D^2 cosine, no prefilter") << false << true << false << false;
    QTest::newRow("D^2 cosine, labelled seeds") << false << true << true << true;
    QTest::newRow("D^2 euclidean") << false << false << true << false;
    QTest::newRow("FDS cosine") << true << true << true << false;
}

void TestRowsOnFile::selectsWhatMemorySelects() {
    QFETCH(bool, farthest);
    QFETCH(bool, cosine);
    QFETCH(bool, prefilter);
    QFETCH(bool, seeded);
    const PatternPool pool = makeClusteredPool(600, 48, 15, 5, 0.5, 31);
    const std::vector<int> seeds = seeded ? std::vector<int>{7, 300, 599} : std::vector<int>{};
    DistanceSamplingOptions options;
    options.rule = farthest ? SamplingRule::Farthest : SamplingRule::DSquared;
    options.metric = cosine ? DistanceMetric::Cosine : DistanceMetric::Euclidean;
    options.prefilter = prefilter;
    options.seedImages = seeds;
    options.threads = 2;
    for (uint64_t seed : {3u, 4u}) {
        DistanceSamplingStats inMemory, onFile;
        const SelectionResult a = distanceSampling(pool, 200, seed, options, &inMemory);
        const SelectionResult b = distanceSampling(copyToFile(pool), 200, seed, options, &onFile);
        QCOMPARE(imagesOf(b), imagesOf(a));
        for (size_t k = 0; k < a.picks.size(); ++k)
            if (!std::isnan(a.picks[k].score))
                QCOMPARE(b.picks[k].score, a.picks[k].score); // bit for bit
        QCOMPARE(b.coverage, a.coverage);
        const auto reference = referenceDistanceSampling(pool, 200, seed, farthest, cosine, seeds);
        QCOMPARE(b.picks.size(), reference.size());
        for (size_t k = 0; k < reference.size(); ++k)
            QCOMPARE(b.picks[k].image, reference[k].image);
        // Only the 8-bit copy (a quarter of the float bytes) and the image tags stay resident.
        const int64_t floatBytes = pool.patternCount() * pool.dims() * int64_t(sizeof(float));
        QVERIFY2(onFile.rowBytes < floatBytes * 35 / 100,
                 qPrintable(QStringLiteral("%1 of %2").arg(onFile.rowBytes).arg(floatBytes)));
        QVERIFY(inMemory.rowBytes >= floatBytes);
    }
}

void TestRowsOnFile::nonFiniteRowIsNamed_data() {
    QTest::addColumn<bool>("onFile");
    QTest::addColumn<bool>("cosine");
    QTest::addColumn<float>("value");
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    QTest::newRow("on file, NaN") << true << true << nan;
    QTest::newRow("in memory, cosine, NaN") << false << true << nan;
    QTest::newRow("in memory, cosine, -inf") << false << true << -inf;
    QTest::newRow("in memory, Euclidean, inf") << false << false << inf;
}

/// Rows in memory are validated while they are normalised (cosine): a value that is not finite
/// is still named by its pattern and image, in either place.
void TestRowsOnFile::nonFiniteRowIsNamed() {
    QFETCH(bool, onFile);
    QFETCH(bool, cosine);
    QFETCH(float, value);
    PatternPool pool = onFile ? PatternPool::withRowsInFile(4) : PatternPool(4);
    const float good[] = {1.0f, 0.0f, 0.0f, 0.0f};
    const float bad[] = {0.0f, 1.0f, value, 0.0f};
    pool.addImage(good, 1);
    pool.addImage(bad, 1);
    DistanceSamplingOptions options;
    options.metric = cosine ? DistanceMetric::Cosine : DistanceMetric::Euclidean;
    try {
        distanceSampling(pool, 2, 1, options);
        QFAIL("a row that is not finite was accepted");
    } catch (const std::invalid_argument& error) {
        QVERIFY2(
            QString::fromStdString(error.what()).contains(QStringLiteral("pattern 1 of image 1")),
            error.what());
    }
}

/// A finite row whose squared norm overflows float (values of 1e30) is not refused: only a
/// value that is not finite is an error.
void TestRowsOnFile::hugeFiniteRowIsAccepted() {
    PatternPool pool(4);
    const float good[] = {1.0f, 0.0f, 0.0f, 0.0f};
    const float huge[] = {1e30f, 0.0f, 0.0f, 0.0f};
    pool.addImage(good, 1);
    pool.addImage(huge, 1);
    QCOMPARE(int(distanceSampling(pool, 2, 1, DistanceSamplingOptions{}).picks.size()), 2);
}

QTEST_GUILESS_MAIN(TestRowsOnFile)
#include "test_rows_on_file.moc"
