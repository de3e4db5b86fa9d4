// SPDX-License-Identifier: GPL-3.0-or-later
#include "patterns/neighbourhood_affinity.h"

#include <stdexcept>
#include <string>

namespace freesel {

void validateEps(int eps, int maxEps) {
    if (eps < 1 || eps > maxEps)
        throw std::invalid_argument("eps must be in [1, " + std::to_string(maxEps) + "], got " +
                                    std::to_string(eps));
}

Eigen::SparseMatrix<double> neighbourhoodAffinity(const NeighbourhoodAttention& attention,
                                                  const std::vector<int>& kept, int eps) {
    validateEps(eps, attention.radius());
    const PatchGrid grid = attention.grid();
    std::vector<int> slotOfPatch(grid.size(), -1);
    for (int a = 0; a < static_cast<int>(kept.size()); ++a)
        slotOfPatch[kept[a]] = a;

    // Each unordered pair within eps contributes (S_ab + S_ba)/2 to both W_ab and W_ba, so
    // visiting every ordered pair once and adding half of S_ab at (a,b) and (b,a) builds W.
    std::vector<Eigen::Triplet<double>> entries;
    entries.reserve(kept.size() * (2 * eps + 1) * (2 * eps + 1) * 2);
    for (int a = 0; a < static_cast<int>(kept.size()); ++a) {
        const int patch = kept[a];
        const int r = grid.rowOf(patch), c = grid.colOf(patch);
        for (int dr = -eps; dr <= eps; ++dr) {
            for (int dc = -eps; dc <= eps; ++dc) {
                if (!grid.contains(r + dr, c + dc))
                    continue;
                const int b = slotOfPatch[grid.indexOf(r + dr, c + dc)];
                if (b < 0)
                    continue;
                const double half = 0.5 * attention.at(patch, kept[b]);
                entries.emplace_back(a, b, half);
                entries.emplace_back(b, a, half);
            }
        }
    }
    const auto m = static_cast<Eigen::Index>(kept.size());
    Eigen::SparseMatrix<double> affinity(m, m);
    affinity.setFromTriplets(entries.begin(), entries.end()); // sums duplicates
    return affinity;
}

} // namespace freesel
