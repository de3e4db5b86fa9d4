// SPDX-License-Identifier: GPL-3.0-or-later
// ELFS benchmarks (issue 13): TEMI clustering, the default proxy, and the whole ELFS run after
// extraction on 50,000 cached images (ViT-S/16 shapes: 196 patch tokens x 384 and a [CLS]
// feature), from generated clustered features. --images=N and --epochs=E scale them down for a
// quick look; --threads=T (default 2) is the run's --threads.
#include "bench_registry.h"
#include "elfs/coreset_window.h"
#include "elfs/elfs_selection.h"
#include "elfs/proxy_training.h"
#include "elfs/spherical_kmeans.h"
#include "elfs/temi_clustering.h"
#include "store/feature_store.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <ctime>
#include <random>
#include <sys/resource.h>

using namespace freesel;
using namespace freesel::bench;

namespace {

constexpr int kDims = 384, kClusters = 10, kTokens = 196;

int intOption(const QString& key, int fallback) {
    return option(key, QString::number(fallback)).toInt();
}

/// CPU seconds of the whole process (all threads): with the wall time, says how much of the
/// machine the run got when others share it.
double processCpuSeconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
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

/// Image `i` of the generated pool: its [CLS] row, and 196 tokens scattered around it (noise
/// read from a shared table at an image-specific offset: drawing 50k x 75k normals would take
/// minutes and tell the benchmark nothing).
ImageFeatures imageOf(const Eigen::MatrixXf& rows, int i, const std::vector<float>& noise) {
    ImageFeatures image;
    image.grid = {14, 14};
    image.dims = kDims;
    image.clsToken.resize(kDims);
    for (int d = 0; d < kDims; ++d)
        image.clsToken[size_t(d)] = rows(i, d);
    image.patchTokens.resize(size_t(kTokens) * kDims);
    const size_t offset = (size_t(i) * 7919) % (noise.size() - image.patchTokens.size());
    for (size_t t = 0; t < image.patchTokens.size(); ++t)
        image.patchTokens[t] = image.clsToken[t % kDims] + 2.0f * noise[offset + t];
    return image;
}

std::vector<float> noiseTable() {
    std::mt19937 engine(3);
    std::normal_distribution<float> normal;
    std::vector<float> noise(size_t(1) << 21);
    for (float& v : noise)
        v = normal(engine);
    return noise;
}

ProxyInputs generatedInputs(const Eigen::MatrixXf& rows) {
    const std::vector<float> noise = noiseTable();
    ProxyInputs inputs;
    inputs.reserve(int(rows.rows()));
    for (int i = 0; i < rows.rows(); ++i)
        inputs.addImage(imageOf(rows, i, noise));
    return inputs;
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
    const ProxyInputs inputs = generatedInputs(rows);
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
    const double cpu = processCpuSeconds();
    timer.restart();
    trainProxy(inputs, labels, kClusters, options);
    report(QStringLiteral("elfs_proxy_50k_seconds"), timer.nsecsElapsed() * 1e-9,
           QStringLiteral("s"));
    report(QStringLiteral("elfs_proxy_50k_cpu_seconds"), processCpuSeconds() - cpu,
           QStringLiteral("s"));
}

/// Wall and CPU seconds (all threads) of a stage: the CPU figure says what the stage costs
/// on a quiet machine when other work shares this one.
struct StageTime {
    double wall = 0.0, cpu = 0.0;
};

/// Per image: reading a record from a feature store and pooling it to the proxy's cells,
/// measured on `count` records of a freshly written store (so from the page cache).
StageTime storeReadPerImage(const Eigen::MatrixXf& rows, int count) {
    QTemporaryDir dir;
    StoreHeader header;
    header.fingerprint.backend = QStringLiteral("synthetic|elfs-bench");
    header.fingerprint.input = QStringLiteral("fixed:224x224");
    {
        FeatureStore store;
        store.openForWriting(dir.filePath(QStringLiteral("store")), header).throwIfFailed();
        const std::vector<float> noise = noiseTable();
        for (int i = 0; i < count; ++i)
            store
                .append({QStringLiteral("/bench/%1.jpg").arg(i), 1000 + i, 0, i},
                        imageOf(rows, i, noise))
                .throwIfFailed();
        store.flush(false).throwIfFailed();
    }
    FeatureStore store;
    store.openForReading(dir.filePath(QStringLiteral("store"))).throwIfFailed();
    QElapsedTimer timer;
    timer.start();
    const double cpu = processCpuSeconds();
    ProxyInputs inputs;
    inputs.reserve(count);
    for (int i = 0; i < count; ++i)
        inputs.addImage(store.load(i));
    return {timer.nsecsElapsed() * 1e-9 / double(count),
            (processCpuSeconds() - cpu) / double(count)};
}

/// Stage boundaries of runElfs, from its progress reports.
struct StageClock {
    QElapsedTimer timer;
    double startCpu = 0.0;
    StageTime clustered, trained;
    StageTime now() const { return {timer.nsecsElapsed() * 1e-9, processCpuSeconds() - startCpu}; }
};

void reportStage(const QString& name, double wall, double cpu) {
    report(QStringLiteral("elfs_select_%1_seconds").arg(name), wall, QStringLiteral("s"));
    report(QStringLiteral("elfs_select_%1_cpu_seconds").arg(name), cpu, QStringLiteral("s"));
}

void benchWholeRun() {
    const int n = intOption(QStringLiteral("images"), 50000);
    const int sample = std::min(n, intOption(QStringLiteral("store-images"), 2000));
    const Eigen::MatrixXf rows = clusteredRows(n, 5);
    const StageTime read = storeReadPerImage(rows, sample);
    const ProxyInputs inputs = generatedInputs(rows);
    ElfsParameters params; // the defaults: k-means, K 10, token proxy, 50 epochs, beta by r
    params.epochs = intOption(QStringLiteral("epochs"), 50);
    StageClock clock;
    const auto progress = [&clock](const ElfsProgress& p) {
        if (p.stage == "cluster" && p.done == p.total)
            clock.clustered = clock.now();
        if (p.stage == "proxy" && p.done == p.total)
            clock.trained = clock.now();
        return true;
    };
    clock.startCpu = processCpuSeconds();
    clock.timer.start();
    const ElfsResult result = runElfs(inputs, n / 10, params, 1,
                                      intOption(QStringLiteral("threads"), 2), progress, nullptr);
    const StageTime total = clock.now();
    std::fprintf(stderr, "elfs: %d images, %zu selected; store read measured on %d records\n", n,
                 result.selection.images.size(), sample);
    reportStage(QStringLiteral("read"), read.wall * n, read.cpu * n);
    reportStage(QStringLiteral("cluster"), clock.clustered.wall, clock.clustered.cpu);
    reportStage(QStringLiteral("proxy"), clock.trained.wall - clock.clustered.wall,
                clock.trained.cpu - clock.clustered.cpu);
    reportStage(QStringLiteral("scores_window"), total.wall - clock.trained.wall,
                total.cpu - clock.trained.cpu);
    report(QStringLiteral("elfs_select_peak_rss_mb"), peakRssMb(), QStringLiteral("MB"));
    report(QStringLiteral("elfs_select_50k_cpu_seconds"), read.cpu * n + total.cpu,
           QStringLiteral("s"));
    report(QStringLiteral("elfs_select_50k_seconds"), read.wall * n + total.wall,
           QStringLiteral("s"));
}

const BenchmarkRegistration temiBench(
    QStringLiteral("elfs_temi_50k_seconds"),
    QStringLiteral("TEMI, 50,000 x 384, K 10, 16 heads, 100 epochs, 2 threads [--images --epochs]"),
    benchTemi);
const BenchmarkRegistration proxyBench(
    QStringLiteral("elfs_proxy_50k_seconds"),
    QStringLiteral("spherical k-means + default proxy, 50,000 images x 196 tokens x 384, 50 "
                   "epochs, 2 threads [--images --epochs --threads]"),
    benchProxy);
const BenchmarkRegistration selectBench(
    QStringLiteral("elfs_select_50k_seconds"),
    QStringLiteral("the whole default ELFS run after extraction on 50,000 images x 196 tokens x "
                   "384: store read (rate measured on --store-images=2000 records, scaled), "
                   "k-means, proxy 50 epochs, scores, window; per stage, CPU seconds, peak RSS "
                   "[--images --epochs --threads]"),
    benchWholeRun);

} // namespace
