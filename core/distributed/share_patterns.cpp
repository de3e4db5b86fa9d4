// SPDX-License-Identifier: GPL-3.0-or-later
#include "distributed/share_patterns.h"

#include "pipeline.h"

namespace freesel {

PatternPool computeSharePatterns(const FeatureStore& store, const std::vector<int>& storeIndex,
                                 ContiguousShare share, const PatternParameters& params,
                                 uint64_t seed, int threads, const std::string& rowsFolder) {
    return patternsOfRecords(store, storeIndex, static_cast<int>(share.first),
                             static_cast<int>(share.count), params, seed, threads, {}, nullptr,
                             rowsFolder);
}

} // namespace freesel
