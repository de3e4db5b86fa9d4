// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

namespace freesel {

struct SphericalKMeansOptions {
    int clusters = 10;
    int restarts = 5;        ///< independent k-means++ starts; the highest cohesion wins
    int maxIterations = 100; ///< Lloyd iterations per start
    uint64_t seed = 0;
};

struct SphericalKMeansResult {
    std::vector<int> labels;   ///< per row, 0..clusters-1
    Eigen::MatrixXf centroids; ///< clusters x D, unit rows
    double cohesion = 0.0;     ///< sum over rows of the cosine to their centroid
};

/// Spherical k-means (docs/ALGORITHM.md section E1, the fast pseudo-label option): rows
/// L2-normalised, k-means++ starts on 1 - cosine, centroids the normalised means, restarts seeded
/// per start. Single-threaded matrix products, so the result never depends on a thread count.
/// Throws std::invalid_argument when clusters is < 1 or exceeds the row count.
SphericalKMeansResult sphericalKMeans(const Eigen::MatrixXf& rows,
                                      const SphericalKMeansOptions& options);

/// Per row: cosine to its own centroid minus the best cosine to another centroid.
std::vector<double> centroidMargins(const Eigen::MatrixXf& rows, const Eigen::MatrixXf& centroids,
                                    const std::vector<int>& labels);

/// Spearman's rank correlation (average ranks for ties); NaN when either side is constant.
double spearmanCorrelation(const std::vector<double>& a, const std::vector<double>& b);

} // namespace freesel
