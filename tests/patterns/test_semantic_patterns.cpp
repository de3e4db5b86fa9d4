// SPDX-License-Identifier: GPL-3.0-or-later
// Semantic patterns (Eq. 4, docs/ALGORITHM.md section 5) and the whole per-image pattern stage.
#include "patterns/neighbourhood_affinity.h"
#include "patterns/semantic_patterns.h"
#include "patterns/spectral_clustering.h"
#include "util/random_stream.h"

#include <QtTest>
#include <numeric>
#include <set>

using namespace freesel;

namespace {

/// A 6 x 6 image with two objects: attention sits on a 2 x 2 block in the top-left corner and
/// another in the bottom-right corner; each object's patches share a feature direction.
ImageFeatures twoObjectImage(int dims) {
    ImageFeatures image;
    image.grid = {6, 6};
    image.dims = dims;
    const int n = image.grid.size();
    image.clsAttention.assign(n, 0.001f);
    image.patchTokens.assign(static_cast<size_t>(n) * dims, 0.0f);
    std::vector<float> dense(static_cast<size_t>(n) * n, 0.0f);
    for (int i = 0; i < n; ++i) {
        const int r = image.grid.rowOf(i), c = image.grid.colOf(i);
        const int object = (r < 2 && c < 2) ? 0 : (r >= 4 && c >= 4) ? 1 : -1;
        if (object >= 0)
            image.clsAttention[i] = 1.0f;
        // Feature: the object's axis plus a per-patch offset on a third axis.
        image.patchTokens[static_cast<size_t>(i) * dims + (object == 1 ? 1 : 0)] = 1.0f;
        image.patchTokens[static_cast<size_t>(i) * dims + 2] = 0.1f * i;
        for (int j = 0; j < n; ++j)
            dense[static_cast<size_t>(i) * n + j] = 1.0f / n;
    }
    image.neighbourhood = NeighbourhoodAttention::fromDense(dense.data(), image.grid, 3);
    return image;
}

} // namespace

class TestSemanticPatterns : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void patternsAreClusterMeans();
    void twoSeparateObjectsGiveTwoPatterns();
    void fewKeptPatchesBecomeTheirOwnPatterns();
    void oneClusterIsTheMeanOfTheKeptPatches();
    void refusesBadParameters();
    void acceptsTheLargestDocumentedK();
    void seedReachesTheClustering();
};

void TestSemanticPatterns::patternsAreClusterMeans() {
    // 4 patches, d = 2; kept {0, 2, 3} with labels {1, 0, 1}. The two clusters have different
    // means, so ignoring the labels, or dividing by the kept count instead of the cluster's
    // size, or reading the unkept patch 1, each gives different numbers.
    const float features[] = {1, 2, /**/ 9, 9, /**/ 3, 4, /**/ 7, 8};
    const RowMatrixXf patterns = semanticPatterns(features, 2, {0, 2, 3}, {1, 0, 1}, 2);
    QCOMPARE(patterns.rows(), Eigen::Index(2));
    QCOMPARE(patterns(0, 0), 3.0f); // cluster 0 = patch 2
    QCOMPARE(patterns(0, 1), 4.0f);
    QCOMPARE(patterns(1, 0), 4.0f); // cluster 1 = mean of patches 0 and 3: (1+7)/2, (2+8)/2
    QCOMPARE(patterns(1, 1), 5.0f);
}

void TestSemanticPatterns::twoSeparateObjectsGiveTwoPatterns() {
    const ImageFeatures image = twoObjectImage(4);
    PatternParameters params;
    params.tau = 0.9;
    params.clusters = 2;
    params.eps = 2;
    const ImagePatterns result = extractImagePatterns(image, params, 1);
    QCOMPARE(result.kept, (std::vector<int>{0, 1, 6, 7, 28, 29, 34, 35}));
    QCOMPARE(result.labels, (std::vector<int>{0, 0, 0, 0, 1, 1, 1, 1}));
    QCOMPARE(result.patterns.rows(), Eigen::Index(2));
    // Pattern 0: axis 0, mean offset 0.1 * (0+1+6+7)/4; pattern 1: axis 1, 0.1*(28+29+34+35)/4.
    QCOMPARE(result.patterns(0, 0), 1.0f);
    QCOMPARE(result.patterns(0, 1), 0.0f);
    QVERIFY(std::abs(result.patterns(0, 2) - 0.35f) < 1e-6f);
    QCOMPARE(result.patterns(1, 1), 1.0f);
    QVERIFY(std::abs(result.patterns(1, 2) - 3.15f) < 1e-6f);
}

