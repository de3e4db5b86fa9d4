// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

namespace freesel {

struct KMeansOptions {
    int clusters = 5;
    int restarts = 3;        ///< independent k-means++ starts; the lowest inertia wins
    int maxIterations = 100; ///< Lloyd iterations per start
    uint64_t seed = 0;
};

struct KMeansResult {
    std::vector<int> labels; ///< per point, 0..clusterCount-1; empty clusters are dropped
    int clusterCount = 0;
    double inertia = 0.0; ///< sum of squared distances to the assigned centres
};

/// Exact Lloyd k-means with seeded k-means++ starts on the rows of a small dense matrix (the
/// spectral embedding of one image: m <= a few hundred rows, K columns). Labels are renumbered
/// by first appearance so equal partitions give equal labels.
KMeansResult kmeans(const Eigen::MatrixXd& points, const KMeansOptions& options);

/// Renumbers labels 0.. by order of first appearance (dropping unused ids).
int compactLabels(std::vector<int>& labels);

} // namespace freesel
