// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <algorithm>
#include <cstdlib>

namespace freesel {

/// The h x w grid of patch tokens a ViT sees (docs/ALGORITHM.md section 0). Patch i sits at row
/// i / cols and column i % cols, in the token order of the network.
struct PatchGrid {
    int rows = 0;
    int cols = 0;

    int size() const { return rows * cols; }
    int rowOf(int patch) const { return patch / cols; }
    int colOf(int patch) const { return patch % cols; }
    int indexOf(int row, int col) const { return row * cols + col; }
    bool contains(int row, int col) const {
        return row >= 0 && row < rows && col >= 0 && col < cols;
    }

    /// Chebyshev distance on the grid: max(|dr|, |dc|) (Eq. 3).
    int chebyshev(int a, int b) const {
        return std::max(std::abs(rowOf(a) - rowOf(b)), std::abs(colOf(a) - colOf(b)));
    }

    friend bool operator==(const PatchGrid& x, const PatchGrid& y) {
        return x.rows == y.rows && x.cols == y.cols;
    }
};

} // namespace freesel
