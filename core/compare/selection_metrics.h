// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// How good a selection is, measured the same way for every strategy (docs/ALGORITHM.md
// section 7, and docs/CLI.md "freesel compare"). Selections are given as usable-image indices
// (rows of PoolPatterns), the order they were picked in.

#include "patterns/pattern_pool.h"

#include <cstdint>
#include <vector>

namespace freesel {

/// Mean cosine distance (1 - cos) of every pool pattern to the nearest pattern of a selected
/// image, after each pick: the coverage curve; its last value is the pattern coverage.
std::vector<double> patternCoverageCurve(const PatternPool& patterns,
                                         const std::vector<int>& selected, int threads = 0);

/// One global feature per image (PatternPool with one row per image).
struct GlobalCoverage {
    double meanDistance =
        0;             ///< mean over all images of the cosine distance to the nearest selected
    double radius = 0; ///< the largest such distance: Core-Set's k-center radius
};
GlobalCoverage globalCoverage(const PatternPool& global, const std::vector<int>& selected);

/// Mean over the selected images of the cosine similarity to their most similar other selected
/// image: high when the selection holds near-duplicates. 0 for fewer than two images.
double redundancy(const PatternPool& global, const std::vector<int>& selected);

/// Label metrics; `labels` per usable image (-1: unlabelled, ignored), `classCount` classes.
struct LabelMetrics {
    int classes = 0;               ///< classes present in the pool
    int classesCovered = 0;        ///< classes with at least one selected image
    double entropy = 0;            ///< of the selected label histogram, in nats
    double klDivergence = 0;       ///< KL(selected || pool) of the label histograms, in nats
    double smallestClassShare = 0; ///< min over pool classes of its share of the selection
};
LabelMetrics labelMetrics(const std::vector<int>& labels, int classCount,
                          const std::vector<int>& selected);

/// COCO: every box's category per usable image.
struct InstanceMetrics {
    int64_t instances = 0;     ///< boxes in the selected images
    int categoriesCovered = 0; ///< distinct categories among them
};
InstanceMetrics instanceMetrics(const std::vector<std::vector<int>>& boxCategories,
                                const std::vector<int>& selected);

/// Classes covered, on average, by `budget` images drawn uniformly without replacement from
/// `poolSize`, where classSizes[c] images carry class c: sum_c 1 - C(N - n_c, B) / C(N, B).
double expectedClassesCoveredByRandom(const std::vector<int64_t>& classSizes, int64_t poolSize,
                                      int64_t budget);

} // namespace freesel
