// SPDX-License-Identifier: GPL-3.0-or-later
// Engine benchmarks (issue 2): the per-image pattern stage and exact D^2 selection at scale.
#include "bench_registry.h"
#include "busy_core.h"
#include "patterns/semantic_patterns.h"
#include "selection/distance_sampling.h"
#include "support/synthetic_pool.h"
#include "synthetic_features.h"

#include <QElapsedTimer>
#include <atomic>
#include <cmath>
#include <thread>

using namespace freesel;
using namespace freesel::bench;
using namespace freesel::testing;

namespace {

/// Times the pattern stage; `peak` sets how concentrated the [CLS] attention is (4: object
/// blobs as DINO shows them; 0.5: nearly flat, the worst case, about half the patches kept).
void benchPatternsWith(double peak, const QString& suffix) {
    const int images = option(QStringLiteral("images"), QStringLiteral("2000")).toInt();
    std::vector<ImageFeatures> pool;
    pool.reserve(images);
    for (int i = 0; i < images; ++i)
        pool.push_back(dinoLikeFeatures(i, peak, TokenModel::Noise));
    PatternParameters params; // tau 0.5, K 5, eps 2
    const QString solver = option(QStringLiteral("solver"), QStringLiteral("auto"));
    params.solver = solver == QLatin1String("dense")     ? EigenSolverChoice::Dense
                    : solver == QLatin1String("lanczos") ? EigenSolverChoice::Lanczos
                                                         : EigenSolverChoice::Automatic;
    double kept = 0.0, patterns = 0.0;
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < images; ++i) { // one core: a plain loop on this thread
        const ImagePatterns result = extractImagePatterns(pool[i], params, i);
        kept += static_cast<double>(result.kept.size());
        patterns += static_cast<double>(result.patterns.rows());
    }
    const double ms = timer.nsecsElapsed() * 1e-6 / images;
    report(QStringLiteral("patterns_ms_per_image") + suffix, ms, QStringLiteral("ms"));
    report(QStringLiteral("patterns_mean_kept_patches") + suffix, kept / images,
           QStringLiteral("patches"));
    report(QStringLiteral("patterns_mean_patterns") + suffix, patterns / images,
           QStringLiteral("patterns"));
}

void benchPatterns() {
    benchPatternsWith(4.0, QString());
    benchPatternsWith(0.5, QStringLiteral("_flat"));
}

/// 300 semantic modes; by default most within-mode variation in a rank-16 subspace plus small
/// isotropic noise (cosine ~0.65 between patterns of one mode, ~0 across). --rank=0 --noise=0.7
/// gives purely isotropic noise of the same strength, the worst case for bounds.
ConceptSpread vocSpread() {
    ConceptSpread spread;
    spread.rank = option(QStringLiteral("rank"), QStringLiteral("16")).toInt();
    spread.noise = option(QStringLiteral("noise"), QStringLiteral("0.25")).toDouble();
    spread.along = option(QStringLiteral("along"), QStringLiteral("0.65")).toDouble();
    return spread;
}

/// --dense-scan=auto|never|always (DistanceSamplingOptions::denseScan).
DenseScan denseScanOption() {
    const QString value = option(QStringLiteral("dense-scan"), QStringLiteral("auto"));
    if (value == QLatin1String("never"))
        return DenseScan::Never;
    return value == QLatin1String("always") ? DenseScan::Always : DenseScan::Auto;
}

