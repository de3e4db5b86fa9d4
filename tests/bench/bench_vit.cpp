// SPDX-License-Identifier: GPL-3.0-or-later
// ViT-S/16 throughput at 224 x 224 on the CPU, float32 and bfloat16, with and without JPEG
// decoding (overlapped with the network through DecodeQueue, as the pipeline does), and what
// bfloat16 costs: token cosine, attention error and whether the FreeSel selection on the pool
// changes. Weights are the deterministic synthetic ones ("random:<seed>"; nothing can be
// downloaded here): speed does not depend on their values, but the selection comparison is
// only a proxy for trained weights (see the printed note).
// Next to each network figure: the ceiling, every FLOP at the rate of the block's products
// through the path the network runs (PackedLinear, weights reordered once), measured in the same
// run, and the network's percentage of it (comparable on a loaded machine).
//   freesel-bench vit [--pool=DIR] [--images=N] [--batch=B] [--batches=8,16,32] [--threads=T]
//                     [--decode-threads=0] [--capacity=C] [--repeat=R] [--selection=1]
//                     [--clock=thread] [--breakdown=1]
// --decode-threads=0: the pipeline's default (the network's threads decode between their
// tasks); N: N decode threads of their own (vit_s16_cpu_img_per_s_decode1/2 compare both);
// --clock=thread: one thread, timed by its CPU time (the decoding figures are then skipped);
// --breakdown=1: where one block's time goes, step by step, float32 and bfloat16.
#include "bench_registry.h"
#include "busy_core.h"
#include "vit_ceiling.h"

#include "backbone/dino_backend.h"
#include "backbone/dino_vit.h"
#include "image/decode_queue.h"
#include "image/pool_scanner.h"
#include "pipeline.h"
#include "selection/selection.h"
#include "store/feature_store.h"

#include <QDirIterator>
#include <QElapsedTimer>
#include <QTemporaryDir>

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <set>
#include <stdexcept>

