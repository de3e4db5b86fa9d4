// SPDX-License-Identifier: GPL-3.0-or-later
// Continued rounds (issue 18): images already labelled seed the selection and are never picked
// again; excluded images are never candidates. The image lists users pass for them.
#include "image/image_list.h"
#include "selection/distance_sampling.h"
#include "selection/kmeans_selection.h"
#include "selection/selection.h"
#include "support/synthetic_pool.h"

#include <QTemporaryDir>
#include <QtTest>
#include <set>

using namespace freesel;
using namespace freesel::testing;

namespace {

SelectionResult run(StrategyKind kind, const PatternPool& pool, int64_t budget, uint64_t seed,
                    const std::vector<int>& labeled = {}, const std::vector<int>& excluded = {},
                    DistanceMetric metric = DistanceMetric::Cosine) {
    SelectionRequest request;
    request.budget = budget;
    request.seed = seed;
    request.metric = metric;
    request.labeled = labeled;
    request.excluded = excluded;
    return makeSelectionStrategy(kind)->select(pool, request);
}

std::set<int> setOf(const std::vector<int>& images) {
    return {images.begin(), images.end()};
}

void writeFile(const QString& path, const QByteArray& bytes) {
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(bytes);
}

std::vector<PoolEntry> poolAt(const QString& root, const QStringList& relative) {
    std::vector<PoolEntry> pool;
    for (const QString& name : relative)
        pool.push_back({root + QLatin1Char('/') + name, name, 1, 0, -1, 0, 0});
    return pool;
}

} // namespace

class TestContinuedRounds : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void fiftyThenFiftyEqualsOneHundred_data();
    void fiftyThenFiftyEqualsOneHundred();
    void seededDSquaredMatchesTheFloat64Reference_data();
    void seededDSquaredMatchesTheFloat64Reference();
    void labeledImagesAreNeverPickedAndTheBudgetCountsNewOnes_data();
    void labeledImagesAreNeverPickedAndTheBudgetCountsNewOnes();
    void excludedImagesAreNeverCandidatesAndSeedNothing();
    void kMeansKeepsLabeledImagesAsFixedCentres();
    void kMeansFixedCentresDoNotMove();
    void indicesOutOfRangeAreRefused();
    void imageListsReadListsCsvAndExports();
    void imageListsNameTheFileTheyCannotUse();
    void namesMatchPoolEntriesByPathOrTrailingComponents();
};

void TestContinuedRounds::fiftyThenFiftyEqualsOneHundred_data() {
    QTest::addColumn<int>("kind");
    QTest::newRow("fds") << int(StrategyKind::Fds);
    QTest::newRow("kcenter") << int(StrategyKind::KCenter);
}

// The issue's test: FDS (and k-center) after the first pick are deterministic, so a second
// round seeded with the first round's 50 must continue exactly where one run of 100 went.
void TestContinuedRounds::fiftyThenFiftyEqualsOneHundred() {
    QFETCH(int, kind);
    const auto strategy = static_cast<StrategyKind>(kind);
    const PatternPool pool = strategy == StrategyKind::KCenter
                                 ? makeClusteredPool(400, 16, 20, 1, 0.5, 5)
                                 : makeClusteredPool(400, 16, 20, 4, 0.5, 5);
    const DistanceMetric metric =
        strategy == StrategyKind::KCenter ? DistanceMetric::Euclidean : DistanceMetric::Cosine;
    const std::vector<int> hundred = imagesOf(run(strategy, pool, 100, 7, {}, {}, metric));
    const std::vector<int> first = imagesOf(run(strategy, pool, 50, 7, {}, {}, metric));
    QCOMPARE(first, std::vector<int>(hundred.begin(), hundred.begin() + 50));
    const std::vector<int> second = imagesOf(run(strategy, pool, 50, 7, first, {}, metric));
    QCOMPARE(second, std::vector<int>(hundred.begin() + 50, hundred.end()));
}

void TestContinuedRounds::seededDSquaredMatchesTheFloat64Reference_data() {
    QTest::addColumn<bool>("cosine");
    QTest::addColumn<bool>("pruning");
    QTest::newRow("cosine pruned") << true << true;
    QTest::newRow("cosine naive") << true << false;
    QTest::newRow("euclidean pruned") << false << true;
}

