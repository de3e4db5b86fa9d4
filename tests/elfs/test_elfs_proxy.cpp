// SPDX-License-Identifier: GPL-3.0-or-later
// ELFS pseudo-labels and proxy (docs/ALGORITHM.md sections E1-E2): spherical k-means finds
// planted clusters, the rank-correlation diagnostic, token views (crop and mirror), the
// proxy's scores, cancel, and the same scores whatever the thread count.
#include "elfs/elfs_selection.h"
#include "elfs/proxy_training.h"
#include "elfs/proxy_views.h"
#include "elfs/spherical_kmeans.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

using namespace freesel;

namespace {

/// `perCluster` rows around each of `clusters` random directions in `dims` dimensions.
Eigen::MatrixXf plantedRows(int clusters, int perCluster, int dims, float noise, unsigned seed) {
    std::mt19937 engine(seed);
    std::normal_distribution<float> normal;
    Eigen::MatrixXf centres(clusters, dims);
    for (int c = 0; c < clusters; ++c)
        for (int k = 0; k < dims; ++k)
            centres(c, k) = normal(engine);
    Eigen::MatrixXf rows(clusters * perCluster, dims);
    for (int i = 0; i < rows.rows(); ++i)
        for (int k = 0; k < dims; ++k)
            rows(i, k) =
                (3.0f + float(i % 5)) * centres(i / perCluster, k) + noise * normal(engine);
    return rows;
}

/// Images of a 6 x 6 grid: tokens and [CLS] near the planted centre of their cluster.
ProxyInputs plantedImages(int clusters, int perCluster, int dims, unsigned seed) {
    const Eigen::MatrixXf rows = plantedRows(clusters, perCluster, dims, 1.0f, seed);
    std::mt19937 engine(seed + 1);
    std::normal_distribution<float> normal;
    ProxyInputs inputs(3);
    for (int i = 0; i < rows.rows(); ++i) {
        ImageFeatures image;
        image.grid = {6, 6};
        image.dims = dims;
        image.clsToken.assign(rows.row(i).data(), rows.row(i).data() + dims);
        for (int k = 0; k < dims; ++k)
            image.clsToken[size_t(k)] = rows(i, k);
        for (int p = 0; p < 36; ++p)
            for (int k = 0; k < dims; ++k)
                image.patchTokens.push_back(rows(i, k) + 2.0f * normal(engine));
        inputs.addImage(image);
    }
    return inputs;
}

} // namespace

