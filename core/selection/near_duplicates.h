// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Near-duplicate images from one global feature per image (the stored [CLS] tokens): two
// images are near-duplicates when the cosine similarity of their features reaches a
// threshold; groups are the connected components of that relation (so a chain of
// near-duplicates is one group). One image of each group is kept: see findNearDuplicates.

#include "patterns/pattern_pool.h"

#include <vector>

namespace freesel {

struct DuplicateGroup {
    std::vector<int> members;   ///< pool-of-features images, ascending
    int keep = -1;              ///< the member to keep
    double minSimilarity = 1.0; ///< the weakest link that joined the group (>= threshold)
    double maxSimilarity = 1.0; ///< the closest pair of the group
};

/// Groups of two or more images, ordered by their first member. `global` has one row per
/// image. With `centre` the pool's mean feature is subtracted first: features that share a
/// large common component (all-positive histograms of the offline backend, and DINO's [CLS]
/// to a lesser degree) are otherwise all "similar"; a copy of an image stays at 1.
/// `preference` (one value per image, or empty) decides which member is kept: the
/// largest value (e.g. the file size, the best-quality copy), ties and an empty preference
/// going to the first image in pool order. Throws std::invalid_argument for a threshold
/// outside (0, 1] or a preference of the wrong length.
std::vector<DuplicateGroup> findNearDuplicates(const PatternPool& global, double threshold,
                                               const std::vector<double>& preference = {},
                                               bool centre = true);

} // namespace freesel
