// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <cstdint>
#include <vector>

namespace freesel {

enum class EigenSolverChoice {
    Automatic, ///< dense for small m, Spectra's Lanczos above (measured crossover)
    Lanczos,   ///< Spectra::SymEigsSolver on the sparse normalised affinity
    Dense,     ///< Eigen::SelfAdjointEigenSolver on the dense normalised affinity
};

struct SpectralClusteringOptions {
    int clusters = 5;       ///< K
    int kmeansRestarts = 3; ///< k-means++ restarts on the embedding
    int kmeansMaxIterations = 100;
    uint64_t seed = 0;
    EigenSolverChoice solver = EigenSolverChoice::Automatic;
};

/// Rows of U: the K leading eigenvectors of M = G^-1/2 W G^-1/2, each row normalised to unit
/// length (Ng, Jordan & Weiss). Requires K < m.
Eigen::MatrixXd spectralEmbedding(const Eigen::SparseMatrix<double>& affinity, int clusters,
                                  EigenSolverChoice solver = EigenSolverChoice::Automatic);

/// Spectral clustering of the kept patches (docs/ALGORITHM.md section 4). m <= K: every patch is
/// its own cluster. K = 1: one cluster. Otherwise embedding + seeded k-means with restarts.
/// Labels are numbered by first appearance; empty clusters are dropped, so there can be
/// fewer than K clusters.
std::vector<int> spectralClustering(const Eigen::SparseMatrix<double>& affinity,
                                    const SpectralClusteringOptions& options);

/// Throws std::invalid_argument naming K and its valid range [1, maxClusters].
void validateClusterCount(int clusters, int maxClusters);

} // namespace freesel
