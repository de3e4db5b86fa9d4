// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "patterns/pattern_pool.h"
#include "patterns/semantic_patterns.h"

#include <atomic>
#include <functional>
#include <string>

namespace freesel {

/// Progress of a long stage: items done out of total. Return false to stop early.
using ProgressCallback = std::function<bool(int64_t done, int64_t total)>;

/// The pattern stage over a whole pool: extractImagePatterns for every image, in parallel
/// batches, appended in image order. `fetch(i)` returns image i's features and must be safe
/// to call from several threads. Image i uses the seed RandomStream::forItem(seed, i), so the
/// pool is identical for any thread count. Returns early (with the images done so far) when
/// `cancel` becomes true or `progress` returns false; check pool.imageCount(). With a
/// `rowsFolder`, the rows go to an unlinked file there (PatternPool::withRowsInFile) as each
/// batch is done, so they are never all in memory. A share of a larger pool passes its
/// `firstImage`: its image i is then seeded as the pool's image firstImage + i.
PatternPool computePoolPatterns(int imageCount, const std::function<ImageFeatures(int)>& fetch,
                                const PatternParameters& params, uint64_t seed, int threads,
                                const ProgressCallback& progress = {},
                                const std::atomic<bool>* cancel = nullptr,
                                const std::string& rowsFolder = {}, int firstImage = 0);

/// The seed image i's pattern stage uses (exposed so the GUI overlay reproduces it exactly).
uint64_t imagePatternSeed(uint64_t seed, int image);

} // namespace freesel