void benchSelectVoc() {
    const int images = option(QStringLiteral("images"), QStringLiteral("16551")).toInt();
    const int budget = option(QStringLiteral("budget"), QStringLiteral("8000")).toInt();
    const bool pruning = option(QStringLiteral("pruning"), QStringLiteral("1")).toInt() != 0;
    PatternPool pool = makeClusteredPool(images, 384, 300, 5, vocSpread(), 2023, true);
    DistanceSamplingOptions options;
    options.threads = option(QStringLiteral("threads"), QStringLiteral("2")).toInt();
    options.pruning = pruning;
    options.groups = option(QStringLiteral("groups"), QStringLiteral("0")).toInt();
    options.prefilter = option(QStringLiteral("prefilter"), QStringLiteral("1")).toInt() != 0;
    options.projections = option(QStringLiteral("projections"), QStringLiteral("1")).toInt() != 0;
    options.drawBatch = option(QStringLiteral("draw-batch"), QStringLiteral("8")).toInt();
    options.denseScan = denseScanOption();
    DistanceSamplingStats stats;
    QElapsedTimer timer;
    timer.start();
    const SelectionResult result = distanceSampling(std::move(pool), budget, 1, options, &stats);
    const double seconds = timer.nsecsElapsed() * 1e-9;
    report(pruning ? QStringLiteral("select_voc_seconds")
                   : QStringLiteral("select_voc_naive_seconds"),
           seconds, QStringLiteral("s"));
    report(QStringLiteral("select_voc_grouping_seconds"), stats.groupingSeconds,
           QStringLiteral("s"));
    report(QStringLiteral("select_voc_plan_seconds"), stats.planSeconds, QStringLiteral("s"));
    report(QStringLiteral("select_voc_evaluate_seconds"), stats.evaluateSeconds,
           QStringLiteral("s"));
    report(QStringLiteral("select_voc_apply_seconds"), stats.applySeconds, QStringLiteral("s"));
    report(QStringLiteral("select_voc_evaluated_fraction"),
           double(stats.distanceEvaluations) / std::max<int64_t>(1, stats.candidatePairs),
           QStringLiteral("ratio"));
    report(QStringLiteral("select_voc_row_checks"), double(stats.rowChecks),
           QStringLiteral("pairs"));
    report(QStringLiteral("select_voc_distance_evaluations"), double(stats.distanceEvaluations),
           QStringLiteral("distances"));
    report(QStringLiteral("select_voc_lowered_distances"), double(stats.loweredDistances),
           QStringLiteral("distances"));
    report(QStringLiteral("select_voc_rejected_draws"), double(stats.rejectedDraws),
           QStringLiteral("draws"));
    report(QStringLiteral("select_voc_bound_refreshes"), double(stats.boundRefreshes),
           QStringLiteral("groups"));
    report(QStringLiteral("select_voc_picks"), double(result.picks.size()),
           QStringLiteral("images"));
}

double timeVocSelection(int images, int budget, int threads) {
    PatternPool pool = makeClusteredPool(images, 384, 300, 5, vocSpread(), 2023, true);
    DistanceSamplingOptions options;
    options.threads = threads;
    QElapsedTimer timer;
    timer.start();
    distanceSampling(std::move(pool), budget, 1, options);
    return timer.nsecsElapsed() * 1e-9;
}

/// The same selection quiet and with one core kept busy: a desktop app shares its machine.
void benchSelectBusy() {
    const int images = option(QStringLiteral("images"), QStringLiteral("16551")).toInt();
    const int budget = option(QStringLiteral("budget"), QStringLiteral("8000")).toInt();
    const int threads = option(QStringLiteral("threads"), QStringLiteral("2")).toInt();
    const double quiet = timeVocSelection(images, budget, threads);
    double busy = 0.0;
    {
        BusyCore core;
        busy = timeVocSelection(images, budget, threads);
    }
    report(QStringLiteral("select_voc_quiet_seconds"), quiet, QStringLiteral("s"));
    report(QStringLiteral("select_voc_busy_seconds"), busy, QStringLiteral("s"));
    report(QStringLiteral("select_voc_busy_ratio"), quiet / busy, QStringLiteral("ratio"));
}

