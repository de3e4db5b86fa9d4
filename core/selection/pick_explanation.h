// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// "Why was this picked": an image's place in a finished distance-sampling order, computed
// after the fact from the pattern pool and the pick order (docs/ALGORITHM.md section 6). The
// sampler keeps no per-step state, so the distances at the time of the draw are recomputed
// here: the D of every pattern of the image against the images picked before it.

#include "patterns/pattern_pool.h"
#include "selection/selection.h"

#include <limits>
#include <vector>

namespace freesel {

struct PickExplanation {
    static constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
    int rank = 0;   ///< 1-based position in the order
    int image = -1; ///< pattern-pool image
    /// True when nothing was selected before it (rank 1 without seeded images): it was drawn
    /// uniformly, so it has no D and no nearest selected image.
    bool uniform = false;
    /// D of each of its patterns when it was drawn: the distance to the nearest row of an
    /// image selected before it (seeded images included).
    std::vector<double> patternDistances;
    int farthestPattern = -1; ///< index within the image of its largest D (-1: no pattern)
    double farthestDistance = kNone;
    /// The already-selected image closest to any of its patterns (pattern-pool image), and
    /// its rank (0 for a seeded image).
    int nearestImage = -1;
    int nearestRank = 0;
    double nearestDistance = kNone;
};

/// Explains `order[rank - 1]`: `order` is a distance-sampling result as pattern-pool images,
/// rank 1 first; `seeded` are the images counted as selected before rank 1 (already labelled
/// ones). Cosine distance is 1 - cos, Euclidean the L2 norm, as in distance sampling. Throws
/// std::invalid_argument for a rank outside 1..order.size() or an image outside the pool.
PickExplanation explainPick(const PatternPool& pool, const std::vector<int>& order, int rank,
                            DistanceMetric metric = DistanceMetric::Cosine,
                            const std::vector<int>& seeded = {});

} // namespace freesel
