// SPDX-License-Identifier: GPL-3.0-or-later
#include "patterns/spectral_clustering.h"

#include "patterns/kmeans.h"

#include <Eigen/Eigenvalues>
#include <Spectra/MatOp/SparseSymMatProd.h>
#include <Spectra/SymEigsSolver.h>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace freesel {

namespace {

// Below this many kept patches the dense solver is faster than Lanczos (measured with
// freesel-bench patterns_ms_per_image on the target machine).
constexpr int kDenseSolverMaxSize = 48;

/// M = G^-1/2 W G^-1/2 with g_i = sum_j W_ij. An isolated patch (g_i = 0, only possible when
/// its own attention is 0) gets a zero row instead of a division by zero.
Eigen::SparseMatrix<double> normalisedAffinity(const Eigen::SparseMatrix<double>& affinity) {
    Eigen::VectorXd scale(affinity.rows());
    for (Eigen::Index i = 0; i < affinity.rows(); ++i) {
        const double degree = affinity.row(i).sum();
        scale[i] = degree > 0.0 ? 1.0 / std::sqrt(degree) : 0.0;
    }
    Eigen::SparseMatrix<double> normalised = affinity;
    for (Eigen::Index column = 0; column < normalised.outerSize(); ++column) {
        for (Eigen::SparseMatrix<double>::InnerIterator it(normalised, column); it; ++it)
            it.valueRef() *= scale[it.row()] * scale[it.col()];
    }
    return normalised;
}

Eigen::MatrixXd leadingEigenvectorsDense(const Eigen::SparseMatrix<double>& m, int count) {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(Eigen::MatrixXd(m),
                                                          Eigen::ComputeEigenvectors);
    return solver.eigenvectors().rightCols(count); // eigenvalues ascend
}

/// Spectra's Lanczos on the sparse matrix; falls back to the dense solver when it does not
/// converge (tight clusters of equal eigenvalues near 1 can slow it down).
Eigen::MatrixXd leadingEigenvectorsLanczos(const Eigen::SparseMatrix<double>& m, int count) {
    const int size = static_cast<int>(m.rows());
    const int subspace = std::min(size, std::max(2 * count + 1, 20));
    if (subspace <= count)
        return leadingEigenvectorsDense(m, count);
    Spectra::SparseSymMatProd<double> product(m);
    Spectra::SymEigsSolver<Spectra::SparseSymMatProd<double>> solver(product, count, subspace);
    solver.init();
    solver.compute(Spectra::SortRule::LargestAlge, 1000, 1e-10);
    if (solver.info() != Spectra::CompInfo::Successful)
        return leadingEigenvectorsDense(m, count);
    return solver.eigenvectors();
}

void normaliseRows(Eigen::MatrixXd& u) {
    for (Eigen::Index i = 0; i < u.rows(); ++i) {
        const double norm = u.row(i).norm();
        if (norm > 0.0)
            u.row(i) /= norm;
    }
}

} // namespace

void validateClusterCount(int clusters, int maxClusters) {
    if (clusters < 1 || clusters > maxClusters)
        throw std::invalid_argument("K must be in [1, " + std::to_string(maxClusters) + "], got " +
                                    std::to_string(clusters));
}

Eigen::MatrixXd spectralEmbedding(const Eigen::SparseMatrix<double>& affinity, int clusters,
                                  EigenSolverChoice solver) {
    const Eigen::SparseMatrix<double> m = normalisedAffinity(affinity);
    const bool dense = solver == EigenSolverChoice::Dense ||
                       (solver == EigenSolverChoice::Automatic && m.rows() <= kDenseSolverMaxSize);
    Eigen::MatrixXd u =
        dense ? leadingEigenvectorsDense(m, clusters) : leadingEigenvectorsLanczos(m, clusters);
    normaliseRows(u);
    return u;
}

std::vector<int> spectralClustering(const Eigen::SparseMatrix<double>& affinity,
                                    const SpectralClusteringOptions& options) {
    validateClusterCount(options.clusters, 1 << 16);
    const int m = static_cast<int>(affinity.rows());
    std::vector<int> labels(m, 0);
    if (m <= options.clusters) {
        std::iota(labels.begin(), labels.end(), 0);
        return labels;
    }
    if (options.clusters == 1)
        return labels;
    KMeansOptions kmeansOptions;
    kmeansOptions.clusters = options.clusters;
    kmeansOptions.restarts = options.kmeansRestarts;
    kmeansOptions.maxIterations = options.kmeansMaxIterations;
    kmeansOptions.seed = options.seed;
    return kmeans(spectralEmbedding(affinity, options.clusters, options.solver), kmeansOptions)
        .labels;
}

} // namespace freesel
