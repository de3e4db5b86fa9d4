// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "selection/selection.h"

namespace freesel {

/// The K-Means baseline (docs/ALGORITHM.md section 7): k-means with k = budget on one global
/// feature per image (Euclidean), k-means++ starts (seeded), then the image closest to each
/// centre. Images come out by cluster size, largest first; the score is the distance to the
/// centre. Lloyd stops when assignments settle or after `maxIterations`.
/// `fixedImages` (a continued round's labelled images) are centres that never move: the
/// budget's free centres start by k-means++ seeded with them and settle around what they do
/// not cover; fixed images are never picked.
SelectionResult kmeansSelection(PatternPool globalFeatures, int64_t budget, uint64_t seed,
                                int threads, const std::vector<int>& fixedImages = {},
                                int maxIterations = 10);

} // namespace freesel
