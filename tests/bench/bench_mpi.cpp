// SPDX-License-Identifier: GPL-3.0-or-later
// Distributed selection (docs/SCALE.md), run as `mpirun -n 4 freesel-bench select_mpi_1m_ranks4`:
// every rank generates its own share of a pool of --images x 5 x 384 and takes part in one exact
// D^2 selection. Each share is generated from its own seed (the whole pool never exists in one
// process), so this measures time and memory per rank; equality with one process is tested in
// tests/distributed.
#include "bench_registry.h"
#include "distributed/contiguous_share.h"
#include "distributed/mpi_peers.h"
#include "selection/distance_sampling.h"
#include "support/synthetic_pool.h"

#include <QElapsedTimer>
#include <cstring>
#include <sys/resource.h>

namespace freesel::bench {
namespace {

uint64_t peakRssKb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<uint64_t>(usage.ru_maxrss);
}

void benchSelectMpi() {
    const int images = option(QStringLiteral("images"), QStringLiteral("1000000")).toInt();
    const int budget = option(QStringLiteral("budget"), QStringLiteral("100000")).toInt();
    const MpiRuntime mpi;
    const auto peers = mpi.peers();
    const ContiguousShare share = contiguousShare(images, mpi.size(), mpi.rank());
    testing::ConceptSpread spread;
    spread.rank = 16;
    spread.noise = 0.25;
    spread.along = 0.65;
    PatternPool pool = testing::makeClusteredPool(static_cast<int>(share.count), 384, 300, 5,
                                                  spread, 7 + uint64_t(mpi.rank()), true);
    DistanceSamplingOptions options;
    options.threads = option(QStringLiteral("threads"), QStringLiteral("1")).toInt();
    options.peers = peers.get();
    DistanceSamplingStats stats;
    peers->allGather({0}); // start together
    QElapsedTimer timer;
    timer.start();
    distanceSampling(std::move(pool), budget, 1, options, &stats);
    const double seconds = timer.nsecsElapsed() * 1e-9;
    uint64_t secondsBits = 0;
    std::memcpy(&secondsBits, &seconds, sizeof seconds);
    const std::vector<uint64_t> all = peers->allGather({peakRssKb(), secondsBits});
    if (mpi.rank() != 0)
        return;
    const QString prefix = QStringLiteral("select_mpi_ranks%1").arg(mpi.size());
    report(prefix + QStringLiteral("_images"), images, QStringLiteral("images"));
    report(prefix + QStringLiteral("_budget"), budget, QStringLiteral("images"));
    report(prefix + QStringLiteral("_grouping_seconds_rank0"), stats.groupingSeconds,
           QStringLiteral("s"));
    for (int r = 0; r < mpi.size(); ++r) {
        double rankSeconds = 0.0;
        std::memcpy(&rankSeconds, &all[size_t(r) * 2 + 1], sizeof rankSeconds);
        report(prefix + QStringLiteral("_rank%1_seconds").arg(r), rankSeconds, QStringLiteral("s"));
        report(prefix + QStringLiteral("_rank%1_rss_mb").arg(r),
               double(all[size_t(r) * 2]) / 1024.0, QStringLiteral("MB"));
    }
}

const BenchmarkRegistration selectMpiBench(
    QStringLiteral("select_mpi_1m_ranks4"),
    QStringLiteral("under mpirun -n 4: exact D^2 selection, --images=1000000 x 5 x 384, "
                   "--budget=100000, seconds and peak RSS per rank [--threads=1]"),
    benchSelectMpi);

} // namespace
} // namespace freesel::bench
