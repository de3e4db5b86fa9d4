// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "backbone/patch_grid.h"

#include <vector>

namespace freesel {

/// The part of the head-averaged patch attention Ap (n x n, row = query) that FreeSel can ever
/// use: entries between patches at Chebyshev distance <= radius. Any eps <= radius can be
/// applied later without the network. Storage is n x (2R+1)^2 floats; entry (i, j) sits in
/// row i at offset (dr + R) * (2R + 1) + (dc + R) with (dr, dc) = position(j) - position(i).
/// Slots that fall outside the grid hold 0.
class NeighbourhoodAttention {
public:
    NeighbourhoodAttention() = default;
    NeighbourhoodAttention(PatchGrid grid, int radius);

    /// Keeps the radius-R band of a dense row-major n x n patch attention matrix.
    static NeighbourhoodAttention fromDense(const float* patchAttention, PatchGrid grid,
                                            int radius);

    PatchGrid grid() const { return grid_; }
    int radius() const { return radius_; }
    int window() const { return 2 * radius_ + 1; }
    int slotsPerPatch() const { return window() * window(); }

    /// Ap(i, j) if cheb(i, j) <= radius, else 0.
    float at(int query, int key) const;
    void set(int query, int key, float value);

    /// The (2R+1)^2 slots of one query patch.
    const float* row(int query) const { return values_.data() + query * slotsPerPatch(); }
    float* row(int query) { return values_.data() + query * slotsPerPatch(); }

    const std::vector<float>& values() const { return values_; }
    std::vector<float>& values() { return values_; }

private:
    int slotOf(int query, int key) const; // -1 when beyond the radius
    PatchGrid grid_;
    int radius_ = 0;
    std::vector<float> values_;
};

} // namespace freesel