void TestSemanticPatterns::fewKeptPatchesBecomeTheirOwnPatterns() {
    const ImageFeatures image = twoObjectImage(4);
    PatternParameters params;
    params.tau = 0.3; // 0.3 of the object mass: 3 of the 8 equally attended patches
    params.clusters = 5;
    const ImagePatterns result = extractImagePatterns(image, params, 1);
    QCOMPARE(result.kept, (std::vector<int>{0, 1, 6}));
    QCOMPARE(result.patterns.rows(), Eigen::Index(3));
    for (int k = 0; k < 3; ++k) {
        const float* token = image.patchTokens.data() + result.kept[k] * image.dims;
        for (int i = 0; i < image.dims; ++i)
            QCOMPARE(result.patterns(k, i), token[i]);
    }
}

void TestSemanticPatterns::oneClusterIsTheMeanOfTheKeptPatches() {
    const ImageFeatures image = twoObjectImage(4);
    PatternParameters params;
    params.tau = 0.9;
    params.clusters = 1;
    const ImagePatterns result = extractImagePatterns(image, params, 1);
    QCOMPARE(result.patterns.rows(), Eigen::Index(1));
    QCOMPARE(result.patterns(0, 0), 0.5f);
    QCOMPARE(result.patterns(0, 1), 0.5f);
    QVERIFY(std::abs(result.patterns(0, 2) - 1.75f) < 1e-6f);
}

void TestSemanticPatterns::refusesBadParameters() {
    const ImageFeatures image = twoObjectImage(4);
    PatternParameters params;
    params.eps = 4; // the band was stored with radius 3
    try {
        extractImagePatterns(image, params, 1);
        QFAIL("eps beyond the stored radius accepted");
    } catch (const std::invalid_argument& error) {
        QCOMPARE(QString::fromUtf8(error.what()), QStringLiteral("eps must be in [1, 3], got 4"));
    }
    params.eps = 2;
    params.clusters = 0;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, extractImagePatterns(image, params, 1));
    params.clusters = 5;
    params.tau = 1.5;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, extractImagePatterns(image, params, 1));
}

void TestSemanticPatterns::acceptsTheLargestDocumentedK() {
    // K in [1, 64] (CLI help, docs/ALGORITHM.md section 4): 64 must pass, 65 must not.
    const ImageFeatures image = twoObjectImage(4);
    PatternParameters params;
    params.tau = 1.0;
    params.clusters = 64;
    const ImagePatterns result = extractImagePatterns(image, params, 1);
    QCOMPARE(result.patterns.rows(), Eigen::Index(36)); // 36 patches <= K: one pattern each
    params.clusters = 65;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, extractImagePatterns(image, params, 1));
}

void TestSemanticPatterns::seedReachesTheClustering() {
    // Random tokens and attention, one k-means start: the clustering depends on the seed.
    // extractImagePatterns must give, for each seed, the labels that the stage's own building
    // blocks give with that seed (rules out a seed that is dropped or replaced on the way).
    ImageFeatures image;
    image.grid = {8, 8};
    image.dims = 3;
    const int n = image.grid.size();
    RandomStream random(99);
    image.clsAttention.assign(n, 1.0f);
    for (int i = 0; i < n * image.dims; ++i)
        image.patchTokens.push_back(float(random.uniform01()));
    std::vector<float> dense(size_t(n) * n);
    for (float& value : dense)
        value = float(random.uniform01());
    image.neighbourhood = NeighbourhoodAttention::fromDense(dense.data(), image.grid, 2);
    PatternParameters params;
    params.tau = 1.0;
    params.clusters = 6;
    params.eps = 2;
    params.kmeansRestarts = 1;
    std::vector<int> all(n);
    std::iota(all.begin(), all.end(), 0);
    std::set<std::vector<int>> distinct;
    for (uint64_t seed = 1; seed <= 6; ++seed) {
        SpectralClusteringOptions options;
        options.clusters = params.clusters;
        options.kmeansRestarts = 1;
        options.seed = seed;
        const std::vector<int> expected =
            spectralClustering(neighbourhoodAffinity(image.neighbourhood, all, 2), options);
        QCOMPARE(extractImagePatterns(image, params, seed).labels, expected);
        distinct.insert(expected);
    }
    QVERIFY2(distinct.size() > 1, "the fixture does not depend on the seed");
}

QTEST_APPLESS_MAIN(TestSemanticPatterns)
#include "test_semantic_patterns.moc"
