// SPDX-License-Identifier: GPL-3.0-or-later
#include "elfs/elfs_selection.h"

#include "elfs/spherical_kmeans.h"

#include <Eigen/Core>
#include <cstdio>
#include <stdexcept>

namespace freesel {

namespace {

const std::vector<double>& chosenScore(const DynamicsScores& scores, ElfsScore kind) {
    switch (kind) {
    case ElfsScore::Forgetting:
        return scores.forgetting;
    case ElfsScore::El2n:
        return scores.el2n;
    case ElfsScore::Aum:
        break;
    }
    return scores.aum;
}

// Seeds of the two random stages, both derived from the run's one seed.
constexpr uint64_t clusterStream = 0xe1f5c1;
constexpr uint64_t proxyStream = 0xe1f5a0;

} // namespace

std::string describeAumMarginCorrelation(double correlation) {
    char text[200];
    std::snprintf(text, sizeof text,
                  "ELFS: rank correlation of AUM with the nearest-centroid margin %.3f%s",
                  correlation,
                  correlation > 0.9 ? " (near 1: the scores are mostly geometric, the proxy "
                                      "fitted the clusters' cells)"
                                    : "");
    return text;
}

ElfsResult runElfs(const ProxyInputs& inputs, int64_t budget, const ElfsParameters& params,
                   uint64_t seed, int threads, const ElfsProgressCallback& progress,
                   const std::atomic<bool>* cancel) {
    ElfsResult result;
    const int n = inputs.images;
    if (n == 0)
        return result;
    if (params.beta >= 1.0)
        throw std::invalid_argument("--elfs-beta: " + std::to_string(params.beta) +
                                    " is outside the valid range [0, 1)");
    const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>
        cls(inputs.cls.data(), n, inputs.dims);
    const Eigen::MatrixXf rows = cls;
    if (progress)
        progress(ElfsProgress{"cluster", 0, 1, 0.0});
    SphericalKMeansOptions kmeans;
    kmeans.clusters = params.clusters;
    kmeans.restarts = params.restarts;
    kmeans.seed = RandomStream::forItem(seed, clusterStream).next();
    const SphericalKMeansResult clusters = sphericalKMeans(rows, kmeans);
    result.pseudoLabels = clusters.labels;
    if ((cancel && cancel->load()) || (progress && !progress(ElfsProgress{"cluster", 1, 1, 0.0}))) {
        result.cancelled = true;
        return result;
    }

    ProxyOptions proxy;
    proxy.epochs = params.epochs;
    proxy.seed = RandomStream::forItem(seed, proxyStream).next();
    proxy.threads = threads;
    const ProxyReport report = trainProxy(
        inputs, result.pseudoLabels, params.clusters, proxy,
        [&](const ProxyEpoch& e) {
            return !progress || progress(ElfsProgress{"proxy", e.epoch, e.epochs, e.loss});
        },
        cancel);
    result.curve = report.curve;
    result.scores = report.scores;
    if (report.cancelled) {
        result.cancelled = true;
        return result;
    }
    result.aumMarginCorrelation = spearmanCorrelation(
        result.scores.aum, centroidMargins(rows, clusters.centroids, result.pseudoLabels));
    result.notes.push_back(describeAumMarginCorrelation(result.aumMarginCorrelation));

    const int64_t c = std::min<int64_t>(budget, n);
    const double beta = params.beta >= 0.0 ? params.beta : defaultElfsBeta(double(c) / double(n));
    if (params.beta < 0.0)
        result.notes.push_back("ELFS: beta " + std::to_string(beta) + " (default for keep ratio " +
                               std::to_string(double(c) / n) + ")");
    const std::vector<double>& score = chosenScore(result.scores, params.score);
    const std::vector<int> order = hardnessOrder(score, params.score);
    result.selection = params.mode == ElfsMode::Ccs ? ccsSelection(order, score, c, beta, seed)
                                                    : doubleEndWindow(order, c, beta);
    if (result.selection.clamped)
        result.notes.push_back(result.selection.note);
    return result;
}

} // namespace freesel
