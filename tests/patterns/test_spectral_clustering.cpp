// SPDX-License-Identifier: GPL-3.0-or-later
// Spectral clustering (ALGORITHM.md section 4) and its k-means.
#include "patterns/kmeans.h"
#include "patterns/spectral_clustering.h"
#include "util/random_stream.h"

#include <QtTest>
#include <set>

using namespace freesel;

namespace {

/// A symmetric affinity with planted blocks: weight ~1 inside a block, ~0.01 across, in a
/// shuffled patch order so the solver cannot rely on contiguity.
Eigen::SparseMatrix<double> plantedBlocks(const std::vector<int>& sizes, uint64_t seed,
                                          std::vector<int>& truth) {
    RandomStream random(seed);
    truth.clear();
    for (int block = 0; block < int(sizes.size()); ++block)
        truth.insert(truth.end(), sizes[block], block);
    for (int i = int(truth.size()) - 1; i > 0; --i) // Fisher-Yates
        std::swap(truth[i], truth[random.uniformIndex(i + 1)]);
    const int m = int(truth.size());
    Eigen::MatrixXd dense(m, m);
    for (int i = 0; i < m; ++i) {
        for (int j = 0; j <= i; ++j) {
            const double base = truth[i] == truth[j] ? 1.0 : 0.01;
            dense(i, j) = dense(j, i) = base * (0.8 + 0.4 * random.uniform01());
        }
    }
    return dense.sparseView();
}

/// True when two labelings describe the same partition (labels may be permuted).
bool samePartition(const std::vector<int>& a, const std::vector<int>& b) {
    if (a.size() != b.size())
        return false;
    std::set<std::pair<int, int>> pairs;
    for (size_t i = 0; i < a.size(); ++i)
        pairs.insert({a[i], b[i]});
    return pairs.size() == std::set<int>(a.begin(), a.end()).size() &&
           pairs.size() == std::set<int>(b.begin(), b.end()).size();
}

} // namespace

class TestSpectralClustering : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void recoversPlantedBlocks_data();
    void recoversPlantedBlocks();
    void denseAndLanczosSolversAgree();
    void fewerPatchesThanClustersGivesOnePatchPerCluster();
    void oneClusterHoldsEveryPatch();
    void sameSeedSameLabels();
    void embeddingRowsAreUnitLength();
    void kmeansSeparatesObviousGroups();
    void refusesBadClusterCount();
};

void TestSpectralClustering::recoversPlantedBlocks_data() {
    QTest::addColumn<int>("solver");
    QTest::addColumn<QList<int>>("sizes");
    QTest::newRow("dense, 3 blocks") << int(EigenSolverChoice::Dense) << QList<int>{10, 12, 8};
    QTest::newRow("lanczos, 3 blocks") << int(EigenSolverChoice::Lanczos) << QList<int>{30, 25, 40};
    QTest::newRow("auto, 5 blocks")
        << int(EigenSolverChoice::Automatic) << QList<int>{20, 15, 25, 30, 18};
}

void TestSpectralClustering::recoversPlantedBlocks() {
    QFETCH(int, solver);
    QFETCH(QList<int>, sizes);
    std::vector<int> truth;
    const auto w = plantedBlocks(std::vector<int>(sizes.begin(), sizes.end()), 7, truth);
    SpectralClusteringOptions options;
    options.clusters = int(sizes.size());
    options.solver = EigenSolverChoice(solver);
    options.seed = 11;
    const std::vector<int> labels = spectralClustering(w, options);
    QVERIFY(samePartition(labels, truth));
}

void TestSpectralClustering::denseAndLanczosSolversAgree() {
    std::vector<int> truth;
    const auto w = plantedBlocks({40, 35, 50, 30, 41}, 3, truth);
    SpectralClusteringOptions options;
    options.clusters = 5;
    options.solver = EigenSolverChoice::Dense;
    const auto dense = spectralClustering(w, options);
    options.solver = EigenSolverChoice::Lanczos;
    const auto lanczos = spectralClustering(w, options);
    QVERIFY(samePartition(dense, lanczos));
    QVERIFY(samePartition(dense, truth));
}

void TestSpectralClustering::fewerPatchesThanClustersGivesOnePatchPerCluster() {
    std::vector<int> truth;
    for (int m : {1, 3, 5}) {
        const auto w = plantedBlocks({m}, 1, truth);
        SpectralClusteringOptions options;
        options.clusters = 5;
        std::vector<int> expected(m);
        std::iota(expected.begin(), expected.end(), 0);
        QCOMPARE(spectralClustering(w, options), expected);
    }
}

void TestSpectralClustering::oneClusterHoldsEveryPatch() {
    std::vector<int> truth;
    const auto w = plantedBlocks({10, 10}, 2, truth);
    SpectralClusteringOptions options;
    options.clusters = 1;
    QCOMPARE(spectralClustering(w, options), std::vector<int>(20, 0));
}

void TestSpectralClustering::sameSeedSameLabels() {
    std::vector<int> truth;
    // Noisy blocks, so k-means has real choices to make.
    const auto w = plantedBlocks({15, 15, 15, 15, 15, 15, 15}, 5, truth);
    SpectralClusteringOptions options;
    options.clusters = 5; // fewer clusters than blocks: the seed matters
    options.seed = 42;
    QCOMPARE(spectralClustering(w, options), spectralClustering(w, options));
}

void TestSpectralClustering::embeddingRowsAreUnitLength() {
    std::vector<int> truth;
    const auto w = plantedBlocks({12, 9, 14}, 4, truth);
    const Eigen::MatrixXd u = spectralEmbedding(w, 3);
    QCOMPARE(u.rows(), Eigen::Index(35));
    QCOMPARE(u.cols(), Eigen::Index(3));
    for (Eigen::Index i = 0; i < u.rows(); ++i)
        QVERIFY(std::abs(u.row(i).norm() - 1.0) < 1e-9);
}

void TestSpectralClustering::kmeansSeparatesObviousGroups() {
    Eigen::MatrixXd points(6, 2);
    points << 0, 0, 0.1, 0, 0, 0.1, 10, 10, 10.1, 10, 10, 10.1;
    KMeansOptions options;
    options.clusters = 2;
    const KMeansResult result = kmeans(points, options);
    QCOMPARE(result.clusterCount, 2);
    QCOMPARE(result.labels, (std::vector<int>{0, 0, 0, 1, 1, 1}));
    // Each group: squared distances 2/900 + 5/900 + 5/900 to its centroid (1/30, 1/30).
    QVERIFY(std::abs(result.inertia - 2.0 * 12.0 / 900.0) < 1e-12);
}

void TestSpectralClustering::refusesBadClusterCount() {
    std::vector<int> truth;
    const auto w = plantedBlocks({4, 4}, 1, truth);
    SpectralClusteringOptions options;
    options.clusters = 0;
    try {
        spectralClustering(w, options);
        QFAIL("K = 0 accepted");
    } catch (const std::invalid_argument& error) {
        QVERIFY(QString::fromUtf8(error.what()).startsWith(QStringLiteral("K must be in [1, ")));
    }
}

QTEST_APPLESS_MAIN(TestSpectralClustering)
#include "test_spectral_clustering.moc"
