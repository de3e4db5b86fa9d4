// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "selection/sampling_peers.h"
#include "selection/selection.h"

#include <cstdint>
#include <vector>

namespace freesel {

enum class SamplingRule {
    DSquared, ///< draw a row with probability D^2 / sum D^2 (FreeSel, Alg. 2)
    Farthest, ///< take the row with the largest D (FDS; k-center greedy on global features)
    Replay,   ///< absorb a given image order (to measure the coverage of any selection)
};

/// How the 8-bit prefilter meets the rows of a planned group (distance_sampler_evaluate.cpp).
enum class DenseScan {
    Auto,   ///< with AVX512-VNNI: dense for the groups most of a step's queries may reach
    Never,  ///< pair by pair: each pair passes the angle bound and projections first
    Always, ///< dense for every group (tests), with the portable kernel where there is no VNNI
};

struct DistanceSamplingOptions {
    SamplingRule rule = SamplingRule::DSquared;
    DistanceMetric metric = DistanceMetric::Cosine;
    int threads = 0;       ///< 0: all cores; results do not depend on it
    bool pruning = true;   ///< skip rows whose D provably cannot change (same result, faster)
    bool prefilter = true; ///< with pruning and cosine: rule pairs out on bfloat16 copies first
    /// With pruning and cosine: rule pairs out on per-group projections first
    /// (group_projections.h), a 16-wide dot per pair instead of a 384-wide one; used where
    /// groups average 128 rows or more (large pools), where it pays.
    bool projections = true;
    int groups = 0; ///< groups for the bounds; 0: about 4 sqrt(rows)
    /// With the prefilter: each row's 8-bit dots with all of a step's queries for its group at
    /// once (packed_query_dots.h) instead of pair by pair. The same result, faster.
    DenseScan denseScan = DenseScan::Auto;
    /// D^2 rule: picks drawn before their rows lower D (docs/ALGORITHM.md section 6, "Draws in
    /// batches"). A draw comes from D as of the last update and is accepted with probability
    /// D_now^2 / D_then^2, so every pick still follows D^2 exactly; the lowering then runs
    /// once per batch. 1: every pick lowers D before the next draw (the selection of earlier
    /// versions for a seed). Other rules always use 1.
    int drawBatch = 8;
    std::vector<int> replayOrder; ///< the image order for SamplingRule::Replay
    /// Images selected before the first draw (a continued round's labelled images): their rows
    /// are queries from the start, they are never picked, and the first pick is drawn by the
    /// rule instead of uniformly. Distinct, valid indices.
    std::vector<int> seedImages;
    /// With several shares (MPI ranks), this process's pool is its contiguous run of the
    /// images, and image indices (seedImages, replayOrder, the picks) are global. Every share
    /// returns the same result, equal to one process over the whole pool. Null: alone.
    SamplingPeers* peers = nullptr;
};

/// Work counters, for benchmarks and for tests that check the bounds really prune.
struct DistanceSamplingStats {
    int64_t distanceEvaluations = 0; ///< row-to-query distances computed after the first pick
    int64_t denseEvaluations = 0;    ///< of them, 8-bit dots of the dense scan
    int64_t exactEvaluations = 0;    ///< float dots of the pairs the 8-bit prefilter let through
    int64_t rowChecks = 0; ///< (active row, query) pairs in visited groups, after the first pick
    int64_t candidatePairs = 0;   ///< (row, query) pairs a naive update computes
    int64_t loweredDistances = 0; ///< row updates that really lowered a D
    int64_t boundRefreshes = 0;   ///< groups whose bounds were recomputed after a step
    int64_t rejectedDraws = 0;    ///< batched draws whose row a pending pick had come closer to
    double groupingSeconds = 0.0;
    double samplingSeconds = 0.0;
    double planSeconds = 0.0;     ///< bound tests on tops and groups
    double evaluateSeconds = 0.0; ///< distances of the rows that passed them
    double applySeconds = 0.0;    ///< tree and bound updates
    // Memory the sampler holds after its setup, by kind (bytes).
    int64_t rowBytes = 0;   ///< rows: float rows in memory (none when on file), bfloat16 copy
    int64_t stateBytes = 0; ///< per row: D, bounds, positions, rounding margins, norms
    int64_t treeBytes = 0;  ///< sum and max trees of the draws
    int64_t groupBytes = 0; ///< centres and per-group bounds
};

/// Distance sampling over a pool (docs/ALGORITHM.md section 6): the first image uniformly (seeded),
/// then, until `budget` images are taken, D_j = distance from row j to the nearest row of a
/// selected image, the next row by `rule`, and ALL rows of its image join the selected set.
/// When every remaining D is 0 the next image is uniform among the unselected ones. D^2 is
/// summed in fixed point (FixedPointScale), so draws do not depend on how rows are split. With
/// `options.seedImages` the selected set starts as those images and `budget` counts new picks.
/// Cosine distance is 1 - cos; Euclidean is the L2 norm. Results are identical for any thread
/// count and with or without pruning.
SelectionResult distanceSampling(PatternPool pool, int64_t budget, uint64_t seed,
                                 const DistanceSamplingOptions& options,
                                 DistanceSamplingStats* stats = nullptr);

} // namespace freesel