namespace freesel::bench {

namespace {

constexpr int kSide = 224;
constexpr std::uint64_t kWeightsSeed = 1;

/// The 1-minute load average: the machine is shared, so every figure is printed next to it.
double loadAverage() {
    std::ifstream in("/proc/loadavg");
    double load = -1.0;
    in >> load;
    return load;
}

void reportWithLoad(const QString& name, double value, const QString& unit) {
    std::printf("# load %.2f\n", loadAverage());
    report(name, value, unit);
}

/// Seeded noise images: the network's cost does not depend on the pixels.
std::vector<cv::Mat> noiseImages(int count) {
    std::vector<cv::Mat> images;
    for (int i = 0; i < count; ++i) {
        cv::Mat image(kSide, kSide, CV_8UC3);
        cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(255));
        images.push_back(image);
    }
    return images;
}

QStringList poolFiles(const QString& dir, int limit) {
    QStringList files;
    QDirIterator it(dir, {"*.jpg", "*.jpeg", "*.JPG"}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        files << it.next();
    files.sort();
    return files.mid(0, limit);
}

/// --clock=thread: everything on one thread, timed by that thread's CPU time.
bool threadClock() {
    return option("clock", "wall") == QLatin1String("thread");
}

DinoVitOptions vitOptions(VitPrecision precision, int batch) {
    DinoVitOptions options;
    options.device = "cpu";
    options.precision = precision;
    options.batchSize = batch;
    options.threads = threadClock() ? 1 : option("threads", "0").toInt();
    options.imageParallel = option("image-parallel", "1") != QLatin1String("0");
    options.imagesPerTask =
        option("images-per-task", QString::number(DinoVitOptions{}.imagesPerTask)).toInt();
    return options;
}

/// What a network runs instead of the default fused kernels (to measure what they save).
enum class Unfused { None, RowKernels, Attention };

DinoVit makeVit(VitPrecision precision, int batch, Unfused unfused = Unfused::None) {
    DinoVitOptions options = vitOptions(precision, batch);
    options.fusedRowKernels = unfused != Unfused::RowKernels;
    options.fusedAttention = unfused != Unfused::Attention;
    return DinoVit::withSyntheticWeights(vitConfigByName("dino_vits16"), kWeightsSeed, options);
}

int repeats() {
    return std::max(1, option("repeat", "2").toInt());
}

/// --quick=1: only the figures the goals name (A/B runs), not what each kernel saves.
bool quick() {
    return option("quick", "0") == QLatin1String("1");
}

/// Images per second of the network alone, after two warm-up batches; best of --repeat runs
/// (the machine is shared: the best run is the one least disturbed by other processes).
double networkRate(const DinoVit& vit, const std::vector<cv::Mat>& images) {
    const int batch = vit.options().batchSize;
    for (int warm = 0; warm < 2; ++warm) // heap growth and oneDNN primitive creation
        vit.run({images.begin(), images.begin() + std::min<long>(batch, long(images.size()))});
    double best = 0.0;
    for (int r = 0; r < repeats(); ++r)
        best =
            std::max(best, images.size() / timedSeconds(threadClock(), [&] { vit.run(images); }));
    return best;
}

/// The network's rate next to its ceiling, measured right after it: the products' rate (fastest
/// path, weights prepacked) over the network's FLOPs, and the network's percentage of it.
void reportAgainstCeiling(const DinoVit& vit, const std::vector<cv::Mat>& images,
                          const QString& precisionTag) {
    const QString prefix = QStringLiteral("vit_s16_cpu_%1").arg(precisionTag);
    const double network = networkRate(vit, images);
    const double products = vitProductRate(vit.config(), kSide, vit.options().batchSize,
                                           vit.options().precision, threadClock());
    const double ceiling = products / vitImageFlops(vit.config(), kSide);
    report(QStringLiteral("vit_s16_gemm_%1_gflops").arg(precisionTag), products * 1e-9, "GFLOP/s");
    report(prefix + "_ceiling_img_per_s", ceiling, "img/s");
    reportWithLoad(prefix + "_network_of_ceiling_percent", 100.0 * network / ceiling, "%");
    if (precisionTag == QLatin1String("fp32"))
        reportWithLoad("vit_s16_cpu_network_img_per_s", network, "img/s");
    else
        reportWithLoad("vit_s16_cpu_bf16_network_img_per_s", network, "img/s");
    if (quick())
        return;
    // The same network with ATen's element-wise steps instead of the fused row kernels, right
    // after: what the fused kernels save, comparable on a loaded machine.
    const DinoVit unfused =
        makeVit(vit.options().precision, vit.options().batchSize, Unfused::RowKernels);
    const double without = networkRate(unfused, images);
    report(prefix + "_network_unfused_img_per_s", without, "img/s");
    reportWithLoad(prefix + "_fused_rows_speedup", network / without, "ratio");
    // The fused per-head attention against the copies + batched products + softmax it
    // replaced (row kernels fused in both).
    const DinoVit separate =
        makeVit(vit.options().precision, vit.options().batchSize, Unfused::Attention);
    const double withoutAttention = networkRate(separate, images);
    report(prefix + "_network_unfused_attention_img_per_s", withoutAttention, "img/s");
    reportWithLoad(prefix + "_fused_attention_speedup", network / withoutAttention, "ratio");
}

/// Decode + resize to 224 + network over the files, the way extractFeatures runs it. With
/// `decodeThreads` 0 (the pipeline's default) the network's own threads decode between their
/// tasks (DecodeQueue::kHelpersOnly) when it shares a batch out image by image, else a
/// DecodeQueue decodes ahead on `decodeThreads` threads while the network computes the batch
/// before. `capacity` bounds how far ahead threads decode (at least one batch, or the decoder
/// stalls while the network runs). `workerNice`: DecodeQueue's priority drop of its threads.
/// Best of --repeat runs.
double decodeIncludedRate(const DinoVit& vit, const QStringList& files, int decodeThreads,
                          int capacity, int workerNice = 0) {
    const int batch = vit.options().batchSize;
    const bool shareThreads = decodeThreads == 0 && vit.runsIdleWork(size_t(batch));
    double best = 0.0;
    for (int r = 0; r < repeats(); ++r) {
        QElapsedTimer timer;
        timer.start();
        DecodeQueue queue(files, DecodeQueue::decodeAndResize({}, ResizeSpec::fixed(kSide, kSide)),
                          shareThreads ? DecodeQueue::kHelpersOnly : decodeThreads,
                          shareThreads ? 2 * batch : capacity, workerNice);
        const std::function<bool()> idle =
            shareThreads ? std::function<bool()>([&queue] { return queue.helpDecode(); })
                         : std::function<bool()>();
        std::vector<cv::Mat> images;
        int processed = 0;
        DecodeQueueItem item;
        auto flush = [&] {
            if (!images.empty())
                vit.run(images, idle);
            processed += int(images.size());
            images.clear();
        };
        while (queue.next(&item)) {
            if (item.image.ok())
                images.push_back(item.image.rgb);
            if (int(images.size()) >= batch)
                flush();
        }
        flush();
        best = std::max(best, processed / (timer.nsecsElapsed() * 1e-9));
    }
    return best;
}

/// The same decode-included run with the decode threads at nice +5 (DecodeQueue's workerNice),
/// right after the default one: whether a decoder that yields to the network's threads loses
/// fewer of its cycles (comparable on a loaded machine through the ratio).
void reportDecodeNice(const DinoVit& vit, const QStringList& files, int decodeThreads, int capacity,
                      double withDecoding, const QString& prefix) {
    const double nice = decodeIncludedRate(vit, files, decodeThreads, capacity, 5);
    report(prefix + "_img_per_s_decode_nice5", nice, "img/s");
    reportWithLoad(prefix + "_decode_nice5_speedup", nice / withDecoding, "ratio");
}

/// Decoding + resizing alone on `threads` threads (what the network has to hide).
double decodeOnlyRate(const QStringList& files, int threads) {
    QElapsedTimer timer;
    timer.start();
    DecodeQueue queue(files, DecodeQueue::decodeAndResize({}, ResizeSpec::fixed(kSide, kSide)),
                      threads);
    DecodeQueueItem item;
    int decoded = 0;
    while (queue.next(&item))
        decoded += item.image.ok() ? 1 : 0;
    return decoded / (timer.nsecsElapsed() * 1e-9);
}

struct Accuracy {
    double minTokenCosine = 1.0;
    double meanTokenCosine = 0.0;
    double maxAttentionError = 0.0;
};

/// bfloat16 against float32 on the same images: per-token cosine and attention differences.
Accuracy compare(const std::vector<ImageFeatures>& exact, const std::vector<ImageFeatures>& low) {
    Accuracy a;
    size_t tokens = 0;
    for (size_t i = 0; i < exact.size(); ++i) {
        const int d = exact[i].dims;
        for (int t = 0; t < exact[i].grid.size(); ++t) {
            const float* x = exact[i].patchTokens.data() + size_t(t) * d;
            const float* y = low[i].patchTokens.data() + size_t(t) * d;
            double xy = 0, xx = 0, yy = 0;
            for (int k = 0; k < d; ++k) {
                xy += double(x[k]) * y[k];
                xx += double(x[k]) * x[k];
                yy += double(y[k]) * y[k];
            }
            const double c = xy / std::sqrt(xx * yy);
            a.minTokenCosine = std::min(a.minTokenCosine, c);
            a.meanTokenCosine += c;
            ++tokens;
        }
        auto maxDiff = [&](const std::vector<float>& p, const std::vector<float>& q) {
            for (size_t k = 0; k < p.size(); ++k)
                a.maxAttentionError = std::max(a.maxAttentionError, double(std::abs(p[k] - q[k])));
        };
        maxDiff(exact[i].clsAttention, low[i].clsAttention);
        maxDiff(exact[i].neighbourhood.values(), low[i].neighbourhood.values());
    }
    a.meanTokenCosine /= double(std::max<size_t>(tokens, 1));
    return a;
}

/// The features of the pool in a fresh store (what `freesel select` keeps), for one precision.
struct PoolFeatures {
    std::unique_ptr<FeatureStore> store;
    std::vector<int> records;
    PoolPatterns patterns;
};

PoolFeatures extractPool(const std::vector<PoolEntry>& pool, VitPrecision precision,
                         const QString& storeDir) {
    const int batch = option("batch", "8").toInt();
    DinoBackend backend(DinoVit::withSyntheticWeights(vitConfigByName("dino_vits16"), kWeightsSeed,
                                                      vitOptions(precision, batch)),
                        QStringLiteral("random:%1").arg(kWeightsSeed));
    ExtractionOptions extraction;
    extraction.batchSize = batch;
    extraction.decodeThreads = option("decode-threads", "0").toInt();
    PoolFeatures features;
    features.store = std::make_unique<FeatureStore>();
    features.store->openForWriting(storeDir, storeHeaderFor(backend, extraction.resize))
        .throwIfFailed();
    const ExtractionReport extracted = extractFeatures(pool, backend, *features.store, extraction);
    std::printf("# %s: extracted %d images (%d failed) in %.1f s\n", vitPrecisionName(precision),
                extracted.extracted, extracted.failed, extracted.seconds);
    features.records = storeRecordsFor(pool, *features.store);
    features.patterns = computePatterns(*features.store, features.records, PatternParameters{},
                                        /*seed=*/0, /*threads=*/0);
    return features;
}

std::vector<int> freeSelPicks(const PoolPatterns& patterns, int64_t budget, uint64_t seed) {
    SelectionRequest request;
    request.budget = budget;
    request.seed = seed;
    std::vector<int> picks;
    for (const Pick& pick : selectImages(patterns, StrategyKind::FreeSel, request).picks)
        picks.push_back(pick.image);
    return picks;
}

double overlap(const std::vector<int>& a, const std::vector<int>& b) {
    const std::set<int> left(a.begin(), a.end());
    int common = 0;
    for (int image : b)
        common += left.count(image) ? 1 : 0;
    return double(common) / double(std::max<size_t>(a.size(), 1));
}

/// The full selection (extract -> patterns -> FreeSel, budget 10%, seed 0) in float32 and in
/// bfloat16: how many of the selected images are the same, and whether the ranking is.
void selectionComparison(const QString& poolDir) {
    const PoolScan scan = scanPool(poolDir);
    if (!scan.ok() || scan.entries.empty()) {
        std::printf("# no pool at %s: selection comparison skipped\n", qPrintable(poolDir));
        return;
    }
    QTemporaryDir stores;
    if (!stores.isValid())
        throw std::runtime_error("cannot create a temporary folder for the feature stores");
    std::printf("# FreeSel selection on %s (%zu images), budget 10%%, seed 0, float32 vs "
                "bfloat16. Weights are RANDOM (synthetic, seed %llu; no download is possible "
                "here): the overlap measures how much bfloat16 rounding moves this pipeline, "
                "not the selection a trained DINO would make.\n",
                qPrintable(poolDir), scan.entries.size(),
                static_cast<unsigned long long>(kWeightsSeed));
    const PoolFeatures exact = extractPool(scan.entries, VitPrecision::Float32,
                                           stores.filePath(QStringLiteral("float32")));
    const PoolFeatures low = extractPool(scan.entries, VitPrecision::BFloat16,
                                         stores.filePath(QStringLiteral("bfloat16")));
    const int usable = int(exact.patterns.poolIndex.size());
    const int64_t budget = std::llround(usable * 0.10);
    const std::vector<int> a = freeSelPicks(exact.patterns, budget, 0);
    const std::vector<int> b = freeSelPicks(low.patterns, budget, 0);
    int firstDifference = -1;
    for (size_t i = 0; i < std::min(a.size(), b.size()) && firstDifference < 0; ++i)
        if (a[i] != b[i])
            firstDifference = int(i) + 1;
    std::printf("# %d usable images, budget %lld: %d of %zu selected images shared; ranked "
                "lists %s (first difference at rank %d)\n",
                usable, static_cast<long long>(budget), int(std::lround(overlap(a, b) * a.size())),
                a.size(), a == b ? "identical" : "differ", firstDifference);
    report("vit_s16_bf16_selection_overlap", overlap(a, b), "ratio");
    report("vit_s16_bf16_selection_ranked_identical", a == b ? 1.0 : 0.0, "bool");
    // Scale of the difference: the same float32 features with another selection seed, and
    // what two unrelated uniform draws share on average (budget / pool).
    report("vit_s16_fp32_seed0_vs_seed1_selection_overlap",
           overlap(a, freeSelPicks(exact.patterns, budget, 1)), "ratio");
    report("vit_s16_selection_overlap_by_chance", double(budget) / std::max(usable, 1), "ratio");
    std::printf("# precision decision: bfloat16 may become the CPU default only when it leaves the "
                "selection unchanged; here it %s, so float32 %s.\n",
                a == b ? "does" : "does not", a == b ? "could be replaced" : "stays the default");
}

QList<int> batchSizes() {
    QList<int> sizes;
    for (const QString& b : option("batches", "").split(QLatin1Char(','), Qt::SkipEmptyParts))
        sizes << b.toInt();
    return sizes;
}

void runVitBenchmark() {
    const int count = option("images", "64").toInt();
    const int batch = option("batch", "8").toInt();
    const int decodeThreads = option("decode-threads", "0").toInt();
    const int capacity = option("capacity", QString::number(2 * batch)).toInt();
    const std::vector<cv::Mat> images = noiseImages(count);
    const QString pool = option("pool", "../shared/datasets/coco128");
    const QStringList files = poolFiles(pool, count);

    const DinoVit fp32 = makeVit(VitPrecision::Float32, batch);
    std::printf("# ViT-S/16 224x224 on %s, batch %d, %d images, best of %d runs, %s; "
                "OpenMP wait policy: %s; %.2f GFLOP per image (2 per multiply-add)\n",
                fp32.deviceDescription().c_str(), batch, count, repeats(),
                threadClock() ? "one thread, its CPU time" : "wall clock",
                openMpWaitPolicyInEffect(), vitImageFlops(fp32.config(), kSide) * 1e-9);
    reportAgainstCeiling(fp32, images, "fp32");
    if (threadClock()) {
        std::printf("# --clock=thread: decoding runs on other threads, its figures skipped\n");
    } else if (!files.isEmpty()) {
        std::printf("# JPEG decoding + resize of %d files from %s overlapped with the network "
                    "(%s)\n",
                    int(files.size()), qPrintable(pool),
                    decodeThreads == 0 ? "decoded by the network's threads between their tasks"
                                       : "DecodeQueue threads");
        reportWithLoad("vit_s16_decode_only_1thread_img_per_s", decodeOnlyRate(files, 1), "img/s");
        const std::vector<int> decodeThreadCounts =
            quick() ? std::vector<int>{1} : std::vector<int>{1, 2};
        for (int threads : decodeThreadCounts)
            reportWithLoad(QStringLiteral("vit_s16_cpu_img_per_s_decode%1").arg(threads),
                           decodeIncludedRate(fp32, files, threads, capacity), "img/s");
        const double withDecoding = decodeIncludedRate(fp32, files, decodeThreads, capacity);
        reportWithLoad("vit_s16_cpu_img_per_s", withDecoding, "img/s");
        if (!quick() && decodeThreads > 0)
            reportDecodeNice(fp32, files, decodeThreads, capacity, withDecoding, "vit_s16_cpu");
    } else {
        std::printf("# no images under --pool=%s: network alone on noise images\n",
                    qPrintable(pool));
        reportWithLoad("vit_s16_cpu_img_per_s", networkRate(fp32, images), "img/s");
    }

    const DinoVit bf16 = makeVit(VitPrecision::BFloat16, batch);
    std::printf("# %s\n", bf16.deviceDescription().c_str());
    reportAgainstCeiling(bf16, images, "bf16");
    if (!files.isEmpty() && !threadClock()) {
        const double withDecoding = decodeIncludedRate(bf16, files, decodeThreads, capacity);
        reportWithLoad("vit_s16_cpu_bf16_img_per_s", withDecoding, "img/s");
        if (decodeThreads == 0) // against one decode thread of its own, the earlier default
            reportWithLoad("vit_s16_cpu_bf16_img_per_s_decode1",
                           decodeIncludedRate(bf16, files, 1, capacity), "img/s");
        if (!quick() && decodeThreads > 0)
            reportDecodeNice(bf16, files, decodeThreads, capacity, withDecoding,
                             "vit_s16_cpu_bf16");
    }

    for (int size : batchSizes()) {
        for (VitPrecision precision : {VitPrecision::Float32, VitPrecision::BFloat16}) {
            const DinoVit vit = makeVit(precision, size);
            const std::vector<cv::Mat> sample = noiseImages(std::max(count, 2 * size));
            reportWithLoad(QStringLiteral("vit_s16_cpu_%1_network_img_per_s_batch%2")
                               .arg(precision == VitPrecision::Float32 ? "fp32" : "bf16")
                               .arg(size),
                           networkRate(vit, sample), "img/s");
        }
    }

    if (option("breakdown", "0") == QLatin1String("1"))
        for (VitPrecision precision : {VitPrecision::Float32, VitPrecision::BFloat16})
            printVitBlockBreakdown(fp32.config(), kSide, batch, precision, threadClock());

    const std::vector<cv::Mat> sample(images.begin(), images.begin() + std::min(count, 16));
    const Accuracy a = compare(fp32.run(sample), bf16.run(sample));
    report("vit_s16_bf16_token_cosine_min", a.minTokenCosine, "cos");
    report("vit_s16_bf16_token_cosine_mean", a.meanTokenCosine, "cos");
    report("vit_s16_bf16_attention_max_abs_error", a.maxAttentionError, "abs");

    if (option("selection", "1") != QLatin1String("0"))
        selectionComparison(pool);
}

/// The network alone (float32, default batch) quiet and with one core kept busy by a spinning
/// thread: how much of its speed extraction keeps when the machine is shared.
void runVitBusyBenchmark() {
    const int count = option("images", "32").toInt();
    const int batch = option("batch", "8").toInt();
    const std::vector<cv::Mat> images = noiseImages(count);
    const DinoVit vit = makeVit(VitPrecision::Float32, batch);
    std::printf("# ViT-S/16 network, %s, batch %d, %d images; OpenMP wait policy: %s; load %.2f\n",
                vit.deviceDescription().c_str(), batch, count, openMpWaitPolicyInEffect(),
                loadAverage());
    const auto [quiet, busy] = quietAndBusy([&] { return networkRate(vit, images); }, 1);
    report("vit_s16_cpu_quiet_img_per_s", quiet, "img/s");
    report("vit_s16_cpu_busy_img_per_s", busy, "img/s");
    reportWithLoad("vit_s16_cpu_busy_ratio", busy / quiet, "ratio");
}

const BenchmarkRegistration busyRegistration(
    "vit_busy",
    "ViT-S/16 network speed with one core kept busy by a spinning thread, as a ratio of the quiet "
    "speed (vit_s16_cpu_busy_ratio; OMP_WAIT_POLICY=ACTIVE to compare with libgomp's spinning)",
    runVitBusyBenchmark);

const BenchmarkRegistration registration(
    "vit",
    "ViT-S/16 224x224 CPU throughput (float32, bfloat16; network alone and with overlapped "
    "JPEG decoding) and what bfloat16 costs (token cosine, attention error, FreeSel selection "
    "overlap on the pool; synthetic random weights) [--batch=8 --images-per-task=2 "
    "--image-parallel=0 --quick=1]",
    runVitBenchmark);

} // namespace

} // namespace freesel::bench