void TestContinuedRounds::seededDSquaredMatchesTheFloat64Reference() {
    QFETCH(bool, cosine);
    QFETCH(bool, pruning);
    const PatternPool pool = makeClusteredPool(300, 24, 12, 5, 0.6, 31);
    const std::vector<int> seeds = {4, 77, 150, 151, 299};
    for (uint64_t seed : {1u, 2u}) {
        const auto reference = referenceDistanceSampling(pool, 60, seed, false, cosine, seeds);
        DistanceSamplingOptions options;
        options.metric = cosine ? DistanceMetric::Cosine : DistanceMetric::Euclidean;
        options.pruning = pruning;
        options.seedImages = seeds;
        const SelectionResult result = distanceSampling(pool, 60, seed, options);
        QCOMPARE(result.picks.size(), reference.size());
        for (size_t k = 0; k < reference.size(); ++k) {
            QCOMPARE(result.picks[k].image, reference[k].image);
            // Seeded, even the first pick is a D^2 draw with a D.
            QVERIFY2(std::abs(result.picks[k].score - reference[k].score) <
                         2e-6 * std::max(1.0, reference[k].score),
                     qPrintable(QStringLiteral("rank %1: %2 vs %3")
                                    .arg(k)
                                    .arg(result.picks[k].score)
                                    .arg(reference[k].score)));
        }
    }
}

void TestContinuedRounds::labeledImagesAreNeverPickedAndTheBudgetCountsNewOnes_data() {
    QTest::addColumn<int>("kind");
    for (StrategyKind kind : {StrategyKind::FreeSel, StrategyKind::Fds, StrategyKind::Random,
                              StrategyKind::KCenter, StrategyKind::KMeans})
        QTest::newRow(strategyName(kind).c_str()) << int(kind);
}

void TestContinuedRounds::labeledImagesAreNeverPickedAndTheBudgetCountsNewOnes() {
    QFETCH(int, kind);
    const auto strategy = static_cast<StrategyKind>(kind);
    const bool global = strategy == StrategyKind::KCenter || strategy == StrategyKind::KMeans ||
                        strategy == StrategyKind::Random;
    const PatternPool pool = makeClusteredPool(120, 12, 8, global ? 1 : 3, 0.5, 3);
    std::vector<int> labeled;
    for (int image = 0; image < 120; image += 3)
        labeled.push_back(image); // 40 labelled
    const SelectionResult result = run(strategy, pool, 30, 11, labeled);
    QCOMPARE(int(result.picks.size()), 30);
    const std::set<int> picked = setOf(imagesOf(result));
    QCOMPARE(int(picked.size()), 30);
    for (int image : labeled)
        QVERIFY2(!picked.count(image), qPrintable(QStringLiteral("picked labelled %1").arg(image)));
    // A budget beyond the unlabelled images takes exactly those.
    QCOMPARE(int(run(strategy, pool, 500, 11, labeled).picks.size()), 80);
}

// Exclusion removes candidates without seeding: the selection equals one over the pool without
// those images (same seed), mapped back to the full pool's indices.
void TestContinuedRounds::excludedImagesAreNeverCandidatesAndSeedNothing() {
    const PatternPool pool = makeClusteredPool(200, 16, 10, 3, 0.5, 17);
    std::vector<int> excluded = {0, 5, 6, 7, 99, 199};
    std::vector<uint8_t> drop(200, 0);
    for (int image : excluded)
        drop[size_t(image)] = 1;
    std::vector<int> kept;
    const PatternPool smaller = poolWithout(pool, drop, kept);
    QCOMPARE(smaller.imageCount(), 194);
    for (StrategyKind kind : {StrategyKind::FreeSel, StrategyKind::Fds, StrategyKind::Random}) {
        const std::vector<int> withExclusion = imagesOf(run(kind, pool, 40, 3, {}, excluded));
        std::vector<int> expected;
        for (int image : imagesOf(run(kind, smaller, 40, 3)))
            expected.push_back(kept[size_t(image)]);
        QCOMPARE(withExclusion, expected);
        for (int image : excluded)
            QVERIFY(std::find(withExclusion.begin(), withExclusion.end(), image) ==
                    withExclusion.end());
    }
}

// Three tight, far-apart clusters of 20; the first is fully labelled (fixed centres), so the two
// free centres must settle on the other two clusters, one pick each.
void TestContinuedRounds::kMeansKeepsLabeledImagesAsFixedCentres() {
    PatternPool pool(2);
    const float centres[3][2] = {{0.f, 0.f}, {10.f, 0.f}, {0.f, 10.f}};
    for (int c = 0; c < 3; ++c)
        for (int i = 0; i < 20; ++i) {
            const float point[2] = {centres[c][0] + 0.01f * float(i % 5),
                                    centres[c][1] + 0.01f * float(i / 5)};
            pool.addImage(point, 1);
        }
    std::vector<int> labeled;
    for (int i = 0; i < 20; ++i)
        labeled.push_back(i);
    for (uint64_t seed : {1u, 2u, 3u}) {
        const std::vector<int> picks = imagesOf(kmeansSelection(pool, 2, seed, 1, labeled));
        QCOMPARE(int(picks.size()), 2);
        std::set<int> clusters;
        for (int image : picks)
            clusters.insert(image / 20);
        QCOMPARE(clusters, (std::set<int>{1, 2}));
    }
}