class TestElfsProxy : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sphericalKMeansRecoversPlantedClusters() {
        const Eigen::MatrixXf rows = plantedRows(4, 40, 16, 0.5f, 3);
        SphericalKMeansOptions options;
        options.clusters = 4;
        options.seed = 9;
        const SphericalKMeansResult result = sphericalKMeans(rows, options);
        std::map<int, std::set<int>> labelsOfCluster;
        for (int i = 0; i < rows.rows(); ++i)
            labelsOfCluster[i / 40].insert(result.labels[size_t(i)]);
        std::set<int> used;
        for (const auto& [cluster, labels] : labelsOfCluster) {
            QCOMPARE(int(labels.size()), 1);
            used.insert(*labels.begin());
        }
        QCOMPARE(int(used.size()), 4);
        for (Eigen::Index c = 0; c < 4; ++c)
            QVERIFY(std::abs(result.centroids.row(c).norm() - 1.0f) < 1e-5f);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, sphericalKMeans(rows.topRows(3), options));
    }

    void labelCentroidsAreNormalisedMeans() {
        // Rows (2,0) and (0,3) in cluster 0: unit rows (1,0), (0,1), mean direction (1,1)/sqrt2;
        // cluster 1 holds (0,-5): (0,-1); cluster 2 is empty: a zero row.
        Eigen::MatrixXf rows(3, 2);
        rows << 2, 0, 0, 3, 0, -5;
        const Eigen::MatrixXf centroids = labelCentroids(rows, {0, 0, 1}, 3);
        const float h = 1.0f / std::sqrt(2.0f);
        QVERIFY(std::abs(centroids(0, 0) - h) < 1e-6f && std::abs(centroids(0, 1) - h) < 1e-6f);
        QVERIFY(std::abs(centroids(1, 0)) < 1e-6f && std::abs(centroids(1, 1) + 1.0f) < 1e-6f);
        QCOMPARE(centroids.row(2).norm(), 0.0f);
        QCOMPARE(parseElfsClusterer("temi"), ElfsClusterer::Temi);
        QCOMPARE(parseElfsClusterer("kmeans"), ElfsClusterer::KMeans);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parseElfsClusterer("dbscan"));
    }

    void temiClustererFindsThePlantedClasses() {
        const ProxyInputs inputs = plantedImages(3, 30, 8, 6);
        ElfsParameters params;
        params.clusters = 3;
        params.epochs = 4;
        params.clusterer = ElfsClusterer::Temi;
        params.temi.heads = 4;
        params.temi.epochs = 100;
        params.temi.warmupEpochs = 2;
        params.temi.batchSize = 30;
        params.temi.neighbours = 10;
        params.temi.hidden = 64;
        params.temi.bottleneck = 32;
        params.temi.baseLearningRate = 1e-2;
        std::vector<ElfsProgress> seen;
        auto record = [&](const ElfsProgress& e) {
            seen.push_back(e);
            return true;
        };
        const ElfsResult result = runElfs(inputs, 20, params, 17, 1, record);
        // Each planted class is (almost) one pseudo-label: over 12 seeds at these settings at most
        // one image of 90 landed elsewhere, so 2 leaves room without hiding a failure.
        std::map<int, std::map<int, int>> countsOf;
        std::set<int> used;
        for (int i = 0; i < 90; ++i) {
            ++countsOf[i / 30][result.pseudoLabels[size_t(i)]];
            used.insert(result.pseudoLabels[size_t(i)]);
        }
        int misplaced = 0;
        std::set<int> majorities;
        for (const auto& [planted, counts] : countsOf) {
            const auto top = std::max_element(counts.begin(), counts.end(),
                                              [](auto& a, auto& b) { return a.second < b.second; });
            misplaced += 30 - top->second;
            majorities.insert(top->first);
        }
        QVERIFY2(misplaced <= 2, qPrintable(QString::number(misplaced)));
        QCOMPARE(int(majorities.size()), 3); // three classes, three different labels
        QCOMPARE(int(used.size()), 3);
        QCOMPARE(int(result.selection.images.size()), 20);
        // TEMI reports each of its epochs as stage "cluster", then the proxy its own.
        const int clusterEpochs = int(std::count_if(
            seen.begin(), seen.end(), [](auto& e) { return e.stage == "cluster" && e.done > 0; }));
        QCOMPARE(clusterEpochs, 100);
        QCOMPARE(seen.back().stage, std::string("proxy"));
        QCOMPARE(seen.back().done, 4);

        // Cancel between TEMI epochs: no proxy, no selection.
        int epochs = 0;
        const ElfsResult stopped = runElfs(inputs, 20, params, 17, 1, [&](const ElfsProgress& e) {
            return e.stage != "cluster" || e.done == 0 || ++epochs < 3;
        });
        QVERIFY(stopped.cancelled);
        QCOMPARE(epochs, 3);
        QVERIFY(stopped.scores.aum.empty());
        QVERIFY(stopped.selection.images.empty());
    }

    void marginsAndRankCorrelation() {
        Eigen::MatrixXf rows(2, 2);
        rows << 2, 0, 1, 1;
        Eigen::MatrixXf centroids(2, 2);
        centroids << 1, 0, 0, 1;
        const auto margins = centroidMargins(rows, centroids, {0, 1});
        QVERIFY(std::abs(margins[0] - 1.0) < 1e-6);
        QVERIFY(std::abs(margins[1] - 0.0) < 1e-6);
        QVERIFY(std::abs(spearmanCorrelation({1, 2, 3, 4}, {10, 20, 35, 40}) - 1.0) < 1e-12);
        QVERIFY(std::abs(spearmanCorrelation({1, 2, 3, 4}, {4, 3, 2, 1}) + 1.0) < 1e-12);
        // Ties get average ranks: (0, 1.5, 1.5, 3) against (0, 1, 2, 3) = 4.5 / sqrt(4.5 * 5).
        QVERIFY(std::abs(spearmanCorrelation({1, 2, 2, 3}, {1, 2, 3, 4}) - 4.5 / std::sqrt(22.5)) <
                1e-12);
        QVERIFY(std::isnan(spearmanCorrelation({1, 1, 1}, {1, 2, 3})));
    }

    void viewsCropAndMirrorTheGrid() {
        // One image, 2 x 2 grid = 2 x 2 cells, token value = 10 * row + col, width 1.
        ImageFeatures image;
        image.grid = {2, 2};
        image.dims = 1;
        image.clsToken = {-1.0f};
        image.patchTokens = {0.0f, 1.0f, 10.0f, 11.0f};
        ProxyInputs inputs(2);
        inputs.addImage(image);
        std::vector<float> full(5);
        buildFullView(inputs, 0, full.data());
        QCOMPARE(full, (std::vector<float>{-1, 0, 1, 10, 11}));
        // Whole-grid crops only (min area 1): the view is the full one or its mirror.
        ViewRule whole;
        whole.minArea = 1.0;
        whole.minRatio = whole.maxRatio = 1.0;
        RandomStream random(5);
        std::set<std::vector<float>> seen;
        for (int draw = 0; draw < 40; ++draw) {
            std::vector<float> view(5);
            buildView(inputs, 0, whole, random, view.data());
            seen.insert(view);
        }
        QCOMPARE(seen, (std::set<std::vector<float>>{{-1, 0, 1, 10, 11}, {-1, 1, 0, 11, 10}}));
        // Pooling a 4 x 4 grid to 2 x 2 cells averages 2 x 2 patches.
        image.grid = {4, 4};
        image.patchTokens.clear();
        for (int p = 0; p < 16; ++p)
            image.patchTokens.push_back(float(p));
        ProxyInputs pooled(2);
        pooled.addImage(image);
        QCOMPARE(pooled.grid, (std::vector<float>{2.5f, 4.5f, 10.5f, 12.5f}));
    }

    void proxyScoresEveryImageAndCancels() {
        const ProxyInputs inputs = plantedImages(3, 20, 8, 4);
        std::vector<int> labels(60);
        for (int i = 0; i < 60; ++i)
            labels[size_t(i)] = i / 20;
        labels[0] = 1; // one image carries a wrong pseudo-label: it must rank hardest by AUM
        ProxyOptions options;
        options.epochs = 12;
        options.batchSize = 16;
        options.hidden = 32;
        options.seed = 2;
        options.threads = 1;
        const ProxyReport report = trainProxy(inputs, labels, 3, options);
        QCOMPARE(int(report.curve.size()), 12);
        QCOMPARE(int(report.scores.aum.size()), 60);
        QVERIFY(report.curve.back().loss < report.curve.front().loss);
        QCOMPARE(hardnessOrder(report.scores.aum, ElfsScore::Aum).front(), 0);
        int epochs = 0;
        const ProxyReport stopped =
            trainProxy(inputs, labels, 3, options, [&](const ProxyEpoch&) { return ++epochs < 2; });
        QVERIFY(stopped.cancelled);
        QCOMPARE(int(stopped.curve.size()), 2);
    }

    void sameResultWhateverTheThreadCount() {
        const ProxyInputs inputs = plantedImages(3, 30, 8, 6);
        ElfsParameters params;
        params.clusters = 3;
        params.epochs = 6;
        const ElfsResult one = runElfs(inputs, 20, params, 17, 1);
        for (int threads : {2, 3}) {
            const ElfsResult more = runElfs(inputs, 20, params, 17, threads);
            QCOMPARE(one.pseudoLabels, more.pseudoLabels);
            QCOMPARE(one.scores.aum, more.scores.aum);
            QCOMPARE(one.scores.forgetting, more.scores.forgetting);
            QCOMPARE(one.scores.el2n, more.scores.el2n);
            QCOMPARE(one.selection.images, more.selection.images);
        }
        QCOMPARE(int(one.selection.images.size()), 20);
        QVERIFY(!std::isnan(one.aumMarginCorrelation));
        const ElfsResult other = runElfs(inputs, 20, params, 17 + 1, 1);
        QVERIFY(other.scores.aum != one.scores.aum);
    }

    /// At the default proxy's real widths (256 hidden units, batch 256, 5 x 64 inputs) the
    /// products are large enough for a BLAS library to split them between threads, which
    /// changes their rounding: the scores must still match exactly.
    void proxyAtFullWidthIsTheSameForOneTwoAndThreeThreads() {
        const ProxyInputs inputs = plantedImages(4, 150, 64, 8);
        std::vector<int> labels(size_t(inputs.images));
        for (int i = 0; i < inputs.images; ++i)
            labels[size_t(i)] = i / 150;
        ProxyOptions options;
        options.epochs = 3;
        options.seed = 4;
        options.threads = 1;
        const ProxyReport one = trainProxy(inputs, labels, 4, options);
        for (int threads : {2, 3}) {
            options.threads = threads;
            const ProxyReport more = trainProxy(inputs, labels, 4, options);
            QCOMPARE(more.scores.aum, one.scores.aum);
            QCOMPARE(more.scores.el2n, one.scores.el2n);
            QCOMPARE(more.curve.back().loss, one.curve.back().loss);
        }
    }

    /// The batch views equal the single views built from the same per-image stream, and are
    /// standardised by the unaugmented views' mean and deviation (computed here directly).
    void batchViewsAreStandardisedSingleViews() {
        const ProxyInputs inputs = plantedImages(2, 5, 4, 9);
        const int width = inputs.viewWidth();
        std::vector<double> mean(size_t(width), 0.0), var(size_t(width), 0.0);
        std::vector<float> full(static_cast<size_t>(width));
        for (int pass = 0; pass < 2; ++pass)
            for (int i = 0; i < inputs.images; ++i) {
                buildFullView(inputs, i, full.data());
                for (int k = 0; k < width; ++k) {
                    if (pass == 0)
                        mean[size_t(k)] += full[size_t(k)] / double(inputs.images);
                    else
                        var[size_t(k)] +=
                            std::pow(full[size_t(k)] - mean[size_t(k)], 2) / double(inputs.images);
                }
            }
        const ViewScaling scaling = fullViewScaling(inputs);
        const std::vector<int64_t> ids{7, 2, 9};
        std::vector<float> batch(ids.size() * size_t(width));
        buildViewBatch(inputs, ids.data(), 3, ViewRule{}, 55, scaling, batch.data());
        for (size_t r = 0; r < ids.size(); ++r) {
            RandomStream random = RandomStream::forItem(55, uint64_t(ids[r]));
            std::vector<float> single(static_cast<size_t>(width));
            buildView(inputs, int(ids[r]), ViewRule{}, random, single.data());
            for (int k = 0; k < width; ++k) {
                const double expected =
                    (single[size_t(k)] - mean[size_t(k)]) / (std::sqrt(var[size_t(k)]) + 1e-6);
                QVERIFY2(std::abs(batch[r * size_t(width) + size_t(k)] - expected) < 1e-4,
                         qPrintable(QStringLiteral("row %1 column %2").arg(r).arg(k)));
            }
        }
    }
};

QTEST_APPLESS_MAIN(TestElfsProxy)
#include "test_elfs_proxy.moc"
