// SPDX-License-Identifier: GPL-3.0-or-later
// End-to-end benchmarks (issue 4): a whole selection over a real folder with a cold store
// (offline backend, and DINO ViT-S/16 on random weights), and re-selection from a large cached
// store after a tau change (patterns + selection only, no network).
#include "backbone/dino_backend.h"
#include "backbone/dino_vit.h"
#include "backbone/offline_backend.h"
#include "backbone/vit_config.h"
#include "bench_registry.h"
#include "busy_core.h"
#include "export/export_image_sizes.h"
#include "patterns/pool_patterns.h"
#include "pipeline.h"
#include "selection/distance_sampling.h"
#include "synthetic_features.h"

#include <QDir>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QThread>
#include <cstdio>

using namespace freesel;
using namespace freesel::bench;

namespace {

QString poolFolder() {
    return option(QStringLiteral("pool"),
                  QStringLiteral(FREESEL_SOURCE_DIR "/../shared/datasets/coco128"));
}

/// What `freesel select POOL --budget 10% --format csv` does, stage for stage, with `backend`
/// and a store in a fresh temporary folder. Returns images per second (pool size / wall time),
/// or 0 after printing why.
double selectEndToEnd(FeatureBackend& backend, const QString& label) {
    QElapsedTimer timer;
    timer.start();
    const PoolScan scan = scanPool(poolFolder());
    if (!scan.ok() || scan.entries.empty()) {
        std::fprintf(stderr, "%s: no pool at %s (--pool=DIR)\n", qPrintable(label),
                     qPrintable(poolFolder()));
        return 0.0;
    }
    QTemporaryDir dir;
    FeatureStore store;
    ExtractionOptions extraction;
    extraction.resize = ResizeSpec::fixed(224, 224);
    if (const Status opened = store.openForWriting(dir.filePath(QStringLiteral("store")),
                                                   storeHeaderFor(backend, extraction.resize));
        !opened) {
        std::fprintf(stderr, "%s: %s\n", qPrintable(label), qPrintable(opened.message()));
        return 0.0;
    }
    const ExtractionReport report = extractFeatures(scan.entries, backend, store, extraction);
    const std::vector<int> records = storeRecordsFor(scan.entries, store);
    PatternParameters params;
    const PoolPatterns patterns = computePatterns(store, records, params, 0, 0);
    SelectionRequest request;
    request.budget = static_cast<int64_t>(patterns.poolIndex.size() / 10);
    const SelectionResult result = selectImages(patterns, StrategyKind::FreeSel, request);
    Provenance provenance;
    provenance.backend = backend.name();
    SelectionExport exported =
        buildSelectionExport(scan.entries, store, records, patterns, result, provenance);
    fillExportImageSizes(exported);
    const ExportResult written =
        exportSelection(exported, ExportFormat::Csv, dir.filePath(QStringLiteral("selection.csv")));
    const double seconds = timer.nsecsElapsed() * 1e-9;
    std::fprintf(stderr,
                 "%s: %zu images (%d extracted, %d failed), %zu selected, %.2f s (extraction "
                 "%.2f s) on %s%s\n",
                 qPrintable(label), scan.entries.size(), report.extracted, report.failed,
                 result.picks.size(), seconds, report.seconds,
                 qPrintable(backend.deviceDescription()), written.ok() ? "" : " EXPORT FAILED");
    return written.ok() ? double(scan.entries.size()) / seconds : 0.0;
}

void benchOffline() {
    OfflineBackend backend;
    report(QStringLiteral("e2e_offline_img_per_s"),
           selectEndToEnd(backend, QStringLiteral("e2e_offline")), QStringLiteral("img/s"));
}

void benchDinoRandom() {
    const quint64 seed = 1;
    DinoBackend backend(DinoVit::withSyntheticWeights(vitConfigByName("dino_vits16"), seed),
                        QStringLiteral("random:%1").arg(seed));
    report(QStringLiteral("e2e_dino_random_img_per_s"),
           selectEndToEnd(backend, QStringLiteral("e2e_dino_random")), QStringLiteral("img/s"));
}

/// A store of `count` cached ViT-S/16-shaped images (14 x 14, d = 384, R = 3), and the pool
/// entries that find them.
std::vector<PoolEntry> writeSyntheticStore(const QString& folder, int count, TokenModel tokens) {
    StoreHeader header;
    header.fingerprint.backend = QStringLiteral("synthetic|dino-like|vits16-shape|tokens=%1")
                                     .arg(tokens == TokenModel::Noise ? QStringLiteral("noise")
                                                                      : QStringLiteral("concepts"));
    header.fingerprint.input = resizeSpecFingerprint(ResizeSpec::fixed(224, 224));
    header.fingerprint.radius = 3;
    FeatureStore store;
    store.openForWriting(folder, header).throwIfFailed();
    const int existing = store.count(); // --keep-store: a folder from an earlier run
    std::vector<PoolEntry> pool(static_cast<size_t>(count));
    constexpr int kChunk = 256;
    std::vector<ImageFeatures> chunk(kChunk);
    for (int start = 0; start < count; start += kChunk) {
        const int n = std::min(kChunk, count - start);
#pragma omp parallel for schedule(dynamic, 4)
        for (int k = 0; k < n; ++k)
            if (start + k >= existing)
                chunk[size_t(k)] = dinoLikeFeatures(start + k, 4.0, tokens);
        for (int k = 0; k < n; ++k) {
            PoolEntry& entry = pool[size_t(start + k)];
            entry.path =
                QStringLiteral("/synthetic/img_%1.jpg").arg(start + k, 6, 10, QLatin1Char('0'));
            entry.relativePath = entry.path.mid(11);
            entry.size = 1000 + start + k;
            entry.mtimeMs = 1700000000000LL;
            if (start + k >= existing)
                store.append({entry.path, entry.size, entry.mtimeMs, start + k}, chunk[size_t(k)])
                    .throwIfFailed();
        }
    }
    store.flush(false).throwIfFailed();
    return pool;
}

double reselectOnce(const QString& folder, const std::vector<PoolEntry>& pool, double tau,
                    const QString& budgetText, bool reportIt);

void benchReselect() {
    const int count = option(QStringLiteral("store-images"), QStringLiteral("16551")).toInt();
    const QString budgetText = option(QStringLiteral("reselect-budget"), QStringLiteral("10%"));
    const double tau = option(QStringLiteral("tau"), QStringLiteral("0.6")).toDouble();
    QTemporaryDir dir;
    // --keep-store=DIR keeps the generated store there for later runs (it takes a minute).
    const QString kept = option(QStringLiteral("keep-store"), QString());
    const QString folder = kept.isEmpty() ? dir.filePath(QStringLiteral("store")) : kept;
    QElapsedTimer timer;
    timer.start();
    const TokenModel tokens =
        option(QStringLiteral("tokens"), QStringLiteral("concepts")) == QLatin1String("noise")
            ? TokenModel::Noise
            : TokenModel::Concepts;
    const std::vector<PoolEntry> pool = writeSyntheticStore(folder, count, tokens);
    std::fprintf(stderr, "reselect: wrote a store of %d synthetic ViT-S/16 images in %.1f s\n",
                 count, timer.nsecsElapsed() * 1e-9);

    // --busy=1: the same re-selection again with one core kept busy by a spinning thread.
    const bool busyToo = option(QStringLiteral("busy"), QStringLiteral("0")) != QLatin1String("0");
    const double quiet = reselectOnce(folder, pool, tau, budgetText, true);
    report(QStringLiteral("reselect_after_tau_rss_mb"), peakRssMb(), QStringLiteral("MB"));
    if (busyToo) {
        BusyCore busy;
        const double loaded = reselectOnce(folder, pool, tau, budgetText, false);
        report(QStringLiteral("reselect_after_tau_busy_seconds"), loaded, QStringLiteral("s"));
        report(QStringLiteral("reselect_after_tau_busy_ratio"), quiet / loaded,
               QStringLiteral("ratio"));
    }
}

/// What `freesel select` does when only tau changed: open the store, find every image, patterns
/// at the new tau, selection. No decoding, no network. Returns the seconds it took.
double reselectOnce(const QString& folder, const std::vector<PoolEntry>& pool, double tau,
                    const QString& budgetText, bool reportIt) {
    QElapsedTimer timer;
    timer.start();
    FeatureStore store;
    store.openForReading(folder).throwIfFailed();
    const std::vector<int> records = storeRecordsFor(pool, store);
    PatternParameters params;
    params.tau = tau;
    // --pattern-rows=file: the rows go to a file beside the store, as freesel select does for
    // pools larger than a quarter of memory (patterns/pattern_rows.h).
    const bool rowsInFile =
        option(QStringLiteral("pattern-rows"), QStringLiteral("memory")) == QLatin1String("file");
    const PoolPatterns patterns =
        computePatterns(store, records, params, 0, 0, {}, nullptr,
                        rowsInFile ? folder.toStdString() : std::string());
    const double patternSeconds = timer.nsecsElapsed() * 1e-9;
    SelectionRequest request;
    const int usable = static_cast<int>(patterns.poolIndex.size());
    request.budget = budgetText.endsWith(QLatin1Char('%'))
                         ? static_cast<int64_t>(usable * budgetText.chopped(1).toDouble() / 100.0)
                         : budgetText.toLongLong();
    const SelectionResult result = selectImages(patterns, StrategyKind::FreeSel, request);
    const double seconds = timer.nsecsElapsed() * 1e-9;
    std::fprintf(stderr,
                 "reselect: %d images, %lld patterns, tau %.2f, budget %lld (%s): open + "
                 "patterns %.2f s, selection %.2f s, %d threads\n",
                 usable, static_cast<long long>(patterns.patterns.patternCount()), tau,
                 static_cast<long long>(request.budget), qPrintable(budgetText), patternSeconds,
                 seconds - patternSeconds, QThread::idealThreadCount());
    if (static_cast<int64_t>(result.picks.size()) != request.budget)
        std::fprintf(stderr, "reselect: selected %zu, expected %lld\n", result.picks.size(),
                     static_cast<long long>(request.budget));
    if (!reportIt)
        return seconds;
    report(QStringLiteral("reselect_after_tau_seconds"), seconds, QStringLiteral("s"));
    if (option(QStringLiteral("reselect-stats"), QStringLiteral("0")) != QLatin1String("0")) {
        // Why the selection takes what it takes: how much of the naive work the bounds skip.
        DistanceSamplingStats stats;
        distanceSampling(patterns.patterns, request.budget, 0, DistanceSamplingOptions(), &stats);
        report(QStringLiteral("reselect_evaluated_fraction"),
               double(stats.distanceEvaluations) /
                   double(std::max<int64_t>(1, stats.candidatePairs)),
               QStringLiteral("ratio"));
        report(QStringLiteral("reselect_plan_seconds"), stats.planSeconds, QStringLiteral("s"));
        report(QStringLiteral("reselect_evaluate_seconds"), stats.evaluateSeconds,
               QStringLiteral("s"));
    }
    return seconds;
}

/// The pattern stage over synthetic ViT-S/16-like features on every core, quiet and with one
/// core kept busy by a spinning thread.
void benchPatternsBusy() {
    const int images = option(QStringLiteral("images"), QStringLiteral("600")).toInt();
    std::vector<ImageFeatures> pool;
    pool.reserve(images);
    for (int i = 0; i < images; ++i)
        pool.push_back(dinoLikeFeatures(i));
    // One pass over 600 images takes a few tens of milliseconds: time several, so that a
    // scheduler hiccup does not decide the ratio.
    const int passes = option(QStringLiteral("passes"), QStringLiteral("8")).toInt();
    const auto rate = [&] {
        QElapsedTimer timer;
        timer.start();
        for (int pass = 0; pass < passes; ++pass)
            computePoolPatterns(
                images, [&](int i) { return pool[size_t(i)]; }, PatternParameters{}, 0, 0);
        return double(images) * passes / (timer.nsecsElapsed() * 1e-9);
    };
    std::fprintf(stderr, "patterns_busy: %d images, %d threads, OpenMP wait policy: %s\n", images,
                 QThread::idealThreadCount(), openMpWaitPolicyInEffect());
    const auto [quiet, busy] = quietAndBusy(rate, 3);
    report(QStringLiteral("patterns_quiet_img_per_s"), quiet, QStringLiteral("img/s"));
    report(QStringLiteral("patterns_busy_img_per_s"), busy, QStringLiteral("img/s"));
    report(QStringLiteral("patterns_busy_ratio"), busy / quiet, QStringLiteral("ratio"));
}

const BenchmarkRegistration
    patternsBusy(QStringLiteral("patterns_busy"),
                 QStringLiteral("pattern stage on every core, quiet and with one core kept busy "
                                "(patterns_busy_ratio; --images=N --passes=N)"),
                 benchPatternsBusy);

const BenchmarkRegistration offline(QStringLiteral("e2e_offline"),
                                    QStringLiteral("whole select, offline backend, cold store "
                                                   "(--pool=DIR, default coco128)"),
                                    benchOffline);
const BenchmarkRegistration dino(QStringLiteral("e2e_dino_random"),
                                 QStringLiteral("whole select, DINO ViT-S/16 on random weights, "
                                                "cold store (--pool=DIR)"),
                                 benchDinoRandom);
const BenchmarkRegistration reselect(
    QStringLiteral("reselect_after_tau"),
    QStringLiteral("patterns + selection from a cached store of 16,551 ViT-S/16 images after a "
                   "tau change (--store-images=N --reselect-budget=N|P% --tau=T "
                   "--tokens=concepts|noise --keep-store=DIR --reselect-stats=1 "
                   "--pattern-rows=memory|file --busy=1: again with one core busy)"),
    benchReselect);

} // namespace