// Points 0, 1, ..., 10 on a line, 10 labelled, one free centre. With the labelled centre fixed
// at 10, Lloyd settles the free one at 3 (members 0..6: the boundary is (3 + 10) / 2); were the
// fixed centre allowed to follow its members (6..10, mean 8), the free one would end at 2.5.
void TestContinuedRounds::kMeansFixedCentresDoNotMove() {
    PatternPool pool(2);
    for (int x = 0; x <= 10; ++x) {
        const float point[2] = {float(x), 0.f};
        pool.addImage(point, 1);
    }
    for (uint64_t seed : {1u, 2u, 3u, 4u})
        QCOMPARE(imagesOf(kmeansSelection(pool, 1, seed, 1, {10})), std::vector<int>{3});
}

void TestContinuedRounds::indicesOutOfRangeAreRefused() {
    const PatternPool pool = makeClusteredPool(10, 4, 2, 1, 0.5, 1);
    try {
        run(StrategyKind::FreeSel, pool, 3, 1, {3, 10});
        QFAIL("an index past the pool was accepted");
    } catch (const std::invalid_argument& error) {
        QVERIFY(QString::fromUtf8(error.what()).contains(QStringLiteral("[0, 10)")));
        QVERIFY(QString::fromUtf8(error.what()).contains(QStringLiteral("labeled")));
    }
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             run(StrategyKind::Random, pool, 3, 1, {}, {-1}));
}

void TestContinuedRounds::imageListsReadListsCsvAndExports() {
    QTemporaryDir dir;
    const QString list = dir.filePath(QStringLiteral("list.txt"));
    writeFile(list, "# first round\n/pool/a.jpg\n\n  b/c.png  \r\n");
    QCOMPARE(readImageList(list).value(), (QStringList{"/pool/a.jpg", "b/c.png"}));
    const QString csv = dir.filePath(QStringLiteral("picks.csv"));
    writeFile(csv, "path,rank,score,selected\n/pool/a.jpg,1,0.5,1\n/pool/b.jpg,,,0\n"
                   "\"/pool/with, comma.jpg\",2,0.25,1\n");
    QCOMPARE(readImageList(csv).value(), (QStringList{"/pool/a.jpg", "/pool/with, comma.jpg"}));
    const QString coco = dir.filePath(QStringLiteral("coco.json"));
    writeFile(coco, R"({"images":[{"id":1,"file_name":"x/1.jpg"},{"id":2,"file_name":"2.jpg"}],
                       "annotations":[]})");
    QCOMPARE(readImageList(coco).value(), (QStringList{"x/1.jpg", "2.jpg"}));
    const QString studio = dir.filePath(QStringLiteral("labelstudio.json"));
    writeFile(studio, R"([{"data":{"image":"/data/local-files/?d=x%2F1.jpg"}}])");
    QCOMPARE(readImageList(studio).value(), (QStringList{"/data/local-files/?d=x%2F1.jpg"}));
}

void TestContinuedRounds::imageListsNameTheFileTheyCannotUse() {
    QTemporaryDir dir;
    const QString missing = dir.filePath(QStringLiteral("missing.txt"));
    Result<QStringList> result = readImageList(missing);
    QVERIFY(!result.ok());
    QVERIFY(result.message().contains(missing));
    const QString empty = dir.filePath(QStringLiteral("empty.txt"));
    writeFile(empty, "# nothing yet\n\n");
    result = readImageList(empty);
    QVERIFY(!result.ok());
    QVERIFY(result.message().contains(empty));
    QCOMPARE(result.error().category, ErrorCategory::UserInput);
    const QString broken = dir.filePath(QStringLiteral("broken.json"));
    writeFile(broken, "[{\"path\": ");
    result = readImageList(broken);
    QVERIFY(!result.ok());
    QVERIFY(result.message().contains(QStringLiteral("not valid JSON")));
}

void TestContinuedRounds::namesMatchPoolEntriesByPathOrTrailingComponents() {
    const std::vector<PoolEntry> pool =
        poolAt(QStringLiteral("/data/pool"), {"x/1.jpg", "y/1.jpg", "2.jpg", "x/3.jpg"});
    const PoolImageMatch match = matchPoolImages(
        pool, {"/data/pool/2.jpg", "x/3.jpg", "/mnt/copy/of/y/1.jpg",
               "/data/local-files/?d=x%2F1.jpg", "2.jpg", "zzz.jpg", "/elsewhere/9.jpg"});
    QCOMPARE(match.poolIndices, (std::vector<int>{2, 3, 1, 0})); // repeats dropped
    QCOMPARE(match.unmatched, (QStringList{"zzz.jpg", "/elsewhere/9.jpg"}));
}

QTEST_GUILESS_MAIN(TestContinuedRounds)
#include "test_continued_rounds.moc"
