// SPDX-License-Identifier: GPL-3.0-or-later
// ELFS benchmarks (issue 13): TEMI clustering, the default proxy and the window/CCS selection
// on 50,000 cached images (ViT-S/16 shapes: 196 patch tokens x 384 and a [CLS] feature), from
// generated clustered features. --images=N and --epochs=E scale them down for a quick look.
#include "bench_registry.h"
#include "elfs/coreset_window.h"
#include "elfs/proxy_training.h"
#include "elfs/spherical_kmeans.h"
#include "elfs/temi_clustering.h"

#include <QElapsedTimer>
#include <random>

using namespace freesel;
using namespace freesel::bench;

namespace {

constexpr int kDims = 384, kClusters = 10;

int intOption(const QString& key, int fallback) {
    return option(key, QString::number(fallback)).toInt();
}

/// N x 384 embeddings around 10 random centres.
Eigen::MatrixXf clusteredRows(int n, unsigned seed) {
    std::mt19937 engine(seed);
    std::normal_distribution<float> normal;
    Eigen::MatrixXf centres(kClusters, kDims);
    for (int c = 0; c < kClusters; ++c)
        for (int d = 0; d < kDims; ++d)
            centres(c, d) = normal(engine);
    Eigen::MatrixXf rows(n, kDims);
    for (int i = 0; i < n; ++i)
        for (int d = 0; d < kDims; ++d)
            rows(i, d) = centres(i % kClusters, d) + normal(engine);
    return rows;
}

void benchTemi() {
    const int n = intOption(QStringLiteral("images"), 50000);
    TemiOptions options;
    options.clusters = kClusters;
    options.heads = 16;
    options.epochs = intOption(QStringLiteral("epochs"), 100);
    options.threads = intOption(QStringLiteral("threads"), 2);
    const Eigen::MatrixXf rows = clusteredRows(n, 1);
    QElapsedTimer timer;
    timer.start();
    temiClustering(rows, options);
    report(QStringLiteral("elfs_temi_50k_seconds"), timer.nsecsElapsed() * 1e-9,
           QStringLiteral("s"));
}

void benchProxy() {
    const int n = intOption(QStringLiteral("images"), 50000);
    const Eigen::MatrixXf rows = clusteredRows(n, 2);
    std::mt19937 engine(3);
    std::normal_distribution<float> normal;
    ProxyInputs inputs;
    ImageFeatures image;
    image.grid = {14, 14};
    image.dims = kDims;
    image.patchTokens.resize(size_t(196) * kDims);
    for (int i = 0; i < n; ++i) {
        image.clsToken.resize(kDims);
        for (int d = 0; d < kDims; ++d)
            image.clsToken[size_t(d)] = rows(i, d);
        for (size_t t = 0; t < image.patchTokens.size(); ++t)
            image.patchTokens[t] = image.clsToken[t % kDims] + 2.0f * normal(engine);
        inputs.addImage(image);
    }
    SphericalKMeansOptions kmeans;
    kmeans.clusters = kClusters;
    QElapsedTimer timer;
    timer.start();
    const std::vector<int> labels = sphericalKMeans(rows, kmeans).labels;
    report(QStringLiteral("elfs_kmeans_50k_seconds"), timer.nsecsElapsed() * 1e-9,
           QStringLiteral("s"));
    ProxyOptions options;
    options.epochs = intOption(QStringLiteral("epochs"), 50);
    options.threads = intOption(QStringLiteral("threads"), 2);
    timer.restart();
    trainProxy(inputs, labels, kClusters, options);
    report(QStringLiteral("elfs_proxy_50k_seconds"), timer.nsecsElapsed() * 1e-9,
           QStringLiteral("s"));
}

void benchSelect() {
    const int n = intOption(QStringLiteral("images"), 50000);
    std::mt19937 engine(4);
    std::normal_distribution<double> normal;
    std::vector<double> aum(static_cast<size_t>(n));
    for (double& a : aum)
        a = 10.0 * normal(engine);
    QElapsedTimer timer;
    timer.start();
    const std::vector<int> order = hardnessOrder(aum, ElfsScore::Aum);
    doubleEndWindow(order, n / 10, defaultElfsBeta(0.1));
    ccsSelection(order, aum, n / 10, defaultElfsBeta(0.1), 1);
    report(QStringLiteral("elfs_select_50k_seconds"), timer.nsecsElapsed() * 1e-9,
           QStringLiteral("s"));
}

const BenchmarkRegistration temiBench(
    QStringLiteral("elfs_temi_50k_seconds"),
    QStringLiteral("TEMI, 50,000 x 384, K 10, 16 heads, 100 epochs, 2 threads [--images --epochs]"),
    benchTemi);
const BenchmarkRegistration proxyBench(
    QStringLiteral("elfs_proxy_50k_seconds"),
    QStringLiteral("spherical k-means + default proxy, 50,000 images x 196 tokens x 384, 50 "
                   "epochs, 2 threads [--images --epochs]"),
    benchProxy);
const BenchmarkRegistration
    selectBench(QStringLiteral("elfs_select_50k_seconds"),
                QStringLiteral("ELFS window + CCS on 50,000 AUM scores, r = 0.1"), benchSelect);

} // namespace
