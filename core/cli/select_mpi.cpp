// SPDX-License-Identifier: GPL-3.0-or-later
// freesel select --mpi: the distributed selection step of docs/SCALE.md.
#include "cli/select_mpi.h"

#include "cli/command.h"
#include "cli/pipeline_options.h"
#include "distributed/mpi_peers.h"
#include "distributed/share_patterns.h"
#include "export/export_image_sizes.h"
#include "pipeline.h"
#include "pipeline_session.h"
#include "selection/distance_sampling.h"
#include "store/feature_store.h"
#include "util/version.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFileInfo>
#include <cmath>

namespace freesel {

namespace {

/// What --mpi does not run (yet), refused before MPI starts.
void checkMpiRequest(const RunParameters& run, StrategyKind strategy,
                     const MpiSelectOutput& output) {
    if (strategy != StrategyKind::FreeSel && strategy != StrategyKind::Fds)
        throw UsageError(QStringLiteral("--mpi runs --strategy freesel or fds, not %1")
                             .arg(QString::fromStdString(strategyName(strategy))));
    if (!run.withinQuery.isEmpty() || !run.labeledImages.isEmpty() ||
        !run.excludedImages.isEmpty() || !run.includedImages.isEmpty())
        throw UsageError(QStringLiteral("--mpi: --within, --labeled, --exclude and --include are "
                                        "not supported with --mpi yet; run them on one machine"));
    if (output.out == QLatin1String("-"))
        throw UsageError(
            QStringLiteral("--mpi writes files from rank 0: --out - is not supported"));
}

/// The usable images (pool indices) and their store records; every image must be extracted.
void usableImages(const PipelineSession& session, const QString& storeFolder,
                  std::vector<int>& poolIndex, std::vector<int>& storeIndex) {
    const FeatureStore& store = session.store();
    const std::vector<int> records = storeRecordsFor(*session.pool(), store);
    int missing = 0;
    for (int i = 0; i < static_cast<int>(records.size()); ++i) {
        if (records[size_t(i)] < 0) {
            ++missing;
        } else if (store.entry(records[size_t(i)]).ok) {
            poolIndex.push_back(i);
            storeIndex.push_back(records[size_t(i)]);
        }
    }
    if (missing > 0)
        throw UsageError(QStringLiteral("--mpi: the store %1 lacks the features of %2 of the %3 "
                                        "images; extract them first (freesel extract, e.g. as a "
                                        "Slurm array with --shard i/n: docs/SCALE.md)")
                             .arg(storeFolder)
                             .arg(missing)
                             .arg(records.size()));
}

Provenance mpiProvenance(const PipelineSession& session, const RunParameters& run, int64_t budget,
                         StrategyKind strategy) {
    Provenance provenance;
    provenance.appVersion = applicationVersion();
    provenance.backend = session.backend().backend->name();
    provenance.model = session.backend().modelName;
    provenance.modelChecksum = session.backend().modelChecksum;
    provenance.tau = run.tau;
    provenance.clusters = run.clusters;
    provenance.eps = run.eps;
    provenance.budget = budget;
    provenance.seed = run.seed;
    provenance.strategy = QString::fromStdString(strategyName(strategy));
    provenance.inputSize = QStringLiteral("%1x%1").arg(run.inputSize);
    provenance.device = session.backend().backend->deviceDescription();
    provenance.precision = session.backend().backend->precision();
    provenance.created = QDateTime::currentDateTimeUtc();
    provenance.poolSource = QFileInfo(run.source).absoluteFilePath();
    return provenance;
}

} // namespace

int runMpiSelection(const RunParameters& run, StrategyKind strategy,
                    const MpiSelectOutput& output) {
    checkMpiRequest(run, strategy, output);
    QElapsedTimer timer;
    timer.start();
    const MpiRuntime mpi; // throws when the build has no MPI
    const auto peers = mpi.peers();
    CliSessionOutput progress(false);
    PipelineSession session(mpi.rank() == 0 ? &progress : nullptr);
    session.scan(run);
    session.prepareBackend(run);
    session.openStore(run, StoreAccess::Read);
    std::vector<int> poolIndex, storeIndex;
    usableImages(session, session.storeFolderFor(run), poolIndex, storeIndex);
    const auto usable = static_cast<int64_t>(poolIndex.size());
    if (usable < mpi.size())
        throw UsageError(QStringLiteral("--mpi: %1 usable images cannot be shared by %2 ranks: "
                                        "run at most %1 ranks")
                             .arg(usable)
                             .arg(mpi.size()));
    const PatternParameters params = run.patternParameters();
    validatePatternParameters(params, session.store().header().fingerprint.radius);
    const ContiguousShare share = contiguousShare(usable, mpi.size(), mpi.rank());
    // Ranks on one node share its memory, which a rank cannot see from its own share: the whole
    // pool's size decides, the same on every rank.
    const std::string rowsFolder = patternRowsFolderFor(run, session.store(), storeIndex);
    PatternPool patterns = computeSharePatterns(session.store(), storeIndex, share, params,
                                                run.seed, run.threads, rowsFolder);
    const int64_t budget = run.budgetPercent ? std::llround(double(usable) * run.budget / 100.0)
                                             : std::llround(run.budget);
    DistanceSamplingOptions options;
    options.rule = strategy == StrategyKind::Fds ? SamplingRule::Farthest : SamplingRule::DSquared;
    options.threads = run.threads;
    options.peers = peers.get();
    SelectionResult result = distanceSampling(std::move(patterns), budget, run.seed, options);
    if (mpi.rank() != 0)
        return ExitOk;
    for (Pick& pick : result.picks)
        pick.image = poolIndex[size_t(pick.image)];
    // No per-image pattern counts or embeddings: each rank holds only its own share.
    PoolPatterns none;
    SelectionExport exported = buildSelectionExport(
        *session.pool(), session.store(), storeRecordsFor(*session.pool(), session.store()), none,
        result, mpiProvenance(session, run, budget, strategy));
    fillExportImageSizes(exported);
    const ExportResult written =
        exportSelection(exported, output.format, output.out, output.exportOptions);
    written.status().throwIfFailed();
    printError(QStringLiteral("selected %1 of %2 usable images on %3 ranks with %4 in %5 s -> %6")
                   .arg(result.picks.size())
                   .arg(usable)
                   .arg(mpi.size())
                   .arg(exported.provenance.strategy)
                   .arg(timer.nsecsElapsed() * 1e-9, 0, 'f', 1)
                   .arg(written.value().join(QStringLiteral(", "))));
    return ExitOk;
}

} // namespace freesel
