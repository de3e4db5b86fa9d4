// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The 2-D view of the pattern pool the GUI plots (docs/GUI.md, "Bottom tabs"): a principal
// component projection of pattern rows. Plain data, no QtGui, so tests check it directly.

#include "patterns/pattern_pool.h"

#include <vector>

namespace freesel {

struct PatternProjection {
    std::vector<double> x;  ///< first principal coordinate per projected row
    std::vector<double> y;  ///< second principal coordinate per projected row
    std::vector<int> image; ///< the pool image (PatternPool image index) each row belongs to
    double explained[2] = {0.0, 0.0}; ///< share of the total variance of each axis
};

/// Projects the rows of `pool` onto its two leading principal axes. When the pool has more
/// than `maxRows` rows an evenly spaced subset is projected (deterministic, every image's
/// first pattern kept first). Axis signs are fixed so the largest loading is positive, making
/// the picture identical from run to run.
PatternProjection projectPatternsPca(const PatternPool& pool, int maxRows = 20000);

} // namespace freesel
