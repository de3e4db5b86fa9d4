// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "elfs/coreset_window.h"
#include "elfs/proxy_training.h"
#include "elfs/proxy_views.h"
#include "elfs/resnet_proxy.h"
#include "elfs/temi_clustering.h"

#include <atomic>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace freesel {

/// How the pseudo-labels are found (docs/ALGORITHM.md section E1): spherical k-means (the fast
/// default) or the TEMI heads of the official code.
enum class ElfsClusterer { KMeans, Temi };
/// "kmeans", "temi"; throws std::invalid_argument naming the option and the choices otherwise.
ElfsClusterer parseElfsClusterer(const std::string& name);
std::string elfsClustererName(ElfsClusterer clusterer);

/// Which proxy's training dynamics score the images (docs/ALGORITHM.md section E2): the small
/// network on token views (default, CPU-friendly) or the paper's CIFAR ResNet-18 on pixels.
enum class ElfsProxy { Tokens, ResNet18 };
/// "tokens", "resnet18"; throws std::invalid_argument naming the option otherwise.
ElfsProxy parseElfsProxy(const std::string& name);

/// The parameters of the `elfs` strategy (docs/ALGORITHM.md sections E1-E3; CLI options --elfs-*).
struct ElfsParameters {
    int clusters = 10; ///< K pseudo-classes
    ElfsClusterer clusterer = ElfsClusterer::KMeans;
    int restarts = 5; ///< spherical k-means starts
    TemiOptions temi; ///< clusterer temi (its clusters, seed and threads are set by runElfs)
    ElfsProxy proxy = ElfsProxy::Tokens;
    int imageSize = 32;          ///< proxy resnet18: the side the images are decoded at
    std::string device = "auto"; ///< proxy resnet18: where it trains
    int resnetWidth = 64;        ///< proxy resnet18: first-stage channels (tests use fewer)
    int epochs = 50;             ///< proxy epochs
    double beta = -1.0;          ///< < 0: defaultElfsBeta(keep ratio)
    ElfsMode mode = ElfsMode::Window;
    ElfsScore score = ElfsScore::Aum;
};

/// Where a run is: "cluster" (k-means: 0 or 1 of 1; TEMI: epochs) or "proxy" (one epoch).
struct ElfsProgress {
    std::string stage;
    int done = 0;
    int total = 0;
    double loss = 0.0;     ///< TEMI epochs and proxy epochs
    double accuracy = 0.0; ///< proxy epochs: agreement of the forward passes with the labels
    std::string note;      ///< said before a long stage starts (the ResNet proxy's estimate)
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

/// The whole method on a pool: pseudo-labels by spherical k-means (or TEMI) of the [CLS] features,
/// the proxy's training dynamics on token views, then the double-end window (or CCS) on the
/// chosen score. Reproducible from `seed` whatever `threads` is. Proxy resnet18 trains on
/// `inputs.pixels` (loadPixelImages) and first reports its estimated time as a progress note.
ElfsResult runElfs(const ProxyInputs& inputs, int64_t budget, const ElfsParameters& params,
                   uint64_t seed, int threads, const ElfsProgressCallback& progress = {},
                   const std::atomic<bool>* cancel = nullptr);

/// Per cluster the L2-normalised mean of the L2-normalised rows labelled with it (a zero row for
/// an empty cluster): the centroids of the AUM-margin diagnostic when TEMI found the labels.
Eigen::MatrixXf labelCentroids(const Eigen::MatrixXf& rows, const std::vector<int>& labels,
                               int clusters);

/// The note that interprets the diagnostic (empty when the correlation is unremarkable).
std::string describeAumMarginCorrelation(double correlation);

} // namespace freesel
