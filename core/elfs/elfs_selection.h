// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "elfs/coreset_window.h"
#include "elfs/proxy_training.h"
#include "elfs/proxy_views.h"

#include <atomic>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace freesel {

/// The parameters of the `elfs` strategy (docs/ALGORITHM.md sections E1-E3; CLI options --elfs-*).
struct ElfsParameters {
    int clusters = 10;  ///< K pseudo-classes
    int restarts = 5;   ///< spherical k-means starts
    int epochs = 50;    ///< proxy epochs
    double beta = -1.0; ///< < 0: defaultElfsBeta(keep ratio)
    ElfsMode mode = ElfsMode::Window;
    ElfsScore score = ElfsScore::Aum;
};

/// Where a run is: "cluster" (done/total restarts) or "proxy" (one epoch).
struct ElfsProgress {
    std::string stage;
    int done = 0;
    int total = 0;
    double loss = 0.0; ///< proxy stage only
};
using ElfsProgressCallback = std::function<bool(const ElfsProgress&)>;

struct ElfsResult {
    std::vector<int> pseudoLabels; ///< per image
    DynamicsScores scores;         ///< per image
    WindowSelection selection;     ///< images, hardest kept first
    std::vector<ProxyEpoch> curve;
    /// Spearman correlation of AUM with the nearest-centroid margin; near 1 the scores are
    /// only geometric (the proxy fitted the clusters' cells at once).
    double aumMarginCorrelation = std::numeric_limits<double>::quiet_NaN();
    std::vector<std::string> notes; ///< what the user should be told (clamps, the diagnostic)
    bool cancelled = false;
};

/// The whole method on a pool: pseudo-labels by spherical k-means of the [CLS] features,
/// the proxy's training dynamics on token views, then the double-end window (or CCS) on the
/// chosen score. Reproducible from `seed` whatever `threads` is.
ElfsResult runElfs(const ProxyInputs& inputs, int64_t budget, const ElfsParameters& params,
                   uint64_t seed, int threads, const ElfsProgressCallback& progress = {},
                   const std::atomic<bool>* cancel = nullptr);

/// The note that interprets the diagnostic (empty when the correlation is unremarkable).
std::string describeAumMarginCorrelation(double correlation);

} // namespace freesel
