// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Selection within a text query's matches (`freesel select POOL --within "night traffic"
// --within-top 20%`): the candidates of any strategy become the query's best matches among the
// store's CLIP image embeddings. A filter applied before the strategy, nothing else changes.

#include "pipeline.h"

#include <QString>

#include <cstdint>
#include <vector>

namespace freesel {

class ClipBackend;
class FeatureStore;

/// How many of `available` images --within-top keeps: `top` images, or `top` percent of them
/// (rounded, at least 1), clamped to `available`. Throws std::invalid_argument naming
/// --within-top for a count < 1 or a percentage outside (0, 100].
int64_t withinCount(double top, bool percent, int64_t available);

/// The pool indices (pool order) of the `withinCount` best matches of `query` among the images
/// of `records` (per pool image its store record, or -1) that have a CLIP embedding. Throws
/// std::invalid_argument for an empty query or a store without CLIP embeddings.
std::vector<int> searchCandidates(const ClipBackend& clip, const FeatureStore& store,
                                  const std::vector<int>& records, const QString& query, double top,
                                  bool percent);

/// `patterns` with only the images whose pool index is in `poolIndices` (order kept).
PoolPatterns restrictPatterns(const PoolPatterns& patterns, const std::vector<int>& poolIndices);

} // namespace freesel
