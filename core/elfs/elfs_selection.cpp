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

/// Pseudo-labels and the centroids of the diagnostic, by the chosen clusterer. Reports
/// progress as stage "cluster"; sets `cancelled` when told to stop.
struct Clustering {
    std::vector<int> labels;
    Eigen::MatrixXf centroids;
    std::string note; ///< which clusterer, for the user
    bool cancelled = false;
};

Clustering clusterRows(const Eigen::MatrixXf& rows, const ElfsParameters& params, uint64_t seed,
                       int threads, const ElfsProgressCallback& progress,
                       const std::atomic<bool>* cancel) {
    Clustering out;
    const uint64_t clusterSeed = RandomStream::forItem(seed, clusterStream).next();
    if (params.clusterer == ElfsClusterer::Temi) {
        TemiOptions temi = params.temi;
        temi.clusters = params.clusters;
        temi.seed = clusterSeed;
        temi.threads = threads;
        if (progress)
            progress(ElfsProgress{"cluster", 0, temi.epochs, 0.0, 0.0, {}});
        const TemiResult result = temiClustering(
            rows, temi,
            [&](int epoch, int epochs, double loss) {
                return !progress || progress(ElfsProgress{"cluster", epoch, epochs, loss, 0.0, {}});
            },
            cancel);
        out.cancelled = result.cancelled;
        out.labels = result.labels;
        if (!out.cancelled)
            out.centroids = labelCentroids(rows, out.labels, params.clusters);
        out.note = "ELFS: pseudo-labels by TEMI (" + std::to_string(temi.heads) + " heads, " +
                   std::to_string(temi.epochs) + " epochs; best head " +
                   std::to_string(result.bestHead) + ")";
        return out;
    }
    if (progress)
        progress(ElfsProgress{"cluster", 0, 1, 0.0, 0.0, {}});
    SphericalKMeansOptions kmeans;
    kmeans.clusters = params.clusters;
    kmeans.restarts = params.restarts;
    kmeans.seed = clusterSeed;
    SphericalKMeansResult result = sphericalKMeans(rows, kmeans);
    out.labels = std::move(result.labels);
    out.centroids = std::move(result.centroids);
    out.cancelled = (cancel && cancel->load()) ||
                    (progress && !progress(ElfsProgress{"cluster", 1, 1, 0.0, 0.0, {}}));
    return out;
}

ProxyReport trainTokenProxy(const ProxyInputs& inputs, const std::vector<int>& labels,
                            const ElfsParameters& params, uint64_t seed, int threads,
                            const ProxyProgress& epochs, const std::atomic<bool>* cancel) {
    ProxyOptions proxy;
    proxy.epochs = params.epochs;
    proxy.seed = seed;
    proxy.threads = threads;
    return trainProxy(inputs, labels, params.clusters, proxy, epochs, cancel);
}

/// The ResNet-18 proxy: says its estimated time first (a progress note and a result note).
ProxyReport trainPixelProxy(const PixelImages& pixels, ElfsResult& result,
                            const ElfsParameters& params, uint64_t seed, int threads,
                            const ElfsProgressCallback& progress, const ProxyProgress& epochs,
                            const std::atomic<bool>* cancel) {
    if (pixels.images != int(result.pseudoLabels.size()))
        throw std::invalid_argument("--elfs-proxy resnet18 needs the decoded images of the pool");
    ResNetProxyOptions options;
    options.epochs = params.epochs;
    options.width = params.resnetWidth;
    options.padding = std::max(1, pixels.side / 8); // 4 at CIFAR's 32
    options.seed = seed;
    options.threads = threads;
    options.device = params.device;
    double step = 0.0;
    const double seconds = estimateResNetProxySeconds(pixels, params.clusters, options, &step);
    char line[300];
    std::snprintf(line, sizeof line,
                  "ELFS: ResNet-18 proxy, %d images at %dx%d, %d epochs: %s (one batch of %d "
                  "took %.2f s)",
                  pixels.images, pixels.side, pixels.side, options.epochs,
                  describeDuration(seconds).c_str(), std::min(options.batchSize, pixels.images),
                  step);
    result.notes.push_back(line);
    if (progress && !progress(ElfsProgress{"proxy", 0, options.epochs, 0.0, 0.0, line})) {
        ProxyReport stopped;
        stopped.cancelled = true;
        return stopped;
    }
    return trainResNetProxy(pixels, result.pseudoLabels, params.clusters, options, epochs, cancel);
}

} // namespace

ElfsProxy parseElfsProxy(const std::string& name) {
    if (name == "tokens")
        return ElfsProxy::Tokens;
    if (name == "resnet18")
        return ElfsProxy::ResNet18;
    throw std::invalid_argument("--elfs-proxy: '" + name +
                                "' is not a proxy; choose tokens or resnet18");
}

ElfsClusterer parseElfsClusterer(const std::string& name) {
    if (name == "kmeans")
        return ElfsClusterer::KMeans;
    if (name == "temi")
        return ElfsClusterer::Temi;
    throw std::invalid_argument("--elfs-clusterer: '" + name +
                                "' is not a clusterer; choose kmeans or temi");
}

std::string elfsClustererName(ElfsClusterer clusterer) {
    return clusterer == ElfsClusterer::Temi ? "temi" : "kmeans";
}

Eigen::MatrixXf labelCentroids(const Eigen::MatrixXf& rows, const std::vector<int>& labels,
                               int clusters) {
    Eigen::MatrixXf centroids = Eigen::MatrixXf::Zero(clusters, rows.cols());
    for (Eigen::Index i = 0; i < rows.rows(); ++i) {
        const float norm = rows.row(i).norm();
        if (norm > 0.0f)
            centroids.row(labels[size_t(i)]) += rows.row(i) / norm;
    }
    for (int c = 0; c < clusters; ++c) {
        const float norm = centroids.row(c).norm();
        if (norm > 0.0f)
            centroids.row(c) /= norm;
    }
    return centroids;
}

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
    const Clustering clusters = clusterRows(rows, params, seed, threads, progress, cancel);
    result.pseudoLabels = clusters.labels;
    if (!clusters.note.empty())
        result.notes.push_back(clusters.note);
    if (clusters.cancelled) {
        result.cancelled = true;
        return result;
    }

    const uint64_t proxySeed = RandomStream::forItem(seed, proxyStream).next();
    const ProxyProgress epochs = [&](const ProxyEpoch& e) {
        return !progress ||
               progress(ElfsProgress{"proxy", e.epoch, e.epochs, e.loss, e.accuracy, {}});
    };
    const ProxyReport report = params.proxy == ElfsProxy::ResNet18
                                   ? trainPixelProxy(inputs.pixels, result, params, proxySeed,
                                                     threads, progress, epochs, cancel)
                                   : trainTokenProxy(inputs, result.pseudoLabels, params, proxySeed,
                                                     threads, epochs, cancel);
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
