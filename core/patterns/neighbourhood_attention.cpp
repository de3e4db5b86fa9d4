// SPDX-License-Identifier: GPL-3.0-or-later
#include "patterns/neighbourhood_attention.h"

#include <stdexcept>
#include <string>

namespace freesel {

NeighbourhoodAttention::NeighbourhoodAttention(PatchGrid grid, int radius)
    : grid_(grid), radius_(radius) {
    if (radius < 0)
        throw std::invalid_argument("neighbourhood radius must be >= 0, got " +
                                    std::to_string(radius));
    values_.assign(static_cast<size_t>(grid.size()) * slotsPerPatch(), 0.0f);
}

NeighbourhoodAttention NeighbourhoodAttention::fromDense(const float* patchAttention,
                                                         PatchGrid grid, int radius) {
    NeighbourhoodAttention band(grid, radius);
    const int n = grid.size();
    for (int query = 0; query < n; ++query) {
        const int r = grid.rowOf(query), c = grid.colOf(query);
        for (int dr = -radius; dr <= radius; ++dr) {
            for (int dc = -radius; dc <= radius; ++dc) {
                if (!grid.contains(r + dr, c + dc))
                    continue;
                const int key = grid.indexOf(r + dr, c + dc);
                band.row(query)[(dr + radius) * band.window() + (dc + radius)] =
                    patchAttention[static_cast<size_t>(query) * n + key];
            }
        }
    }
    return band;
}

int NeighbourhoodAttention::slotOf(int query, int key) const {
    const int dr = grid_.rowOf(key) - grid_.rowOf(query);
    const int dc = grid_.colOf(key) - grid_.colOf(query);
    if (dr < -radius_ || dr > radius_ || dc < -radius_ || dc > radius_)
        return -1;
    return (dr + radius_) * window() + (dc + radius_);
}

float NeighbourhoodAttention::at(int query, int key) const {
    const int slot = slotOf(query, key);
    return slot < 0 ? 0.0f : row(query)[slot];
}

void NeighbourhoodAttention::set(int query, int key, float value) {
    const int slot = slotOf(query, key);
    if (slot < 0)
        throw std::out_of_range("patch pair beyond the stored neighbourhood radius");
    row(query)[slot] = value;
}

} // namespace freesel
