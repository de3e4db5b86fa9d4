// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "backbone/image_features.h"
#include "patterns/spectral_clustering.h"

#include <Eigen/Core>
#include <cstdint>
#include <vector>

namespace freesel {

using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// The parameters of the pattern stage (docs/ALGORITHM.md sections 2-5).
struct PatternParameters {
    double tau = 0.5; ///< attention share kept, (0, 1]
    int clusters = 5; ///< K
    int eps = 2;      ///< Chebyshev neighbourhood, [1, stored radius]
    int kmeansRestarts = 3;
    EigenSolverChoice solver = EigenSolverChoice::Automatic;
};

/// The semantic patterns of one image, and how they were formed (the GUI draws `kept` as the
/// tau mask and `labels` as the cluster overlay).
struct ImagePatterns {
    RowMatrixXf patterns;    ///< one row per pattern, d columns (Eq. 4)
    std::vector<int> kept;   ///< kept patch indices, ascending
    std::vector<int> labels; ///< cluster of each kept patch, aligned with `kept`
};

/// s_k = mean of the patch features of cluster k (Eq. 4). `features` is n x d row-major;
/// `labels` is aligned with `kept` and numbered 0..clusterCount-1.
RowMatrixXf semanticPatterns(const float* features, int dims, const std::vector<int>& kept,
                             const std::vector<int>& labels, int clusterCount);

/// The whole per-image pattern stage: filter (tau), affinity (eps), spectral clustering (K),
/// cluster means. `seed` should already be specific to the image (RandomStream::forItem), so
/// the result never depends on which thread handles it.
ImagePatterns extractImagePatterns(const ImageFeatures& image, const PatternParameters& params,
                                   uint64_t seed);

/// Throws std::invalid_argument naming the first parameter outside its valid range.
void validatePatternParameters(const PatternParameters& params, int storedRadius);

} // namespace freesel
