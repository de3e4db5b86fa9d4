// SPDX-License-Identifier: GPL-3.0-or-later
// store: the feature store's record rate on one thread, ViT-S/16 records (14 x 14 patches x
// 384, attention band of radius 3), appended and then loaded back (checksums checked):
//   freesel-bench store [--records=2000] [--folder=DIR]
// extract_gpu_like: extraction (decode threads, batches, store) around a stand-in for a GPU
// network that takes --network-ms per batch of --batch images and no CPU:
//   freesel-bench extract_gpu_like [--images=512 --batch=64 --network-ms=30 --decode-threads=0
//                                   --store-writes=auto|caller|own]
// scripts/gpu-check measured extraction at 860 img/s on an H200 against 3,700 img/s for the
// bfloat16 network alone, when the thread that ran the network also appended every record;
// --store-writes=caller measures that way, own (auto here) with the writer thread.
#include "bench_registry.h"

#include "backbone/feature_backend.h"
#include "image/pool_scanner.h"
#include "patterns/neighbourhood_attention.h"
#include "pipeline.h"
#include "store/feature_store.h"
#include "support/scene_pool.h"

#include <QDir>
#include <QElapsedTimer>
#include <QHash>
#include <QTemporaryDir>

#include <chrono>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <thread>

namespace freesel::bench {

namespace {

ImageFeatures vitS16Features(std::mt19937& random, int radius) {
    std::normal_distribution<float> normal;
    ImageFeatures f;
    f.grid = PatchGrid{14, 14};
    f.dims = 384;
    f.patchTokens.resize(size_t(f.grid.size()) * 384);
    for (float& value : f.patchTokens)
        value = normal(random);
    f.clsToken.assign(f.patchTokens.begin(), f.patchTokens.begin() + 384);
    f.clsAttention.assign(size_t(f.grid.size()), 1.0f / float(f.grid.size()));
    f.neighbourhood = NeighbourhoodAttention(f.grid, radius);
    for (float& value : f.neighbourhood.values())
        value = std::abs(normal(random)) * 0.01f;
    return f;
}

void check(const Status& status) {
    if (!status)
        throw std::runtime_error(status.error().message.toStdString());
}

void runStore() {
    const int records =
        std::max(1, option(QStringLiteral("records"), QStringLiteral("2000")).toInt());
    QTemporaryDir scratch;
    const QString folder = option(QStringLiteral("folder"), scratch.path() + "/store");
    constexpr int kRadius = 3; // DinoVitOptions' default
    StoreHeader header;
    header.fingerprint.backend = QStringLiteral("bench");
    header.fingerprint.input = QStringLiteral("224");
    header.fingerprint.radius = kRadius;
    std::mt19937 random(7);
    const ImageFeatures features = vitS16Features(random, kRadius);
    double seconds = 0.0;
    {
        FeatureStore store;
        check(store.openForWriting(folder, header, true));
        QElapsedTimer timer;
        timer.start();
        for (int i = 0; i < records; ++i)
            check(store.append(
                StoreKey{QStringLiteral("/pool/img_%1.jpg").arg(i), 100000 + i, 1700000000000LL, i},
                features));
        check(store.flush(false));
        seconds = timer.nsecsElapsed() * 1e-9;
    }
    const double megabytes = double(FeatureStore::sizeOnDisk(folder)) / (1024.0 * 1024.0);
    report(QStringLiteral("store_append_records_per_s"), records / seconds,
           QStringLiteral("records/s"));
    report(QStringLiteral("store_append_mb_per_s"), megabytes / seconds, QStringLiteral("MB/s"));
    report(QStringLiteral("store_record_kb"), megabytes * 1024.0 / records, QStringLiteral("KB"));
    FeatureStore store;
    check(store.openForReading(folder));
    QElapsedTimer timer;
    timer.start();
    double sum = 0.0; // keeps the loads from being optimised away
    for (int i = 0; i < store.count(); ++i)
        sum += double(store.load(i).patchTokens.front());
    report(QStringLiteral("store_load_records_per_s"),
           store.count() / (timer.nsecsElapsed() * 1e-9), QStringLiteral("records/s"));
    std::printf("# %d records, first token sum %.3f\n", store.count(), sum);
}

/// A network on another device: a fixed time per batch, no CPU work, ViT-S/16-sized results.
class GpuLikeBackend : public FeatureBackend {
public:
    GpuLikeBackend(int batchMs, const ImageFeatures& features)
        : batchMs_(batchMs), features_(features) {}
    QString name() const override { return QStringLiteral("gpu-like"); }
    QString fingerprint() const override { return QStringLiteral("gpu-like"); }
    QString deviceDescription() const override { return QStringLiteral("sleeping stand-in"); }
    int patchSize() const override { return 16; }
    int neighbourhoodRadius() const override { return features_.neighbourhood.radius(); }
    std::vector<ImageFeatures> run(const std::vector<cv::Mat>& images) override {
        std::this_thread::sleep_for(std::chrono::milliseconds(batchMs_));
        return std::vector<ImageFeatures>(images.size(), features_);
    }

private:
    int batchMs_;
    ImageFeatures features_;
};

void runExtractGpuLike() {
    const int images = std::max(1, option(QStringLiteral("images"), QStringLiteral("512")).toInt());
    const int batch = std::max(1, option(QStringLiteral("batch"), QStringLiteral("64")).toInt());
    const int networkMs = option(QStringLiteral("network-ms"), QStringLiteral("30")).toInt();
    QTemporaryDir scratch;
    const QString pool = scratch.path() + QStringLiteral("/pool");
    QDir().mkpath(pool);
    if (const QString failed = scenepool::writeCameraJpegs(pool, 0, images); !failed.isEmpty())
        throw std::runtime_error("cannot write " + failed.toStdString());
    std::mt19937 random(7);
    GpuLikeBackend backend(networkMs, vitS16Features(random, 3));
    ExtractionOptions options;
    options.batchSize = batch;
    options.decodeThreads = option(QStringLiteral("decode-threads"), QStringLiteral("0")).toInt();
    using StoreWrites = ExtractionOptions::StoreWrites;
    const QHash<QString, StoreWrites> storeWrites{
        {QStringLiteral("auto"), StoreWrites::Auto},
        {QStringLiteral("caller"), StoreWrites::CallerThread},
        {QStringLiteral("own"), StoreWrites::OwnThread}};
    const QString writes = option(QStringLiteral("store-writes"), QStringLiteral("auto"));
    if (!storeWrites.contains(writes))
        throw std::invalid_argument("--store-writes must be auto, caller or own, got '" +
                                    writes.toStdString() + "'");
    options.storeWrites = storeWrites.value(writes);
    FeatureStore store;
    check(store.openForWriting(scratch.path() + QStringLiteral("/store"),
                               storeHeaderFor(backend, options.resize)));
    const ExtractionReport done =
        extractFeatures(scanFolder(pool).entries, backend, store, options);
    std::printf("# %d images, batch %d, %d ms per batch: %.2f s waiting for decoding, %.2f s in "
                "the network, %.2f s waiting on the store's writes\n",
                done.extracted, batch, networkMs, done.decodeWaitSeconds, done.networkSeconds,
                done.storeSeconds);
    report(QStringLiteral("extract_gpu_like_img_per_s"), done.extracted / done.seconds,
           QStringLiteral("img/s"));
}

const BenchmarkRegistration extractGpuLike(
    QStringLiteral("extract_gpu_like"),
    QStringLiteral("extraction around a stand-in GPU network (a fixed sleep per batch): decode "
                   "threads, batches, store [--images=512 --batch=64 --network-ms=30 "
                   "--decode-threads=0 --store-writes=auto|caller|own]"),
    runExtractGpuLike);

const BenchmarkRegistration
    store(QStringLiteral("store"),
          QStringLiteral("feature store, ViT-S/16 records on one thread: append and load rates "
                         "[--records=2000 --folder=DIR]"),
          runStore);

} // namespace

} // namespace freesel::bench
