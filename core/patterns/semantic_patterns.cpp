// SPDX-License-Identifier: GPL-3.0-or-later
#include "patterns/semantic_patterns.h"

#include "patterns/attention_filter.h"
#include "patterns/neighbourhood_affinity.h"

#include <algorithm>
#include <stdexcept>

namespace freesel {

namespace {
constexpr int kMaxClusters = 64;
}

void validatePatternParameters(const PatternParameters& params, int storedRadius) {
    validateTau(params.tau);
    validateClusterCount(params.clusters, kMaxClusters);
    validateEps(params.eps, storedRadius);
    if (params.kmeansRestarts < 1)
        throw std::invalid_argument("k-means restarts must be >= 1");
}

RowMatrixXf semanticPatterns(const float* features, int dims, const std::vector<int>& kept,
                             const std::vector<int>& labels, int clusterCount) {
    RowMatrixXf sums = RowMatrixXf::Zero(clusterCount, dims);
    std::vector<int> counts(clusterCount, 0);
    for (size_t a = 0; a < kept.size(); ++a) {
        sums.row(labels[a]) += Eigen::Map<const Eigen::RowVectorXf>(
            features + static_cast<size_t>(kept[a]) * dims, dims);
        ++counts[labels[a]];
    }
    for (int k = 0; k < clusterCount; ++k)
        sums.row(k) /= static_cast<float>(std::max(counts[k], 1));
    return sums;
}

ImagePatterns extractImagePatterns(const ImageFeatures& image, const PatternParameters& params,
                                   uint64_t seed) {
    validatePatternParameters(params, image.neighbourhood.radius());
    ImagePatterns result;
    result.kept = keepByAttention(image.clsAttention.data(), image.grid.size(), params.tau);

    SpectralClusteringOptions options;
    options.clusters = params.clusters;
    options.kmeansRestarts = params.kmeansRestarts;
    options.solver = params.solver;
    options.seed = seed;
    // Skip the affinity when clustering cannot use it (m <= K or K = 1).
    if (static_cast<int>(result.kept.size()) <= params.clusters || params.clusters == 1) {
        result.labels = spectralClustering(
            Eigen::SparseMatrix<double>(static_cast<Eigen::Index>(result.kept.size()),
                                        static_cast<Eigen::Index>(result.kept.size())),
            options);
    } else {
        result.labels = spectralClustering(
            neighbourhoodAffinity(image.neighbourhood, result.kept, params.eps), options);
    }
    const int clusterCount =
        result.labels.empty() ? 0
                              : *std::max_element(result.labels.begin(), result.labels.end()) + 1;
    result.patterns = semanticPatterns(image.patchTokens.data(), image.dims, result.kept,
                                       result.labels, clusterCount);
    return result;
}

} // namespace freesel