/// Selection over a generated pool of `images` x 5 x 384 (300 concepts), with the time of each
/// stage, so where the time goes at scale is measured, not guessed.
/// --rows=file keeps the float rows in a temporary file (PatternPool::withRowsInFile): only the
/// sampler's bfloat16 copy is resident.
void runSelectAtScale(const QString& prefix, int images, int budget, const QString& rows) {
    const bool onFile = rows == QLatin1String("file");
    PatternPool pool =
        fillClusteredPool(onFile ? PatternPool::withRowsInFile(384) : PatternPool(384), images, 300,
                          5, vocSpread(), 7, true);
    const double poolMb = pool.memoryBytes() / 1048576.0;
    DistanceSamplingOptions options;
    options.threads = option(QStringLiteral("threads"), QStringLiteral("2")).toInt();
    options.projections = option(QStringLiteral("projections"), QStringLiteral("1")).toInt() != 0;
    options.drawBatch = option(QStringLiteral("draw-batch"), QStringLiteral("8")).toInt();
    options.denseScan = denseScanOption();
    DistanceSamplingStats stats;
    QElapsedTimer timer;
    timer.start();
    distanceSampling(std::move(pool), budget, 1, options, &stats);
    report(prefix + QStringLiteral("_images"), images, QStringLiteral("images"));
    report(prefix + QStringLiteral("_budget"), budget, QStringLiteral("images"));
    report(prefix + QStringLiteral("_pool_mb"), poolMb, QStringLiteral("MB"));
    report(prefix + QStringLiteral("_grouping_seconds"), stats.groupingSeconds,
           QStringLiteral("s"));
    report(prefix + QStringLiteral("_plan_seconds"), stats.planSeconds, QStringLiteral("s"));
    report(prefix + QStringLiteral("_evaluate_seconds"), stats.evaluateSeconds,
           QStringLiteral("s"));
    report(prefix + QStringLiteral("_apply_seconds"), stats.applySeconds, QStringLiteral("s"));
    report(prefix + QStringLiteral("_row_checks"), double(stats.rowChecks),
           QStringLiteral("pairs"));
    report(prefix + QStringLiteral("_distance_evaluations"), double(stats.distanceEvaluations),
           QStringLiteral("distances"));
    report(prefix + QStringLiteral("_dense_evaluations"), double(stats.denseEvaluations),
           QStringLiteral("distances"));
    report(prefix + QStringLiteral("_exact_evaluations"), double(stats.exactEvaluations),
           QStringLiteral("distances"));
    report(prefix + QStringLiteral("_rejected_draws"), double(stats.rejectedDraws),
           QStringLiteral("draws"));
    report(prefix + QStringLiteral("_bound_refreshes"), double(stats.boundRefreshes),
           QStringLiteral("groups"));
    report(prefix + QStringLiteral("_lowered_distances"), double(stats.loweredDistances),
           QStringLiteral("distances"));
    report(prefix + QStringLiteral("_seconds"), timer.nsecsElapsed() * 1e-9, QStringLiteral("s"));
    const auto mb = [](int64_t bytes) { return bytes / 1048576.0; };
    report(prefix + QStringLiteral("_rows_mb"), mb(stats.rowBytes), QStringLiteral("MB"));
    report(prefix + QStringLiteral("_state_mb"), mb(stats.stateBytes), QStringLiteral("MB"));
    report(prefix + QStringLiteral("_trees_mb"), mb(stats.treeBytes), QStringLiteral("MB"));
    report(prefix + QStringLiteral("_groups_mb"), mb(stats.groupBytes), QStringLiteral("MB"));
    report(prefix + QStringLiteral("_rss_mb"), peakRssMb(), QStringLiteral("MB"));
}

void benchSelectRss() {
    const int images = option(QStringLiteral("images"), QStringLiteral("1000000")).toInt();
    const int budget = option(QStringLiteral("budget"), QStringLiteral("1000")).toInt();
    runSelectAtScale(QStringLiteral("select_rss"), images, budget,
                     option(QStringLiteral("rows"), QStringLiteral("file")));
    if (images == 1000000) // the whole process: pool, copies, indexes, trees
        report(QStringLiteral("select_1m_rss_mb"), peakRssMb(), QStringLiteral("MB"));
}

/// The issue-18 goal: 1M x 5 x 384, budget 100,000 (10%), 2 threads.
void benchSelect1m100k() {
    const int images = option(QStringLiteral("images"), QStringLiteral("1000000")).toInt();
    const int budget = option(QStringLiteral("budget"), QStringLiteral("100000")).toInt();
    runSelectAtScale(QStringLiteral("select_1m_100k"), images, budget,
                     option(QStringLiteral("rows"), QStringLiteral("memory")));
}

const BenchmarkRegistration
    patternsBench(QStringLiteral("patterns_ms_per_image"),
                  QStringLiteral("pattern stage, 196 patches x 384, tau 0.5, K 5, eps 2, one core "
                                 "[--solver=auto|dense|lanczos]"),
                  benchPatterns);
const BenchmarkRegistration
    selectVocBench(QStringLiteral("select_voc_seconds"),
                   QStringLiteral("exact D^2 selection, 16,551 x 5 x 384, budget 8,000, 2 threads "
                                  "[--pruning=0 --draw-batch=8]"),
                   benchSelectVoc);
const BenchmarkRegistration selectBusyBench(
    QStringLiteral("select_voc_busy_ratio"),
    QStringLiteral("select_voc_seconds quiet / with one core kept busy by another thread "
                   "(1: no slowdown)"),
    benchSelectBusy);
const BenchmarkRegistration select1m100kBench(
    QStringLiteral("select_1m_100k_seconds"),
    QStringLiteral("exact D^2 selection, --images=1000000 x 5 x 384, --budget=100000, 2 threads, "
                   "per stage [--rows=memory|file --draw-batch=8]"),
    benchSelect1m100k);
const BenchmarkRegistration selectRssBench(
    QStringLiteral("select_1m_rss_mb"),
    QStringLiteral("peak RSS of selection over --images=1000000 x 5 x 384 [--budget=1000] "
                   "[--rows=file|memory]"),
    benchSelectRss);

} // namespace
