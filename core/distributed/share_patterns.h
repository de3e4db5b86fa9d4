// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "distributed/contiguous_share.h"
#include "patterns/pattern_pool.h"
#include "patterns/semantic_patterns.h"

#include <cstdint>
#include <string>
#include <vector>

namespace freesel {

class FeatureStore;

/// The semantic patterns of one share of the usable images (storeIndex: each usable image's
/// store record, in pool order), read from the store by this process alone. Usable image k is
/// seeded as the whole pool's pattern stage seeds it (imagePatternSeed(patternStageSeed(seed),
/// k)), so a share's pool is exactly its slice of the single-process pool. With a
/// `rowsFolder` the rows go to a file there (patterns/pattern_rows.h), a batch at a time.
PatternPool computeSharePatterns(const FeatureStore& store, const std::vector<int>& storeIndex,
                                 ContiguousShare share, const PatternParameters& params,
                                 uint64_t seed, int threads, const std::string& rowsFolder = {});

} // namespace freesel
