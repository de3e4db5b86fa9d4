// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "patterns/neighbourhood_attention.h"

#include <Eigen/SparseCore>
#include <vector>

namespace freesel {

/// The affinity of Eq. 3 over the kept patches (docs/ALGORITHM.md section 3): for kept patches a, b
/// S_ab = Ap(kept[a], kept[b]) if their Chebyshev distance is <= eps, else 0, and
/// W = (S + S^T) / 2 with the diagonal kept. Rows and columns follow the order of `kept`.
/// Throws std::invalid_argument when eps < 1 or eps exceeds the stored radius.
Eigen::SparseMatrix<double> neighbourhoodAffinity(const NeighbourhoodAttention& attention,
                                                  const std::vector<int>& kept, int eps);

/// Throws std::invalid_argument naming eps and its valid range [1, maxEps].
void validateEps(int eps, int maxEps);

} // namespace freesel
